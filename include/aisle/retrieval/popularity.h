// File: aisle/retrieval/popularity.h
//
// Defines time-decayed popularity and trending, kept current as events
// arrive, globally, per category and per segment, and PopularitySource, the
// CandidateSource that serves "popular in this category / segment / overall"
// and "trending now".
//
//   aisle::retrieval::PopularityOptions opts;
//   opts.num_items = catalog_size;
//   opts.item_categories = category_of_item;   // one CategoryIndex per item
//   opts.num_categories = num_categories;
//   opts.num_segments = 8;                     // segments 1..8; 0 = none
//   opts.half_life = absl::Hours(24);
//   AISLE_ASSIGN_OR_RETURN(auto pop, aisle::retrieval::PopularityIndex::Create(opts));
//   AISLE_RETURN_IF_ERROR(pop->Apply(event, /*segment=*/3));  // any thread
//   pop->Publish();                                          // or publish_every
//   aisle::retrieval::PopularitySource source("popular", *pop);
//
// Decay. An event of type T at time t contributes type_weight[T] *
// 2^(-(now - t) / half_life) to its item's count. Counts are stored scaled by
// exp((t - epoch) / tau), tau = half_life / ln 2, relative to a moving epoch,
// so an update is one multiply-add (O(1)) and decay never touches the other
// items; the true count at time `now` is scaled * exp(-(now - epoch) / tau).
// Because every item shares that factor, the ranking of scaled counts is the
// ranking of true counts at any time. When the factor for a new event would
// exceed e^50 the epoch moves to that event and everything is rescaled once
// (O(items), about every 72 half-lives).
//
// Top-N maintenance. Scaled counts only grow, so each scope (global, each
// category, each segment) keeps an unsorted candidate list of at most 2N
// entries and a threshold (the N-th best score at the last compaction).
// Every item scoring above the threshold is in the list, so the list's best N
// are the scope's true top N. An update to an item already in the list is an
// O(1) in-place write; an item below the threshold costs one compare; a full
// list is compacted with nth_element (amortized O(1) per admission).
//
// Trending. Two more decayed counts per item with a short and a long
// half-life give rates (count / tau, events per hour); an item's trend score
// is short_rate / max(long_rate, trend_floor). The trending list (global
// scope) is recomputed at each publish by a scan over all items (O(items)).
//
// Event times. Every event time must be sane (aisle/core/event_time.h:
// [1900, 2400) in unix microseconds; INT64_MIN, the "no time" value, is
// refused with InvalidArgument and nothing is counted). With a `clock`, an
// event more than `max_lead` ahead of the clock is counted at the clock's
// now (clamped_future() counts them): no single event can move the table's
// time ahead of the clock, so a hostile far-future timestamp neither pins an
// item to the top nor decays every other count to zero. Without a clock
// (offline replays of historical logs) event times are trusted as they are.
// An event far in the past only contributes its (vanishing) decayed weight.
//
// Concurrency: as for co-visitation, readers never lock. Each Publish()
// builds an immutable PopularitySnapshot (sorted top-N lists in CSR form,
// rebuilding only scopes that changed) and swaps it in through a
// std::atomic<std::shared_ptr<const PopularitySnapshot>>; writers serialize
// on an internal mutex readers never touch.
#ifndef AISLE_RETRIEVAL_POPULARITY_H_
#define AISLE_RETRIEVAL_POPULARITY_H_

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
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
#include "aisle/core/clock.h"
#include "aisle/core/ids.h"
#include "aisle/retrieval/candidate_source.h"
#include "aisle/retrieval/interaction.h"

