// File: aisle/policy/reorderers.h
//
// The built-in reordering steps behind the one Reorderer interface, and the
// per-request report they fill. Each adapter wraps the step's existing class
// (whose own API stays usable) and adds its name, its stage and cumulative
// counters:
//
//   class                 name()            stage()     does
//   RuleAdjustReorderer   "business_rules"  kRules      RuleSet::ApplyAdjustments
//   LaunchBoost           "launch_boost"    kRules      (launch_boost.h)
//   CategoryCapReorderer  "category_cap"    kDiversify  CategoryCapDiversifier::Apply, to k
//   MmrReorderer          "mmr"             kDiversify  MmrDiversifier::Apply, to k
//   ExplorationReorderer  "exploration"     kExplore    new items at ctx.now, filtered,
//                                                       into ExplorationSlots, to k
//   PinReorderer          "pins"            kPins       RuleSet::ApplyPins, to k
//
// Per snapshot and surface:
//
//   std::vector<std::unique_ptr<const aisle::policy::Reorderer>> steps;
//   steps.push_back(std::make_unique<aisle::policy::RuleAdjustReorderer>(rules));
//   steps.push_back(std::make_unique<aisle::policy::CategoryCapReorderer>(std::move(caps)));
//   steps.push_back(aisle::policy::ExplorationReorderer::Create(
//       std::move(slots), pool, budget, {.new_item_window = absl::Hours(72)}).value());
//   steps.push_back(std::make_unique<aisle::policy::PinReorderer>(rules));
//
// Per request (the engine runs them in stage order, skipping a step whose
// ReorderContext::Enabled(i) is false):
//
//   aisle::policy::ReorderReport report;   // per thread, Clear() per request
//   aisle::policy::ReorderContext ctx{.now = clock.Now(), .k = k, .deadline = deadline,
//                                     .filters = &chain, .filter_context = &fctx,
//                                     .explore_share = arm_share, .arm = arm,
//                                     .report = &report};
//   for (const auto& step : steps) AISLE_RETURN_IF_ERROR(step->Apply(ctx, list));
//
// Thread-safe: every adapter is immutable after construction; its counters
// are relaxed atomics (read them with totals()); per-request scratch is
// per thread and reused, so a warm request allocates nothing per candidate.
#ifndef AISLE_POLICY_REORDERERS_H_
#define AISLE_POLICY_REORDERERS_H_

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "aisle/core/candidate.h"
#include "aisle/policy/business_rules.h"
#include "aisle/policy/category_cap.h"
#include "aisle/policy/exploration_slots.h"
#include "aisle/policy/exposure_budget.h"
#include "aisle/policy/mmr.h"
#include "aisle/policy/new_item_pool.h"
#include "aisle/policy/reorderer.h"

namespace aisle::policy {

// What the built-in reorderers did in one request, when
// ReorderContext::report points here. Reorderers add to it (a surface with
// two cap steps gets their sum). Reuse across requests: Clear() keeps
// capacity.
struct ReorderReport {
  RuleReport rules = {};                // adjustments and pins (RuleSet::rule_name)
  CategoryCapReport category_cap = {};  // deferred / relaxed by category caps
  MmrReport mmr = {};                   // picks by MMR; whether its deadline expired
  size_t explore_pool = 0;              // new items left after filters and budgets
  size_t explored = 0;                  // items placed in exploration slots
  size_t launch_boosted = 0;            // candidates given a launch boost

  void Clear() {
    rules.Clear();
    category_cap = {};
    mmr = {};
    explore_pool = 0;
    explored = 0;
    launch_boosted = 0;
  }
};

// Business-rule boosts, buries and campaigns (RuleSet::ApplyAdjustments),
// then a re-sort by score. A null rule set does nothing.
class RuleAdjustReorderer final : public Reorderer {
 public:
  struct Totals {
    uint64_t requests = 0;
    uint64_t adjusted = 0;  // candidate scores changed, summed over rules
  };
  explicit RuleAdjustReorderer(std::shared_ptr<const RuleSet> rules) : rules_(std::move(rules)) {}

