#include "aisle/retrieval/covisitation.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <memory>
#include <new>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "aisle/core/event_time.h"
#include "retrieval/covisitation_scratch.h"

namespace aisle::retrieval {

// ---------------------------------------------------------------- table

CoVisitationTable::CoVisitationTable(std::vector<uint64_t> offsets,
                                     std::vector<ItemIndex> neighbors, std::vector<float> weights,
                                     uint64_t version)
    : offsets_(std::move(offsets)),
      neighbors_(std::move(neighbors)),
      weights_(std::move(weights)),
      version_(version) {}

absl::Span<const ItemIndex> CoVisitationTable::Neighbors(ItemIndex i) const {
  if (i >= num_items()) return {};
  return absl::MakeConstSpan(neighbors_.data() + offsets_[i], offsets_[i + 1] - offsets_[i]);
}

absl::Span<const float> CoVisitationTable::Weights(ItemIndex i) const {
  if (i >= num_items()) return {};
  return absl::MakeConstSpan(weights_.data() + offsets_[i], offsets_[i + 1] - offsets_[i]);
}

// ---------------------------------------------------------------- index

namespace {

absl::Status ValidateOptions(const CoVisitationOptions& o) {
  if (o.num_items == 0 || o.num_items > size_t{kInvalidItem}) {
    return absl::InvalidArgumentError(
        absl::StrCat("CoVisitationOptions.num_items must be in [1, 2^32-1], got ", o.num_items));
  }
  if (o.max_distance < 1 || o.max_distance > kMaxCoVisitationDistance) {
    return absl::InvalidArgumentError(
        absl::StrCat("CoVisitationOptions.max_distance must be in [1, ", kMaxCoVisitationDistance,
                     "], got ", o.max_distance));
  }
  if (o.window < absl::ZeroDuration()) {
    return absl::InvalidArgumentError(absl::StrCat("CoVisitationOptions.window must be >= 0, got ",
                                                   absl::FormatDuration(o.window)));
  }
  if (o.top_n == 0) {
    return absl::InvalidArgumentError("CoVisitationOptions.top_n must be >= 1, got 0");
  }
  for (int t = 0; t < kNumInteractionTypes; ++t) {
    const float w = o.type_weights[t];
    if (!(w >= 0.0f) || std::isinf(w)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "CoVisitationOptions.type_weights[", InteractionTypeName(static_cast<InteractionType>(t)),
          "] must be finite and >= 0, got ", w));
    }
  }
  if (o.max_row_entries != 0 && o.max_row_entries < 2 * o.top_n) {
    return absl::InvalidArgumentError(
        absl::StrCat("CoVisitationOptions.max_row_entries must be 0 or >= 2 * top_n (", 2 * o.top_n,
                     "), got ", o.max_row_entries));
  }
  if (o.max_sessions == 0) {
    return absl::InvalidArgumentError("CoVisitationOptions.max_sessions must be >= 1, got 0");
  }
  return absl::OkStatus();
}

absl::Status CheckItem(const Interaction& e, size_t num_items, absl::string_view where) {
  if (e.item >= num_items) {
    return absl::InvalidArgumentError(
        absl::StrCat("co-visitation: ", where, ": item index ", e.item, " (session ", e.session,
                     ") is outside the catalog of ", num_items, " items"));
  }
  const auto t = static_cast<uint8_t>(e.type);
  if (t >= kNumInteractionTypes) {
    return absl::InvalidArgumentError(absl::StrCat("co-visitation: ", where,
                                                   ": unknown interaction type ", int{t},
                                                   " for item index ", e.item));
  }
  // Times are subtracted from each other: an insane one would overflow.
  return CheckTimeMicros(e.time_micros, absl::StrCat("co-visitation: ", where, ": item index ",
                                                     e.item, " (session ", e.session, ")"));
}

int64_t AbsDiff(int64_t a, int64_t b) { return a > b ? a - b : b - a; }

}  // namespace

