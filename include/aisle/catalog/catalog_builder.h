// File: aisle/catalog/catalog_builder.h
//
// CatalogBuilder validates and collects items, then Build() produces the
// immutable Catalog: dense ItemIndex in insertion order, the category tree
// numbered in pre-order, the per-category item lists, interned brands and
// attributes, and the embedding matrix.
//
//   aisle::catalog::CatalogBuilder builder({.embedding_dim = 64});
//   for (const Row& r : rows) {
//     AISLE_RETURN_IF_ERROR(builder.AddItem({.id = r.sku, .category = r.path,
//                                            .price = r.price, .stock = r.stock,
//                                            .embedding = r.vector}));
//   }
//   AISLE_ASSIGN_OR_RETURN(aisle::catalog::Catalog catalog, builder.Build());
//
// Embeddings may instead be attached in one piece (e.g. read from .npy) with
// AttachEmbeddings(); then AddItem() must not carry embeddings.
//
// Errors (AddItem leaves the builder unchanged when it fails), all
// InvalidArgument and naming the item id: empty or duplicate id, an id,
// brand, category level, attribute key or value that breaks the id rule
// (docs/catalog.md: 1..1024 bytes of UTF-8 without control characters), a
// launch time that is neither unknown nor in [1900, 2400), NaN/Inf or
// wrong-length embedding, negative/NaN/Inf price, an empty category level,
// an empty or repeated attribute key. AttachEmbeddings checks rows x dim
// against the floats given (without overflow) and the ids against the rule. Build() fails with FailedPrecondition
// on an empty catalog, on items missing an embedding, or on attached
// embeddings whose rows or ids do not match the items.
//
// Not thread-safe. Build() consumes the builder; it is empty afterwards.
#ifndef AISLE_CATALOG_CATALOG_BUILDER_H_
#define AISLE_CATALOG_CATALOG_BUILDER_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/hash/hash.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "aisle/catalog/catalog.h"
#include "aisle/catalog/embedding_matrix.h"
#include "aisle/catalog/item_spec.h"

namespace aisle::catalog {

struct CatalogBuilderOptions {
  // Embedding dimension; 0 = no embeddings; -1 = taken from the first item
  // added (its embedding's length, or 0 when it has none).
  int embedding_dim = -1;
  // Separates levels in ItemSpec::category.
  char category_separator = '>';
  // Pre-sizes the columns and the id map (optional; only a hint: a value
  // outside the ItemIndex range or beyond memory pre-sizes nothing).
  size_t expected_items = 0;
};

class CatalogBuilder {
 public:
  explicit CatalogBuilder(CatalogBuilderOptions options = {});

  CatalogBuilder(const CatalogBuilder&) = delete;
  CatalogBuilder& operator=(const CatalogBuilder&) = delete;

  // Validates and appends one item; its ItemIndex is the number of items
  // added before it.
  absl::Status AddItem(const ItemSpec& item);

  // Supplies every item's embedding at once; checked at Build(). The
  // builder's embedding dimension becomes `m.dim`.
  absl::Status AttachEmbeddings(EmbeddingMatrix m);

  size_t size() const { return catalog_.ids_.size(); }
  // The dimension in effect (-1 while it is still to be taken from the first item).
  int embedding_dim() const { return dim_; }

  absl::StatusOr<Catalog> Build();

 private:
  using TempCategory = uint32_t;
  struct NodeKey {
    TempCategory parent;
    absl::string_view name;
    bool operator==(const NodeKey& o) const { return parent == o.parent && name == o.name; }
    template <typename H>
    friend H AbslHashValue(H h, const NodeKey& k) {
      return H::combine(std::move(h), k.parent, k.name);
    }
  };

  // Resolves (interning new nodes) the item's category to a temp node.
  absl::StatusOr<TempCategory> ResolveCategory(const ItemSpec& item);
  TempCategory InternNode(TempCategory parent, absl::string_view name);
  uint32_t InternBrand(absl::string_view brand);
  absl::Status FinishEmbeddings();
  void FinishCategories();

  CatalogBuilderOptions options_;
  int dim_;
  Catalog catalog_;
  // Temporary category nodes in first-seen order.
  std::vector<TempCategory> node_parent_;
  std::vector<absl::string_view> node_name_;
  absl::flat_hash_map<NodeKey, TempCategory> node_by_key_;
  // Cache of raw category strings already resolved.
  absl::flat_hash_map<absl::string_view, TempCategory> node_by_string_;
  // Scratch for splitting a category string.
  std::vector<absl::string_view> levels_;
  // Items without an embedding while dim_ > 0.
  size_t missing_embeddings_ = 0;
  ItemIndex first_missing_embedding_ = kInvalidItem;
  bool any_item_embedding_ = false;
  bool attached_ = false;
  EmbeddingMatrix attached_matrix_;
};

}  // namespace aisle::catalog

#endif  // AISLE_CATALOG_CATALOG_BUILDER_H_
