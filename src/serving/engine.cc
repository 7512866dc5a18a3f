#include "aisle/serving/engine.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <limits>
#include <memory>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "aisle/core/external_id.h"
#include "aisle/core/status_macros.h"
#include "serving/engine_core.h"
#include "serving/levels.h"
#include "serving/route.h"
#include "serving/stages.h"

namespace aisle::serving {
namespace internal {

Scratch& ThreadScratch() {
  thread_local Scratch s;
  return s;
}

namespace {

uint64_t NextEngineId() {
  static std::atomic<uint64_t> next{1};
  return next.fetch_add(1, std::memory_order_relaxed);
}

bool IsFinite(absl::Span<const float> v) {
  for (float x : v) {
    if (!std::isfinite(x)) return false;
  }
  return true;
}

// The request's own ids and numbers (items are resolved, not checked: an id
// the catalog cannot hold is simply unknown).
absl::Status CheckRequest(const Request& req, const LiveState& live) {
  AISLE_RETURN_IF_ERROR(CheckOptionalId(req.user_id, "request user_id"));
  AISLE_RETURN_IF_ERROR(CheckOptionalId(req.session_id, "request session_id"));
  AISLE_RETURN_IF_ERROR(CheckOptionalId(req.request_id, "request request_id"));
  const uint32_t segments = live.popularity->options().num_segments;
  if (req.segment > segments) {
    return absl::InvalidArgumentError(absl::StrCat("request segment = ", req.segment,
                                                   " is outside [0, ", segments,
                                                   "] (EngineOptions::num_segments)"));
  }
  if (req.budget < absl::ZeroDuration() || req.budget == absl::InfiniteDuration()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "request budget ", absl::FormatDuration(req.budget), " is negative or infinite"));
  }
  return absl::OkStatus();
}

constexpr size_t kSnapshotLogCapacity = 256;

}  // namespace

// ------------------------------------------------------------------ lifecycle

EngineCore::EngineCore(EngineOptions options)
    : options_(std::move(options)), clk_(*options_.clock), kill_switch_(&clk_), id(NextEngineId()) {
  lkg_ = std::make_unique<LastKnownGood<std::string, LkgEntry>>(LastKnownGoodOptions{}, clk_);
}

EngineCore::~EngineCore() {
  // Join the shadow and isolation threads before the state they touch goes.
  isolation_.reset();
  shadow_runner_.reset();
}

absl::Status EngineCore::InitSwitches(const Snapshot& snapshot) {
  RuntimeSwitchesOptions so;
  for (const SurfaceConfig& s : snapshot.pipeline.surfaces) {
    if (std::find(so.surfaces.begin(), so.surfaces.end(), s.name) == so.surfaces.end()) {
      so.surfaces.push_back(s.name);
    }
    for (const SourceConfig& src : s.sources) {
      if (std::find(so.sources.begin(), so.sources.end(), src.name) == so.sources.end()) {
        so.sources.push_back(src.name);
      }
    }
  }
  for (const auto& s : options_.extra_surfaces) so.surfaces.push_back(s);
  for (const auto& s : options_.extra_sources) so.sources.push_back(s);
  AISLE_ASSIGN_OR_RETURN(switches_, RuntimeSwitches::Create(std::move(so), clk_));
  return absl::OkStatus();
}

std::shared_ptr<const Compiled> EngineCore::Current() const {
  // A weak reference: an idle thread does not keep a replaced snapshot (its
  // catalog, index and tables) alive until it serves again.
  struct Cache {
    uint64_t engine = 0;
    uint64_t generation = 0;
    std::weak_ptr<const Compiled> compiled;
  };
  thread_local Cache cache;
  const uint64_t g = generation_.load(std::memory_order_acquire);
  if (cache.engine == id && cache.generation == g) {
    if (std::shared_ptr<const Compiled> p = cache.compiled.lock()) return p;
  }
  // A pointer at least as new as generation g (writers store the pointer
  // before the generation); a newer one is reloaded at the next request.
  std::shared_ptr<const Compiled> p = current_.load(std::memory_order_acquire);
  cache.engine = id;
  cache.generation = g;
  cache.compiled = p;
  return p;
}

absl::Status EngineCore::Install(std::shared_ptr<const Snapshot> next) {
  absl::MutexLock l(&swap_mu_);
  std::shared_ptr<const Compiled> prev = current_.load();
  const uint64_t gen = generation_.load() + 1;
  auto compiled = CompileSnapshot(std::move(next), prev.get(), gen, *this);
  if (!compiled.ok()) {
    counters_.swaps_rejected.fetch_add(1, std::memory_order_relaxed);
    return compiled.status();
  }
  current_.store(*compiled, std::memory_order_release);
  generation_.store(gen, std::memory_order_release);
  counters_.swaps.fetch_add(1, std::memory_order_relaxed);
  if (prev != nullptr) {
    snapshot_log_.push_back(
        {clk_.Now(), prev->snapshot->version, (*compiled)->snapshot->version, false, "", ""});
    if (snapshot_log_.size() > kSnapshotLogCapacity) snapshot_log_.erase(snapshot_log_.begin());
  }
  previous_ = std::move(prev);
  return absl::OkStatus();
}