absl::StatusOr<std::unique_ptr<CoVisitationIndex>> CoVisitationIndex::Create(
    const CoVisitationOptions& options) {
  if (absl::Status s = ValidateOptions(options); !s.ok()) return s;
  try {
    return std::unique_ptr<CoVisitationIndex>(new CoVisitationIndex(options));
  } catch (const std::bad_alloc&) {
    return absl::ResourceExhaustedError(
        absl::StrCat("co-visitation: out of memory for ", options.num_items, " items"));
  }
}

CoVisitationIndex::CoVisitationIndex(const CoVisitationOptions& options)
    : options_(options),
      window_micros_(options.window == absl::InfiniteDuration()
                         ? std::numeric_limits<int64_t>::max()
                         : absl::ToInt64Microseconds(options.window)),
      type_weights_(options.type_weights) {
  half_inv_log_[0] = 0.0f;
  for (int d = 1; d <= kMaxCoVisitationDistance; ++d) {
    half_inv_log_[d] = static_cast<float>(0.5 / std::log2(1.0 + d));
  }
  absl::MutexLock lock(&mu_);
  rows_.resize(options.num_items);
  dirty_.assign(options.num_items, 0);
  // Version 0: an empty table of the right size, so readers always see one.
  published_.store(
      std::make_shared<const CoVisitationTable>(std::vector<uint64_t>(options.num_items + 1, 0),
                                                std::vector<ItemIndex>(), std::vector<float>(), 0));
}

void CoVisitationIndex::AddPair(ItemIndex a, ItemIndex b, float w) {
  auto& row = rows_[a];
  row[b] += w;
  dirty_[a] = 1;
  if (options_.max_row_entries != 0 && row.size() > options_.max_row_entries) PruneRow(a);
}

void CoVisitationIndex::PruneRow(ItemIndex a) {
  auto& row = rows_[a];
  std::vector<std::pair<float, ItemIndex>> entries;
  entries.reserve(row.size());
  for (const auto& [b, w] : row) entries.emplace_back(w, b);
  const size_t keep = options_.max_row_entries / 2;
  std::nth_element(entries.begin(), entries.begin() + keep, entries.end(),
                   [](const auto& x, const auto& y) {
                     return x.first > y.first || (x.first == y.first && x.second < y.second);
                   });
  entries.resize(keep);
  row.clear();
  for (const auto& [w, b] : entries) row.emplace(b, w);
}

