// File: aisle/policy/live_item_filter.h
//
// LiveItemFilter: the items one surface may show right now, as an ItemFilter
// that retrieval reads (filtered ANN and exact search, co-visitation,
// popularity): in stock in the LiveInventory under the surface's reserve
// (available = stock - reserved > reserve; negative stock is never in stock)
// AND not blocked by the surface's policy rules. Sold-out and blocked items
// are skipped inside the sources, so they never take a source's quota.
//
// Nothing is built per request: stock is read from the in-stock bitmap the
// inventory keeps current on every update (LiveInventory::TrackInStock), and
// the blocked items are a bitset fixed at construction (once per snapshot).
// AllowedCount() is O(1).
//
//   // Once per snapshot and surface:
//   AISLE_ASSIGN_OR_RETURN(
//       std::unique_ptr<aisle::policy::LiveItemFilter> allowed,
//       aisle::policy::LiveItemFilter::Create(*inventory, surface.inventory_reserve,
//                                             policy->BlockedItems(surface_index)));
//   // Per request:
//   aisle::retrieval::RetrievalQuery q;
//   q.filter = allowed.get();
//   // Inventory events, from any thread, at any time:
//   inventory->SetStock(item, 0);   // `item` is no longer allowed once this returns
//
// Thread-safe: any number of readers, lock-free, while the inventory's
// writers update it. Each item reads as it was before or after a concurrent
// update; once an update has returned, every read that happens after it sees
// it. The inventory is borrowed and must outlive the filter.
#ifndef AISLE_POLICY_LIVE_ITEM_FILTER_H_
#define AISLE_POLICY_LIVE_ITEM_FILTER_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <utility>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "aisle/core/ids.h"
#include "aisle/core/item_bitset.h"
#include "aisle/core/item_filter.h"
#include "aisle/policy/live_inventory.h"

namespace aisle::policy {

class LiveItemFilter final : public ItemFilter {
 public:
  // Allows the items in stock in `inventory` under `reserve` that are not in
  // `blocked` (a bitset over items; empty for none, e.g.
  // PolicyFilter::BlockedItems). Calls inventory.TrackInStock(reserve), so
  // the first filter for a reserve scans the inventory once. InvalidArgument
  // for a negative reserve; ResourceExhausted when the inventory already
  // tracks LiveInventory::kMaxTrackedReserves other reserves.
  static absl::StatusOr<std::unique_ptr<LiveItemFilter>> Create(LiveInventory& inventory,
                                                                int32_t reserve,
                                                                ItemBitset blocked = {});

  LiveItemFilter(const LiveItemFilter&) = delete;
  LiveItemFilter& operator=(const LiveItemFilter&) = delete;

  // The inventory's current size().
  size_t Size() const override;
  // In-stock count (exact, O(1)) times the share of items that are not
  // blocked: an estimate that assumes stock-outs are independent of the
  // blocked set. Exact when nothing is blocked. 0 only when no item is
  // allowed.
  size_t AllowedCount() const override;
  bool Allowed(ItemIndex item) const override {
    return in_stock_->Test(item) && !blocked_.Test(item);
  }
  void AllowedWords(size_t first_word, absl::Span<uint64_t> out) const override;
  void AllowedMask(absl::Span<const ItemIndex> items, absl::Span<uint8_t> allowed) const override;

  int32_t reserve() const { return in_stock_->reserve(); }
  const ItemBitset& blocked() const { return blocked_; }
  // Items in stock under the reserve, blocked or not (exact when no update is
  // in flight).
  size_t InStockCount() const { return in_stock_->count(); }

 private:
  LiveItemFilter(const LiveInventory* inventory, const LiveInventory::InStockBitmap* in_stock,
                 ItemBitset blocked)
      : inventory_(inventory), in_stock_(in_stock), blocked_(std::move(blocked)) {}

  const LiveInventory* inventory_;
  const LiveInventory::InStockBitmap* in_stock_;  // owned by *inventory_
  ItemBitset blocked_;
};

}  // namespace aisle::policy

#endif  // AISLE_POLICY_LIVE_ITEM_FILTER_H_