absl::Status EngineCore::Rollback(absl::string_view reason, absl::string_view actor) {
  absl::MutexLock l(&swap_mu_);
  if (previous_ == nullptr) {
    return absl::FailedPreconditionError("rollback: there is no previous snapshot to go back to");
  }
  std::shared_ptr<const Compiled> now = current_.load();
  // The previous snapshot is still compiled and warm: publish it as is under
  // a new generation (thread-local caches key on it), no recompilation.
  std::shared_ptr<const Compiled> back = previous_;
  current_.store(back, std::memory_order_release);
  generation_.store(generation_.load() + 1, std::memory_order_release);
  previous_ = std::move(now);
  snapshot_log_.push_back({clk_.Now(), previous_->snapshot->version, back->snapshot->version, true,
                           std::string(reason), std::string(actor)});
  if (snapshot_log_.size() > kSnapshotLogCapacity) snapshot_log_.erase(snapshot_log_.begin());
  counters_.rollbacks.fetch_add(1, std::memory_order_relaxed);
  return absl::OkStatus();
}

std::vector<SnapshotChange> EngineCore::SnapshotLog() const {
  absl::MutexLock l(&swap_mu_);
  return snapshot_log_;
}

// ------------------------------------------------------------------ requests

absl::Status EngineCore::Recommend(const Request& req, Response& resp) const {
  const uint64_t n = counters_.requests.fetch_add(1, std::memory_order_relaxed) + 1;
  std::shared_ptr<const Compiled> compiled = Current();
  const Compiled& c = *compiled;
  auto sit = c.surfaces.find(req.surface);
  if (sit == c.surfaces.end()) {
    counters_.errors.fetch_add(1, std::memory_order_relaxed);
    return absl::NotFoundError(absl::StrCat("unknown surface '", req.surface, "'"));
  }
  const CompiledSurface& requested = *sit->second;
  const catalog::Catalog& cat = *c.live->catalog;
  const size_t k = req.k == 0 ? requested.config.default_k : req.k;
  if (k > requested.config.max_k) {
    counters_.errors.fetch_add(1, std::memory_order_relaxed);
    return absl::InvalidArgumentError(absl::StrCat(
        "k=", k, " exceeds surface '", requested.config.name, "' max_k=", requested.config.max_k));
  }
  if (absl::Status st = CheckRequest(req, *c.live); !st.ok()) {
    counters_.errors.fetch_add(1, std::memory_order_relaxed);
    return st;
  }
  if (!req.user_vector.empty()) {
    const size_t dim = c.snapshot->ann ? c.snapshot->ann->dim() : cat.embedding_dim();
    if (req.user_vector.size() != dim || !IsFinite(req.user_vector)) {
      counters_.errors.fetch_add(1, std::memory_order_relaxed);
      return absl::InvalidArgumentError(absl::StrCat(
          "user_vector: ", req.user_vector.size(), " finite values expected to match dimension ",
          dim, (IsFinite(req.user_vector) ? "" : " (it holds NaN or Inf)")));
    }
  }
  OverloadController::InFlightToken token = requested.overload->Enter();
  const ShedPlan shed = requested.overload->Plan();

  resp = Response();
  // The request's own number: two threads never share one.
  resp.request_id =
      req.request_id.empty() ? absl::StrCat(c.snapshot->version, "-", n) : req.request_id;
  resp.surface = requested.config.name;
  resp.snapshot_version = c.snapshot->version;
  resp.quality = shed.quality;
  resp.keepalive = compiled;

  Scratch& s = ThreadScratch();
  RequestState st(*this, c, req, resp, s);
  st.k = k;
  uint32_t duplicates = 0;
  const uint32_t unknown = ResolveItems(st, &duplicates);
  resp.unknown_items = unknown;
  if (unknown > 0) counters_.unknown_items.fetch_add(unknown, std::memory_order_relaxed);
  if (duplicates > 0) {
    counters_.duplicate_items.fetch_add(duplicates, std::memory_order_relaxed);
  }

  // Route: the plan is what runs.
  Route(st, requested, shed);
  const Plan& plan = st.plan;
  const CompiledSurface& cs = *plan.surface;
  counters_.by_tier[static_cast<int>(plan.tier)].fetch_add(1, std::memory_order_relaxed);
  if (plan.holdout) counters_.holdouts.fetch_add(1, std::memory_order_relaxed);
  st.deadline = req.deadline.has_value() ? *req.deadline : Deadline::In(plan.budget, clk_);
  st.budget.emplace(*cs.budgets, st.deadline);
  st.switches = cs.switch_index >= 0 ? switches_->Get(cs.switch_index) : SurfaceSwitches();

  // The ladder walk: a table of level servers, from the plan's start level.
  FallbackCursor cursor(cs.ladder);
  if (plan.start_level != cursor.level() &&
      cursor.SkipTo(plan.start_level, FallbackReason::kNone)) {
    resp.fallback_detail =
        absl::StrCat("cold-start tier ", routing::ColdStartTierName(plan.tier), " (",
                     plan.tier_reason, ") starts at ", FallbackLevelName(cursor.level()));
  }
  LevelOutcome out;
  for (;;) {
    const FallbackLevel level = cursor.level();
    out = LevelServerFor(level).Serve(st);
    if (out.served) break;
    if (!resp.fallback_detail.empty()) absl::StrAppend(&resp.fallback_detail, "; ");
    absl::StrAppend(&resp.fallback_detail, FallbackLevelName(level), ": ", out.detail);
    if (!cursor.StepDown(out.why)) break;
  }
  resp.fallback_level = cursor.level();
  resp.fallback_reason =
      cursor.reason() != FallbackReason::kNone ? cursor.reason() : st.served_despite;
  if (!out.served) {
    s.list.clear();
    counters_.empty.fetch_add(1, std::memory_order_relaxed);
  }
  Respond(st, out);
  counters_.by_level[static_cast<int>(resp.fallback_level)].fetch_add(1, std::memory_order_relaxed);
  counters_.by_reason[static_cast<int>(resp.fallback_reason)].fetch_add(1,
                                                                        std::memory_order_relaxed);
  resp.total_latency = token.Complete();
  // The thread's scratch must not keep this snapshot's rankers alive once
  // the request is done (a swap frees them; the response holds the rest).
  s.plan.ranker.reset();
  s.plan.shadows.clear();
  return absl::OkStatus();
}

