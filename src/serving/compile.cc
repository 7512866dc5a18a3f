// Compiling a Snapshot for serving: every name in the pipeline configuration
// (surface, source, model, feature, item, category, campaign set) is resolved
// here, so a bad snapshot fails its swap with a message that names the thing
// at fault, and requests never meet an unresolved name.
#include <algorithm>
#include <atomic>
#include <cmath>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "aisle/core/event_time.h"
#include "aisle/core/external_id.h"
#include "aisle/core/status_macros.h"
#include "aisle/features/item_feature_store.h"
#include "aisle/policy/exclusion_filter.h"
#include "aisle/policy/inventory_filter.h"
#include "aisle/policy/live_item_filter.h"
#include "aisle/policy/policy_filter.h"
#include "aisle/retrieval/ann_source.h"
#include "aisle/retrieval/content_source.h"
#include "aisle/retrieval/exact_index.h"
#include "aisle/retrieval/exact_source.h"
#include "serving/compiled.h"

namespace aisle::serving::internal {
namespace {

using features::FeatureGroup;

absl::Status SurfaceError(absl::string_view surface, absl::Status s) {
  return absl::Status(s.code(), absl::StrCat("surface '", surface, "': ", s.message()));
}

// Candidates launched within `window` before the clock's now, newest first:
// read from the snapshot's launch-time index at request time, so an item
// launched after the snapshot was built joins when its time comes.
class NewItemsSource final : public retrieval::CandidateSource {
 public:
  NewItemsSource(std::string name, std::shared_ptr<const policy::NewItemPool> pool,
                 absl::Duration window, const Clock& clock)
      : name_(std::move(name)), pool_(std::move(pool)), window_(window), clock_(clock) {}
  absl::string_view name() const override { return name_; }
  absl::Status Retrieve(const retrieval::RetrievalQuery& q, size_t quota, SourceId id,
                        std::vector<Candidate>& out) const override {
    thread_local std::vector<Candidate> newest;
    pool_->Collect(clock_.Now(), window_, 4096, newest, SourceBit(id));
    size_t taken = 0;
    for (const Candidate& c : newest) {
      if (taken >= quota) break;
      if (q.filter != nullptr && !q.filter->Test(c.item)) continue;
      if (std::find(q.seeds.begin(), q.seeds.end(), c.item) != q.seeds.end()) continue;
      if (std::find(q.exclude.begin(), q.exclude.end(), c.item) != q.exclude.end()) continue;
      out.push_back(c);
      ++taken;
    }
    return absl::OkStatus();
  }

