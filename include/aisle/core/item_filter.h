// File: aisle/core/item_filter.h
//
// ItemFilter: the set of items a request may return, as retrieval reads it.
// Two kinds implement it: ItemBitset (a fixed set the caller builds, e.g. the
// items of a category) and policy::LiveItemFilter (in stock right now in the
// live inventory, and not blocked), which changes while requests read it.
// Every candidate source honours the filter of its RetrievalQuery, so items
// that are not allowed never take a source's quota.
//
//   aisle::retrieval::RetrievalQuery q;
//   q.filter = &surface_filter;            // any ItemFilter; nullptr = all items
//   ...
//   // Inside a source: O(1) size estimate for the cost model, then batches.
//   double s = q.filter->Selectivity();
//   uint64_t words[16];
//   q.filter->AllowedWords(/*first_word=*/0, words);   // items 0..1023
//   q.filter->AllowedMask(found_items, mask);          // one byte per item
//
// The interface is batch-shaped: a scan over the catalog reads blocks of
// 64-bit words and candidates found another way (graph neighbours, a
// co-visitation row) are tested as a span, so a request makes a handful of
// virtual calls, not one per candidate. Allowed() is there for single items
// and tests.
//
// Thread-safety: implementations are thread-safe for concurrent readers. A
// live implementation changes while it is read: each item reads as it was
// before or after a concurrent change, never anything else, and
// AllowedCount() is an estimate that may trail the per-item answers.
#ifndef AISLE_CORE_ITEM_FILTER_H_
#define AISLE_CORE_ITEM_FILTER_H_

#include <cstddef>
#include <cstdint>

#include "absl/types/span.h"
#include "aisle/core/ids.h"

namespace aisle {

class ItemFilter {
 public:
  virtual ~ItemFilter();

  // The filter's universe: items 0..Size()-1. Items at or beyond it are not
  // allowed.
  virtual size_t Size() const = 0;

  // How many items are allowed: exact for a fixed set, an O(1) estimate for a
  // live one. Retrieval uses it to choose a strategy, never to size a result.
  virtual size_t AllowedCount() const = 0;

  // Whether `item` may be returned.
  virtual bool Allowed(ItemIndex item) const = 0;

  // Writes the allowed bits of items [64 * w, 64 * w + 64) into out[j], for
  // w = first_word + j: bit b of out[j] is item 64 * w + b. Words at or past
  // the end of the universe are written as zero.
  virtual void AllowedWords(size_t first_word, absl::Span<uint64_t> out) const = 0;

  // allowed[j] = 1 when items[j] is allowed, 0 otherwise, for every j below
  // items.size() (allowed.size() must be at least items.size()).
  virtual void AllowedMask(absl::Span<const ItemIndex> items, absl::Span<uint8_t> allowed) const = 0;

  // AllowedCount() / Size(), clamped to [0, 1]; 0 for an empty universe.
  double Selectivity() const;

  // The same as Allowed(), spelled as ItemBitset spells it.
  bool Test(ItemIndex item) const { return Allowed(item); }

 protected:
  ItemFilter() = default;
  ItemFilter(const ItemFilter&) = default;
  ItemFilter& operator=(const ItemFilter&) = default;
};

}  // namespace aisle

#endif  // AISLE_CORE_ITEM_FILTER_H_
