// File: aisle/retrieval/candidate_source.h
//
// The interface every candidate source implements: ANN over embeddings,
// exact search, co-visitation, popularity, category index, curated sets.
// A source is called once per request (batch-shaped, never per candidate)
// and appends at most `quota` candidates, best first, each tagged with the
// source's bit and carrying the source's own score (higher is better).
//
//   aisle::RetrievalQuery q;
//   q.user_vector = user_embedding;          // or q.seeds = {viewed_item}
//   q.filter = &surface_filter;              // optional: an ItemFilter
//   q.deadline = request_deadline;
//   std::vector<aisle::Candidate> out;
//   AISLE_RETURN_IF_ERROR(source.Retrieve(q, /*quota=*/200, /*id=*/0, out));
//
// Implementations are thread-safe for concurrent Retrieve() calls; updates
// (new events, index additions) say in their own comments how they
// synchronize with readers.
#ifndef AISLE_RETRIEVAL_CANDIDATE_SOURCE_H_
#define AISLE_RETRIEVAL_CANDIDATE_SOURCE_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "aisle/core/candidate.h"
#include "aisle/core/deadline.h"
#include "aisle/core/ids.h"
#include "aisle/core/item_bitset.h"
#include "aisle/core/item_filter.h"

namespace aisle::retrieval {

// What one request gives its sources. Every field is optional; a source uses
// what it understands and returns nothing (OK) when its input is absent.
struct RetrievalQuery {
  // A query or user embedding, in the catalog's embedding dimension.
  absl::Span<const float> user_vector;
  // Items the request is about (viewed product, cart). Sources that expand
  // seeds never return the seeds themselves.
  absl::Span<const ItemIndex> seeds;
  // Items that may be returned; nullptr allows every item. Any ItemFilter: a
  // fixed ItemBitset, or a policy::LiveItemFilter (in stock now and not
  // blocked), which the sources read while inventory events change it.
  // Sources apply it before their quota: an item it rejects never takes a
  // slot.
  const ItemFilter* filter = nullptr;
  // Items that must not be returned (already bought, already shown), besides
  // the seeds.
  absl::Span<const ItemIndex> exclude;
  // Category scope for category-aware sources; empty for none.
  absl::Span<const CategoryIndex> categories;
  // Segment id for segment-aware sources (0 = no segment).
  uint32_t segment = 0;
  // Search breadth for ANN sources for this request (an experiment arm's
  // override, say); 0 = the source's own.
  size_t ef = 0;
  // Stop work and return what is found when this passes.
  Deadline deadline;
  // Optional weight of each seed (empty, or one per seed, finite and >= 0),
  // e.g. 3 for a carted item and 1 for a viewed one. Sources that weigh
  // seeds say so; the others ignore it.
  absl::Span<const float> seed_weights = {};
};

class CandidateSource {
 public:
  virtual ~CandidateSource() = default;

  // Stable name; it flows into source tags, metrics and logs.
  virtual absl::string_view name() const = 0;

  // Appends up to `quota` candidates to `out`, best first, each with
  // sources = SourceBit(id). Returns an error only for bad input (e.g. a
  // vector of the wrong dimension); an expired deadline is not an error.
  virtual absl::Status Retrieve(const RetrievalQuery& query, size_t quota, SourceId id,
                                std::vector<Candidate>& out) const = 0;
};

}  // namespace aisle::retrieval

#endif  // AISLE_RETRIEVAL_CANDIDATE_SOURCE_H_
