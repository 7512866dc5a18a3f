#include "aisle/serving/engine.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/cord.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "aisle/core/external_id.h"
#include "aisle/core/status_macros.h"
#include "aisle/ranking/gbdt_ranker.h"
#include "aisle/ranking/linear_ranker.h"
#include "aisle/retrieval/merge.h"
#include "aisle/serving/last_known_good.h"
#include "serving/compiled.h"

namespace aisle::serving {
namespace {

using internal::Compiled;
using internal::CompiledSurface;
using internal::LiveState;

// ---------------------------------------------------------------- models

class GbdtFactory final : public ModelFactory {
 public:
  explicit GbdtFactory(ranking::GbdtModel m) : model_(std::move(m)) {}
  absl::StatusOr<std::shared_ptr<const ranking::Ranker>> Bind(
      absl::Span<const std::string> layout) const override {
    AISLE_ASSIGN_OR_RETURN(std::unique_ptr<ranking::GbdtRanker> r,
                           ranking::GbdtRanker::BindByName(model_, layout));
    return std::shared_ptr<const ranking::Ranker>(std::move(r));
  }

 private:
  ranking::GbdtModel model_;
};

class LinearFactory final : public ModelFactory {
 public:
  explicit LinearFactory(ranking::LinearModel m) : model_(std::move(m)) {}
  absl::StatusOr<std::shared_ptr<const ranking::Ranker>> Bind(
      absl::Span<const std::string> layout) const override {
    AISLE_ASSIGN_OR_RETURN(std::unique_ptr<ranking::LinearRanker> r,
                           ranking::LinearRanker::Create(model_, layout));
    return std::shared_ptr<const ranking::Ranker>(std::move(r));
  }

 private:
  ranking::LinearModel model_;
};

class BoundFactory final : public ModelFactory {
 public:
  explicit BoundFactory(std::shared_ptr<const ranking::Ranker> r) : ranker_(std::move(r)) {}
  absl::StatusOr<std::shared_ptr<const ranking::Ranker>> Bind(
      absl::Span<const std::string> layout) const override {
    if (ranker_ == nullptr) return absl::InvalidArgumentError("bound ranker is null");
    if (ranker_->num_features() != layout.size()) {
      return absl::InvalidArgumentError(
          absl::StrCat("ranker '", ranker_->version(), "' expects ", ranker_->num_features(),
                       " features but the schema has ", layout.size()));
    }
    return ranker_;
  }

 private:
  std::shared_ptr<const ranking::Ranker> ranker_;
};

// The payload that marks a ranker's answer as holding NaN or infinity, so
// that a host scorer (which also tells its breaker) and the engine's own
// check map to one fallback reason.
constexpr absl::string_view kNonFinitePayload = "aisle.non_finite_score";

// OK, or an error naming the ranker, the first non-finite score and its row.
absl::Status CheckScoresFinite(absl::string_view ranker, absl::Span<const float> scores) {
  for (size_t r = 0; r < scores.size(); ++r) {
    if (!std::isfinite(scores[r])) {
      absl::Status st = absl::InternalError(absl::StrCat("ranker '", ranker, "' returned ",
                                                         scores[r], " for row ", r, " of ",
                                                         scores.size()));
      st.SetPayload(kNonFinitePayload, absl::Cord(absl::StrCat(r)));
      return st;
    }
  }
  return absl::OkStatus();
}

// The one mapping from a rank-stage failure to its fallback reason.
FallbackReason RankFailureReason(const absl::Status& st) {
  if (st.GetPayload(kNonFinitePayload).has_value()) return FallbackReason::kNonFiniteScore;
  if (absl::IsDeadlineExceeded(st)) return FallbackReason::kDeadline;
  if (absl::IsResourceExhausted(st)) return FallbackReason::kOverload;  // isolation slots held
  if (absl::IsUnavailable(st)) return FallbackReason::kBreakerOpen;
  return FallbackReason::kError;
}

// "rank: <message>", naming the item (by its id) of a non-finite score.
std::string RankFailureDetail(const absl::Status& st, const catalog::Catalog& cat,
                              const std::vector<Candidate>& list) {
  std::string d = absl::StrCat("rank: ", st.message());
  if (auto row = st.GetPayload(kNonFinitePayload)) {
    size_t r = 0;
    if (absl::SimpleAtoi(std::string(*row), &r) && r < list.size()) {
      absl::StrAppend(&d, " (item '", cat.id(list[r].item), "')");
    }
  }
  return d;
}

// A host scorer behind a circuit breaker.
class HostScorerRanker final : public ranking::Ranker {
 public:
  HostScorerRanker(std::string name, HostScorer fn, std::shared_ptr<CircuitBreaker> breaker,
                   const Clock& clock)
      : version_(absl::StrCat("host:", name)),
        fn_(std::move(fn)),
        breaker_(std::move(breaker)),
        clock_(clock) {}
  absl::string_view version() const override { return version_; }
  // Host scorers take any width: the engine passes the schema's matrix.
  size_t num_features() const override { return 0; }
  absl::Status Score(MatrixView f, absl::Span<float> s) const override {
    return Score(f, s, Deadline());
  }
  absl::Status Score(MatrixView f, absl::Span<float> s, const Deadline& d) const override {
    CircuitBreaker::Ticket ticket = breaker_->Allow();
    if (!ticket) {
      return absl::UnavailableError(absl::StrCat(version_, ": circuit breaker open"));
    }
    const int64_t start = clock_.MonotonicNanos();
    absl::Status st;
    try {
      st = fn_(f, s, d);
    } catch (const std::exception& e) {
      st = absl::InternalError(absl::StrCat(version_, " threw: ", e.what()));
    } catch (...) {
      st = absl::InternalError(absl::StrCat(version_, " threw"));
    }
    const absl::Duration latency = absl::Nanoseconds(clock_.MonotonicNanos() - start);
    // An answer with NaN or infinity is a failure of the dependency.
    if (st.ok()) st = CheckScoresFinite(version_, s);
    breaker_->Record(ticket, st.ok(), latency);
    // Unavailable is reserved for "breaker open"; a failing host is an error.
    if (absl::IsUnavailable(st) && !st.GetPayload(kNonFinitePayload).has_value()) {
      st = absl::InternalError(absl::StrCat(version_, " failed: ", st.message()));
    }
    if (st.ok() && d.Expired()) {
      return absl::DeadlineExceededError(absl::StrCat(version_, ": answered after the deadline"));
    }
    return st;
  }
  const CircuitBreaker* breaker() const { return breaker_.get(); }

