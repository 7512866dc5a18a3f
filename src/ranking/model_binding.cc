#include "aisle/ranking/model_binding.h"

#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace aisle::ranking {

absl::StatusOr<FeatureBinding> BindFeaturesByName(absl::Span<const std::string> model_names,
                                                  absl::Span<const uint8_t> needed,
                                                  absl::Span<const std::string> layout_names,
                                                  absl::string_view what) {
  if (!needed.empty() && needed.size() != model_names.size()) {
    return absl::InvalidArgumentError(absl::StrCat(what, ": needed mask has ", needed.size(),
                                                   " entries for ", model_names.size(),
                                                   " features"));
  }
  absl::flat_hash_map<std::string, int32_t> column;
  column.reserve(layout_names.size());
  for (size_t i = 0; i < layout_names.size(); ++i) {
    if (!column.emplace(layout_names[i], static_cast<int32_t>(i)).second) {
      return absl::InvalidArgumentError(absl::StrCat(what, ": layout names feature \"",
                                                     layout_names[i], "\" twice (columns ",
                                                     column[layout_names[i]], " and ", i, ")"));
    }
  }
  FeatureBinding b;
  b.layout_size = layout_names.size();
  b.layout_column.assign(model_names.size(), -1);
  for (size_t i = 0; i < model_names.size(); ++i) {
    if (!needed.empty() && !needed[i]) continue;
    auto it = column.find(model_names[i]);
    if (it == column.end()) {
      return absl::NotFoundError(absl::StrCat(what, ": feature \"", model_names[i],
                                              "\" (model feature ", i,
                                              ") is not in the feature layout"));
    }
    b.layout_column[i] = it->second;
  }
  return b;
}

absl::StatusOr<FeatureBinding> BindFeaturesByIndex(absl::Span<const int32_t> model_to_layout,
                                                   size_t layout_size,
                                                   absl::Span<const uint8_t> needed,
                                                   absl::string_view what) {
  if (!needed.empty() && needed.size() != model_to_layout.size()) {
    return absl::InvalidArgumentError(absl::StrCat(what, ": index map has ", model_to_layout.size(),
                                                   " entries for ", needed.size(),
                                                   " model features"));
  }
  FeatureBinding b;
  b.layout_size = layout_size;
  b.layout_column.assign(model_to_layout.begin(), model_to_layout.end());
  for (size_t i = 0; i < model_to_layout.size(); ++i) {
    const int32_t c = model_to_layout[i];
    const bool need = needed.empty() || needed[i];
    if (c == -1 && !need) continue;
    if (c < 0 || static_cast<size_t>(c) >= layout_size) {
      return absl::InvalidArgumentError(
          absl::StrCat(what, ": model feature ", i, " maps to column ", c,
                       ", outside the layout [0, ", layout_size, ")"));
    }
  }
  return b;
}

FeatureBinding IdentityBinding(size_t num_features) {
  FeatureBinding b;
  b.layout_size = num_features;
  b.layout_column.resize(num_features);
  for (size_t i = 0; i < num_features; ++i) b.layout_column[i] = static_cast<int32_t>(i);
  return b;
}

}  // namespace aisle::ranking
