// File: aisle/ranking/linear_ranker.h
//
// LinearRanker: a LinearModel bound to a feature layout (the column names of
// the matrices it will score, e.g. FeatureSchema::names()), scoring a whole
// candidates x features matrix per call with one Eigen matrix-vector product.
//
//   AISLE_ASSIGN_OR_RETURN(LinearModel model, LoadLinearModelFile("ctr.json"));
//   AISLE_ASSIGN_OR_RETURN(std::unique_ptr<LinearRanker> ranker,
//                          LinearRanker::Create(model, schema.names()));
//   std::vector<float> scores(matrix.rows);
//   AISLE_RETURN_IF_ERROR(ranker->Score(matrix, absl::MakeSpan(scores)));
//
// Binding: every model feature must be a layout column (NotFound naming the
// feature otherwise) unless options.allow_missing_as_zero, which drops such
// terms (listed by unbound_features()). Layout columns the model has no
// weight for are ignored.
//
// Missing values: a NaN input is replaced by the term's missing_value (0
// unless the model declares one), so a NaN never poisons a score. A NaN input
// in a column the model ignores is ignored too. +-Inf inputs are used as
// they are (the score may then be +-Inf, or NaN for Inf - Inf).
//
// LinearRanker is immutable after Create(): thread-safe.
#ifndef AISLE_RANKING_LINEAR_RANKER_H_
#define AISLE_RANKING_LINEAR_RANKER_H_

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "aisle/core/matrix.h"
#include "aisle/ranking/linear_model.h"
#include "aisle/ranking/ranker.h"

namespace aisle::ranking {

struct LinearRankerOptions {
  // Drop terms whose feature the layout lacks instead of failing.
  bool allow_missing_as_zero = false;
  // Write margins even for a logistic model (ranking order is the same).
  bool output_margin = false;
};

class LinearRanker final : public Ranker {
 public:
  // InvalidArgument for duplicate or empty layout names; NotFound naming the
  // first model feature the layout lacks (unless allow_missing_as_zero).
  static absl::StatusOr<std::unique_ptr<LinearRanker>> Create(const LinearModel& model,
                                                              absl::Span<const std::string> layout,
                                                              LinearRankerOptions options = {});

  absl::string_view version() const override { return version_; }
  size_t num_features() const override { return weights_.size(); }
  // InvalidArgument when features.cols != num_features(), scores.size() !=
  // features.rows, or data is null with rows > 0.
  absl::Status Score(MatrixView features, absl::Span<float> scores) const override;

  // One weight per layout column (0 for columns the model ignores).
  absl::Span<const float> weights() const { return weights_; }
  float bias() const { return bias_; }
  LinearLink link() const { return link_; }
  // Model features dropped under allow_missing_as_zero.
  absl::Span<const std::string> unbound_features() const { return unbound_; }

 private:
  LinearRanker() = default;

  std::string version_;
  std::vector<float> weights_;
  std::vector<float> missing_;  // per layout column
  float bias_ = 0.0f;
  LinearLink link_ = LinearLink::kIdentity;
  bool output_margin_ = false;
  std::vector<std::string> unbound_;
};

}  // namespace aisle::ranking

#endif  // AISLE_RANKING_LINEAR_RANKER_H_
