// File: aisle/policy/policy_filter.h
//
// PolicyFilter: removes blocked items and items in blocked categories. A
// blocked category blocks its whole subtree: an item is removed when its leaf
// category or any ancestor of it is blocked. Rules apply to every surface or
// to one surface only. Subtrees are expanded once at build time; Apply does
// two bit tests per candidate.
//
//   aisle::policy::PolicyRules all{.blocked_items = {recalled},
//                                  .blocked_categories = {adult}};
//   aisle::policy::PolicyRules kids{.blocked_categories = {alcohol}};
//   auto f = aisle::policy::PolicyFilter::Create(view, all, {{kKidsSurface, kids}});
//   if (!f.ok()) return f.status();   // names the unknown item or category
//   size_t removed = (*f)->Apply(ctx, candidates);
//   aisle::ItemBitset blocked = (*f)->BlockedItems(kKidsSurface);  // for retrieval
//
// Thread-safe (immutable after Create). The CategoryView's arrays are
// borrowed and must outlive the filter.
#ifndef AISLE_POLICY_POLICY_FILTER_H_
#define AISLE_POLICY_POLICY_FILTER_H_

#include <memory>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "aisle/core/item_bitset.h"
#include "aisle/policy/category_view.h"
#include "aisle/policy/filter.h"

namespace aisle::policy {

struct PolicyRules {
  std::vector<ItemIndex> blocked_items = {};
  std::vector<CategoryIndex> blocked_categories = {};
};

class PolicyFilter final : public Filter {
 public:
  // NotFound naming the first blocked item >= view.num_items() or category
  // >= view.num_categories(); InvalidArgument for an invalid view.
  static absl::StatusOr<std::unique_ptr<PolicyFilter>> Create(
      const CategoryView& view, const PolicyRules& all_surfaces,
      const std::vector<std::pair<SurfaceIndex, PolicyRules>>& per_surface = {});

  absl::string_view name() const override { return "policy"; }
  size_t Apply(const FilterContext& context, std::vector<Candidate>& candidates) const override;

  // True when the item is blocked on the surface.
  bool Blocked(ItemIndex item, SurfaceIndex surface) const;

  // Every item blocked on the surface (blocked itself or in a blocked
  // subtree), as a bitset over the view's items. O(items): built once per
  // snapshot and surface, e.g. for a LiveItemFilter that keeps blocked items
  // out of retrieval.
  ItemBitset BlockedItems(SurfaceIndex surface) const;

 private:
  struct Compiled {
    ItemBitset items;       // over items
    ItemBitset categories;  // over categories, subtree-closed
    bool empty = true;
  };
  PolicyFilter() = default;
  static bool BlockedBy(const Compiled& c, ItemIndex item, CategoryIndex cat) {
    return c.items.Test(item) || (cat != kInvalidCategory && c.categories.Test(cat));
  }

  CategoryView view_;
  Compiled all_;
  std::vector<Compiled> per_surface_;  // indexed by SurfaceIndex
};

}  // namespace aisle::policy

#endif  // AISLE_POLICY_POLICY_FILTER_H_
