// File: aisle/retrieval/ann_index.h
//
// AnnIndex: approximate nearest-neighbour search over item embeddings, backed
// by an HNSW graph (hnswlib 0.6.2, kept out of this header). Items are named
// by their dense ItemIndex; the index holds a copy of every vector (normalized
// for kCosine), so it also answers exact queries over a filtered subset.
//
//   aisle::retrieval::AnnIndexOptions o;
//   o.metric = aisle::retrieval::Metric::kCosine;
//   o.threads = 2;
//   AISLE_ASSIGN_OR_RETURN(std::unique_ptr<aisle::retrieval::AnnIndex> index,
//                          aisle::retrieval::AnnIndex::Build(embeddings, o));
//   AISLE_RETURN_IF_ERROR(index->Save("/srv/bundle/items.ann"));
//   ...
//   aisle::retrieval::AnnLoadOptions lo;
//   lo.expected_dim = 64;
//   AISLE_ASSIGN_OR_RETURN(auto loaded, aisle::retrieval::AnnIndex::Load(path, lo));
//   std::vector<aisle::retrieval::ScoredItem> out;
//   AISLE_RETURN_IF_ERROR(loaded->Search(user_vector, {.k = 100}, out));
//
// Filtered search. hnswlib 0.6.2 has no filter callback, so a filtered query
// either over-fetches from the graph (fetch = ef / selectivity, or enough for
// k + excluded allowed items with a binomial margin when that is more,
// doubling on each widening round until k allowed items are found) or scores
// every allowed item exactly. The filter is any ItemFilter, e.g. a
// policy::LiveItemFilter that inventory events change while it is read. The
// choice is made per query by a cost model on the filter's AllowedCount()
// (see docs/retrieval.md):
//
//   graph cost  ~ kGraphCostPerFetched * fetch * M   distance computations
//   exact cost  ~ allowed_count                      distance computations
//
// and the one chosen is reported in SearchStats.
//
// File format (version 1): aisle::WrapBlob("AISLEANN", 1, payload), payload =
// a 64-byte little-endian aisle header (metric, dim, count, M,
// ef_construction, default ef, seed, length of what follows) and hnswlib's
// own saveIndex bytes. Load verifies the envelope, the header against the
// caller's expectations and every field and link of the hnswlib part before
// hnswlib sees it. Files are written on, and read by, little-endian 64-bit
// machines.
//
// Thread-safety: thread-safe. Search/SearchBySeeds may run from any number of
// threads concurrently with each other and with Add. Searches take a shared
// (reader) lock on an absl::Mutex; Add takes it exclusively, because hnswlib
// 0.6.2 does not make insertion safe against concurrent searches. The reader
// lock costs one uncontended atomic read-modify-write per query (tens of ns
// against a search of tens to hundreds of microseconds); see
// docs/retrieval.md for the measured overhead against raw hnswlib.
#ifndef AISLE_RETRIEVAL_ANN_INDEX_H_
#define AISLE_RETRIEVAL_ANN_INDEX_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "aisle/core/ids.h"
#include "aisle/core/matrix.h"
#include "aisle/retrieval/metric.h"
#include "aisle/retrieval/vector_search.h"

