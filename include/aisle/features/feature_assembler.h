// File: aisle/features/feature_assembler.h
//
// Feature assembly: for one request, fills ONE contiguous row-major float
// matrix of candidates x schema features, reading user and session features
// from the online stores, item features from the snapshot's item store (by
// default candidate by candidate from its item-major rows, prefetching the
// next candidates' rows; see ItemReadPath), context features from the
// request and retrieval features (per-source scores, source bits) from the
// candidate sources' output. Missing or NaN values become the feature's
// declared default (or stay NaN when the default is NaN); values older than
// their group's max age follow the group's stale policy. Alongside the matrix
// comes a FreshnessReport: per group the age of the oldest value used and how
// many matrix cells were missing, stale or defaulted, and whether a group's
// policy asks the pipeline to drop to the next fallback level.
//
//   AISLE_ASSIGN_OR_RETURN(FeatureAssembler assembler,
//       FeatureAssembler::Create(schema, item_store, {.user_store = users.get()}));
//   AssemblyRequest req;
//   req.user_key = OnlineFeatureStore::KeyOf("user-123");
//   req.context = context_values;        // one per context feature
//   req.items = candidate_items;         // absl::Span<const ItemIndex>
//   req.retrieval = MatrixView(scores.data(), n, num_sources);  // NaN = absent
//   std::vector<float>& buffer = ThreadLocalBuffer();  // reused: no allocation
//   FreshnessReport report;
//   AISLE_ASSIGN_OR_RETURN(MatrixView m, assembler.Assemble(req, &buffer, &report));
//   if (report.drop_to_fallback) { /* degrade, say so in the response */ }
//
// Assembly allocates nothing once the caller's buffer is large enough (a
// per-thread scratch row is kept by the assembler's thread-local storage).
//
// FeatureAssembler is immutable after Create(): thread-safe (concurrent
// Assemble() calls from any number of threads).
#ifndef AISLE_FEATURES_FEATURE_ASSEMBLER_H_
#define AISLE_FEATURES_FEATURE_ASSEMBLER_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "aisle/core/clock.h"
#include "aisle/core/deadline.h"
#include "aisle/core/ids.h"
#include "aisle/core/matrix.h"
#include "aisle/features/feature_schema.h"
#include "aisle/features/item_feature_store.h"
#include "aisle/features/online_feature_store.h"

namespace aisle::features {

struct AssemblyRequest {
  // Keys into the user and session stores; nullopt = anonymous (every user or
  // session feature is missing).
  std::optional<uint64_t> user_key;
  std::optional<uint64_t> session_key;
  // One value per context feature, in schema order. NaN = missing.
  absl::Span<const float> context;
  // The candidates, one matrix row each, in this order.
  absl::Span<const ItemIndex> items;
  // items.size() x schema.retrieval_matrix_columns().size(): column j feeds
  // the j-th retrieval feature that is not a source bit. NaN = absent (the
  // source did not propose the candidate). Ignored when there is none.
  MatrixView retrieval;
  // Per candidate source bitmask (aisle::Candidate::sources); required when
  // the schema has source-bit features.
  absl::Span<const uint32_t> sources;
  // Checked every kAssemblyBlockRows candidates.
  Deadline deadline;
};

// Rows assembled between deadline checks.
inline constexpr size_t kAssemblyBlockRows = 128;

// Counts are of matrix cells (candidate x feature): a user feature counts
// once per candidate.
struct GroupFreshness {
  // Age of the oldest value used (now - its update or build time); zero when
  // the group had no value, or its values come with the request.
  absl::Duration age = absl::ZeroDuration();
  size_t cells = 0;               // cells of this group written
  size_t missing = 0;             // no value: unknown key or item, never written, NaN
  size_t stale = 0;               // value older than the group's max age
  size_t defaulted = 0;           // the declared default was written (missing, or stale under
                                  // kUseDefault); a NaN default still counts here when stale
  bool drop_to_fallback = false;  // stale values under kDropToFallback
};

struct FreshnessReport {
  std::array<GroupFreshness, kNumFeatureGroups> groups{};
  // Candidates whose ItemIndex is outside the item store (all their item
  // features are missing).
  size_t unknown_items = 0;
  // True when any group's policy asks to drop to the next fallback level.
  bool drop_to_fallback = false;

  const GroupFreshness& group(FeatureGroup g) const { return groups[static_cast<size_t>(g)]; }
  size_t TotalStale() const;
  size_t TotalDefaulted() const;
  size_t TotalMissing() const;
};

// How item features are read from the ItemFeatureStore. Both paths write the
// same matrix and report, bit for bit.
enum class ItemReadPath : uint8_t {
  // Per candidate, its contiguous row (ItemFeatureStore::row()), the next
  // candidates' rows prefetched: ~3 cache lines per candidate for 34 features.
  kItemMajor = 0,
  // Per feature, a gather from its column: one cache miss per candidate and
  // feature on a large store. Kept for comparison (benchmarks, tests).
  kColumnMajor = 1,
};

struct AssemblerOptions {
  // Required when the schema has user (session) features; the store's
  // features are bound to the schema's by name.
  const OnlineFeatureStore* user_store = nullptr;
  const OnlineFeatureStore* session_store = nullptr;
  // Source of "now" for ages. Must outlive the assembler.
  const Clock* clock = &Clock::Real();
  // When false, a schema item feature without a column in the item store is
  // an error at Create(); when true it is always missing.
  bool allow_missing_item_columns = false;
  ItemReadPath item_read_path = ItemReadPath::kItemMajor;
};

class FeatureAssembler {
 public:
  // Binds the schema to the stores. NotFound naming the feature when a
  // schema feature has no column in its store; InvalidArgument when a store
  // the schema needs is null. The stores must outlive the assembler (the
  // item store is shared).
  static absl::StatusOr<FeatureAssembler> Create(FeatureSchema schema,
                                                 std::shared_ptr<const ItemFeatureStore> items,
                                                 AssemblerOptions options = {});

  const FeatureSchema& schema() const { return schema_; }

  // Fills `out` (items.size() x schema().size()) and `report`.
  // InvalidArgument naming the mismatch when out's shape, the context size,
  // the retrieval matrix's shape or the sources' size is wrong;
  // DeadlineExceeded when the deadline expires (out is then partly written).
  absl::Status Assemble(const AssemblyRequest& request, MutableMatrixView out,
                        FreshnessReport* report) const;

  // Resizes `*buffer` to items.size() x schema().size() (no allocation once
  // its capacity suffices; keep one buffer per thread) and fills it.
  absl::StatusOr<MatrixView> Assemble(const AssemblyRequest& request, std::vector<float>* buffer,
                                      FreshnessReport* report) const;

 private:
  struct ItemBinding {
    size_t out_column;
    int store_column;  // -1 when the store lacks it
  };
  struct OnlineBinding {
    size_t out_column;
    size_t store_column;
  };

  FeatureAssembler() = default;
  absl::Status FillOnline(FeatureGroup group, const OnlineFeatureStore* store,
                          const std::vector<OnlineBinding>& bindings, std::optional<uint64_t> key,
                          absl::Time now, size_t rows, float* row_template,
                          FreshnessReport* report) const;

  FeatureSchema schema_;
  std::shared_ptr<const ItemFeatureStore> items_;
  AssemblerOptions options_;
  std::vector<ItemBinding> item_bindings_;
  std::vector<OnlineBinding> user_bindings_;
  std::vector<OnlineBinding> session_bindings_;
};

}  // namespace aisle::features

#endif  // AISLE_FEATURES_FEATURE_ASSEMBLER_H_