 private:
  std::string version_;
  HostScorer fn_;
  std::shared_ptr<CircuitBreaker> breaker_;
  const Clock& clock_;
};

// ---------------------------------------------------------------- scratch

// Per-thread buffers reused across requests: no allocation per candidate.
struct Scratch {
  retrieval::MergedCandidates merged;
  std::unique_ptr<retrieval::CandidateMerger> merger;
  std::vector<retrieval::SourceSpec> specs;
  std::vector<Candidate> list;
  std::vector<ItemIndex> items;
  std::vector<uint32_t> source_bits;
  std::vector<float> retrieval;
  std::vector<float> features;
  std::vector<float> scores;
  std::vector<float> context;
  std::vector<ItemIndex> seeds, cart, bought, exclude, search;
  // Item marks for de-duplicating request inputs: seen[i] == stamp.
  std::vector<uint32_t> seen;
  uint32_t stamp = 0;
  std::vector<CategoryIndex> categories;
  std::vector<routing::Assignment> assignments;
  std::vector<float> history;
  std::vector<int64_t> stamps;
  std::vector<Candidate> pool;
  policy::RuleReport rules;
};

Scratch& ThreadScratch() {
  thread_local Scratch s;
  return s;
}

bool IsFinite(absl::Span<const float> v) {
  for (float x : v) {
    if (!std::isfinite(x)) return false;
  }
  return true;
}

struct LevelOutcome {
  bool served = false;
  FallbackReason why = FallbackReason::kNone;
  std::string detail;
  absl::string_view reason = "ranked";
};

using LkgList = std::vector<Candidate>;

}  // namespace

// ---------------------------------------------------------------- factories

std::shared_ptr<const ModelFactory> ModelFactory::Gbdt(ranking::GbdtModel model) {
  return std::make_shared<GbdtFactory>(std::move(model));
}
std::shared_ptr<const ModelFactory> ModelFactory::Linear(ranking::LinearModel model) {
  return std::make_shared<LinearFactory>(std::move(model));
}
std::shared_ptr<const ModelFactory> ModelFactory::Bound(
    std::shared_ptr<const ranking::Ranker> ranker) {
  return std::make_shared<BoundFactory>(std::move(ranker));
}

absl::string_view SourceKindName(SourceKind kind) {
  switch (kind) {
    case SourceKind::kAnn:
      return "ann";
    case SourceKind::kExact:
      return "exact";
    case SourceKind::kCoVisitation:
      return "covisitation";
    case SourceKind::kPopular:
      return "popular";
    case SourceKind::kTrending:
      return "trending";
    case SourceKind::kNewItems:
      return "new_items";
    case SourceKind::kCustom:
      return "custom";
  }
  return "unknown";
}

// ---------------------------------------------------------------- Impl

struct Engine::Impl final : internal::CompileEnvironment {
  EngineOptions options;
  const Clock& clk;
  std::unique_ptr<RuntimeSwitches> switches_;

  // The current compiled snapshot. Readers load `generation_` (one relaxed
  // atomic) and reload the shared_ptr only when it changed, so the steady
  // state read path takes no lock (std::atomic<std::shared_ptr> may).
  std::atomic<std::shared_ptr<const Compiled>> current;
  std::atomic<uint64_t> generation_{0};
  absl::Mutex swap_mu;  // serializes Swap (writers only)

  mutable absl::Mutex registry_mu;
  absl::flat_hash_map<std::string, std::shared_ptr<HostScorerRanker>> host_rankers
      ABSL_GUARDED_BY(registry_mu);
  absl::flat_hash_map<std::string, std::unique_ptr<OverloadController>> overload
      ABSL_GUARDED_BY(registry_mu);

  // Last known good personalized lists per (surface, user), served while a
  // host scorer's breaker is open.
  std::unique_ptr<LastKnownGood<std::string, LkgList>> lkg;

  struct Counters {
    std::atomic<uint64_t> requests{0}, errors{0}, empty{0}, unknown_items{0};
    std::atomic<uint64_t> events_applied{0}, events_rejected{0}, swaps{0}, swaps_rejected{0};
    std::atomic<uint64_t> duplicate_items{0}, time_missing{0};
    std::atomic<uint64_t> time_verdicts[kNumTimeVerdicts] = {};
    std::atomic<uint64_t> by_level[kNumFallbackLevels] = {};
    std::atomic<uint64_t> by_reason[kNumFallbackReasons] = {};
  };
  mutable Counters counters;

  // Created by the first snapshot that isolates a ranker; declared after
  // everything a running call may touch so it is destroyed (joined) first.
  // Guarded by registry_mu for creation; never replaced once set.
  std::unique_ptr<IsolatedRunner> isolation;

  // Process-unique: thread-local caches are keyed by it, never by address
  // (a new engine may reuse a destroyed one's address).
  const uint64_t id = NextEngineId();
  static uint64_t NextEngineId() {
    static std::atomic<uint64_t> next{1};
    return next.fetch_add(1, std::memory_order_relaxed);
  }

  explicit Impl(EngineOptions o) : options(std::move(o)), clk(*options.clock) {
    lkg = std::make_unique<LastKnownGood<std::string, LkgList>>(LastKnownGoodOptions{}, clk);
  }

  // CompileEnvironment.
  std::shared_ptr<const ranking::Ranker> HostRanker(absl::string_view name) const override {
    absl::MutexLock l(&registry_mu);
    auto it = host_rankers.find(name);
    return it == host_rankers.end() ? nullptr : it->second;
  }
  absl::StatusOr<OverloadController*> Overload(const SurfaceConfig& s) override {
    absl::MutexLock l(&registry_mu);
    auto it = overload.find(s.name);
    if (it != overload.end()) return it->second.get();
    OverloadOptions o;
    if (s.overload.has_value()) {
      o = *s.overload;
    } else {
      o.budget = s.default_budget;
    }
    o.surface = s.name;
    AISLE_RETURN_IF_ERROR(OverloadController::Validate(o));
    auto c = std::make_unique<OverloadController>(o, clk);
    OverloadController* p = c.get();
    overload.emplace(s.name, std::move(c));
    return p;
  }
  int SwitchSurface(absl::string_view s) const override {
    return switches_ ? switches_->SurfaceIndex(s) : -1;
  }
  int SwitchSource(absl::string_view s) const override {
    return switches_ ? switches_->SourceIndex(s) : -1;
  }
  absl::StatusOr<IsolatedRunner*> Isolation(absl::string_view surface) override {
    if (!options.allow_threads) {
      return absl::FailedPreconditionError(
          absl::StrCat("surface '", surface,
                       "' isolates its ranker, which needs threads, but "
                       "EngineOptions::allow_threads is false"));
    }
    absl::MutexLock l(&registry_mu);
    if (isolation == nullptr) {
      IsolatedRunnerOptions o;
      o.threads = options.isolation_threads;
      o.max_outstanding = options.isolation_max_outstanding;
      auto made = IsolatedRunner::Create(std::move(o));
      if (!made.ok()) {
        return absl::Status(made.status().code(),
                            absl::StrCat("surface '", surface, "' isolates its ranker: ",
                                         made.status().message()));
      }
      isolation = std::move(*made);
    }
    return isolation.get();
  }
  uint32_t history_length() const override { return options.history_length; }
  uint32_t num_segments() const override { return options.num_segments; }
  absl::Duration max_event_lead() const override { return options.event_time.max_lead; }
  const Clock& clock() const override { return clk; }

  std::shared_ptr<const Compiled> Current() const {
    struct Cache {
      uint64_t engine = 0;
      uint64_t generation = 0;
      std::shared_ptr<const Compiled> compiled;
    };
    thread_local Cache cache;
    const uint64_t g = generation_.load(std::memory_order_acquire);
    if (cache.engine != id || cache.generation != g || cache.compiled == nullptr) {
      cache.compiled = current.load(std::memory_order_acquire);
      cache.engine = id;
      cache.generation = cache.compiled ? cache.compiled->generation : 0;
    }
    return cache.compiled;
  }

