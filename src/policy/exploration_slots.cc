#include "aisle/policy/exploration_slots.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace aisle::policy {

absl::StatusOr<ExplorationSlots> ExplorationSlots::Create(std::vector<uint32_t> positions) {
  std::sort(positions.begin(), positions.end());
  for (size_t i = 1; i < positions.size(); ++i) {
    if (positions[i] == positions[i - 1]) {
      return absl::InvalidArgumentError(
          absl::StrCat("exploration slot position ", positions[i], " is listed twice"));
    }
  }
  return ExplorationSlots(std::move(positions));
}

size_t ExplorationSlots::Apply(std::vector<Candidate>& ranked, size_t k,
                               absl::Span<const Candidate> pool, ExposureBudget* budget,
                               size_t max_slots) const {
  size_t placed = 0;
  size_t next = 0;  // next pool entry to consider
  const size_t slots = std::min(max_slots, positions_.size());
  for (size_t s = 0; s < slots; ++s) {
    const uint32_t pos = positions_[s];
    if (pos >= k) break;
    bool done = false;
    while (!done && next < pool.size()) {
      const Candidate& c = pool[next++];
      const bool present = std::any_of(ranked.begin(), ranked.end(),
                                       [&](const Candidate& r) { return r.item == c.item; });
      if (present) continue;
      if (budget != nullptr && !budget->TryConsume(c.item)) continue;
      const size_t at = std::min<size_t>(pos, ranked.size());
      ranked.insert(ranked.begin() + static_cast<ptrdiff_t>(at), c);
      ++placed;
      done = true;
    }
    if (!done) break;  // pool exhausted
  }
  if (ranked.size() > k) ranked.resize(k);
  return placed;
}

}  // namespace aisle::policy
