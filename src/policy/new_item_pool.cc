#include "aisle/policy/new_item_pool.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace aisle::policy {

absl::StatusOr<std::shared_ptr<const NewItemPool>> NewItemPool::Create(
    absl::Span<const int64_t> launch_micros) {
  if (launch_micros.size() >= size_t{kInvalidItem}) {
    return absl::InvalidArgumentError(absl::StrCat("new-item pool: ", launch_micros.size(),
                                                   " launch times; at most ", kInvalidItem - 1,
                                                   " items are supported"));
  }
  std::shared_ptr<NewItemPool> pool(new NewItemPool());
  pool->num_items_ = launch_micros.size();
  std::vector<ItemIndex> known;
  known.reserve(launch_micros.size());
  for (size_t i = 0; i < launch_micros.size(); ++i) {
    if (launch_micros[i] != kUnknownLaunch) known.push_back(static_cast<ItemIndex>(i));
  }
  std::sort(known.begin(), known.end(), [&](ItemIndex a, ItemIndex b) {
    return launch_micros[a] < launch_micros[b] || (launch_micros[a] == launch_micros[b] && a > b);
  });
  pool->items_ = std::move(known);
  pool->times_.resize(pool->items_.size());
  for (size_t j = 0; j < pool->items_.size(); ++j) pool->times_[j] = launch_micros[pool->items_[j]];
  return std::shared_ptr<const NewItemPool>(std::move(pool));
}

bool NewItemPool::Range(absl::Time now, absl::Duration window, size_t& lo, size_t& hi,
                        int64_t& now_us) const {
  if (window <= absl::ZeroDuration() || times_.empty()) return false;
  now_us = absl::ToUnixMicros(now);
  int64_t from_us = std::numeric_limits<int64_t>::min();
  if (window != absl::InfiniteDuration()) {
    const int64_t w = absl::ToInt64Microseconds(window);
    // now_us - w without overflow (saturates at the smallest time).
    from_us = now_us >= std::numeric_limits<int64_t>::min() + w
                  ? now_us - w
                  : std::numeric_limits<int64_t>::min();
  }
  lo =
      static_cast<size_t>(std::lower_bound(times_.begin(), times_.end(), from_us) - times_.begin());
  hi = static_cast<size_t>(std::upper_bound(times_.begin(), times_.end(), now_us) - times_.begin());
  return lo < hi;
}

void NewItemPool::Collect(absl::Time now, absl::Duration window, size_t max_items,
                          std::vector<Candidate>& out, uint32_t sources) const {
  out.clear();
  size_t lo = 0, hi = 0;
  int64_t now_us = 0;
  if (max_items == 0 || !Range(now, window, lo, hi, now_us)) return;
  const bool infinite = window == absl::InfiniteDuration();
  const double w = infinite ? 1.0 : absl::ToDoubleMicroseconds(window);
  const size_t n = std::min(max_items, hi - lo);
  for (size_t j = hi; j > hi - n; --j) {
    const size_t at = j - 1;
    // In double: now_us - t may not fit int64 for a saturated window start.
    const double age = static_cast<double>(now_us) - static_cast<double>(times_[at]);
    const float fresh = infinite ? 1.0f : static_cast<float>(std::clamp(1.0 - age / w, 0.0, 1.0));
    out.push_back({items_[at], fresh, sources});
  }
}

size_t NewItemPool::Count(absl::Time now, absl::Duration window) const {
  size_t lo = 0, hi = 0;
  int64_t now_us = 0;
  return Range(now, window, lo, hi, now_us) ? hi - lo : 0;
}

}  // namespace aisle::policy
