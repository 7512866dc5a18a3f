// File: aisle/policy/category_cap.h
//
// CategoryCapDiversifier: at most `max_per_category` items of one category in
// the top `top_m` of a ranked list. Greedy and stable: it walks the list in
// rank order and defers an item whose category is full; deferred items keep
// their relative order and follow the filled top m, so everything beyond the
// top m stays in its original order. Categories are the leaf (depth < 0) or
// the ancestor at a chosen depth of the category path (0 = top level).
// Items without a category are never capped. When the list runs out before
// the top m is filled, the remaining top slots take the best deferred items
// (the cap is relaxed rather than returning fewer items; counted in the
// report). The list is then truncated to k.
//
//   auto caps = aisle::policy::CategoryCapDiversifier::Create(
//       view, {.max_per_category = 2, .top_m = 10, .depth = 1});
//   aisle::policy::CategoryCapReport r = caps->Apply(ranked, /*k=*/20);
//
// Thread-safe (immutable after Create; per-thread scratch counters).
#ifndef AISLE_POLICY_CATEGORY_CAP_H_
#define AISLE_POLICY_CATEGORY_CAP_H_

#include <cstddef>
#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "aisle/core/candidate.h"
#include "aisle/policy/category_view.h"

namespace aisle::policy {

struct CategoryCapOptions {
  uint32_t max_per_category = 2;
  size_t top_m = 10;
  // < 0: the leaf category; d >= 0: the ancestor at depth d.
  int depth = -1;
};

struct CategoryCapReport {
  size_t deferred = 0;  // items moved below the top m by a cap
  size_t relaxed = 0;   // top-m slots filled over the cap for lack of items
};

class CategoryCapDiversifier {
 public:
  // InvalidArgument for an invalid view or max_per_category == 0.
  static absl::StatusOr<CategoryCapDiversifier> Create(const CategoryView& view,
                                                       CategoryCapOptions options);

  // Reorders `ranked` in place and truncates it to k.
  CategoryCapReport Apply(std::vector<Candidate>& ranked, size_t k) const;

  // The capping key of an item (kInvalidCategory = uncapped).
  CategoryIndex KeyOf(ItemIndex item) const {
    const CategoryIndex c = view_.CategoryOf(item);
    return c == kInvalidCategory ? c : key_of_category_[c];
  }

 private:
  CategoryCapDiversifier() = default;
  CategoryView view_;
  CategoryCapOptions options_;
  std::vector<CategoryIndex> key_of_category_;
};

}  // namespace aisle::policy

#endif  // AISLE_POLICY_CATEGORY_CAP_H_
