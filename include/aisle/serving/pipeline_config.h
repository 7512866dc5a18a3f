// File: aisle/serving/pipeline_config.h
//
// Declarative pipeline configuration, one SurfaceConfig per surface, built
// with a fluent PipelineBuilder. The configuration says WHAT a surface uses
// (sources and quotas, features, ranker, filters, rules, diversification,
// exploration, fallback ladder, budgets); the engine fixes the ORDER of the
// stages:
//
//   route -> retrieve (sources, merged under quotas) -> filter (inventory,
//   policy, exclusion) -> features -> rank -> rules -> diversify -> explore
//   -> respond
//
// (filters run before features and ranking: they are per-item predicates, so
// the result is the same as filtering after ranking, and nothing is scored
// only to be dropped.)
//
//   aisle::serving::PipelineBuilder home("home");
//   home.Source("ann", SourceKind::kAnn, 300)
//       .Source("covis", SourceKind::kCoVisitation, 150)
//       .Source("popular", SourceKind::kPopular, 100)
//       .MaxCandidates(500)
//       .Ranker("ctr_gbdt", /*cheaper=*/"ctr_linear")
//       .CategoryCap({.max_per_category = 2, .top_m = 10})
//       .Mmr(0.7f)
//       .ExplorationSlots({4, 9})
//       .DefaultK(12)
//       .Budget(absl::Milliseconds(20));
//   PipelineConfig config;
//   AISLE_RETURN_IF_ERROR(config.Add(std::move(home)));
//
// Types here are plain values: thread-compatible.
#ifndef AISLE_SERVING_PIPELINE_CONFIG_H_
#define AISLE_SERVING_PIPELINE_CONFIG_H_

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "aisle/features/feature_schema.h"
#include "aisle/policy/business_rules.h"
#include "aisle/policy/category_cap.h"
#include "aisle/policy/exclusion_filter.h"
#include "aisle/policy/launch_boost.h"
#include "aisle/retrieval/candidate_source.h"
#include "aisle/routing/cold_start_tier.h"
#include "aisle/routing/context_segmenter.h"
#include "aisle/routing/experiment_config.h"
#include "aisle/serving/fallback.h"
#include "aisle/serving/overload_controller.h"
#include "aisle/serving/stage_budget.h"

namespace aisle::serving {

enum class SourceKind : uint8_t {
  kAnn = 0,           // ANN over the snapshot's index: user vector, else the seeds
  kExact = 1,         // exact search over the catalog's embeddings (small catalogs)
  kCoVisitation = 2,  // live co-visitation from the seeds (viewed item, cart)
  kPopular = 3,       // live time-decayed popularity (scoped by segment/category)
  kTrending = 4,      // live trending (short over long half-life rate)
  kNewItems = 5,      // items launched within the surface's new-item window
  kCustom = 6,        // the host's own CandidateSource
  kContent = 7,       // items similar by embeddings and attributes to the seeds
};
absl::string_view SourceKindName(SourceKind kind);

struct SourceConfig {
  std::string name;  // stable: tags, metrics, runtime switches
  SourceKind kind = SourceKind::kPopular;
  uint32_t quota = 100;
  size_t ef = 0;  // ANN search breadth (0 = the index's default)
  std::shared_ptr<const retrieval::CandidateSource> custom;  // kCustom only
};

struct SurfaceConfig {
  std::string name;
  SurfaceKind kind = SurfaceKind::kRecommendation;
  uint32_t default_k = 10;
  uint32_t max_k = 200;
  absl::Duration default_budget = absl::Milliseconds(20);

  std::vector<SourceConfig> sources;
  uint32_t max_candidates = 500;

  // Model names in Snapshot::models; empty ranker = keep the merged order.
  std::string ranker;
  std::string cheaper_ranker;  // used when the overload controller sheds

  // Filters.
  int32_t inventory_reserve = 0;
  std::vector<std::string> blocked_items;       // external ids
  std::vector<std::string> blocked_categories;  // category paths "A>B"
  policy::ExclusionOptions exclusion;

  // Business rules (items named by external id, resolved at swap).
  std::vector<policy::PinRule> pins;
  std::vector<policy::AdjustRule> adjustments;
  std::vector<policy::Campaign> campaigns;

