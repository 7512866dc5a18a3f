// File: aisle/serving/guarded_call.h
//
// GuardedCall<K, V> calls a host-provided external function (a remote model,
// a scorer callback) through a CircuitBreaker, measures how long it took
// (a call slower than the breaker's call_timeout counts as a timeout), keeps
// each key's last good result in a LastKnownGood cache, and answers from
// that cache when the breaker is open or the call fails.
//
//   aisle::serving::CircuitBreaker breaker({.name = "remote_model"});
//   aisle::serving::LastKnownGood<std::string, std::vector<float>> lkg;
//   aisle::serving::GuardedCall<std::string, std::vector<float>> call(&breaker, &lkg);
//   auto r = call.Call(user_key, [&]() -> absl::StatusOr<std::vector<float>> {
//     return host_scorer(user_key, items);
//   });
//   if (r.value == nullptr) { /* next fallback level, reason r.reason */ }
//   else if (r.source == GuardedSource::kLastKnownGood) { /* degraded, say so */ }
//
// The host function runs synchronously on the caller's thread; aisle cannot
// preempt it, so a slow call still returns its value (and stores it), but the
// breaker counts it as a timeout. Exceptions thrown by the host function are
// caught and become an Internal status (aisle throws nothing).
//
// Thread-safe when the breaker and cache are (they are); the host function
// must be safe to call from the calling threads.
#ifndef AISLE_SERVING_GUARDED_CALL_H_
#define AISLE_SERVING_GUARDED_CALL_H_

#include <exception>
#include <memory>
#include <type_traits>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "aisle/core/clock.h"
#include "aisle/serving/circuit_breaker.h"
#include "aisle/serving/fallback.h"
#include "aisle/serving/last_known_good.h"

namespace aisle {
namespace serving {

// Where a guarded result came from.
enum class GuardedSource : uint8_t {
  kFresh = 0,          // the call succeeded now
  kLastKnownGood = 1,  // the breaker was open or the call failed; cached value
  kNone = 2,           // no value: fall back to the next level
};

template <typename V>
struct GuardedResult {
  std::shared_ptr<const V> value;  // null when source == kNone
  GuardedSource source = GuardedSource::kNone;
  // kNone for a fresh value; kBreakerOpen when short-circuited; kDeadline for
  // a call that failed by timing out; kError for a call that failed.
  FallbackReason reason = FallbackReason::kNone;
  // The call's error, when it was made and failed.
  absl::Status error;
  // Age of a last-known-good value.
  absl::Duration age;
  // How long the call took, when it was made.
  absl::Duration latency;
};

template <typename K, typename V>
class GuardedCall {
 public:
  // `breaker` and `cache` (may be null: no last-known-good) and `clock` must
  // outlive this object.
  GuardedCall(CircuitBreaker* breaker, LastKnownGood<K, V>* cache,
              const Clock& clock = Clock::Real())
      : breaker_(breaker), cache_(cache), clock_(clock) {}

  // `fn` is invoked at most once, with no arguments, and returns
  // absl::StatusOr<V>.
  template <typename Fn>
  GuardedResult<V> Call(const K& key, Fn&& fn) {
    static_assert(std::is_invocable_r_v<absl::StatusOr<V>, Fn&>,
                  "fn must be callable as absl::StatusOr<V>()");
    GuardedResult<V> r;
    CircuitBreaker::Ticket ticket = breaker_->Allow();
    if (!ticket) return FromCache(key, FallbackReason::kBreakerOpen, std::move(r));
    const int64_t t0 = clock_.MonotonicNanos();
    absl::StatusOr<V> out = Invoke(fn);
    r.latency = absl::Nanoseconds(clock_.MonotonicNanos() - t0);
    breaker_->Record(ticket, out.ok(), r.latency);
    if (!out.ok()) {
      r.error = out.status();
      const bool timed_out =
          r.latency > breaker_->options().call_timeout || absl::IsDeadlineExceeded(out.status());
      return FromCache(key, timed_out ? FallbackReason::kDeadline : FallbackReason::kError,
                       std::move(r));
    }
    r.value = std::make_shared<const V>(*std::move(out));
    r.source = GuardedSource::kFresh;
    if (cache_ != nullptr) cache_->Put(key, r.value);
    return r;
  }

 private:
  template <typename Fn>
  absl::StatusOr<V> Invoke(Fn& fn) {
    try {
      return fn();
    } catch (const std::exception& e) {
      return absl::InternalError(
          absl::StrCat("external call \"", breaker_->name(), "\" threw: ", e.what()));
    } catch (...) {
      return absl::InternalError(
          absl::StrCat("external call \"", breaker_->name(), "\" threw a non-std exception"));
    }
  }

  GuardedResult<V> FromCache(const K& key, FallbackReason reason, GuardedResult<V> r) {
    r.reason = reason;
    if (cache_ != nullptr) {
      if (auto hit = cache_->Get(key)) {
        r.value = std::move(hit.value);
        r.age = hit.age;
        r.source = GuardedSource::kLastKnownGood;
        return r;
      }
    }
    r.source = GuardedSource::kNone;
    return r;
  }

  CircuitBreaker* breaker_;
  LastKnownGood<K, V>* cache_;
  const Clock& clock_;
};

}  // namespace serving
}  // namespace aisle

#endif  // AISLE_SERVING_GUARDED_CALL_H_
