// File: aisle/serving/circuit_breaker.h
//
// CircuitBreaker guards one pluggable external call (a host scorer callback,
// a remote model, a feature service). It is closed while the call is
// healthy; it opens when the failure rate over a rolling window passes a
// threshold (once the window holds a minimum number of calls) or after a run
// of consecutive timeouts (a call slower than `call_timeout` counts as a
// timeout, and every timeout is a failure). Open, it refuses calls for a
// cool-down; then it goes half-open and admits up to `half_open_probes`
// probe calls. When all probes succeed it closes; any failed probe re-opens
// it, with the cool-down multiplied by `open_backoff` (capped).
//
//   aisle::serving::CircuitBreaker breaker({.name = "remote_ranker"});
//   if (auto ticket = breaker.Allow()) {
//     const int64_t t0 = clock.MonotonicNanos();
//     absl::Status s = CallRemote();
//     breaker.Record(ticket, s.ok(), absl::Nanoseconds(clock.MonotonicNanos() - t0));
//   } else {
//     // short-circuited: serve last-known-good or the next fallback level,
//     // with FallbackReason::kBreakerOpen.
//   }
//
// See guarded_call.h for a wrapper that does the above and answers from a
// LastKnownGood cache while the breaker is open.
//
// Thread-safe. Allow() and Record() on the closed path are lock-free: a few
// relaxed/acquire atomic loads, one relaxed counter increment and, in
// Record(), one compare-and-swap on the current window bucket. A mutex is
// taken only for state transitions (trip, half-open, close, re-open),
// forced transitions and when reading the transition log.
//
// Outcomes are attributed to the state they were admitted in: every
// transition bumps a generation, and a Record() whose ticket carries an
// older generation updates the counters but never moves the state machine
// (a slow call admitted while closed cannot close a half-open breaker).
#ifndef AISLE_SERVING_CIRCUIT_BREAKER_H_
#define AISLE_SERVING_CIRCUIT_BREAKER_H_

#include <atomic>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "aisle/core/clock.h"

namespace aisle {
namespace serving {

enum class BreakerState : uint8_t { kClosed = 0, kOpen = 1, kHalfOpen = 2 };
// "closed", "open", "half_open".
absl::string_view BreakerStateName(BreakerState state);

// Why a breaker changed state.
enum class BreakerCause : uint8_t {
  kFailureRate = 0,          // closed -> open
  kConsecutiveTimeouts = 1,  // closed -> open
  kCoolDownElapsed = 2,      // open -> half_open
  kProbesSucceeded = 3,      // half_open -> closed
  kProbeFailed = 4,          // half_open -> open
  kProbeLost = 5,            // half_open -> open: probes admitted but never recorded
  kForced = 6,               // ForceOpen() / Reset()
};
// "failure_rate", "consecutive_timeouts", "cool_down_elapsed",
// "probes_succeeded", "probe_failed", "probe_lost", "forced".
absl::string_view BreakerCauseName(BreakerCause cause);

struct CircuitBreakerOptions {
  // Names the guarded dependency in metrics, logs and errors.
  std::string name = "breaker";
  // Rolling window for the failure rate, split into `window_buckets` buckets.
  absl::Duration window = absl::Seconds(10);
  int window_buckets = 10;
  // The failure-rate rule applies only once the window holds this many calls.
  int min_requests = 20;
  // Trips when failures / calls over the window reaches this (0, 1].
  double failure_rate_threshold = 0.5;
  // Trips after this many timeouts in a row (no success or plain failure
  // between them). 0 disables the rule.
  int consecutive_timeouts = 5;
  // A call slower than this is a timeout (and a failure), even if it succeeded.
  absl::Duration call_timeout = absl::Milliseconds(50);
  // First cool-down in the open state.
  absl::Duration open_duration = absl::Seconds(5);
  // Each failed half-open episode multiplies the cool-down by this (>= 1),
  // up to max_open_duration. A close resets it.
  double open_backoff = 2.0;
  absl::Duration max_open_duration = absl::Seconds(60);
  // Probe calls admitted per half-open episode; all must succeed to close.
  int half_open_probes = 3;
  // Transitions kept for TransitionLog().
  int transition_log_capacity = 64;
};

// One state change, for the transition log.
struct BreakerTransition {
  absl::Time at;  // wall clock
  BreakerState from;
  BreakerState to;
  BreakerCause cause;
  absl::Duration open_for;  // the cool-down set, when `to` is kOpen
};

// Monotone counters since construction (relaxed; read for metrics).
struct BreakerCounters {
  uint64_t admitted = 0;         // Allow() returned a ticket
  uint64_t short_circuited = 0;  // Allow() refused
  uint64_t successes = 0;
  uint64_t failures = 0;  // includes timeouts
  uint64_t timeouts = 0;
  uint64_t trips = 0;  // transitions into kOpen
};

class CircuitBreaker {
 public:
  // Permission for one call; converts to true when the call may proceed.
  // Pass it back to Record(). Trivially copyable.
  class Ticket {
   public:
    Ticket() = default;
    explicit operator bool() const { return allowed_; }
    bool probe() const { return probe_; }

