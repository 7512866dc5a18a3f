// File: aisle/policy/new_item_pool.h
//
// NewItemPool: the items of one catalog snapshot ordered by launch time, so
// that each request can ask which items are new *now*: those launched within
// [now - window, now]. Built once per snapshot from the catalog's launch-time
// column; an item whose launch time lies after the snapshot was built enters
// the pool when that time arrives, and every item leaves it when it ages out
// of the window. One pool serves every surface (the window is a per-call
// argument).
//
//   auto pool = aisle::policy::NewItemPool::Create(catalog.launch_times_micros()).value();
//   // per request (scratch reused across requests):
//   pool->Collect(clock.Now(), absl::Hours(72), /*max_items=*/1024, scratch);
//   // scratch: newest first, score = freshness in [0, 1] (1 = launched now)
//
// Semantics: launch times are unix microseconds; kUnknownLaunch (INT64_MIN)
// means unknown and such an item is never new. With t_now =
// ToUnixMicros(now) and W the window in microseconds, an item launched at t
// is new iff t_now - W <= t <= t_now; its freshness is 1 - (t_now - t) / W
// (1 at launch, 0 at the end of the window). Items come newest first; items
// launched at the same microsecond come by ascending item index (the order
// of aisle::ByScoreDesc).
//
// Cost per Collect: two binary searches, O(log n), plus one step per item
// returned; it writes into the caller's vector and allocates nothing once
// that vector has grown to the pool size it sees.
//
// Immutable after Create: thread-safe.
#ifndef AISLE_POLICY_NEW_ITEM_POOL_H_
#define AISLE_POLICY_NEW_ITEM_POOL_H_

#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "aisle/core/candidate.h"
#include "aisle/core/ids.h"

namespace aisle::policy {

class NewItemPool {
 public:
  // The catalog's marker for an unknown launch time.
  static constexpr int64_t kUnknownLaunch = std::numeric_limits<int64_t>::min();

  // launch_micros[i] = launch time of item i (unix microseconds), or
  // kUnknownLaunch. The column is copied (sorted). InvalidArgument when the
  // column has kInvalidItem or more entries.
  static absl::StatusOr<std::shared_ptr<const NewItemPool>> Create(
      absl::Span<const int64_t> launch_micros);

  NewItemPool(const NewItemPool&) = delete;
  NewItemPool& operator=(const NewItemPool&) = delete;

  // Clears `out`, then appends the items launched within [now - window, now],
  // newest first, at most `max_items` of them, each as {item, freshness,
  // sources}. A window that is zero or negative yields nothing; an infinite
  // window yields every item launched by `now`, all with freshness 1.
  void Collect(absl::Time now, absl::Duration window, size_t max_items, std::vector<Candidate>& out,
               uint32_t sources = 0) const;

  // How many items are new at `now` for `window` (no max): O(log n).
  size_t Count(absl::Time now, absl::Duration window) const;

  // Items in the catalog the pool was built from.
  size_t num_items() const { return num_items_; }
  // Items with a known launch time (the most a Collect can return).
  size_t size() const { return times_.size(); }

 private:
  NewItemPool() = default;
  // [lo, hi) of times_ for the window; false when the window is empty.
  bool Range(absl::Time now, absl::Duration window, size_t& lo, size_t& hi, int64_t& now_us) const;

  size_t num_items_ = 0;
  // Launch times ascending; equal times by descending item, so a walk from
  // the end gives newest first, then ascending item.
  std::vector<int64_t> times_;
  std::vector<ItemIndex> items_;  // parallel to times_
};

}  // namespace aisle::policy

#endif  // AISLE_POLICY_NEW_ITEM_POOL_H_
