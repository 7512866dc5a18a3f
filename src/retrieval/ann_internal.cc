#include "retrieval/ann_internal.h"

#include <cmath>

#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace aisle::retrieval {

absl::string_view MetricName(Metric metric) {
  switch (metric) {
    case Metric::kInnerProduct:
      return "inner_product";
    case Metric::kCosine:
      return "cosine";
    case Metric::kL2:
      return "l2";
  }
  return "unknown";
}

absl::StatusOr<Metric> ParseMetric(absl::string_view name) {
  const std::string n = absl::AsciiStrToLower(std::string(name));
  if (n == "inner_product" || n == "ip" || n == "dot") return Metric::kInnerProduct;
  if (n == "cosine") return Metric::kCosine;
  if (n == "l2") return Metric::kL2;
  return absl::InvalidArgumentError(absl::StrCat("unknown metric '", std::string(name),
                                                 "' (expected inner_product, cosine or l2)"));
}

absl::string_view SearchStrategyName(SearchStrategy s) {
  switch (s) {
    case SearchStrategy::kNone:
      return "none";
    case SearchStrategy::kGraph:
      return "graph";
    case SearchStrategy::kGraphFiltered:
      return "graph_filtered";
    case SearchStrategy::kExact:
      return "exact";
  }
  return "unknown";
}

namespace internal {

absl::Status ValidateVector(absl::Span<const float> v, size_t dim, absl::string_view what) {
  if (v.size() != dim) {
    return absl::InvalidArgumentError(absl::StrCat(std::string(what), " has dimension ", v.size(),
                                                   ", the index has dimension ", dim));
  }
  for (size_t d = 0; d < v.size(); ++d) {
    if (!std::isfinite(v[d])) {
      return absl::InvalidArgumentError(
          absl::StrCat(std::string(what), " component ", d, " is not finite (", v[d], ")"));
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateEmbeddings(MatrixView m, Metric metric) {
  if (m.cols == 0) return absl::InvalidArgumentError("embeddings have dimension 0");
  if (m.rows > 0 && m.data == nullptr) {
    return absl::InvalidArgumentError("embeddings have rows but no data");
  }
  for (size_t r = 0; r < m.rows; ++r) {
    const float* row = m.Row(r);
    double norm = 0;
    for (size_t c = 0; c < m.cols; ++c) {
      if (!std::isfinite(row[c])) {
        return absl::InvalidArgumentError(absl::StrCat("embedding of item index ", r,
                                                       " component ", c, " is not finite (",
                                                       row[c], ")"));
      }
      norm += double(row[c]) * row[c];
    }
    if (metric == Metric::kCosine && norm == 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("embedding of item index ", r,
                       " is zero and cannot be normalized for cosine"));
    }
  }
  return absl::OkStatus();
}

bool NormalizeInPlace(float* v, size_t dim) {
  double norm = 0;
  for (size_t d = 0; d < dim; ++d) norm += double(v[d]) * v[d];
  if (!(norm > 0) || !std::isfinite(norm)) return false;
  const float inv = static_cast<float>(1.0 / std::sqrt(norm));
  for (size_t d = 0; d < dim; ++d) v[d] *= inv;
  return true;
}

absl::Status PrepareQuery(Metric metric, absl::Span<const float> v, std::vector<float>& out,
                          absl::string_view what) {
  out.assign(v.begin(), v.end());
  if (metric == Metric::kCosine && !NormalizeInPlace(out.data(), out.size())) {
    return absl::InvalidArgumentError(
        absl::StrCat(std::string(what), " is zero and cannot be normalized for cosine"));
  }
  return absl::OkStatus();
}

SearchScratch& LocalScratch() {
  thread_local SearchScratch scratch;
  return scratch;
}

}  // namespace internal
}  // namespace aisle::retrieval
