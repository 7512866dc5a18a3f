// File: aisle/policy/category_view.h
//
// CategoryView: what the policy stages need to know about categories, as
// dense arrays borrowed from the catalog snapshot: the leaf category of every
// item and the parent of every category node (kInvalidCategory for a root).
// Helpers derive per-category tables once at build time, so the request path
// does one array load and one bit test per candidate:
//
//   aisle::policy::CategoryView view{.item_category = leaf_of_item,
//                                    .parent = parent_of_category};
//   AISLE_RETURN_IF_ERROR(view.Validate());
//   // c is in `closure` iff c or one of its ancestors is "Tobacco".
//   aisle::ItemBitset closure = aisle::policy::SubtreeClosure(view, {tobacco});
//   // Top-level ancestor of every category (depth 0 = a root).
//   std::vector<aisle::CategoryIndex> top = aisle::policy::AncestorsAtDepth(view, 0);
//
// CategoryView is a non-owning value type: thread-compatible. The arrays it
// points to must outlive every stage built from it.
#ifndef AISLE_POLICY_CATEGORY_VIEW_H_
#define AISLE_POLICY_CATEGORY_VIEW_H_

#include <cstddef>
#include <vector>

#include "absl/status/status.h"
#include "absl/types/span.h"
#include "aisle/core/ids.h"
#include "aisle/core/item_bitset.h"

namespace aisle::policy {

struct CategoryView {
  // item_category[item] = the item's leaf category, or kInvalidCategory for an
  // item without one. Size = number of items in the catalog.
  absl::Span<const CategoryIndex> item_category = {};
  // parent[c] = parent of category c, kInvalidCategory for a root.
  absl::Span<const CategoryIndex> parent = {};

  size_t num_items() const { return item_category.size(); }
  size_t num_categories() const { return parent.size(); }

  // The item's leaf category; kInvalidCategory when the item is unknown or
  // has no category.
  CategoryIndex CategoryOf(ItemIndex item) const {
    return item < item_category.size() ? item_category[item] : kInvalidCategory;
  }

  // OK when every item's category and every parent is in range and the
  // parent links contain no cycle; otherwise InvalidArgument naming the item
  // or category.
  absl::Status Validate() const;
};

// A bitset over categories (indexed by CategoryIndex, size num_categories()):
// category c is set iff c or any ancestor of c is in `roots`. Roots out of
// range are ignored (validate them first). The view must be valid.
ItemBitset SubtreeClosure(const CategoryView& view, absl::Span<const CategoryIndex> roots);

// For every category c (index c of the result): its ancestor at `depth` (0 =
// the root of its path, 1 = the root's child, ...), or c itself when c is
// shallower than `depth`. A negative depth returns the identity (the leaf
// level). The view must be valid.
std::vector<CategoryIndex> AncestorsAtDepth(const CategoryView& view, int depth);

}  // namespace aisle::policy

#endif  // AISLE_POLICY_CATEGORY_VIEW_H_
