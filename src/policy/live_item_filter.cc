#include "aisle/policy/live_item_filter.h"

#include <algorithm>
#include <utility>
#include <vector>

#include "aisle/core/status_macros.h"

namespace aisle::policy {

absl::StatusOr<std::unique_ptr<LiveItemFilter>> LiveItemFilter::Create(LiveInventory& inventory,
                                                                       int32_t reserve,
                                                                       ItemBitset blocked) {
  AISLE_ASSIGN_OR_RETURN(const LiveInventory::InStockBitmap* in_stock,
                         inventory.TrackInStock(reserve));
  return std::unique_ptr<LiveItemFilter>(
      new LiveItemFilter(&inventory, in_stock, std::move(blocked)));
}

size_t LiveItemFilter::Size() const { return inventory_->size(); }

size_t LiveItemFilter::AllowedCount() const {
  const size_t n = Size();
  const size_t in_stock = std::min(in_stock_->count(), n);
  const size_t blocked = std::min(blocked_.Count(), n);
  if (blocked == 0 || in_stock == 0) return in_stock;
  if (blocked == n) return 0;
  // ceil(in_stock * (n - blocked) / n): positive whenever both factors are.
  // n < 2^32 (ItemIndex), so the product fits in 64 bits.
  const uint64_t num = uint64_t{in_stock} * uint64_t{n - blocked};
  return static_cast<size_t>((num + n - 1) / n);
}

void LiveItemFilter::AllowedWords(size_t first_word, absl::Span<uint64_t> out) const {
  const std::vector<uint64_t>& blocked = blocked_.words();
  for (size_t j = 0; j < out.size(); ++j) {
    const size_t w = first_word + j;
    const uint64_t deny = w < blocked.size() ? blocked[w] : 0;
    out[j] = in_stock_->Word(w) & ~deny;
  }
}

void LiveItemFilter::AllowedMask(absl::Span<const ItemIndex> items,
                                 absl::Span<uint8_t> allowed) const {
  for (size_t j = 0; j < items.size(); ++j) {
    const ItemIndex item = items[j];
    allowed[j] = (in_stock_->Test(item) && !blocked_.Test(item)) ? 1 : 0;
  }
}

}  // namespace aisle::policy
