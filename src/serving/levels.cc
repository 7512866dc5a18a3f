#include "serving/levels.h"

#include <algorithm>
#include <array>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "aisle/policy/filter.h"
#include "serving/engine_core.h"
#include "serving/stages.h"

namespace aisle::serving::internal {
namespace {

LevelOutcome FromStage(const StageFailure& f) { return {false, f.reason, f.detail}; }

size_t RunFilters(RequestState& st, std::vector<Candidate>& list) {
  Scratch& s = st.scratch;
  policy::FilterContext ctx;
  ctx.bought = s.bought;
  ctx.cart = s.cart;
  ctx.seeds = s.seeds;
  return st.plan.surface->filters.Run(ctx, list);
}

// Rules (skipped when out of time) and pins (always), then the first k: what
// every non-personalized level does to its list.
void RulesAndPins(RequestState& st) {
  RulesStage rules;
  (void)RunStage(rules, st);
  PinsStage pins;
  (void)RunStage(pins, st);
}

std::string LkgKey(const RequestState& st) {
  return absl::StrCat(st.plan.requested->config.name, "\x1f", st.req.user_id);
}

// ------------------------------------------------------------------ personalized

class PersonalizedLevel final : public LevelServer {
 public:
  LevelOutcome Serve(RequestState& st) const override {
    if (!st.switches.personalization()) {
      return {false, FallbackReason::kSwitchedOff, "personalization switched off"};
    }
    if (st.plan.shed.cache_only) {
      return {false, FallbackReason::kOverload, "overload: personalization shed"};
    }
    LevelOutcome out = RunStages(st);
    if (!out.served && out.why == FallbackReason::kBreakerOpen) {
      ServeLastKnownGood(st, out);
    } else if (out.served && st.plan.ranker_is_host && !st.req.user_id.empty()) {
      st.engine.lkg().Put(LkgKey(st), LkgEntry{st.compiled.live->id, st.scratch.list});
    }
    return out;
  }

 private:
  // The typed stages, in the framework's order.
  static LevelOutcome RunStages(RequestState& st) {
    Scratch& s = st.scratch;
    const Plan& plan = st.plan;
    const bool search = plan.surface->config.kind == SurfaceKind::kSearchRerank;
    RetrieveStage retrieve;
    if (StageResult f = RunStage(retrieve, st)) return FromStage(*f);
    FilterStage filter;
    if (StageResult f = RunStage(filter, st)) return FromStage(*f);
    if (plan.ranker != nullptr) {
      FeaturesStage features;
      if (StageResult f = RunStage(features, st)) return FromStage(*f);
      RankStage rank(features.matrix);
      if (StageResult f = RunStage(rank, st)) return FromStage(*f);
      if (!plan.shadows.empty()) {
        // Shadows score the very rows the ranker scored, off the response
        // path; starting them (a copy) is the response's only cost.
        st.budget->Begin(Stage::kRespond);
        st.engine.StartShadows(st, features.matrix, s.list);
        st.budget->End(Stage::kRespond);
      }
    }
    if (search) {
      // Stable: equal scores keep the lexical order.
      std::stable_sort(s.list.begin(), s.list.end(),
                       [](const Candidate& a, const Candidate& b) { return a.score > b.score; });
    } else {
      std::sort(s.list.begin(), s.list.end(), ByScoreDesc());
    }
    RulesStage rules;
    (void)RunStage(rules, st);
    if (!search) {
      DiversifyStage diversify;
      (void)RunStage(diversify, st);
      ExploreStage explore;
      (void)RunStage(explore, st);
    }
    PinsStage pins;
    (void)RunStage(pins, st);
    if (s.list.empty()) return {false, FallbackReason::kEmptyStage, "pins: no items left"};
    return {true, FallbackReason::kNone, "", search ? "reranked" : "ranked"};
  }