  absl::string_view name() const override { return "business_rules"; }
  ReorderStage stage() const override { return ReorderStage::kRules; }
  // Rules see ctx.now (campaign windows); firings go to report->rules.
  absl::Status Apply(const ReorderContext& context, std::vector<Candidate>& list) const override;

  const std::shared_ptr<const RuleSet>& rules() const { return rules_; }
  Totals totals() const {
    return {requests_.load(std::memory_order_relaxed), adjusted_.load(std::memory_order_relaxed)};
  }

 private:
  std::shared_ptr<const RuleSet> rules_;
  mutable std::atomic<uint64_t> requests_{0};
  mutable std::atomic<uint64_t> adjusted_{0};
};

// Pins (RuleSet::ApplyPins), then truncation to ctx.k. Forced pins are
// resurrected from ctx.inventory at ctx.inventory_reserve. A null rule set
// only truncates.
class PinReorderer final : public Reorderer {
 public:
  struct Totals {
    uint64_t requests = 0;
    uint64_t pinned = 0;   // kPinned and kForcedPin
    uint64_t skipped = 0;  // every kPinSkipped* effect
  };
  explicit PinReorderer(std::shared_ptr<const RuleSet> rules) : rules_(std::move(rules)) {}

  absl::string_view name() const override { return "pins"; }
  ReorderStage stage() const override { return ReorderStage::kPins; }
  absl::Status Apply(const ReorderContext& context, std::vector<Candidate>& list) const override;

  const std::shared_ptr<const RuleSet>& rules() const { return rules_; }
  Totals totals() const {
    return {requests_.load(std::memory_order_relaxed), pinned_.load(std::memory_order_relaxed),
            skipped_.load(std::memory_order_relaxed)};
  }

 private:
  std::shared_ptr<const RuleSet> rules_;
  mutable std::atomic<uint64_t> requests_{0};
  mutable std::atomic<uint64_t> pinned_{0};
  mutable std::atomic<uint64_t> skipped_{0};
};

// Category caps over the top m, then truncation to ctx.k.
class CategoryCapReorderer final : public Reorderer {
 public:
  struct Totals {
    uint64_t requests = 0;
    uint64_t deferred = 0;
    uint64_t relaxed = 0;
  };
  explicit CategoryCapReorderer(CategoryCapDiversifier caps) : caps_(std::move(caps)) {}

  absl::string_view name() const override { return "category_cap"; }
  ReorderStage stage() const override { return ReorderStage::kDiversify; }
  absl::Status Apply(const ReorderContext& context, std::vector<Candidate>& list) const override;

  const CategoryCapDiversifier& caps() const { return caps_; }
  Totals totals() const {
    return {requests_.load(std::memory_order_relaxed), deferred_.load(std::memory_order_relaxed),
            relaxed_.load(std::memory_order_relaxed)};
  }

 private:
  CategoryCapDiversifier caps_;
  mutable std::atomic<uint64_t> requests_{0};
  mutable std::atomic<uint64_t> deferred_{0};
  mutable std::atomic<uint64_t> relaxed_{0};
};

// MMR into ctx.k items within ctx.deadline. Returns MmrDiversifier's
// InvalidArgument (a candidate without an embedding row; the list is then
// unchanged).
class MmrReorderer final : public Reorderer {
 public:
  struct Totals {
    uint64_t requests = 0;
    uint64_t deadline_expired = 0;  // requests MMR finished in score order
    uint64_t errors = 0;
  };
  explicit MmrReorderer(MmrDiversifier mmr) : mmr_(std::move(mmr)) {}

  absl::string_view name() const override { return "mmr"; }
  ReorderStage stage() const override { return ReorderStage::kDiversify; }
  absl::Status Apply(const ReorderContext& context, std::vector<Candidate>& list) const override;

  const MmrDiversifier& mmr() const { return mmr_; }
  Totals totals() const {
    return {requests_.load(std::memory_order_relaxed),
            deadline_expired_.load(std::memory_order_relaxed),
            errors_.load(std::memory_order_relaxed)};
  }

