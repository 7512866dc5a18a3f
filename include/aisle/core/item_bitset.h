// File: aisle/core/item_bitset.h
//
// A fixed-size set of dense item indices, one bit per item, with a cached
// member count. Filters (in a category set, with a brand, not blocked) are
// combined into one ItemBitset; its Count() over Size() is the filter's
// selectivity, which retrieval uses to choose a search strategy. An
// ItemBitset is an ItemFilter (aisle/core/item_filter.h), so a
// `const ItemBitset*` goes wherever retrieval takes a `const ItemFilter*`;
// for live stock use policy::LiveItemFilter instead of a copy built per
// request.
//
//   aisle::ItemBitset allowed(catalog.size(), /*value=*/true);
//   allowed.Reset(sold_out_item);
//   if (allowed.Test(i)) ...
//
// Thread-compatible: concurrent reads are safe, writes need exclusion.
#ifndef AISLE_CORE_ITEM_BITSET_H_
#define AISLE_CORE_ITEM_BITSET_H_

#include <bit>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "absl/types/span.h"
#include "aisle/core/ids.h"
#include "aisle/core/item_filter.h"

namespace aisle {

class ItemBitset final : public ItemFilter {
 public:
  ItemBitset() = default;
  explicit ItemBitset(size_t size, bool value = false)
      : words_((size + 63) / 64, value ? ~uint64_t{0} : 0), size_(size), count_(value ? size : 0) {
    if (value) ClearTail();
  }

  size_t Size() const override { return size_; }
  size_t Count() const { return count_; }
  // Fraction of items in the set, in [0, 1]; 0 for an empty universe.
  double Selectivity() const { return size_ == 0 ? 0.0 : double(count_) / double(size_); }

  bool Test(ItemIndex i) const { return i < size_ && (words_[i >> 6] >> (i & 63)) & 1; }
  void Set(ItemIndex i) {
    if (i >= size_) return;
    uint64_t& w = words_[i >> 6];
    const uint64_t bit = uint64_t{1} << (i & 63);
    count_ += (w & bit) ? 0 : 1;
    w |= bit;
  }
  void Reset(ItemIndex i) {
    if (i >= size_) return;
    uint64_t& w = words_[i >> 6];
    const uint64_t bit = uint64_t{1} << (i & 63);
    count_ -= (w & bit) ? 1 : 0;
    w &= ~bit;
  }
  // this &= other (sizes must match; extra bits of a longer other are ignored).
  void And(const ItemBitset& other) {
    const size_t n = words_.size() < other.words_.size() ? words_.size() : other.words_.size();
    for (size_t w = 0; w < n; ++w) words_[w] &= other.words_[w];
    for (size_t w = n; w < words_.size(); ++w) words_[w] = 0;
    Recount();
  }
  // this |= other.
  void Or(const ItemBitset& other) {
    const size_t n = words_.size() < other.words_.size() ? words_.size() : other.words_.size();
    for (size_t w = 0; w < n; ++w) words_[w] |= other.words_[w];
    ClearTail();
    Recount();
  }

  // Calls fn(ItemIndex) for every member in increasing order.
  template <typename Fn>
  void ForEach(Fn&& fn) const {
    for (size_t w = 0; w < words_.size(); ++w) {
      uint64_t bits = words_[w];
      while (bits) {
        const int b = std::countr_zero(bits);
        fn(static_cast<ItemIndex>(w * 64 + b));
        bits &= bits - 1;
      }
    }
  }

  const std::vector<uint64_t>& words() const { return words_; }

  // ItemFilter: the members are the allowed items.
  size_t AllowedCount() const override { return count_; }
  bool Allowed(ItemIndex item) const override { return Test(item); }
  void AllowedWords(size_t first_word, absl::Span<uint64_t> out) const override;
  void AllowedMask(absl::Span<const ItemIndex> items, absl::Span<uint8_t> allowed) const override;

 private:
  void ClearTail() {
    if (size_ % 64 != 0 && !words_.empty()) {
      words_.back() &= (uint64_t{1} << (size_ % 64)) - 1;
    }
  }
  void Recount() {
    size_t c = 0;
    for (uint64_t w : words_) c += std::popcount(w);
    count_ = c;
  }

  std::vector<uint64_t> words_;
  size_t size_ = 0;
  size_t count_ = 0;
};

}  // namespace aisle

#endif  // AISLE_CORE_ITEM_BITSET_H_
