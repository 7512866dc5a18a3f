#include "aisle/policy/live_inventory.h"

#include <algorithm>
#include <limits>
#include <new>

#include "absl/strings/str_cat.h"

namespace aisle::policy {

// How the in-stock bitmaps stay right without a lock. An update changes the
// item's level with a CAS, then Sync()s its bit in every tracked bitmap:
// read the level, set the bit to what that level says, read the level again
// and repeat if it moved. All of these are sequentially consistent. If two
// updates of one item race, the one whose CAS is last re-reads the final
// level after it; any bit write based on an older level is followed, in the
// single total order, by its writer's re-read, which sees the newer level and
// writes again. So the last bit write always agrees with the final level, and
// the count (changed only by the operation that actually flips a bit, as the
// fetch_or/fetch_and result tells) equals the number of set bits once no
// update is in flight.
LiveInventory::InStockBitmap::InStockBitmap(int32_t reserve, size_t capacity)
    : reserve_(reserve),
      num_words_((capacity + 63) / 64),
      words_(new std::atomic<uint64_t>[std::max<size_t>(num_words_, 1)]) {
  for (size_t w = 0; w < std::max<size_t>(num_words_, 1); ++w) {
    words_[w].store(0, std::memory_order_relaxed);
  }
}

void LiveInventory::InStockBitmap::Sync(ItemIndex item, const std::atomic<uint64_t>& level) {
  std::atomic<uint64_t>& word = words_[item >> 6];
  const uint64_t bit = uint64_t{1} << (item & 63);
  uint64_t seen = level.load(std::memory_order_seq_cst);
  while (true) {
    const Level l = Unpack(seen);
    const bool want = int64_t{l.stock} - int64_t{l.reserved} > reserve_;
    const bool has = (word.load(std::memory_order_seq_cst) & bit) != 0;
    if (want && !has) {
      if ((word.fetch_or(bit, std::memory_order_seq_cst) & bit) == 0) {
        count_.fetch_add(1, std::memory_order_relaxed);
      }
    } else if (!want && has) {
      if ((word.fetch_and(~bit, std::memory_order_seq_cst) & bit) != 0) {
        count_.fetch_sub(1, std::memory_order_relaxed);
      }
    }
    const uint64_t now = level.load(std::memory_order_seq_cst);
    if (now == seen) return;
    seen = now;
  }
}

LiveInventory::LiveInventory(size_t num_items, size_t capacity)
    : capacity_(std::max(num_items, capacity)),
      levels_(new std::atomic<uint64_t>[std::max<size_t>(capacity_, 1)]),
      size_(num_items) {
  for (size_t i = 0; i < capacity_; ++i) levels_[i].store(0, std::memory_order_relaxed);
}

absl::StatusOr<std::unique_ptr<LiveInventory>> LiveInventory::FromStock(
    absl::Span<const int32_t> stock, size_t capacity) {
  // The level table is sized max(items, capacity): bound it to the ItemIndex
  // range before allocating.
  if (capacity >= size_t{kInvalidItem} || stock.size() >= size_t{kInvalidItem}) {
    return absl::InvalidArgumentError(absl::StrCat("live inventory: capacity = ", capacity,
                                                   " (", stock.size(),
                                                   " items) is outside [0, 2^32-1)"));
  }
  std::unique_ptr<LiveInventory> inv;
  try {
    inv = std::make_unique<LiveInventory>(stock.size(), capacity);
  } catch (const std::bad_alloc&) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "live inventory: cannot allocate levels for ", std::max(stock.size(), capacity), " items"));
  }
  for (size_t i = 0; i < stock.size(); ++i) {
    inv->levels_[i].store(Pack({stock[i], 0}), std::memory_order_relaxed);
  }
  return inv;
}

std::unique_ptr<LiveInventory> LiveInventory::Remap(const LiveInventory& old,
                                                    absl::Span<const ItemIndex> new_to_old,
                                                    size_t capacity, uint64_t* copied_at_version) {
  if (copied_at_version != nullptr) *copied_at_version = old.version();
  auto inv = std::make_unique<LiveInventory>(new_to_old.size(), capacity);
  for (size_t i = 0; i < new_to_old.size(); ++i) {
    inv->levels_[i].store(old.Load(new_to_old[i]), std::memory_order_relaxed);
  }
  // Only a failed allocation can fail here; a filter built on the new
  // inventory calls TrackInStock again and reports it.
  for (int32_t reserve : old.TrackedReserves()) (void)inv->TrackInStock(reserve);
  return inv;
}

absl::Status LiveInventory::RejectUnknown(ItemIndex item, const char* what) {
  rejected_unknown_.fetch_add(1, std::memory_order_relaxed);
  return absl::NotFoundError(
      absl::StrCat(what, ": item ", item, " is not in the inventory (size ", size(), ")"));
}

absl::Status LiveInventory::SetStock(ItemIndex item, int32_t stock) {
  if (item >= size()) return RejectUnknown(item, "SetStock");
  uint64_t cur = levels_[item].load(std::memory_order_relaxed);
  while (!levels_[item].compare_exchange_weak(cur, Pack({stock, Unpack(cur).reserved}),
                                              std::memory_order_seq_cst,
                                              std::memory_order_relaxed)) {
  }
  SyncTracked(item);
  Bump();
  return absl::OkStatus();
}