namespace aisle::retrieval {

inline constexpr size_t kMaxPopularityCategories = size_t{1} << 24;
inline constexpr uint32_t kMaxPopularitySegments = uint32_t{1} << 16;

struct PopularityOptions {
  size_t num_items = 0;
  // Category of each item (kInvalidCategory for none); empty, or exactly
  // num_items entries each < num_categories or kInvalidCategory.
  std::vector<CategoryIndex> item_categories;
  size_t num_categories = 0;
  // Segments are 1..num_segments; segment 0 means "no segment".
  uint32_t num_segments = 0;
  // (num_categories <= kMaxPopularityCategories, num_segments <=
  // kMaxPopularitySegments: one top list is kept per category and segment.)
  absl::Duration half_life = absl::Hours(24);
  // Weight per InteractionType (view, click, add_to_cart, purchase); >= 0.
  std::array<float, kNumInteractionTypes> type_weights = {1.0f, 1.0f, 3.0f, 6.0f};
  // Depth of every published list. Sources read deeper than their quota
  // when filters or exclusions remove items, but never deeper than this.
  size_t top_n = 500;
  // Trending: on when true.
  bool trending = true;
  absl::Duration trend_short_half_life = absl::Hours(1);
  absl::Duration trend_long_half_life = absl::Hours(24 * 7);
  // Floor on the long-term rate (weighted events per hour) in the trend
  // ratio, so an item seen once is not "infinitely" trending. > 0.
  double trend_floor = 1.0;
  // Publish automatically after this many Apply() calls; 0 = only on
  // Publish().
  size_t publish_every = 0;
  // Optional: bounds event times from above (see "Event times"); must
  // outlive the index. The engine passes its own clock.
  const Clock* clock = nullptr;
  absl::Duration max_lead = absl::Minutes(5);
};

// The published, immutable view: sorted top-N lists per scope, scores are
// decayed counts as of `as_of()` (the newest event time seen).
//
// Thread-safe (immutable).
class PopularitySnapshot {
 public:
  struct List {
    absl::Span<const ItemIndex> items;  // best first
    absl::Span<const float> scores;     // decayed counts (trend ratios for Trending())
  };

  PopularitySnapshot() = default;

  List Global() const { return ListAt(0); }
  // Empty for an unknown category or segment.
  List Category(CategoryIndex c) const { return c < num_categories_ ? ListAt(1 + c) : List{}; }
  List Segment(uint32_t segment) const {
    return segment >= 1 && segment <= num_segments_ ? ListAt(num_categories_ + segment) : List{};
  }
  List Trending() const { return ListAt(num_categories_ + num_segments_ + 1); }

  size_t num_items() const { return num_items_; }
  size_t num_categories() const { return num_categories_; }
  uint32_t num_segments() const { return num_segments_; }
  uint64_t version() const { return version_; }
  int64_t as_of_micros() const { return as_of_micros_; }

 private:
  friend class PopularityIndex;
  List ListAt(size_t scope) const {
    if (scope + 1 >= offsets_.size()) return {};
    const size_t b = offsets_[scope], e = offsets_[scope + 1];
    return {absl::MakeConstSpan(items_.data() + b, e - b),
            absl::MakeConstSpan(scores_.data() + b, e - b)};
  }

  size_t num_items_ = 0;
  size_t num_categories_ = 0;
  uint32_t num_segments_ = 0;
  uint64_t version_ = 0;
  int64_t as_of_micros_ = 0;
  // Scopes: 0 global, 1..C categories, C+1..C+S segments, C+S+1 trending.
  std::vector<uint32_t> offsets_;
  std::vector<ItemIndex> items_;
  std::vector<float> scores_;
  // Scaled (epoch-relative) scores, kept so a republish can copy clean scopes.
  std::vector<double> scaled_;
  double factor_ = 1.0;  // scaled * factor_ = decayed count as of as_of
};

// Time-decayed counts with live top-N per scope and a published snapshot.
//
// Thread-safe: Snapshot() is lock-free and runs concurrently with
// everything; Apply/Publish serialize among themselves.
class PopularityIndex {
 public:
  // InvalidArgument naming the option that is out of range.
  static absl::StatusOr<std::unique_ptr<PopularityIndex>> Create(PopularityOptions options);

  PopularityIndex(const PopularityIndex&) = delete;
  PopularityIndex& operator=(const PopularityIndex&) = delete;

  // Counts one event (its `session` is ignored) in the global, category and
  // `segment` scopes. InvalidArgument for an item index outside the catalog,
  // a segment > num_segments or a time outside [1900, 2400) (nothing is
  // counted then).
  absl::Status Apply(const Interaction& event, uint32_t segment = 0);
  // Applies a batch; stops at the first bad event (its position is named).
  absl::Status ApplyAll(absl::Span<const Interaction> events, uint32_t segment = 0);

  // Builds and swaps in a snapshot; returns its version.
  uint64_t Publish();

