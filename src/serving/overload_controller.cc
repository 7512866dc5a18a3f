#include "aisle/serving/overload_controller.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <utility>

#include "absl/strings/str_cat.h"

namespace aisle {
namespace serving {
namespace {

bool In(double v, double lo, double hi, bool lo_open, bool hi_open) {
  if (!std::isfinite(v)) return false;
  if (lo_open ? v <= lo : v < lo) return false;
  if (hi_open ? v >= hi : v > hi) return false;
  return true;
}

OverloadOptions Clamped(OverloadOptions o) {
  const OverloadOptions d;
  if (o.budget <= absl::ZeroDuration()) o.budget = d.budget;
  if (!In(o.target_fraction, 0, 1, true, false)) o.target_fraction = d.target_fraction;
  if (!In(o.percentile, 0, 1, true, true)) o.percentile = d.percentile;
  if (!In(o.ewma_alpha, 0, 1, true, false)) o.ewma_alpha = d.ewma_alpha;
  if (o.max_in_flight < 1) o.max_in_flight = d.max_in_flight;
  if (o.adjust_interval < absl::ZeroDuration()) o.adjust_interval = d.adjust_interval;
  if (!In(o.decrease_factor, 0, 1, true, true)) o.decrease_factor = d.decrease_factor;
  if (!In(o.increase_step, 0, 1, true, false)) o.increase_step = d.increase_step;
  if (!In(o.min_quality, 0, 1, true, false)) o.min_quality = d.min_quality;
  if (!In(o.cheaper_ranker_below, 0, 1, false, false)) o.cheaper_ranker_below = 0;
  if (!In(o.cache_only_below, 0, 1, false, false)) o.cache_only_below = 0;
  return o;
}

// Adds `alpha * (x - ewma)` with a compare-and-swap loop.
void UpdateEwma(std::atomic<double>& ewma, double x, double alpha) {
  double old = ewma.load(std::memory_order_relaxed);
  while (!ewma.compare_exchange_weak(old, old + alpha * (x - old), std::memory_order_relaxed)) {
  }
}

}  // namespace

OverloadController::InFlightToken& OverloadController::InFlightToken::operator=(
    InFlightToken&& other) noexcept {
  if (this != &other) {
    Release();
    controller_ = other.controller_;
    start_nanos_ = other.start_nanos_;
    other.controller_ = nullptr;
  }
  return *this;
}

absl::Duration OverloadController::InFlightToken::Complete() {
  if (controller_ == nullptr) return absl::ZeroDuration();
  const absl::Duration latency =
      absl::Nanoseconds(controller_->clock_.MonotonicNanos() - start_nanos_);
  OverloadController* c = controller_;
  Release();
  c->Observe(latency);
  return latency;
}

void OverloadController::InFlightToken::Release() {
  if (controller_ == nullptr) return;
  controller_->in_flight_.fetch_sub(1, std::memory_order_relaxed);
  controller_ = nullptr;
}

absl::Status OverloadController::Validate(const OverloadOptions& o) {
  auto bad = [&](absl::string_view field, const auto& value, absl::string_view want) {
    return absl::InvalidArgumentError(absl::StrCat("overload controller for surface \"", o.surface,
                                                   "\": ", field, " = ", value, " ", want));
  };
  if (o.budget <= absl::ZeroDuration()) {
    return bad("budget", absl::FormatDuration(o.budget), "must be positive");
  }
  if (!In(o.target_fraction, 0, 1, true, false)) {
    return bad("target_fraction", o.target_fraction, "must be in (0, 1]");
  }
  if (!In(o.percentile, 0, 1, true, true)) {
    return bad("percentile", o.percentile, "must be in (0, 1)");
  }
  if (!In(o.ewma_alpha, 0, 1, true, false)) {
    return bad("ewma_alpha", o.ewma_alpha, "must be in (0, 1]");
  }
  if (o.max_in_flight < 1) return bad("max_in_flight", o.max_in_flight, "must be >= 1");
  if (o.adjust_interval < absl::ZeroDuration()) {
    return bad("adjust_interval", absl::FormatDuration(o.adjust_interval), "must be >= 0");
  }
  if (!In(o.decrease_factor, 0, 1, true, true)) {
    return bad("decrease_factor", o.decrease_factor, "must be in (0, 1)");
  }
  if (!In(o.increase_step, 0, 1, true, false)) {
    return bad("increase_step", o.increase_step, "must be in (0, 1]");
  }
  if (!In(o.min_quality, 0, 1, true, false)) {
    return bad("min_quality", o.min_quality, "must be in (0, 1]");
  }
  if (!In(o.cheaper_ranker_below, 0, 1, false, false)) {
    return bad("cheaper_ranker_below", o.cheaper_ranker_below, "must be in [0, 1]");
  }
  if (!In(o.cache_only_below, 0, 1, false, false)) {
    return bad("cache_only_below", o.cache_only_below, "must be in [0, 1]");
  }
  if (o.cache_only_below > o.cheaper_ranker_below) {
    return bad("cache_only_below", o.cache_only_below,
               absl::StrCat("must be <= cheaper_ranker_below (", o.cheaper_ranker_below, ")"));
  }
  return absl::OkStatus();
}

OverloadController::OverloadController(OverloadOptions options, const Clock& clock)
    : options_(Clamped(std::move(options))),
      clock_(clock),
      budget_nanos_(static_cast<double>(absl::ToInt64Nanoseconds(options_.budget))),
      interval_nanos_(absl::ToInt64Nanoseconds(options_.adjust_interval)),
      last_adjust_nanos_(clock.MonotonicNanos()) {}

OverloadController::InFlightToken OverloadController::Enter() {
  const int64_t now = clock_.MonotonicNanos();
  const int32_t n = in_flight_.fetch_add(1, std::memory_order_relaxed) + 1;
  if (n > options_.max_in_flight) MaybeAdjust(now);
  return InFlightToken(this, now);
}

void OverloadController::Observe(absl::Duration latency) {
  const double ratio = static_cast<double>(absl::ToInt64Nanoseconds(latency)) / budget_nanos_;
  UpdateEwma(latency_ewma_, ratio, options_.ewma_alpha);
  UpdateEwma(exceed_ewma_, ratio > options_.target_fraction ? 1.0 : 0.0, options_.ewma_alpha);
  observations_.fetch_add(1, std::memory_order_relaxed);
  MaybeAdjust(clock_.MonotonicNanos());
}

void OverloadController::MaybeAdjust(int64_t now_nanos) {
  int64_t last = last_adjust_nanos_.load(std::memory_order_relaxed);
  if (now_nanos - last < interval_nanos_) return;
  // Elect one thread to take this step.
  if (!last_adjust_nanos_.compare_exchange_strong(last, now_nanos, std::memory_order_relaxed)) {
    return;
  }
  const bool pressure = exceed_ewma_.load(std::memory_order_relaxed) > 1.0 - options_.percentile ||
                        in_flight_.load(std::memory_order_relaxed) > options_.max_in_flight;
  const double q = quality_.load(std::memory_order_relaxed);
  if (pressure) {
    const double next = std::max(options_.min_quality, q * options_.decrease_factor);
    if (next < q) {
      quality_.store(next, std::memory_order_relaxed);
      decreases_.fetch_add(1, std::memory_order_relaxed);
    }
  } else if (q < 1.0) {
    quality_.store(std::min(1.0, q + options_.increase_step), std::memory_order_relaxed);
    increases_.fetch_add(1, std::memory_order_relaxed);
  }
}

ShedPlan OverloadController::PlanFor(double quality) const {
  ShedPlan p;
  p.quality = quality;
  p.quota_multiplier = quality;
  p.cheaper_ranker = quality < options_.cheaper_ranker_below;
  p.cache_only = quality < options_.cache_only_below;
  return p;
}

OverloadStats OverloadController::stats() const {
  OverloadStats s;
  s.quality = quality();
  s.latency_ewma_ratio = latency_ewma_.load(std::memory_order_relaxed);
  s.exceed_fraction = exceed_ewma_.load(std::memory_order_relaxed);
  s.in_flight = in_flight();
  s.observations = observations_.load(std::memory_order_relaxed);
  s.decreases = decreases_.load(std::memory_order_relaxed);
  s.increases = increases_.load(std::memory_order_relaxed);
  return s;
}

}  // namespace serving
}  // namespace aisle