  absl::Status Install(std::shared_ptr<const Snapshot> next) {
    absl::MutexLock l(&swap_mu);
    std::shared_ptr<const Compiled> prev = current.load();
    const uint64_t gen = generation_.load() + 1;
    auto compiled = internal::CompileSnapshot(std::move(next), prev.get(), gen, *this);
    if (!compiled.ok()) {
      counters.swaps_rejected.fetch_add(1, std::memory_order_relaxed);
      return compiled.status();
    }
    current.store(*compiled, std::memory_order_release);
    generation_.store(gen, std::memory_order_release);
    counters.swaps.fetch_add(1, std::memory_order_relaxed);
    return absl::OkStatus();
  }

  // Resolves `ids` into `out` in order, each item once: unknown ids are
  // counted in *unknown, repeats in *duplicates. `s.seen` marks items with
  // the current `s.stamp` (no allocation once sized to the catalog).
  static void Resolve(const catalog::Catalog& cat, const std::vector<std::string>& ids,
                      Scratch& s, std::vector<ItemIndex>& out, uint32_t* unknown,
                      uint32_t* duplicates) {
    out.clear();
    NextStamp(cat, s);
    for (const std::string& id : ids) {
      const ItemIndex i = cat.FindOrInvalid(id);
      if (i == kInvalidItem) {
        ++*unknown;
      } else if (s.seen[i] == s.stamp) {
        ++*duplicates;
      } else {
        s.seen[i] = s.stamp;
        out.push_back(i);
      }
    }
  }
  static void NextStamp(const catalog::Catalog& cat, Scratch& s) {
    if (s.seen.size() != cat.size() || ++s.stamp == 0) {
      s.seen.assign(cat.size(), 0);
      s.stamp = 1;
    }
  }

  uint32_t ReadHistory(const LiveState& live, const features::OnlineFeatureStore& store,
                       absl::string_view key, Scratch& s, std::vector<ItemIndex>* seeds) const {
    if (key.empty()) return 0;
    s.history.resize(store.width());
    s.stamps.resize(store.width());
    if (!store.Read(features::OnlineFeatureStore::KeyOf(key), absl::MakeSpan(s.history),
                    absl::MakeSpan(s.stamps))) {
      return 0;
    }
    const float count = s.history[0];
    if (seeds != nullptr) {
      for (uint32_t h = 0; h < live.history_length; ++h) {
        const float v = s.history[internal::kHistoryColumnsStart + h];
        if (!std::isfinite(v) || v < 0 || v >= float(live.catalog->size())) break;
        seeds->push_back(static_cast<ItemIndex>(v));
      }
    }
    return std::isfinite(count) && count > 0 ? static_cast<uint32_t>(count) : 0;
  }

  // Resolves the request's seed, cart and bought ids (the cart joins the
  // seeds) and returns how many ids the catalog does not know.
  // The search candidates too, in their lexical order. Repeated ids are
  // counted in *duplicates and used once.
  uint32_t ResolveItems(const catalog::Catalog& cat, const Request& req, Scratch& s,
                        uint32_t* duplicates) const {
    uint32_t unknown = 0;
    Resolve(cat, req.seed_items, s, s.seeds, &unknown, duplicates);
    Resolve(cat, req.cart_items, s, s.cart, &unknown, duplicates);
    Resolve(cat, req.bought_items, s, s.bought, &unknown, duplicates);
    Resolve(cat, req.search_candidates, s, s.search, &unknown, duplicates);
    // The cart joins the seeds, once (a seed also in the cart is no repeat).
    NextStamp(cat, s);
    for (ItemIndex i : s.seeds) s.seen[i] = s.stamp;
    for (ItemIndex i : s.cart) {
      if (s.seen[i] != s.stamp) s.seeds.push_back(i);
    }
    return unknown;
  }

  // Without seeds, the user's (else the session's) recent items become the
  // seeds. Returns the user's interaction count.
  uint32_t HistorySeeds(const LiveState& live, const Request& req, Scratch& s) const {
    std::vector<ItemIndex>* history_seeds = s.seeds.empty() ? &s.seeds : nullptr;
    const uint32_t interactions = ReadHistory(live, *live.users, req.user_id, s, history_seeds);
    if (s.seeds.empty()) ReadHistory(live, *live.sessions, req.session_id, s, &s.seeds);
    return interactions;
  }

  // The request's own ids and numbers (items are resolved, not checked: an
  // id the catalog cannot hold is simply unknown).
  static absl::Status CheckRequest(const Request& req, const LiveState& live) {
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
      return absl::InvalidArgumentError(absl::StrCat("request budget ",
                                                     absl::FormatDuration(req.budget),
                                                     " is negative or infinite"));
    }
    return absl::OkStatus();
  }

  // Runs the surface's filter chain over `list`; returns how many it removed.
  size_t RunFilters(const CompiledSurface& cs, Scratch& s, std::vector<Candidate>& list) const {
    policy::FilterContext ctx;
    ctx.bought = s.bought;
    ctx.cart = s.cart;
    ctx.seeds = s.seeds;
    return cs.filters.Run(ctx, list);
  }

  // Rules, diversification and exploration over a ranked list, then pins
  // last so that nothing moves a pinned item off its slot; then the first k.
  void PostRank(const Compiled& c, const CompiledSurface& cs, SurfaceSwitches sw, Scratch& s,
                size_t k, const Deadline& deadline, std::vector<Candidate>& list,
                bool diversify) const {
    policy::RuleContext rc;
    rc.now = clk.Now();
    rc.inventory = c.live->inventory.get();
    rc.reserve = cs.config.inventory_reserve;
    s.rules.Clear();
    if (cs.rules != nullptr) cs.rules->ApplyAdjustments(rc, list, &s.rules);
    if (diversify && sw.diversification()) {
      if (cs.category_cap.has_value()) cs.category_cap->Apply(list, k);
      if (cs.mmr.has_value()) (void)cs.mmr->Apply(list, k, deadline);
    }
    if (diversify && sw.exploration() && cs.exploration.has_value() && !cs.new_item_pool.empty()) {
      s.pool.assign(cs.new_item_pool.begin(), cs.new_item_pool.end());
      RunFilters(cs, s, s.pool);
      cs.exploration->Apply(list, k, s.pool, cs.exposure.get());
    }
    if (cs.rules != nullptr) cs.rules->ApplyPins(rc, k, list, &s.rules);
    if (list.size() > k) list.resize(k);
  }

  // A popularity-like level: candidates from `source` (or a fixed list),
  // filtered, rules applied, first k.
  LevelOutcome ServeSimple(const Compiled& c, const CompiledSurface& cs, SurfaceSwitches sw,
                           Scratch& s, size_t k, const retrieval::RetrievalQuery& q,
                           const std::vector<Candidate>* fixed, absl::string_view reason,
                           std::vector<Candidate>& list) const {
    list.clear();
    if (fixed != nullptr) {
      list.assign(fixed->begin(), fixed->end());
      RunFilters(cs, s, list);
    } else {
      // Read deeper while filters (a sold-out best seller, say) leave fewer
      // than k: 4k+16, then doubling, up to 4096 items.
      size_t want = std::min<size_t>(cs.config.max_candidates, k * 4 + 16);
      for (;;) {
        list.clear();
        absl::Status st = cs.popular->Retrieve(q, want, 0, list);
        if (!st.ok()) return {false, FallbackReason::kError, std::string(st.message())};
        const size_t got = list.size();
        RunFilters(cs, s, list);
        if (list.size() >= k || got < want || want >= 4096 || q.deadline.Expired()) break;
        want *= 2;
      }
    }
    if (list.empty()) {
      if (fixed == nullptr && q.deadline.Expired()) {
        return {false, FallbackReason::kDeadline, "deadline passed before any item"};
      }
      return {false, FallbackReason::kEmptyStage, "no items left after filters"};
    }
    PostRank(c, cs, sw, s, k, q.deadline, list, /*diversify=*/false);
    return {true, FallbackReason::kNone, "", reason};
  }