   private:
    friend class CircuitBreaker;
    Ticket(bool allowed, bool probe, uint64_t gen_state)
        : gen_state_(gen_state), allowed_(allowed), probe_(probe) {}
    uint64_t gen_state_ = 0;
    bool allowed_ = false;
    bool probe_ = false;
  };

  // Checks `options` (InvalidArgument naming the breaker and the field).
  static absl::Status Validate(const CircuitBreakerOptions& options);
  // `options` must be valid (see Validate; invalid values are clamped to
  // their nearest valid value). `clock` must outlive the breaker.
  explicit CircuitBreaker(CircuitBreakerOptions options, const Clock& clock = Clock::Real());
  CircuitBreaker(const CircuitBreaker&) = delete;
  CircuitBreaker& operator=(const CircuitBreaker&) = delete;

  // Asks to make one call. Refused (and counted as short-circuited) while
  // open and cooling down, and in half-open once the probes are taken.
  Ticket Allow();
  // Reports the outcome of a call admitted by `ticket`. `ok` false is a
  // failure; `latency` > call_timeout is a timeout. No-op for a refused ticket.
  void Record(const Ticket& ticket, bool ok, absl::Duration latency);

  // Operator controls (recorded with cause kForced). ForceOpen keeps the
  // breaker open for `duration` (then half-open as usual); Reset closes it
  // and clears the window.
  void ForceOpen(absl::Duration duration);
  void Reset();

  BreakerState state() const {
    return static_cast<BreakerState>(gen_state_.load(std::memory_order_acquire) & 3);
  }
  const std::string& name() const { return options_.name; }
  const CircuitBreakerOptions& options() const { return options_; }
  BreakerCounters counters() const;
  // Calls and failures in the current rolling window.
  void WindowCounts(uint32_t* calls, uint32_t* failures) const;
  // Most recent transitions, oldest first.
  std::vector<BreakerTransition> TransitionLog() const;

 private:
  // Bucket word: [63:44] tag | [43:22] calls | [21:0] failures, where tag =
  // (epoch mod 2^19) + 1 so that an all-zero word is never a live bucket.
  // A bucket idle for an exact multiple of 2^19 bucket widths could alias;
  // any traffic rewrites it first. Counts saturate at 2^22 - 1 per bucket.
  static constexpr int kCountBits = 22;
  static constexpr uint64_t kCountMask = (uint64_t{1} << kCountBits) - 1;
  static constexpr uint64_t kEpochMask = (uint64_t{1} << 19) - 1;

  int64_t EpochAt(int64_t mono_nanos) const { return mono_nanos / bucket_nanos_; }
  void AddToWindow(int64_t now_nanos, bool failure);
  void SumWindow(int64_t now_nanos, uint32_t* calls, uint32_t* failures) const;
  void ClearWindow();
  // Transitions. Each takes the gen_state the caller observed and does
  // nothing when another thread has moved the breaker since.
  void Trip(uint64_t seen, BreakerCause cause, int64_t now_nanos);
  void EnterHalfOpen(uint64_t seen, int64_t now_nanos);
  void Reopen(uint64_t seen, BreakerCause cause, int64_t now_nanos);
  void Close(uint64_t seen, BreakerCause cause);
  void OpenLocked(BreakerCause cause, absl::Duration open_for, int64_t now_nanos)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void SetStateLocked(BreakerState to, BreakerCause cause, absl::Duration open_for)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const CircuitBreakerOptions options_;
  const Clock& clock_;
  const int64_t bucket_nanos_;
  const int64_t call_timeout_nanos_;
  const int num_buckets_;
  std::unique_ptr<std::atomic<uint64_t>[]> buckets_;

  // (generation << 2) | state: one load gives a consistent pair.
  std::atomic<uint64_t> gen_state_{static_cast<uint64_t>(BreakerState::kClosed)};
  std::atomic<int64_t> open_until_nanos_{0};
  std::atomic<int64_t> half_open_since_nanos_{0};
  std::atomic<int32_t> consecutive_timeouts_{0};
  std::atomic<int32_t> probes_admitted_{0};
  std::atomic<int32_t> probes_succeeded_{0};

  std::atomic<uint64_t> admitted_{0};
  std::atomic<uint64_t> short_circuited_{0};
  std::atomic<uint64_t> successes_{0};
  std::atomic<uint64_t> failures_{0};
  std::atomic<uint64_t> timeouts_{0};
  std::atomic<uint64_t> trips_{0};

  mutable absl::Mutex mu_;
  int reopen_count_ ABSL_GUARDED_BY(mu_) = 0;
  std::deque<BreakerTransition> log_ ABSL_GUARDED_BY(mu_);
};

}  // namespace serving
}  // namespace aisle

#endif  // AISLE_SERVING_CIRCUIT_BREAKER_H_
