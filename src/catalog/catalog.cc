#include "aisle/catalog/catalog.h"

#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "aisle/catalog/category_tree.h"

namespace aisle::catalog {

absl::StatusOr<ItemIndex> Catalog::Find(absl::string_view id) const {
  auto it = index_.find(id);
  if (it == index_.end()) {
    return absl::NotFoundError(absl::StrCat("item '", id, "' is not in the catalog"));
  }
  return it->second;
}

BrandIndex Catalog::FindBrand(absl::string_view name) const {
  auto it = brand_by_name_.find(name);
  return it == brand_by_name_.end() ? kNoBrand : it->second;
}

AttributeKeyIndex Catalog::FindAttributeKey(absl::string_view key) const {
  auto it = attr_key_by_name_.find(key);
  return it == attr_key_by_name_.end() ? kNoAttribute : it->second;
}

AttributeValueIndex Catalog::FindAttributeValue(absl::string_view value) const {
  auto it = attr_value_by_name_.find(value);
  return it == attr_value_by_name_.end() ? kNoAttribute : it->second;
}

std::optional<absl::string_view> Catalog::attribute(ItemIndex i, absl::string_view key) const {
  const AttributeKeyIndex k = FindAttributeKey(key);
  if (k == kNoAttribute) return std::nullopt;
  for (const AttributePair& p : attributes(i)) {
    if (p.key == k) return attr_values_[p.value];
  }
  return std::nullopt;
}

absl::StatusOr<CategoryIndex> CategoryTree::Find(absl::string_view path, char separator) const {
  std::string canonical;
  canonical.reserve(path.size());
  bool first = true;
  for (absl::string_view level : absl::StrSplit(path, separator)) {
    if (!first) canonical.push_back('>');
    first = false;
    absl::StrAppend(&canonical, absl::StripAsciiWhitespace(level));
  }
  auto it = by_path_.find(absl::string_view(canonical));
  if (it == by_path_.end()) {
    return absl::NotFoundError(absl::StrCat("category '", path, "' is not in the catalog"));
  }
  return it->second;
}

}  // namespace aisle::catalog
