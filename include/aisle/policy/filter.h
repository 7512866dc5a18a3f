// File: aisle/policy/filter.h
//
// The interface every candidate filter implements, and the per-request input
// filters read. A filter is called once per request with the whole candidate
// list (batch-shaped, never once per candidate), removes the candidates it
// rejects by compacting the vector in place (the order of the rest is kept)
// and returns how many it removed. Its name() is stable and flows into
// metrics and the response.
//
//   aisle::policy::FilterContext ctx{.surface = kHomeSurface, .cart = cart_items};
//   size_t removed = filter.Apply(ctx, candidates);
//
// Implementations are thread-safe for concurrent Apply() calls.
#ifndef AISLE_POLICY_FILTER_H_
#define AISLE_POLICY_FILTER_H_

#include <cstddef>
#include <cstdint>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "aisle/core/candidate.h"
#include "aisle/core/ids.h"

namespace aisle::policy {

// Dense index of a surface (home page, product page, cart, email...) as the
// pipeline config numbers them.
using SurfaceIndex = uint32_t;

// What one request gives its filters. Spans are borrowed for the call.
struct FilterContext {
  SurfaceIndex surface = 0;
  // Items the user already bought.
  absl::Span<const ItemIndex> bought = {};
  // Items in the user's cart.
  absl::Span<const ItemIndex> cart = {};
  // Items the request is about (the viewed product, seeds of "similar").
  absl::Span<const ItemIndex> seeds = {};
};

class Filter {
 public:
  virtual ~Filter() = default;

  // Stable name for metrics and logs, e.g. "inventory".
  virtual absl::string_view name() const = 0;

  // Removes rejected candidates in place, keeping the order of the rest.
  // Returns the number removed.
  virtual size_t Apply(const FilterContext& context, std::vector<Candidate>& candidates) const = 0;
};

// Keeps the candidates for which keep(const Candidate&) is true, in order;
// returns how many were removed. The helper every filter uses.
template <typename Keep>
size_t CompactCandidates(std::vector<Candidate>& candidates, Keep&& keep) {
  size_t out = 0;
  for (size_t i = 0; i < candidates.size(); ++i) {
    const bool k = keep(candidates[i]);
    candidates[out] = candidates[i];
    out += k ? 1 : 0;
  }
  const size_t removed = candidates.size() - out;
  candidates.resize(out);
  return removed;
}

}  // namespace aisle::policy

#endif  // AISLE_POLICY_FILTER_H_
