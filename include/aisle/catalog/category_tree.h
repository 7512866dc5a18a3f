// File: aisle/catalog/category_tree.h
//
// CategoryTree is the catalog's category hierarchy: every distinct prefix of
// every item's category path is one node with a name, a parent, a depth
// (0 for a top-level category) and its full path ("Electronics>Audio").
// Nodes are numbered in depth-first pre-order (children in the order they
// were first seen), so a node's descendants are exactly the contiguous range
// [c + 1, SubtreeEnd(c)). That makes "is A an ancestor of B" two compares and
// lets the catalog answer "items in this category and below" with one span.
//
//   const aisle::catalog::CategoryTree& tree = catalog.categories();
//   AISLE_ASSIGN_OR_RETURN(aisle::CategoryIndex audio, tree.Find("Electronics>Audio"));
//   for (aisle::CategoryIndex c : tree.Path(leaf)) { ... }  // root .. leaf
//   bool under = tree.IsAncestorOrSelf(audio, leaf);
//
// Immutable once built (by CatalogBuilder): thread-safe for concurrent reads.
#ifndef AISLE_CATALOG_CATEGORY_TREE_H_
#define AISLE_CATALOG_CATEGORY_TREE_H_

#include <cstddef>
#include <cstdint>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "aisle/catalog/internal/string_arena.h"
#include "aisle/core/ids.h"

namespace aisle::catalog {

class CategoryTree {
 public:
  CategoryTree() = default;
  CategoryTree(CategoryTree&&) = default;
  CategoryTree& operator=(CategoryTree&&) = default;
  CategoryTree(const CategoryTree&) = delete;
  CategoryTree& operator=(const CategoryTree&) = delete;

  // Number of nodes.
  size_t size() const { return parent_.size(); }

  // The last level of the node's path ("Headphones"). `c` must be < size().
  absl::string_view name(CategoryIndex c) const { return name_[c]; }
  // kInvalidCategory for a top-level node.
  CategoryIndex parent(CategoryIndex c) const { return parent_[c]; }
  // 0 for a top-level node.
  uint32_t depth(CategoryIndex c) const { return depth_[c]; }
  // Full path joined with '>' ("Electronics>Audio>Headphones").
  absl::string_view path(CategoryIndex c) const { return path_[c]; }
  // The nodes from the top-level ancestor down to `c` (inclusive).
  absl::Span<const CategoryIndex> Path(CategoryIndex c) const {
    return {path_nodes_.data() + path_offsets_[c], path_offsets_[c + 1] - path_offsets_[c]};
  }
  // Direct children, in first-seen order.
  absl::Span<const CategoryIndex> children(CategoryIndex c) const {
    return {children_.data() + child_offsets_[c], child_offsets_[c + 1] - child_offsets_[c]};
  }
  // Top-level nodes, in first-seen order.
  absl::Span<const CategoryIndex> roots() const { return roots_; }
  // One past the last descendant of `c`: descendants are (c, SubtreeEnd(c)).
  CategoryIndex SubtreeEnd(CategoryIndex c) const { return subtree_end_[c]; }
  // True when `ancestor` is `c` or one of its ancestors.
  bool IsAncestorOrSelf(CategoryIndex ancestor, CategoryIndex c) const {
    return ancestor <= c && c < subtree_end_[ancestor];
  }
  bool IsLeaf(CategoryIndex c) const { return subtree_end_[c] == c + 1; }

  // Columns over all nodes (for stages that take plain arrays, e.g. a
  // policy CategoryView: parent per category).
  absl::Span<const CategoryIndex> parents() const { return parent_; }
  absl::Span<const uint32_t> depths() const { return depth_; }

  // Looks a node up by its full path, levels separated by `separator`
  // (whitespace around levels is ignored). NotFound naming the path.
  absl::StatusOr<CategoryIndex> Find(absl::string_view path, char separator = '>') const;

 private:
  friend class CatalogBuilder;

  internal::StringArena arena_;
  std::vector<absl::string_view> name_;
  std::vector<absl::string_view> path_;
  std::vector<CategoryIndex> parent_;
  std::vector<uint32_t> depth_;
  std::vector<CategoryIndex> subtree_end_;
  std::vector<uint32_t> path_offsets_{0};
  std::vector<CategoryIndex> path_nodes_;
  std::vector<uint32_t> child_offsets_{0};
  std::vector<CategoryIndex> children_;
  std::vector<CategoryIndex> roots_;
  absl::flat_hash_map<absl::string_view, CategoryIndex> by_path_;
};

}  // namespace aisle::catalog

#endif  // AISLE_CATALOG_CATEGORY_TREE_H_