absl::Status CoVisitationIndex::AddLog(absl::Span<const Interaction> log) {
  const size_t n_items = options_.num_items;
  for (size_t k = 0; k < log.size(); ++k) {
    if (absl::Status s = CheckItem(log[k], n_items, absl::StrCat("log position ", k)); !s.ok()) {
      return s;
    }
  }
  // Find whether every session is contiguous; if not, group with a stable sort.
  bool grouped = true;
  {
    absl::flat_hash_set<uint64_t> seen;
    for (size_t k = 0; k < log.size(); ++k) {
      if (k > 0 && log[k].session == log[k - 1].session) continue;
      if (!seen.insert(log[k].session).second) {
        grouped = false;
        break;
      }
    }
  }
  std::vector<uint32_t> order;
  if (!grouped) {
    order.resize(log.size());
    for (size_t k = 0; k < log.size(); ++k) order[k] = static_cast<uint32_t>(k);
    std::stable_sort(order.begin(), order.end(),
                     [&](uint32_t x, uint32_t y) { return log[x].session < log[y].session; });
  }
  auto at = [&](size_t k) -> const Interaction& { return grouped ? log[k] : log[order[k]]; };

  const size_t max_d = static_cast<size_t>(options_.max_distance);
  // Pairs are buffered in chunks and applied grouped by source row (a
  // counting sort), so each row's hash map is updated in one burst while it
  // is in cache; this is ~2x faster than applying pairs in log order on
  // catalogs much larger than the cache.
  struct PairUpdate {
    ItemIndex a, b;
    float w;
  };
  constexpr size_t kChunk = size_t{1} << 21;
  std::vector<PairUpdate> buf, sorted;
  std::vector<uint32_t> row_pos;
  buf.reserve(std::min(kChunk, log.size() * max_d * 2 + 16));
  absl::MutexLock lock(&mu_);
  auto flush = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (buf.empty()) return;
    if (n_items > 16 * buf.size()) {
      std::stable_sort(buf.begin(), buf.end(),
                       [](const PairUpdate& x, const PairUpdate& y) { return x.a < y.a; });
      for (const PairUpdate& u : buf) AddPair(u.a, u.b, u.w);
    } else {
      row_pos.assign(n_items + 1, 0);
      for (const PairUpdate& u : buf) ++row_pos[u.a + 1];
      for (size_t i = 1; i <= n_items; ++i) row_pos[i] += row_pos[i - 1];
      sorted.resize(buf.size());
      for (const PairUpdate& u : buf) sorted[row_pos[u.a]++] = u;
      for (const PairUpdate& u : sorted) AddPair(u.a, u.b, u.w);
    }
    buf.clear();
  };
  size_t start = 0;
  for (size_t j = 0; j < log.size(); ++j) {
    const Interaction& ej = at(j);
    if (j > 0 && ej.session != at(j - 1).session) start = j;
    const size_t lo = j - start > max_d ? j - max_d : start;
    for (size_t i = lo; i < j; ++i) {
      const Interaction& ei = at(i);
      if (ei.item == ej.item || AbsDiff(ej.time_micros, ei.time_micros) > window_micros_) continue;
      const float w = PairWeight(ei.type, ej.type, static_cast<int>(j - i));
      buf.push_back({ei.item, ej.item, w});
      buf.push_back({ej.item, ei.item, w});
    }
    if (buf.size() + 2 * max_d > kChunk) flush();
  }
  flush();
  return absl::OkStatus();
}

void CoVisitationIndex::EvictSessions(int64_t now) {
  auto release = [&](const SessionSlot& s) { free_ring_offsets_.push_back(s.ring_offset); };
  if (window_micros_ != std::numeric_limits<int64_t>::max()) {
    for (auto it = sessions_.begin(); it != sessions_.end();) {
      if (now - it->second.last_time > window_micros_) {
        release(it->second);
        sessions_.erase(it++);
      } else {
        ++it;
      }
    }
  }
  if (sessions_.size() < options_.max_sessions) return;
  // Still full: drop the least recently active half (lossy).
  std::vector<int64_t> times;
  times.reserve(sessions_.size());
  for (const auto& [key, s] : sessions_) times.push_back(s.last_time);
  const size_t mid = times.size() / 2;
  std::nth_element(times.begin(), times.begin() + mid, times.end());
  const int64_t cutoff = times[mid];
  for (auto it = sessions_.begin(); it != sessions_.end();) {
    if (it->second.last_time <= cutoff) {
      release(it->second);
      sessions_.erase(it++);
    } else {
      ++it;
    }
  }
}

absl::Status CoVisitationIndex::Apply(const Interaction& event) {
  if (absl::Status s = CheckItem(event, options_.num_items, "Apply"); !s.ok()) return s;
  const uint32_t cap = static_cast<uint32_t>(options_.max_distance);
  absl::MutexLock lock(&mu_);
  auto it = sessions_.find(event.session);
  if (it == sessions_.end()) {
    if (sessions_.size() >= options_.max_sessions) EvictSessions(event.time_micros);
    SessionSlot slot;
    if (!free_ring_offsets_.empty()) {
      slot.ring_offset = free_ring_offsets_.back();
      free_ring_offsets_.pop_back();
    } else {
      slot.ring_offset = static_cast<uint32_t>(ring_items_.size());
      ring_items_.resize(ring_items_.size() + cap);
      ring_times_.resize(ring_times_.size() + cap);
      ring_types_.resize(ring_types_.size() + cap);
    }
    it = sessions_.emplace(event.session, slot).first;
  }
  SessionSlot& s = it->second;
  for (uint32_t d = 1; d <= s.size; ++d) {
    const uint32_t pos = s.ring_offset + (s.head + cap - d) % cap;
    const ItemIndex other = ring_items_[pos];
    if (other == event.item || AbsDiff(event.time_micros, ring_times_[pos]) > window_micros_) {
      continue;
    }
    const float w = PairWeight(ring_types_[pos], event.type, static_cast<int>(d));
    AddPair(other, event.item, w);
    AddPair(event.item, other, w);
  }
  const uint32_t pos = s.ring_offset + s.head;
  ring_items_[pos] = event.item;
  ring_times_[pos] = event.time_micros;
  ring_types_[pos] = event.type;
  s.head = (s.head + 1) % cap;
  s.size = std::min(s.size + 1, cap);
  s.last_time = std::max(s.last_time, event.time_micros);

  if (options_.publish_every != 0 && ++applied_since_publish_ >= options_.publish_every) {
    PublishLocked();
  }
  return absl::OkStatus();
}