 private:
  std::string name_;
  std::shared_ptr<const policy::NewItemPool> pool_;
  absl::Duration window_;
  const Clock& clock_;
};

absl::StatusOr<std::shared_ptr<const features::ItemFeatureStore>> CatalogItemFeatures(
    const catalog::Catalog& cat, absl::Time now) {
  const size_t n = cat.size();
  std::vector<float> price(n), log_price(n), age_days(n), stock(n);
  const auto launch = cat.launch_times_micros();
  const int64_t now_us = absl::ToUnixMicros(now);
  for (ItemIndex i = 0; i < n; ++i) {
    price[i] = cat.price(i);
    log_price[i] = std::log1p(std::max(0.0f, cat.price(i)));
    age_days[i] = launch[i] == catalog::Catalog::kUnknownTime
                      ? std::numeric_limits<float>::quiet_NaN()
                      : float(double(now_us - launch[i]) / 86400e6);
    stock[i] = float(cat.stock(i));
  }
  features::ItemFeatureStoreBuilder b(n, cat.ids());
  AISLE_RETURN_IF_ERROR(b.AddColumn("price", price, now));
  AISLE_RETURN_IF_ERROR(b.AddColumn("log_price", log_price, now));
  AISLE_RETURN_IF_ERROR(b.AddColumn("age_days", age_days, now));
  AISLE_RETURN_IF_ERROR(b.AddColumn("stock", stock, now));
  return std::move(b).Build();
}

bool SameItems(const catalog::Catalog& a, const catalog::Catalog& b) {
  if (a.size() != b.size()) return false;
  for (ItemIndex i = 0; i < a.size(); ++i) {
    if (a.id(i) != b.id(i)) return false;
  }
  return true;
}

absl::StatusOr<std::shared_ptr<LiveState>> MakeLiveState(const Snapshot& snap,
                                                         const features::FeatureSchema& schema,
                                                         const LiveState* previous,
                                                         CompileEnvironment& env) {
  const catalog::Catalog& cat = *snap.catalog;
  auto live = std::make_shared<LiveState>();
  static std::atomic<uint64_t> next_live_id{1};
  live->id = next_live_id.fetch_add(1, std::memory_order_relaxed);
  live->catalog = snap.catalog;
  live->history_length = env.history_length();

  // Inventory: the snapshot's stock, then the live values carried over by id.
  AISLE_ASSIGN_OR_RETURN(live->inventory, policy::LiveInventory::FromStock(cat.stocks()));
  if (previous != nullptr) {
    const catalog::Catalog& old = *previous->catalog;
    for (ItemIndex i = 0; i < cat.size(); ++i) {
      const ItemIndex o = old.FindOrInvalid(cat.id(i));
      if (o == kInvalidItem || o >= previous->inventory->size()) continue;
      (void)live->inventory->SetStock(i, previous->inventory->Stock(o));
      (void)live->inventory->SetReserved(i, previous->inventory->Reserved(o));
    }
  }

  retrieval::CoVisitationOptions co;
  co.num_items = cat.size();
  co.publish_every = 0;  // the engine publishes: once after warming, then every N events
  AISLE_ASSIGN_OR_RETURN(live->covisitation, retrieval::CoVisitationIndex::Create(co));
  retrieval::PopularityOptions po;
  po.num_items = cat.size();
  po.item_categories.assign(cat.item_categories().begin(), cat.item_categories().end());
  po.num_categories = cat.categories().size();
  po.publish_every = 0;
  po.num_segments = env.num_segments();
  // Bounded by the engine's clock: no event (warm or live) moves the decayed
  // tables' time ahead of it.
  po.clock = &env.clock();
  po.max_lead = env.max_event_lead();
  AISLE_ASSIGN_OR_RETURN(live->popularity, retrieval::PopularityIndex::Create(std::move(po)));
  if (!snap.warm_interactions.empty()) {
    AISLE_RETURN_IF_ERROR(live->covisitation->AddLog(snap.warm_interactions));
    AISLE_RETURN_IF_ERROR(live->popularity->ApplyAll(snap.warm_interactions));
  }
  live->covisitation->Publish();
  live->popularity->Publish();

  live->user_columns = {kUserInteractions, kUserPurchases};
  for (uint32_t h = 0; h < live->history_length; ++h) {
    live->user_columns.push_back(absl::StrCat("history_", h));
  }
  for (size_t c : schema.columns(FeatureGroup::kUser)) {
    const std::string& name = schema.names()[c];
    if (std::find(live->user_columns.begin(), live->user_columns.end(), name) ==
        live->user_columns.end()) {
      live->user_columns.push_back(name);
    }
  }
  // A session's context segment, remembered so that its events count in it.
  live->segment_column = live->user_columns.size();
  live->user_columns.push_back(kContextSegment);
  AISLE_ASSIGN_OR_RETURN(live->users, features::OnlineFeatureStore::Create(live->user_columns));
  AISLE_ASSIGN_OR_RETURN(live->sessions, features::OnlineFeatureStore::Create(live->user_columns));
  return live;
}

bool LiveStateFits(const LiveState& live, const Snapshot& snap,
                   const features::FeatureSchema& schema, uint32_t history_length) {
  if (live.history_length != history_length) return false;
  if (live.catalog != snap.catalog && !SameItems(*live.catalog, *snap.catalog)) return false;
  for (size_t c : schema.columns(FeatureGroup::kUser)) {
    if (std::find(live.user_columns.begin(), live.user_columns.end(), schema.names()[c]) ==
        live.user_columns.end()) {
      return false;
    }
  }
  return true;
}

// A surface's ranker by name: a snapshot model (bound once per snapshot, in
// Compiled::models) or a registered host scorer.
absl::StatusOr<std::shared_ptr<const ranking::Ranker>> BindModel(const Compiled& compiled,
                                                                 const std::string& name,
                                                                 CompileEnvironment& env,
                                                                 bool* is_host) {
  auto it = compiled.models.find(name);
  if (it != compiled.models.end()) return it->second;
  if (auto host = env.HostRanker(name); host != nullptr) {
    if (is_host != nullptr) *is_host = true;
    return host;
  }
  return absl::NotFoundError(absl::StrCat("ranker '", name, "' is neither a snapshot model nor ",
                                          "a registered host scorer"));
}

// Every snapshot model bound to the schema, by name.
absl::Status BindModels(const Snapshot& snap, const features::FeatureSchema& schema,
                        Compiled& compiled) {
  for (const auto& [name, factory] : snap.models) {
    auto bound = factory->Bind(schema.names());
    if (!bound.ok()) {
      return absl::Status(bound.status().code(),
                          absl::StrCat("model '", name, "': ", bound.status().message()));
    }
    compiled.models.emplace(name, *bound);
  }
  return absl::OkStatus();
}

absl::StatusOr<std::shared_ptr<const policy::MmrReorderer>> MakeMmr(const catalog::Catalog& cat,
                                                                    float lambda) {
  if (cat.embedding_dim() == 0) {
    return absl::FailedPreconditionError("MMR needs item embeddings; the catalog has none");
  }
  AISLE_ASSIGN_OR_RETURN(policy::MmrDiversifier mmr,
                         policy::MmrDiversifier::Create(cat.embeddings(), lambda));
  return std::make_shared<const policy::MmrReorderer>(std::move(mmr));
}

// The pipeline of the few-interactions tier when a surface names none:
// content-based candidates (similar by embeddings and attributes to what the
// session viewed or carted), in the content source's own order (the
// surface's ranker was trained on collaborative signals this tier lacks);
// rules, diversification and exploration as configured.
SurfaceConfig FewTierConfig(const SurfaceConfig& cfg) {
  SurfaceConfig few = cfg;
  uint32_t quota = 0;
  for (const SourceConfig& src : cfg.sources) quota += src.quota;
  SourceConfig content;
  content.name = "content";
  content.kind = SourceKind::kContent;
  content.quota = std::clamp<uint32_t>(quota, 50, 200);
  few.sources = {content};
  few.ranker.clear();
  few.cheaper_ranker.clear();
  few.isolate_ranker = false;
  few.shadow_rankers.clear();
  few.tier_pipelines = {};
  return few;
}

absl::Status CompileSurface(const Snapshot& snap, const Compiled& compiled,
                            const Compiled* previous, const features::FeatureSchema& schema,
                            CompileEnvironment& env, CompiledSurface& out, bool derived = false) {
  const SurfaceConfig& cfg = out.config;
  const catalog::Catalog& cat = *snap.catalog;
  LiveState& live = *compiled.live;

  if (cfg.default_k == 0 || cfg.default_k > cfg.max_k) {
    return absl::InvalidArgumentError(
        absl::StrCat("default_k ", cfg.default_k, " must be in [1, max_k=", cfg.max_k, "]"));
  }
  if (cfg.default_budget <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("default_budget must be positive");
  }
  if (cfg.ladder.empty()) {
    out.ladder = cfg.kind == SurfaceKind::kSearchRerank
                     ? FallbackLadder::DefaultSearch(cfg.name)
                     : FallbackLadder::DefaultRecommendation(cfg.name);
  } else {
    AISLE_ASSIGN_OR_RETURN(out.ladder, FallbackLadder::Create(cfg.name, cfg.kind, cfg.ladder));
  }
  AISLE_ASSIGN_OR_RETURN(StageBudgets budgets, StageBudgets::Create(cfg.stage_budgets));
  out.budgets = budgets;
  out.switch_index = env.SwitchSurface(cfg.name);
  AISLE_ASSIGN_OR_RETURN(out.overload, env.Overload(cfg));

  // Sources.
  if (cfg.kind == SurfaceKind::kRecommendation && cfg.sources.empty()) {
    return absl::InvalidArgumentError("a recommendation surface needs at least one source");
  }
  if (cfg.sources.size() + 1 > size_t{kMaxSources}) {
    return absl::InvalidArgumentError(
        absl::StrCat("at most ", kMaxSources - 1, " sources, got ", cfg.sources.size()));
  }
  if (cfg.max_candidates == 0) return absl::InvalidArgumentError("max_candidates must be > 0");
  absl::flat_hash_set<std::string> names;
  std::shared_ptr<const retrieval::ExactIndex> exact;
  for (const SourceConfig& s : cfg.sources) {
    if (s.name.empty()) return absl::InvalidArgumentError("a source has an empty name");
    if (!names.insert(s.name).second) {
      return absl::InvalidArgumentError(absl::StrCat("source '", s.name, "' appears twice"));
    }
    if (s.quota == 0) {
      return absl::InvalidArgumentError(absl::StrCat("source '", s.name, "' has quota 0"));
    }
    std::shared_ptr<const retrieval::CandidateSource> src;
    switch (s.kind) {
      case SourceKind::kAnn:
        if (snap.ann == nullptr) {
          return absl::FailedPreconditionError(
              absl::StrCat("source '", s.name, "' is ANN but the snapshot has no ANN index"));
        }
        if (snap.ann->size() > cat.size()) {
          return absl::FailedPreconditionError(
              absl::StrCat("source '", s.name, "': the ANN index has ", snap.ann->size(),
                           " items but the catalog only ", cat.size()));
        }
        src = std::make_shared<retrieval::AnnSource>(snap.ann,
                                                     retrieval::AnnSourceOptions{s.name, s.ef});
        break;
      case SourceKind::kExact: {
        if (cat.embedding_dim() == 0) {
          return absl::FailedPreconditionError(
              absl::StrCat("source '", s.name, "' is exact but the catalog has no embeddings"));
        }
        if (exact == nullptr) {
          AISLE_ASSIGN_OR_RETURN(
              retrieval::ExactIndex idx,
              retrieval::ExactIndex::Build(cat.embeddings(), retrieval::Metric::kCosine));
          exact = std::make_shared<const retrieval::ExactIndex>(std::move(idx));
        }
        src =
            std::make_shared<retrieval::ExactSource>(exact, retrieval::ExactSourceOptions{s.name});
        break;
      }
      case SourceKind::kCoVisitation:
        src = std::make_shared<retrieval::CoVisitationSource>(s.name, *live.covisitation);
        break;
      case SourceKind::kPopular:
      case SourceKind::kTrending: {
        retrieval::PopularitySourceOptions po;
        po.mode = s.kind == SourceKind::kTrending
                      ? retrieval::PopularitySourceOptions::Mode::kTrending
                      : retrieval::PopularitySourceOptions::Mode::kPopular;
        src = std::make_shared<retrieval::PopularitySource>(s.name, *live.popularity, po);
        break;
      }
      case SourceKind::kNewItems:
        src = std::make_shared<NewItemsSource>(s.name, compiled.new_items, cfg.new_item_window,
                                               env.clock());
        break;
      case SourceKind::kContent: {
        retrieval::ContentSourceOptions co;
        co.name = s.name;
        co.ef = s.ef;
        // Bounded pools for the request path: a few hundred items scored
        // exactly per seed group (docs/retrieval-sources.md has the
        // recall/latency trade-off of these bounds).
        co.max_group_items = 256;
        co.max_attribute_visits = 2048;
        // The ANN index helps only when it indexes the catalog's own embeddings.
        std::shared_ptr<const retrieval::AnnIndex> ann;
        if (snap.ann != nullptr && cat.embedding_dim() != 0 &&
            snap.ann->dim() == cat.embedding_dim() && snap.ann->size() == cat.size()) {
          ann = snap.ann;
          co.metric = snap.ann->metric();  // similarity as the index measures it
        }
        AISLE_ASSIGN_OR_RETURN(std::unique_ptr<retrieval::ContentSource> content,
                               retrieval::ContentSource::Create(snap.catalog, ann, co));
        src = std::move(content);
        break;
      }
      case SourceKind::kCustom:
        if (s.custom == nullptr) {
          return absl::InvalidArgumentError(absl::StrCat("custom source '", s.name, "' is null"));
        }
        src = s.custom;
        break;
    }
    out.sources.push_back(std::move(src));
    out.source_switch.push_back(env.SwitchSource(s.name));
  }
  for (const auto& s : out.sources) out.source_names.push_back(s->name());
  out.explore_bit = static_cast<SourceId>(out.sources.size());
  out.popular = std::make_shared<retrieval::PopularitySource>("popular", *live.popularity);

  // Retrieval features read the merged column of the source they name
  // ("<source>_score"); a surface without that source feeds NaN.
  for (size_t col : schema.retrieval_matrix_columns()) {
    const std::string& fname = schema.names()[col];
    int found = -1;
    for (size_t i = 0; i < cfg.sources.size(); ++i) {
      if (fname == cfg.sources[i].name + "_score" || fname == cfg.sources[i].name) {
        found = static_cast<int>(i);
      }
    }
    out.retrieval_column_source.push_back(found);
  }

  // Rankers.
  if (!cfg.ranker.empty()) {
    AISLE_ASSIGN_OR_RETURN(out.ranker, BindModel(compiled, cfg.ranker, env, &out.ranker_is_host));
  }
  if (!cfg.cheaper_ranker.empty()) {
    bool host = false;
    AISLE_ASSIGN_OR_RETURN(out.cheaper_ranker, BindModel(compiled, cfg.cheaper_ranker, env, &host));
  }
  for (const std::string& name : cfg.shadow_rankers) {
    bool host = false;
    auto shadow = BindModel(compiled, name, env, &host);
    if (!shadow.ok()) {
      return absl::Status(shadow.status().code(),
                          absl::StrCat("shadow: ", shadow.status().message()));
    }
    out.shadows.push_back(*std::move(shadow));
  }
  if (!out.shadows.empty()) {
    AISLE_ASSIGN_OR_RETURN(out.shadow_runner, env.Shadows(cfg.name));
  }

  // Cold start: the classifier; the tiers' start levels (their pipelines are
  // resolved once every surface is compiled).
  AISLE_ASSIGN_OR_RETURN(out.classifier,
                         routing::ColdStartClassifier::Create(cfg.known_min_interactions));
  for (size_t t = 0; t < routing::kNumColdStartTiers; ++t) out.tiers[t].pipeline = &out;
  TierRoute& anonymous = out.tiers[static_cast<size_t>(routing::ColdStartTier::kAnonymous)];
  anonymous.start_level = FallbackLevel::kSegment;
  anonymous.context_segment = true;
  if (!derived && cfg.kind == SurfaceKind::kRecommendation &&
      cfg.tier_pipelines[static_cast<size_t>(routing::ColdStartTier::kFewInteractions)].empty()) {
    out.few_tier = std::make_unique<CompiledSurface>();
    out.few_tier->config = FewTierConfig(cfg);
    absl::Status st = CompileSurface(snap, compiled, previous, schema, env, *out.few_tier,
                                     /*derived=*/true);
    if (!st.ok()) {
      return absl::Status(st.code(), absl::StrCat("the built-in few_interactions tier (content "
                                                  "candidates): ",
                                                  st.message()));
    }
    out.tiers[static_cast<size_t>(routing::ColdStartTier::kFewInteractions)].pipeline =
        out.few_tier.get();
  }
  if (cfg.isolate_ranker) {
    if (cfg.ranker.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("surface '", cfg.name, "' isolates its ranker but names no ranker"));
    }
    AISLE_ASSIGN_OR_RETURN(out.isolation, env.Isolation(cfg.name));
  }

