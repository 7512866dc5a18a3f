// File: aisle/retrieval/ann_source.h
//
// AnnSource: the candidate source over an AnnIndex. A request's user_vector
// is searched directly; without one, its seeds are (mean of their vectors,
// seeds never returned). The request's filter, exclude list and deadline are
// honoured; each candidate gets sources = SourceBit(id) and the metric score.
//
//   auto index = std::shared_ptr<const aisle::retrieval::AnnIndex>(
//       std::move(loaded_index));
//   aisle::retrieval::AnnSource ann(index, {.name = "ann_user", .ef = 128});
//   std::vector<aisle::Candidate> out;
//   AISLE_RETURN_IF_ERROR(ann.Retrieve(query, /*quota=*/200, /*id=*/0, out));
//
// Thread-safe: Retrieve may be called from any number of threads (the index
// is shared, read-only or guarded by the index itself).
#ifndef AISLE_RETRIEVAL_ANN_SOURCE_H_
#define AISLE_RETRIEVAL_ANN_SOURCE_H_

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "aisle/core/candidate.h"
#include "aisle/retrieval/ann_index.h"
#include "aisle/retrieval/candidate_source.h"
#include "aisle/retrieval/vector_search.h"

namespace aisle::retrieval {

struct AnnSourceOptions {
  std::string name = "ann";
  // Search breadth per query (0 = the index default).
  size_t ef = 0;
};

class AnnSource final : public CandidateSource {
 public:
  AnnSource(std::shared_ptr<const AnnIndex> index, AnnSourceOptions options = {});

  absl::string_view name() const override { return options_.name; }

  // InvalidArgument for id >= kMaxSources or a bad query vector; NotFound for
  // an unknown seed. No vector and no seeds: OK, nothing appended.
  absl::Status Retrieve(const RetrievalQuery& query, size_t quota, SourceId id,
                        std::vector<Candidate>& out) const override;

  // Same, and reports what the index did (strategy, widenings, scanned).
  absl::Status RetrieveWithStats(const RetrievalQuery& query, size_t quota, SourceId id,
                                 std::vector<Candidate>& out, SearchStats* stats) const;

  const AnnIndex& index() const { return *index_; }

 private:
  std::shared_ptr<const AnnIndex> index_;
  AnnSourceOptions options_;
};

}  // namespace aisle::retrieval

#endif  // AISLE_RETRIEVAL_ANN_SOURCE_H_
