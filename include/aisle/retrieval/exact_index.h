// File: aisle/retrieval/exact_index.h
//
// ExactIndex: brute-force nearest neighbours over item embeddings with the
// same metrics and scores as AnnIndex. It scores blocks of rows with Eigen
// matrix-vector products and keeps the k best in a bounded heap, so it is the
// right index for small catalogs (a few tens of thousands of items) and the
// ground truth that ANN recall is measured against.
//
//   AISLE_ASSIGN_OR_RETURN(aisle::retrieval::ExactIndex exact,
//                          aisle::retrieval::ExactIndex::Build(
//                              embeddings, aisle::retrieval::Metric::kCosine));
//   std::vector<aisle::retrieval::ScoredItem> top;
//   AISLE_RETURN_IF_ERROR(exact.Search(query, {.k = 10}, top));
//
// With a filter, a dense allowed set is scored block by block and masked; a
// sparse one (selectivity below kExactGatherBelow) is scored item by item
// over the set bits. The deadline is checked between blocks of
// kExactBlockRows rows.
//
// Thread-safety: thread-compatible; const methods (all searches) are safe to
// call concurrently.
#ifndef AISLE_RETRIEVAL_EXACT_INDEX_H_
#define AISLE_RETRIEVAL_EXACT_INDEX_H_

#include <cstddef>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "aisle/core/ids.h"
#include "aisle/core/matrix.h"
#include "aisle/retrieval/metric.h"
#include "aisle/retrieval/vector_search.h"

namespace aisle::retrieval {

inline constexpr size_t kExactBlockRows = 1024;
inline constexpr double kExactGatherBelow = 0.25;

class ExactIndex {
 public:
  // Copies (and for kCosine normalizes) the rows. InvalidArgument for a
  // NaN/Inf component (names row and column), a zero row under kCosine or
  // zero dim.
  static absl::StatusOr<ExactIndex> Build(MatrixView embeddings, Metric metric);

  ExactIndex() = default;

  // Same contract as AnnIndex::Search (params.ef is ignored).
  absl::Status Search(absl::Span<const float> query, const VectorSearchParams& params,
                      std::vector<ScoredItem>& out, SearchStats* stats = nullptr) const;
  // Same contract as AnnIndex::SearchBySeeds.
  absl::Status SearchBySeeds(absl::Span<const ItemIndex> seeds, const VectorSearchParams& params,
                             std::vector<ScoredItem>& out, SearchStats* stats = nullptr) const;

  size_t size() const { return rows_; }
  size_t dim() const { return dim_; }
  Metric metric() const { return metric_; }
  // The stored (possibly normalized) vector of `item`; item < size().
  absl::Span<const float> Row(ItemIndex item) const {
    return {data_.data() + size_t{item} * dim_, dim_};
  }

 private:
  absl::Status SearchPrepared(const float* query, const VectorSearchParams& params,
                              absl::Span<const ItemIndex> seeds, std::vector<ScoredItem>& out,
                              SearchStats* stats) const;

  Metric metric_ = Metric::kInnerProduct;
  size_t rows_ = 0;
  size_t dim_ = 0;
  std::vector<float> data_;      // rows_ x dim_, row-major
  std::vector<float> sq_norms_;  // |row|^2, for kL2
};

}  // namespace aisle::retrieval

#endif  // AISLE_RETRIEVAL_EXACT_INDEX_H_