absl::StatusOr<FeatureMatrix> EngineCore::AssembleFeatures(
    const Request& req, absl::Span<const std::string> item_ids) const {
  std::shared_ptr<const Compiled> compiled = Current();
  const Compiled& c = *compiled;
  auto sit = c.surfaces.find(req.surface);
  if (sit == c.surfaces.end()) {
    return absl::NotFoundError(absl::StrCat("unknown surface '", req.surface, "'"));
  }
  const CompiledSurface& requested = *sit->second;
  const catalog::Catalog& cat = *c.live->catalog;
  AISLE_RETURN_IF_ERROR(CheckRequest(req, *c.live));
  Response resp;
  Scratch& s = ThreadScratch();
  RequestState st(*this, c, req, resp, s);
  st.k = requested.config.default_k;
  uint32_t duplicates = 0;
  ResolveItems(st, &duplicates);
  Route(st, requested, ShedPlan());
  const CompiledSurface& cs = *st.plan.surface;
  st.deadline = Deadline::Infinite();
  st.budget.emplace(*cs.budgets, st.deadline);
  st.switches = cs.switch_index >= 0 ? switches_->Get(cs.switch_index) : SurfaceSwitches();
  // The same retrieval as serving (its per-source scores feed the
  // retrieval features), then the rows asked for.
  RetrieveStage retrieve;
  if (StageResult f = retrieve.Run(st); f && f->reason != FallbackReason::kEmptyStage) {
    return absl::InternalError(f->detail);
  }
  absl::flat_hash_map<ItemIndex, int32_t> row_of;
  for (size_t r = 0; r < s.merged.candidates.size(); ++r) {
    row_of.emplace(s.merged.candidates[r].item, static_cast<int32_t>(r));
  }
  s.list.clear();
  s.rows.clear();
  for (const std::string& id : item_ids) {
    const ItemIndex i = cat.FindOrInvalid(id);
    if (i == kInvalidItem) {
      return absl::NotFoundError(
          absl::StrCat("item '", id, "' is not in snapshot '", c.snapshot->version, "'"));
    }
    auto it = row_of.find(i);
    const int32_t row = it == row_of.end() ? -1 : it->second;
    s.list.push_back({i, 0.0f, row < 0 ? 0u : s.merged.candidates[row].sources});
    s.rows.push_back(row);
  }
  features::FreshnessReport report;
  AISLE_ASSIGN_OR_RETURN(MatrixView m, AssembleRows(st, Deadline::Infinite(), &report));
  FeatureMatrix out;
  const auto names = c.assembler->schema().names();
  out.feature_names.assign(names.begin(), names.end());
  out.item_ids.assign(item_ids.begin(), item_ids.end());
  out.rows = m.rows;
  out.cols = m.cols;
  out.values.assign(m.data, m.data + m.rows * m.cols);
  out.retrieved.resize(s.rows.size());
  for (size_t r = 0; r < s.rows.size(); ++r) out.retrieved[r] = s.rows[r] >= 0;
  s.plan.ranker.reset();
  s.plan.shadows.clear();
  return out;
}

