// File: aisle/core/ids.h
//
// Item references. Outside aisle an item is named by its external string id
// ("sku-123"); inside, every stage refers to it by a dense ItemIndex assigned
// by the catalog (0 .. size-1), so candidate lists, bitsets and feature rows
// are plain integer-indexed arrays.
#ifndef AISLE_CORE_IDS_H_
#define AISLE_CORE_IDS_H_

#include <cstdint>
#include <limits>

namespace aisle {

// Dense index of an item in one catalog snapshot.
using ItemIndex = uint32_t;
inline constexpr ItemIndex kInvalidItem = std::numeric_limits<ItemIndex>::max();

// Dense index of a category node in one catalog snapshot.
using CategoryIndex = uint32_t;
inline constexpr CategoryIndex kInvalidCategory = std::numeric_limits<CategoryIndex>::max();

// Index of a candidate source within one pipeline (0..kMaxSources-1); a
// candidate's source tags are a bitmask over these.
using SourceId = uint8_t;
inline constexpr int kMaxSources = 32;

}  // namespace aisle

#endif  // AISLE_CORE_IDS_H_
