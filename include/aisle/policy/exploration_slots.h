// File: aisle/policy/exploration_slots.h
//
// ExplorationSlots: reserves r of the k response slots, at fixed positions,
// for items from a new-item pool (a candidate list, best first, already
// filtered by the caller's FilterChain). For each reserved position in
// ascending order it takes the next pool item that is not already in the list
// and whose ExposureBudget still has room (consuming one impression), and
// inserts it there; organic items shift down and the list is truncated to k.
// A position at or beyond k is ignored; a position beyond the list puts the
// item at the end. When the pool runs dry the slot stays organic.
//
//   auto slots = aisle::policy::ExplorationSlots::Create({3, 9});   // 2 of k
//   size_t placed = slots->Apply(ranked, /*k=*/20, new_item_pool, &budget);
//
// Basic version: an impression is counted when an item is placed (not when
// the response is confirmed shown); no bandit/uncertainty ordering of the
// pool, no per-segment budgets, no budget decay over time.
//
// Thread-safe (immutable after Create; the budget is thread-safe).
#ifndef AISLE_POLICY_EXPLORATION_SLOTS_H_
#define AISLE_POLICY_EXPLORATION_SLOTS_H_

#include <cstddef>
#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "aisle/core/candidate.h"
#include "aisle/policy/exposure_budget.h"

namespace aisle::policy {

class ExplorationSlots {
 public:
  // InvalidArgument naming a position that appears twice.
  static absl::StatusOr<ExplorationSlots> Create(std::vector<uint32_t> positions);

  // Places up to positions().size() pool items; returns how many it placed.
  // `budget` may be null (no exposure limit). Placed items keep their pool
  // score and source tags. Only the first `max_slots` positions (ascending)
  // are used: an exploration arm's share of the slots.
  size_t Apply(std::vector<Candidate>& ranked, size_t k, absl::Span<const Candidate> pool,
               ExposureBudget* budget, size_t max_slots = SIZE_MAX) const;

  const std::vector<uint32_t>& positions() const { return positions_; }

 private:
  explicit ExplorationSlots(std::vector<uint32_t> p) : positions_(std::move(p)) {}
  std::vector<uint32_t> positions_;  // ascending
};

}  // namespace aisle::policy

#endif  // AISLE_POLICY_EXPLORATION_SLOTS_H_
