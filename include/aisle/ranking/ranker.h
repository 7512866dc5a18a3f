// File: aisle/ranking/ranker.h
//
// The interface every ranker implements (linear, logistic, GBDT, a host
// callback). A ranker is bound at load to a feature layout: the column order
// of the matrices it will score. Score() is called once per request with the
// whole candidates x features matrix (row-major) and writes one score per
// row, in input order.
//
//   std::vector<float> scores(matrix.rows);
//   AISLE_RETURN_IF_ERROR(ranker.Score(matrix, absl::MakeSpan(scores)));
//
// Implementations are thread-safe for concurrent Score() calls.
#ifndef AISLE_RANKING_RANKER_H_
#define AISLE_RANKING_RANKER_H_

#include <cstddef>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "aisle/core/deadline.h"
#include "aisle/core/matrix.h"

namespace aisle::ranking {

class Ranker {
 public:
  virtual ~Ranker() = default;

  // Model identity that goes into responses and impression logs, e.g.
  // "gbdt:ctr-2026-11-20:sha=1a2b3c4d".
  virtual absl::string_view version() const = 0;

  // Number of columns Score() expects.
  virtual size_t num_features() const = 0;

  // scores.size() must equal features.rows and features.cols must equal
  // num_features(); otherwise InvalidArgument. NaN and Inf inputs follow the
  // model's missing-value rules and never fail.
  virtual absl::Status Score(MatrixView features, absl::Span<float> scores) const = 0;

  // Score() that stops when `deadline` passes, returning DeadlineExceeded
  // (the serving path then degrades to its next fallback level). Rankers that
  // can run long check the deadline between blocks of rows; the default
  // checks it once before scoring.
  virtual absl::Status Score(MatrixView features, absl::Span<float> scores,
                             const Deadline& deadline) const {
    if (deadline.Expired()) return absl::DeadlineExceededError("ranker: deadline passed");
    return Score(features, scores);
  }
};

}  // namespace aisle::ranking

#endif  // AISLE_RANKING_RANKER_H_