  std::shared_ptr<const PopularitySnapshot> Snapshot() const {
    return published_.load(std::memory_order_acquire);
  }

  // Decayed count of `item` at `at_micros` (global scope, or one segment).
  // For tests and debugging: takes the writer lock.
  double Count(ItemIndex item, int64_t at_micros) const;
  double SegmentCount(uint32_t segment, ItemIndex item, int64_t at_micros) const;
  // Current trend score of `item` at `at_micros` (0 when trending is off).
  double Trend(ItemIndex item, int64_t at_micros) const;

  const PopularityOptions& options() const { return options_; }
  // Events counted at the clock's now because they were more than max_lead
  // ahead of it.
  uint64_t clamped_future() const { return clamped_future_.load(std::memory_order_relaxed); }

 private:
  // exp((t - epoch) / tau) bookkeeping for one half-life.
  struct Decay {
    double inv_tau_micros = 0;  // ln2 / half_life in 1/us
    int64_t epoch = 0;
    bool started = false;
  };
  // A threshold-maintained candidate list for one scope.
  struct TopList {
    std::vector<std::pair<ItemIndex, double>> entries;
    double threshold = 0;
    bool dirty = true;
  };
  struct SegmentEntry {
    double score = 0;
    int32_t slot = -1;
  };

  explicit PopularityIndex(PopularityOptions options);

  // Returns the scale factor for an event at t, renormalizing first if needed.
  double ScaleFor(Decay& d, int64_t t, int which) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Rescale(int which, double factor) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  template <typename SlotOf>
  void Offer(TopList& list, int32_t& slot, ItemIndex item, double score, SlotOf slot_of)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  uint64_t PublishLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  double TrendLocked(ItemIndex item, int64_t at_micros) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const PopularityOptions options_;

  mutable absl::Mutex mu_;
  Decay main_ ABSL_GUARDED_BY(mu_), short_ ABSL_GUARDED_BY(mu_), long_ ABSL_GUARDED_BY(mu_);
  std::vector<double> global_ ABSL_GUARDED_BY(mu_);  // scaled, main half-life
  std::vector<double> short_counts_ ABSL_GUARDED_BY(mu_);
  std::vector<double> long_counts_ ABSL_GUARDED_BY(mu_);
  std::vector<int32_t> global_slot_ ABSL_GUARDED_BY(mu_);
  std::vector<int32_t> category_slot_ ABSL_GUARDED_BY(mu_);
  std::vector<absl::flat_hash_map<ItemIndex, SegmentEntry>> segments_ ABSL_GUARDED_BY(mu_);
  // Scopes as in PopularitySnapshot, without trending.
  std::vector<TopList> lists_ ABSL_GUARDED_BY(mu_);
  int64_t newest_event_ ABSL_GUARDED_BY(mu_) = 0;
  size_t applied_since_publish_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t next_version_ ABSL_GUARDED_BY(mu_) = 1;

  std::atomic<std::shared_ptr<const PopularitySnapshot>> published_;
  std::atomic<uint64_t> clamped_future_{0};
};

struct PopularitySourceOptions {
  enum class Mode { kPopular, kTrending };
  Mode mode = Mode::kPopular;
};

// CandidateSource over a PopularityIndex. Scope, in kPopular mode: the
// query's categories (their lists merged by score) if any, else its segment
// if non-zero, else global; kTrending mode always uses the global trending
// list. Seeds, the exclude list and items outside query.filter are skipped by
// reading deeper into the published list (up to PopularityOptions::top_n), so
// a heavily filtered query can return fewer than `quota`. An unknown category
// or segment is InvalidArgument naming it.
//
// Thread-safe: one lock-free snapshot load per request; per-thread scratch.
class PopularitySource final : public CandidateSource {
 public:
  // `index` must outlive the source.
  PopularitySource(std::string name, const PopularityIndex& index,
                   PopularitySourceOptions options = {});

  absl::string_view name() const override { return name_; }
  absl::Status Retrieve(const RetrievalQuery& query, size_t quota, SourceId id,
                        std::vector<Candidate>& out) const override;

 private:
  std::string name_;
  const PopularityIndex* index_;
  PopularitySourceOptions options_;
};

}  // namespace aisle::retrieval

#endif  // AISLE_RETRIEVAL_POPULARITY_H_
