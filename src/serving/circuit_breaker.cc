#include "aisle/serving/circuit_breaker.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include "absl/strings/str_cat.h"

namespace aisle {
namespace serving {
namespace {

constexpr uint64_t kStateMask = 3;

BreakerState StateOf(uint64_t gen_state) {
  return static_cast<BreakerState>(gen_state & kStateMask);
}

CircuitBreakerOptions Clamped(CircuitBreakerOptions o) {
  if (o.window <= absl::ZeroDuration()) o.window = absl::Seconds(10);
  o.window_buckets = std::clamp(o.window_buckets, 1, 1000);
  o.min_requests = std::max(o.min_requests, 1);
  if (!(o.failure_rate_threshold > 0.0)) o.failure_rate_threshold = 0.5;
  o.failure_rate_threshold = std::min(o.failure_rate_threshold, 1.0);
  o.consecutive_timeouts = std::max(o.consecutive_timeouts, 0);
  if (o.call_timeout <= absl::ZeroDuration()) o.call_timeout = absl::Milliseconds(50);
  if (o.open_duration <= absl::ZeroDuration()) o.open_duration = absl::Seconds(5);
  if (!(o.open_backoff >= 1.0) || !std::isfinite(o.open_backoff)) o.open_backoff = 1.0;
  o.max_open_duration = std::max(o.max_open_duration, o.open_duration);
  o.half_open_probes = std::max(o.half_open_probes, 1);
  o.transition_log_capacity = std::max(o.transition_log_capacity, 0);
  return o;
}

}  // namespace

absl::string_view BreakerStateName(BreakerState state) {
  switch (state) {
    case BreakerState::kClosed:
      return "closed";
    case BreakerState::kOpen:
      return "open";
    case BreakerState::kHalfOpen:
      return "half_open";
  }
  return "unknown";
}

absl::string_view BreakerCauseName(BreakerCause cause) {
  switch (cause) {
    case BreakerCause::kFailureRate:
      return "failure_rate";
    case BreakerCause::kConsecutiveTimeouts:
      return "consecutive_timeouts";
    case BreakerCause::kCoolDownElapsed:
      return "cool_down_elapsed";
    case BreakerCause::kProbesSucceeded:
      return "probes_succeeded";
    case BreakerCause::kProbeFailed:
      return "probe_failed";
    case BreakerCause::kProbeLost:
      return "probe_lost";
    case BreakerCause::kForced:
      return "forced";
  }
  return "unknown";
}

absl::Status CircuitBreaker::Validate(const CircuitBreakerOptions& o) {
  auto bad = [&](absl::string_view field, const auto& value, absl::string_view want) {
    return absl::InvalidArgumentError(
        absl::StrCat("circuit breaker \"", o.name, "\": ", field, " = ", value, " ", want));
  };
  if (o.name.empty()) return absl::InvalidArgumentError("circuit breaker: empty name");
  if (o.window <= absl::ZeroDuration()) {
    return bad("window", absl::FormatDuration(o.window), "must be positive");
  }
  if (o.window_buckets < 1 || o.window_buckets > 1000) {
    return bad("window_buckets", o.window_buckets, "must be in [1, 1000]");
  }
  if (o.min_requests < 1) return bad("min_requests", o.min_requests, "must be >= 1");
  if (!(o.failure_rate_threshold > 0.0 && o.failure_rate_threshold <= 1.0)) {
    return bad("failure_rate_threshold", o.failure_rate_threshold, "must be in (0, 1]");
  }
  if (o.consecutive_timeouts < 0) {
    return bad("consecutive_timeouts", o.consecutive_timeouts, "must be >= 0 (0 disables)");
  }
  if (o.call_timeout <= absl::ZeroDuration()) {
    return bad("call_timeout", absl::FormatDuration(o.call_timeout), "must be positive");
  }
  if (o.open_duration <= absl::ZeroDuration()) {
    return bad("open_duration", absl::FormatDuration(o.open_duration), "must be positive");
  }
  if (!(o.open_backoff >= 1.0) || !std::isfinite(o.open_backoff)) {
    return bad("open_backoff", o.open_backoff, "must be finite and >= 1");
  }
  if (o.max_open_duration < o.open_duration) {
    return bad("max_open_duration", absl::FormatDuration(o.max_open_duration),
               "must be >= open_duration");
  }
  if (o.half_open_probes < 1) return bad("half_open_probes", o.half_open_probes, "must be >= 1");
  if (o.transition_log_capacity < 0) {
    return bad("transition_log_capacity", o.transition_log_capacity, "must be >= 0");
  }
  return absl::OkStatus();
}

CircuitBreaker::CircuitBreaker(CircuitBreakerOptions options, const Clock& clock)
    : options_(Clamped(std::move(options))),
      clock_(clock),
      bucket_nanos_(std::max<int64_t>(
          1, absl::ToInt64Nanoseconds(options_.window) / options_.window_buckets)),
      call_timeout_nanos_(absl::ToInt64Nanoseconds(options_.call_timeout)),
      num_buckets_(options_.window_buckets),
      buckets_(new std::atomic<uint64_t>[options_.window_buckets]) {
  for (int i = 0; i < num_buckets_; ++i) buckets_[i].store(0, std::memory_order_relaxed);
}

CircuitBreaker::Ticket CircuitBreaker::Allow() {
  uint64_t gs = gen_state_.load(std::memory_order_acquire);
  if (StateOf(gs) == BreakerState::kClosed) {
    admitted_.fetch_add(1, std::memory_order_relaxed);
    return Ticket(true, false, gs);
  }
  const int64_t now = clock_.MonotonicNanos();
  if (StateOf(gs) == BreakerState::kOpen) {
    if (now < open_until_nanos_.load(std::memory_order_acquire)) {
      short_circuited_.fetch_add(1, std::memory_order_relaxed);
      return Ticket();
    }
    EnterHalfOpen(gs, now);
    gs = gen_state_.load(std::memory_order_acquire);
    if (StateOf(gs) == BreakerState::kClosed) {
      admitted_.fetch_add(1, std::memory_order_relaxed);
      return Ticket(true, false, gs);
    }
    if (StateOf(gs) == BreakerState::kOpen) {
      short_circuited_.fetch_add(1, std::memory_order_relaxed);
      return Ticket();
    }
  }
  // Half-open: admit up to half_open_probes probes.
  // Load first so refused calls do not keep bumping (and overflowing) it.
  if (probes_admitted_.load(std::memory_order_relaxed) < options_.half_open_probes &&
      probes_admitted_.fetch_add(1, std::memory_order_acq_rel) < options_.half_open_probes) {
    admitted_.fetch_add(1, std::memory_order_relaxed);
    return Ticket(true, true, gs);
  }
  // Probes taken. If they have not all reported within open_duration, they
  // are lost (the caller dropped its ticket): re-open and try again later.
  if (now - half_open_since_nanos_.load(std::memory_order_acquire) >=
      absl::ToInt64Nanoseconds(options_.open_duration)) {
    Reopen(gs, BreakerCause::kProbeLost, now);
  }
  short_circuited_.fetch_add(1, std::memory_order_relaxed);
  return Ticket();
}

void CircuitBreaker::Record(const Ticket& ticket, bool ok, absl::Duration latency) {
  if (!ticket.allowed_) return;
  const int64_t now = clock_.MonotonicNanos();
  const bool timeout = absl::ToInt64Nanoseconds(latency) > call_timeout_nanos_;
  const bool failure = !ok || timeout;
  if (failure) {
    failures_.fetch_add(1, std::memory_order_relaxed);
    if (timeout) timeouts_.fetch_add(1, std::memory_order_relaxed);
  } else {
    successes_.fetch_add(1, std::memory_order_relaxed);
  }
  const uint64_t gs = ticket.gen_state_;
  if (gen_state_.load(std::memory_order_acquire) != gs) return;  // stale: counters only
  switch (StateOf(gs)) {
    case BreakerState::kClosed: {
      AddToWindow(now, failure);
      if (timeout) {
        const int32_t run = consecutive_timeouts_.fetch_add(1, std::memory_order_acq_rel) + 1;
        if (options_.consecutive_timeouts > 0 && run >= options_.consecutive_timeouts) {
          Trip(gs, BreakerCause::kConsecutiveTimeouts, now);
          return;
        }
      } else if (consecutive_timeouts_.load(std::memory_order_relaxed) != 0) {
        consecutive_timeouts_.store(0, std::memory_order_relaxed);
      }
      if (failure) {
        uint32_t calls = 0, fails = 0;
        SumWindow(now, &calls, &fails);
        if (calls >= static_cast<uint32_t>(options_.min_requests) &&
            static_cast<double>(fails) >= options_.failure_rate_threshold * calls) {
          Trip(gs, BreakerCause::kFailureRate, now);
        }
      }
      return;
    }
    case BreakerState::kHalfOpen:
      if (!ticket.probe_) return;
      if (failure) {
        Reopen(gs, BreakerCause::kProbeFailed, now);
      } else if (probes_succeeded_.fetch_add(1, std::memory_order_acq_rel) + 1 >=
                 options_.half_open_probes) {
        Close(gs, BreakerCause::kProbesSucceeded);
      }
      return;
    case BreakerState::kOpen:
      return;  // a ForceOpen() raced with this call
  }
}

void CircuitBreaker::AddToWindow(int64_t now_nanos, bool failure) {
  const int64_t epoch = EpochAt(now_nanos);
  const uint64_t tag = (static_cast<uint64_t>(epoch) & kEpochMask) + 1;  // never 0
  std::atomic<uint64_t>& bucket = buckets_[epoch % num_buckets_];
  uint64_t old = bucket.load(std::memory_order_relaxed);
  while (true) {
    uint64_t calls = 0, fails = 0;
    if ((old >> (2 * kCountBits)) == tag) {
      calls = (old >> kCountBits) & kCountMask;
      fails = old & kCountMask;
    }
    if (calls == kCountMask) return;  // saturated: keep the ratio as it is
    ++calls;
    if (failure) ++fails;
    const uint64_t word = (tag << (2 * kCountBits)) | (calls << kCountBits) | fails;
    if (bucket.compare_exchange_weak(old, word, std::memory_order_relaxed)) return;
  }
}

void CircuitBreaker::SumWindow(int64_t now_nanos, uint32_t* calls, uint32_t* failures) const {
  const int64_t epoch = EpochAt(now_nanos);
  uint64_t c = 0, f = 0;
  for (int k = 0; k < num_buckets_ && epoch - k >= 0; ++k) {
    const int64_t e = epoch - k;
    const uint64_t tag = (static_cast<uint64_t>(e) & kEpochMask) + 1;
    const uint64_t word = buckets_[e % num_buckets_].load(std::memory_order_relaxed);
    if ((word >> (2 * kCountBits)) != tag) continue;
    c += (word >> kCountBits) & kCountMask;
    f += word & kCountMask;
  }
  *calls = static_cast<uint32_t>(c);
  *failures = static_cast<uint32_t>(f);
}

void CircuitBreaker::WindowCounts(uint32_t* calls, uint32_t* failures) const {
  SumWindow(clock_.MonotonicNanos(), calls, failures);
}

void CircuitBreaker::ClearWindow() {
  for (int i = 0; i < num_buckets_; ++i) buckets_[i].store(0, std::memory_order_relaxed);
  consecutive_timeouts_.store(0, std::memory_order_relaxed);
}

void CircuitBreaker::SetStateLocked(BreakerState to, BreakerCause cause, absl::Duration open_for) {
  const uint64_t gs = gen_state_.load(std::memory_order_relaxed);
  const BreakerState from = StateOf(gs);
  if (to == BreakerState::kOpen) trips_.fetch_add(1, std::memory_order_relaxed);
  if (options_.transition_log_capacity > 0) {
    if (log_.size() >= static_cast<size_t>(options_.transition_log_capacity)) log_.pop_front();
    log_.push_back(BreakerTransition{clock_.Now(), from, to, cause,
                                     to == BreakerState::kOpen ? open_for : absl::ZeroDuration()});
  }
  gen_state_.store((((gs >> 2) + 1) << 2) | static_cast<uint64_t>(to), std::memory_order_release);
}

void CircuitBreaker::OpenLocked(BreakerCause cause, absl::Duration open_for, int64_t now_nanos) {
  open_until_nanos_.store(now_nanos + absl::ToInt64Nanoseconds(open_for),
                          std::memory_order_release);
  SetStateLocked(BreakerState::kOpen, cause, open_for);
}

void CircuitBreaker::Trip(uint64_t seen, BreakerCause cause, int64_t now_nanos) {
  absl::MutexLock lock(&mu_);
  if (gen_state_.load(std::memory_order_relaxed) != seen) return;
  reopen_count_ = 0;
  OpenLocked(cause, options_.open_duration, now_nanos);
}

void CircuitBreaker::EnterHalfOpen(uint64_t seen, int64_t now_nanos) {
  absl::MutexLock lock(&mu_);
  if (gen_state_.load(std::memory_order_relaxed) != seen) return;
  probes_admitted_.store(0, std::memory_order_relaxed);
  probes_succeeded_.store(0, std::memory_order_relaxed);
  half_open_since_nanos_.store(now_nanos, std::memory_order_relaxed);
  SetStateLocked(BreakerState::kHalfOpen, BreakerCause::kCoolDownElapsed, absl::ZeroDuration());
}

void CircuitBreaker::Reopen(uint64_t seen, BreakerCause cause, int64_t now_nanos) {
  absl::MutexLock lock(&mu_);
  if (gen_state_.load(std::memory_order_relaxed) != seen) return;
  ++reopen_count_;
  const double factor = std::pow(options_.open_backoff, reopen_count_);
  absl::Duration open_for = options_.max_open_duration;
  if (std::isfinite(factor) && options_.open_duration * factor < options_.max_open_duration) {
    open_for = options_.open_duration * factor;
  }
  OpenLocked(cause, open_for, now_nanos);
}

void CircuitBreaker::Close(uint64_t seen, BreakerCause cause) {
  absl::MutexLock lock(&mu_);
  if (gen_state_.load(std::memory_order_relaxed) != seen) return;
  reopen_count_ = 0;
  ClearWindow();
  SetStateLocked(BreakerState::kClosed, cause, absl::ZeroDuration());
}

void CircuitBreaker::ForceOpen(absl::Duration duration) {
  absl::MutexLock lock(&mu_);
  OpenLocked(BreakerCause::kForced, std::max(duration, absl::ZeroDuration()),
             clock_.MonotonicNanos());
}

void CircuitBreaker::Reset() {
  absl::MutexLock lock(&mu_);
  reopen_count_ = 0;
  ClearWindow();
  SetStateLocked(BreakerState::kClosed, BreakerCause::kForced, absl::ZeroDuration());
}

BreakerCounters CircuitBreaker::counters() const {
  BreakerCounters c;
  c.admitted = admitted_.load(std::memory_order_relaxed);
  c.short_circuited = short_circuited_.load(std::memory_order_relaxed);
  c.successes = successes_.load(std::memory_order_relaxed);
  c.failures = failures_.load(std::memory_order_relaxed);
  c.timeouts = timeouts_.load(std::memory_order_relaxed);
  c.trips = trips_.load(std::memory_order_relaxed);
  return c;
}

std::vector<BreakerTransition> CircuitBreaker::TransitionLog() const {
  absl::MutexLock lock(&mu_);
  return std::vector<BreakerTransition>(log_.begin(), log_.end());
}

}  // namespace serving
}  // namespace aisle