uint64_t CoVisitationIndex::Publish() {
  absl::MutexLock lock(&mu_);
  return PublishLocked();
}

uint64_t CoVisitationIndex::PublishLocked() {
  const std::shared_ptr<const CoVisitationTable> prev = published_.load(std::memory_order_acquire);
  const size_t n = options_.num_items;
  const size_t top_n = options_.top_n;
  std::vector<uint64_t> offsets(n + 1, 0);
  std::vector<ItemIndex> neighbors;
  std::vector<float> weights;
  neighbors.reserve(prev->num_entries() + 1024);
  weights.reserve(prev->num_entries() + 1024);
  std::vector<std::pair<float, ItemIndex>> row_scratch;
  auto better = [](const std::pair<float, ItemIndex>& x, const std::pair<float, ItemIndex>& y) {
    return x.first > y.first || (x.first == y.first && x.second < y.second);
  };
  for (size_t a = 0; a < n; ++a) {
    if (dirty_[a]) {
      row_scratch.clear();
      for (const auto& [b, w] : rows_[a]) row_scratch.emplace_back(w, b);
      const size_t keep = std::min(top_n, row_scratch.size());
      std::partial_sort(row_scratch.begin(), row_scratch.begin() + keep, row_scratch.end(), better);
      for (size_t k = 0; k < keep; ++k) {
        neighbors.push_back(row_scratch[k].second);
        weights.push_back(row_scratch[k].first);
      }
      dirty_[a] = 0;
    } else {
      const auto nb = prev->Neighbors(static_cast<ItemIndex>(a));
      const auto ws = prev->Weights(static_cast<ItemIndex>(a));
      neighbors.insert(neighbors.end(), nb.begin(), nb.end());
      weights.insert(weights.end(), ws.begin(), ws.end());
    }
    offsets[a + 1] = neighbors.size();
  }
  const uint64_t version = next_version_++;
  published_.store(std::make_shared<const CoVisitationTable>(
                       std::move(offsets), std::move(neighbors), std::move(weights), version),
                   std::memory_order_release);
  applied_since_publish_ = 0;
  return version;
}

float CoVisitationIndex::AccumulatedWeight(ItemIndex a, ItemIndex b) const {
  absl::MutexLock lock(&mu_);
  if (a >= rows_.size()) return 0.0f;
  auto it = rows_[a].find(b);
  return it == rows_[a].end() ? 0.0f : it->second;
}

size_t CoVisitationIndex::live_sessions() const {
  absl::MutexLock lock(&mu_);
  return sessions_.size();
}

absl::StatusOr<std::shared_ptr<const CoVisitationTable>> BuildCoVisitationTable(
    absl::Span<const Interaction> log, const CoVisitationOptions& options) {
  auto index = CoVisitationIndex::Create(options);
  if (!index.ok()) return index.status();
  if (absl::Status s = (*index)->AddLog(log); !s.ok()) return s;
  (*index)->Publish();
  return (*index)->Snapshot();
}

// ---------------------------------------------------------------- source

