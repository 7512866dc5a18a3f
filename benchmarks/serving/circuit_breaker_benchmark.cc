// Cost of the circuit breaker on the request path: Allow() + Record() while
// closed (the healthy case), the short-circuit path while open, and the
// GuardedCall wrapper with its last-known-good cache. The peer is a
// straightforward breaker that takes a mutex on every call, measured in the
// same binary so the ratio is meaningful on a noisy machine.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "aisle/serving/circuit_breaker.h"
#include "aisle/serving/guarded_call.h"
#include "aisle/serving/last_known_good.h"
#include "benchmark/benchmark.h"

namespace aisle {
namespace serving {
namespace {

CircuitBreakerOptions Opts() {
  CircuitBreakerOptions o;
  o.name = "bench";
  o.min_requests = 1 << 30;  // never trips on rate
  o.consecutive_timeouts = 0;
  o.call_timeout = absl::Seconds(1);
  return o;
}

CircuitBreaker* SharedBreaker() {
  static CircuitBreaker* b = new CircuitBreaker(Opts());
  return b;
}

void BM_CircuitBreaker_AllowRecordClosed(benchmark::State& state) {
  CircuitBreaker* b = SharedBreaker();
  for (auto _ : state) {
    CircuitBreaker::Ticket t = b->Allow();
    benchmark::DoNotOptimize(t);
    b->Record(t, true, absl::Microseconds(100));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_CircuitBreaker_AllowRecordClosed)->Threads(1)->Threads(2)->UseRealTime();

// 10% failures: every failure also sums the rolling window.
void BM_CircuitBreaker_AllowRecordTenPercentFailures(benchmark::State& state) {
  CircuitBreaker* b = SharedBreaker();
  uint32_t i = static_cast<uint32_t>(state.thread_index());
  for (auto _ : state) {
    CircuitBreaker::Ticket t = b->Allow();
    b->Record(t, (++i % 10) != 0, absl::Microseconds(100));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_CircuitBreaker_AllowRecordTenPercentFailures)->Threads(1)->Threads(2)->UseRealTime();

void BM_CircuitBreaker_AllowOpen(benchmark::State& state) {
  static CircuitBreaker* b = [] {
    auto* br = new CircuitBreaker(Opts());
    br->ForceOpen(absl::Hours(24));
    return br;
  }();
  for (auto _ : state) {
    CircuitBreaker::Ticket t = b->Allow();
    benchmark::DoNotOptimize(t);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_CircuitBreaker_AllowOpen)->Threads(1)->Threads(2)->UseRealTime();

// Peer: the obvious implementation, one mutex around state and counters.
class MutexBreaker {
 public:
  bool Allow() {
    absl::MutexLock l(&mu_);
    if (open_) return false;
    ++admitted_;
    return true;
  }
  void Record(bool ok, absl::Duration latency) {
    absl::MutexLock l(&mu_);
    const bool failure = !ok || latency > timeout_;
    ++calls_;
    if (failure) ++failures_;
    if (calls_ >= min_ && failures_ * 2 >= calls_) open_ = true;
  }

 private:
  absl::Mutex mu_;
  bool open_ = false;
  uint64_t admitted_ = 0, calls_ = 0, failures_ = 0;
  const uint64_t min_ = uint64_t{1} << 62;
  const absl::Duration timeout_ = absl::Seconds(1);
};

void BM_MutexBreakerPeer_AllowRecordClosed(benchmark::State& state) {
  static MutexBreaker* b = new MutexBreaker();
  for (auto _ : state) {
    const bool allowed = b->Allow();
    benchmark::DoNotOptimize(allowed);
    b->Record(true, absl::Microseconds(100));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_MutexBreakerPeer_AllowRecordClosed)->Threads(1)->Threads(2)->UseRealTime();

// The whole wrapper around a trivial host call: breaker + clock reads +
// shared_ptr value + last-known-good Put. Keys cycle over 1024 users.
void BM_GuardedCall_Fresh(benchmark::State& state) {
  static CircuitBreaker* b = new CircuitBreaker(Opts());
  static auto* lkg = new LastKnownGood<uint64_t, std::vector<float>>({.capacity = 4096});
  GuardedCall<uint64_t, std::vector<float>> call(b, lkg);
  uint64_t key = static_cast<uint64_t>(state.thread_index()) << 32;
  for (auto _ : state) {
    auto r = call.Call(++key & 1023, [] {
      return absl::StatusOr<std::vector<float>>(std::vector<float>(16, 0.5f));
    });
    benchmark::DoNotOptimize(r.value);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_GuardedCall_Fresh)->Threads(1)->Threads(2)->UseRealTime();

// The same host call made directly, for the wrapper's overhead.
void BM_GuardedCall_DirectCallPeer(benchmark::State& state) {
  for (auto _ : state) {
    absl::StatusOr<std::vector<float>> r = std::vector<float>(16, 0.5f);
    benchmark::DoNotOptimize(r);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_GuardedCall_DirectCallPeer)->Threads(1)->Threads(2)->UseRealTime();

// Serving from last-known-good while open.
void BM_GuardedCall_OpenServesLastKnownGood(benchmark::State& state) {
  static CircuitBreaker* b = [] {
    auto* br = new CircuitBreaker(Opts());
    br->ForceOpen(absl::Hours(24));
    return br;
  }();
  static auto* lkg = [] {
    auto* c = new LastKnownGood<uint64_t, std::vector<float>>({.capacity = 4096});
    for (uint64_t k = 0; k < 1024; ++k) c->Put(k, std::vector<float>(16, 0.5f));
    return c;
  }();
  GuardedCall<uint64_t, std::vector<float>> call(b, lkg);
  uint64_t key = static_cast<uint64_t>(state.thread_index()) * 7;
  int64_t hits = 0;
  for (auto _ : state) {
    auto r = call.Call(++key & 1023, [] { return absl::StatusOr<std::vector<float>>(); });
    hits += r.source == GuardedSource::kLastKnownGood;
  }
  state.counters["hit_rate"] =
      benchmark::Counter(static_cast<double>(hits) / static_cast<double>(state.iterations()),
                         benchmark::Counter::kAvgThreads);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_GuardedCall_OpenServesLastKnownGood)->Threads(1)->Threads(2)->UseRealTime();

}  // namespace
}  // namespace serving
}  // namespace aisle

BENCHMARK_MAIN();
