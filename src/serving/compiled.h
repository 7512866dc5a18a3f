// Private to the engine: a snapshot compiled for serving, and the live state
// (inventory, popularity, co-visitation, user history) tied to its catalog.
#ifndef AISLE_SRC_SERVING_COMPILED_H_
#define AISLE_SRC_SERVING_COMPILED_H_

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "aisle/core/candidate.h"
#include "aisle/features/feature_assembler.h"
#include "aisle/features/online_feature_store.h"
#include "aisle/policy/business_rules.h"
#include "aisle/policy/category_cap.h"
#include "aisle/policy/category_view.h"
#include "aisle/policy/exploration_slots.h"
#include "aisle/policy/exposure_budget.h"
#include "aisle/policy/filter_chain.h"
#include "aisle/policy/live_inventory.h"
#include "aisle/policy/live_item_filter.h"
#include "aisle/policy/mmr.h"
#include "aisle/policy/new_item_pool.h"
#include "aisle/policy/reorderers.h"
#include "aisle/ranking/ranker.h"
#include "aisle/retrieval/candidate_source.h"
#include "aisle/retrieval/covisitation.h"
#include "aisle/retrieval/popularity.h"
#include "aisle/routing/cold_start_tier.h"
#include "aisle/routing/context_segmenter.h"
#include "aisle/routing/experiment_kill_switch.h"
#include "aisle/routing/experiment_router.h"
#include "aisle/serving/fallback.h"
#include "aisle/serving/isolated_runner.h"
#include "aisle/serving/overload_controller.h"
#include "aisle/serving/snapshot.h"
#include "aisle/serving/stage_budget.h"

namespace aisle::serving::internal {

// Columns of the engine's user and session stores besides the schema's own
// user features: interaction counts and the most recent items (as floats,
// exact for catalogs below 2^24 items), newest first.
inline constexpr char kUserInteractions[] = "user_interactions";
inline constexpr char kUserPurchases[] = "user_purchases";
inline constexpr int kHistoryColumnsStart = 2;
inline constexpr char kContextSegment[] = "context_segment";

// State that events update between snapshots, for one catalog.
struct LiveState {
  // Process-unique: what a last-known-good list was indexed against.
  uint64_t id = 0;
  std::shared_ptr<const catalog::Catalog> catalog;
  std::unique_ptr<policy::LiveInventory> inventory;
  std::unique_ptr<retrieval::CoVisitationIndex> covisitation;
  std::unique_ptr<retrieval::PopularityIndex> popularity;
  std::unique_ptr<features::OnlineFeatureStore> users;
  std::unique_ptr<features::OnlineFeatureStore> sessions;
  std::vector<std::string> user_columns;  // names of users/sessions columns
  // Column of the sessions store holding the session's context segment.
  size_t segment_column = 0;
  uint32_t history_length = 0;
  // Interactions applied since the last publish of popularity/co-visitation.
  std::atomic<uint64_t> unpublished{0};
  // Serializes read-modify-write of user/session rows (writers only).
  absl::Mutex history_mu;
};

struct CompiledSurface;

// How one cold-start tier of a surface is served.
struct TierRoute {
  // The pipeline that serves the tier (the surface itself unless the
  // surface names another one for the tier).
  const CompiledSurface* pipeline = nullptr;
  // Where the ladder walk starts when the request has no signal of its own.
  FallbackLevel start_level = FallbackLevel::kPersonalized;
  // Derive the popularity segment from the request's context (anonymous).
  bool context_segment = false;
};

struct CompiledSurface {
  SurfaceConfig config;
  FallbackLadder ladder = FallbackLadder::DefaultRecommendation("unset");
  std::optional<StageBudgets> budgets;
  int switch_index = -1;  // -1: surface unknown to the runtime switches

  std::vector<std::shared_ptr<const retrieval::CandidateSource>> sources;
  std::vector<int> source_switch;  // RuntimeSwitches::SourceIndex, -1 unknown
  std::vector<absl::string_view> source_names;
  std::shared_ptr<const retrieval::CandidateSource> popular;  // fallback levels
  SourceId explore_bit = 0;

  // Retrieval matrix column j reads the merged source column given here (-1:
  // the surface has no such source, NaN).
  std::vector<int> retrieval_column_source;
  std::shared_ptr<const ranking::Ranker> ranker;
  std::shared_ptr<const ranking::Ranker> cheaper_ranker;
  bool ranker_is_host = false;
  // Set when the surface isolates its ranker (owned by the engine).
  IsolatedRunner* isolation = nullptr;

