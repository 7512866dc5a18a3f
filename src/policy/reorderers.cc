#include "aisle/policy/reorderers.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "aisle/policy/filter_chain.h"

namespace aisle::policy {
namespace {

RuleContext RuleContextOf(const ReorderContext& c) {
  RuleContext rc;
  rc.now = c.now;
  rc.inventory = c.inventory;
  rc.reserve = c.inventory_reserve;
  return rc;
}

// The report rule firings go to: the request's, or a per-thread scratch one
// (the adapters count firings for their totals either way).
RuleReport& RuleSink(const ReorderContext& c) {
  if (c.report != nullptr) return c.report->rules;
  thread_local RuleReport scratch;
  scratch.Clear();
  return scratch;
}

}  // namespace

absl::Status RuleAdjustReorderer::Apply(const ReorderContext& context,
                                        std::vector<Candidate>& list) const {
  requests_.fetch_add(1, std::memory_order_relaxed);
  if (rules_ == nullptr) return absl::OkStatus();
  RuleReport& report = RuleSink(context);
  const size_t first = report.fired.size();
  rules_->ApplyAdjustments(RuleContextOf(context), list, &report);
  uint64_t adjusted = 0;
  for (size_t i = first; i < report.fired.size(); ++i) adjusted += report.fired[i].count;
  if (adjusted > 0) adjusted_.fetch_add(adjusted, std::memory_order_relaxed);
  return absl::OkStatus();
}

absl::Status PinReorderer::Apply(const ReorderContext& context,
                                 std::vector<Candidate>& list) const {
  requests_.fetch_add(1, std::memory_order_relaxed);
  if (rules_ == nullptr) {
    if (list.size() > context.k) list.resize(context.k);
    return absl::OkStatus();
  }
  RuleReport& report = RuleSink(context);
  const size_t first = report.fired.size();
  rules_->ApplyPins(RuleContextOf(context), context.k, list, &report);
  uint64_t pinned = 0, skipped = 0;
  for (size_t i = first; i < report.fired.size(); ++i) {
    const RuleEffect e = report.fired[i].effect;
    if (e == RuleEffect::kPinned || e == RuleEffect::kForcedPin) {
      ++pinned;
    } else if (e != RuleEffect::kAdjusted) {
      ++skipped;
    }
  }
  if (pinned > 0) pinned_.fetch_add(pinned, std::memory_order_relaxed);
  if (skipped > 0) skipped_.fetch_add(skipped, std::memory_order_relaxed);
  return absl::OkStatus();
}

absl::Status CategoryCapReorderer::Apply(const ReorderContext& context,
                                         std::vector<Candidate>& list) const {
  requests_.fetch_add(1, std::memory_order_relaxed);
  const CategoryCapReport r = caps_.Apply(list, context.k);
  if (r.deferred > 0) deferred_.fetch_add(r.deferred, std::memory_order_relaxed);
  if (r.relaxed > 0) relaxed_.fetch_add(r.relaxed, std::memory_order_relaxed);
  if (context.report != nullptr) {
    context.report->category_cap.deferred += r.deferred;
    context.report->category_cap.relaxed += r.relaxed;
  }
  return absl::OkStatus();
}

absl::Status MmrReorderer::Apply(const ReorderContext& context,
                                 std::vector<Candidate>& list) const {
  requests_.fetch_add(1, std::memory_order_relaxed);
  MmrReport r;
  absl::Status s = mmr_.Apply(list, context.k, context.deadline, &r);
  if (!s.ok()) {
    errors_.fetch_add(1, std::memory_order_relaxed);
    return s;
  }
  if (r.deadline_expired) deadline_expired_.fetch_add(1, std::memory_order_relaxed);
  if (context.report != nullptr) {
    context.report->mmr.selected_by_mmr += r.selected_by_mmr;
    context.report->mmr.deadline_expired =
        context.report->mmr.deadline_expired || r.deadline_expired;
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<ExplorationReorderer>> ExplorationReorderer::Create(
    ExplorationSlots slots, std::shared_ptr<const NewItemPool> pool,
    std::shared_ptr<ExposureBudget> budget, ExplorationOptions options) {
  if (pool == nullptr) return absl::InvalidArgumentError("exploration: the new-item pool is null");
  if (options.new_item_window <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError(absl::StrCat("exploration: new-item window ",
                                                   absl::FormatDuration(options.new_item_window),
                                                   " is not positive"));
  }
  if (options.max_pool == 0) {
    return absl::InvalidArgumentError("exploration: max_pool must be at least 1");
  }
  return std::unique_ptr<ExplorationReorderer>(
      new ExplorationReorderer(std::move(slots), std::move(pool), std::move(budget), options));
}

size_t ExplorationReorderer::SlotsFor(float share, size_t r) {
  if (!(share > 0.0f)) return 0;  // NaN included
  if (share >= 1.0f) return r;
  const double n = std::floor(static_cast<double>(share) * static_cast<double>(r) + 0.5);
  return std::min(r, static_cast<size_t>(n));
}

absl::Status ExplorationReorderer::Apply(const ReorderContext& context,
                                         std::vector<Candidate>& list) const {
  ArmCounters& arm = arms_[std::min<uint32_t>(context.arm, kMaxReorderArms - 1)];
  arm.requests.fetch_add(1, std::memory_order_relaxed);
  const size_t slots = SlotsFor(context.explore_share, slots_.positions().size());
  if (slots == 0) return absl::OkStatus();
  arm.exploring.fetch_add(1, std::memory_order_relaxed);

  thread_local std::vector<Candidate> pool;
  pool_->Collect(context.now, options_.new_item_window, options_.max_pool, pool, options_.sources);
  if (budget_ != nullptr) {
    CompactCandidates(pool, [&](const Candidate& c) { return budget_->Remaining(c.item) > 0; });
  }
  if (context.filters != nullptr && !pool.empty()) {
    static const FilterContext kNoRequest;
    context.filters->Run(context.filter_context != nullptr ? *context.filter_context : kNoRequest,
                         pool);
  }
  const size_t placed = slots_.Apply(list, context.k, pool, budget_.get(), slots);
  if (placed > 0) arm.placed.fetch_add(placed, std::memory_order_relaxed);
  if (context.report != nullptr) {
    context.report->explore_pool += pool.size();
    context.report->explored += placed;
  }
  return absl::OkStatus();
}

ExplorationReorderer::Totals ExplorationReorderer::totals(uint32_t arm) const {
  const ArmCounters& a = arms_[std::min<uint32_t>(arm, kMaxReorderArms - 1)];
  return {a.requests.load(std::memory_order_relaxed), a.exploring.load(std::memory_order_relaxed),
          a.placed.load(std::memory_order_relaxed)};
}

ExplorationReorderer::Totals ExplorationReorderer::totals() const {
  Totals t;
  for (uint32_t a = 0; a < kMaxReorderArms; ++a) {
    const Totals x = totals(a);
    t.requests += x.requests;
    t.exploring += x.exploring;
    t.placed += x.placed;
  }
  return t;
}

}  // namespace aisle::policy
