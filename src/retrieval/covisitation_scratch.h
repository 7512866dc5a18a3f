// File: src/retrieval/covisitation_scratch.h (internal)
//
// Per-thread, per-request scratch for sources that score or filter by dense
// item index (co-visitation, popularity): generation-stamped arrays sized to
// the catalog, so starting a request is O(1) and nothing is allocated per
// candidate once the arrays have grown to the catalog size.
//
//   ItemScratch& s = ItemScratch::ForThisThread(ItemScratch::kCoVisitation);
//   s.Begin(num_items);
//   s.Block(seed);
//   if (!s.IsBlocked(item)) ...
//
// Not thread-safe: each thread gets its own instances.
#ifndef AISLE_SRC_RETRIEVAL_COVISITATION_SCRATCH_H_
#define AISLE_SRC_RETRIEVAL_COVISITATION_SCRATCH_H_

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "aisle/core/candidate.h"
#include "aisle/core/ids.h"

namespace aisle::retrieval::internal {

class ItemScratch {
 public:
  enum User { kCoVisitation = 0, kPopularity = 1, kNumUsers = 2 };

  static ItemScratch& ForThisThread(User user) {
    thread_local ItemScratch scratch[kNumUsers];
    return scratch[user];
  }

  // Starts a request over items 0..n-1.
  void Begin(size_t n) {
    if (slots_.size() < n) slots_.resize(n);
    if (++gen_ == 0) {
      for (Slot& s : slots_) s.stamp = 0;
      gen_ = 1;
    }
    touched.clear();
    candidates.clear();
  }

  // First touch of i in this request resets its slot and records it.
  bool Touch(ItemIndex i) {
    Slot& s = slots_[i];
    if (s.stamp == gen_) return false;
    s.stamp = gen_;
    s.score = 0.0f;
    s.blocked = 0;
    touched.push_back(i);
    return true;
  }
  void Block(ItemIndex i) {
    Touch(i);
    slots_[i].blocked = 1;
  }
  bool IsBlocked(ItemIndex i) const { return slots_[i].stamp == gen_ && slots_[i].blocked != 0; }
  float& Score(ItemIndex i) { return slots_[i].score; }

  std::vector<ItemIndex> touched;
  std::vector<Candidate> candidates;
  std::vector<uint8_t> mask;  // ItemFilter::AllowedMask of a span of items

 private:
  // One 12-byte slot per item, so a candidate costs one cache miss, not three.
  struct Slot {
    uint32_t stamp = 0;  // == gen_: the slot belongs to this request
    float score = 0.0f;
    uint32_t blocked = 0;
  };
  std::vector<Slot> slots_;
  uint32_t gen_ = 0;
};

}  // namespace aisle::retrieval::internal

#endif  // AISLE_SRC_RETRIEVAL_COVISITATION_SCRATCH_H_
