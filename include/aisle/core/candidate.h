// File: aisle/core/candidate.h
//
// A candidate is an item proposed by one or more candidate sources, with the
// score the proposing source gave it and a bitmask of every source that
// proposed it (bit i set = SourceId i).
//
//   std::vector<aisle::Candidate> out;
//   out.push_back({.item = 42, .score = 0.93f, .sources = aisle::SourceBit(0)});
//
// Candidate is a plain value type: thread-compatible.
#ifndef AISLE_CORE_CANDIDATE_H_
#define AISLE_CORE_CANDIDATE_H_

#include <cstdint>

#include "aisle/core/ids.h"

namespace aisle {

struct Candidate {
  ItemIndex item = kInvalidItem;
  // Higher is better for every source (distances are negated by the source).
  float score = 0.0f;
  // Bit i set when source i proposed this item.
  uint32_t sources = 0;
};

inline constexpr uint32_t SourceBit(SourceId id) { return uint32_t{1} << id; }

// Orders by descending score, then ascending item for a deterministic order.
struct ByScoreDesc {
  bool operator()(const Candidate& a, const Candidate& b) const {
    return a.score > b.score || (a.score == b.score && a.item < b.item);
  }
};

}  // namespace aisle

#endif  // AISLE_CORE_CANDIDATE_H_