  if (cfg.inventory_reserve < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("inventory_reserve ", cfg.inventory_reserve, " is negative"));
  }
  ItemBitset blocked;
  // Filters: inventory, policy, exclusion, in that order.
  out.filters.Add(
      std::make_shared<policy::InventoryFilter>(live.inventory.get(), cfg.inventory_reserve));
  if (!cfg.blocked_items.empty() || !cfg.blocked_categories.empty()) {
    policy::PolicyRules rules;
    for (const std::string& id : cfg.blocked_items) {
      AISLE_ASSIGN_OR_RETURN(ItemIndex i, cat.Find(id));
      rules.blocked_items.push_back(i);
    }
    for (const std::string& path : cfg.blocked_categories) {
      AISLE_ASSIGN_OR_RETURN(CategoryIndex c, cat.categories().Find(path));
      rules.blocked_categories.push_back(c);
    }
    AISLE_ASSIGN_OR_RETURN(std::unique_ptr<policy::PolicyFilter> pf,
                           policy::PolicyFilter::Create(compiled.category_view, rules));
    blocked = pf->BlockedItems(0);  // the engine's rules are the surface's own
    out.filters.Add(std::shared_ptr<const policy::Filter>(std::move(pf)));
  }
  out.filters.Add(std::make_shared<policy::ExclusionFilter>(cfg.exclusion));
  // Retrieval reads live stock and the blocked items itself, so a sold-out
  // or blocked item never takes a source's quota; the filters above still
  // catch stock that changes during the request.
  AISLE_ASSIGN_OR_RETURN(
      out.allowed,
      policy::LiveItemFilter::Create(*live.inventory, cfg.inventory_reserve, std::move(blocked)));