// ------------------------------------------------------------------ shadows

uint32_t EngineCore::StartShadows(const RequestState& st, MatrixView features,
                                  absl::Span<const Candidate> candidates) const {
  const Plan& plan = st.plan;
  IsolatedRunner* runner = plan.surface->shadow_runner != nullptr ? plan.surface->shadow_runner
                                                                  : st.compiled.shadow_runner;
  if (runner == nullptr) return 0;
  // One copy of the rows for every shadow of this request.
  struct Rows {
    std::vector<float> features;
    size_t rows = 0, cols = 0;
    std::vector<std::string> item_ids;
    std::string request_id, surface;
    std::shared_ptr<const void> keepalive;  // the snapshot the rankers belong to
  };
  auto rows = std::make_shared<Rows>();
  rows->features.assign(features.data, features.data + features.rows * features.cols);
  rows->rows = features.rows;
  rows->cols = features.cols;
  rows->item_ids.reserve(candidates.size());
  for (const Candidate& cand : candidates) {
    rows->item_ids.emplace_back(st.catalog.id(cand.item));
  }
  rows->request_id = st.response.request_id;
  rows->surface = st.response.surface;
  rows->keepalive = st.response.keepalive;
  uint32_t started = 0;
  for (const auto& shadow : plan.shadows) {
    const bool ok = runner->Submit([this, rows, shadow] {
      ShadowResult r;
      r.request_id = rows->request_id;
      r.surface = rows->surface;
      r.ranker = std::string(shadow->version());
      r.item_ids = rows->item_ids;
      r.scores.resize(rows->rows);
      const int64_t t0 = clk_.MonotonicNanos();
      try {
        r.status = shadow->Score(MatrixView(rows->features.data(), rows->rows, rows->cols),
                                 absl::MakeSpan(r.scores), Deadline::Infinite());
      } catch (const std::exception& e) {
        r.status = absl::InternalError(absl::StrCat("shadow '", r.ranker, "' threw: ", e.what()));
      } catch (...) {
        r.status = absl::InternalError(absl::StrCat("shadow '", r.ranker, "' threw"));
      }
      if (r.status.ok()) r.status = CheckScoresFinite(r.ranker, r.scores);
      r.latency = absl::Nanoseconds(clk_.MonotonicNanos() - t0);
      if (!r.status.ok()) {
        r.scores.clear();
        counters_.shadow_failed.fetch_add(1, std::memory_order_relaxed);
      }
      RecordShadow(std::move(r));
    });
    if (ok) {
      ++started;
      counters_.shadow_calls.fetch_add(1, std::memory_order_relaxed);
      st.response.shadow_rankers.emplace_back(shadow->version());
    } else {
      counters_.shadow_rejected.fetch_add(1, std::memory_order_relaxed);
    }
  }
  return started;
}

void EngineCore::RecordShadow(ShadowResult r) const {
  absl::MutexLock l(&shadow_mu_);
  shadow_results_.push_back(std::move(r));
  while (shadow_results_.size() > options_.shadow_results_capacity) {
    shadow_results_.pop_front();
    counters_.shadow_dropped.fetch_add(1, std::memory_order_relaxed);
  }
}

std::vector<ShadowResult> EngineCore::DrainShadowResults(size_t max) {
  absl::MutexLock l(&shadow_mu_);
  std::vector<ShadowResult> out;
  while (!shadow_results_.empty() && out.size() < max) {
    out.push_back(std::move(shadow_results_.front()));
    shadow_results_.pop_front();
  }
  return out;
}

// ------------------------------------------------------------------ events

absl::StatusOr<ItemIndex> EngineCore::EventItem(const Compiled& c,
                                                absl::string_view item_id) const {
  const ItemIndex i = c.live->catalog->FindOrInvalid(item_id);
  if (i == kInvalidItem) {
    counters_.events_rejected.fetch_add(1, std::memory_order_relaxed);
    return absl::NotFoundError(absl::StrCat("event for unknown item '", item_id, "'"));
  }
  return i;
}

absl::Status EngineCore::CountStock(absl::string_view item_id, absl::Status st) const {
  (st.ok() ? counters_.events_applied : counters_.events_rejected)
      .fetch_add(1, std::memory_order_relaxed);
  if (st.ok()) return st;
  return absl::Status(st.code(), absl::StrCat("stock of item '", item_id, "': ", st.message()));
}

