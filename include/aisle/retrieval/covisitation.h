// File: aisle/retrieval/covisitation.h
//
// Defines item-to-item co-visitation ("people who viewed/bought this also
// viewed/bought"): a weighted top-N neighbour table built from an interaction
// log in batch and updated incrementally as events arrive, and
// CoVisitationSource, the CandidateSource that expands a request's seed items
// through it.
//
//   aisle::retrieval::CoVisitationOptions opts;
//   opts.num_items = catalog_size;
//   AISLE_ASSIGN_OR_RETURN(auto index, aisle::retrieval::CoVisitationIndex::Create(opts));
//   AISLE_RETURN_IF_ERROR(index->AddLog(history));   // batch, e.g. last 30 days
//   index->Publish();                                  // readers now see it
//   aisle::retrieval::CoVisitationSource source("covis", *index);
//   ...
//   AISLE_RETURN_IF_ERROR(index->Apply(event));        // live events, any thread
//
// Pair weights. Within one session (Interaction::session), two events e_i and
// e_j at positions i < j form a pair when their items differ (self pairs are
// never counted), d = j - i <= max_distance and |t_j - t_i| <= window. The
// pair adds
//     w = (type_weight[e_i.type] + type_weight[e_j.type]) / 2 / log2(1 + d)
// to both directed entries (a -> b and b -> a): adjacent events weigh 1x the
// mean type weight, two apart 0.63x, three apart 0.5x. The default type
// weights (view 1, click 1, add-to-cart 3, purchase 6) make co-bought pairs
// dominate co-viewed ones in one table. An item repeated in a session counts
// once per occurrence. Each row of the published table keeps the top_n
// neighbours by weight (ties: smaller item index first).
//
// Concurrency: readers never take a lock and never see a half-built table.
// The published table is immutable (CSR arrays) and reached through a
// std::atomic<std::shared_ptr<const CoVisitationTable>>; Snapshot() is one
// atomic load, and a request that holds the returned shared_ptr keeps its
// table alive across a concurrent Publish(). Writers (Apply, AddLog, Publish)
// serialize on an internal mutex that readers never touch, accumulate weights
// in per-row hash maps, and republish on demand or every `publish_every`
// events; a publish rebuilds only the rows that changed and copies the
// others from the previous table. This was chosen over per-row RCU because a
// request reads many rows and must see them all from one consistent version,
// and because the batch-built table from a bundle is naturally one immutable
// object. (libstdc++ implements the atomic shared_ptr load with a spin bit
// held for one reference-count increment: no mutex, no syscall, and never
// held while the writer builds a table.)
#ifndef AISLE_RETRIEVAL_COVISITATION_H_
#define AISLE_RETRIEVAL_COVISITATION_H_

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "aisle/core/candidate.h"
#include "aisle/core/ids.h"
#include "aisle/retrieval/candidate_source.h"
#include "aisle/retrieval/interaction.h"

namespace aisle::retrieval {

inline constexpr int kMaxCoVisitationDistance = 64;

struct CoVisitationOptions {
  // Items are 0..num_items-1; an event on another index is an error.
  size_t num_items = 0;
  // Largest position distance within a session that still forms a pair,
  // 1..kMaxCoVisitationDistance.
  int max_distance = 5;
  // Largest time gap between the two events of a pair;
  // absl::InfiniteDuration() for none.
  absl::Duration window = absl::Hours(1);
  // Neighbours kept per item in the published table.
  size_t top_n = 50;
  // Weight per InteractionType (view, click, add_to_cart, purchase); >= 0.
  std::array<float, kNumInteractionTypes> type_weights = {1.0f, 1.0f, 3.0f, 6.0f};
  // Bound on one item's accumulator: when a row holds more than this many
  // neighbours, its weakest are dropped down to half of it (an approximation
  // that keeps memory bounded under a long-running event stream). 0 = no
  // bound; otherwise it must be >= 2 * top_n.
  size_t max_row_entries = 0;
  // Publish automatically after this many Apply() calls; 0 = only when
  // Publish() is called.
  size_t publish_every = 0;
  // Live sessions whose recent-items ring buffers are kept. When exceeded,
  // sessions idle for longer than `window` are dropped (lossless: they can no
  // longer form pairs); with an infinite window the least recently active
  // half is dropped.
  size_t max_sessions = 1 << 20;
};

// An immutable top-N neighbour table in CSR form: row i lists item i's
// neighbours by descending weight.
//
// Thread-safe (immutable after construction).
class CoVisitationTable {
 public:
  CoVisitationTable() = default;
  CoVisitationTable(std::vector<uint64_t> offsets, std::vector<ItemIndex> neighbors,
                    std::vector<float> weights, uint64_t version);

  size_t num_items() const { return offsets_.empty() ? 0 : offsets_.size() - 1; }
  size_t num_entries() const { return neighbors_.size(); }
  // Published version: 1 for the first Publish() of an index, +1 each time.
  uint64_t version() const { return version_; }

  // Item i's neighbours and their weights (same length); empty when i is out
  // of range or has none.
  absl::Span<const ItemIndex> Neighbors(ItemIndex i) const;
  absl::Span<const float> Weights(ItemIndex i) const;

 private:
  std::vector<uint64_t> offsets_;  // num_items + 1
  std::vector<ItemIndex> neighbors_;
  std::vector<float> weights_;
  uint64_t version_ = 0;
};

// The mutable, accumulating side of co-visitation plus the published table.
//
// Thread-safe: Snapshot() is lock-free and may run concurrently with every
// other method; the writer methods serialize among themselves.
class CoVisitationIndex {
 public:
  // InvalidArgument when an option is out of range (the message names it).
  static absl::StatusOr<std::unique_ptr<CoVisitationIndex>> Create(
      const CoVisitationOptions& options);

