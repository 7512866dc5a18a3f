#include "aisle/serving/stage_budget.h"

#include <cmath>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace aisle {
namespace serving {
namespace {
constexpr absl::string_view kStageNames[kNumStages] = {
    "retrieve", "filter", "features", "rank", "rules", "diversify", "explore", "respond"};
}  // namespace

absl::string_view StageName(Stage stage) {
  const int i = static_cast<int>(stage);
  return i < kNumStages ? kStageNames[i] : absl::string_view("unknown");
}

absl::StatusOr<StageBudgets> StageBudgets::Create(const StageBudgetOptions& o) {
  StageBudgets b;
  b.fractions_ = {o.retrieve, o.filter,    o.features, o.rank,
                  o.rules,    o.diversify, o.explore,  o.respond};
  double sum = 0;
  for (int i = 0; i < kNumStages; ++i) {
    const double f = b.fractions_[i];
    if (!std::isfinite(f) || f < 0.0 || f > 1.0) {
      return absl::InvalidArgumentError(
          absl::StrCat("stage budget for \"", kStageNames[i], "\" = ", f, " must be in [0, 1]"));
    }
    sum += f;
  }
  if (sum > 1.0 + 1e-9) {
    std::string parts;
    for (int i = 0; i < kNumStages; ++i) {
      absl::StrAppend(&parts, i ? ", " : "", kStageNames[i], " ", b.fractions_[i]);
    }
    return absl::InvalidArgumentError(
        absl::StrCat("stage budgets sum to ", sum, " (", parts, "); they must sum to at most 1"));
  }
  if (sum <= 0.0) return absl::InvalidArgumentError("stage budgets are all zero");
  if (!std::isfinite(o.min_fit_fraction) || o.min_fit_fraction < 0.0 || o.min_fit_fraction > 1.0) {
    return absl::InvalidArgumentError(
        absl::StrCat("stage budget min_fit_fraction = ", o.min_fit_fraction, " must be in [0, 1]"));
  }
  b.min_fit_fraction_ = o.min_fit_fraction;
  b.suffix_[kNumStages] = 0;
  for (int i = kNumStages - 1; i >= 0; --i) b.suffix_[i] = b.suffix_[i + 1] + b.fractions_[i];
  return b;
}

RequestBudget::RequestBudget(const StageBudgets& budgets, Deadline deadline)
    : budgets_(&budgets), deadline_(deadline), total_(deadline.Remaining()) {}

absl::Duration RequestBudget::Share(Stage s) const {
  const absl::Duration left = deadline_.Remaining();
  if (left == absl::InfiniteDuration()) return left;
  const double rest = budgets_->FractionFrom(s);
  if (rest <= 0.0) return absl::ZeroDuration();
  return left * (budgets_->fraction(s) / rest);
}

bool RequestBudget::Fits(Stage s) const {
  if (deadline_.IsInfinite()) return true;
  if (deadline_.Expired()) return false;
  return Share(s) >= Planned(s) * budgets_->min_fit_fraction();
}

Deadline RequestBudget::StageDeadline(Stage s) const {
  if (deadline_.IsInfinite()) return deadline_;
  return deadline_.Sooner(Share(s));
}

}  // namespace serving
}  // namespace aisle