  // While a host scorer's breaker is open: the user's last good list, if it
  // was made for the catalog now served, filtered again, pinned, cut to k.
  static void ServeLastKnownGood(RequestState& st, LevelOutcome& out) {
    auto hit = st.engine.lkg().Get(LkgKey(st));
    if (!hit || hit.value->live_id != st.compiled.live->id) return;
    std::vector<Candidate>& list = st.scratch.list;
    list.assign(hit.value->list.begin(), hit.value->list.end());
    RunFilters(st, list);
    PinsStage pins;
    (void)RunStage(pins, st);
    if (list.empty()) return;
    out.served = true;
    out.reason = "last_known_good";
    st.served_despite = FallbackReason::kBreakerOpen;
    absl::StrAppend(&st.response.fallback_detail, out.detail, "; served last known good");
  }
};

// ------------------------------------------------------------------ popular

// Popularity in a scope: candidates from the surface's popularity source,
// filtered, reading deeper while filters (a sold-out best seller, say) leave
// fewer than k: 4k+16, then doubling, up to 4096 items.
LevelOutcome ServePopular(RequestState& st, const retrieval::RetrievalQuery& q,
                          absl::string_view reason) {
  const CompiledSurface& cs = *st.plan.surface;
  RequestBudget& budget = *st.budget;
  std::vector<Candidate>& list = st.scratch.list;
  size_t want = std::min<size_t>(cs.config.max_candidates, st.k * 4 + 16);
  for (;;) {
    list.clear();
    budget.Begin(Stage::kRetrieve);
    absl::Status status = cs.popular->Retrieve(q, want, 0, list);
    budget.End(Stage::kRetrieve);
    if (!status.ok()) return {false, FallbackReason::kError, std::string(status.message())};
    const size_t got = list.size();
    budget.Begin(Stage::kFilter);
    RunFilters(st, list);
    budget.End(Stage::kFilter);
    if (list.size() >= st.k || got < want || want >= 4096 || q.deadline.Expired()) break;
    want *= 2;
  }
  if (list.empty()) {
    if (q.deadline.Expired()) {
      return {false, FallbackReason::kDeadline, "deadline passed before any item"};
    }
    return {false, FallbackReason::kEmptyStage, "no items left after filters"};
  }
  RulesAndPins(st);
  return {true, FallbackReason::kNone, "", reason};
}

retrieval::RetrievalQuery PopularQuery(const RequestState& st) {
  retrieval::RetrievalQuery q;
  q.seeds = st.scratch.seeds;
  q.exclude = st.scratch.bought;
  q.deadline = st.deadline;
  q.filter = st.plan.surface->allowed.get();
  return q;
}

class SegmentLevel final : public LevelServer {
 public:
  LevelOutcome Serve(RequestState& st) const override {
    const uint32_t segment = st.req.segment != 0 ? st.req.segment : st.plan.segment;
    if (segment == 0) return {false, FallbackReason::kEmptyStage, "request has no segment"};
    retrieval::RetrievalQuery q = PopularQuery(st);
    q.segment = segment;
    return ServePopular(st, q, "segment_popular");
  }
};

class CategoryPopularLevel final : public LevelServer {
 public:
  LevelOutcome Serve(RequestState& st) const override {
    Scratch& s = st.scratch;
    const catalog::Catalog& cat = st.catalog;
    s.categories.clear();
    for (ItemIndex i : s.seeds) {
      const CategoryIndex c = cat.category(i);
      if (std::find(s.categories.begin(), s.categories.end(), c) == s.categories.end()) {
        s.categories.push_back(c);
      }
    }
    for (const auto& [key, value] : st.req.context) {
      if (key != "category") continue;
      auto c = cat.categories().Find(value);
      if (c.ok() && std::find(s.categories.begin(), s.categories.end(), *c) == s.categories.end()) {
        s.categories.push_back(*c);
      }
    }
    if (s.categories.empty()) {
      return {false, FallbackReason::kEmptyStage, "no category in the request"};
    }
    retrieval::RetrievalQuery q = PopularQuery(st);
    q.categories = s.categories;
    return ServePopular(st, q, "category_popular");
  }
};

class GlobalPopularLevel final : public LevelServer {
 public:
  LevelOutcome Serve(RequestState& st) const override {
    return ServePopular(st, PopularQuery(st), "popular");
  }
};

// ------------------------------------------------------------------ curated

class CampaignLevel final : public LevelServer {
 public:
  LevelOutcome Serve(RequestState& st) const override {
    const CompiledSurface& cs = *st.plan.surface;
    if (cs.campaign_items.empty()) return {false, FallbackReason::kEmptyStage, "no curated set"};
    std::vector<Candidate>& list = st.scratch.list;
    list.assign(cs.campaign_items.begin(), cs.campaign_items.end());
    st.budget->Begin(Stage::kFilter);
    RunFilters(st, list);
    st.budget->End(Stage::kFilter);
    if (list.empty()) return {false, FallbackReason::kEmptyStage, "no items left after filters"};
    RulesAndPins(st);
    return {true, FallbackReason::kNone, "", "campaign"};
  }
};

class LexicalLevel final : public LevelServer {
 public:
  LevelOutcome Serve(RequestState& st) const override {
    std::vector<Candidate>& list = st.scratch.list;
    list.clear();
    float score = 1.0f;
    for (ItemIndex i : st.scratch.search) {
      list.push_back({i, score, SourceBit(0)});
      score *= 0.999f;
    }
    st.budget->Begin(Stage::kFilter);
    RunFilters(st, list);
    st.budget->End(Stage::kFilter);
    if (list.size() > st.k) list.resize(st.k);
    if (list.empty()) return {false, FallbackReason::kEmptyStage, "no items"};
    return {true, FallbackReason::kNone, "", "lexical"};
  }
};

}  // namespace

const LevelServer& LevelServerFor(FallbackLevel level) {
  static const PersonalizedLevel personalized;
  static const SegmentLevel segment;
  static const CategoryPopularLevel category;
  static const GlobalPopularLevel global;
  static const CampaignLevel campaign;
  static const LexicalLevel lexical;
  static const std::array<const LevelServer*, kNumFallbackLevels> table = {
      &personalized, &segment, &category, &global, &campaign, &lexical};
  const int i = static_cast<int>(level);
  return *table[i < kNumFallbackLevels ? i : static_cast<int>(FallbackLevel::kGlobalPopular)];
}

}  // namespace aisle::serving::internal