  CoVisitationIndex(const CoVisitationIndex&) = delete;
  CoVisitationIndex& operator=(const CoVisitationIndex&) = delete;

  // Batch: accumulates every pair of a historical log. Events of a session
  // are taken in log order (they need not be contiguous: an interleaved log
  // is grouped by a stable sort first). Does not touch the live sessions'
  // ring buffers and does not publish. InvalidArgument naming the position
  // and item when an item index is out of range or a time is outside [1900,
  // 2400); nothing is accumulated then.
  absl::Status AddLog(absl::Span<const Interaction> log);

  // Incremental: pairs `event` with the recent events of its session (a ring
  // buffer of the last max_distance events), then appends it to the ring.
  // Applying a log event by event gives the same weights as AddLog() of it
  // (up to float summation order) when the log is in time order per session.
  // The same checks as AddLog(); a rejected event changes nothing.
  absl::Status Apply(const Interaction& event);

  // Builds the table from the accumulators and swaps it in. Returns its
  // version.
  uint64_t Publish();

  // The currently published table (empty, version 0, before any Publish()).
  // Lock-free; hold the result for the duration of a request.
  std::shared_ptr<const CoVisitationTable> Snapshot() const {
    return published_.load(std::memory_order_acquire);
  }

  // Accumulated (unpublished) weight of a -> b; 0 when none. For tests and
  // debugging (takes the writer lock).
  float AccumulatedWeight(ItemIndex a, ItemIndex b) const;
  // Live sessions currently buffered.
  size_t live_sessions() const;
  const CoVisitationOptions& options() const { return options_; }

 private:
  explicit CoVisitationIndex(const CoVisitationOptions& options);

  struct SessionSlot {
    uint32_t ring_offset = 0;  // index into ring_* arrays (slot * max_distance)
    uint32_t head = 0;         // next write position within the ring
    uint32_t size = 0;
    int64_t last_time = 0;
  };

  void AddPair(ItemIndex a, ItemIndex b, float w) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void PruneRow(ItemIndex a) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void EvictSessions(int64_t now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  float PairWeight(InteractionType a, InteractionType b, int distance) const {
    return (type_weights_[static_cast<int>(a)] + type_weights_[static_cast<int>(b)]) *
           half_inv_log_[distance];
  }
  uint64_t PublishLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const CoVisitationOptions options_;
  const int64_t window_micros_;  // INT64_MAX for none
  std::array<float, kNumInteractionTypes> type_weights_;
  std::array<float, kMaxCoVisitationDistance + 1> half_inv_log_;  // 0.5 / log2(1 + d)

  mutable absl::Mutex mu_;
  std::vector<absl::flat_hash_map<ItemIndex, float>> rows_ ABSL_GUARDED_BY(mu_);
  std::vector<uint8_t> dirty_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<uint64_t, SessionSlot> sessions_ ABSL_GUARDED_BY(mu_);
  std::vector<uint32_t> free_ring_offsets_ ABSL_GUARDED_BY(mu_);
  std::vector<ItemIndex> ring_items_ ABSL_GUARDED_BY(mu_);
  std::vector<int64_t> ring_times_ ABSL_GUARDED_BY(mu_);
  std::vector<InteractionType> ring_types_ ABSL_GUARDED_BY(mu_);
  size_t applied_since_publish_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t next_version_ ABSL_GUARDED_BY(mu_) = 1;

  std::atomic<std::shared_ptr<const CoVisitationTable>> published_;
};

// Convenience: one AddLog() + Publish() on a fresh index.
absl::StatusOr<std::shared_ptr<const CoVisitationTable>> BuildCoVisitationTable(
    absl::Span<const Interaction> log, const CoVisitationOptions& options);

struct CoVisitationSourceOptions {
  // How the weights of a candidate reached from several seeds combine.
  enum class Aggregation { kSum, kMax };
  Aggregation aggregation = Aggregation::kSum;
};

// CandidateSource over a co-visitation table: for the query's seeds, combines
// (sum or max) the weights of their neighbours, drops the seeds, the query's
// exclude list and items outside query.filter, and returns the best `quota`
// (score = combined weight). A seed outside the table is InvalidArgument
// naming it; exclude entries outside the table are ignored (they cannot be
// returned anyway). No seeds: returns nothing.
//
// Thread-safe. Reads the index's published table with one lock-free load per
// request; per-request scratch (a dense score array sized to the catalog) is
// per thread and reused, so nothing is allocated per candidate.
class CoVisitationSource final : public CandidateSource {
 public:
  // Reads `index`'s current table on each request; `index` must outlive this.
  CoVisitationSource(std::string name, const CoVisitationIndex& index,
                     CoVisitationSourceOptions options = {});
  // Reads a fixed table (e.g. one loaded from a bundle).
  CoVisitationSource(std::string name, std::shared_ptr<const CoVisitationTable> table,
                     CoVisitationSourceOptions options = {});

  absl::string_view name() const override { return name_; }
  absl::Status Retrieve(const RetrievalQuery& query, size_t quota, SourceId id,
                        std::vector<Candidate>& out) const override;

  // The same as Retrieve() over an explicit table.
  static absl::Status RetrieveFromTable(const CoVisitationTable& table,
                                        const CoVisitationSourceOptions& options,
                                        const RetrievalQuery& query, size_t quota, SourceId id,
                                        std::vector<Candidate>& out);

 private:
  std::string name_;
  const CoVisitationIndex* index_ = nullptr;
  std::shared_ptr<const CoVisitationTable> table_;
  CoVisitationSourceOptions options_;
};

}  // namespace aisle::retrieval

#endif  // AISLE_RETRIEVAL_COVISITATION_H_
