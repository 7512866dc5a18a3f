// File: aisle/retrieval/exact_source.h
//
// ExactSource: the candidate source over an ExactIndex (brute force), for
// small catalogs where exact search is fast enough, and as the reference
// against which AnnSource is checked. Same contract as AnnSource.
//
//   auto exact = std::make_shared<const aisle::retrieval::ExactIndex>(
//       *aisle::retrieval::ExactIndex::Build(embeddings, Metric::kCosine));
//   aisle::retrieval::ExactSource source(exact, {.name = "exact"});
//   AISLE_RETURN_IF_ERROR(source.Retrieve(query, 100, /*id=*/1, out));
//
// Thread-safe: Retrieve may be called from any number of threads.
#ifndef AISLE_RETRIEVAL_EXACT_SOURCE_H_
#define AISLE_RETRIEVAL_EXACT_SOURCE_H_

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "aisle/core/candidate.h"
#include "aisle/retrieval/candidate_source.h"
#include "aisle/retrieval/exact_index.h"
#include "aisle/retrieval/vector_search.h"

namespace aisle::retrieval {

struct ExactSourceOptions {
  std::string name = "exact";
};

class ExactSource final : public CandidateSource {
 public:
  ExactSource(std::shared_ptr<const ExactIndex> index, ExactSourceOptions options = {});

  absl::string_view name() const override { return options_.name; }
  absl::Status Retrieve(const RetrievalQuery& query, size_t quota, SourceId id,
                        std::vector<Candidate>& out) const override;
  absl::Status RetrieveWithStats(const RetrievalQuery& query, size_t quota, SourceId id,
                                 std::vector<Candidate>& out, SearchStats* stats) const;

 private:
  std::shared_ptr<const ExactIndex> index_;
  ExactSourceOptions options_;
};

}  // namespace aisle::retrieval

#endif  // AISLE_RETRIEVAL_EXACT_SOURCE_H_