  // The reordering steps, in the framework's order.
  std::shared_ptr<const policy::RuleSet> rules;
  if (!cfg.pins.empty() || !cfg.adjustments.empty() || !cfg.campaigns.empty()) {
    policy::RuleCatalog rc;
    rc.num_items = cat.size();
    rc.categories = compiled.category_view;
    const catalog::Catalog* catp = &cat;
    rc.resolve_item = [catp](absl::string_view id) -> std::optional<ItemIndex> {
      const ItemIndex i = catp->FindOrInvalid(id);
      if (i == kInvalidItem) return std::nullopt;
      return i;
    };
    rc.resolve_category = [catp](absl::string_view path) -> std::optional<CategoryIndex> {
      auto c = catp->categories().Find(path);
      if (!c.ok()) return std::nullopt;
      return *c;
    };
    policy::RuleSetBuilder rb(std::move(rc));
    for (const auto& p : cfg.pins) rb.AddPin(p);
    for (const auto& a : cfg.adjustments) rb.AddAdjust(a);
    for (const auto& c : cfg.campaigns) rb.AddCampaign(c);
    AISLE_ASSIGN_OR_RETURN(rules, std::move(rb).Build());
  }
  if (cfg.launch_boost.has_value()) {
    AISLE_ASSIGN_OR_RETURN(
        std::unique_ptr<policy::LaunchBoost> boost,
        policy::LaunchBoost::Create(cat.launch_times_micros(), *cfg.launch_boost));
    out.reorderers.push_back(std::move(boost));
  }
  if (rules != nullptr)
    out.reorderers.push_back(std::make_shared<policy::RuleAdjustReorderer>(rules));
  if (cfg.category_cap.has_value()) {
    AISLE_ASSIGN_OR_RETURN(
        policy::CategoryCapDiversifier cap,
        policy::CategoryCapDiversifier::Create(compiled.category_view, *cfg.category_cap));
    out.reorderers.push_back(std::make_shared<policy::CategoryCapReorderer>(std::move(cap)));
  }
  if (cfg.mmr_lambda.has_value()) {
    AISLE_ASSIGN_OR_RETURN(out.mmr, MakeMmr(cat, *cfg.mmr_lambda));
  }
  if (!cfg.exploration_positions.empty()) {
    AISLE_ASSIGN_OR_RETURN(policy::ExplorationSlots slots,
                           policy::ExplorationSlots::Create(cfg.exploration_positions));
    // Impressions per new item carry over the swap (by id when the catalog
    // was renumbered).
    std::shared_ptr<policy::ExposureBudget> previous_budget;
    absl::Span<const absl::string_view> previous_ids;
    if (previous != nullptr) {
      auto it = previous->surfaces.find(cfg.name);
      if (it != previous->surfaces.end() && it->second->exposure != nullptr) {
        previous_budget = it->second->exposure;
        previous_ids = previous->live->catalog->ids();
      }
    }
    AISLE_ASSIGN_OR_RETURN(
        out.exposure, policy::ExposureBudget::CarryOver(std::move(previous_budget), previous_ids,
                                                        cat.ids(), cfg.exploration_budget));
    policy::ExplorationOptions eo;
    eo.new_item_window = cfg.new_item_window;
    eo.sources = SourceBit(out.explore_bit);
    AISLE_ASSIGN_OR_RETURN(std::unique_ptr<policy::ExplorationReorderer> explore,
                           policy::ExplorationReorderer::Create(
                               std::move(slots), compiled.new_items, out.exposure, eo));
    out.exploration = explore.get();
    out.reorderers.push_back(std::move(explore));
  }
  out.reorderers.push_back(std::make_shared<policy::PinReorderer>(rules));