absl::Status LiveInventory::AddStock(ItemIndex item, int32_t delta) {
  if (item >= size()) return RejectUnknown(item, "AddStock");
  uint64_t cur = levels_[item].load(std::memory_order_relaxed);
  while (true) {
    const Level l = Unpack(cur);
    const int64_t next = int64_t{l.stock} + int64_t{delta};
    if (next > std::numeric_limits<int32_t>::max() || next < std::numeric_limits<int32_t>::min()) {
      rejected_overflow_.fetch_add(1, std::memory_order_relaxed);
      return absl::OutOfRangeError(absl::StrCat("AddStock: stock of item ", item, " is ", l.stock,
                                                "; adding ", delta, " overflows int32"));
    }
    if (levels_[item].compare_exchange_weak(cur, Pack({static_cast<int32_t>(next), l.reserved}),
                                            std::memory_order_seq_cst,
                                            std::memory_order_relaxed)) {
      break;
    }
  }
  SyncTracked(item);
  Bump();
  return absl::OkStatus();
}

absl::Status LiveInventory::SetReserved(ItemIndex item, int32_t reserved) {
  if (item >= size()) return RejectUnknown(item, "SetReserved");
  if (reserved < 0) {
    rejected_invalid_.fetch_add(1, std::memory_order_relaxed);
    return absl::InvalidArgumentError(
        absl::StrCat("SetReserved: negative reserve ", reserved, " for item ", item));
  }
  uint64_t cur = levels_[item].load(std::memory_order_relaxed);
  while (!levels_[item].compare_exchange_weak(cur, Pack({Unpack(cur).stock, reserved}),
                                              std::memory_order_seq_cst,
                                              std::memory_order_relaxed)) {
  }
  SyncTracked(item);
  Bump();
  return absl::OkStatus();
}

absl::Status LiveInventory::Grow(size_t new_size) {
  if (new_size > capacity_) {
    return absl::ResourceExhaustedError(
        absl::StrCat("Grow: ", new_size, " items exceed the capacity ", capacity_));
  }
  // New items have level 0 (stock 0), never in stock under a tracked reserve
  // (>= 0): their bits are already clear.
  size_t cur = size_.load(std::memory_order_relaxed);
  while (cur < new_size) {
    if (size_.compare_exchange_weak(cur, new_size, std::memory_order_release)) {
      Bump();
      break;
    }
  }
  return absl::OkStatus();
}

size_t LiveInventory::FilterInStock(std::vector<Candidate>& candidates, int32_t reserve) const {
  const size_t n = size();
  size_t out = 0;
  for (size_t i = 0; i < candidates.size(); ++i) {
    const ItemIndex item = candidates[i].item;
    bool keep = false;
    if (item < n) {
      const Level l = Unpack(levels_[item].load(std::memory_order_relaxed));
      keep = int64_t{l.stock} - int64_t{l.reserved} > reserve;
    }
    candidates[out] = candidates[i];
    out += keep ? 1 : 0;
  }
  const size_t removed = candidates.size() - out;
  candidates.resize(out);
  return removed;
}

absl::StatusOr<const LiveInventory::InStockBitmap*> LiveInventory::TrackInStock(int32_t reserve) {
  if (reserve < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("TrackInStock: reserve ", reserve,
                     " is negative; it would count items with no stock, or oversold, as in stock"));
  }
  absl::MutexLock lock(&track_mu_);
  const size_t n = num_tracked_.load(std::memory_order_relaxed);
  for (size_t t = 0; t < n; ++t) {
    InStockBitmap* b = tracked_[t].load(std::memory_order_relaxed);
    if (b->reserve() == reserve) return b;
  }
  if (n == kMaxTrackedReserves) {
    return absl::ResourceExhaustedError(absl::StrCat("TrackInStock: reserve ", reserve,
                                                     " would be the ", n + 1,
                                                     "th tracked reserve; at most ",
                                                     kMaxTrackedReserves, " are kept"));
  }
  InStockBitmap* b = nullptr;
  try {
    owned_.push_back(std::unique_ptr<InStockBitmap>(new InStockBitmap(reserve, capacity_)));
    b = owned_.back().get();
  } catch (const std::bad_alloc&) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "TrackInStock: cannot allocate an in-stock bitmap of ", capacity_, " items"));
  }
  // Publish to writers first, then fill: an update that does not see the new
  // bitmap changed its level before the publication, so the scan below reads
  // its level (see the comment at the top of this file).
  tracked_[n].store(b, std::memory_order_seq_cst);
  num_tracked_.store(n + 1, std::memory_order_seq_cst);
  const size_t size = size_.load(std::memory_order_seq_cst);
  for (size_t i = 0; i < size; ++i) b->Sync(static_cast<ItemIndex>(i), levels_[i]);
  return b;
}

std::vector<int32_t> LiveInventory::TrackedReserves() const {
  absl::MutexLock lock(&track_mu_);
  std::vector<int32_t> out;
  for (const auto& b : owned_) out.push_back(b->reserve());
  return out;
}

LiveInventory::Stats LiveInventory::stats() const {
  Stats s;
  s.applied = applied_.load(std::memory_order_relaxed);
  s.rejected_unknown_item = rejected_unknown_.load(std::memory_order_relaxed);
  s.rejected_overflow = rejected_overflow_.load(std::memory_order_relaxed);
  s.rejected_invalid = rejected_invalid_.load(std::memory_order_relaxed);
  return s;
}

}  // namespace aisle::policy
