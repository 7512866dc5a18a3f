// File: aisle/catalog/item_spec.h
//
// ItemSpec describes one item handed to CatalogBuilder::AddItem. Every
// string and span is borrowed for the duration of the call only; the builder
// copies what it keeps, so a loader can point a spec into its read buffer and
// reuse one spec for every row.
//
//   const aisle::catalog::ItemAttribute attrs[] = {{"color", "black"}};
//   const float emb[] = {0.1f, 0.2f};
//   AISLE_RETURN_IF_ERROR(builder.AddItem({
//       .id = "sku-1",
//       .category = "Electronics>Audio>Headphones",
//       .brand = "Acme",
//       .title = "Acme ANC headphones",
//       .price = 129.0f,
//       .stock = 12,
//       .launch_time = absl::FromUnixSeconds(1700000000),
//       .attributes = attrs,
//       .embedding = emb,
//   }));
//
// ItemSpec and ItemAttribute are plain value types: thread-compatible.
#ifndef AISLE_CATALOG_ITEM_SPEC_H_
#define AISLE_CATALOG_ITEM_SPEC_H_

#include <cstdint>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "absl/types/span.h"

namespace aisle::catalog {

// One free-form attribute: key -> string value ("color" -> "black").
struct ItemAttribute {
  absl::string_view key{};
  absl::string_view value{};
};

struct ItemSpec {
  // External id, unique in the catalog: 1..1024 bytes of UTF-8 without
  // control characters (docs/catalog.md). Brand, category levels, attribute
  // keys and non-empty attribute values follow the same rule.
  absl::string_view id{};
  // Category path as one string, levels separated by the builder's separator
  // ('>' by default): "Electronics>Audio>Headphones". Whitespace around each
  // level is trimmed. Empty = no category. Ignored when category_path is set.
  absl::string_view category{};
  // Category path as a list of levels, root first. Takes precedence over
  // `category` when non-empty.
  absl::Span<const absl::string_view> category_path{};
  // Empty = no brand.
  absl::string_view brand{};
  // Display title; stored as is, not interned.
  absl::string_view title{};
  // Finite and >= 0.
  float price = 0.0f;
  // Stock in the catalog snapshot (may be negative for back-orders).
  int32_t stock = 0;
  // absl::InfinitePast() (or FromUnixMicros(INT64_MIN)) = unknown; otherwise
  // in [1900-01-01, 2400-01-01).
  absl::Time launch_time = absl::InfinitePast();
  // Few per item; keys unique within the item and non-empty; an empty value
  // means the attribute is absent.
  absl::Span<const ItemAttribute> attributes{};
  // Empty, or exactly the catalog's embedding dimension of finite floats.
  absl::Span<const float> embedding{};
};

}  // namespace aisle::catalog

#endif  // AISLE_CATALOG_ITEM_SPEC_H_