  policy::FilterChain filters;
  // What retrieval may return: in stock under the surface's reserve (live)
  // and not blocked by its policy.
  std::unique_ptr<policy::LiveItemFilter> allowed;
  // The reordering steps, in the framework's order (launch boost and rules,
  // category cap, exploration, pins); MMR is the plan's (the surface's
  // lambda, or an experiment arm's), not in this list.
  std::vector<std::shared_ptr<const policy::Reorderer>> reorderers;
  std::shared_ptr<const policy::MmrReorderer> mmr;
  // MMR for each lambda an experiment arm asks for.
  absl::flat_hash_map<float, std::shared_ptr<const policy::MmrReorderer>> mmr_variants;
  // Exploration (also in `reorderers`) and its impressions per new item,
  // carried over snapshot swaps.
  const policy::ExplorationReorderer* exploration = nullptr;
  std::shared_ptr<policy::ExposureBudget> exposure;
  std::vector<Candidate> campaign_items;

  OverloadController* overload = nullptr;  // owned by the engine

  // Cold start: the tier classifier and how each tier is served.
  routing::ColdStartClassifier classifier;
  std::array<TierRoute, routing::kNumColdStartTiers> tiers;
  // Shadow rankers of the surface, and where they run.
  std::vector<std::shared_ptr<const ranking::Ranker>> shadows;
  IsolatedRunner* shadow_runner = nullptr;  // owned by the engine
  // The built-in pipeline of the few-interactions tier (content-based
  // candidates), when the surface names none; owned here.
  std::unique_ptr<CompiledSurface> few_tier;
};

struct Compiled {
  uint64_t generation = 0;
  std::shared_ptr<const Snapshot> snapshot;
  std::shared_ptr<LiveState> live;
  std::vector<CategoryIndex> category_parent;
  policy::CategoryView category_view;
  std::optional<features::FeatureAssembler> assembler;
  absl::flat_hash_map<std::string, std::unique_ptr<CompiledSurface>> surfaces;
  std::optional<routing::ExperimentRouter> router;
  // Every snapshot model bound to the schema, and every host scorer a
  // pipeline or an experiment arm names, by name.
  absl::flat_hash_map<std::string, std::shared_ptr<const ranking::Ranker>> models;
  // Context -> popularity segment for visitors without history.
  routing::ContextSegmenter segmenter;
  // Items by launch time: the new-item pool at any request time.
  std::shared_ptr<const policy::NewItemPool> new_items;
  // Where shadow rankers of experiment arms run (owned by the engine; set
  // when an arm names a shadow).
  IsolatedRunner* shadow_runner = nullptr;
};

// What compiling needs from the engine that owns the result.
class CompileEnvironment {
 public:
  virtual ~CompileEnvironment() = default;
  // A registered host scorer wrapped as a ranker, or nullptr.
  virtual std::shared_ptr<const ranking::Ranker> HostRanker(absl::string_view name) const = 0;
  // The engine's (persistent) overload controller for a surface.
  virtual absl::StatusOr<OverloadController*> Overload(const SurfaceConfig& surface) = 0;
  // The engine's isolation runner (created on first use); FailedPrecondition
  // naming the surface when the engine may not start threads.
  virtual absl::StatusOr<IsolatedRunner*> Isolation(absl::string_view surface) = 0;
  // The engine's shadow runner (created on first use), likewise.
  virtual absl::StatusOr<IsolatedRunner*> Shadows(absl::string_view surface) = 0;
  virtual int SwitchSurface(absl::string_view surface) const = 0;
  virtual int SwitchSource(absl::string_view source) const = 0;
  // The engine's kill switch, shared by every snapshot's router.
  virtual routing::ExperimentKillSwitch* KillSwitch() = 0;
  virtual uint32_t history_length() const = 0;
  virtual uint32_t num_segments() const = 0;
  // How far ahead of the clock a live event may be (EngineOptions::event_time).
  virtual absl::Duration max_event_lead() const = 0;
  virtual const Clock& clock() const = 0;
};

// Validates `snapshot` and builds everything a request needs. `previous` (may
// be null) lends its live state when the catalog is compatible.
absl::StatusOr<std::shared_ptr<const Compiled>> CompileSnapshot(
    std::shared_ptr<const Snapshot> snapshot, const Compiled* previous, uint64_t generation,
    CompileEnvironment& env);

// The engine's default feature schema for a snapshot (see PipelineConfig::schema).
absl::StatusOr<features::FeatureSchema> DefaultSchema(const Snapshot& snapshot,
                                                      const features::ItemFeatureStore& items);

}  // namespace aisle::serving::internal

#endif  // AISLE_SRC_SERVING_COMPILED_H_
