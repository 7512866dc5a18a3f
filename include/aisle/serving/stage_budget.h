// File: aisle/serving/stage_budget.h
//
// Per-stage latency budgets inside a request's deadline. StageBudgets holds
// the configured split of a request budget over the pipeline stages
// (retrieve, filter, features, rank, rules, diversify, explore, respond) as
// fractions; RequestBudget applies it to
// one request's Deadline. Between stages the pipeline asks whether the next
// stage still fits in what is left, so it can skip to a fallback level
// (FallbackReason::kDeadline) before overrunning instead of after.
//
// What is left is shared among the stages still to run in proportion to
// their fractions: a fast retrieve leaves its unused time to the stages
// after it. A stage fits when its share of what is left is at least
// `min_fit_fraction` of its planned budget (fraction x the request budget).
//
//   AISLE_ASSIGN_OR_RETURN(auto budgets, aisle::serving::StageBudgets::Create(
//       {.retrieve = 0.35, .features = 0.2, .rank = 0.3, .rules = 0.05, .diversify = 0.05}));
//   aisle::serving::RequestBudget rb(budgets, aisle::Deadline::In(absl::Milliseconds(40)));
//   rb.Begin(Stage::kRetrieve);  Retrieve(rb.StageDeadline(Stage::kRetrieve));
//   rb.End(Stage::kRetrieve); if (!rb.Fits(Stage::kRank))
//   cursor.StepDown(FallbackReason::kDeadline);
//   ...
//   response.stage_latency_ms[...] = absl::ToDoubleMilliseconds(rb.elapsed(Stage::kRank));
//
// StageBudgets is an immutable value: thread-safe. RequestBudget belongs to
// one request: thread-compatible, allocation-free; its Deadline's clock must
// outlive it.
#ifndef AISLE_SERVING_STAGE_BUDGET_H_
#define AISLE_SERVING_STAGE_BUDGET_H_

#include <array>
#include <cstdint>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "aisle/core/deadline.h"

namespace aisle {
namespace serving {

// The stages of a request, in the order the engine runs them. The values are
// stable (responses and metrics index by them); new stages are appended.
enum class Stage : uint8_t {
  kRetrieve = 0,   // candidate sources, merged under quotas
  kFilter = 1,     // inventory, policy, exclusion
  kFeatures = 2,   // feature assembly
  kRank = 3,       // the ranker
  kRules = 4,      // business rules, launch boosts, and pins (last)
  kDiversify = 5,  // category caps, MMR
  kExplore = 6,    // exploration slots
  kRespond = 7,    // the response: ids, reasons, experiments, shadows
};
inline constexpr int kNumStages = 8;
// "retrieve", "filter", "features", "rank", "rules", "diversify", "explore",
// "respond".
absl::string_view StageName(Stage stage);

struct StageBudgetOptions {
  // Fractions of the request budget, each in [0, 1], summing to at most 1
  // (what is not given to a stage is slack).
  double retrieve = 0.30;
  double filter = 0.05;
  double features = 0.20;
  double rank = 0.30;
  double rules = 0.05;
  double diversify = 0.05;
  double explore = 0.03;
  double respond = 0.02;
  // A stage fits when its share of what is left is at least this fraction
  // of its planned budget, in [0, 1].
  double min_fit_fraction = 0.5;
};

class StageBudgets {
 public:
  // InvalidArgument naming the stage and value for a negative, non-finite
  // or too large fraction, or fractions summing to more than 1 or to 0.
  static absl::StatusOr<StageBudgets> Create(const StageBudgetOptions& options);

  double fraction(Stage s) const { return fractions_[static_cast<int>(s)]; }
  double min_fit_fraction() const { return min_fit_fraction_; }
  // fraction(s) x request_budget.
  absl::Duration Planned(Stage s, absl::Duration request_budget) const {
    return request_budget * fraction(s);
  }
  // Sum of the fractions of stages s, s+1, ..., kRespond.
  double FractionFrom(Stage s) const { return suffix_[static_cast<int>(s)]; }

 private:
  StageBudgets() = default;
  std::array<double, kNumStages> fractions_{};
  std::array<double, kNumStages + 1> suffix_{};
  double min_fit_fraction_ = 0.5;
};

class RequestBudget {
 public:
  // `budgets` must outlive this object. The request budget is what
  // `deadline` has left now (an infinite deadline fits every stage).
  RequestBudget(const StageBudgets& budgets, Deadline deadline);

  const Deadline& deadline() const { return deadline_; }
  absl::Duration total() const { return total_; }
  absl::Duration Remaining() const { return deadline_.Remaining(); }
  // fraction(s) x total().
  absl::Duration Planned(Stage s) const { return budgets_->Planned(s, total_); }
  // s's proportional share of what is left now.
  absl::Duration Share(Stage s) const;
  // Whether s is worth starting: Share(s) >= min_fit_fraction x Planned(s),
  // and the deadline has not expired. A zero-fraction stage fits while the
  // deadline has not expired.
  bool Fits(Stage s) const;
  // The deadline to pass into stage s: now + Share(s), never later than the
  // request's deadline.
  Deadline StageDeadline(Stage s) const;

  // Per-stage elapsed time, for the response.
  void Begin(Stage s) { begin_nanos_[static_cast<int>(s)] = deadline_.clock().MonotonicNanos(); }
  void End(Stage s) {
    const int i = static_cast<int>(s);
    elapsed_nanos_[i] += deadline_.clock().MonotonicNanos() - begin_nanos_[i];
  }
  absl::Duration elapsed(Stage s) const {
    return absl::Nanoseconds(elapsed_nanos_[static_cast<int>(s)]);
  }
  // Whether stage s ran over its planned budget.
  bool Overran(Stage s) const { return elapsed(s) > Planned(s); }

 private:
  const StageBudgets* budgets_;
  Deadline deadline_;
  absl::Duration total_;
  std::array<int64_t, kNumStages> begin_nanos_{};
  std::array<int64_t, kNumStages> elapsed_nanos_{};
};

}  // namespace serving
}  // namespace aisle

#endif  // AISLE_SERVING_STAGE_BUDGET_H_
