#include "aisle/retrieval/ann_source.h"

#include <utility>

#include "retrieval/ann_internal.h"

namespace aisle::retrieval {

AnnSource::AnnSource(std::shared_ptr<const AnnIndex> index, AnnSourceOptions options)
    : index_(std::move(index)), options_(std::move(options)) {}

absl::Status AnnSource::Retrieve(const RetrievalQuery& query, size_t quota, SourceId id,
                                 std::vector<Candidate>& out) const {
  return RetrieveWithStats(query, quota, id, out, nullptr);
}

absl::Status AnnSource::RetrieveWithStats(const RetrievalQuery& query, size_t quota, SourceId id,
                                          std::vector<Candidate>& out, SearchStats* stats) const {
  return internal::RetrieveFromIndex(index_.get(), options_.name,
                                     query.ef != 0 ? query.ef : options_.ef, query, quota, id, out,
                                     stats);
}

}  // namespace aisle::retrieval
