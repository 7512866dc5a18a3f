#include "aisle/ranking/linear_ranker.h"

#include <cmath>
#include <string>
#include <utility>

#include "Eigen/Core"
#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_format.h"

namespace aisle::ranking {

absl::StatusOr<std::unique_ptr<LinearRanker>> LinearRanker::Create(
    const LinearModel& model, absl::Span<const std::string> layout, LinearRankerOptions options) {
  absl::flat_hash_map<std::string, size_t> column_of;
  for (size_t c = 0; c < layout.size(); ++c) {
    if (layout[c].empty()) {
      return absl::InvalidArgumentError(
          absl::StrFormat("linear ranker '%s': layout column %d has an empty name", model.name, c));
    }
    if (auto [it, inserted] = column_of.emplace(layout[c], c); !inserted) {
      return absl::InvalidArgumentError(
          absl::StrFormat("linear ranker '%s': layout names '%s' twice (columns %d and %d)",
                          model.name, layout[c], it->second, c));
    }
  }
  std::unique_ptr<LinearRanker> r(new LinearRanker());
  r->weights_.assign(layout.size(), 0.0f);
  r->missing_.assign(layout.size(), 0.0f);
  for (const LinearTerm& t : model.terms) {
    if (!std::isfinite(t.weight) || !std::isfinite(t.missing_value)) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "linear ranker '%s': feature '%s' has weight %f, missing value %f (must be finite)",
          model.name, t.feature, t.weight, t.missing_value));
    }
    auto it = column_of.find(t.feature);
    if (it == column_of.end()) {
      if (options.allow_missing_as_zero) {
        r->unbound_.push_back(t.feature);
        continue;
      }
      return absl::NotFoundError(absl::StrFormat(
          "linear ranker '%s': model feature '%s' (weight %g) is not in the feature layout of %d "
          "columns",
          model.name, t.feature, t.weight, layout.size()));
    }
    r->weights_[it->second] += t.weight;
    r->missing_[it->second] = t.missing_value;
  }
  if (!std::isfinite(model.bias)) {
    return absl::InvalidArgumentError(
        absl::StrFormat("linear ranker '%s': bias %f is not finite", model.name, model.bias));
  }
  r->bias_ = model.bias;
  r->link_ = model.link;
  r->output_margin_ = options.output_margin;
  r->version_ = model.Version();
  return r;
}

absl::Status LinearRanker::Score(MatrixView features, absl::Span<float> scores) const {
  const size_t cols = weights_.size();
  if (features.cols != cols) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "linear ranker %s: matrix has %d columns, expected %d", version_, features.cols, cols));
  }
  if (scores.size() != features.rows) {
    return absl::InvalidArgumentError(absl::StrFormat("linear ranker %s: %d scores for %d rows",
                                                      version_, scores.size(), features.rows));
  }
  if (features.rows == 0) return absl::OkStatus();
  if (features.data == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrFormat("linear ranker %s: matrix data is null", version_));
  }
  using RowMajor = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  const Eigen::Map<const RowMajor> x(features.data, static_cast<Eigen::Index>(features.rows),
                                     static_cast<Eigen::Index>(cols));
  const Eigen::Map<const Eigen::VectorXf> w(weights_.data(), static_cast<Eigen::Index>(cols));
  Eigen::Map<Eigen::VectorXf> s(scores.data(), static_cast<Eigen::Index>(scores.size()));
  s.noalias() = x * w;
  for (size_t r = 0; r < features.rows; ++r) {
    float m = scores[r];
    if (std::isnan(m)) [[unlikely]] {
      // A NaN input (or Inf * 0) reached the product: recompute the row with
      // NaN inputs replaced by their missing values. Rare, so scalar.
      const float* row = features.Row(r);
      m = 0.0f;
      for (size_t c = 0; c < cols; ++c) {
        const float v = std::isnan(row[c]) ? missing_[c] : row[c];
        if (weights_[c] != 0.0f) m += weights_[c] * v;
      }
    }
    m += bias_;
    if (link_ == LinearLink::kLogistic && !output_margin_) m = 1.0f / (1.0f + std::exp(-m));
    scores[r] = m;
  }
  return absl::OkStatus();
}

}  // namespace aisle::ranking