  // Campaign level.
  if (!cfg.campaign_set.empty()) {
    auto it = snap.campaign_sets.find(cfg.campaign_set);
    if (it == snap.campaign_sets.end()) {
      return absl::NotFoundError(
          absl::StrCat("campaign set '", cfg.campaign_set, "' is not in the snapshot"));
    }
    float score = 1.0f;
    absl::flat_hash_set<ItemIndex> seen;
    for (const std::string& id : it->second) {
      const ItemIndex i = cat.FindOrInvalid(id);
      if (i == kInvalidItem) {
        return absl::NotFoundError(absl::StrCat("campaign set '", cfg.campaign_set, "': item '", id,
                                                "' is not in the catalog"));
      }
      if (!seen.insert(i).second) continue;  // a repeated id is served once
      out.campaign_items.push_back({i, score, 0});
      score *= 0.999f;
    }
  }
  return absl::OkStatus();
}

// Every name an experiment arm uses resolves against this snapshot: rankers
// and shadows (snapshot models or registered scorers, added to
// Compiled::models), pipelines (surfaces), sources (of some surface); arms
// that set an MMR lambda get an MMR of their own on every surface with
// embeddings. A miss fails the swap naming layer, experiment and variant.
absl::Status ResolveVariants(Compiled& compiled, CompileEnvironment& env) {
  const catalog::Catalog& cat = *compiled.live->catalog;
  for (const routing::ExperimentRouter::VariantInfo& v : compiled.router->Variants()) {
    const routing::VariantParams& p = *v.params;
    const auto where = [&v] {
      return absl::StrCat("layer '", v.layer, "', experiment '", v.experiment, "', variant '",
                          v.variant, "'");
    };
    std::vector<const std::string*> rankers;
    if (p.ranker.has_value()) rankers.push_back(&*p.ranker);
    for (const std::string& name : p.shadow_rankers) rankers.push_back(&name);
    for (const std::string* name : rankers) {
      if (compiled.models.contains(*name)) continue;
      std::shared_ptr<const ranking::Ranker> host = env.HostRanker(*name);
      if (host == nullptr) {
        return absl::NotFoundError(absl::StrCat(where(), ": ranker '", *name,
                                                "' is neither a snapshot model nor a "
                                                "registered host scorer"));
      }
      compiled.models.emplace(*name, std::move(host));
    }
    if (!p.shadow_rankers.empty() && compiled.shadow_runner == nullptr) {
      auto runner = env.Shadows(absl::StrCat("(", where(), ")"));
      if (!runner.ok()) return runner.status();
      compiled.shadow_runner = *runner;
    }
    if (p.pipeline.has_value() && !compiled.surfaces.contains(*p.pipeline)) {
      return absl::NotFoundError(
          absl::StrCat(where(), ": pipeline '", *p.pipeline, "' is not a surface of the snapshot"));
    }
    for (const routing::SourceOverride& o : p.sources) {
      bool found = false;
      for (const auto& [name, cs] : compiled.surfaces) {
        for (const SourceConfig& src : cs->config.sources) found = found || src.name == o.source;
      }
      if (!found) {
        return absl::NotFoundError(
            absl::StrCat(where(), ": source '", o.source, "' is not a source of any surface"));
      }
    }
    if (p.mmr_lambda.has_value() && cat.embedding_dim() != 0) {
      for (auto& [name, cs] : compiled.surfaces) {
        for (CompiledSurface* target : {cs.get(), cs->few_tier.get()}) {
          if (target == nullptr || target->mmr_variants.contains(*p.mmr_lambda)) continue;
          AISLE_ASSIGN_OR_RETURN(target->mmr_variants[*p.mmr_lambda], MakeMmr(cat, *p.mmr_lambda));
        }
      }
    }
  }
  return absl::OkStatus();
}

