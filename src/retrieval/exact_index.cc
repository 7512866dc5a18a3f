#include "aisle/retrieval/exact_index.h"

#include <Eigen/Core>
#include <algorithm>
#include <bit>
#include <cmath>
#include <string>

#include "absl/strings/str_cat.h"
#include "aisle/core/status_macros.h"
#include "retrieval/ann_internal.h"

namespace aisle::retrieval {
namespace {

using RowMatrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

// The dense scan reads the filter one block of whole 64-bit words at a time.
static_assert(kExactBlockRows % 64 == 0);

}  // namespace

absl::StatusOr<ExactIndex> ExactIndex::Build(MatrixView embeddings, Metric metric) {
  if (metric != Metric::kInnerProduct && metric != Metric::kCosine && metric != Metric::kL2) {
    return absl::InvalidArgumentError(
        absl::StrCat("unknown metric value ", static_cast<int>(metric)));
  }
  if (embeddings.rows >= kInvalidItem) {
    return absl::InvalidArgumentError(absl::StrCat(
        "embeddings have ", embeddings.rows, " rows, outside [0, 2^32-1) (the ItemIndex range)"));
  }
  AISLE_RETURN_IF_ERROR(internal::ValidateEmbeddings(embeddings, metric));
  ExactIndex index;
  index.metric_ = metric;
  index.rows_ = embeddings.rows;
  index.dim_ = embeddings.cols;
  index.data_.assign(embeddings.data, embeddings.data + embeddings.rows * embeddings.cols);
  if (metric == Metric::kCosine) {
    for (size_t r = 0; r < index.rows_; ++r) {
      internal::NormalizeInPlace(index.data_.data() + r * index.dim_, index.dim_);
    }
  }
  if (metric == Metric::kL2) {
    index.sq_norms_.resize(index.rows_);
    Eigen::Map<const RowMatrix> m(index.data_.data(), index.rows_, index.dim_);
    Eigen::Map<Eigen::VectorXf>(index.sq_norms_.data(), index.rows_) = m.rowwise().squaredNorm();
  }
  return index;
}

absl::Status ExactIndex::Search(absl::Span<const float> query, const VectorSearchParams& params,
                                std::vector<ScoredItem>& out, SearchStats* stats) const {
  out.clear();
  AISLE_RETURN_IF_ERROR(internal::ValidateVector(query, dim_, "query"));
  internal::SearchScratch& s = internal::LocalScratch();
  AISLE_RETURN_IF_ERROR(internal::PrepareQuery(metric_, query, s.query, "query"));
  return SearchPrepared(s.query.data(), params, {}, out, stats);
}

absl::Status ExactIndex::SearchBySeeds(absl::Span<const ItemIndex> seeds,
                                       const VectorSearchParams& params,
                                       std::vector<ScoredItem>& out, SearchStats* stats) const {
  out.clear();
  if (seeds.empty()) return absl::InvalidArgumentError("seed query has no seeds");
  internal::SearchScratch& s = internal::LocalScratch();
  s.query.assign(dim_, 0.0f);
  for (ItemIndex seed : seeds) {
    if (seed >= rows_) {
      return absl::NotFoundError(
          absl::StrCat("seed item index ", seed, " is not in the index (size ", rows_, ")"));
    }
    const float* row = data_.data() + size_t{seed} * dim_;
    for (size_t d = 0; d < dim_; ++d) s.query[d] += row[d];
  }
  const float inv = 1.0f / static_cast<float>(seeds.size());
  for (float& x : s.query) x *= inv;
  if (metric_ == Metric::kCosine && !internal::NormalizeInPlace(s.query.data(), dim_)) {
    return absl::InvalidArgumentError("the mean of the seed vectors is zero");
  }
  return SearchPrepared(s.query.data(), params, seeds, out, stats);
}

absl::Status ExactIndex::SearchPrepared(const float* query, const VectorSearchParams& params,
                                        absl::Span<const ItemIndex> seeds,
                                        std::vector<ScoredItem>& out, SearchStats* stats) const {
  SearchStats local;
  SearchStats& st = stats ? *stats : local;
  st = SearchStats{};
  st.strategy = SearchStrategy::kExact;
  const ItemFilter* filter = params.filter;
  const size_t allowed_estimate = filter == nullptr ? rows_ : filter->AllowedCount();
  if (filter != nullptr) {
    st.selectivity = rows_ == 0 ? 0.0 : std::min(1.0, double(allowed_estimate) / double(rows_));
  }
  if (params.k == 0 || rows_ == 0 || allowed_estimate == 0) {
    st.strategy = SearchStrategy::kNone;
    return absl::OkStatus();
  }
  internal::SearchScratch& s = internal::LocalScratch();
  s.excluded.Reset(params.exclude, seeds);
  internal::TopK top(params.k, s.heap);
  Eigen::Map<const Eigen::VectorXf> q(query, dim_);
  const float q_sq = metric_ == Metric::kL2 ? q.squaredNorm() : 0.0f;
  auto score_of = [&](float dot, size_t row) {
    return metric_ == Metric::kL2 ? 2.0f * dot - sq_norms_[row] - q_sq : dot;
  };

  // Filter words, read a block at a time (one call per 1,024 rows).
  constexpr size_t kBlockWords = (kExactBlockRows + 63) / 64;
  uint64_t words[kBlockWords];
  if (filter != nullptr && st.selectivity < kExactGatherBelow) {
    // Sparse allowed set: walk its bits, score member rows one by one.
    const size_t num_words = (std::min(filter->Size(), rows_) + 63) / 64;
    size_t scored_in_block = 0;
    bool expired = false;
    for (size_t w0 = 0; w0 < num_words && !expired; w0 += kBlockWords) {
      const size_t block = std::min(kBlockWords, num_words - w0);
      filter->AllowedWords(w0, absl::MakeSpan(words, block));
      for (size_t j = 0; j < block && !expired; ++j) {
        uint64_t bits = words[j];
        while (bits) {
          const size_t i = (w0 + j) * 64 + std::countr_zero(bits);
          bits &= bits - 1;
          if (i >= rows_) break;
          if (!s.excluded.empty() && s.excluded.Contains(static_cast<ItemIndex>(i))) continue;
          Eigen::Map<const Eigen::VectorXf> row(data_.data() + i * dim_, dim_);
          top.Push(static_cast<ItemIndex>(i), score_of(row.dot(q), i));
          ++st.candidates_scanned;
          ++scored_in_block;
        }
        if (scored_in_block >= kExactBlockRows) {
          scored_in_block = 0;
          if (params.deadline.Expired()) {
            st.deadline_expired = true;
            expired = true;
          }
        }
      }
    }
  } else {
    s.scores.resize(kExactBlockRows);
    for (size_t start = 0; start < rows_; start += kExactBlockRows) {
      if (start > 0 && params.deadline.Expired()) {
        st.deadline_expired = true;
        break;
      }
      const size_t n = std::min(kExactBlockRows, rows_ - start);
      Eigen::Map<const RowMatrix> block(data_.data() + start * dim_, n, dim_);
      Eigen::Map<Eigen::VectorXf> scores(s.scores.data(), n);
      scores.noalias() = block * q;
      st.candidates_scanned += n;
      // start is a multiple of 64 (kExactBlockRows is), so the block's rows
      // are the bits of kBlockWords whole words.
      if (filter != nullptr) filter->AllowedWords(start / 64, absl::MakeSpan(words, kBlockWords));
      for (size_t j = 0; j < n; ++j) {
        const size_t i = start + j;
        if (filter != nullptr && ((words[j >> 6] >> (j & 63)) & 1) == 0) continue;
        if (!s.excluded.empty() && s.excluded.Contains(static_cast<ItemIndex>(i))) continue;
        top.Push(static_cast<ItemIndex>(i), score_of(scores[j], i));
      }
    }
  }
  top.Drain(out);
  return absl::OkStatus();
}

}  // namespace aisle::retrieval