  // Diversification (off when unset).
  std::optional<policy::CategoryCapOptions> category_cap;
  std::optional<float> mmr_lambda;

  // A score boost for items launched within the boost's window (72 h by
  // default), fading linearly to nothing at its end (off when unset).
  std::optional<policy::LaunchBoostOptions> launch_boost;
  // Exploration: positions reserved for new items, the window that makes an
  // item "new", and the impressions each new item may get (counted per
  // surface and kept across snapshot swaps).
  std::vector<uint32_t> exploration_positions;
  absl::Duration new_item_window = absl::Hours(24 * 14);
  uint32_t exploration_budget = 1000;

  // Fallback ladder (empty = the default for the surface kind).
  std::vector<FallbackLevel> ladder;
  // Curated set for the campaign level (Snapshot::campaign_sets).
  std::string campaign_set;

  StageBudgetOptions stage_budgets;
  std::optional<OverloadOptions> overload;  // default derived from the budget

  // Run the ranker (and the cheaper one) on the engine's isolation threads
  // and wait for it only until the rank stage's deadline: a ranker or host
  // scorer that hangs costs the request its budget, not more (the call is
  // abandoned and the level falls back with reason "deadline"). Needs
  // EngineOptions::allow_threads. Costs a copy of the feature matrix and a
  // thread hand-off (~10-30 us) per request; meant for remote or untrusted
  // scorers, not for the built-in GBDT/linear rankers.
  bool isolate_ranker = false;
  // Shadow rankers (snapshot models or registered scorers): each scores the
  // served candidates on the engine's shadow threads, off the response's
  // critical path; the scores go to Engine::DrainShadowResults, never to the
  // response. Needs EngineOptions::allow_threads.
  std::vector<std::string> shadow_rankers;
  // Cold start. A request's tier comes from the user's interactions, else
  // the session's (an anonymous session is promoted as its events arrive):
  // none = anonymous, 1..known_min_interactions-1 = few_interactions, more =
  // known. Each tier is served by a pipeline: the surface named here for it
  // (another surface of the snapshot), or the built-in plan when empty:
  //   anonymous        popular in the segment of the request's context, then
  //                    category popularity for the page, then global
  //                    (a request with its own signal, a viewed item, a cart,
  //                    a vector or search candidates, is served as known);
  //   few_interactions content-based candidates (items similar by embeddings
  //                    and attributes to what the session viewed or carted)
  //                    with the surface's other sources and ranker;
  //   known            this surface's pipeline.
  uint32_t known_min_interactions = 10;
  std::array<std::string, routing::kNumColdStartTiers> tier_pipelines;
};

// Fluent construction of a SurfaceConfig.
class PipelineBuilder {
 public:
  explicit PipelineBuilder(std::string surface) { config_.name = std::move(surface); }
  PipelineBuilder& Kind(SurfaceKind kind) {
    config_.kind = kind;
    return *this;
  }
  PipelineBuilder& Source(std::string name, SourceKind kind, uint32_t quota, size_t ef = 0) {
    config_.sources.push_back({std::move(name), kind, quota, ef, nullptr});
    return *this;
  }
  // A new candidate source is one class behind CandidateSource plus this call.
  PipelineBuilder& CustomSource(std::shared_ptr<const retrieval::CandidateSource> source,
                                uint32_t quota) {
    std::string name(source ? source->name() : "");
    config_.sources.push_back({std::move(name), SourceKind::kCustom, quota, 0, std::move(source)});
    return *this;
  }
  PipelineBuilder& MaxCandidates(uint32_t n) {
    config_.max_candidates = n;
    return *this;
  }
  PipelineBuilder& Ranker(std::string model, std::string cheaper = "") {
    config_.ranker = std::move(model);
    config_.cheaper_ranker = std::move(cheaper);
    return *this;
  }
  PipelineBuilder& InventoryReserve(int32_t reserve) {
    config_.inventory_reserve = reserve;
    return *this;
  }
  PipelineBuilder& BlockItems(std::vector<std::string> ids) {
    config_.blocked_items = std::move(ids);
    return *this;
  }
  PipelineBuilder& BlockCategories(std::vector<std::string> paths) {
    config_.blocked_categories = std::move(paths);
    return *this;
  }
  PipelineBuilder& Exclusion(policy::ExclusionOptions o) {
    config_.exclusion = o;
    return *this;
  }
  PipelineBuilder& Pin(std::string item_id, uint32_t position, bool force = false) {
    policy::PinRule p;
    p.item = policy::ItemRef::Id(std::move(item_id));
    p.position = position;
    p.force = force;
    config_.pins.push_back(std::move(p));
    return *this;
  }
  PipelineBuilder& Adjust(policy::AdjustRule rule) {
    config_.adjustments.push_back(std::move(rule));
    return *this;
  }
  PipelineBuilder& AddCampaign(policy::Campaign c) {
    config_.campaigns.push_back(std::move(c));
    return *this;
  }
  PipelineBuilder& CategoryCap(policy::CategoryCapOptions o) {
    config_.category_cap = o;
    return *this;
  }
  PipelineBuilder& LaunchBoost(policy::LaunchBoostOptions o = {}) {
    config_.launch_boost = o;
    return *this;
  }
  PipelineBuilder& Mmr(float lambda) {
    config_.mmr_lambda = lambda;
    return *this;
  }
  PipelineBuilder& ExplorationSlots(std::vector<uint32_t> positions,
                                    absl::Duration new_item_window = absl::Hours(24 * 14),
                                    uint32_t budget = 1000) {
    config_.exploration_positions = std::move(positions);
    config_.new_item_window = new_item_window;
    config_.exploration_budget = budget;
    return *this;
  }
  PipelineBuilder& Ladder(std::vector<FallbackLevel> levels) {
    config_.ladder = std::move(levels);
    return *this;
  }
  PipelineBuilder& CampaignSet(std::string name) {
    config_.campaign_set = std::move(name);
    return *this;
  }
  PipelineBuilder& DefaultK(uint32_t k) {
    config_.default_k = k;
    return *this;
  }
  PipelineBuilder& Budget(absl::Duration d) {
    config_.default_budget = d;
    return *this;
  }
  PipelineBuilder& StageBudgets(StageBudgetOptions o) {
    config_.stage_budgets = o;
    return *this;
  }
  PipelineBuilder& Overload(OverloadOptions o) {
    config_.overload = std::move(o);
    return *this;
  }
  PipelineBuilder& IsolateRanker(bool on = true) {
    config_.isolate_ranker = on;
    return *this;
  }
  PipelineBuilder& Shadow(std::string ranker) {
    config_.shadow_rankers.push_back(std::move(ranker));
    return *this;
  }
  PipelineBuilder& KnownMinInteractions(uint32_t n) {
    config_.known_min_interactions = n;
    return *this;
  }
  // The surface (pipeline) that serves requests of `tier` ("" = built-in).
  PipelineBuilder& TierPipeline(routing::ColdStartTier tier, std::string surface) {
    config_.tier_pipelines[static_cast<size_t>(tier)] = std::move(surface);
    return *this;
  }

  const SurfaceConfig& config() const { return config_; }
  SurfaceConfig Build() && { return std::move(config_); }

 private:
  SurfaceConfig config_;
};

struct PipelineConfig {
  std::vector<SurfaceConfig> surfaces;
  // Feature schema every ranker of this snapshot is bound to. Unset = the
  // engine's default schema: one retrieval feature "<source>_score" per
  // source of the surface, plus the item features.
  std::optional<features::FeatureSchema> schema;
  // Experiments (empty = none); a variant's parameters apply to the
  // requests assigned to it (docs/routing.md).
  routing::ExperimentConfig experiments;
  // How a visitor without history is put in a popularity segment from the
  // request's context (unset: geo and device hashed into 8 segments). Its
  // segments must fit EngineOptions::num_segments.
  std::optional<routing::ContextSegmenterConfig> segmenter;

  // Adds a surface (validation happens when the engine compiles the snapshot).
  absl::Status Add(PipelineBuilder builder) {
    surfaces.push_back(std::move(builder).Build());
    return absl::OkStatus();
  }
};

}  // namespace aisle::serving

#endif  // AISLE_SERVING_PIPELINE_CONFIG_H_
