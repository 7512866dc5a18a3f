// File: aisle/features/item_feature_store.h
//
// Item features, columnar: one float column per item feature, indexed by the
// dense aisle::ItemIndex of the catalog snapshot, each column stamped with the
// time it was built (its age at request time is now - built_at). NaN in a
// column means "missing for this item". The store is immutable and part of a
// snapshot; a new snapshot brings a new store.
//
// The store keeps the same values twice: column-major (column(), the
// serialized form) and item-major (row(): one item's features contiguous, in
// column order), built once by Build() / Deserialize(). Feature assembly reads
// the rows: a candidate's features are a few adjacent cache lines instead of
// one cache miss per column. The price is memory: 2 x num_items x num_columns
// floats (1M items x 34 features = 272 MB instead of 136 MB).
//
//   aisle::features::ItemFeatureStoreBuilder b(/*num_items=*/catalog_size);
//   AISLE_RETURN_IF_ERROR(b.AddColumn("price", prices, built_at));
//   AISLE_RETURN_IF_ERROR(b.AddColumn("stock", stock, built_at));
//   AISLE_ASSIGN_OR_RETURN(auto store, std::move(b).Build());
//   std::string bytes = store->Serialize();  // blob "AISLEIFS" v1
//   AISLE_ASSIGN_OR_RETURN(auto again, ItemFeatureStore::Deserialize(bytes, path));
//
// ItemFeatureStore is immutable: thread-safe. ItemFeatureStoreBuilder is
// thread-compatible.
#ifndef AISLE_FEATURES_ITEM_FEATURE_STORE_H_
#define AISLE_FEATURES_ITEM_FEATURE_STORE_H_

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "absl/types/span.h"

namespace aisle::features {

class ItemFeatureStore {
 public:
  size_t num_items() const { return num_items_; }
  size_t num_columns() const { return names_.size(); }

  // Column index of a feature, or NotFound naming it.
  absl::StatusOr<size_t> ColumnOf(absl::string_view name) const;

  absl::string_view name(size_t column) const { return names_[column]; }
  absl::Span<const float> column(size_t column) const {
    return {data_.data() + column * num_items_, num_items_};
  }
  absl::Time built_at(size_t column) const { return built_at_[column]; }

  // One item's values, num_columns() floats in column order (row(i)[c] ==
  // column(c)[i], bit for bit). `item` < num_items().
  absl::Span<const float> row(size_t item) const {
    return {rows_.data() + item * names_.size(), names_.size()};
  }
  // The item-major copy as one array: item i starts at row_data() + i *
  // num_columns().
  const float* row_data() const { return rows_.data(); }

  // The store as one blob (aisle/core/blob.h, magic "AISLEIFS", version 1):
  // payload = u64 num_items, u64 num_columns, then per column u32 name length,
  // name bytes, i64 built_at (unix nanoseconds), then the columns' floats
  // (little-endian), column after column.
  std::string Serialize() const;
  // Verifies the envelope and every length; `what` (usually the path) names
  // the blob in errors. InvalidArgument for a corrupt or truncated blob:
  // header counts the payload cannot back (naming the field), column names
  // that break the id rule, built_at times outside [1900, 2400).
  static absl::StatusOr<std::shared_ptr<const ItemFeatureStore>> Deserialize(
      absl::string_view bytes, absl::string_view what);

 private:
  friend class ItemFeatureStoreBuilder;
  size_t num_items_ = 0;
  std::vector<std::string> names_;
  std::vector<absl::Time> built_at_;
  std::vector<float> data_;  // num_columns x num_items, column-major
  std::vector<float> rows_;  // num_items x num_columns, item-major (same values)
  absl::flat_hash_map<std::string, size_t> by_name_;
};

// Largest number of items a store holds (ItemIndex range).
inline constexpr size_t kMaxItemFeatureStoreItems = size_t{0xFFFFFFFEu};

class ItemFeatureStoreBuilder {
 public:
  explicit ItemFeatureStoreBuilder(size_t num_items) : num_items_(num_items) {}
  // Errors about an item name its external id, item_ids[i] (one per item, e.g.
  // catalog.ids(); borrowed until Build()), instead of its index alone.
  ItemFeatureStoreBuilder(size_t num_items, absl::Span<const absl::string_view> item_ids)
      : num_items_(num_items), item_ids_(item_ids) {}

  // InvalidArgument when num_items is above kMaxItemFeatureStoreItems,
  // `values` does not have num_items entries, the name breaks the id rule
  // (docs/catalog.md: 1..1024 bytes of UTF-8 without control characters) or
  // was already added, `built_at` is not a sane time ([1900, 2400)), or a
  // value is +-Inf (NaN is allowed: missing; the error names the item's id
  // when item ids were given).
  absl::Status AddColumn(absl::string_view name, absl::Span<const float> values,
                         absl::Time built_at);

  // InvalidArgument for num_items above kMaxItemFeatureStoreItems;
  // ResourceExhausted when the item-major copy cannot be allocated.
  absl::StatusOr<std::shared_ptr<const ItemFeatureStore>> Build() &&;

 private:
  size_t num_items_;
  absl::Span<const absl::string_view> item_ids_;
  std::unique_ptr<ItemFeatureStore> store_ = std::make_unique<ItemFeatureStore>();
};

}  // namespace aisle::features

#endif  // AISLE_FEATURES_ITEM_FEATURE_STORE_H_
