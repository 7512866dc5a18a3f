// File: aisle/catalog/catalog.h
//
// Catalog is one immutable snapshot of the storefront's items, stored as
// columns (struct of arrays) indexed by the dense ItemIndex 0..size()-1 that
// the builder assigned in insertion order: external id, title, leaf
// category, brand, price, stock, launch time, attributes, and an optional
// embedding per item held in one contiguous row-major matrix.
//
//   AISLE_ASSIGN_OR_RETURN(aisle::catalog::Catalog catalog, builder.Build());
//   AISLE_ASSIGN_OR_RETURN(aisle::ItemIndex i, catalog.Find("sku-1"));
//   float p = catalog.price(i);
//   absl::Span<const float> e = catalog.embedding(i);
//   for (aisle::ItemIndex j : catalog.ItemsInCategory(audio)) { ... }  // audio and below
//   std::optional<absl::string_view> color = catalog.attribute(i, "color");
//
// Accessors taking an ItemIndex / CategoryIndex / BrandIndex require it to be
// in range (check with size() etc.; Find() is the checked entry point for
// external ids). Catalog is move-only; share one snapshot between threads
// through a std::shared_ptr<const Catalog>.
//
// Immutable after Build(): thread-safe for concurrent reads.
#ifndef AISLE_CATALOG_CATALOG_H_
#define AISLE_CATALOG_CATALOG_H_

#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "aisle/catalog/category_tree.h"
#include "aisle/catalog/internal/string_arena.h"
#include "aisle/core/ids.h"
#include "aisle/core/matrix.h"

namespace aisle::catalog {

// Dense index of an interned brand name.
using BrandIndex = uint32_t;
inline constexpr BrandIndex kNoBrand = std::numeric_limits<BrandIndex>::max();

// Dense indices of interned attribute keys and values.
using AttributeKeyIndex = uint32_t;
using AttributeValueIndex = uint32_t;
inline constexpr uint32_t kNoAttribute = std::numeric_limits<uint32_t>::max();

// One (key, value) pair of an item, as interned indices.
struct AttributePair {
  AttributeKeyIndex key;
  AttributeValueIndex value;
};

class Catalog {
 public:
  Catalog() = default;
  Catalog(Catalog&&) = default;
  Catalog& operator=(Catalog&&) = default;
  Catalog(const Catalog&) = delete;
  Catalog& operator=(const Catalog&) = delete;

  size_t size() const { return ids_.size(); }

  // --- ids ---------------------------------------------------------------
  // NotFound naming the id when it is not in the catalog.
  absl::StatusOr<ItemIndex> Find(absl::string_view id) const;
  // kInvalidItem when absent (no status construction; for hot loops).
  ItemIndex FindOrInvalid(absl::string_view id) const {
    auto it = index_.find(id);
    return it == index_.end() ? kInvalidItem : it->second;
  }
  absl::string_view id(ItemIndex i) const { return ids_[i]; }
  // Every item's external id, by ItemIndex (for messages that name items).
  absl::Span<const absl::string_view> ids() const { return ids_; }
  absl::string_view title(ItemIndex i) const { return titles_[i]; }

  // --- categories --------------------------------------------------------
  const CategoryTree& categories() const { return tree_; }
  // The item's deepest category node; kInvalidCategory when it has none.
  CategoryIndex category(ItemIndex i) const { return category_[i]; }
  // The item's category path, top-level first, leaf last; empty when none.
  absl::Span<const CategoryIndex> ancestors(ItemIndex i) const {
    const CategoryIndex c = category_[i];
    return c == kInvalidCategory ? absl::Span<const CategoryIndex>() : tree_.Path(c);
  }
  // Items whose category is `c` or a descendant of `c`, in increasing
  // ItemIndex order within each category node (precomputed; no allocation).
  absl::Span<const ItemIndex> ItemsInCategory(CategoryIndex c) const {
    return ItemRange(c, tree_.SubtreeEnd(c));
  }
  // Items whose deepest category is exactly `c`.
  absl::Span<const ItemIndex> ItemsDirectlyInCategory(CategoryIndex c) const {
    return ItemRange(c, c + 1);
  }

  // --- brands ------------------------------------------------------------
  // kNoBrand when the item has no brand.
  BrandIndex brand_index(ItemIndex i) const { return brand_[i]; }
  // Empty when the item has no brand.
  absl::string_view brand(ItemIndex i) const {
    return brand_[i] == kNoBrand ? absl::string_view() : brands_[brand_[i]];
  }
  size_t brand_count() const { return brands_.size(); }
  absl::string_view brand_name(BrandIndex b) const { return brands_[b]; }
  // kNoBrand when no item has this brand.
  BrandIndex FindBrand(absl::string_view name) const;