void EngineCore::UpdateHistory(LiveState& live, features::OnlineFeatureStore& store,
                               absl::string_view key, ItemIndex item, bool purchase,
                               absl::Time at) {
  if (key.empty()) return;
  std::vector<float> row(store.width(), std::numeric_limits<float>::quiet_NaN());
  std::vector<int64_t> stamps(store.width());
  absl::MutexLock l(&live.history_mu);
  const bool had = store.Read(key, absl::MakeSpan(row), absl::MakeSpan(stamps));
  const auto count = [&](size_t col) { return had && std::isfinite(row[col]) ? row[col] : 0.0f; };
  std::vector<features::FeatureUpdate> updates;
  updates.push_back({0, count(0) + 1.0f});
  if (purchase) updates.push_back({1, count(1) + 1.0f});
  // Shift the history right and put the new item first (no duplicates).
  std::vector<float> hist;
  hist.push_back(static_cast<float>(item));
  for (uint32_t h = 0; h < live.history_length && had; ++h) {
    const float v = row[kHistoryColumnsStart + h];
    if (std::isfinite(v) && v != float(item)) hist.push_back(v);
  }
  for (uint32_t h = 0; h < live.history_length && h < hist.size(); ++h) {
    updates.push_back({kHistoryColumnsStart + h, hist[h]});
  }
  // Cannot fail: the ids and the time were checked by ApplyInteraction and
  // the values are finite.
  (void)store.Update(key, updates, at);
}

absl::Status EngineCore::ApplyInteraction(absl::string_view user_id, absl::string_view session_id,
                                          absl::string_view item_id,
                                          retrieval::InteractionType type, absl::Time at,
                                          uint32_t segment) {
  Counters& n = counters_;
  std::shared_ptr<const Compiled> c = Current();
  AISLE_ASSIGN_OR_RETURN(ItemIndex item, EventItem(*c, item_id));
  // Everything is checked before anything changes: a refused event leaves
  // no trace but its counter.
  const auto reject = [&](absl::Status st) {
    n.events_rejected.fetch_add(1, std::memory_order_relaxed);
    return absl::Status(st.code(), absl::StrCat("event for item '", item_id, "': ", st.message()));
  };
  if (static_cast<int>(type) >= retrieval::kNumInteractionTypes) {
    return reject(absl::InvalidArgumentError(
        absl::StrCat("interaction type ", static_cast<int>(type), " is not known")));
  }
  LiveState& live = *c->live;
  const uint32_t segments = live.popularity->options().num_segments;
  if (segment == 0 && !session_id.empty()) {
    // The context segment the session's requests were served from.
    std::vector<float> row(live.sessions->width());
    std::vector<int64_t> stamps(live.sessions->width());
    if (live.sessions->Read(session_id, absl::MakeSpan(row), absl::MakeSpan(stamps))) {
      const float remembered = row[live.segment_column];
      if (remembered >= 1 && remembered <= static_cast<float>(segments)) {
        segment = static_cast<uint32_t>(remembered);
      }
    }
  }
  if (segment > segments) {
    return reject(absl::InvalidArgumentError(absl::StrCat(
        "segment ", segment, " is outside [0, ", segments, "] (EngineOptions::num_segments)")));
  }
  if (absl::Status st = CheckOptionalId(user_id, "user_id"); !st.ok()) return reject(st);
  if (absl::Status st = CheckOptionalId(session_id, "session_id"); !st.ok()) return reject(st);
  const absl::Time now = clk_.Now();
  if (at == absl::InfinitePast()) {
    at = now;
    n.time_missing.fetch_add(1, std::memory_order_relaxed);
  } else {
    const absl::Time given = at;
    const TimeVerdict v = PlaceInWindow(options_.event_time, now, &at);
    n.time_verdicts[static_cast<int>(v)].fetch_add(1, std::memory_order_relaxed);
    if (IsRejected(v)) {
      if (v == TimeVerdict::kInvalid) return reject(CheckTime(given, "time"));
      const EventTimeWindow& w = options_.event_time;
      return reject(absl::InvalidArgumentError(absl::StrCat(
          "time ", absl::FormatTime("%Y-%m-%dT%H:%M:%E*SZ", given, absl::UTCTimeZone()), " is ",
          v == TimeVerdict::kRejectedOld
              ? absl::StrCat("older than the event window's max_age ",
                             absl::FormatDuration(w.max_age))
              : absl::StrCat("ahead of the engine's clock by more than the window's max_lead ",
                             absl::FormatDuration(w.max_lead)),
          " (now ", absl::FormatTime("%Y-%m-%dT%H:%M:%E*SZ", now, absl::UTCTimeZone()), ")")));
    }
  }
  retrieval::Interaction ev;
  ev.session = features::OnlineFeatureStore::KeyOf(!session_id.empty() ? session_id : user_id);
  ev.item = item;
  ev.time_micros = absl::ToUnixMicros(at);
  ev.type = type;
  // Both indexes validate the same fields the checks above already passed,
  // so neither can refuse the event after the other took it.
  absl::Status st = live.covisitation->Apply(ev);
  if (st.ok()) st = live.popularity->Apply(ev, segment);
  if (!st.ok()) return reject(st);
  const bool purchase = type == retrieval::InteractionType::kPurchase;
  UpdateHistory(live, *live.users, user_id, item, purchase, at);
  UpdateHistory(live, *live.sessions, session_id, item, purchase, at);
  n.events_applied.fetch_add(1, std::memory_order_relaxed);
  const size_t every = options_.publish_every;
  if (every > 0 && live.unpublished.fetch_add(1, std::memory_order_relaxed) + 1 >= every) {
    live.unpublished.store(0, std::memory_order_relaxed);
    live.covisitation->Publish();
    live.popularity->Publish();
  }
  return absl::OkStatus();
}

