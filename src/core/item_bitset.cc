#include "aisle/core/item_bitset.h"

#include <algorithm>
#include <cstddef>
#include <cstdint>

namespace aisle {

void ItemBitset::AllowedWords(size_t first_word, absl::Span<uint64_t> out) const {
  size_t copied = 0;
  if (first_word < words_.size()) {
    copied = std::min(words_.size() - first_word, out.size());
    std::copy_n(words_.data() + first_word, copied, out.data());
  }
  std::fill(out.begin() + static_cast<std::ptrdiff_t>(copied), out.end(), uint64_t{0});
}

void ItemBitset::AllowedMask(absl::Span<const ItemIndex> items,
                             absl::Span<uint8_t> allowed) const {
  for (size_t j = 0; j < items.size(); ++j) allowed[j] = Test(items[j]) ? 1 : 0;
}

}  // namespace aisle
