// File: aisle/policy/live_inventory.h
//
// LiveInventory: the live stock of every item in one catalog, updated by the
// host's inventory events while requests read it without a lock. Filters use
// it, never the stock column of the catalog snapshot (which is hours old).
//
// Each item holds `stock` (units on hand, signed: negative means oversold,
// i.e. backorders, as upstream inventory systems report it) and `reserved`
// (units held, e.g. in open orders, >= 0); available = stock - reserved. An item is in stock for a
// surface when available > the surface's reserve (a safety margin: a surface
// with reserve 2 hides items with 2 or fewer units left).
//
//   auto inv = aisle::policy::LiveInventory::FromStock(snapshot_stock).value();
//   inv->SetStock(item, 12);        // inventory event: absolute level
//   inv->AddStock(item, -1);        // inventory event: a sale
//   inv->SetReserved(item, 3);      // inventory event: held units
//   if (inv->InStock(item, /*reserve=*/0)) ...
//   size_t removed = inv->FilterInStock(candidates, /*reserve=*/1);
//
// Every accepted change bumps version() (caches key on it); rejected updates
// (unknown item, int32 overflow, negative reserve) are counted in stats() and
// return a Status naming the item.
//
// In-stock bitmaps: TrackInStock(reserve) makes the inventory keep a bitmap of
// the items in stock under that reserve, and their count, current on every
// update, so that retrieval can skip sold-out items without a per-request
// copy or an O(catalog) pass (policy::LiveItemFilter reads it):
//
//   AISLE_ASSIGN_OR_RETURN(const LiveInventory::InStockBitmap* in_stock,
//                          inv->TrackInStock(/*reserve=*/2));
//   in_stock->Test(item);   // == inv->InStock(item, 2), lock-free
//   in_stock->count();      // O(1)
//
// Catalog changes: Grow() appends new items (stock 0) within the capacity
// fixed at construction, lock-free. A new catalog snapshot that renumbers
// items gets a new LiveInventory from Remap(); the host swaps it in together
// with the snapshot. Updates applied to the old inventory while Remap copies
// may be missed: Remap reports the old version it copied at, so the host can
// replay events newer than that.
//
// Thread-safe: any number of writer and reader threads, no locks on either
// path. Reads are relaxed atomic loads; a reader may see an update a moment
// late, never a torn (stock, reserved) pair. An update returns after it has
// set or cleared the item's bit in every tracked bitmap. TrackInStock takes a
// mutex among its own callers only.
#ifndef AISLE_POLICY_LIVE_INVENTORY_H_
#define AISLE_POLICY_LIVE_INVENTORY_H_

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/types/span.h"
#include "aisle/core/candidate.h"
#include "aisle/core/ids.h"

namespace aisle::policy {

class LiveInventory {
 public:
  struct Stats {
    uint64_t applied = 0;                // accepted updates
    uint64_t rejected_unknown_item = 0;  // item index >= size()
    uint64_t rejected_overflow = 0;      // result outside int32
    uint64_t rejected_invalid = 0;       // negative reserve
  };

  // Most distinct reserves one inventory keeps bitmaps for (TrackInStock).
  static constexpr size_t kMaxTrackedReserves = 8;

  // The items in stock under one reserve (available > reserve) as a bitmap
  // over the inventory's capacity, with its member count. The inventory that
  // owns it keeps it current on every accepted SetStock, AddStock and
  // SetReserved; it lives as long as that inventory.
  //
  // Thread-safe, lock-free. Readers load words with relaxed atomics. An update
  // fixes the item's bit before it returns (and before it bumps version()), so
  // a reader that sees the update sees the bit; while several writers race on
  // one item, the bit settles on the item's final level. count() may trail
  // the bits by the updates in flight; it is exact when none is.
  class InStockBitmap {
   public:
    InStockBitmap(const InStockBitmap&) = delete;
    InStockBitmap& operator=(const InStockBitmap&) = delete;

    int32_t reserve() const { return reserve_; }
    // Number of items in stock (clamped to >= 0 while updates are in flight).
    size_t count() const {
      const int64_t c = count_.load(std::memory_order_relaxed);
      return c > 0 ? static_cast<size_t>(c) : 0;
    }
    bool Test(ItemIndex item) const {
      return (Word(item >> 6) >> (item & 63)) & 1;
    }
    // Bits of items [64 * w, 64 * w + 64); 0 at or beyond num_words().
    uint64_t Word(size_t w) const {
      return w < num_words_ ? words_[w].load(std::memory_order_relaxed) : 0;
    }
    size_t num_words() const { return num_words_; }

   private:
    friend class LiveInventory;
    InStockBitmap(int32_t reserve, size_t capacity);
    // Makes the item's bit agree with `level`'s value (see live_inventory.cc).
    void Sync(ItemIndex item, const std::atomic<uint64_t>& level);

    int32_t reserve_;
    size_t num_words_;
    std::unique_ptr<std::atomic<uint64_t>[]> words_;
    std::atomic<int64_t> count_{0};
  };

