// Internal helpers shared by AnnIndex and ExactIndex: query validation and
// normalization, the exclusion set, a bounded top-k heap and per-thread
// scratch buffers. Not part of the public API.
//
// Thread-safety: the free functions are thread-safe; TopK and ExclusionSet
// are thread-compatible; LocalScratch() returns the calling thread's own
// buffers.
#ifndef AISLE_SRC_RETRIEVAL_ANN_INTERNAL_H_
#define AISLE_SRC_RETRIEVAL_ANN_INTERNAL_H_

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "aisle/core/candidate.h"
#include "aisle/core/ids.h"
#include "aisle/core/matrix.h"
#include "aisle/retrieval/candidate_source.h"
#include "aisle/retrieval/metric.h"
#include "aisle/retrieval/vector_search.h"

namespace aisle::retrieval::internal {

// InvalidArgument when v.size() != dim or a component is NaN/Inf; `what`
// names the vector ("query", "item 12") in the message.
absl::Status ValidateVector(absl::Span<const float> v, size_t dim, absl::string_view what);

// Checks every row of `m` (names row and column of the first bad value) and,
// for kCosine, that no row is zero.
absl::Status ValidateEmbeddings(MatrixView m, Metric metric);

// Copies `v` into `out`, normalized under kCosine. InvalidArgument for a zero
// vector under kCosine.
absl::Status PrepareQuery(Metric metric, absl::Span<const float> v, std::vector<float>& out,
                          absl::string_view what);

// Normalizes `v` in place (v has length dim); returns false for a zero vector.
bool NormalizeInPlace(float* v, size_t dim);

// Sorted, de-duplicated union of exclude and seeds.
class ExclusionSet {
 public:
  void Reset(absl::Span<const ItemIndex> a, absl::Span<const ItemIndex> b) {
    items_.clear();
    items_.insert(items_.end(), a.begin(), a.end());
    items_.insert(items_.end(), b.begin(), b.end());
    std::sort(items_.begin(), items_.end());
    items_.erase(std::unique(items_.begin(), items_.end()), items_.end());
  }
  bool Contains(ItemIndex i) const {
    if (items_.size() <= 8) {
      for (ItemIndex x : items_) {
        if (x == i) return true;
      }
      return false;
    }
    return std::binary_search(items_.begin(), items_.end(), i);
  }
  size_t size() const { return items_.size(); }
  bool empty() const { return items_.empty(); }

 private:
  std::vector<ItemIndex> items_;
};

// "a is better than b": higher score, then lower item (aisle::ByScoreDesc).
inline bool Better(const ScoredItem& a, const ScoredItem& b) {
  return a.score > b.score || (a.score == b.score && a.item < b.item);
}

// Keeps the k best items pushed into it. Uses caller-owned storage so that a
// request reuses its buffer.
class TopK {
 public:
  TopK(size_t k, std::vector<ScoredItem>& storage) : k_(k), heap_(storage) { heap_.clear(); }
  // The worst score kept once full (items scoring below it are rejected).
  bool Full() const { return heap_.size() >= k_; }
  const ScoredItem& Worst() const { return heap_.front(); }
  void Push(ItemIndex item, float score) {
    const ScoredItem s{item, score};
    if (heap_.size() < k_) {
      heap_.push_back(s);
      std::push_heap(heap_.begin(), heap_.end(), Better);
    } else if (k_ > 0 && Better(s, heap_.front())) {
      std::pop_heap(heap_.begin(), heap_.end(), Better);
      heap_.back() = s;
      std::push_heap(heap_.begin(), heap_.end(), Better);
    }
  }
  // Appends the kept items to `out`, best first.
  void Drain(std::vector<ScoredItem>& out) {
    std::sort_heap(heap_.begin(), heap_.end(), Better);
    out.insert(out.end(), heap_.begin(), heap_.end());
    heap_.clear();
  }

 private:
  size_t k_;
  std::vector<ScoredItem>& heap_;
};

// Per-thread buffers reused across requests (no allocation per candidate,
// and none per request once warm).
struct SearchScratch {
  std::vector<float> query;
  std::vector<float> scores;
  std::vector<ScoredItem> heap;
  std::vector<std::pair<float, unsigned>> graph;
  std::vector<ItemIndex> labels;  // items of `graph`, in its order
  std::vector<uint8_t> mask;      // ItemFilter::AllowedMask of `labels`
  ExclusionSet excluded;
};
SearchScratch& LocalScratch();

// The body of AnnSource/ExactSource::Retrieve: runs the index query the
// request calls for and appends the results as tagged candidates.
template <typename Index>
absl::Status RetrieveFromIndex(const Index* index, absl::string_view source_name, size_t ef,
                               const RetrievalQuery& query, size_t quota, SourceId id,
                               std::vector<Candidate>& out, SearchStats* stats) {
  if (index == nullptr) {
    return absl::FailedPreconditionError(
        absl::StrCat("source '", std::string(source_name), "' has no index"));
  }
  if (id >= kMaxSources) {
    return absl::InvalidArgumentError(absl::StrCat("source '", std::string(source_name),
                                                   "': source id ", int{id}, " >= ", kMaxSources));
  }
  if (stats != nullptr) *stats = SearchStats{};
  if (quota == 0 || (query.user_vector.empty() && query.seeds.empty())) return absl::OkStatus();
  VectorSearchParams params;
  params.k = quota;
  params.ef = ef;
  params.filter = query.filter;
  params.exclude = query.exclude;
  params.deadline = query.deadline;
  thread_local std::vector<ScoredItem> found;
  const absl::Status status = query.user_vector.empty()
                                  ? index->SearchBySeeds(query.seeds, params, found, stats)
                                  : index->Search(query.user_vector, params, found, stats);
  if (!status.ok()) {
    return absl::Status(
        status.code(), absl::StrCat("source '", std::string(source_name), "': ", status.message()));
  }
  const uint32_t bit = SourceBit(id);
  for (const ScoredItem& s : found) out.push_back(Candidate{s.item, s.score, bit});
  return absl::OkStatus();
}

}  // namespace aisle::retrieval::internal

#endif  // AISLE_SRC_RETRIEVAL_ANN_INTERNAL_H_
