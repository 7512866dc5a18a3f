#include "aisle/policy/launch_boost.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "absl/strings/str_cat.h"
#include "aisle/policy/reorderers.h"

namespace aisle::policy {
namespace {

constexpr int64_t kUnknown = std::numeric_limits<int64_t>::min();

// Higher score first; NaN after every number; equal keys keep input order
// (the caller breaks ties by position).
bool Before(float a, float b) {
  const bool na = std::isnan(a), nb = std::isnan(b);
  if (na || nb) return !na && nb;
  return a > b;
}

// Sorts by descending score, stably, without allocating once the per-thread
// buffers have grown (std::stable_sort may allocate on every call).
void StableSortByScore(std::vector<Candidate>& list) {
  bool sorted = true;
  for (size_t i = 1; i < list.size() && sorted; ++i) {
    sorted = !Before(list[i].score, list[i - 1].score);
  }
  if (sorted) return;
  thread_local std::vector<uint32_t> order;
  thread_local std::vector<Candidate> copy;
  order.resize(list.size());
  std::iota(order.begin(), order.end(), uint32_t{0});
  std::sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) {
    const float sa = list[a].score, sb = list[b].score;
    if (Before(sa, sb)) return true;
    if (Before(sb, sa)) return false;
    return a < b;
  });
  copy.assign(list.begin(), list.end());
  for (size_t i = 0; i < list.size(); ++i) list[i] = copy[order[i]];
}

}  // namespace

absl::StatusOr<std::unique_ptr<LaunchBoost>> LaunchBoost::Create(
    absl::Span<const int64_t> launch_micros, LaunchBoostOptions options) {
  if (options.window == absl::InfiniteDuration() || options.window <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError(absl::StrCat("launch boost: window ",
                                                   absl::FormatDuration(options.window),
                                                   " is not finite and positive"));
  }
  if (!std::isfinite(options.boost) || options.boost < 0.0f) {
    return absl::InvalidArgumentError(
        absl::StrCat("launch boost: boost ", options.boost, " is not finite and >= 0"));
  }
  std::unique_ptr<LaunchBoost> lb(new LaunchBoost(launch_micros, options));
  // Saturates at INT64_MAX for an absurdly long window: then nothing ages out.
  lb->window_us_ = std::max<int64_t>(1, absl::ToInt64Microseconds(options.window));
  return lb;
}

float LaunchBoost::BoostFor(int64_t launch_us, int64_t now_us) const {
  if (launch_us == kUnknown || launch_us > now_us) return 0.0f;
  // In double: now_us - launch_us may not fit int64 for extreme times.
  const double age = static_cast<double>(now_us) - static_cast<double>(launch_us);
  const double left = 1.0 - age / static_cast<double>(window_us_);
  return left > 0.0 ? static_cast<float>(options_.boost * left) : 0.0f;
}

float LaunchBoost::BoostAt(ItemIndex item, absl::Time now) const {
  return item < launch_.size() ? BoostFor(launch_[item], absl::ToUnixMicros(now)) : 0.0f;
}

absl::Status LaunchBoost::Apply(const ReorderContext& context, std::vector<Candidate>& list) const {
  requests_.fetch_add(1, std::memory_order_relaxed);
  const int64_t now_us = absl::ToUnixMicros(context.now);
  size_t boosted = 0;
  bool changed = false;
  for (Candidate& c : list) {
    if (c.item >= launch_.size()) continue;
    const float w = BoostFor(launch_[c.item], now_us);
    if (!(w > 0.0f)) continue;
    const float next = options_.mode == LaunchBoostMode::kAdd ? c.score + w : c.score * (1.0f + w);
    changed = changed || next != c.score;
    c.score = next;
    ++boosted;
  }
  if (changed) StableSortByScore(list);
  if (boosted > 0) boosted_.fetch_add(boosted, std::memory_order_relaxed);
  if (context.report != nullptr) context.report->launch_boosted += boosted;
  return absl::OkStatus();
}

}  // namespace aisle::policy