  // `num_items` items, all with stock 0 and reserved 0. `capacity` (at least
  // num_items) bounds Grow(). Both must be below 2^32-1 (FromStock checks it
  // and returns a Status; this constructor cannot).
  explicit LiveInventory(size_t num_items, size_t capacity = 0);
  // Stock from a snapshot column (negative values are oversold items).
  static absl::StatusOr<std::unique_ptr<LiveInventory>> FromStock(absl::Span<const int32_t> stock,
                                                                  size_t capacity = 0);
  // A new inventory for a renumbered catalog: new item i takes old item
  // new_to_old[i]'s stock and reserve (kInvalidItem or out of range -> 0).
  // *copied_at_version (if not null) receives old.version() read before the
  // copy.
  static std::unique_ptr<LiveInventory> Remap(const LiveInventory& old,
                                              absl::Span<const ItemIndex> new_to_old,
                                              size_t capacity = 0,
                                              uint64_t* copied_at_version = nullptr);

  LiveInventory(const LiveInventory&) = delete;
  LiveInventory& operator=(const LiveInventory&) = delete;

  size_t size() const { return size_.load(std::memory_order_acquire); }
  size_t capacity() const { return capacity_; }

  // Absolute stock level; negative = oversold (never in stock).
  absl::Status SetStock(ItemIndex item, int32_t stock);
  // Relative change (a sale is -1, a restock +n). Stock may go negative
  // (oversold, as reported upstream); a result outside int32 is rejected.
  absl::Status AddStock(ItemIndex item, int32_t delta);
  // Units held back from sale (>= 0).
  absl::Status SetReserved(ItemIndex item, int32_t reserved);
  // Makes items [size(), new_size) known with stock 0. ResourceExhausted
  // beyond capacity(); shrinking is a no-op.
  absl::Status Grow(size_t new_size);

  // 0 for an unknown item.
  int32_t Stock(ItemIndex item) const { return Unpack(Load(item)).stock; }
  int32_t Reserved(ItemIndex item) const { return Unpack(Load(item)).reserved; }
  // stock - reserved (as int64: no overflow).
  int64_t Available(ItemIndex item) const {
    const Level l = Unpack(Load(item));
    return int64_t{l.stock} - int64_t{l.reserved};
  }
  // available > reserve. Unknown items are never in stock.
  bool InStock(ItemIndex item, int32_t reserve = 0) const {
    return item < size() && Available(item) > reserve;
  }

  // Removes the candidates that are not InStock(item, reserve), keeping the
  // order of the rest. Returns how many it removed.
  size_t FilterInStock(std::vector<Candidate>& candidates, int32_t reserve = 0) const;

  // Starts keeping an InStockBitmap for `reserve`, or returns the one already
  // kept for it. The first call for a reserve scans size() items; from then
  // on every update costs a few more atomic operations per tracked reserve.
  // It may run while updates and reads are in flight: the bitmap is exact
  // when it returns. Remap() carries the tracked reserves over.
  // InvalidArgument for a negative reserve (it would count items with no
  // stock, or oversold, as in stock); ResourceExhausted beyond
  // kMaxTrackedReserves distinct reserves or when memory runs out.
  absl::StatusOr<const InStockBitmap*> TrackInStock(int32_t reserve);
  // The reserves TrackInStock has been called for, in call order.
  std::vector<int32_t> TrackedReserves() const;

  // Bumped by every accepted change (release); read with acquire.
  uint64_t version() const { return version_.load(std::memory_order_acquire); }
  Stats stats() const;

 private:
  struct Level {
    int32_t stock;
    int32_t reserved;
  };
  static uint64_t Pack(Level l) {
    return (uint64_t{static_cast<uint32_t>(l.stock)} << 32) | static_cast<uint32_t>(l.reserved);
  }
  static Level Unpack(uint64_t v) {
    return {static_cast<int32_t>(static_cast<uint32_t>(v >> 32)),
            static_cast<int32_t>(static_cast<uint32_t>(v))};
  }
  uint64_t Load(ItemIndex item) const {
    return item < size_.load(std::memory_order_relaxed)
               ? levels_[item].load(std::memory_order_relaxed)
               : 0;
  }
  absl::Status RejectUnknown(ItemIndex item, const char* what);
  // Fixes the item's bit in every tracked bitmap after its level changed.
  void SyncTracked(ItemIndex item) {
    const size_t n = num_tracked_.load(std::memory_order_seq_cst);
    for (size_t t = 0; t < n; ++t) {
      tracked_[t].load(std::memory_order_acquire)->Sync(item, levels_[item]);
    }
  }
  void Bump() {
    applied_.fetch_add(1, std::memory_order_relaxed);
    version_.fetch_add(1, std::memory_order_release);
  }

  size_t capacity_;
  std::unique_ptr<std::atomic<uint64_t>[]> levels_;
  std::atomic<size_t> size_;
  std::atomic<uint64_t> version_{0};
  std::atomic<uint64_t> applied_{0};
  std::atomic<uint64_t> rejected_unknown_{0};
  std::atomic<uint64_t> rejected_overflow_{0};
  std::atomic<uint64_t> rejected_invalid_{0};

  // Bitmaps kept by TrackInStock: tracked_[0, num_tracked_) are published to
  // writers; owned_ keeps them alive. track_mu_ serializes TrackInStock only.
  mutable absl::Mutex track_mu_;
  std::vector<std::unique_ptr<InStockBitmap>> owned_ ABSL_GUARDED_BY(track_mu_);
  std::array<std::atomic<InStockBitmap*>, kMaxTrackedReserves> tracked_{};
  std::atomic<size_t> num_tracked_{0};
};

}  // namespace aisle::policy

#endif  // AISLE_POLICY_LIVE_INVENTORY_H_
