// File: aisle/retrieval/merge.h
//
// Defines the merge of several candidate sources' lists into one bounded,
// de-duplicated candidate set: MergedCandidates (candidates, their per-source
// scores as a dense candidates x sources matrix, and the source names) and
// CandidateMerger, which does the merge with reusable scratch.
//
//   aisle::retrieval::CandidateMerger merger(catalog_size);  // one per thread
//   aisle::retrieval::MergedCandidates merged;               // reused
//   const aisle::retrieval::SourceCandidates lists[] = {
//       {.name = "ann", .candidates = ann_out, .quota = 300},
//       {.name = "covis", .candidates = covis_out, .quota = 300},
//       {.name = "popular", .candidates = pop_out, .quota = 100}};
//   AISLE_RETURN_IF_ERROR(merger.Merge(lists, /*max_total=*/500, merged));
//   // merged.candidates[r].sources has every proposing source's bit;
//   // merged.SourceScore(r, 1) is covis's score for row r, NaN if covis did
//   // not propose it.
//
// The rule. Each source contributes at most its first `quota` candidates
// (sources return best first). Candidates are taken by rank, round-robin
// across sources: every source's rank-0 candidate (in input order), then every
// rank-1 candidate, and so on. A candidate already taken is merged, not
// repeated: its score becomes the maximum of the proposing sources' scores,
// its source bits are OR-ed, and the proposing source's column is filled. A
// new candidate is admitted only while fewer than `max_total` are taken, so
// when the bound cuts, each source has had the same number of ranks
// considered and none starves (a source with a small quota simply runs out).
// Duplicates of admitted candidates are still merged after the bound is
// reached, so tags and per-source scores are complete for every returned
// candidate. The output is in that interleaved order, not sorted: scores of
// different sources are not comparable, and ranking comes next.
//
// Cost: O(sum of quotas), no allocation once the output and scratch have
// grown to their working size; the de-duplication table is a dense
// generation-stamped array over the catalog (4 + 4 bytes per item).
#ifndef AISLE_RETRIEVAL_MERGE_H_
#define AISLE_RETRIEVAL_MERGE_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "aisle/core/candidate.h"
#include "aisle/core/ids.h"
#include "aisle/core/matrix.h"
#include "aisle/retrieval/candidate_source.h"

namespace aisle::retrieval {

// One source's list, as input to Merge().
struct SourceCandidates {
  absl::string_view name;                  // column name in MergedCandidates
  absl::Span<const Candidate> candidates;  // best first
  size_t quota = 0;                        // take at most this many
};

// The merged set. Plain value type: thread-compatible.
struct MergedCandidates {
  std::vector<Candidate> candidates;
  // candidates.size() x source_names.size(), row-major; NaN where the source
  // did not propose the candidate.
  std::vector<float> source_scores;
  std::vector<std::string> source_names;

  size_t size() const { return candidates.size(); }
  size_t num_sources() const { return source_names.size(); }
  float SourceScore(size_t row, size_t source) const {
    return source_scores[row * source_names.size() + source];
  }
  MatrixView SourceScoreMatrix() const {
    return MatrixView(source_scores.data(), candidates.size(), source_names.size());
  }
};

// A source to run in RetrieveAndMerge().
struct SourceSpec {
  const CandidateSource* source = nullptr;
  size_t quota = 0;
  SourceId id = 0;  // tag bit; also the order of sources is the column order
  size_t ef = 0;    // RetrievalQuery::ef for this source (0 = the query's)
};

// Merges candidate lists as described in the file comment.
//
// Thread-compatible: Merge() mutates the merger's scratch, so keep one
// merger per serving thread (or per request); distinct mergers are
// independent.
class CandidateMerger {
 public:
  // `num_items` sizes the de-duplication table; items must be below it. The
  // table is allocated by the first Merge(), which checks num_items (a
  // constructor cannot fail).
  explicit CandidateMerger(size_t num_items) : num_items_(num_items) {}

  // Replaces `out`'s contents (keeping its capacity). InvalidArgument, with
  // `out` cleared, when num_items is outside [0, 2^32-1), there are more than
  // kMaxSources lists, or a candidate has an item index >= num_items or a NaN
  // score (the message names the source, rank and item index);
  // ResourceExhausted when the table cannot be allocated.
  absl::Status Merge(absl::Span<const SourceCandidates> sources, size_t max_total,
                     MergedCandidates& out);

  // Runs each source once (Retrieve with its quota into reused per-source
  // buffers), then Merge()s them with columns named after the sources. The
  // first source error is returned, prefixed with the source's name.
  absl::Status RetrieveAndMerge(absl::Span<const SourceSpec> specs, const RetrievalQuery& query,
                                size_t max_total, MergedCandidates& out);

  size_t num_items() const { return num_items_; }

 private:
  size_t num_items_;
  std::vector<uint32_t> stamp_;  // == gen_: slot_ is valid this request
  std::vector<uint32_t> slot_;   // row in out.candidates
  uint32_t gen_ = 0;
  std::vector<std::vector<Candidate>> per_source_;
  std::vector<SourceCandidates> lists_;
};

}  // namespace aisle::retrieval

#endif  // AISLE_RETRIEVAL_MERGE_H_