absl::Status EngineCore::SetStock(absl::string_view item_id, int32_t stock) {
  std::shared_ptr<const Compiled> c = Current();
  AISLE_ASSIGN_OR_RETURN(ItemIndex item, EventItem(*c, item_id));
  return CountStock(item_id, c->live->inventory->SetStock(item, stock));
}

absl::Status EngineCore::AddStock(absl::string_view item_id, int32_t delta) {
  std::shared_ptr<const Compiled> c = Current();
  AISLE_ASSIGN_OR_RETURN(ItemIndex item, EventItem(*c, item_id));
  return CountStock(item_id, c->live->inventory->AddStock(item, delta));
}

void EngineCore::PublishLiveState() {
  std::shared_ptr<const Compiled> c = Current();
  c->live->covisitation->Publish();
  c->live->popularity->Publish();
}

// ------------------------------------------------------------------ registry

absl::Status EngineCore::RegisterScorer(absl::string_view name, HostScorer scorer,
                                        CircuitBreakerOptions breaker) {
  if (name.empty()) return absl::InvalidArgumentError("scorer name is empty");
  AISLE_RETURN_IF_ERROR(CheckExternalId(name, "scorer name"));
  if (!scorer) return absl::InvalidArgumentError(absl::StrCat("scorer '", name, "' is empty"));
  AISLE_RETURN_IF_ERROR(CircuitBreaker::Validate(breaker));
  if (breaker.name == "breaker") breaker.name = std::string(name);
  auto b = std::make_shared<CircuitBreaker>(breaker, clk_);
  auto r =
      std::make_shared<HostScorerRanker>(std::string(name), std::move(scorer), std::move(b), clk_);
  absl::MutexLock l(&registry_mu_);
  if (!host_rankers_.emplace(std::string(name), std::move(r)).second) {
    return absl::AlreadyExistsError(absl::StrCat("scorer '", name, "' is already registered"));
  }
  return absl::OkStatus();
}

const CircuitBreaker* EngineCore::scorer_breaker(absl::string_view name) const {
  absl::MutexLock l(&registry_mu_);
  auto it = host_rankers_.find(name);
  return it == host_rankers_.end() ? nullptr : it->second->breaker();
}

std::shared_ptr<const ranking::Ranker> EngineCore::HostRanker(absl::string_view name) const {
  absl::MutexLock l(&registry_mu_);
  auto it = host_rankers_.find(name);
  return it == host_rankers_.end() ? nullptr : it->second;
}

absl::StatusOr<OverloadController*> EngineCore::Overload(const SurfaceConfig& s) {
  absl::MutexLock l(&registry_mu_);
  auto it = overload_.find(s.name);
  if (it != overload_.end()) return it->second.get();
  OverloadOptions o;
  if (s.overload.has_value()) {
    o = *s.overload;
  } else {
    o.budget = s.default_budget;
  }
  o.surface = s.name;
  AISLE_RETURN_IF_ERROR(OverloadController::Validate(o));
  auto c = std::make_unique<OverloadController>(o, clk_);
  OverloadController* p = c.get();
  overload_.emplace(s.name, std::move(c));
  return p;
}

int EngineCore::SwitchSurface(absl::string_view s) const {
  return switches_ ? switches_->SurfaceIndex(s) : -1;
}

int EngineCore::SwitchSource(absl::string_view s) const {
  return switches_ ? switches_->SourceIndex(s) : -1;
}

absl::StatusOr<IsolatedRunner*> EngineCore::Isolation(absl::string_view surface) {
  if (!options_.allow_threads) {
    return absl::FailedPreconditionError(
        absl::StrCat("surface '", surface,
                     "' isolates its ranker, which needs threads, but "
                     "EngineOptions::allow_threads is false"));
  }
  absl::MutexLock l(&registry_mu_);
  if (isolation_ == nullptr) {
    IsolatedRunnerOptions o;
    o.threads = options_.isolation_threads;
    o.max_outstanding = options_.isolation_max_outstanding;
    auto made = IsolatedRunner::Create(std::move(o));
    if (!made.ok()) {
      return absl::Status(
          made.status().code(),
          absl::StrCat("surface '", surface, "' isolates its ranker: ", made.status().message()));
    }
    isolation_ = std::move(*made);
  }
  return isolation_.get();
}