  // Runs the surface's candidate sources (or, for search rerank, takes the
  // request's candidates in lexical order) into s.merged.
  absl::Status RetrieveCandidates(const CompiledSurface& cs, SurfaceSwitches sw, const Request& req,
                                  const catalog::Catalog& cat, Scratch& s, const ShedPlan& plan,
                                  const Deadline& deadline) const {
    retrieval::MergedCandidates& merged = s.merged;
    if (cs.config.kind == SurfaceKind::kSearchRerank) {
      merged.candidates.clear();
      merged.source_scores.clear();
      merged.source_names.assign(1, "query");
      float score = 1.0f;
      for (ItemIndex i : s.search) {
        merged.candidates.push_back({i, score, SourceBit(0)});
        merged.source_scores.push_back(score);
        score *= 0.999f;
      }
      return absl::OkStatus();
    }
    if (s.merger == nullptr || s.merger->num_items() != cat.size()) {
      s.merger = std::make_unique<retrieval::CandidateMerger>(cat.size());
    }
    retrieval::RetrievalQuery q;
    q.user_vector = req.user_vector;
    q.seeds = s.seeds;
    q.exclude = s.bought;
    q.segment = req.segment;
    q.deadline = deadline;
    s.specs.clear();
    for (size_t i = 0; i < cs.sources.size(); ++i) {
      const int sw_idx = cs.source_switch[i];
      const bool on = sw_idx < 0 || sw.source_enabled(static_cast<SourceId>(sw_idx));
      const uint32_t quota = on ? plan.ScaleQuota(cs.config.sources[i].quota) : 0;
      s.specs.push_back({cs.sources[i].get(), quota, static_cast<SourceId>(i)});
    }
    return s.merger->RetrieveAndMerge(s.specs, q, cs.config.max_candidates, s.merged);
  }

  // Assembles the feature matrix for `list`, whose scores hold each
  // candidate's row in s.merged (or -1 for an item no source proposed: its
  // retrieval features are missing). The one code path for serving and for
  // Engine::AssembleFeatures, so training sees what serving sees.
  absl::StatusOr<MatrixView> AssembleRows(const Compiled& c, const CompiledSurface& cs,
                                          const Request& req, Scratch& s,
                                          const std::vector<Candidate>& list,
                                          const Deadline& deadline,
                                          features::FreshnessReport* report) const {
    const retrieval::MergedCandidates& merged = s.merged;
    const features::FeatureSchema& schema = c.assembler->schema();
    const size_t n = list.size();
    const size_t nsrc = merged.source_names.size();
    const size_t nret = cs.retrieval_column_source.size();
    s.items.resize(n);
    s.source_bits.resize(n);
    s.retrieval.assign(n * nret, std::numeric_limits<float>::quiet_NaN());
    for (size_t r = 0; r < n; ++r) {
      s.items[r] = list[r].item;
      s.source_bits[r] = list[r].sources;
      if (list[r].score < 0) continue;
      const size_t row = static_cast<size_t>(list[r].score);
      for (size_t j = 0; j < nret; ++j) {
        const int src = cs.retrieval_column_source[j];
        if (src >= 0 && size_t(src) < nsrc) {
          s.retrieval[r * nret + j] = merged.source_scores[row * nsrc + src];
        }
      }
    }
    const absl::Span<const size_t> context_cols = schema.columns(features::FeatureGroup::kContext);
    s.context.assign(context_cols.size(), std::numeric_limits<float>::quiet_NaN());
    for (size_t j = 0; j < context_cols.size(); ++j) {
      const std::string& name = schema.names()[context_cols[j]];
      for (const auto& [key, value] : req.context) {
        float v;
        if (key == name && absl::SimpleAtof(value, &v)) s.context[j] = v;
      }
    }
    features::AssemblyRequest ar;
    if (!req.user_id.empty()) ar.user_key = features::OnlineFeatureStore::KeyOf(req.user_id);
    ar.context = s.context;
    ar.items = s.items;
    ar.retrieval = MatrixView(s.retrieval.data(), n, nret);
    ar.sources = s.source_bits;
    ar.deadline = deadline;
    return c.assembler->Assemble(ar, &s.features, report);
  }

  LevelOutcome ServePersonalized(const Compiled& c, const CompiledSurface& cs, SurfaceSwitches sw,
                                 const Request& req, Scratch& s, size_t k, RequestBudget& budget,
                                 const ShedPlan& plan, Response& resp,
                                 std::vector<Candidate>& list) const {
    const catalog::Catalog& cat = *c.live->catalog;
    const retrieval::MergedCandidates& merged = s.merged;
    const bool search = cs.config.kind == SurfaceKind::kSearchRerank;

    budget.Begin(Stage::kRetrieve);
    const Deadline retrieve_deadline = budget.StageDeadline(Stage::kRetrieve);
    absl::Status st = RetrieveCandidates(cs, sw, req, cat, s, plan, retrieve_deadline);
    budget.End(Stage::kRetrieve);
    if (!st.ok()) {
      return {false,
              absl::IsDeadlineExceeded(st) ? FallbackReason::kDeadline : FallbackReason::kError,
              absl::StrCat("retrieve: ", st.message())};
    }
    resp.candidates = static_cast<uint32_t>(merged.candidates.size());

    // Filter, remembering each survivor's merged row in its score.
    list.assign(merged.candidates.begin(), merged.candidates.end());
    for (size_t i = 0; i < list.size(); ++i) list[i].score = static_cast<float>(i);
    resp.filtered += static_cast<uint32_t>(RunFilters(cs, s, list));
    if (list.empty()) {
      // Sources stop quietly at their deadline: nothing found in time is a
      // deadline, not an empty stage.
      if (merged.candidates.empty() && retrieve_deadline.Expired()) {
        return {false, FallbackReason::kDeadline, "retrieve: deadline passed before any candidate"};
      }
      return {false, FallbackReason::kEmptyStage,
              merged.candidates.empty() ? "retrieve: no candidates"
                                        : "filter: every candidate removed"};
    }
    const size_t n = list.size();

    const std::shared_ptr<const ranking::Ranker>& ranker_ref =
        plan.cheaper_ranker && cs.cheaper_ranker != nullptr ? cs.cheaper_ranker : cs.ranker;
    const ranking::Ranker* ranker = ranker_ref.get();
    if (ranker == nullptr) {
      for (Candidate& cand : list) cand.score = merged.candidates[size_t(cand.score)].score;
    } else {
      // Features.
      if (!budget.Fits(Stage::kFeatures)) {
        return {false, FallbackReason::kDeadline, "features: no time left"};
      }
      budget.Begin(Stage::kFeatures);
      features::FreshnessReport report;
      auto m = AssembleRows(c, cs, req, s, list, budget.StageDeadline(Stage::kFeatures), &report);
      budget.End(Stage::kFeatures);
      if (!m.ok()) {
        return {false,
                absl::IsDeadlineExceeded(m.status()) ? FallbackReason::kDeadline
                                                     : FallbackReason::kError,
                absl::StrCat("features: ", m.status().message())};
      }
      resp.stale_features += static_cast<uint32_t>(report.TotalStale());
      resp.defaulted_features += static_cast<uint32_t>(report.TotalDefaulted());
      if (report.drop_to_fallback) {
        return {false, FallbackReason::kStaleFeatures,
                "features: stale beyond the group's max age"};
      }

      // Rank.
      if (!budget.Fits(Stage::kRank))
        return {false, FallbackReason::kDeadline, "rank: no time left"};
      budget.Begin(Stage::kRank);
      s.scores.resize(n);
      if (cs.isolation != nullptr) {
        st = RankIsolated(*cs.isolation, ranker_ref, *m, absl::MakeSpan(s.scores),
                          budget.StageDeadline(Stage::kRank));
      } else {
        st = ranker->Score(*m, absl::MakeSpan(s.scores), budget.StageDeadline(Stage::kRank));
      }
      budget.End(Stage::kRank);
      // Any ranker, not only a host scorer, may answer NaN or infinity
      // (an infinite weight, an overflowing leaf sum): never serve that.
      if (st.ok()) st = CheckScoresFinite(ranker->version(), s.scores);
      if (!st.ok()) {
        return {false, RankFailureReason(st), RankFailureDetail(st, cat, list)};
      }
      for (size_t r = 0; r < n; ++r) list[r].score = s.scores[r];
      resp.ranker_version = std::string(ranker->version());
    }
    if (search) {
      // Stable: equal scores keep the lexical order.
      std::stable_sort(list.begin(), list.end(),
                       [](const Candidate& a, const Candidate& b) { return a.score > b.score; });
    } else {
      std::sort(list.begin(), list.end(), ByScoreDesc());
    }
    budget.Begin(Stage::kPost);
    PostRank(c, cs, sw, s, k, budget.StageDeadline(Stage::kPost), list, /*diversify=*/!search);
    budget.End(Stage::kPost);
    if (list.empty()) return {false, FallbackReason::kEmptyStage, "post: no items left"};
    return {true, FallbackReason::kNone, "", search ? "reranked" : "ranked"};
  }

