#include "aisle/policy/exposure_budget.h"

#include <new>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"

namespace aisle::policy {
namespace {

using Counters = std::unique_ptr<std::atomic<uint32_t>[]>;

// An array of max(n, 1) counters, or null when it cannot be allocated.
Counters Allocate(size_t n) {
  return Counters(new (std::nothrow) std::atomic<uint32_t>[n > 0 ? n : 1]);
}

absl::Status CheckSize(size_t num_items) {
  if (num_items >= size_t{kInvalidItem}) {
    return absl::InvalidArgumentError(absl::StrCat(
        "exposure budget: ", num_items, " items; at most ", kInvalidItem - 1, " are supported"));
  }
  return absl::OkStatus();
}

}  // namespace

ExposureBudget::ExposureBudget(size_t num_items, uint32_t default_budget)
    : ExposureBudget(NoInit{}, num_items, default_budget,
                     Counters(new std::atomic<uint32_t>[num_items > 0 ? num_items : 1]),
                     Counters(new std::atomic<uint32_t>[num_items > 0 ? num_items : 1])) {}

ExposureBudget::ExposureBudget(NoInit, size_t num_items, uint32_t default_budget, Counters used,
                               Counters budget)
    : size_(num_items),
      default_budget_(default_budget),
      used_(std::move(used)),
      budget_(std::move(budget)) {
  for (size_t i = 0; i < num_items; ++i) {
    used_[i].store(0, std::memory_order_relaxed);
    budget_[i].store(default_budget, std::memory_order_relaxed);
  }
}

absl::StatusOr<std::shared_ptr<ExposureBudget>> ExposureBudget::Create(size_t num_items,
                                                                       uint32_t default_budget) {
  if (absl::Status s = CheckSize(num_items); !s.ok()) return s;
  Counters used = Allocate(num_items);
  Counters budget = Allocate(num_items);
  if (used == nullptr || budget == nullptr) {
    return absl::ResourceExhaustedError(
        absl::StrCat("exposure budget: cannot allocate counters for ", num_items, " items"));
  }
  std::shared_ptr<ExposureBudget> out(new (std::nothrow) ExposureBudget(
      NoInit{}, num_items, default_budget, std::move(used), std::move(budget)));
  if (out == nullptr) return absl::ResourceExhaustedError("exposure budget: out of memory");
  return out;
}

absl::StatusOr<std::shared_ptr<ExposureBudget>> ExposureBudget::Remap(
    const ExposureBudget& old, absl::Span<const ItemIndex> new_to_old, uint32_t default_budget) {
  absl::StatusOr<std::shared_ptr<ExposureBudget>> made = Create(new_to_old.size(), default_budget);
  if (!made.ok()) return made.status();
  ExposureBudget& next = **made;
  const uint32_t old_default = old.default_budget();
  for (size_t i = 0; i < new_to_old.size(); ++i) {
    const ItemIndex o = new_to_old[i];
    if (o >= old.size()) continue;  // kInvalidItem included: a new item
    next.used_[i].store(old.Used(o), std::memory_order_relaxed);
    const uint32_t b = old.Budget(o);
    if (b != old_default) next.budget_[i].store(b, std::memory_order_relaxed);
  }
  return made;
}

absl::StatusOr<std::shared_ptr<ExposureBudget>> ExposureBudget::CarryOver(
    std::shared_ptr<ExposureBudget> old, absl::Span<const absl::string_view> old_ids,
    absl::Span<const absl::string_view> new_ids, uint32_t default_budget) {
  if (old == nullptr) return Create(new_ids.size(), default_budget);
  if (old_ids.size() != old->size()) {
    return absl::InvalidArgumentError(absl::StrCat("exposure budget: the old budget has ",
                                                   old->size(), " items but ", old_ids.size(),
                                                   " old ids were given"));
  }
  if (absl::Status s = CheckSize(new_ids.size()); !s.ok()) return s;
  if (old_ids == new_ids) {  // same catalog: keep counting on the same object
    old->SetDefaultBudget(default_budget);
    return old;
  }
  absl::flat_hash_map<absl::string_view, ItemIndex> by_id;
  by_id.reserve(old_ids.size());
  for (size_t i = 0; i < old_ids.size(); ++i) by_id.emplace(old_ids[i], static_cast<ItemIndex>(i));
  std::vector<ItemIndex> new_to_old(new_ids.size(), kInvalidItem);
  for (size_t i = 0; i < new_ids.size(); ++i) {
    if (auto it = by_id.find(new_ids[i]); it != by_id.end()) new_to_old[i] = it->second;
  }
  return Remap(*old, new_to_old, default_budget);
}

void ExposureBudget::SetDefaultBudget(uint32_t budget) {
  const uint32_t prev = default_budget_.exchange(budget, std::memory_order_relaxed);
  if (prev == budget) return;
  for (size_t i = 0; i < size_; ++i) {
    uint32_t expected = prev;
    budget_[i].compare_exchange_strong(expected, budget, std::memory_order_relaxed);
  }
}

}  // namespace aisle::policy