absl::StatusOr<IsolatedRunner*> EngineCore::Shadows(absl::string_view surface) {
  if (!options_.allow_threads) {
    return absl::FailedPreconditionError(
        absl::StrCat("surface '", surface,
                     "' runs shadow rankers, which need threads, but "
                     "EngineOptions::allow_threads is false"));
  }
  absl::MutexLock l(&registry_mu_);
  if (shadow_runner_ == nullptr) {
    IsolatedRunnerOptions o;
    o.threads = options_.shadow_threads;
    o.max_outstanding = options_.shadow_max_outstanding;
    auto made = IsolatedRunner::Create(std::move(o));
    if (!made.ok()) {
      return absl::Status(
          made.status().code(),
          absl::StrCat("surface '", surface, "' runs shadow rankers: ", made.status().message()));
    }
    shadow_runner_ = std::move(*made);
  }
  return shadow_runner_.get();
}

EngineMetrics EngineCore::metrics() const {
  const Counters& c = counters_;
  const auto load = [](const std::atomic<uint64_t>& a) {
    return a.load(std::memory_order_relaxed);
  };
  EngineMetrics m;
  m.requests = load(c.requests);
  m.errors = load(c.errors);
  m.empty_responses = load(c.empty);
  for (int i = 0; i < kNumFallbackLevels; ++i) m.served_by_level[i] = load(c.by_level[i]);
  for (int i = 0; i < kNumFallbackReasons; ++i) m.fallback_reasons[i] = load(c.by_reason[i]);
  m.unknown_items = load(c.unknown_items);
  m.events_applied = load(c.events_applied);
  m.events_rejected = load(c.events_rejected);
  m.swaps = load(c.swaps);
  m.swaps_rejected = load(c.swaps_rejected);
  const auto verdict = [&](TimeVerdict v) { return load(c.time_verdicts[static_cast<int>(v)]); };
  m.events_clamped_old = verdict(TimeVerdict::kClampedOld);
  m.events_clamped_new = verdict(TimeVerdict::kClampedNew);
  m.events_rejected_old = verdict(TimeVerdict::kRejectedOld);
  m.events_rejected_new = verdict(TimeVerdict::kRejectedNew);
  m.events_rejected_time = verdict(TimeVerdict::kInvalid);
  m.events_time_missing = load(c.time_missing);
  m.duplicate_request_items = load(c.duplicate_items);
  m.rollbacks = load(c.rollbacks);
  for (size_t i = 0; i < routing::kNumColdStartTiers; ++i) m.served_by_tier[i] = load(c.by_tier[i]);
  for (int i = 0; i < kNumStages; ++i) {
    m.stage_runs[i] = load(c.stage_runs[i]);
    m.stage_micros[i] = load(c.stage_nanos[i]) / 1000;
    m.stage_failures[i] = load(c.stage_failures[i]);
  }
  m.holdout_requests = load(c.holdouts);
  m.killed_assignments = load(c.killed);
  m.shadow_calls = load(c.shadow_calls);
  m.shadow_failed = load(c.shadow_failed);
  m.shadow_skipped = load(c.shadow_rejected);
  m.shadow_dropped = load(c.shadow_dropped);
  absl::MutexLock l(&registry_mu_);
  if (isolation_ != nullptr) {
    const IsolatedRunnerMetrics im = isolation_->metrics();
    m.isolated_calls = im.calls;
    m.isolated_timeouts = im.timed_out;
    m.isolated_rejected = im.rejected;
    m.isolated_outstanding = im.outstanding;
  }
  return m;
}

double EngineCore::quality(absl::string_view surface) const {
  absl::MutexLock l(&registry_mu_);
  auto it = overload_.find(surface);
  return it == overload_.end() ? 1.0 : it->second->quality();
}

}  // namespace internal

// ------------------------------------------------------------------ Engine

namespace {

// Every bound of EngineOptions, checked before anything is allocated or
// started, naming the option, its value and the accepted range.
absl::Status ValidateOptions(const EngineOptions& o) {
  if (o.history_length > kMaxHistoryLength) {
    return absl::InvalidArgumentError(
        absl::StrCat("EngineOptions.history_length = ", o.history_length, " is outside [0, ",
                     kMaxHistoryLength, "]"));
  }
  if (o.num_segments > kMaxSegments) {
    return absl::InvalidArgumentError(absl::StrCat("EngineOptions.num_segments = ", o.num_segments,
                                                   " is outside [0, ", kMaxSegments, "]"));
  }
  for (const auto& [name, threads, outstanding] :
       {std::tuple<const char*, size_t, size_t>{"isolation", o.isolation_threads,
                                                o.isolation_max_outstanding},
        std::tuple<const char*, size_t, size_t>{"shadow", o.shadow_threads,
                                                o.shadow_max_outstanding}}) {
    IsolatedRunnerOptions ro;
    ro.threads = threads;
    ro.max_outstanding = outstanding;
    if (absl::Status st = IsolatedRunner::Validate(ro); !st.ok()) {
      std::string msg(st.message());
      if (absl::string_view(name) == "shadow" && absl::StartsWith(msg, "isolation ")) {
        msg = absl::StrCat("shadow ", msg.substr(10));
      }
      return absl::InvalidArgumentError(absl::StrCat("EngineOptions: ", msg));
    }
  }
  if (o.shadow_results_capacity > (size_t{1} << 20)) {
    return absl::InvalidArgumentError(
        absl::StrCat("EngineOptions.shadow_results_capacity = ", o.shadow_results_capacity,
                     " is outside [0, 1048576]"));
  }
  if (absl::Status st = ValidateWindow(o.event_time); !st.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("EngineOptions.event_time: ", st.message()));
  }
  for (const auto* names : {&o.extra_surfaces, &o.extra_sources}) {
    for (size_t i = 0; i < names->size(); ++i) {
      AISLE_RETURN_IF_ERROR(CheckExternalId(
          (*names)[i], absl::StrCat("EngineOptions.",
                                    names == &o.extra_surfaces ? "extra_surfaces" : "extra_sources",
                                    "[", i, "]")));
    }
  }
  return absl::OkStatus();
}

}  // namespace

