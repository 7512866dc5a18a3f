#include "serving/route.h"

#include <algorithm>
#include <cmath>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "aisle/features/online_feature_store.h"
#include "serving/engine_core.h"
#include "serving/host_scorer.h"

namespace aisle::serving::internal {
namespace {

void NextStamp(const catalog::Catalog& cat, Scratch& s) {
  if (s.seen.size() != cat.size() || ++s.stamp == 0) {
    s.seen.assign(cat.size(), 0);
    s.stamp = 1;
  }
}

// `ids` into `out`, in order, each item once: unknown ids counted in
// *unknown, repeats in *duplicates. s.seen marks items with s.stamp (no
// allocation once sized to the catalog).
void Resolve(const catalog::Catalog& cat, const std::vector<std::string>& ids, Scratch& s,
             std::vector<ItemIndex>& out, uint32_t* unknown, uint32_t* duplicates) {
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

// Reads a user's or session's row of the history store: appends its recent
// items to *seeds (when given) and returns its interaction count.
uint32_t ReadHistory(const LiveState& live, const features::OnlineFeatureStore& store,
                     absl::string_view key, Scratch& s, std::vector<ItemIndex>* seeds) {
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
      const float v = s.history[kHistoryColumnsStart + h];
      if (!std::isfinite(v) || v < 0 || v >= float(live.catalog->size())) break;
      seeds->push_back(static_cast<ItemIndex>(v));
    }
  }
  return std::isfinite(count) && count > 0 ? static_cast<uint32_t>(count) : 0;
}

// The tier of the request from the history the engine has seen for its user,
// else its session (an anonymous session is promoted as its events arrive),
// with why; without seeds of its own, the request's seeds become that
// history's recent items.
void DecideTier(RequestState& st, const CompiledSurface& requested) {
  Scratch& s = st.scratch;
  const LiveState& live = *st.compiled.live;
  const uint32_t user =
      ReadHistory(live, *live.users, st.req.user_id, s, s.seeds.empty() ? &s.seeds : nullptr);
  const uint32_t session =
      ReadHistory(live, *live.sessions, st.req.session_id, s, s.seeds.empty() ? &s.seeds : nullptr);
  const bool by_user = user >= session;
  const uint32_t interactions = std::max(user, session);
  const bool has_unit = !st.req.user_id.empty() || !st.req.session_id.empty();
  Plan& plan = st.plan;
  plan.tier = requested.classifier.ClassifyByPresence(has_unit, interactions);
  if (interactions == 0) {
    plan.tier_reason = has_unit ? "no history" : "no user or session id";
  } else {
    plan.tier_reason = absl::StrCat(by_user ? "user" : "session", " has ", interactions,
                                    interactions == 1 ? " interaction" : " interactions");
  }
}

// A session's context segment is remembered in its row of the session
// store, so that the session's events (which carry no context) count in the
// segment its requests are served from. Written only when it changes.
void RememberSessionSegment(RequestState& st, uint32_t segment) {
  if (segment == 0 || st.req.session_id.empty()) return;
  const LiveState& live = *st.compiled.live;
  Scratch& s = st.scratch;
  features::OnlineFeatureStore& sessions = *live.sessions;
  s.history.resize(sessions.width());
  s.stamps.resize(sessions.width());
  if (sessions.Read(st.req.session_id, absl::MakeSpan(s.history), absl::MakeSpan(s.stamps)) &&
      s.history[live.segment_column] == static_cast<float>(segment)) {
    return;
  }
  const features::FeatureUpdate u{live.segment_column, static_cast<float>(segment)};
  (void)sessions.Update(st.req.session_id, absl::MakeConstSpan(&u, 1), st.engine.clk().Now());
}

}  // namespace