  // Runs the ranker on the isolation threads and waits until `deadline`.
  // The job owns the matrix copy, the scores and a reference on the ranker,
  // so an abandoned call can finish after this request has returned.
  static absl::Status RankIsolated(IsolatedRunner& runner,
                                   const std::shared_ptr<const ranking::Ranker>& ranker,
                                   MatrixView m, absl::Span<float> scores,
                                   const Deadline& deadline) {
    struct Job {
      std::shared_ptr<const ranking::Ranker> ranker;
      std::vector<float> features;
      size_t rows = 0, cols = 0;
      std::vector<float> scores;
      Deadline deadline;
      absl::Status status;
    };
    auto job = std::make_shared<Job>();
    job->ranker = ranker;
    job->features.assign(m.data, m.data + m.rows * m.cols);
    job->rows = m.rows;
    job->cols = m.cols;
    job->scores.resize(m.rows);
    job->deadline = deadline;
    const IsolatedOutcome o = runner.Run(
        [job] {
          job->status = job->ranker->Score(MatrixView(job->features.data(), job->rows, job->cols),
                                           absl::MakeSpan(job->scores), job->deadline);
        },
        deadline);
    switch (o) {
      case IsolatedOutcome::kDone:
        if (job->status.ok()) std::copy(job->scores.begin(), job->scores.end(), scores.begin());
        return job->status;
      case IsolatedOutcome::kTimedOut:
        return absl::DeadlineExceededError(
            absl::StrCat("isolated ranker '", ranker->version(),
                         "' did not answer by the rank deadline; abandoned"));
      case IsolatedOutcome::kRejected:
        break;
    }
    return absl::ResourceExhaustedError(absl::StrCat("isolated ranker '", ranker->version(),
                                                     "': ", runner.options().max_outstanding,
                                                     " calls already outstanding"));
  }