namespace aisle::retrieval {
namespace internal {
class AnnIndexRawAccess;
}  // namespace internal

inline constexpr char kAnnIndexMagic[] = "AISLEANN";
inline constexpr uint32_t kAnnIndexFormatVersion = 1;

struct AnnIndexOptions {
  Metric metric = Metric::kInnerProduct;
  // HNSW graph degree (hnswlib's M; the base layer keeps 2*M links).
  size_t M = 16;
  // Breadth of the search used while building.
  size_t ef_construction = 200;
  // Search breadth used when a query does not give its own.
  size_t default_ef = 64;
  // Seed of the level generator: with threads == 1 the graph is reproducible.
  uint64_t seed = 100;
  // Threads used by Build (1 = the calling thread only).
  size_t threads = 1;
  // Room for items added later with Add (0 = exactly the built rows). The
  // index grows beyond it when needed, at the cost of a reallocation.
  size_t capacity = 0;
};

// What the caller expects of a file at load; a mismatch is an error that
// names the field. Zero / nullopt means "any".
struct AnnLoadOptions {
  size_t expected_dim = 0;
  std::optional<Metric> expected_metric = std::nullopt;
  size_t expected_count = 0;
  // Search breadth to use instead of the saved default (0 = saved value).
  size_t default_ef = 0;
  // Room for items added after loading (0 = the loaded count).
  size_t capacity = 0;
};

// The aisle header of a saved index.
struct AnnIndexInfo {
  Metric metric = Metric::kInnerProduct;
  size_t dim = 0;
  size_t count = 0;
  size_t M = 0;
  size_t ef_construction = 0;
  size_t default_ef = 0;
  uint64_t seed = 0;
};

class AnnIndex {
 public:
  // Builds over rows 0..embeddings.rows-1 (row i is ItemIndex i).
  // InvalidArgument for a NaN/Inf component (names row and column), a zero
  // row under kCosine, zero dim or bad options; ResourceExhausted when
  // memory runs out.
  static absl::StatusOr<std::unique_ptr<AnnIndex>> Build(MatrixView embeddings,
                                                         const AnnIndexOptions& options);

  // Reads a file written by Save. `path` is named in every error.
  static absl::StatusOr<std::unique_ptr<AnnIndex>> Load(absl::string_view path,
                                                        const AnnLoadOptions& options = {});
  // Same, from bytes in memory; `what` names them in errors.
  static absl::StatusOr<std::unique_ptr<AnnIndex>> Deserialize(absl::string_view bytes,
                                                               const AnnLoadOptions& options,
                                                               absl::string_view what);
  // Reads only the aisle header (after checking the envelope).
  static absl::StatusOr<AnnIndexInfo> ReadInfo(absl::string_view bytes, absl::string_view what);

  ~AnnIndex();
  AnnIndex(const AnnIndex&) = delete;
  AnnIndex& operator=(const AnnIndex&) = delete;

  // Writes the index atomically (temporary file + rename).
  absl::Status Save(absl::string_view path) const;
  absl::StatusOr<std::string> Serialize() const;

  // Adds one item. AlreadyExists when it is present; InvalidArgument for a
  // wrong dimension or a NaN/Inf component. Blocks searches while it runs.
  absl::Status Add(ItemIndex item, absl::Span<const float> vector);

  // The k best items for `query` (best first) into `out` (cleared first).
  // InvalidArgument for a wrong dimension, NaN/Inf, or a zero query under
  // kCosine. An expired deadline is not an error (see stats).
  absl::Status Search(absl::Span<const float> query, const VectorSearchParams& params,
                      std::vector<ScoredItem>& out, SearchStats* stats = nullptr) const;

  // Searches with the mean of the seeds' vectors; the seeds are never
  // returned. NotFound for a seed that is not in the index (names it);
  // InvalidArgument for no seeds.
  absl::Status SearchBySeeds(absl::Span<const ItemIndex> seeds, const VectorSearchParams& params,
                             std::vector<ScoredItem>& out, SearchStats* stats = nullptr) const;

  // Copies item's stored vector (normalized under kCosine) into `out`.
  absl::Status GetVector(ItemIndex item, std::vector<float>& out) const;
  bool Contains(ItemIndex item) const;

  AnnIndexInfo info() const;
  size_t size() const;
  size_t dim() const;
  Metric metric() const;

  struct Impl;

 private:
  // Benchmarks compare against raw hnswlib calls on the very same graph.
  friend class internal::AnnIndexRawAccess;
  explicit AnnIndex(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace aisle::retrieval

#endif  // AISLE_RETRIEVAL_ANN_INDEX_H_