// The invariants between a snapshot's parts that no single part can check:
// dimensions, item counts and ids, warm interactions against the catalog and
// the engine's clock, names. Feature names are checked when the assembler
// and the models bind to the schema.
absl::Status CheckCrossParts(const Snapshot& snap, CompileEnvironment& env) {
  const catalog::Catalog& cat = *snap.catalog;
  AISLE_RETURN_IF_ERROR(CheckExternalId(snap.version, "snapshot version"));
  if (snap.ann != nullptr) {
    if (cat.embedding_dim() != 0 && snap.ann->dim() != cat.embedding_dim()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "the ANN index has dimension ", snap.ann->dim(), " but the catalog's embeddings have ",
          cat.embedding_dim(), " (a user vector could match only one of them)"));
    }
    if (snap.ann->size() > cat.size()) {
      return absl::InvalidArgumentError(absl::StrCat("the ANN index holds ", snap.ann->size(),
                                                     " items but the catalog only ", cat.size()));
    }
  }
  const absl::Time latest = env.clock().Now() + env.max_event_lead();
  for (size_t k = 0; k < snap.warm_interactions.size(); ++k) {
    const retrieval::Interaction& e = snap.warm_interactions[k];
    const std::string where = absl::StrCat("warm_interactions[", k, "]");
    if (e.item >= cat.size()) {
      return absl::InvalidArgumentError(absl::StrCat(
          where, ": item index ", e.item, " is outside the catalog of ", cat.size(), " items"));
    }
    if (static_cast<int>(e.type) >= retrieval::kNumInteractionTypes) {
      return absl::InvalidArgumentError(absl::StrCat(where, " (item '", cat.id(e.item),
                                                     "'): interaction type ",
                                                     static_cast<int>(e.type), " is not known"));
    }
    AISLE_RETURN_IF_ERROR(
        CheckTimeMicros(e.time_micros, absl::StrCat(where, " (item '", cat.id(e.item), "')")));
    if (absl::FromUnixMicros(e.time_micros) > latest) {
      return absl::InvalidArgumentError(absl::StrCat(
          where, " (item '", cat.id(e.item), "'): time ", FormatTimeMicros(e.time_micros),
          " is ahead of the engine's clock by more than the event window's max_lead ",
          absl::FormatDuration(env.max_event_lead())));
    }
  }
  for (const auto& [name, factory] : snap.models) {
    AISLE_RETURN_IF_ERROR(CheckExternalId(name, "model name"));
    if (factory == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat("model '", name, "' is null"));
    }
  }
  for (const auto& [name, ids] : snap.campaign_sets) {
    AISLE_RETURN_IF_ERROR(CheckExternalId(name, "campaign set name"));
    for (const std::string& id : ids) {
      if (cat.FindOrInvalid(id) == kInvalidItem) {
        return absl::NotFoundError(absl::StrCat("campaign set '", name, "': item '",
                                                PrintableId(id), "' is not in the catalog"));
      }
    }
  }
  for (const SurfaceConfig& s : snap.pipeline.surfaces) {
    AISLE_RETURN_IF_ERROR(CheckExternalId(s.name, "surface name"));
    for (const SourceConfig& src : s.sources) {
      AISLE_RETURN_IF_ERROR(
          CheckExternalId(src.name, absl::StrCat("surface '", s.name, "': source name")));
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<features::FeatureSchema> DefaultSchema(const Snapshot& snapshot,
                                                      const features::ItemFeatureStore& items) {
  features::FeatureSchemaBuilder b;
  b.AddGroup(FeatureGroup::kRetrieval, {});
  b.AddGroup(FeatureGroup::kItem, {});
  b.AddGroup(FeatureGroup::kUser, {});
  absl::flat_hash_set<std::string> seen;
  for (const SurfaceConfig& s : snapshot.pipeline.surfaces) {
    for (const SourceConfig& src : s.sources) {
      std::string name = absl::StrCat(src.name, "_score");
      if (seen.insert(name).second) {
        b.AddFeature({name, FeatureGroup::kRetrieval, std::numeric_limits<float>::quiet_NaN(), -1});
      }
    }
  }
  for (size_t c = 0; c < items.num_columns(); ++c) {
    b.AddFeature({std::string(items.name(c)), FeatureGroup::kItem,
                  std::numeric_limits<float>::quiet_NaN(), -1});
  }
  b.AddFeature({kUserInteractions, FeatureGroup::kUser, 0.0f, -1});
  b.AddFeature({kUserPurchases, FeatureGroup::kUser, 0.0f, -1});
  return std::move(b).Build();
}

absl::StatusOr<std::shared_ptr<const Compiled>> CompileSnapshot(
    std::shared_ptr<const Snapshot> snapshot, const Compiled* previous, uint64_t generation,
    CompileEnvironment& env) {
  if (snapshot == nullptr) return absl::InvalidArgumentError("snapshot is null");
  const Snapshot& snap = *snapshot;
  const std::string what = absl::StrCat("snapshot '", snap.version, "': ");
  const auto fail = [&](const absl::Status& s) {
    return absl::Status(s.code(), absl::StrCat(what, s.message()));
  };
  if (snap.version.empty()) return absl::InvalidArgumentError("snapshot has an empty version");
  if (snap.catalog == nullptr || snap.catalog->size() == 0) {
    return fail(absl::InvalidArgumentError("the catalog is missing or empty"));
  }
  if (snap.pipeline.surfaces.empty()) return fail(absl::InvalidArgumentError("no surfaces"));
  const catalog::Catalog& cat = *snap.catalog;
  if (absl::Status st = CheckCrossParts(snap, env); !st.ok()) return fail(st);

  auto compiled = std::make_shared<Compiled>();
  compiled->generation = generation;
  compiled->snapshot = snapshot;
  compiled->category_parent.resize(cat.categories().size());
  for (CategoryIndex c = 0; c < cat.categories().size(); ++c) {
    compiled->category_parent[c] = cat.categories().parent(c);
  }
  compiled->category_view.item_category = cat.item_categories();
  compiled->category_view.parent = compiled->category_parent;

  // Item features and the schema every ranker binds to.
  std::shared_ptr<const features::ItemFeatureStore> items = snap.item_features;
  if (items == nullptr) {
    auto made = CatalogItemFeatures(cat, env.clock().Now());
    if (!made.ok()) return fail(made.status());
    items = *made;
  } else if (items->num_items() != cat.size()) {
    return fail(absl::InvalidArgumentError(absl::StrCat("item features cover ", items->num_items(),
                                                        " items, the catalog has ", cat.size())));
  }
  features::FeatureSchema schema;
  if (snap.pipeline.schema.has_value()) {
    schema = *snap.pipeline.schema;
  } else {
    auto s = DefaultSchema(snap, *items);
    if (!s.ok()) return fail(s.status());
    schema = std::move(*s);
  }

  // Live state.
  if (previous != nullptr && previous->live != nullptr &&
      LiveStateFits(*previous->live, snap, schema, env.history_length())) {
    compiled->live = previous->live;
  } else {
    auto live =
        MakeLiveState(snap, schema, previous != nullptr ? previous->live.get() : nullptr, env);
    if (!live.ok()) return fail(live.status());
    compiled->live = *live;
  }

  features::AssemblerOptions ao;
  ao.user_store = compiled->live->users.get();
  ao.session_store = nullptr;
  ao.clock = &env.clock();
  auto assembler = features::FeatureAssembler::Create(schema, items, ao);
  if (!assembler.ok()) return fail(assembler.status());
  compiled->assembler.emplace(std::move(*assembler));

  // Models, then routing.
  if (absl::Status st = BindModels(snap, compiled->assembler->schema(), *compiled); !st.ok()) {
    return fail(st);
  }
  const routing::ExperimentConfig& experiments = snap.pipeline.experiments;
  if (!experiments.layers.empty() || !experiments.challengers.empty()) {
    auto router = routing::ExperimentRouter::Create(experiments, env.KillSwitch());
    if (!router.ok()) return fail(router.status());
    compiled->router.emplace(std::move(*router));
  }
  if (snap.pipeline.segmenter.has_value()) {
    auto segmenter = routing::ContextSegmenter::Create(*snap.pipeline.segmenter);
    if (!segmenter.ok()) return fail(segmenter.status());
    compiled->segmenter = std::move(*segmenter);
  }
  if (compiled->segmenter.num_segments() > env.num_segments()) {
    return fail(absl::InvalidArgumentError(absl::StrCat(
        "the context segmenter has ", compiled->segmenter.num_segments(),
        " segments but the engine counts ", env.num_segments(), " (EngineOptions::num_segments)")));
  }
  {
    auto pool = policy::NewItemPool::Create(cat.launch_times_micros());
    if (!pool.ok()) return fail(pool.status());
    compiled->new_items = std::move(*pool);
  }

  for (const SurfaceConfig& s : snap.pipeline.surfaces) {
    if (s.name.empty()) return fail(absl::InvalidArgumentError("a surface has an empty name"));
    if (compiled->surfaces.contains(s.name)) {
      return fail(absl::InvalidArgumentError(absl::StrCat("surface '", s.name, "' appears twice")));
    }
    auto cs = std::make_unique<CompiledSurface>();
    cs->config = s;
    absl::Status st =
        CompileSurface(snap, *compiled, previous, compiled->assembler->schema(), env, *cs);
    if (!st.ok()) return fail(SurfaceError(s.name, st));
    compiled->surfaces.emplace(s.name, std::move(cs));
  }
  if (compiled->router.has_value()) {
    if (absl::Status st = ResolveVariants(*compiled, env); !st.ok()) return fail(st);
  }
  // Cold-start tiers served by another surface's pipeline.
  for (auto& [name, cs] : compiled->surfaces) {
    for (size_t t = 0; t < routing::kNumColdStartTiers; ++t) {
      const std::string& pipeline = cs->config.tier_pipelines[t];
      if (pipeline.empty()) continue;
      auto it = compiled->surfaces.find(pipeline);
      if (it == compiled->surfaces.end()) {
        return fail(absl::NotFoundError(absl::StrCat(
            "surface '", name, "': tier ",
            routing::ColdStartTierName(static_cast<routing::ColdStartTier>(t)), " names pipeline '",
            pipeline, "', which is not a surface of the snapshot")));
      }
      if (it->second->config.kind != cs->config.kind) {
        return fail(absl::InvalidArgumentError(
            absl::StrCat("surface '", name, "': tier pipeline '", pipeline,
                         "' is of another kind (recommendation vs search rerank)")));
      }
      cs->tiers[t].pipeline = it->second.get();
    }
  }
  return std::shared_ptr<const Compiled>(std::move(compiled));
}

}  // namespace aisle::serving::internal