  absl::Status Recommend(const Request& req, Response& resp) const {
    counters.requests.fetch_add(1, std::memory_order_relaxed);
    std::shared_ptr<const Compiled> compiled = Current();
    const Compiled& c = *compiled;
    auto sit = c.surfaces.find(req.surface);
    if (sit == c.surfaces.end()) {
      counters.errors.fetch_add(1, std::memory_order_relaxed);
      return absl::NotFoundError(absl::StrCat("unknown surface '", req.surface, "'"));
    }
    const CompiledSurface& cs = *sit->second;
    const catalog::Catalog& cat = *c.live->catalog;
    const size_t k = req.k == 0 ? cs.config.default_k : req.k;
    if (k > cs.config.max_k) {
      counters.errors.fetch_add(1, std::memory_order_relaxed);
      return absl::InvalidArgumentError(
          absl::StrCat("k=", k, " exceeds surface '", cs.config.name, "' max_k=", cs.config.max_k));
    }
    if (absl::Status st = CheckRequest(req, *c.live); !st.ok()) {
      counters.errors.fetch_add(1, std::memory_order_relaxed);
      return st;
    }
    if (!req.user_vector.empty()) {
      const size_t dim = c.snapshot->ann ? c.snapshot->ann->dim() : cat.embedding_dim();
      if (req.user_vector.size() != dim || !IsFinite(req.user_vector)) {
        counters.errors.fetch_add(1, std::memory_order_relaxed);
        return absl::InvalidArgumentError(absl::StrCat(
            "user_vector: ", req.user_vector.size(), " finite values expected to match dimension ",
            dim, (IsFinite(req.user_vector) ? "" : " (it holds NaN or Inf)")));
      }
    }
    const Deadline deadline =
        req.deadline.has_value()
            ? *req.deadline
            : Deadline::In(
                  req.budget > absl::ZeroDuration() ? req.budget : cs.config.default_budget, clk);
    OverloadController::InFlightToken token = cs.overload->Enter();
    const ShedPlan plan = cs.overload->Plan();
    RequestBudget budget(*cs.budgets, deadline);

    resp = Response();
    resp.request_id = req.request_id.empty()
                          ? absl::StrCat(c.snapshot->version, "-", counters.requests.load())
                          : req.request_id;
    resp.surface = cs.config.name;
    resp.snapshot_version = c.snapshot->version;
    resp.quality = plan.quality;
    resp.keepalive = compiled;

    Scratch& s = ThreadScratch();
    uint32_t duplicates = 0;
    const uint32_t unknown = ResolveItems(cat, req, s, &duplicates);
    resp.unknown_items = unknown;
    if (unknown > 0) counters.unknown_items.fetch_add(unknown, std::memory_order_relaxed);
    if (duplicates > 0) counters.duplicate_items.fetch_add(duplicates, std::memory_order_relaxed);

    // Route: experiments, then the cold-start tier from the user's history.
    if (c.router.has_value()) {
      const std::string& unit = !req.user_id.empty() ? req.user_id : req.session_id;
      if (!unit.empty()) {
        c.router->Assign(unit, cs.config.name, &s.assignments);
        for (const routing::Assignment& a : s.assignments) {
          resp.experiments.push_back({std::string(a.layer), std::string(a.experiment),
                                      std::string(a.variant), a.in_experiment});
        }
      }
    }
    const bool had_signal =
        !s.seeds.empty() || !req.user_vector.empty() || !req.search_candidates.empty();
    const uint32_t interactions = HistorySeeds(*c.live, req, s);
    const routing::ColdStartDecision decision = c.cold_start.Decide(req.user_id, interactions);
    resp.tier = decision.tier;

    FallbackCursor cursor(cs.ladder);
    const SurfaceSwitches sw =
        cs.switch_index >= 0 ? switches_->Get(cs.switch_index) : SurfaceSwitches();
    // The tier's start level, unless the request itself carries a signal
    // (a product page's item, a cart, a vector: item-to-item needs no history).
    if (!had_signal && decision.start_level != routing::FallbackLevel::kPersonalized) {
      cursor.SkipTo(static_cast<FallbackLevel>(decision.start_level), FallbackReason::kNone);
      resp.fallback_detail =
          absl::StrCat("cold-start tier ", routing::ColdStartTierName(decision.tier), " starts at ",
                       FallbackLevelName(cursor.level()));
    }

    std::vector<Candidate>& list = s.list;
    LevelOutcome out;
    // Set when a level served in spite of a failure (last known good).
    FallbackReason served_despite = FallbackReason::kNone;
    for (;;) {
      const FallbackLevel level = cursor.level();
      out = LevelOutcome();
      switch (level) {
        case FallbackLevel::kPersonalized:
          if (!sw.personalization()) {
            out = {false, FallbackReason::kSwitchedOff, "personalization switched off"};
          } else if (plan.cache_only) {
            out = {false, FallbackReason::kOverload, "overload: personalization shed"};
          } else {
            out = ServePersonalized(c, cs, sw, req, s, k, budget, plan, resp, list);
            if (!out.served && out.why == FallbackReason::kBreakerOpen) {
              auto hit = lkg->Get(absl::StrCat(cs.config.name, "\x1f", req.user_id));
              if (hit) {
                list.assign(hit.value->begin(), hit.value->end());
                RunFilters(cs, s, list);
                if (!list.empty()) {
                  out.served = true;
                  out.reason = "last_known_good";
                  served_despite = FallbackReason::kBreakerOpen;
                  absl::StrAppend(&resp.fallback_detail, out.detail, "; served last known good");
                }
              }
            } else if (out.served && cs.ranker_is_host && !req.user_id.empty()) {
              lkg->Put(absl::StrCat(cs.config.name, "\x1f", req.user_id), LkgList(list));
            }
          }
          break;
        case FallbackLevel::kSegment: {
          if (req.segment == 0) {
            out = {false, FallbackReason::kEmptyStage, "request has no segment"};
            break;
          }
          retrieval::RetrievalQuery q;
          q.segment = req.segment;
          q.seeds = s.seeds;
          q.exclude = s.bought;
          q.deadline = deadline;
          out = ServeSimple(c, cs, sw, s, k, q, nullptr, "segment_popular", list);
          break;
        }
        case FallbackLevel::kCategoryPopular: {
          s.categories.clear();
          for (ItemIndex i : s.seeds) {
            const CategoryIndex cat_i = cat.category(i);
            if (std::find(s.categories.begin(), s.categories.end(), cat_i) == s.categories.end()) {
              s.categories.push_back(cat_i);
            }
          }
          for (const auto& [key, value] : req.context) {
            if (key != "category") continue;
            if (auto ci = cat.categories().Find(value); ci.ok()) s.categories.push_back(*ci);
          }
          if (s.categories.empty()) {
            out = {false, FallbackReason::kEmptyStage, "no category in the request"};
            break;
          }
          retrieval::RetrievalQuery q;
          q.categories = s.categories;
          q.seeds = s.seeds;
          q.exclude = s.bought;
          q.deadline = deadline;
          out = ServeSimple(c, cs, sw, s, k, q, nullptr, "category_popular", list);
          break;
        }
        case FallbackLevel::kGlobalPopular: {
          retrieval::RetrievalQuery q;
          q.seeds = s.seeds;
          q.exclude = s.bought;
          q.deadline = deadline;
          out = ServeSimple(c, cs, sw, s, k, q, nullptr, "popular", list);
          break;
        }
        case FallbackLevel::kCampaign:
          if (cs.campaign_items.empty()) {
            out = {false, FallbackReason::kEmptyStage, "no curated set"};
          } else {
            retrieval::RetrievalQuery q;
            out = ServeSimple(c, cs, sw, s, k, q, &cs.campaign_items, "campaign", list);
          }
          break;
        case FallbackLevel::kLexical: {
          list.clear();
          float score = 1.0f;
          for (ItemIndex i : s.search) {
            list.push_back({i, score, SourceBit(0)});
            score *= 0.999f;
          }
          RunFilters(cs, s, list);
          if (list.size() > k) list.resize(k);
          out = list.empty() ? LevelOutcome{false, FallbackReason::kEmptyStage, "no items"}
                             : LevelOutcome{true, FallbackReason::kNone, "", "lexical"};
          break;
        }
      }
      if (out.served) break;
      if (!resp.fallback_detail.empty()) absl::StrAppend(&resp.fallback_detail, "; ");
      absl::StrAppend(&resp.fallback_detail, FallbackLevelName(level), ": ", out.detail);
      if (!cursor.StepDown(out.why)) break;
    }

    resp.fallback_level = cursor.level();
    resp.fallback_reason =
        cursor.reason() != FallbackReason::kNone ? cursor.reason() : served_despite;
    if (out.served) {
      const bool explored = cs.exploration.has_value();
      resp.items.reserve(list.size());
      for (const Candidate& cand : list) {
        ResponseItem item;
        item.index = cand.item;
        item.id = cat.id(cand.item);
        item.score = cand.score;
        item.sources = cand.sources;
        item.reason =
            explored && (cand.sources & SourceBit(cs.explore_bit)) ? "exploration" : out.reason;
        resp.items.push_back(item);
      }
    } else {
      counters.empty.fetch_add(1, std::memory_order_relaxed);
    }
    if (resp.fallback_level == FallbackLevel::kPersonalized &&
        cs.config.kind == SurfaceKind::kSearchRerank) {
      resp.source_names.push_back("query");
    } else if (resp.fallback_level == FallbackLevel::kPersonalized) {
      resp.source_names.assign(cs.source_names.begin(), cs.source_names.end());
      if (cs.exploration.has_value()) resp.source_names.push_back("exploration");
    } else {
      resp.source_names.push_back(FallbackLevelName(resp.fallback_level));
    }
    for (int st = 0; st < kNumStages; ++st) {
      resp.stage_latency[st] = budget.elapsed(static_cast<Stage>(st));
    }
    counters.by_level[static_cast<int>(resp.fallback_level)].fetch_add(1,
                                                                       std::memory_order_relaxed);
    counters.by_reason[static_cast<int>(resp.fallback_reason)].fetch_add(1,
                                                                         std::memory_order_relaxed);
    resp.total_latency = token.Complete();
    return absl::OkStatus();
  }