CoVisitationSource::CoVisitationSource(std::string name, const CoVisitationIndex& index,
                                       CoVisitationSourceOptions options)
    : name_(std::move(name)), index_(&index), options_(options) {}

CoVisitationSource::CoVisitationSource(std::string name,
                                       std::shared_ptr<const CoVisitationTable> table,
                                       CoVisitationSourceOptions options)
    : name_(std::move(name)), table_(std::move(table)), options_(options) {}

absl::Status CoVisitationSource::Retrieve(const RetrievalQuery& query, size_t quota, SourceId id,
                                          std::vector<Candidate>& out) const {
  if (index_ != nullptr) {
    const std::shared_ptr<const CoVisitationTable> table = index_->Snapshot();
    return RetrieveFromTable(*table, options_, query, quota, id, out);
  }
  if (table_ == nullptr) return absl::OkStatus();
  return RetrieveFromTable(*table_, options_, query, quota, id, out);
}

absl::Status CoVisitationSource::RetrieveFromTable(const CoVisitationTable& table,
                                                   const CoVisitationSourceOptions& options,
                                                   const RetrievalQuery& query, size_t quota,
                                                   SourceId id, std::vector<Candidate>& out) {
  if (query.seeds.empty() || quota == 0) return absl::OkStatus();
  if (id >= kMaxSources) {
    return absl::InvalidArgumentError(
        absl::StrCat("co-visitation: source id ", int{id}, " is >= kMaxSources"));
  }
  const size_t n = table.num_items();
  for (ItemIndex seed : query.seeds) {
    if (seed >= n) {
      return absl::InvalidArgumentError(absl::StrCat("co-visitation: seed item index ", seed,
                                                     " is outside the table of ", n, " items"));
    }
  }
  internal::ItemScratch& s =
      internal::ItemScratch::ForThisThread(internal::ItemScratch::kCoVisitation);
  s.Begin(n);
  for (ItemIndex seed : query.seeds) s.Block(seed);
  for (ItemIndex x : query.exclude) {
    if (x < n) s.Block(x);
  }
  const bool sum = options.aggregation == CoVisitationSourceOptions::Aggregation::kSum;
  for (size_t k = 0; k < query.seeds.size(); ++k) {
    if (k % 16 == 15 && query.deadline.Expired()) break;
    const ItemIndex seed = query.seeds[k];
    const auto nb = table.Neighbors(seed);
    const auto ws = table.Weights(seed);
    for (size_t m = 0; m < nb.size(); ++m) {
      const ItemIndex item = nb[m];
      if (s.IsBlocked(item)) continue;
      if (s.Touch(item)) {
        s.Score(item) = ws[m];
      } else if (sum) {
        s.Score(item) += ws[m];
      } else {
        s.Score(item) = std::max(s.Score(item), ws[m]);
      }
    }
  }
  // The request's filter is applied to the touched items in one batch, before
  // the quota is cut.
  const ItemFilter* filter = query.filter;
  if (filter != nullptr) {
    s.mask.resize(s.touched.size());
    filter->AllowedMask(s.touched, absl::MakeSpan(s.mask));
  }
  const uint32_t bit = SourceBit(id);
  for (size_t t = 0; t < s.touched.size(); ++t) {
    const ItemIndex item = s.touched[t];
    if (s.IsBlocked(item)) continue;
    if (filter != nullptr && s.mask[t] == 0) continue;
    s.candidates.push_back(Candidate{.item = item, .score = s.Score(item), .sources = bit});
  }
  auto& c = s.candidates;
  const size_t keep = std::min(quota, c.size());
  // nth_element + sort beats partial_sort's heap when keep is close to size.
  if (keep < c.size()) std::nth_element(c.begin(), c.begin() + keep, c.end(), ByScoreDesc());
  std::sort(c.begin(), c.begin() + keep, ByScoreDesc());
  out.insert(out.end(), c.begin(), c.begin() + keep);
  return absl::OkStatus();
}

}  // namespace aisle::retrieval
