#include "aisle/retrieval/exact_source.h"

#include <utility>

#include "retrieval/ann_internal.h"

namespace aisle::retrieval {

ExactSource::ExactSource(std::shared_ptr<const ExactIndex> index, ExactSourceOptions options)
    : index_(std::move(index)), options_(std::move(options)) {}

absl::Status ExactSource::Retrieve(const RetrievalQuery& query, size_t quota, SourceId id,
                                   std::vector<Candidate>& out) const {
  return RetrieveWithStats(query, quota, id, out, nullptr);
}

absl::Status ExactSource::RetrieveWithStats(const RetrievalQuery& query, size_t quota, SourceId id,
                                            std::vector<Candidate>& out, SearchStats* stats) const {
  return internal::RetrieveFromIndex(index_.get(), options_.name, /*ef=*/0, query, quota, id, out,
                                     stats);
}

}  // namespace aisle::retrieval
