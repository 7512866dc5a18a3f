#include "aisle/catalog/catalog_filters.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace aisle::catalog {

ItemBitset InStockItems(const Catalog& catalog, int32_t reserve) {
  ItemBitset out(catalog.size());
  const absl::Span<const int32_t> stock = catalog.stocks();
  for (size_t i = 0; i < stock.size(); ++i) {
    if (stock[i] > reserve) out.Set(static_cast<ItemIndex>(i));
  }
  return out;
}

absl::StatusOr<ItemBitset> ItemsInCategories(const Catalog& catalog,
                                             absl::Span<const CategoryIndex> categories) {
  const CategoryTree& tree = catalog.categories();
  for (CategoryIndex c : categories) {
    if (c >= tree.size()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "category index ", c, " is out of range (catalog has ", tree.size(), " categories)"));
    }
  }
  ItemBitset out(catalog.size());
  for (CategoryIndex c : categories) {
    for (ItemIndex i : catalog.ItemsInCategory(c)) out.Set(i);
  }
  return out;
}

ItemBitset ItemsWithBrand(const Catalog& catalog, BrandIndex brand) {
  ItemBitset out(catalog.size());
  if (brand == kNoBrand) return out;
  const absl::Span<const BrandIndex> brands = catalog.brands();
  for (size_t i = 0; i < brands.size(); ++i) {
    if (brands[i] == brand) out.Set(static_cast<ItemIndex>(i));
  }
  return out;
}

ItemBitset ItemsWithBrand(const Catalog& catalog, absl::string_view brand) {
  return ItemsWithBrand(catalog, catalog.FindBrand(brand));
}

ItemBitset ItemsWithAttribute(const Catalog& catalog, absl::string_view key,
                              absl::string_view value) {
  ItemBitset out(catalog.size());
  const AttributeKeyIndex k = catalog.FindAttributeKey(key);
  const AttributeValueIndex v = catalog.FindAttributeValue(value);
  if (k == kNoAttribute || v == kNoAttribute) return out;
  for (size_t i = 0; i < catalog.size(); ++i) {
    for (const AttributePair& p : catalog.attributes(static_cast<ItemIndex>(i))) {
      if (p.key == k && p.value == v) {
        out.Set(static_cast<ItemIndex>(i));
        break;
      }
    }
  }
  return out;
}

}  // namespace aisle::catalog