  absl::StatusOr<FeatureMatrix> AssembleFeatures(const Request& req,
                                                 absl::Span<const std::string> item_ids) const {
    std::shared_ptr<const Compiled> compiled = Current();
    const Compiled& c = *compiled;
    auto sit = c.surfaces.find(req.surface);
    if (sit == c.surfaces.end()) {
      return absl::NotFoundError(absl::StrCat("unknown surface '", req.surface, "'"));
    }
    const CompiledSurface& cs = *sit->second;
    const catalog::Catalog& cat = *c.live->catalog;
    Scratch& s = ThreadScratch();
    uint32_t duplicates = 0;
    ResolveItems(cat, req, s, &duplicates);
    AISLE_RETURN_IF_ERROR(CheckRequest(req, *c.live));
    HistorySeeds(*c.live, req, s);
    const SurfaceSwitches sw =
        cs.switch_index >= 0 ? switches_->Get(cs.switch_index) : SurfaceSwitches();
    const Deadline no_deadline;
    AISLE_RETURN_IF_ERROR(RetrieveCandidates(cs, sw, req, cat, s, ShedPlan(), no_deadline));
    absl::flat_hash_map<ItemIndex, size_t> row_of;
    for (size_t r = 0; r < s.merged.candidates.size(); ++r) {
      row_of.emplace(s.merged.candidates[r].item, r);
    }
    std::vector<Candidate> list;
    for (const std::string& id : item_ids) {
      const ItemIndex i = cat.FindOrInvalid(id);
      if (i == kInvalidItem) {
        return absl::NotFoundError(
            absl::StrCat("item '", id, "' is not in snapshot '", c.snapshot->version, "'"));
      }
      auto it = row_of.find(i);
      if (it == row_of.end()) {
        list.push_back({i, -1.0f, 0});
      } else {
        list.push_back({i, float(it->second), s.merged.candidates[it->second].sources});
      }
    }
    features::FreshnessReport report;
    AISLE_ASSIGN_OR_RETURN(MatrixView m, AssembleRows(c, cs, req, s, list, no_deadline, &report));
    FeatureMatrix out;
    const auto names = c.assembler->schema().names();
    out.feature_names.assign(names.begin(), names.end());
    out.item_ids.assign(item_ids.begin(), item_ids.end());
    out.rows = m.rows;
    out.cols = m.cols;
    out.values.assign(m.data, m.data + m.rows * m.cols);
    out.retrieved.resize(list.size());
    for (size_t r = 0; r < list.size(); ++r) out.retrieved[r] = list[r].score >= 0;
    return out;
  }

  absl::StatusOr<ItemIndex> EventItem(const Compiled& c, absl::string_view item_id) const {
    const ItemIndex i = c.live->catalog->FindOrInvalid(item_id);
    if (i == kInvalidItem) {
      counters.events_rejected.fetch_add(1, std::memory_order_relaxed);
      return absl::NotFoundError(absl::StrCat("event for unknown item '", item_id, "'"));
    }
    return i;
  }

  // Counts an inventory update and names the item by the caller's id.
  absl::Status CountStock(absl::string_view item_id, absl::Status st) const {
    (st.ok() ? counters.events_applied : counters.events_rejected)
        .fetch_add(1, std::memory_order_relaxed);
    if (st.ok()) return st;
    return absl::Status(st.code(), absl::StrCat("stock of item '", item_id, "': ", st.message()));
  }

  void UpdateHistory(LiveState& live, features::OnlineFeatureStore& store, absl::string_view key,
                     ItemIndex item, bool purchase, absl::Time at) {
    if (key.empty()) return;
    const uint64_t k = features::OnlineFeatureStore::KeyOf(key);
    std::vector<float> row(store.width(), std::numeric_limits<float>::quiet_NaN());
    std::vector<int64_t> stamps(store.width());
    absl::MutexLock l(&live.history_mu);
    const bool had = store.Read(k, absl::MakeSpan(row), absl::MakeSpan(stamps));
    const auto count = [&](size_t col) { return had && std::isfinite(row[col]) ? row[col] : 0.0f; };
    std::vector<features::FeatureUpdate> updates;
    updates.push_back({0, count(0) + 1.0f});
    if (purchase) updates.push_back({1, count(1) + 1.0f});
    // Shift the history right and put the new item first (no duplicates).
    std::vector<float> hist;
    hist.push_back(static_cast<float>(item));
    for (uint32_t h = 0; h < live.history_length && had; ++h) {
      const float v = row[internal::kHistoryColumnsStart + h];
      if (std::isfinite(v) && v != float(item)) hist.push_back(v);
    }
    for (uint32_t h = 0; h < live.history_length && h < hist.size(); ++h) {
      updates.push_back({internal::kHistoryColumnsStart + h, hist[h]});
    }
    // Cannot fail: the ids and the time were checked by ApplyInteraction and
    // the values are finite.
    (void)store.Update(key, updates, at);
  }
};

// ---------------------------------------------------------------- Engine

