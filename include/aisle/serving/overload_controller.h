// File: aisle/serving/overload_controller.h
//
// OverloadController sheds work on one surface before deadlines are missed.
// Its inputs are each request's observed latency against the surface's
// budget and the number of requests in flight (counted by an RAII
// InFlightToken). Its output is a quality factor in [min_quality, 1] that is
// reported in responses and metrics, and the ShedPlan derived from it:
// candidate quotas scaled by the factor, a cheaper ranker below one
// threshold, serve-from-cache-only below a lower one.
//
// Control law (AIMD, at most one step per `adjust_interval`):
//   pressure  = p95 latency > target_fraction * budget   (see below)
//            or in_flight > max_in_flight
//   pressure  -> quality = max(min_quality, quality * decrease_factor)
//   otherwise -> quality = min(1, quality + increase_step)
// The p95 test needs no histogram: the controller keeps an EWMA of the
// indicator "this request took longer than target_fraction * budget"; the
// p-th percentile exceeds the target exactly when more than (1 - p) of the
// requests do, so pressure is `exceed_ewma > 1 - percentile`. An EWMA of
// latency / budget is kept too, for metrics. Defaults: target 0.8 of the
// budget, p95, alpha 0.01 (about the last 100 requests; a surface whose
// every request turns slow sees pressure after 6), interval 100 ms,
// decrease x0.7, increase +0.05 (from the floor 0.1 back to 1 takes ~1.8 s
// of calm traffic), cheaper ranker below 0.5, cache only below 0.2.
//
//   aisle::serving::OverloadController overload({.surface = "home",
//                                               .budget = absl::Milliseconds(40)});
//   auto token = overload.Enter();                 // counts the request in flight
//   aisle::serving::ShedPlan plan = overload.Plan();
//   uint32_t ann_quota = plan.ScaleQuota(200);
//   if (plan.cache_only) { ... FallbackReason::kOverload ... }
//   ...
//   token.Complete();                              // observes the latency, leaves
//
// Thread-safe and lock-free: Plan() and quality() are one relaxed atomic
// load; Observe() is two compare-and-swap loops on EWMAs plus, at most once
// per interval, one compare-and-swap that elects the thread doing the step.
#ifndef AISLE_SERVING_OVERLOAD_CONTROLLER_H_
#define AISLE_SERVING_OVERLOAD_CONTROLLER_H_

#include <atomic>
#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "aisle/core/clock.h"

namespace aisle {
namespace serving {

struct OverloadOptions {
  std::string surface = "default";
  // The surface's per-request latency budget.
  absl::Duration budget = absl::Milliseconds(50);
  // Pressure when the watched percentile of latency passes this fraction of
  // the budget (0, 1].
  double target_fraction = 0.8;
  // The watched percentile, in (0, 1).
  double percentile = 0.95;
  // Weight of each request in the EWMAs, in (0, 1]. The default (0.01,
  // about the last 100 requests) lets the exceedance estimate resolve a 5%
  // tail: at 0.05 (about 20 requests) two descheduled requests in a row
  // already read as "p95 over target" and shed work on a healthy surface.
  double ewma_alpha = 0.01;
  // Pressure when more requests than this are in flight.
  int max_in_flight = 64;
  // At most one quality step per interval.
  absl::Duration adjust_interval = absl::Milliseconds(100);
  // Multiplicative decrease under pressure, in (0, 1).
  double decrease_factor = 0.7;
  // Additive increase without pressure, in (0, 1].
  double increase_step = 0.05;
  // Floor of the quality factor, in (0, 1].
  double min_quality = 0.1;
  // ShedPlan thresholds: quality strictly below them switches the behaviour.
  double cheaper_ranker_below = 0.5;
  double cache_only_below = 0.2;
};

// What to shed for one request, derived from the quality factor.
struct ShedPlan {
  double quality = 1.0;
  // Multiply every candidate source's quota by this (== quality).
  double quota_multiplier = 1.0;
  // Use the surface's cheaper ranker (e.g. linear instead of GBDT).
  bool cheaper_ranker = false;
  // Serve from cache only (or the next fallback level), reason kOverload.
  bool cache_only = false;

  // quota * quota_multiplier rounded down, but at least 1 for a non-zero quota.
  uint32_t ScaleQuota(uint32_t quota) const {
    if (quota == 0) return 0;
    const double scaled = static_cast<double>(quota) * quota_multiplier;
    return scaled < 1.0 ? 1u : static_cast<uint32_t>(scaled);
  }
};

// A metrics view of a controller.
struct OverloadStats {
  double quality;
  double latency_ewma_ratio;  // EWMA of latency / budget
  double exceed_fraction;     // EWMA of P(latency > target_fraction * budget)
  int in_flight;
  uint64_t observations;
  uint64_t decreases;
  uint64_t increases;
};

class OverloadController {
 public:
  // Counts one request in flight from Enter() until Complete() or
  // destruction. Movable, not copyable. Thread-compatible.
  class InFlightToken {
   public:
    InFlightToken() = default;
    InFlightToken(InFlightToken&& other) noexcept
        : controller_(other.controller_), start_nanos_(other.start_nanos_) {
      other.controller_ = nullptr;
    }
    InFlightToken& operator=(InFlightToken&& other) noexcept;
    InFlightToken(const InFlightToken&) = delete;
    InFlightToken& operator=(const InFlightToken&) = delete;
    ~InFlightToken() { Release(); }

    // Observes the latency since Enter() and leaves the in-flight count.
    // Returns that latency. Later calls do nothing and return zero.
    absl::Duration Complete();
    // Leaves the in-flight count without observing a latency.
    void Release();

   private:
    friend class OverloadController;
    InFlightToken(OverloadController* c, int64_t start) : controller_(c), start_nanos_(start) {}
    OverloadController* controller_ = nullptr;
    int64_t start_nanos_ = 0;
  };

  // InvalidArgument naming the surface and the field.
  static absl::Status Validate(const OverloadOptions& options);
  // `options` should be valid (invalid values are replaced by defaults).
  // `clock` must outlive the controller.
  explicit OverloadController(OverloadOptions options, const Clock& clock = Clock::Real());
  OverloadController(const OverloadController&) = delete;
  OverloadController& operator=(const OverloadController&) = delete;

  InFlightToken Enter();
  // Feeds one request's end-to-end latency.
  void Observe(absl::Duration latency);

  double quality() const { return quality_.load(std::memory_order_relaxed); }
  ShedPlan Plan() const { return PlanFor(quality()); }
  ShedPlan PlanFor(double quality) const;
  int in_flight() const { return in_flight_.load(std::memory_order_relaxed); }
  OverloadStats stats() const;
  const OverloadOptions& options() const { return options_; }

 private:
  void MaybeAdjust(int64_t now_nanos);

  const OverloadOptions options_;
  const Clock& clock_;
  const double budget_nanos_;
  const int64_t interval_nanos_;
  std::atomic<double> quality_{1.0};
  std::atomic<double> latency_ewma_{0.0};
  std::atomic<double> exceed_ewma_{0.0};
  std::atomic<int32_t> in_flight_{0};
  std::atomic<int64_t> last_adjust_nanos_;
  std::atomic<uint64_t> observations_{0};
  std::atomic<uint64_t> decreases_{0};
  std::atomic<uint64_t> increases_{0};
};

}  // namespace serving
}  // namespace aisle

#endif  // AISLE_SERVING_OVERLOAD_CONTROLLER_H_
