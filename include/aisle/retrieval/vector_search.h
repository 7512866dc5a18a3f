// File: aisle/retrieval/vector_search.h
//
// The request and result types shared by aisle's vector indexes (AnnIndex and
// ExactIndex): how many neighbours, how wide to search, which items are
// allowed or excluded, the deadline, and what the index did to answer
// (strategy, widening rounds, candidates scanned).
//
//   aisle::retrieval::VectorSearchParams p;
//   p.k = 50;
//   p.filter = &in_stock;             // optional allowed set (an ItemFilter)
//   p.exclude = already_bought;       // optional
//   p.deadline = request_deadline;
//   std::vector<aisle::retrieval::ScoredItem> out;
//   aisle::retrieval::SearchStats stats;
//   AISLE_RETURN_IF_ERROR(index.Search(user_vector, p, out, &stats));
//   // stats.strategy says whether the filtered query ran on the graph or
//   // exactly over the allowed set.
//
// Plain value types: thread-compatible.
#ifndef AISLE_RETRIEVAL_VECTOR_SEARCH_H_
#define AISLE_RETRIEVAL_VECTOR_SEARCH_H_

#include <cstddef>
#include <cstdint>

#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "aisle/core/deadline.h"
#include "aisle/core/ids.h"
#include "aisle/core/item_bitset.h"
#include "aisle/core/item_filter.h"

namespace aisle::retrieval {

// One neighbour: the item and its score under the index metric (higher is
// better; see metric.h).
struct ScoredItem {
  ItemIndex item = kInvalidItem;
  float score = 0.0f;
};

struct VectorSearchParams {
  // Number of neighbours wanted.
  size_t k = 10;
  // Search breadth of the graph (hnswlib's ef) for this query; 0 uses the
  // index default. Ignored by ExactIndex.
  size_t ef = 0;
  // Items that may be returned; nullptr allows every item. Items at or beyond
  // filter->Size() are not allowed. A live filter (policy::LiveItemFilter)
  // may change during the search: each item is judged as it is when the
  // search reads it, and the strategy is chosen on filter->AllowedCount().
  const ItemFilter* filter = nullptr;
  // Items that must not be returned (besides seeds in a seed query).
  absl::Span<const ItemIndex> exclude = {};
  // Checked between widening rounds and between exact-scan blocks; when it
  // passes, the search returns what it has found (not an error).
  Deadline deadline = {};
  // A filtered search does at most this many times the work of an
  // unfiltered search for the same k, or the work of fetching about 2048
  // graph candidates when that is more (graph rounds, and an exact scan of
  // the allowed items when the graph found too few): a query whose
  // neighbourhood the filter removes (a blocked category, say) returns the
  // allowed items it found within the bound instead of scanning a million
  // items on the request path (SearchStats::work_bounded). 0 = unbounded.
  double max_work_ratio = 4.0;
};

enum class SearchStrategy : uint8_t {
  kNone = 0,           // nothing to do (k == 0, empty index or empty filter)
  kGraph = 1,          // one graph search, no filter
  kGraphFiltered = 2,  // graph search with over-fetch and widening
  kExact = 3,          // exact scoring (every allowed item)
};

absl::string_view SearchStrategyName(SearchStrategy s);

// What one search did. Filled by every Search call when a pointer is given.
struct SearchStats {
  SearchStrategy strategy = SearchStrategy::kNone;
  // Allowed items (the filter's AllowedCount(), at most the index size) /
  // index size when a filter was given, 1 otherwise.
  double selectivity = 1.0;
  // Graph searches beyond the first (each doubles the fetch size).
  uint32_t widenings = 0;
  // Graph strategies: candidates fetched from the graph, summed over rounds.
  // Exact: items scored.
  uint64_t candidates_scanned = 0;
  // True when a graph search could not find k allowed items and the query
  // finished with an exact scan.
  bool fell_back_to_exact = false;
  // True when the deadline passed and the result may be incomplete.
  bool deadline_expired = false;
  // True when the search stopped at max_work_ratio with fewer than k items.
  bool work_bounded = false;
};

}  // namespace aisle::retrieval

#endif  // AISLE_RETRIEVAL_VECTOR_SEARCH_H_