namespace {

// Every bound of EngineOptions, checked before anything is allocated or
// started, naming the option, its value and the accepted range.
absl::Status ValidateOptions(const EngineOptions& o) {
  if (o.history_length > kMaxHistoryLength) {
    return absl::InvalidArgumentError(absl::StrCat("EngineOptions.history_length = ",
                                                   o.history_length, " is outside [0, ",
                                                   kMaxHistoryLength, "]"));
  }
  if (o.num_segments > kMaxSegments) {
    return absl::InvalidArgumentError(absl::StrCat("EngineOptions.num_segments = ", o.num_segments,
                                                   " is outside [0, ", kMaxSegments, "]"));
  }
  IsolatedRunnerOptions iso;
  iso.threads = o.isolation_threads;
  iso.max_outstanding = o.isolation_max_outstanding;
  if (absl::Status st = IsolatedRunner::Validate(iso); !st.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("EngineOptions: ", st.message()));
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

Engine::Engine(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Engine::~Engine() = default;

absl::StatusOr<std::unique_ptr<Engine>> Engine::Create(std::shared_ptr<const Snapshot> snapshot,
                                                       EngineOptions options) {
  if (options.clock == nullptr) return absl::InvalidArgumentError("EngineOptions.clock is null");
  if (snapshot == nullptr) return absl::InvalidArgumentError("snapshot is null");
  AISLE_RETURN_IF_ERROR(ValidateOptions(options));
  auto impl = std::make_unique<Impl>(std::move(options));
  RuntimeSwitchesOptions so;
  for (const SurfaceConfig& s : snapshot->pipeline.surfaces) {
    if (std::find(so.surfaces.begin(), so.surfaces.end(), s.name) == so.surfaces.end()) {
      so.surfaces.push_back(s.name);
    }
    for (const SourceConfig& src : s.sources) {
      if (std::find(so.sources.begin(), so.sources.end(), src.name) == so.sources.end()) {
        so.sources.push_back(src.name);
      }
    }
  }
  for (const auto& s : impl->options.extra_surfaces) so.surfaces.push_back(s);
  for (const auto& s : impl->options.extra_sources) so.sources.push_back(s);
  AISLE_ASSIGN_OR_RETURN(impl->switches_, RuntimeSwitches::Create(std::move(so), impl->clk));
  AISLE_RETURN_IF_ERROR(impl->Install(std::move(snapshot)));
  return std::unique_ptr<Engine>(new Engine(std::move(impl)));
}

absl::StatusOr<Response> Engine::Recommend(const Request& request) const {
  Response r;
  AISLE_RETURN_IF_ERROR(impl_->Recommend(request, r));
  return r;
}

absl::StatusOr<FeatureMatrix> Engine::AssembleFeatures(
    const Request& request, absl::Span<const std::string> item_ids) const {
  return impl_->AssembleFeatures(request, item_ids);
}

absl::Status Engine::Swap(std::shared_ptr<const Snapshot> next) {
  return impl_->Install(std::move(next));
}

std::string Engine::snapshot_version() const { return impl_->Current()->snapshot->version; }

absl::Status Engine::ApplyInteraction(absl::string_view user_id, absl::string_view session_id,
                                      absl::string_view item_id, retrieval::InteractionType type,
                                      absl::Time at, uint32_t segment) {
  Impl::Counters& n = impl_->counters;
  std::shared_ptr<const Compiled> c = impl_->Current();
  AISLE_ASSIGN_OR_RETURN(ItemIndex item, impl_->EventItem(*c, item_id));
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
  if (segment > segments) {
    return reject(absl::InvalidArgumentError(absl::StrCat(
        "segment ", segment, " is outside [0, ", segments, "] (EngineOptions::num_segments)")));
  }
  if (absl::Status st = CheckOptionalId(user_id, "user_id"); !st.ok()) return reject(st);
  if (absl::Status st = CheckOptionalId(session_id, "session_id"); !st.ok()) return reject(st);
  const absl::Time now = impl_->clk.Now();
  if (at == absl::InfinitePast()) {
    at = now;
    n.time_missing.fetch_add(1, std::memory_order_relaxed);
  } else {
    const absl::Time given = at;
    const TimeVerdict v = PlaceInWindow(impl_->options.event_time, now, &at);
    n.time_verdicts[static_cast<int>(v)].fetch_add(1, std::memory_order_relaxed);
    if (IsRejected(v)) {
      if (v == TimeVerdict::kInvalid) return reject(CheckTime(given, "time"));
      const EventTimeWindow& w = impl_->options.event_time;
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
  impl_->UpdateHistory(live, *live.users, user_id, item, purchase, at);
  impl_->UpdateHistory(live, *live.sessions, session_id, item, purchase, at);
  n.events_applied.fetch_add(1, std::memory_order_relaxed);
  const size_t every = impl_->options.publish_every;
  if (every > 0 && live.unpublished.fetch_add(1, std::memory_order_relaxed) + 1 >= every) {
    live.unpublished.store(0, std::memory_order_relaxed);
    live.covisitation->Publish();
    live.popularity->Publish();
  }
  return absl::OkStatus();
}

absl::Status Engine::SetStock(absl::string_view item_id, int32_t stock) {
  std::shared_ptr<const Compiled> c = impl_->Current();
  AISLE_ASSIGN_OR_RETURN(ItemIndex item, impl_->EventItem(*c, item_id));
  return impl_->CountStock(item_id, c->live->inventory->SetStock(item, stock));
}

absl::Status Engine::AddStock(absl::string_view item_id, int32_t delta) {
  std::shared_ptr<const Compiled> c = impl_->Current();
  AISLE_ASSIGN_OR_RETURN(ItemIndex item, impl_->EventItem(*c, item_id));
  return impl_->CountStock(item_id, c->live->inventory->AddStock(item, delta));
}

void Engine::PublishLiveState() {
  std::shared_ptr<const Compiled> c = impl_->Current();
  c->live->covisitation->Publish();
  c->live->popularity->Publish();
}

absl::Status Engine::RegisterScorer(absl::string_view name, HostScorer scorer,
                                    CircuitBreakerOptions breaker) {
  if (name.empty()) return absl::InvalidArgumentError("scorer name is empty");
  if (!scorer) return absl::InvalidArgumentError(absl::StrCat("scorer '", name, "' is empty"));
  AISLE_RETURN_IF_ERROR(CircuitBreaker::Validate(breaker));
  if (breaker.name == "breaker") breaker.name = std::string(name);
  auto b = std::make_shared<CircuitBreaker>(breaker, impl_->clk);
  auto r = std::make_shared<HostScorerRanker>(std::string(name), std::move(scorer), std::move(b),
                                              impl_->clk);
  absl::MutexLock l(&impl_->registry_mu);
  if (!impl_->host_rankers.emplace(std::string(name), std::move(r)).second) {
    return absl::AlreadyExistsError(absl::StrCat("scorer '", name, "' is already registered"));
  }
  return absl::OkStatus();
}

const CircuitBreaker* Engine::scorer_breaker(absl::string_view name) const {
  absl::MutexLock l(&impl_->registry_mu);
  auto it = impl_->host_rankers.find(name);
  return it == impl_->host_rankers.end() ? nullptr : it->second->breaker();
}

RuntimeSwitches& Engine::switches() { return *impl_->switches_; }
const RuntimeSwitches& Engine::switches() const { return *impl_->switches_; }

EngineMetrics Engine::metrics() const {
  const auto& c = impl_->counters;
  EngineMetrics m;
  m.requests = c.requests.load(std::memory_order_relaxed);
  m.errors = c.errors.load(std::memory_order_relaxed);
  m.empty_responses = c.empty.load(std::memory_order_relaxed);
  for (int i = 0; i < kNumFallbackLevels; ++i) m.served_by_level[i] = c.by_level[i].load();
  for (int i = 0; i < kNumFallbackReasons; ++i) m.fallback_reasons[i] = c.by_reason[i].load();
  m.unknown_items = c.unknown_items.load(std::memory_order_relaxed);
  m.events_applied = c.events_applied.load(std::memory_order_relaxed);
  m.events_rejected = c.events_rejected.load(std::memory_order_relaxed);
  m.swaps = c.swaps.load(std::memory_order_relaxed);
  m.swaps_rejected = c.swaps_rejected.load(std::memory_order_relaxed);
  const auto verdict = [&c](TimeVerdict v) {
    return c.time_verdicts[static_cast<int>(v)].load(std::memory_order_relaxed);
  };
  m.events_clamped_old = verdict(TimeVerdict::kClampedOld);
  m.events_clamped_new = verdict(TimeVerdict::kClampedNew);
  m.events_rejected_old = verdict(TimeVerdict::kRejectedOld);
  m.events_rejected_new = verdict(TimeVerdict::kRejectedNew);
  m.events_rejected_time = verdict(TimeVerdict::kInvalid);
  m.events_time_missing = c.time_missing.load(std::memory_order_relaxed);
  m.duplicate_request_items = c.duplicate_items.load(std::memory_order_relaxed);
  {
    absl::MutexLock l(&impl_->registry_mu);
    if (impl_->isolation != nullptr) {
      const IsolatedRunnerMetrics im = impl_->isolation->metrics();
      m.isolated_calls = im.calls;
      m.isolated_timeouts = im.timed_out;
      m.isolated_rejected = im.rejected;
      m.isolated_outstanding = im.outstanding;
    }
  }
  return m;
}

double Engine::quality(absl::string_view surface) const {
  absl::MutexLock l(&impl_->registry_mu);
  auto it = impl_->overload.find(surface);
  return it == impl_->overload.end() ? 1.0 : it->second->quality();
}

}  // namespace aisle::serving