Engine::Engine(std::unique_ptr<internal::EngineCore> core) : core_(std::move(core)) {}
Engine::~Engine() = default;

absl::StatusOr<std::unique_ptr<Engine>> Engine::Create(std::shared_ptr<const Snapshot> snapshot,
                                                       EngineOptions options) {
  if (options.clock == nullptr) return absl::InvalidArgumentError("EngineOptions.clock is null");
  if (snapshot == nullptr) return absl::InvalidArgumentError("snapshot is null");
  AISLE_RETURN_IF_ERROR(ValidateOptions(options));
  auto core = std::make_unique<internal::EngineCore>(std::move(options));
  AISLE_RETURN_IF_ERROR(core->InitSwitches(*snapshot));
  AISLE_RETURN_IF_ERROR(core->Install(std::move(snapshot)));
  return std::unique_ptr<Engine>(new Engine(std::move(core)));
}

absl::StatusOr<Response> Engine::Recommend(const Request& request) const {
  Response r;
  AISLE_RETURN_IF_ERROR(core_->Recommend(request, r));
  return r;
}

absl::StatusOr<FeatureMatrix> Engine::AssembleFeatures(
    const Request& request, absl::Span<const std::string> item_ids) const {
  return core_->AssembleFeatures(request, item_ids);
}

absl::Status Engine::Swap(std::shared_ptr<const Snapshot> next) {
  return core_->Install(std::move(next));
}

absl::Status Engine::Rollback(absl::string_view reason, absl::string_view actor) {
  return core_->Rollback(reason, actor);
}

std::vector<SnapshotChange> Engine::SnapshotLog() const { return core_->SnapshotLog(); }

std::vector<ShadowResult> Engine::DrainShadowResults(size_t max) {
  return core_->DrainShadowResults(max);
}

absl::Status Engine::KillExperiment(absl::string_view experiment, absl::string_view reason,
                                    absl::string_view actor) {
  return core_->kill_switch().Kill(experiment, reason, actor);
}

absl::Status Engine::ReviveExperiment(absl::string_view experiment, absl::string_view reason,
                                      absl::string_view actor) {
  return core_->kill_switch().Revive(experiment, reason, actor);
}

std::vector<routing::KilledExperiment> Engine::KilledExperiments() const {
  return core_->kill_switch().Killed();
}

std::vector<routing::KillSwitchEvent> Engine::ExperimentAuditLog() const {
  return core_->kill_switch().AuditLog();
}

std::string Engine::snapshot_version() const { return core_->Current()->snapshot->version; }

absl::Status Engine::ApplyInteraction(absl::string_view user_id, absl::string_view session_id,
                                      absl::string_view item_id, retrieval::InteractionType type,
                                      absl::Time at, uint32_t segment) {
  return core_->ApplyInteraction(user_id, session_id, item_id, type, at, segment);
}

absl::Status Engine::SetStock(absl::string_view item_id, int32_t stock) {
  return core_->SetStock(item_id, stock);
}

absl::Status Engine::AddStock(absl::string_view item_id, int32_t delta) {
  return core_->AddStock(item_id, delta);
}

void Engine::PublishLiveState() { core_->PublishLiveState(); }

absl::Status Engine::RegisterScorer(absl::string_view name, HostScorer scorer,
                                    CircuitBreakerOptions breaker) {
  return core_->RegisterScorer(name, std::move(scorer), std::move(breaker));
}

const CircuitBreaker* Engine::scorer_breaker(absl::string_view name) const {
  return core_->scorer_breaker(name);
}

RuntimeSwitches& Engine::switches() { return core_->switches(); }
const RuntimeSwitches& Engine::switches() const { return core_->switches(); }

EngineMetrics Engine::metrics() const { return core_->metrics(); }

double Engine::quality(absl::string_view surface) const { return core_->quality(surface); }

}  // namespace aisle::serving
