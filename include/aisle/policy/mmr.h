// File: aisle/policy/mmr.h
//
// MmrDiversifier: maximal marginal relevance over item embeddings. It picks k
// items greedily; each step takes the candidate maximizing
//
//   lambda * rel(i) - (1 - lambda) * max_{s selected} cos(e_i, e_s)
//
// where rel is the candidate's score min-max normalized to [0, 1] over the
// list (so lambda means the same for any ranker's score scale). lambda = 1 is
// pure relevance order, lambda = 0 pure novelty. Cost O(k * n * dim): the
// candidates' rows are gathered once into a contiguous, L2-normalized scratch
// matrix and each step is one matrix-vector product. Ties go to the earlier
// candidate. Scores are left as they were; only the order changes.
//
//   auto mmr = aisle::policy::MmrDiversifier::Create(item_embeddings, /*lambda=*/0.7f);
//   AISLE_RETURN_IF_ERROR(mmr->Apply(ranked, /*k=*/50, deadline));
//
// If the deadline expires mid-way (checked every 8 picks), the remaining
// slots are filled in relevance order and the report says so.
//
// Thread-safe (immutable after Create; per-thread scratch buffers). The
// embedding matrix is borrowed and must outlive the diversifier.
#ifndef AISLE_POLICY_MMR_H_
#define AISLE_POLICY_MMR_H_

#include <cstddef>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "aisle/core/candidate.h"
#include "aisle/core/deadline.h"
#include "aisle/core/matrix.h"

namespace aisle::policy {

struct MmrReport {
  size_t selected_by_mmr = 0;  // picks made by MMR before any deadline
  bool deadline_expired = false;
};

class MmrDiversifier {
 public:
  // InvalidArgument when lambda is outside [0, 1] or NaN, or the matrix has
  // no columns.
  static absl::StatusOr<MmrDiversifier> Create(MatrixView item_embeddings, float lambda);

  // Reorders `ranked` (any order; relevance is the score) into the MMR order
  // and truncates it to k. InvalidArgument naming the item when a
  // candidate's item has no embedding row; the list is then unchanged.
  absl::Status Apply(std::vector<Candidate>& ranked, size_t k,
                     const Deadline& deadline = Deadline(), MmrReport* report = nullptr) const;

  float lambda() const { return lambda_; }

 private:
  MmrDiversifier(MatrixView e, float lambda) : embeddings_(e), lambda_(lambda) {}
  MatrixView embeddings_;
  float lambda_;
};

}  // namespace aisle::policy

#endif  // AISLE_POLICY_MMR_H_
