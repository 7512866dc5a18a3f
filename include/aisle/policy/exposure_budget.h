// File: aisle/policy/exposure_budget.h
//
// ExposureBudget: per-item impression counters against a per-item budget, for
// exploration of new items ("show each new item at most 5000 times through
// exploration slots, then let the ranker decide"). Counters are lock-free
// atomics: TryConsume() increments only while under budget (compare-and-swap)
// so concurrent requests never overshoot a budget.
//
//   auto budget = aisle::policy::ExposureBudget::Create(catalog_size, /*default_budget=*/5000);
//   AISLE_RETURN_IF_ERROR((*budget)->SetBudget(hero_launch, 20000));
//   if ((*budget)->TryConsume(item)) { /* serve it in an exploration slot */ }
//
// Exposure survives snapshot swaps. Items are dense indices of one catalog,
// so a new snapshot carries the counts over by external id:
//
//   // at every swap, per surface, with the previous snapshot's budget:
//   auto next = aisle::policy::ExposureBudget::CarryOver(previous_budget, old_ids, new_ids,
//                                                        /*default_budget=*/5000);
//
// CarryOver returns the same object when the catalog's ids are the same (in
// the same order): requests on the old and the new snapshot then share the
// counters and nothing is lost. Otherwise it builds a new budget in which new
// item i takes the impressions (and any budget set with SetBudget) of the old
// item with the same id; an old item absent from the new catalog is dropped,
// a new item starts at 0. Impressions consumed on the old budget while the
// copy runs, or by requests still in flight on the old snapshot, are not
// carried over (at most the in-flight exploration placements).
//
// Thread-safe: any number of threads may consume, read and set budgets.
#ifndef AISLE_POLICY_EXPOSURE_BUDGET_H_
#define AISLE_POLICY_EXPOSURE_BUDGET_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "aisle/core/ids.h"

namespace aisle::policy {

class ExposureBudget {
 public:
  // A budget for `num_items` items, each with `default_budget` impressions.
  // InvalidArgument when num_items is kInvalidItem or more; ResourceExhausted
  // when the counters cannot be allocated.
  static absl::StatusOr<std::shared_ptr<ExposureBudget>> Create(size_t num_items,
                                                                uint32_t default_budget);

  // A budget for a renumbered catalog: new item i takes old item
  // new_to_old[i]'s impressions, and its budget when that was set apart from
  // the old default (SetBudget); every other item gets `default_budget`.
  // kInvalidItem or an out-of-range index: a new item, 0 impressions. Errors
  // as Create.
  static absl::StatusOr<std::shared_ptr<ExposureBudget>> Remap(
      const ExposureBudget& old, absl::Span<const ItemIndex> new_to_old, uint32_t default_budget);

  // The budget for a new snapshot, by external item id: `old_ids[i]` names
  // old item i (old->size() ids), `new_ids[i]` new item i. When the ids are
  // equal, `old` itself with its default budget set to `default_budget`
  // (SetDefaultBudget); otherwise Remap by id (an old id that appears twice
  // maps to its first item). A null `old` gives Create(new_ids.size(),
  // default_budget). InvalidArgument when old_ids does not cover old's items.
  static absl::StatusOr<std::shared_ptr<ExposureBudget>> CarryOver(
      std::shared_ptr<ExposureBudget> old, absl::Span<const absl::string_view> old_ids,
      absl::Span<const absl::string_view> new_ids, uint32_t default_budget);

  // Unchecked: prefer Create. `num_items` must be below kInvalidItem, and an
  // allocation failure is not reported. Kept for existing callers.
  ExposureBudget(size_t num_items, uint32_t default_budget);
  ExposureBudget(const ExposureBudget&) = delete;
  ExposureBudget& operator=(const ExposureBudget&) = delete;

  size_t size() const { return size_; }
  uint32_t default_budget() const { return default_budget_.load(std::memory_order_relaxed); }

  // NotFound naming the item when it is not in the budget.
  absl::Status SetBudget(ItemIndex item, uint32_t budget) {
    if (item >= size_) {
      return absl::NotFoundError(
          absl::StrCat("exposure budget: item ", item, " is not known (", size_, " items)"));
    }
    budget_[item].store(budget, std::memory_order_relaxed);
    return absl::OkStatus();
  }

  // Changes the default: every item whose budget is the current default
  // takes `budget`; items given their own budget keep it. O(size()).
  void SetDefaultBudget(uint32_t budget);

  // Counts one impression if the item is under budget; false otherwise (and
  // for unknown items).
  bool TryConsume(ItemIndex item) {
    if (item >= size_) return false;
    const uint32_t limit = budget_[item].load(std::memory_order_relaxed);
    uint32_t cur = used_[item].load(std::memory_order_relaxed);
    while (cur < limit) {
      if (used_[item].compare_exchange_weak(cur, cur + 1, std::memory_order_relaxed)) return true;
    }
    return false;
  }

  // Impressions counted so far; 0 for unknown items.
  uint32_t Used(ItemIndex item) const {
    return item < size_ ? used_[item].load(std::memory_order_relaxed) : 0;
  }
  // The item's budget; 0 for unknown items.
  uint32_t Budget(ItemIndex item) const {
    return item < size_ ? budget_[item].load(std::memory_order_relaxed) : 0;
  }
  uint32_t Remaining(ItemIndex item) const {
    if (item >= size_) return 0;
    const uint32_t b = budget_[item].load(std::memory_order_relaxed);
    const uint32_t u = used_[item].load(std::memory_order_relaxed);
    return u < b ? b - u : 0;
  }

 private:
  struct NoInit {};
  ExposureBudget(NoInit, size_t num_items, uint32_t default_budget,
                 std::unique_ptr<std::atomic<uint32_t>[]> used,
                 std::unique_ptr<std::atomic<uint32_t>[]> budget);

  size_t size_;
  std::atomic<uint32_t> default_budget_;
  std::unique_ptr<std::atomic<uint32_t>[]> used_;
  std::unique_ptr<std::atomic<uint32_t>[]> budget_;
};

}  // namespace aisle::policy

#endif  // AISLE_POLICY_EXPOSURE_BUDGET_H_
