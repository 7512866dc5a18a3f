// File: aisle/policy/reorderer.h
//
// Reorderer: the one interface of the steps that reshape a ranked list after
// the ranker (business-rule adjustments, launch boosts, category caps, MMR,
// exploration slots, pins). The engine runs a surface's reorderers in the
// order the framework fixes (rules, then diversify, then explore; pins are a
// rule that always runs last) and times each stage; a new reordering step is
// one class behind this interface, placed in a stage.
//
//   class LaunchBoost final : public aisle::policy::Reorderer {
//    public:
//     absl::string_view name() const override { return "launch_boost"; }
//     ReorderStage stage() const override { return ReorderStage::kRules; }
//     absl::Status Apply(const ReorderContext& ctx, std::vector<Candidate>& list) const override;
//   };
//
// Contract: Apply() works on `list` in place (it may reorder, rescore,
// insert or remove candidates, and must not leave an item twice), keeps
// what it cannot improve as it is, allocates nothing per candidate after
// warm-up, checks ctx.deadline at block boundaries when it can run long, and
// returns an error only for a failure the engine should report (the stage's
// failure then maps to the fallback reason of its stage).
//
// Per-request knobs (all in ReorderContext, set by the engine from the
// request's plan):
// - `enabled`: bit i switches off the reorderer the engine numbered i (its
//   index in the surface's list). The engine checks it and does not call a
//   reorderer whose bit is clear; reorderers never read it.
// - `explore_share`: the fraction of its positions the exploration stage
//   fills in this request (0 = no exploration, the control arm of an
//   exploration experiment; 1 = all positions). Read by ExplorationReorderer.
// - `arm`: the request's experiment arm, for counters that compare arms
//   (ExplorationReorderer counts requests and placements per arm).
// - `report`: where the built-in reorderers write what they did in this
//   request (rule firings, cap deferrals, MMR picks, exploration placements,
//   launch boosts); see ReorderReport in reorderers.h. Null: no report.
//
// Thread-safety: implementations are immutable after construction (shared
// state such as exposure counters is thread-safe): Apply() runs concurrently
// from any number of request threads.
#ifndef AISLE_POLICY_REORDERER_H_
#define AISLE_POLICY_REORDERER_H_

#include <cstddef>
#include <cstdint>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "aisle/core/candidate.h"
#include "aisle/core/deadline.h"
#include "aisle/core/ids.h"

namespace aisle::policy {

class LiveInventory;
class FilterChain;
struct FilterContext;
struct ReorderReport;

// Where a reorderer runs; stages run in this order.
enum class ReorderStage : uint8_t {
  kRules = 0,      // adjustments, boosts, buries, campaign overrides
  kDiversify = 1,  // category caps, MMR
  kExplore = 2,    // exploration slots for new items
  kPins = 3,       // pins, always last, so nothing moves a pinned item
};
inline constexpr int kNumReorderStages = 4;
// "rules", "diversify", "explore", "pins".
absl::string_view ReorderStageName(ReorderStage stage);

// What one request gives its reorderers.
struct ReorderContext {
  absl::Time now;
  size_t k = 0;  // the response size; the list may be longer until the end
  Deadline deadline;
  const LiveInventory* inventory = nullptr;  // live stock (may be null)
  int32_t inventory_reserve = 0;             // the surface's reserve
  absl::Span<const ItemIndex> seeds;         // the request's seed items
  // The surface's filters (inventory, policy, exclusion) and their request
  // context, for extra candidates a reorderer brings in (an exploration
  // pool, say): run `filters->Run(*filter_context, extra)`. Null: no filters.
  const FilterChain* filters = nullptr;
  const FilterContext* filter_context = nullptr;
  // Per-request on/off switches, set by the plan: bit i belongs to the
  // reorderer the engine numbered i (its index in the surface's list); the
  // engine skips a reorderer whose bit is clear. All on by default.
  uint64_t enabled = ~uint64_t{0};
  // The fraction of the exploration positions this request fills, in [0, 1]
  // (an exploration experiment's parameter): the first
  // round(explore_share * positions) positions in ascending order. 0 (or
  // NaN) turns exploration off for the request while still counting it in
  // its arm; 1 (default) fills them all.
  float explore_share = 1.0f;
  // The request's experiment arm (the variant's index in its layer), for
  // per-arm counters; arms >= kMaxReorderArms share the last counter slot.
  uint32_t arm = 0;
  // Where the built-in reorderers report this request (ReorderReport,
  // reorderers.h); null: no report. Cleared by the caller, added to by
  // the reorderers.
  ReorderReport* report = nullptr;

  // Whether reorderer i is switched on (indices >= 64 are always on).
  bool Enabled(size_t i) const { return i >= 64 || ((enabled >> i) & 1) != 0; }
};

// Per-arm counters keep this many arms apart (arm ids beyond share the last).
inline constexpr uint32_t kMaxReorderArms = 8;

class Reorderer {
 public:
  virtual ~Reorderer() = default;
  // A stable snake_case name for metrics, logs and per-item reasons.
  virtual absl::string_view name() const = 0;
  virtual ReorderStage stage() const = 0;
  virtual absl::Status Apply(const ReorderContext& context, std::vector<Candidate>& list) const = 0;
};

}  // namespace aisle::policy

#endif  // AISLE_POLICY_REORDERER_H_
