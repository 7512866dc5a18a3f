// File: aisle/catalog/catalog_filters.h
//
// Item filters over a Catalog, each an ItemBitset sized to the catalog, for
// retrieval to AND together into a query's allowed set:
//
//   aisle::ItemBitset allowed = aisle::catalog::InStockItems(catalog, /*reserve=*/0);
//   const aisle::CategoryIndex cats[] = {audio};
//   AISLE_ASSIGN_OR_RETURN(aisle::ItemBitset in_audio,
//                          aisle::catalog::ItemsInCategories(catalog, cats));
//   allowed.And(in_audio);
//   allowed.And(aisle::catalog::ItemsWithBrand(catalog, "Acme"));
//
// These are built once per snapshot (or per distinct filter) and cached by
// the caller, not per request. Category filters cost O(matching items) via
// the catalog's precomputed lists; brand and attribute filters scan one
// column.
//
// Thread-safe (pure functions of an immutable catalog).
#ifndef AISLE_CATALOG_CATALOG_FILTERS_H_
#define AISLE_CATALOG_CATALOG_FILTERS_H_

#include <cstdint>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "aisle/catalog/catalog.h"
#include "aisle/core/ids.h"
#include "aisle/core/item_bitset.h"

namespace aisle::catalog {

// Items whose snapshot stock is greater than `reserve`.
ItemBitset InStockItems(const Catalog& catalog, int32_t reserve = 0);

// Items whose category is one of `categories` or below one of them.
// InvalidArgument naming the index when one is out of range.
absl::StatusOr<ItemBitset> ItemsInCategories(const Catalog& catalog,
                                             absl::Span<const CategoryIndex> categories);

// Items of brand `brand`; empty when no item has it.
ItemBitset ItemsWithBrand(const Catalog& catalog, absl::string_view brand);
ItemBitset ItemsWithBrand(const Catalog& catalog, BrandIndex brand);

// Items whose attribute `key` equals `value`; empty when none has it.
ItemBitset ItemsWithAttribute(const Catalog& catalog, absl::string_view key,
                              absl::string_view value);

}  // namespace aisle::catalog

#endif  // AISLE_CATALOG_CATALOG_FILTERS_H_
