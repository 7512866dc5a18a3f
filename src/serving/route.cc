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
  const uint32_t session = ReadHistory(live, *live.sessions, st.req.session_id, s,
                                       s.seeds.empty() ? &s.seeds : nullptr);
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
  plan.requested = &requested;
  plan.surface = &requested;
  plan.shed = shed;

  // Experiments: the unit's variant per layer.
  const CompiledSurface* variant_pipeline = nullptr;
  std::shared_ptr<const ranking::Ranker> variant_ranker;
  if (c.router.has_value()) {
    const std::string& unit = !req.user_id.empty() ? req.user_id : req.session_id;
    if (!unit.empty()) {
      c.router->Assign(unit, requested.config.name, &s.assignments);
      for (const routing::Assignment& a : s.assignments) {
        resp.experiments.push_back({std::string(a.layer), std::string(a.experiment),
                                    std::string(a.variant), a.in_experiment, a.forced});
        if (!a.in_experiment) continue;
        for (const routing::Param& p : a.params) {
          if (p.key == "ranker") {
            auto it = c.models.find(p.value);
            if (it != c.models.end()) variant_ranker = it->second;
          } else if (p.key == "pipeline") {
            auto it = c.surfaces.find(p.value);
            if (it != c.surfaces.end()) variant_pipeline = it->second.get();
          }
          resp.params.emplace_back(std::string(p.key), std::string(p.value));
        }
      }
    }
  }

  // Cold start: the tier, and the pipeline and start level it is served by.
  const bool had_signal =
      !s.seeds.empty() || !req.user_vector.empty() || !req.search_candidates.empty();
  DecideTier(st, requested);
  const TierRoute& tier = requested.tiers[static_cast<size_t>(plan.tier)];
  if (tier.pipeline != nullptr) plan.surface = tier.pipeline;
  if (variant_pipeline != nullptr) plan.surface = variant_pipeline;
  if (!had_signal) plan.start_level = tier.start_level;

  // What the serving pipeline runs with.
  const CompiledSurface& cs = *plan.surface;
  const bool cheaper = shed.cheaper_ranker && cs.cheaper_ranker != nullptr;
  plan.ranker = cheaper ? cs.cheaper_ranker : cs.ranker;
  plan.ranker_is_host = !cheaper && cs.ranker_is_host;
  if (variant_ranker != nullptr && !cheaper) {
    plan.ranker = std::move(variant_ranker);
    plan.ranker_is_host = false;
  }
  plan.quotas.resize(cs.config.sources.size());
  plan.efs.resize(cs.config.sources.size());
  for (size_t i = 0; i < cs.config.sources.size(); ++i) {
    plan.quotas[i] = shed.ScaleQuota(cs.config.sources[i].quota);
    plan.efs[i] = 0;
  }
  plan.mmr = cs.mmr.has_value() ? &*cs.mmr : nullptr;
  plan.budget = req.budget > absl::ZeroDuration() ? req.budget : cs.config.default_budget;
  for (const auto& shadow : cs.shadows) plan.shadows.push_back(shadow);

  resp.tier = plan.tier;
  resp.tier_reason = plan.tier_reason;
  resp.pipeline = cs.config.name;
}

}  // namespace aisle::serving::internal
