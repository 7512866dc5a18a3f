#include "aisle/policy/category_view.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace aisle::policy {

absl::Status CategoryView::Validate() const {
  const size_t n = parent.size();
  for (size_t i = 0; i < item_category.size(); ++i) {
    const CategoryIndex c = item_category[i];
    if (c != kInvalidCategory && c >= n) {
      return absl::InvalidArgumentError(
          absl::StrCat("item index ", i, " has category ", c, " but the tree has ", n,
                       " categories"));
    }
  }
  for (size_t c = 0; c < n; ++c) {
    if (parent[c] != kInvalidCategory && parent[c] >= n) {
      return absl::InvalidArgumentError(absl::StrCat("category ", c, " has parent ", parent[c],
                                                     " but the tree has ", n, " categories"));
    }
  }
  // Cycle check: depth[c] known once its path reaches a root. Iterative with
  // memoization: state 0 = unknown, 1 = on the current path, 2 = done.
  std::vector<uint8_t> state(n, 0);
  std::vector<CategoryIndex> path;
  for (size_t start = 0; start < n; ++start) {
    if (state[start] == 2) continue;
    path.clear();
    CategoryIndex c = static_cast<CategoryIndex>(start);
    while (c != kInvalidCategory && state[c] == 0) {
      state[c] = 1;
      path.push_back(c);
      c = parent[c];
    }
    if (c != kInvalidCategory && state[c] == 1) {
      return absl::InvalidArgumentError(
          absl::StrCat("category ", c, " is its own ancestor (cycle in parent links)"));
    }
    for (CategoryIndex p : path) state[p] = 2;
  }
  return absl::OkStatus();
}

ItemBitset SubtreeClosure(const CategoryView& view, absl::Span<const CategoryIndex> roots) {
  const size_t n = view.num_categories();
  ItemBitset out(n);
  if (roots.empty()) return out;
  ItemBitset is_root(n);
  for (CategoryIndex r : roots) is_root.Set(r);
  // 0 = unknown, 1 = in, 2 = out; memoized walk up the parents.
  std::vector<uint8_t> memo(n, 0);
  std::vector<CategoryIndex> path;
  for (size_t start = 0; start < n; ++start) {
    path.clear();
    CategoryIndex c = static_cast<CategoryIndex>(start);
    uint8_t verdict = 2;
    while (c != kInvalidCategory) {
      if (memo[c] != 0) {
        verdict = memo[c];
        break;
      }
      if (is_root.Test(c)) {
        verdict = 1;
        break;
      }
      path.push_back(c);
      c = view.parent[c];
    }
    if (c != kInvalidCategory && memo[c] == 0) memo[c] = verdict;
    for (CategoryIndex p : path) memo[p] = verdict;
  }
  for (size_t c = 0; c < n; ++c) {
    if (memo[c] == 1) out.Set(static_cast<ItemIndex>(c));
  }
  return out;
}

std::vector<CategoryIndex> AncestorsAtDepth(const CategoryView& view, int depth) {
  const size_t n = view.num_categories();
  std::vector<CategoryIndex> out(n);
  std::vector<CategoryIndex> path;
  for (size_t c = 0; c < n; ++c) {
    if (depth < 0) {
      out[c] = static_cast<CategoryIndex>(c);
      continue;
    }
    path.clear();
    for (CategoryIndex x = static_cast<CategoryIndex>(c); x != kInvalidCategory;
         x = view.parent[x]) {
      path.push_back(x);  // path.back() is the root
    }
    const size_t d = static_cast<size_t>(depth);
    out[c] = d < path.size() ? path[path.size() - 1 - d] : static_cast<CategoryIndex>(c);
  }
  return out;
}

}  // namespace aisle::policy
