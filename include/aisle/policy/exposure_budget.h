// File: aisle/policy/exposure_budget.h
//
// ExposureBudget: per-item impression counters against a per-item budget, for
// exploration of new items ("show each new item at most 5000 times through
// exploration slots, then let the ranker decide"). Counters are lock-free
// atomics: TryConsume() increments only while under budget (compare-and-swap)
// so concurrent requests never overshoot a budget.
//
//   aisle::policy::ExposureBudget budget(catalog_size, /*default_budget=*/5000);
//   budget.SetBudget(hero_launch, 20000);
//   if (budget.TryConsume(item)) { /* serve it in an exploration slot */ }
//
// Thread-safe.
#ifndef AISLE_POLICY_EXPOSURE_BUDGET_H_
#define AISLE_POLICY_EXPOSURE_BUDGET_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "aisle/core/ids.h"

namespace aisle::policy {

class ExposureBudget {
 public:
  ExposureBudget(size_t num_items, uint32_t default_budget)
      : size_(num_items),
        used_(new std::atomic<uint32_t>[num_items > 0 ? num_items : 1]),
        budget_(new std::atomic<uint32_t>[num_items > 0 ? num_items : 1]) {
    for (size_t i = 0; i < num_items; ++i) {
      used_[i].store(0, std::memory_order_relaxed);
      budget_[i].store(default_budget, std::memory_order_relaxed);
    }
  }
  ExposureBudget(const ExposureBudget&) = delete;
  ExposureBudget& operator=(const ExposureBudget&) = delete;

  size_t size() const { return size_; }

  absl::Status SetBudget(ItemIndex item, uint32_t budget) {
    if (item >= size_) {
      return absl::NotFoundError(
          absl::StrCat("exposure budget: item ", item, " is not known (", size_, " items)"));
    }
    budget_[item].store(budget, std::memory_order_relaxed);
    return absl::OkStatus();
  }

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
  uint32_t Remaining(ItemIndex item) const {
    if (item >= size_) return 0;
    const uint32_t b = budget_[item].load(std::memory_order_relaxed);
    const uint32_t u = used_[item].load(std::memory_order_relaxed);
    return u < b ? b - u : 0;
  }

 private:
  size_t size_;
  std::unique_ptr<std::atomic<uint32_t>[]> used_;
  std::unique_ptr<std::atomic<uint32_t>[]> budget_;
};

}  // namespace aisle::policy

#endif  // AISLE_POLICY_EXPOSURE_BUDGET_H_