uint32_t ResolveItems(RequestState& st, uint32_t* duplicates) {
  Scratch& s = st.scratch;
  const catalog::Catalog& cat = st.catalog;
  const Request& req = st.req;
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

void Route(RequestState& st, const CompiledSurface& requested, const ShedPlan& shed) {
  Scratch& s = st.scratch;
  const Compiled& c = st.compiled;
  const Request& req = st.req;
  Response& resp = st.response;
  Plan& plan = st.plan;
  plan = Plan();
  s.reorder.Clear();
  plan.requested = &requested;
  plan.surface = &requested;
  plan.shed = shed;

  // Experiments: the unit's variant per layer; its typed parameters were
  // parsed and their names resolved when the snapshot compiled.
  routing::MergedParams params;
  uint32_t arm = 0;
  s.assignments.clear();
  if (c.router.has_value()) {
    const std::string& unit = !req.user_id.empty() ? req.user_id : req.session_id;
    if (!unit.empty()) {
      c.router->Assign(unit, requested.config.name, &s.assignments);
      EngineCore::Counters& counters = st.engine.counters();
      for (const routing::Assignment& a : s.assignments) {
        ExperimentAssignment e;
        e.layer = std::string(a.layer);
        e.experiment = std::string(a.experiment);
        e.variant = std::string(a.variant);
        e.in_experiment = a.in_experiment;
        e.forced = a.forced;
        e.holdout = a.holdout;
        e.killed = a.killed;
        resp.experiments.push_back(std::move(e));
        plan.holdout = plan.holdout || a.holdout;
        if (a.killed) counters.killed.fetch_add(1, std::memory_order_relaxed);
        if (!a.in_experiment) continue;
        for (const routing::Param& p : a.params) {
          resp.params.emplace_back(std::string(p.key), std::string(p.value));
        }
        if (a.typed_params->exploration.has_value()) {
          arm = static_cast<uint32_t>(a.variant_index);
        }
      }
      resp.holdout = plan.holdout;
      params = routing::MergeParams(s.assignments);
    }
  }
  plan.exploration_arm = std::min<uint32_t>(arm, policy::kMaxReorderArms - 1);

  // Cold start: the tier, and the pipeline and start level it is served by.
  const bool had_signal =
      !s.seeds.empty() || !req.user_vector.empty() || !req.search_candidates.empty();
  DecideTier(st, requested);
  const TierRoute& tier = requested.tiers[static_cast<size_t>(plan.tier)];
  // A request with its own signal (a viewed item, a cart, a vector, search
  // candidates) is served by the surface's pipeline whatever its history.
  if (!had_signal && tier.pipeline != nullptr) plan.surface = tier.pipeline;
  if (params.pipeline != nullptr) plan.surface = c.surfaces.at(*params.pipeline).get();
  if (!had_signal) plan.start_level = tier.start_level;
  if (!had_signal && tier.context_segment && req.segment == 0) {
    plan.segment = c.segmenter.Decide(req.context).segment;
    RememberSessionSegment(st, plan.segment);
  }

  // What the serving pipeline runs with.
  const CompiledSurface& cs = *plan.surface;
  const bool cheaper = shed.cheaper_ranker && cs.cheaper_ranker != nullptr;
  plan.ranker = cheaper ? cs.cheaper_ranker : cs.ranker;
  plan.ranker_is_host = !cheaper && cs.ranker_is_host;
  if (params.ranker != nullptr && !cheaper) {
    plan.ranker = c.models.at(*params.ranker);
    plan.ranker_is_host = dynamic_cast<const HostScorerRanker*>(plan.ranker.get()) != nullptr;
  }
  plan.quotas.resize(cs.config.sources.size());
  plan.efs.resize(cs.config.sources.size());
  for (size_t i = 0; i < cs.config.sources.size(); ++i) {
    const SourceConfig& src = cs.config.sources[i];
    uint32_t quota = src.quota;
    size_t ef = 0;
    if (!s.assignments.empty()) {
      if (const routing::SourceOverride* o = routing::FindSourceOverride(s.assignments, src.name)) {
        if (o->quota.has_value()) quota = *o->quota;
        if (o->ef.has_value()) ef = *o->ef;
      }
    }
    plan.quotas[i] = shed.ScaleQuota(quota);
    plan.efs[i] = ef;
  }
  plan.mmr = cs.mmr.get();
  if (params.mmr_lambda.has_value()) {
    auto it = cs.mmr_variants.find(*params.mmr_lambda);
    if (it != cs.mmr_variants.end()) plan.mmr = it->second.get();
  }
  if (params.exploration.has_value()) {
    plan.exploration = params.exploration->enabled;
    if (params.exploration->share.has_value()) {
      plan.exploration_share = *params.exploration->share;
    }
  }
  plan.budget = req.budget > absl::ZeroDuration() ? req.budget
                : params.budget.has_value()       ? *params.budget
                                                  : cs.config.default_budget;
  for (const auto& shadow : cs.shadows) plan.shadows.push_back(shadow);
  for (const std::string& name : params.shadow_rankers) plan.shadows.push_back(c.models.at(name));

  resp.tier = plan.tier;
  resp.tier_reason = plan.tier_reason;
  resp.pipeline = cs.config.name;
}

}  // namespace aisle::serving::internal
