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
    if (stamp_.size() < n) {
      stamp_.resize(n, 0);
      score_.resize(n, 0.0f);
      blocked_.resize(n, 0);
    }
    if (++gen_ == 0) {
      std::fill(stamp_.begin(), stamp_.end(), 0u);
      gen_ = 1;
    }
    touched.clear();
    candidates.clear();
  }

  // First touch of i in this request resets its slot and records it.
  bool Touch(ItemIndex i) {
    if (stamp_[i] == gen_) return false;
    stamp_[i] = gen_;
    score_[i] = 0.0f;
    blocked_[i] = 0;
    touched.push_back(i);
    return true;
  }
  void Block(ItemIndex i) {
    Touch(i);
    blocked_[i] = 1;
  }
  bool IsBlocked(ItemIndex i) const { return stamp_[i] == gen_ && blocked_[i] != 0; }
  float& Score(ItemIndex i) { return score_[i]; }

  std::vector<ItemIndex> touched;
  std::vector<Candidate> candidates;

 private:
  std::vector<uint32_t> stamp_;
  std::vector<float> score_;
  std::vector<uint8_t> blocked_;
  uint32_t gen_ = 0;
};

}  // namespace aisle::retrieval::internal

#endif  // AISLE_SRC_RETRIEVAL_COVISITATION_SCRATCH_H_