 private:
  MmrDiversifier mmr_;
  mutable std::atomic<uint64_t> requests_{0};
  mutable std::atomic<uint64_t> deadline_expired_{0};
  mutable std::atomic<uint64_t> errors_{0};
};

struct ExplorationOptions {
  // An item is new for exploration while now - launch is within this window
  // (> 0; infinite = every launched item).
  absl::Duration new_item_window = absl::Hours(24 * 14);
  // The newest items considered per request (before filters); >= 1.
  size_t max_pool = 1024;
  // Source bits given to placed items (the surface's exploration source bit,
  // so responses and impression logs can tell explored items apart).
  uint32_t sources = 0;
};

// Exploration slots filled from the new-item pool as of the request:
//   1. slots = the first round(ctx.explore_share * r) of the r positions
//      (share <= 0 or NaN: none, >= 1: all); none: the list is untouched;
//   2. pool = NewItemPool::Collect(ctx.now, new_item_window, max_pool),
//      newest first, freshness as score, tagged with `sources`;
//   3. items whose exposure budget is spent are dropped, then ctx.filters
//      run over the pool with *ctx.filter_context (an empty FilterContext
//      when it is null; no filters when ctx.filters is null);
//   4. ExplorationSlots::Apply(list, ctx.k, pool, budget, slots): each slot
//      takes the next pool item not already in the list whose budget has
//      room (one impression consumed), then the list is truncated to ctx.k.
// Counted per experiment arm (ctx.arm): requests, requests with exploration
// on, items placed; ReorderReport::explore_pool and ::explored per request.
class ExplorationReorderer final : public Reorderer {
 public:
  struct Totals {
    uint64_t requests = 0;   // Apply calls
    uint64_t exploring = 0;  // calls whose share gave at least one slot
    uint64_t placed = 0;     // items placed
  };

  // InvalidArgument for a null pool, a window <= 0 or max_pool == 0. The
  // budget may be null (no exposure limit).
  static absl::StatusOr<std::unique_ptr<ExplorationReorderer>> Create(
      ExplorationSlots slots, std::shared_ptr<const NewItemPool> pool,
      std::shared_ptr<ExposureBudget> budget, ExplorationOptions options = {});

  absl::string_view name() const override { return "exploration"; }
  ReorderStage stage() const override { return ReorderStage::kExplore; }
  absl::Status Apply(const ReorderContext& context, std::vector<Candidate>& list) const override;

  // The number of slots a share gives: 0 for share <= 0 or NaN, r for
  // share >= 1, else min(r, floor(share * r + 0.5)).
  static size_t SlotsFor(float share, size_t r);

  const ExplorationSlots& slots() const { return slots_; }
  const std::shared_ptr<const NewItemPool>& pool() const { return pool_; }
  // The budget, to carry over to the next snapshot (ExposureBudget::CarryOver).
  const std::shared_ptr<ExposureBudget>& budget() const { return budget_; }
  const ExplorationOptions& options() const { return options_; }

  // Totals of one arm (arm >= kMaxReorderArms reads the last slot), or of
  // every arm.
  Totals totals(uint32_t arm) const;
  Totals totals() const;

 private:
  ExplorationReorderer(ExplorationSlots slots, std::shared_ptr<const NewItemPool> pool,
                       std::shared_ptr<ExposureBudget> budget, ExplorationOptions options)
      : slots_(std::move(slots)),
        pool_(std::move(pool)),
        budget_(std::move(budget)),
        options_(options) {}

  struct ArmCounters {
    std::atomic<uint64_t> requests{0};
    std::atomic<uint64_t> exploring{0};
    std::atomic<uint64_t> placed{0};
  };

  ExplorationSlots slots_;
  std::shared_ptr<const NewItemPool> pool_;
  std::shared_ptr<ExposureBudget> budget_;
  ExplorationOptions options_;
  mutable std::array<ArmCounters, kMaxReorderArms> arms_;
};

}  // namespace aisle::policy

#endif  // AISLE_POLICY_REORDERERS_H_
