#include "aisle/retrieval/popularity.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <memory>
#include <new>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "aisle/core/event_time.h"
#include "aisle/core/status_macros.h"
#include "retrieval/covisitation_scratch.h"

namespace aisle::retrieval {
namespace {

constexpr double kLn2 = 0.69314718055994530942;
// Renormalize when a scale factor would exceed e^kMaxExponent.
constexpr double kMaxExponent = 50.0;
constexpr int kMain = 0, kShort = 1, kLong = 2;

double InvTauMicros(absl::Duration half_life) {
  return kLn2 / absl::ToDoubleMicroseconds(half_life);
}
double TauHours(absl::Duration half_life) { return absl::ToDoubleHours(half_life) / kLn2; }

// exp(-(at - epoch) / tau) computed in double, so that any int64 `at` a
// caller asks about (even INT64_MIN) gives 0 or +inf, never a wrapped value.
double DecayFactor(int64_t at, int64_t epoch, double inv_tau_micros) {
  return std::exp(-(static_cast<double>(at) - static_cast<double>(epoch)) * inv_tau_micros);
}

bool Better(const std::pair<ItemIndex, double>& a, const std::pair<ItemIndex, double>& b) {
  return a.second > b.second || (a.second == b.second && a.first < b.first);
}

absl::Status ValidateOptions(const PopularityOptions& o) {
  if (o.num_items == 0 || o.num_items >= size_t{kInvalidItem}) {
    return absl::InvalidArgumentError(
        absl::StrCat("PopularityOptions.num_items must be in [1, 2^32-2], got ", o.num_items));
  }
  if (o.num_categories > kMaxPopularityCategories) {
    return absl::InvalidArgumentError(absl::StrCat(
        "PopularityOptions.num_categories must be in [0, 2^24], got ", o.num_categories));
  }
  if (o.num_segments > kMaxPopularitySegments) {
    return absl::InvalidArgumentError(absl::StrCat(
        "PopularityOptions.num_segments must be in [0, 2^16], got ", o.num_segments));
  }
  if (!o.item_categories.empty() && o.item_categories.size() != o.num_items) {
    return absl::InvalidArgumentError(
        absl::StrCat("PopularityOptions.item_categories has ", o.item_categories.size(),
                     " entries; expected 0 or num_items = ", o.num_items));
  }
  for (size_t i = 0; i < o.item_categories.size(); ++i) {
    const CategoryIndex c = o.item_categories[i];
    if (c != kInvalidCategory && c >= o.num_categories) {
      return absl::InvalidArgumentError(
          absl::StrCat("PopularityOptions.item_categories[", i, "] = ", c,
                       " is not < num_categories = ", o.num_categories));
    }
  }
  const std::pair<const char*, absl::Duration> durations[] = {
      {"half_life", o.half_life},
      {"trend_short_half_life", o.trend_short_half_life},
      {"trend_long_half_life", o.trend_long_half_life}};
  for (const auto& [name, d] : durations) {
    if (d <= absl::ZeroDuration() || d == absl::InfiniteDuration()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "PopularityOptions.", name, " must be finite and > 0, got ", absl::FormatDuration(d)));
    }
  }
  for (int t = 0; t < kNumInteractionTypes; ++t) {
    const float w = o.type_weights[t];
    if (!(w >= 0.0f) || std::isinf(w)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "PopularityOptions.type_weights[", InteractionTypeName(static_cast<InteractionType>(t)),
          "] must be finite and >= 0, got ", w));
    }
  }
  if (o.top_n == 0 || o.top_n > (size_t{1} << 24)) {
    return absl::InvalidArgumentError(
        absl::StrCat("PopularityOptions.top_n must be in [1, 2^24], got ", o.top_n));
  }
  if (o.max_lead < absl::ZeroDuration() || o.max_lead == absl::InfiniteDuration()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "PopularityOptions.max_lead must be finite and >= 0, got ", absl::FormatDuration(o.max_lead)));
  }
  if (!(o.trend_floor > 0.0) || std::isinf(o.trend_floor)) {
    return absl::InvalidArgumentError(
        absl::StrCat("PopularityOptions.trend_floor must be finite and > 0, got ", o.trend_floor));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::unique_ptr<PopularityIndex>> PopularityIndex::Create(
    PopularityOptions options) {
  if (absl::Status s = ValidateOptions(options); !s.ok()) return s;
  const size_t num_items = options.num_items;
  try {
    return std::unique_ptr<PopularityIndex>(new PopularityIndex(std::move(options)));
  } catch (const std::bad_alloc&) {
    return absl::ResourceExhaustedError(
        absl::StrCat("popularity: out of memory for num_items = ", num_items));
  }
}

PopularityIndex::PopularityIndex(PopularityOptions options) : options_(std::move(options)) {
  absl::MutexLock lock(&mu_);
  const size_t n = options_.num_items;
  main_.inv_tau_micros = InvTauMicros(options_.half_life);
  short_.inv_tau_micros = InvTauMicros(options_.trend_short_half_life);
  long_.inv_tau_micros = InvTauMicros(options_.trend_long_half_life);
  global_.assign(n, 0.0);
  global_slot_.assign(n, -1);
  if (!options_.item_categories.empty()) category_slot_.assign(n, -1);
  if (options_.trending) {
    short_counts_.assign(n, 0.0);
    long_counts_.assign(n, 0.0);
  }
  segments_.resize(options_.num_segments + 1);
  lists_.resize(1 + options_.num_categories + options_.num_segments);
  auto empty = std::make_shared<PopularitySnapshot>();
  empty->num_items_ = n;
  empty->num_categories_ = options_.num_categories;
  empty->num_segments_ = options_.num_segments;
  empty->offsets_.assign(lists_.size() + 2, 0);
  published_.store(std::move(empty));
}

void PopularityIndex::Rescale(int which, double factor) {
  if (which == kShort) {
    for (double& v : short_counts_) v *= factor;
    return;
  }
  if (which == kLong) {
    for (double& v : long_counts_) v *= factor;
    return;
  }
  for (double& v : global_) v *= factor;
  for (auto& seg : segments_) {
    for (auto& [item, e] : seg) e.score *= factor;
  }
  for (TopList& l : lists_) {
    for (auto& e : l.entries) e.second *= factor;
    l.threshold *= factor;
    l.dirty = true;
  }
}

double PopularityIndex::ScaleFor(Decay& d, int64_t t, int which) {
  if (!d.started) {
    d.started = true;
    d.epoch = t;
  }
  // Both times are sane (|t| < 2^54), so the difference cannot overflow.
  double x = static_cast<double>(t - d.epoch) * d.inv_tau_micros;
  if (x > kMaxExponent) {
    Rescale(which, std::exp(-x));
    d.epoch = t;
    x = 0.0;
  }
  return std::exp(x);
}

template <typename SlotOf>
void PopularityIndex::Offer(TopList& list, int32_t& slot, ItemIndex item, double score,
                            SlotOf slot_of) {
  if (slot >= 0) {
    list.entries[slot].second = score;
    list.dirty = true;
    return;
  }
  if (!(score > list.threshold)) return;
  slot = static_cast<int32_t>(list.entries.size());
  list.entries.emplace_back(item, score);
  list.dirty = true;
  const size_t n = options_.top_n;
  if (list.entries.size() < 2 * n) return;
  auto& e = list.entries;
  std::nth_element(e.begin(), e.begin() + (n - 1), e.end(), Better);
  for (size_t k = n; k < e.size(); ++k) slot_of(e[k].first) = -1;
  e.resize(n);
  double lowest = e[0].second;
  for (size_t k = 0; k < n; ++k) {
    slot_of(e[k].first) = static_cast<int32_t>(k);
    lowest = std::min(lowest, e[k].second);
  }
  list.threshold = lowest;
}

absl::Status PopularityIndex::Apply(const Interaction& event, uint32_t segment) {
  if (event.item >= options_.num_items) {
    return absl::InvalidArgumentError(absl::StrCat("popularity: item index ", event.item,
                                                   " is outside the catalog of ",
                                                   options_.num_items, " items"));
  }
  if (segment > options_.num_segments) {
    return absl::InvalidArgumentError(absl::StrCat("popularity: segment ", segment,
                                                   " is not in [0, ", options_.num_segments,
                                                   "] (item index ", event.item, ")"));
  }
  const auto type = static_cast<uint8_t>(event.type);
  if (type >= kNumInteractionTypes) {
    return absl::InvalidArgumentError(absl::StrCat("popularity: unknown interaction type ",
                                                   int{type}, " for item index ", event.item));
  }
  // Decay exponents are computed from time differences: an insane time would
  // overflow them.
  AISLE_RETURN_IF_ERROR(CheckTimeMicros(
      event.time_micros, absl::StrCat("popularity: event on item index ", event.item)));
  const double w = options_.type_weights[type];
  const ItemIndex item = event.item;
  int64_t t = event.time_micros;
  if (options_.clock != nullptr) {
    const absl::Time now = options_.clock->Now();
    if (absl::FromUnixMicros(t) > now + options_.max_lead) {
      t = absl::ToUnixMicros(now);
      clamped_future_.fetch_add(1, std::memory_order_relaxed);
    }
  }

  absl::MutexLock lock(&mu_);
  newest_event_ = std::max(newest_event_, t);
  const double add = w * ScaleFor(main_, t, kMain);
  const double score = (global_[item] += add);
  Offer(lists_[0], global_slot_[item], item, score,
        [this](ItemIndex i) -> int32_t& { return global_slot_[i]; });
  if (!category_slot_.empty()) {
    const CategoryIndex c = options_.item_categories[item];
    if (c != kInvalidCategory) {
      Offer(lists_[1 + c], category_slot_[item], item, score,
            [this](ItemIndex i) -> int32_t& { return category_slot_[i]; });
    }
  }
  if (segment != 0) {
    auto& seg = segments_[segment];
    SegmentEntry& e = seg[item];
    e.score += add;
    Offer(lists_[options_.num_categories + segment], e.slot, item, e.score,
          [&seg](ItemIndex i) -> int32_t& { return seg.find(i)->second.slot; });
  }
  if (options_.trending) {
    short_counts_[item] += w * ScaleFor(short_, t, kShort);
    long_counts_[item] += w * ScaleFor(long_, t, kLong);
  }
  if (options_.publish_every != 0 && ++applied_since_publish_ >= options_.publish_every) {
    PublishLocked();
  }
  return absl::OkStatus();
}

absl::Status PopularityIndex::ApplyAll(absl::Span<const Interaction> events, uint32_t segment) {
  for (size_t k = 0; k < events.size(); ++k) {
    if (absl::Status s = Apply(events[k], segment); !s.ok()) {
      return absl::Status(s.code(), absl::StrCat("event ", k, ": ", s.message()));
    }
  }
  return absl::OkStatus();
}

uint64_t PopularityIndex::Publish() {
  absl::MutexLock lock(&mu_);
  return PublishLocked();
}

uint64_t PopularityIndex::PublishLocked() {
  const std::shared_ptr<const PopularitySnapshot> prev = published_.load(std::memory_order_acquire);
  auto snap = std::make_shared<PopularitySnapshot>();
  snap->num_items_ = options_.num_items;
  snap->num_categories_ = options_.num_categories;
  snap->num_segments_ = options_.num_segments;
  snap->as_of_micros_ = newest_event_;
  snap->factor_ =
      main_.started
          ? std::exp(-static_cast<double>(newest_event_ - main_.epoch) * main_.inv_tau_micros)
          : 1.0;
  const size_t n = options_.top_n;
  std::vector<std::pair<ItemIndex, double>> sorted;
  snap->offsets_.push_back(0);
  for (size_t scope = 0; scope < lists_.size(); ++scope) {
    TopList& list = lists_[scope];
    if (list.dirty || prev->offsets_.size() != lists_.size() + 2) {
      sorted = list.entries;
      const size_t keep = std::min(n, sorted.size());
      std::partial_sort(sorted.begin(), sorted.begin() + keep, sorted.end(), Better);
      for (size_t k = 0; k < keep; ++k) {
        snap->items_.push_back(sorted[k].first);
        snap->scaled_.push_back(sorted[k].second);
      }
      list.dirty = false;
    } else {
      const size_t b = prev->offsets_[scope], e = prev->offsets_[scope + 1];
      snap->items_.insert(snap->items_.end(), prev->items_.begin() + b, prev->items_.begin() + e);
      snap->scaled_.insert(snap->scaled_.end(), prev->scaled_.begin() + b,
                           prev->scaled_.begin() + e);
    }
    snap->offsets_.push_back(static_cast<uint32_t>(snap->items_.size()));
  }
  snap->scores_.resize(snap->scaled_.size());
  for (size_t k = 0; k < snap->scaled_.size(); ++k) {
    snap->scores_[k] = static_cast<float>(snap->scaled_[k] * snap->factor_);
  }
  if (options_.trending) {
    sorted.clear();
    for (ItemIndex i = 0; i < options_.num_items; ++i) {
      if (short_counts_[i] > 0.0) sorted.emplace_back(i, TrendLocked(i, newest_event_));
    }
    const size_t keep = std::min(n, sorted.size());
    std::partial_sort(sorted.begin(), sorted.begin() + keep, sorted.end(), Better);
    for (size_t k = 0; k < keep; ++k) {
      snap->items_.push_back(sorted[k].first);
      snap->scaled_.push_back(sorted[k].second);
      snap->scores_.push_back(static_cast<float>(sorted[k].second));
    }
  }
  snap->offsets_.push_back(static_cast<uint32_t>(snap->items_.size()));
  snap->version_ = next_version_++;
  const uint64_t version = snap->version_;
  published_.store(std::move(snap), std::memory_order_release);
  applied_since_publish_ = 0;
  return version;
}

double PopularityIndex::Count(ItemIndex item, int64_t at_micros) const {
  absl::MutexLock lock(&mu_);
  if (item >= global_.size() || !main_.started) return 0.0;
  return global_[item] * DecayFactor(at_micros, main_.epoch, main_.inv_tau_micros);
}

double PopularityIndex::SegmentCount(uint32_t segment, ItemIndex item, int64_t at_micros) const {
  absl::MutexLock lock(&mu_);
  if (segment >= segments_.size() || !main_.started) return 0.0;
  auto it = segments_[segment].find(item);
  if (it == segments_[segment].end()) return 0.0;
  return it->second.score * DecayFactor(at_micros, main_.epoch, main_.inv_tau_micros);
}

double PopularityIndex::Trend(ItemIndex item, int64_t at_micros) const {
  absl::MutexLock lock(&mu_);
  return TrendLocked(item, at_micros);
}

double PopularityIndex::TrendLocked(ItemIndex item, int64_t at_micros) const {
  if (!options_.trending || item >= short_counts_.size() || !short_.started) return 0.0;
  const double s = short_counts_[item] * DecayFactor(at_micros, short_.epoch, short_.inv_tau_micros);
  const double l = long_counts_[item] * DecayFactor(at_micros, long_.epoch, long_.inv_tau_micros);
  const double short_rate = s / TauHours(options_.trend_short_half_life);
  const double long_rate = l / TauHours(options_.trend_long_half_life);
  return short_rate / std::max(long_rate, options_.trend_floor);
}

// ---------------------------------------------------------------- source

PopularitySource::PopularitySource(std::string name, const PopularityIndex& index,
                                   PopularitySourceOptions options)
    : name_(std::move(name)), index_(&index), options_(options) {}

absl::Status PopularitySource::Retrieve(const RetrievalQuery& query, size_t quota, SourceId id,
                                        std::vector<Candidate>& out) const {
  if (quota == 0) return absl::OkStatus();
  if (id >= kMaxSources) {
    return absl::InvalidArgumentError(
        absl::StrCat("popularity: source id ", int{id}, " is >= kMaxSources"));
  }
  const std::shared_ptr<const PopularitySnapshot> snap = index_->Snapshot();
  const bool trending = options_.mode == PopularitySourceOptions::Mode::kTrending;
  if (!trending) {
    for (CategoryIndex c : query.categories) {
      if (c >= snap->num_categories()) {
        return absl::InvalidArgumentError(
            absl::StrCat("popularity source '", name_, "': category ", c,
                         " is not < num_categories = ", snap->num_categories()));
      }
    }
    if (query.categories.empty() && query.segment > snap->num_segments()) {
      return absl::InvalidArgumentError(absl::StrCat("popularity source '", name_, "': segment ",
                                                     query.segment, " is not in [0, ",
                                                     snap->num_segments(), "]"));
    }
  }
  const size_t n = snap->num_items();
  internal::ItemScratch& s =
      internal::ItemScratch::ForThisThread(internal::ItemScratch::kPopularity);
  s.Begin(n);
  for (ItemIndex x : query.seeds) {
    if (x < n) s.Block(x);
  }
  for (ItemIndex x : query.exclude) {
    if (x < n) s.Block(x);
  }
  const uint32_t bit = SourceBit(id);
  const ItemFilter* filter = query.filter;
  bool expired = false;
  // Walks the list in chunks of 256: one deadline check and one batched filter
  // call per chunk, so rejected items never count against the quota.
  constexpr size_t kChunk = 256;
  s.mask.resize(kChunk);
  auto take = [&](const PopularitySnapshot::List& list) {
    size_t taken = 0;
    for (size_t k0 = 0; k0 < list.items.size() && taken < quota; k0 += kChunk) {
      if (k0 > 0 && query.deadline.Expired()) {
        expired = true;
        return;
      }
      const absl::Span<const ItemIndex> chunk = list.items.subspan(k0, kChunk);
      if (filter != nullptr) filter->AllowedMask(chunk, absl::MakeSpan(s.mask));
      for (size_t j = 0; j < chunk.size() && taken < quota; ++j) {
        const ItemIndex item = chunk[j];
        if (s.IsBlocked(item)) continue;
        if (filter != nullptr && s.mask[j] == 0) continue;
        if (!s.Touch(item)) continue;  // already taken from another category
        s.candidates.push_back(
            Candidate{.item = item, .score = list.scores[k0 + j], .sources = bit});
        ++taken;
      }
    }
  };
  if (trending) {
    take(snap->Trending());
  } else if (!query.categories.empty()) {
    for (CategoryIndex c : query.categories) {
      if (expired) break;
      take(snap->Category(c));
    }
  } else if (query.segment != 0) {
    take(snap->Segment(query.segment));
  } else {
    take(snap->Global());
  }
  auto& c = s.candidates;
  const size_t keep = std::min(quota, c.size());
  if (query.categories.size() > 1 && !trending) {
    std::partial_sort(c.begin(), c.begin() + keep, c.end(), ByScoreDesc());
  }
  out.insert(out.end(), c.begin(), c.begin() + keep);
  return absl::OkStatus();
}

}  // namespace aisle::retrieval