  // --- price, stock, launch time -------------------------------------------
  float price(ItemIndex i) const { return price_[i]; }
  int32_t stock(ItemIndex i) const { return stock_[i]; }
  // absl::InfinitePast() when unknown.
  absl::Time launch_time(ItemIndex i) const {
    return launch_micros_[i] == kUnknownTime ? absl::InfinitePast()
                                             : absl::FromUnixMicros(launch_micros_[i]);
  }

  // --- attributes --------------------------------------------------------
  // The value of attribute `key` of item `i`, or nullopt.
  std::optional<absl::string_view> attribute(ItemIndex i, absl::string_view key) const;
  // The item's attributes as interned pairs (few; in the order given).
  absl::Span<const AttributePair> attributes(ItemIndex i) const {
    return {attrs_.data() + attr_offsets_[i], attr_offsets_[i + 1] - attr_offsets_[i]};
  }
  size_t attribute_key_count() const { return attr_keys_.size(); }
  absl::string_view attribute_key(AttributeKeyIndex k) const { return attr_keys_[k]; }
  absl::string_view attribute_value(AttributeValueIndex v) const { return attr_values_[v]; }
  // kNoAttribute when no item has this key / value.
  AttributeKeyIndex FindAttributeKey(absl::string_view key) const;
  AttributeValueIndex FindAttributeValue(absl::string_view value) const;

  // --- embeddings --------------------------------------------------------
  // 0 when the catalog has no embeddings.
  size_t embedding_dim() const { return dim_; }
  // size() x embedding_dim(), row-major; empty view when dim is 0.
  MatrixView embeddings() const {
    return dim_ == 0 ? MatrixView() : MatrixView(embeddings_.data(), size(), dim_);
  }
  // Empty when dim is 0.
  absl::Span<const float> embedding(ItemIndex i) const {
    return {embeddings_.data() + size_t{i} * dim_, dim_};
  }

  // --- columns (for feature assembly and filters) --------------------------
  absl::Span<const float> prices() const { return price_; }
  absl::Span<const int32_t> stocks() const { return stock_; }
  absl::Span<const CategoryIndex> item_categories() const { return category_; }
  absl::Span<const BrandIndex> brands() const { return brand_; }
  // Launch times as unix microseconds; kUnknownTime when unknown.
  absl::Span<const int64_t> launch_times_micros() const { return launch_micros_; }
  static constexpr int64_t kUnknownTime = std::numeric_limits<int64_t>::min();

 private:
  friend class CatalogBuilder;

  absl::Span<const ItemIndex> ItemRange(CategoryIndex begin, CategoryIndex end) const {
    const uint32_t b = category_item_offsets_[begin];
    return {items_by_category_.data() + b, category_item_offsets_[end] - b};
  }

  internal::StringArena arena_;
  std::vector<absl::string_view> ids_;
  std::vector<absl::string_view> titles_;
  absl::flat_hash_map<absl::string_view, ItemIndex> index_;

  CategoryTree tree_;
  std::vector<CategoryIndex> category_;
  // Items sorted by category node (pre-order), then by ItemIndex; node c's
  // own items are [offsets[c], offsets[c + 1]).
  std::vector<ItemIndex> items_by_category_;
  std::vector<uint32_t> category_item_offsets_{0};

  std::vector<BrandIndex> brand_;
  std::vector<absl::string_view> brands_;
  absl::flat_hash_map<absl::string_view, BrandIndex> brand_by_name_;

  std::vector<float> price_;
  std::vector<int32_t> stock_;
  std::vector<int64_t> launch_micros_;

  std::vector<uint32_t> attr_offsets_{0};
  std::vector<AttributePair> attrs_;
  std::vector<absl::string_view> attr_keys_;
  std::vector<absl::string_view> attr_values_;
  absl::flat_hash_map<absl::string_view, AttributeKeyIndex> attr_key_by_name_;
  absl::flat_hash_map<absl::string_view, AttributeValueIndex> attr_value_by_name_;

  size_t dim_ = 0;
  std::vector<float> embeddings_;
};

}  // namespace aisle::catalog

#endif  // AISLE_CATALOG_CATALOG_H_
