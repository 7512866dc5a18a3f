// File: aisle/ranking/model_binding.h
//
// FeatureBinding: how a model's features map onto the columns of a feature
// layout (the column order of the matrices a ranker will score). A model is
// bound once, at load; a feature the model needs but the layout lacks fails
// here, naming the feature, never at serve time.
//
//   std::vector<std::string> layout = {"price", "ctr_7d", "age_days"};
//   AISLE_ASSIGN_OR_RETURN(FeatureBinding b,
//       BindFeaturesByName(model.feature_names, needed, layout, "ctr.json"));
//   // b.layout_column[model_feature] is the matrix column (or -1 if unused).
//
// FeatureBinding is a plain value type: thread-compatible.
#ifndef AISLE_RANKING_MODEL_BINDING_H_
#define AISLE_RANKING_MODEL_BINDING_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"

namespace aisle::ranking {

struct FeatureBinding {
  // One entry per model feature: its column in the layout, or -1 when the
  // model never reads it.
  std::vector<int32_t> layout_column;
  // Number of columns of the matrices the bound ranker scores.
  size_t layout_size = 0;
};

// Binds by name. `needed[i]` != 0 marks model features the model reads (empty
// span: all are needed). A needed feature absent from `layout_names` is
// NotFound naming it; a model without names, or duplicate layout names, is
// InvalidArgument. `what` names the model in messages.
absl::StatusOr<FeatureBinding> BindFeaturesByName(absl::Span<const std::string> model_names,
                                                  absl::Span<const uint8_t> needed,
                                                  absl::Span<const std::string> layout_names,
                                                  absl::string_view what = "model");

// Binds by an explicit map: model feature i reads column model_to_layout[i]
// (-1 allowed only for features that are not needed). Columns must be in
// [0, layout_size).
absl::StatusOr<FeatureBinding> BindFeaturesByIndex(absl::Span<const int32_t> model_to_layout,
                                                   size_t layout_size,
                                                   absl::Span<const uint8_t> needed,
                                                   absl::string_view what = "model");

// Model feature i reads column i of a num_features-wide layout.
FeatureBinding IdentityBinding(size_t num_features);

}  // namespace aisle::ranking

#endif  // AISLE_RANKING_MODEL_BINDING_H_
