// capi/aisle.h: pipelines, snapshots, the engine, requests and responses.
#include <cmath>
#include <cstring>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "aisle.h"
#include "aisle/core/status_macros.h"
#include "capi/internal.h"

using aisle::capi::CheckArray;
using aisle::capi::CheckCount;
using aisle::capi::CheckRange;
using aisle::capi::CheckStoredId;
using aisle::capi::CheckStoredOptionalId;
using aisle::capi::Guard;
using aisle::capi::GuardCreate;
using aisle::capi::NullError;
using aisle::capi::Str;
using aisle::capi::ToStrings;

namespace {

absl::Status CheckLevel(int32_t level, size_t i) {
  if (level < 0 || level >= aisle::serving::kNumFallbackLevels) {
    return absl::InvalidArgumentError(
        absl::StrCat("levels[", i, "] = ", level, " is not an AISLE_LEVEL_* value"));
  }
  return absl::OkStatus();
}

// Builds the response handle's columns and NUL-terminated strings.
std::unique_ptr<aisle_response> MakeResponse(aisle::serving::Response r) {
  auto h = std::make_unique<aisle_response>();
  const size_t n = r.items.size();
  h->indices.resize(n);
  h->scores.resize(n);
  h->sources.resize(n);
  h->id_offsets.resize(n);
  h->reason_offsets.resize(n);
  h->source_offsets.resize(r.source_names.size());
  size_t bytes = 0;
  for (const auto& item : r.items) bytes += item.id.size() + item.reason.size() + 2;
  for (const auto& s : r.source_names) bytes += s.size() + 1;
  h->strings.reserve(bytes);
  auto append = [&](absl::string_view s) {
    const auto at = static_cast<uint32_t>(h->strings.size());
    h->strings.append(s.data(), s.size());
    h->strings.push_back('\0');
    return at;
  };
  for (size_t i = 0; i < n; ++i) {
    const auto& item = r.items[i];
    h->indices[i] = item.index;
    h->scores[i] = item.score;
    h->sources[i] = item.sources;
    h->id_offsets[i] = append(item.id);
    h->reason_offsets[i] = append(item.reason);
  }
  for (size_t i = 0; i < r.source_names.size(); ++i)
    h->source_offsets[i] = append(r.source_names[i]);
  h->response = std::move(r);
  return h;
}

// The C++ stages an AISLE_STAGE_* constant stands for: one, or the three of
// AISLE_STAGE_POST (rules + diversify + explore); none for AISLE_STAGE_TOTAL
// (the whole call). False for a value outside the constants.
struct StageParts {
  aisle::serving::Stage stages[3];
  int count = 0;
};
bool CStageParts(int32_t stage, StageParts& parts) {
  using aisle::serving::Stage;
  const auto one = [&parts](Stage s) {
    parts.stages[0] = s;
    parts.count = 1;
    return true;
  };
  parts.count = 0;
  switch (stage) {
    case AISLE_STAGE_RETRIEVE:
      return one(Stage::kRetrieve);
    case AISLE_STAGE_FEATURES:
      return one(Stage::kFeatures);
    case AISLE_STAGE_RANK:
      return one(Stage::kRank);
    case AISLE_STAGE_POST:
      parts.stages[0] = Stage::kRules;
      parts.stages[1] = Stage::kDiversify;
      parts.stages[2] = Stage::kExplore;
      parts.count = 3;
      return true;
    case AISLE_STAGE_TOTAL:
      return true;
    case AISLE_STAGE_FILTER:
      return one(Stage::kFilter);
    case AISLE_STAGE_RULES:
      return one(Stage::kRules);
    case AISLE_STAGE_DIVERSIFY:
      return one(Stage::kDiversify);
    case AISLE_STAGE_EXPLORE:
      return one(Stage::kExplore);
    case AISLE_STAGE_RESPOND:
      return one(Stage::kRespond);
    default:
      return false;
  }
}

// A per-stage counter of EngineMetrics (indexed by the C++ Stage) summed over
// the C++ stages of an AISLE_STAGE_* constant (0 for TOTAL).
uint64_t SumOfStage(int32_t stage, const uint64_t (&per_stage)[aisle::serving::kNumStages]) {
  StageParts parts;
  uint64_t sum = 0;
  if (!CStageParts(stage, parts)) return 0;
  for (int i = 0; i < parts.count; ++i) sum += per_stage[static_cast<int>(parts.stages[i])];
  return sum;
}

absl::Status ItemOutOfRange(const aisle_response* r, size_t i) {
  if (i >= r->indices.size()) {
    return absl::OutOfRangeError(
        absl::StrCat("item ", i, " is outside the response (", r->indices.size(), " items)"));
  }
  return absl::OkStatus();
}

}  // namespace

extern "C" {

// ------------------------------------------------------------------ pipeline

int32_t aisle_pipeline_builder_create(const char* surface, aisle_pipeline_builder** out) {
  const absl::string_view fn = __func__;
  return GuardCreate(out, [&]() -> absl::StatusOr<std::unique_ptr<aisle_pipeline_builder>> {
    AISLE_RETURN_IF_ERROR(CheckStoredId(fn, surface, "surface"));
    return std::make_unique<aisle_pipeline_builder>(surface);
  });
}

void aisle_pipeline_builder_destroy(aisle_pipeline_builder* builder) { delete builder; }

#define AISLE_PIPELINE_SETTER(body)                      \
  return Guard([&]() -> absl::Status {                   \
    if (builder == nullptr) return NullError("builder"); \
    body;                                                \
    return absl::OkStatus();                             \
  })

int32_t aisle_pipeline_builder_set_kind(aisle_pipeline_builder* builder, int32_t kind) {
  AISLE_PIPELINE_SETTER({
    if (kind != AISLE_SURFACE_RECOMMENDATION && kind != AISLE_SURFACE_SEARCH_RERANK) {
      return absl::InvalidArgumentError(
          absl::StrCat("surface kind ", kind, " is not an AISLE_SURFACE_* value"));
    }
    builder->builder.Kind(static_cast<aisle::serving::SurfaceKind>(kind));
  });
}

int32_t aisle_pipeline_builder_add_source(aisle_pipeline_builder* builder, const char* name,
                                          int32_t kind, uint32_t quota, size_t ef) {
  const absl::string_view fn = __func__;
  AISLE_PIPELINE_SETTER({
    AISLE_RETURN_IF_ERROR(CheckStoredId(fn, name, "name"));
    if ((kind < AISLE_SOURCE_ANN || kind > AISLE_SOURCE_NEW_ITEMS) &&
        kind != AISLE_SOURCE_CONTENT) {
      return absl::InvalidArgumentError(
          absl::StrCat("source '", name, "': kind ", kind, " is not an AISLE_SOURCE_* value"));
    }
    AISLE_RETURN_IF_ERROR(CheckRange(fn, "quota", quota, 1, AISLE_MAX_QUOTA));
    AISLE_RETURN_IF_ERROR(CheckRange(fn, "ef", ef, 0, AISLE_MAX_EF));
    builder->builder.Source(name, static_cast<aisle::serving::SourceKind>(kind), quota, ef);
  });
}

int32_t aisle_pipeline_builder_set_max_candidates(aisle_pipeline_builder* builder,
                                                  uint32_t max_candidates) {
  const absl::string_view fn = __func__;
  AISLE_PIPELINE_SETTER({
    AISLE_RETURN_IF_ERROR(CheckRange(fn, "max_candidates", max_candidates, 1, AISLE_MAX_QUOTA));
    builder->builder.MaxCandidates(max_candidates);
  });
}

int32_t aisle_pipeline_builder_set_ranker(aisle_pipeline_builder* builder, const char* model,
                                          const char* cheaper) {
  const absl::string_view fn = __func__;
  AISLE_PIPELINE_SETTER({
    if (model == nullptr) return NullError("model");
    // "" = no ranker (the merged order is kept), as for `cheaper`.
    AISLE_RETURN_IF_ERROR(CheckStoredOptionalId(fn, model, "model"));
    AISLE_RETURN_IF_ERROR(CheckStoredOptionalId(fn, cheaper, "cheaper"));
    builder->builder.Ranker(model, std::string(Str(cheaper)));
  });
}

int32_t aisle_pipeline_builder_set_inventory_reserve(aisle_pipeline_builder* builder,
                                                     int32_t reserve) {
  AISLE_PIPELINE_SETTER(builder->builder.InventoryReserve(reserve));
}

int32_t aisle_pipeline_builder_block_items(aisle_pipeline_builder* builder, const char* const* ids,
                                           size_t count) {
  const absl::string_view fn = __func__;
  AISLE_PIPELINE_SETTER({
    AISLE_ASSIGN_OR_RETURN(auto v, ToStrings(fn, ids, count, "ids", /*check_ids=*/true));
    builder->builder.BlockItems(std::move(v));
  });
}

int32_t aisle_pipeline_builder_block_categories(aisle_pipeline_builder* builder,
                                                const char* const* paths, size_t count) {
  const absl::string_view fn = __func__;
  AISLE_PIPELINE_SETTER({
    AISLE_ASSIGN_OR_RETURN(auto v, ToStrings(fn, paths, count, "paths", /*check_ids=*/true));
    builder->builder.BlockCategories(std::move(v));
  });
}

int32_t aisle_pipeline_builder_add_pin(aisle_pipeline_builder* builder, const char* item_id,
                                       uint32_t position, uint8_t force) {
  const absl::string_view fn = __func__;
  AISLE_PIPELINE_SETTER({
    AISLE_RETURN_IF_ERROR(CheckStoredId(fn, item_id, "item_id"));
    AISLE_RETURN_IF_ERROR(CheckRange(fn, "position", position, 0, AISLE_MAX_POSITION));
    builder->builder.Pin(item_id, position, force != 0);
  });
}

int32_t aisle_pipeline_builder_set_category_cap(aisle_pipeline_builder* builder,
                                                uint32_t max_per_category, size_t top_m,
                                                int32_t depth) {
  AISLE_PIPELINE_SETTER({
    if (max_per_category == 0) {
      return absl::InvalidArgumentError("category cap: max_per_category must be > 0");
    }
    aisle::policy::CategoryCapOptions o;
    o.max_per_category = max_per_category;
    o.top_m = top_m;
    o.depth = depth;
    builder->builder.CategoryCap(o);
  });
}

int32_t aisle_pipeline_builder_set_mmr(aisle_pipeline_builder* builder, float lambda) {
  AISLE_PIPELINE_SETTER({
    if (!(lambda >= 0.0f && lambda <= 1.0f)) {
      return absl::InvalidArgumentError(absl::StrCat("mmr lambda ", lambda, " is not in [0, 1]"));
    }
    builder->builder.Mmr(lambda);
  });
}

int32_t aisle_pipeline_builder_set_exploration(aisle_pipeline_builder* builder,
                                               const uint32_t* positions, size_t count,
                                               int64_t new_item_window_micros, uint32_t budget) {
  const absl::string_view fn = __func__;
  AISLE_PIPELINE_SETTER({
    // Positions are distinct, so no more of them than a list can hold.
    AISLE_RETURN_IF_ERROR(CheckRange(fn, "count", count, 0, AISLE_MAX_K));
    AISLE_RETURN_IF_ERROR(CheckArray(positions, count, "positions"));
    for (size_t i = 0; i < count; ++i) {
      AISLE_RETURN_IF_ERROR(
          CheckRange(fn, absl::StrCat("positions[", i, "]"), positions[i], 0, AISLE_MAX_POSITION));
    }
    if (new_item_window_micros <= 0) {
      return absl::InvalidArgumentError(absl::StrCat("exploration: new_item_window_micros is ",
                                                     new_item_window_micros, "; must be > 0"));
    }
    builder->builder.ExplorationSlots(std::vector<uint32_t>(positions, positions + count),
                                      absl::Microseconds(new_item_window_micros), budget);
  });
}

int32_t aisle_pipeline_builder_set_ladder(aisle_pipeline_builder* builder, const int32_t* levels,
                                          size_t count) {
  const absl::string_view fn = __func__;
  AISLE_PIPELINE_SETTER({
    // A level appears at most once in a ladder.
    AISLE_RETURN_IF_ERROR(
        CheckRange(fn, "count", count, 0, int{aisle::serving::kNumFallbackLevels}));
    AISLE_RETURN_IF_ERROR(CheckArray(levels, count, "levels"));
    std::vector<aisle::serving::FallbackLevel> v(count);
    for (size_t i = 0; i < count; ++i) {
      AISLE_RETURN_IF_ERROR(CheckLevel(levels[i], i));
      v[i] = static_cast<aisle::serving::FallbackLevel>(levels[i]);
    }
    builder->builder.Ladder(std::move(v));
  });
}

int32_t aisle_pipeline_builder_set_campaign_set(aisle_pipeline_builder* builder, const char* name) {
  const absl::string_view fn = __func__;
  AISLE_PIPELINE_SETTER({
    if (name == nullptr) return NullError("name");
    AISLE_RETURN_IF_ERROR(CheckStoredOptionalId(fn, name, "name"));  // "" = none
    builder->builder.CampaignSet(name);
  });
}

int32_t aisle_pipeline_builder_set_default_k(aisle_pipeline_builder* builder, uint32_t k) {
  const absl::string_view fn = __func__;
  AISLE_PIPELINE_SETTER({
    AISLE_RETURN_IF_ERROR(CheckRange(fn, "k", k, 1, AISLE_MAX_K));
    builder->builder.DefaultK(k);
  });
}

int32_t aisle_pipeline_builder_set_budget(aisle_pipeline_builder* builder, int64_t budget_micros) {
  AISLE_PIPELINE_SETTER({
    if (budget_micros <= 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("budget_micros is ", budget_micros, "; must be > 0"));
    }
    builder->builder.Budget(absl::Microseconds(budget_micros));
  });
}

int32_t aisle_pipeline_builder_isolate_ranker(aisle_pipeline_builder* builder, int32_t on) {
  AISLE_PIPELINE_SETTER({ builder->builder.IsolateRanker(on != 0); });
}

int32_t aisle_pipeline_builder_add_shadow(aisle_pipeline_builder* builder, const char* ranker) {
  const absl::string_view fn = __func__;
  AISLE_PIPELINE_SETTER({
    AISLE_RETURN_IF_ERROR(CheckStoredId(fn, ranker, "ranker"));
    builder->builder.Shadow(ranker);
  });
}

int32_t aisle_pipeline_builder_set_cold_start(aisle_pipeline_builder* builder,
                                              uint32_t known_min_interactions) {
  const absl::string_view fn = __func__;
  AISLE_PIPELINE_SETTER({
    AISLE_RETURN_IF_ERROR(CheckRange(fn, "known_min_interactions", known_min_interactions, 1,
                                     std::numeric_limits<uint32_t>::max()));
    builder->builder.KnownMinInteractions(known_min_interactions);
  });
}

int32_t aisle_pipeline_builder_set_tier_pipeline(aisle_pipeline_builder* builder, int32_t tier,
                                                 const char* surface) {
  const absl::string_view fn = __func__;
  AISLE_PIPELINE_SETTER({
    static_assert(aisle::routing::kNumColdStartTiers == 3);
    AISLE_RETURN_IF_ERROR(CheckRange(fn, "tier", tier, AISLE_TIER_ANONYMOUS, AISLE_TIER_KNOWN));
    if (surface == nullptr) return NullError("surface");
    AISLE_RETURN_IF_ERROR(CheckStoredOptionalId(fn, surface, "surface"));  // "" = built-in
    builder->builder.TierPipeline(static_cast<aisle::routing::ColdStartTier>(tier), surface);
  });
}

int32_t aisle_pipeline_builder_set_launch_boost(aisle_pipeline_builder* builder,
                                                int64_t window_micros, float boost, int32_t mode) {
  const absl::string_view fn = __func__;
  AISLE_PIPELINE_SETTER({
    AISLE_RETURN_IF_ERROR(
        CheckRange(fn, "window_micros", window_micros, 1, std::numeric_limits<int64_t>::max()));
    if (!(std::isfinite(boost) && boost >= 0.0f)) {
      return absl::InvalidArgumentError(
          absl::StrCat(fn, ": boost = ", boost, " must be finite and >= 0"));
    }
    AISLE_RETURN_IF_ERROR(
        CheckRange(fn, "mode", mode, AISLE_LAUNCH_BOOST_ADD, AISLE_LAUNCH_BOOST_MULTIPLY));
    aisle::policy::LaunchBoostOptions o;
    o.window = absl::Microseconds(window_micros);
    o.boost = boost;
    o.mode = mode == AISLE_LAUNCH_BOOST_MULTIPLY ? aisle::policy::LaunchBoostMode::kMultiply
                                                 : aisle::policy::LaunchBoostMode::kAdd;
    builder->builder.LaunchBoost(o);
  });
}

#undef AISLE_PIPELINE_SETTER

// ------------------------------------------------------------------ snapshot

int32_t aisle_snapshot_create(const char* version, aisle_snapshot** out) {
  const absl::string_view fn = __func__;
  return GuardCreate(out, [&]() -> absl::StatusOr<std::unique_ptr<aisle_snapshot>> {
    if (version == nullptr) return NullError("version");
    AISLE_RETURN_IF_ERROR(CheckStoredOptionalId(fn, version, "version"));  // "" is a version
    auto h = std::make_unique<aisle_snapshot>();
    h->snapshot.version = version;
    return h;
  });
}

void aisle_snapshot_destroy(aisle_snapshot* snapshot) { delete snapshot; }

int32_t aisle_snapshot_set_catalog(aisle_snapshot* snapshot, const aisle_catalog* catalog) {
  return Guard([&]() -> absl::Status {
    if (snapshot == nullptr) return NullError("snapshot");
    if (catalog == nullptr) return NullError("catalog");
    snapshot->snapshot.catalog = catalog->catalog;
    return absl::OkStatus();
  });
}

int32_t aisle_snapshot_set_ann_index(aisle_snapshot* snapshot, const aisle_ann_index* index) {
  return Guard([&]() -> absl::Status {
    if (snapshot == nullptr) return NullError("snapshot");
    if (index == nullptr) return NullError("index");
    snapshot->snapshot.ann = index->index;
    return absl::OkStatus();
  });
}

int32_t aisle_snapshot_set_item_features(aisle_snapshot* snapshot,
                                         const aisle_item_feature_store* store) {
  return Guard([&]() -> absl::Status {
    if (snapshot == nullptr) return NullError("snapshot");
    if (store == nullptr) return NullError("store");
    snapshot->snapshot.item_features = store->store;
    return absl::OkStatus();
  });
}

int32_t aisle_snapshot_set_feature_schema(aisle_snapshot* snapshot,
                                          const aisle_feature_schema* schema) {
  return Guard([&]() -> absl::Status {
    if (snapshot == nullptr) return NullError("snapshot");
    if (schema == nullptr) return NullError("schema");
    snapshot->snapshot.pipeline.schema = schema->schema;
    return absl::OkStatus();
  });
}

int32_t aisle_snapshot_add_model(aisle_snapshot* snapshot, const char* name,
                                 const aisle_model* model) {
  const absl::string_view fn = __func__;
  return Guard([&]() -> absl::Status {
    if (snapshot == nullptr) return NullError("snapshot");
    if (name == nullptr) return NullError("name");
    if (model == nullptr) return NullError("model");
    AISLE_RETURN_IF_ERROR(CheckStoredId(fn, name, "name"));
    snapshot->snapshot.models[name] = model->gbdt
                                          ? aisle::serving::ModelFactory::Gbdt(*model->gbdt)
                                          : aisle::serving::ModelFactory::Linear(*model->linear);
    return absl::OkStatus();
  });
}

int32_t aisle_snapshot_add_pipeline(aisle_snapshot* snapshot,
                                    const aisle_pipeline_builder* pipeline) {
  return Guard([&]() -> absl::Status {
    if (snapshot == nullptr) return NullError("snapshot");
    if (pipeline == nullptr) return NullError("pipeline");
    snapshot->snapshot.pipeline.surfaces.push_back(pipeline->builder.config());
    return absl::OkStatus();
  });
}

int32_t aisle_snapshot_add_campaign_set(aisle_snapshot* snapshot, const char* name,
                                        const char* const* ids, size_t count) {
  const absl::string_view fn = __func__;
  return Guard([&]() -> absl::Status {
    if (snapshot == nullptr) return NullError("snapshot");
    AISLE_RETURN_IF_ERROR(CheckStoredId(fn, name, "name"));
    AISLE_ASSIGN_OR_RETURN(auto v, ToStrings(fn, ids, count, "ids", /*check_ids=*/true));
    snapshot->snapshot.campaign_sets[name] = std::move(v);
    return absl::OkStatus();
  });
}

int32_t aisle_snapshot_add_warm_interactions(aisle_snapshot* snapshot, const uint64_t* sessions,
                                             const uint32_t* items, const int64_t* times_micros,
                                             const int32_t* types, size_t count) {
  const absl::string_view fn = __func__;
  return Guard([&]() -> absl::Status {
    if (snapshot == nullptr) return NullError("snapshot");
    AISLE_ASSIGN_OR_RETURN(
        auto events, aisle::capi::ToInteractions(fn, sessions, items, times_micros, types, count));
    auto& warm = snapshot->snapshot.warm_interactions;
    warm.insert(warm.end(), events.begin(), events.end());
    return absl::OkStatus();
  });
}

// -------------------------------------------------------------------- engine

int32_t aisle_engine_create(const aisle_snapshot* snapshot, aisle_engine** out) {
  return aisle_engine_create_with_options(snapshot, nullptr, out);
}

namespace {

// The appended event-window and segment fields (zero = the default).
absl::Status ReadEventWindow(const aisle_engine_options& o, aisle::serving::EngineOptions& eo) {
  const std::pair<const char*, int64_t> durations[] = {
      {"event_max_age_micros", o.event_max_age_micros},
      {"event_max_lead_micros", o.event_max_lead_micros}};
  for (const auto& [name, v] : durations) {
    if (v < 0) {
      return absl::InvalidArgumentError(absl::StrCat("aisle_engine_options.", name, " = ", v,
                                                     " is outside [0, 2^63-1] (0 = default)"));
    }
  }
  if (o.event_max_age_micros > 0)
    eo.event_time.max_age = absl::Microseconds(o.event_max_age_micros);
  if (o.event_max_lead_micros > 0) {
    eo.event_time.max_lead = absl::Microseconds(o.event_max_lead_micros);
  }
  const std::pair<const char*, int32_t> actions[] = {{"event_too_old", o.event_too_old},
                                                     {"event_too_new", o.event_too_new}};
  for (const auto& [name, v] : actions) {
    if (v < AISLE_EVENT_TIME_DEFAULT || v > AISLE_EVENT_TIME_CLAMP) {
      return absl::InvalidArgumentError(
          absl::StrCat("aisle_engine_options.", name, " = ", v,
                       " is outside [0, 2] (AISLE_EVENT_TIME_DEFAULT, _REJECT or _CLAMP)"));
    }
  }
  const auto action = [](int32_t v, aisle::OutOfWindow def) {
    return v == AISLE_EVENT_TIME_REJECT  ? aisle::OutOfWindow::kReject
           : v == AISLE_EVENT_TIME_CLAMP ? aisle::OutOfWindow::kClamp
                                         : def;
  };
  eo.event_time.too_old = action(o.event_too_old, eo.event_time.too_old);
  eo.event_time.too_new = action(o.event_too_new, eo.event_time.too_new);
  if (o.num_segments > 0) eo.num_segments = o.num_segments;
  return absl::OkStatus();
}

}  // namespace

int32_t aisle_engine_create_with_options(const aisle_snapshot* snapshot,
                                         const aisle_engine_options* options, aisle_engine** out) {
  const absl::string_view fn = __func__;
  return GuardCreate(out, [&]() -> absl::StatusOr<std::unique_ptr<aisle_engine>> {
    if (snapshot == nullptr) return NullError("snapshot");
    AISLE_ASSIGN_OR_RETURN(aisle_engine_options o,
                           aisle::capi::ReadSized(options, "aisle_engine_options"));
    AISLE_RETURN_IF_ERROR(CheckRange(fn, "aisle_engine_options.history_length", o.history_length, 0,
                                     AISLE_MAX_HISTORY));
    AISLE_RETURN_IF_ERROR(CheckRange(fn, "aisle_engine_options.isolation_threads",
                                     o.isolation_threads, 0, AISLE_MAX_THREADS));
    AISLE_RETURN_IF_ERROR(
        CheckRange(fn, "aisle_engine_options.num_segments", o.num_segments, 0, AISLE_MAX_SEGMENTS));
    AISLE_RETURN_IF_ERROR(CheckRange(fn, "aisle_engine_options.isolation_max_outstanding",
                                     o.isolation_max_outstanding, 0,
                                     AISLE_MAX_ISOLATION_OUTSTANDING));
    AISLE_RETURN_IF_ERROR(CheckRange(fn, "aisle_engine_options.shadow_threads", o.shadow_threads, 0,
                                     AISLE_MAX_THREADS));
    AISLE_RETURN_IF_ERROR(CheckRange(fn, "aisle_engine_options.shadow_max_outstanding",
                                     o.shadow_max_outstanding, 0, AISLE_MAX_ISOLATION_OUTSTANDING));
    aisle::serving::EngineOptions eo;
    if (o.history_length > 0) eo.history_length = o.history_length;
    if (o.isolation_threads > 0) eo.isolation_threads = o.isolation_threads;
    if (o.isolation_max_outstanding > 0) {
      eo.isolation_max_outstanding = o.isolation_max_outstanding;
    } else if (eo.isolation_max_outstanding < eo.isolation_threads) {
      eo.isolation_max_outstanding = eo.isolation_threads;  // the default, raised to the threads
    }
    if (o.shadow_threads > 0) eo.shadow_threads = o.shadow_threads;
    if (o.shadow_max_outstanding > 0) {
      eo.shadow_max_outstanding = o.shadow_max_outstanding;
    } else if (eo.shadow_max_outstanding < eo.shadow_threads) {
      eo.shadow_max_outstanding = eo.shadow_threads;  // the default, raised to the threads
    }
    eo.allow_threads = o.no_threads == 0;
    if (o.publish_every < -1) {
      return absl::InvalidArgumentError(absl::StrCat("aisle_engine_options.publish_every is ",
                                                     o.publish_every, "; must be -1, 0 or > 0"));
    }
    if (o.publish_every > 0) eo.publish_every = static_cast<size_t>(o.publish_every);
    if (o.publish_every == -1) eo.publish_every = 0;
    AISLE_RETURN_IF_ERROR(ReadEventWindow(o, eo));
    auto copy = std::make_shared<const aisle::serving::Snapshot>(snapshot->snapshot);
    AISLE_ASSIGN_OR_RETURN(auto engine,
                           aisle::serving::Engine::Create(std::move(copy), std::move(eo)));
    auto h = std::make_unique<aisle_engine>();
    h->engine = std::move(engine);
    return h;
  });
}

void aisle_engine_destroy(aisle_engine* engine) { delete engine; }

int32_t aisle_engine_swap(aisle_engine* engine, const aisle_snapshot* snapshot) {
  return Guard([&]() -> absl::Status {
    if (engine == nullptr) return NullError("engine");
    if (snapshot == nullptr) return NullError("snapshot");
    return engine->engine->Swap(
        std::make_shared<const aisle::serving::Snapshot>(snapshot->snapshot));
  });
}

int32_t aisle_engine_snapshot_version(const aisle_engine* engine, char* buf, size_t buf_len,
                                      size_t* out_len) {
  return Guard([&]() -> absl::Status {
    if (engine == nullptr) return NullError("engine");
    if (out_len == nullptr) return NullError("out_len");
    return aisle::capi::CopyOut(engine->engine->snapshot_version(), buf, buf_len, out_len);
  });
}

int32_t aisle_engine_recommend(const aisle_engine* engine, const aisle_request* request,
                               aisle_response** out) {
  return GuardCreate(out, [&]() -> absl::StatusOr<std::unique_ptr<aisle_response>> {
    if (engine == nullptr) return NullError("engine");
    if (request == nullptr) return NullError("request");
    AISLE_ASSIGN_OR_RETURN(aisle::serving::Response r, engine->engine->Recommend(request->request));
    return MakeResponse(std::move(r));
  });
}

int32_t aisle_engine_set_stock(aisle_engine* engine, const char* item_id, int32_t stock) {
  return Guard([&]() -> absl::Status {
    if (engine == nullptr) return NullError("engine");
    if (item_id == nullptr) return NullError("item_id");
    return engine->engine->SetStock(item_id, stock);
  });
}

int32_t aisle_engine_add_stock(aisle_engine* engine, const char* item_id, int32_t delta) {
  return Guard([&]() -> absl::Status {
    if (engine == nullptr) return NullError("engine");
    if (item_id == nullptr) return NullError("item_id");
    return engine->engine->AddStock(item_id, delta);
  });
}

int32_t aisle_engine_apply_interaction(aisle_engine* engine, const char* user_id,
                                       const char* session_id, const char* item_id, int32_t type,
                                       int64_t at_micros, uint32_t segment) {
  const absl::string_view fn = __func__;
  return Guard([&]() -> absl::Status {
    if (engine == nullptr) return NullError("engine");
    if (item_id == nullptr) return NullError("item_id");
    // The user's and session's recent items are stored under these ids.
    AISLE_RETURN_IF_ERROR(CheckStoredOptionalId(fn, user_id, "user_id"));
    AISLE_RETURN_IF_ERROR(CheckStoredOptionalId(fn, session_id, "session_id"));
    AISLE_RETURN_IF_ERROR(CheckRange(fn, "segment", segment, 0, AISLE_MAX_SEGMENTS));
    if (type < 0 || type >= aisle::retrieval::kNumInteractionTypes) {
      return absl::InvalidArgumentError(
          absl::StrCat("type ", type, " is not an AISLE_INTERACTION_* value"));
    }
    // AISLE_UNKNOWN_TIME is "no time": the engine stamps the event with now.
    const absl::Time at =
        at_micros == AISLE_UNKNOWN_TIME ? absl::InfinitePast() : absl::FromUnixMicros(at_micros);
    return engine->engine->ApplyInteraction(Str(user_id), Str(session_id), item_id,
                                            static_cast<aisle::retrieval::InteractionType>(type),
                                            at, segment);
  });
}

int32_t aisle_engine_publish_live_state(aisle_engine* engine) {
  return Guard([&]() -> absl::Status {
    if (engine == nullptr) return NullError("engine");
    engine->engine->PublishLiveState();
    return absl::OkStatus();
  });
}

int32_t aisle_engine_set_flag(aisle_engine* engine, const char* surface, int32_t flag,
                              uint8_t enabled, const char* actor) {
  return Guard([&]() -> absl::Status {
    if (engine == nullptr) return NullError("engine");
    if (surface == nullptr) return NullError("surface");
    if (flag < 0 || flag >= aisle::serving::kNumSwitchFlags) {
      return absl::InvalidArgumentError(
          absl::StrCat("flag ", flag, " is not an AISLE_SWITCH_* value"));
    }
    return engine->engine->switches().SetFlag(
        surface, static_cast<aisle::serving::SwitchFlag>(flag), enabled != 0, Str(actor));
  });
}

int32_t aisle_engine_set_source(aisle_engine* engine, const char* surface, const char* source,
                                uint8_t enabled, const char* actor) {
  return Guard([&]() -> absl::Status {
    if (engine == nullptr) return NullError("engine");
    if (surface == nullptr) return NullError("surface");
    if (source == nullptr) return NullError("source");
    return engine->engine->switches().SetSource(surface, source, enabled != 0, Str(actor));
  });
}

int32_t aisle_engine_quality(const aisle_engine* engine, const char* surface, double* out) {
  return Guard([&]() -> absl::Status {
    if (engine == nullptr) return NullError("engine");
    if (surface == nullptr) return NullError("surface");
    if (out == nullptr) return NullError("out");
    *out = engine->engine->quality(surface);
    return absl::OkStatus();
  });
}

int32_t aisle_engine_metrics_read(const aisle_engine* engine, aisle_engine_metrics* out) {
  return Guard([&]() -> absl::Status {
    if (engine == nullptr) return NullError("engine");
    const aisle::serving::EngineMetrics m = engine->engine->metrics();
    aisle_engine_metrics c;
    std::memset(&c, 0, sizeof(c));
    c.size = sizeof(c);
    c.requests = m.requests;
    c.errors = m.errors;
    c.empty_responses = m.empty_responses;
    static_assert(aisle::serving::kNumFallbackLevels <= 8);
    static_assert(aisle::serving::kNumFallbackReasons <= 16);
    for (int i = 0; i < aisle::serving::kNumFallbackLevels; ++i) {
      c.served_by_level[i] = m.served_by_level[i];
    }
    for (int i = 0; i < aisle::serving::kNumFallbackReasons; ++i) {
      c.fallback_reasons[i] = m.fallback_reasons[i];
    }
    c.unknown_items = m.unknown_items;
    c.events_applied = m.events_applied;
    c.events_rejected = m.events_rejected;
    c.swaps = m.swaps;
    c.swaps_rejected = m.swaps_rejected;
    c.isolated_calls = m.isolated_calls;
    c.isolated_timeouts = m.isolated_timeouts;
    c.isolated_rejected = m.isolated_rejected;
    c.isolated_outstanding = m.isolated_outstanding;
    c.events_clamped_old = m.events_clamped_old;
    c.events_clamped_new = m.events_clamped_new;
    c.events_rejected_old = m.events_rejected_old;
    c.events_rejected_new = m.events_rejected_new;
    c.events_rejected_time = m.events_rejected_time;
    c.events_time_missing = m.events_time_missing;
    c.duplicate_request_items = m.duplicate_request_items;
    c.rollbacks = m.rollbacks;
    static_assert(aisle::routing::kNumColdStartTiers <= 4);
    for (size_t i = 0; i < aisle::routing::kNumColdStartTiers; ++i) {
      c.served_by_tier[i] = m.served_by_tier[i];
    }
    static_assert(AISLE_STAGE_RESPOND < 16);
    for (int32_t stage = 0; stage <= AISLE_STAGE_RESPOND; ++stage) {
      c.stage_runs[stage] = SumOfStage(stage, m.stage_runs);
      c.stage_micros[stage] = SumOfStage(stage, m.stage_micros);
      c.stage_failures[stage] = SumOfStage(stage, m.stage_failures);
    }
    c.holdout_requests = m.holdout_requests;
    c.killed_assignments = m.killed_assignments;
    c.shadow_calls = m.shadow_calls;
    c.shadow_failed = m.shadow_failed;
    c.shadow_skipped = m.shadow_skipped;
    c.shadow_dropped = m.shadow_dropped;
    return aisle::capi::WriteSized(c, out, "out");
  });
}

int32_t aisle_engine_register_scorer(aisle_engine* engine, const char* name, aisle_scorer_fn fn,
                                     void* user_data, const aisle_breaker_options* breaker) {
  const absl::string_view where = __func__;
  return Guard([&]() -> absl::Status {
    if (engine == nullptr) return NullError("engine");
    AISLE_RETURN_IF_ERROR(CheckStoredId(where, name, "name"));
    if (fn == nullptr) return NullError("fn");
    AISLE_ASSIGN_OR_RETURN(aisle_breaker_options b,
                           aisle::capi::ReadSized(breaker, "aisle_breaker_options"));
    // Zero fields take the defaults; negative ones are errors, not defaults.
    constexpr int64_t kMax64 = std::numeric_limits<int64_t>::max();
    constexpr int32_t kMax32 = std::numeric_limits<int32_t>::max();
    AISLE_RETURN_IF_ERROR(CheckRange(where, "aisle_breaker_options.call_timeout_micros",
                                     b.call_timeout_micros, 0, kMax64));
    AISLE_RETURN_IF_ERROR(
        CheckRange(where, "aisle_breaker_options.open_micros", b.open_micros, 0, kMax64));
    AISLE_RETURN_IF_ERROR(
        CheckRange(where, "aisle_breaker_options.min_requests", b.min_requests, 0, kMax32));
    AISLE_RETURN_IF_ERROR(CheckRange(where, "aisle_breaker_options.consecutive_timeouts",
                                     b.consecutive_timeouts, 0, kMax32));
    if (!(b.failure_rate >= 0.0 && b.failure_rate <= 1.0)) {
      return absl::InvalidArgumentError(absl::StrCat(
          where, ": aisle_breaker_options.failure_rate = ", b.failure_rate, " is outside [0, 1]"));
    }
    aisle::serving::CircuitBreakerOptions o;
    if (b.call_timeout_micros > 0) o.call_timeout = absl::Microseconds(b.call_timeout_micros);
    if (b.open_micros > 0) {
      o.open_duration = absl::Microseconds(b.open_micros);
      if (o.max_open_duration < o.open_duration) o.max_open_duration = o.open_duration;
    }
    if (b.min_requests > 0) o.min_requests = b.min_requests;
    if (b.failure_rate > 0) o.failure_rate_threshold = b.failure_rate;
    if (b.consecutive_timeouts > 0) o.consecutive_timeouts = b.consecutive_timeouts;
    std::string scorer_name(name);
    aisle::serving::HostScorer scorer = [fn, user_data, scorer_name](
                                            aisle::MatrixView features, absl::Span<float> scores,
                                            const aisle::Deadline& deadline) -> absl::Status {
      int64_t remaining = -1;
      if (!deadline.IsInfinite()) {
        remaining = std::max<int64_t>(0, absl::ToInt64Microseconds(deadline.Remaining()));
      }
      const int32_t code =
          fn(user_data, features.data, features.rows, features.cols, scores.data(), remaining);
      if (code == AISLE_OK) return absl::OkStatus();
      const auto c = (code > 0 && code <= AISLE_DATA_LOSS) ? static_cast<absl::StatusCode>(code)
                                                           : absl::StatusCode::kUnknown;
      return absl::Status(
          c, absl::StrCat("host scorer '", scorer_name, "' returned ", aisle_status_name(code)));
    };
    return engine->engine->RegisterScorer(name, std::move(scorer), o);
  });
}

// ------------------------------------------------------------------- request

int32_t aisle_request_create(const char* surface, aisle_request** out) {
  return GuardCreate(out, [&]() -> absl::StatusOr<std::unique_ptr<aisle_request>> {
    if (surface == nullptr) return NullError("surface");
    auto h = std::make_unique<aisle_request>();
    h->request.surface = surface;
    return h;
  });
}

void aisle_request_destroy(aisle_request* request) { delete request; }

#define AISLE_REQUEST_SETTER(body)                       \
  return Guard([&]() -> absl::Status {                   \
    if (request == nullptr) return NullError("request"); \
    body;                                                \
    return absl::OkStatus();                             \
  })

int32_t aisle_request_set_surface(aisle_request* request, const char* surface) {
  AISLE_REQUEST_SETTER(request->request.surface = std::string(Str(surface)));
}
int32_t aisle_request_set_request_id(aisle_request* request, const char* request_id) {
  AISLE_REQUEST_SETTER(request->request.request_id = std::string(Str(request_id)));
}
int32_t aisle_request_set_user_id(aisle_request* request, const char* user_id) {
  AISLE_REQUEST_SETTER(request->request.user_id = std::string(Str(user_id)));
}
int32_t aisle_request_set_session_id(aisle_request* request, const char* session_id) {
  AISLE_REQUEST_SETTER(request->request.session_id = std::string(Str(session_id)));
}
int32_t aisle_request_add_context(aisle_request* request, const char* key, const char* value) {
  AISLE_REQUEST_SETTER({
    if (key == nullptr) return NullError("key");
    if (value == nullptr) return NullError("value");
    request->request.context.emplace_back(key, value);
  });
}
int32_t aisle_request_clear_context(aisle_request* request) {
  AISLE_REQUEST_SETTER(request->request.context.clear());
}
int32_t aisle_request_set_seed_items(aisle_request* request, const char* const* ids, size_t count) {
  const absl::string_view fn = __func__;
  AISLE_REQUEST_SETTER(AISLE_ASSIGN_OR_RETURN(
      request->request.seed_items, ToStrings(fn, ids, count, "ids", /*check_ids=*/false)));
}
int32_t aisle_request_set_cart_items(aisle_request* request, const char* const* ids, size_t count) {
  const absl::string_view fn = __func__;
  AISLE_REQUEST_SETTER(AISLE_ASSIGN_OR_RETURN(
      request->request.cart_items, ToStrings(fn, ids, count, "ids", /*check_ids=*/false)));
}
int32_t aisle_request_set_bought_items(aisle_request* request, const char* const* ids,
                                       size_t count) {
  const absl::string_view fn = __func__;
  AISLE_REQUEST_SETTER(AISLE_ASSIGN_OR_RETURN(
      request->request.bought_items, ToStrings(fn, ids, count, "ids", /*check_ids=*/false)));
}
int32_t aisle_request_set_search_candidates(aisle_request* request, const char* const* ids,
                                            size_t count) {
  const absl::string_view fn = __func__;
  AISLE_REQUEST_SETTER(AISLE_ASSIGN_OR_RETURN(
      request->request.search_candidates, ToStrings(fn, ids, count, "ids", /*check_ids=*/false)));
}
int32_t aisle_request_set_user_vector(aisle_request* request, const float* values, size_t count) {
  const absl::string_view fn = __func__;
  AISLE_REQUEST_SETTER({
    AISLE_RETURN_IF_ERROR(CheckRange(fn, "count", count, 0, AISLE_MAX_DIM));
    AISLE_RETURN_IF_ERROR(CheckArray(values, count, "values"));
    request->request.user_vector.assign(values, values + count);
  });
}
int32_t aisle_request_set_segment(aisle_request* request, uint32_t segment) {
  const absl::string_view fn = __func__;
  AISLE_REQUEST_SETTER({
    AISLE_RETURN_IF_ERROR(CheckRange(fn, "segment", segment, 0, AISLE_MAX_SEGMENTS));
    request->request.segment = segment;
  });
}
int32_t aisle_request_set_k(aisle_request* request, uint32_t k) {
  const absl::string_view fn = __func__;
  AISLE_REQUEST_SETTER({
    AISLE_RETURN_IF_ERROR(CheckRange(fn, "k", k, 0, AISLE_MAX_K));
    request->request.k = k;
  });
}
int32_t aisle_request_set_budget(aisle_request* request, int64_t budget_micros) {
  AISLE_REQUEST_SETTER({
    if (budget_micros < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("budget_micros is ", budget_micros, "; must be >= 0"));
    }
    request->request.budget = absl::Microseconds(budget_micros);
  });
}

#undef AISLE_REQUEST_SETTER

// ------------------------------------------------------------------ response

int32_t aisle_engine_assemble_features(const aisle_engine* engine, const aisle_request* request,
                                       const char* const* item_ids, size_t count,
                                       aisle_feature_matrix** out) {
  const absl::string_view fn = __func__;
  return GuardCreate(out, [&]() -> absl::StatusOr<std::unique_ptr<aisle_feature_matrix>> {
    if (engine == nullptr) return NullError("engine");
    if (request == nullptr) return NullError("request");
    AISLE_ASSIGN_OR_RETURN(std::vector<std::string> ids,
                           ToStrings(fn, item_ids, count, "item_ids", /*check_ids=*/false));
    AISLE_ASSIGN_OR_RETURN(aisle::serving::FeatureMatrix m,
                           engine->engine->AssembleFeatures(request->request, ids));
    auto out_matrix = std::make_unique<aisle_feature_matrix>();
    out_matrix->matrix = std::move(m);
    return out_matrix;
  });
}

void aisle_feature_matrix_destroy(aisle_feature_matrix* matrix) { delete matrix; }

int32_t aisle_feature_matrix_shape(const aisle_feature_matrix* matrix, size_t* rows, size_t* cols) {
  return Guard([&]() -> absl::Status {
    if (matrix == nullptr) return NullError("matrix");
    if (rows == nullptr) return NullError("rows");
    if (cols == nullptr) return NullError("cols");
    *rows = matrix->matrix.rows;
    *cols = matrix->matrix.cols;
    return absl::OkStatus();
  });
}

int32_t aisle_feature_matrix_values(const aisle_feature_matrix* matrix, const float** out) {
  return Guard([&]() -> absl::Status {
    if (matrix == nullptr) return NullError("matrix");
    if (out == nullptr) return NullError("out");
    *out = matrix->matrix.values.data();
    return absl::OkStatus();
  });
}

int32_t aisle_feature_matrix_feature_name(const aisle_feature_matrix* matrix, size_t i,
                                          const char** out) {
  return Guard([&]() -> absl::Status {
    if (matrix == nullptr) return NullError("matrix");
    if (out == nullptr) return NullError("out");
    if (i >= matrix->matrix.feature_names.size()) {
      return absl::OutOfRangeError(
          absl::StrCat("feature ", i, " of ", matrix->matrix.feature_names.size()));
    }
    *out = matrix->matrix.feature_names[i].c_str();
    return absl::OkStatus();
  });
}

int32_t aisle_feature_matrix_retrieved(const aisle_feature_matrix* matrix, const uint8_t** out) {
  return Guard([&]() -> absl::Status {
    if (matrix == nullptr) return NullError("matrix");
    if (out == nullptr) return NullError("out");
    *out = matrix->matrix.retrieved.data();
    return absl::OkStatus();
  });
}

void aisle_response_destroy(aisle_response* response) { delete response; }

#define AISLE_RESPONSE_GETTER(body)                        \
  return Guard([&]() -> absl::Status {                     \
    if (response == nullptr) return NullError("response"); \
    if (out == nullptr) return NullError("out");           \
    body;                                                  \
    return absl::OkStatus();                               \
  })

int32_t aisle_response_item_count(const aisle_response* response, size_t* out) {
  AISLE_RESPONSE_GETTER(*out = response->indices.size());
}

int32_t aisle_response_indices(const aisle_response* response, const uint32_t** out,
                               size_t* out_count) {
  AISLE_RESPONSE_GETTER({
    if (out_count == nullptr) return NullError("out_count");
    *out = response->indices.data();
    *out_count = response->indices.size();
  });
}
int32_t aisle_response_scores(const aisle_response* response, const float** out,
                              size_t* out_count) {
  AISLE_RESPONSE_GETTER({
    if (out_count == nullptr) return NullError("out_count");
    *out = response->scores.data();
    *out_count = response->scores.size();
  });
}
int32_t aisle_response_sources(const aisle_response* response, const uint32_t** out,
                               size_t* out_count) {
  AISLE_RESPONSE_GETTER({
    if (out_count == nullptr) return NullError("out_count");
    *out = response->sources.data();
    *out_count = response->sources.size();
  });
}
int32_t aisle_response_item_id(const aisle_response* response, size_t i, const char** out) {
  AISLE_RESPONSE_GETTER({
    AISLE_RETURN_IF_ERROR(ItemOutOfRange(response, i));
    *out = response->strings.data() + response->id_offsets[i];
  });
}
int32_t aisle_response_item_reason(const aisle_response* response, size_t i, const char** out) {
  AISLE_RESPONSE_GETTER({
    AISLE_RETURN_IF_ERROR(ItemOutOfRange(response, i));
    *out = response->strings.data() + response->reason_offsets[i];
  });
}
int32_t aisle_response_source_count(const aisle_response* response, size_t* out) {
  AISLE_RESPONSE_GETTER(*out = response->source_offsets.size());
}
int32_t aisle_response_source_name(const aisle_response* response, size_t i, const char** out) {
  AISLE_RESPONSE_GETTER({
    if (i >= response->source_offsets.size()) {
      return absl::OutOfRangeError(absl::StrCat("source ", i, " is outside the response's ",
                                                response->source_offsets.size(), " sources"));
    }
    *out = response->strings.data() + response->source_offsets[i];
  });
}
int32_t aisle_response_tier(const aisle_response* response, int32_t* out) {
  AISLE_RESPONSE_GETTER(*out = static_cast<int32_t>(response->response.tier));
}
int32_t aisle_response_fallback_level(const aisle_response* response, int32_t* out) {
  AISLE_RESPONSE_GETTER(*out = static_cast<int32_t>(response->response.fallback_level));
}
int32_t aisle_response_fallback_reason(const aisle_response* response, int32_t* out) {
  AISLE_RESPONSE_GETTER(*out = static_cast<int32_t>(response->response.fallback_reason));
}
int32_t aisle_response_fallback_detail(const aisle_response* response, const char** out) {
  AISLE_RESPONSE_GETTER(*out = response->response.fallback_detail.c_str());
}
int32_t aisle_response_request_id(const aisle_response* response, const char** out) {
  AISLE_RESPONSE_GETTER(*out = response->response.request_id.c_str());
}
int32_t aisle_response_snapshot_version(const aisle_response* response, const char** out) {
  AISLE_RESPONSE_GETTER(*out = response->response.snapshot_version.c_str());
}
int32_t aisle_response_ranker_version(const aisle_response* response, const char** out) {
  AISLE_RESPONSE_GETTER(*out = response->response.ranker_version.c_str());
}
int32_t aisle_response_latency_micros(const aisle_response* response, int32_t stage, int64_t* out) {
  AISLE_RESPONSE_GETTER({
    StageParts parts;
    if (!CStageParts(stage, parts)) {
      return absl::OutOfRangeError(
          absl::StrCat("stage ", stage, " is not an AISLE_STAGE_* value (0..9)"));
    }
    absl::Duration d;
    if (stage == AISLE_STAGE_TOTAL) {
      d = response->response.total_latency;
    } else {
      for (int k = 0; k < parts.count; ++k) {
        d += response->response.stage_latency[static_cast<int>(parts.stages[k])];
      }
    }
    *out = absl::ToInt64Microseconds(d);
  });
}
int32_t aisle_response_quality(const aisle_response* response, double* out) {
  AISLE_RESPONSE_GETTER(*out = response->response.quality);
}
int32_t aisle_response_experiment_count(const aisle_response* response, size_t* out) {
  AISLE_RESPONSE_GETTER(*out = response->response.experiments.size());
}
int32_t aisle_response_holdout(const aisle_response* response, uint8_t* out) {
  AISLE_RESPONSE_GETTER(*out = response->response.holdout ? 1 : 0);
}
int32_t aisle_response_pipeline(const aisle_response* response, const char** out) {
  AISLE_RESPONSE_GETTER(*out = response->response.pipeline.c_str());
}
int32_t aisle_response_tier_reason(const aisle_response* response, const char** out) {
  AISLE_RESPONSE_GETTER(*out = response->response.tier_reason.c_str());
}
int32_t aisle_response_param_count(const aisle_response* response, size_t* out) {
  AISLE_RESPONSE_GETTER(*out = response->response.params.size());
}
int32_t aisle_response_shadow_count(const aisle_response* response, size_t* out) {
  AISLE_RESPONSE_GETTER(*out = response->response.shadow_rankers.size());
}
int32_t aisle_response_shadow_ranker(const aisle_response* response, size_t i, const char** out) {
  AISLE_RESPONSE_GETTER({
    const auto& shadows = response->response.shadow_rankers;
    if (i >= shadows.size()) {
      return absl::OutOfRangeError(absl::StrCat("shadow ranker ", i, " is outside the response's ",
                                                shadows.size(), " shadow rankers"));
    }
    *out = shadows[i].c_str();
  });
}

#undef AISLE_RESPONSE_GETTER

int32_t aisle_response_experiment(const aisle_response* response, size_t i, const char** out_layer,
                                  const char** out_experiment, const char** out_variant,
                                  uint8_t* out_in_experiment) {
  return Guard([&]() -> absl::Status {
    if (response == nullptr) return NullError("response");
    const auto& e = response->response.experiments;
    if (i >= e.size()) {
      return absl::OutOfRangeError(
          absl::StrCat("experiment ", i, " is outside the response's ", e.size(), " assignments"));
    }
    if (out_layer != nullptr) *out_layer = e[i].layer.c_str();
    if (out_experiment != nullptr) *out_experiment = e[i].experiment.c_str();
    if (out_variant != nullptr) *out_variant = e[i].variant.c_str();
    if (out_in_experiment != nullptr) *out_in_experiment = e[i].in_experiment ? 1 : 0;
    return absl::OkStatus();
  });
}

int32_t aisle_response_experiment_flags(const aisle_response* response, size_t i,
                                        uint8_t* out_forced, uint8_t* out_holdout,
                                        uint8_t* out_killed) {
  return Guard([&]() -> absl::Status {
    if (response == nullptr) return NullError("response");
    const auto& e = response->response.experiments;
    if (i >= e.size()) {
      return absl::OutOfRangeError(
          absl::StrCat("experiment ", i, " is outside the response's ", e.size(), " assignments"));
    }
    if (out_forced != nullptr) *out_forced = e[i].forced ? 1 : 0;
    if (out_holdout != nullptr) *out_holdout = e[i].holdout ? 1 : 0;
    if (out_killed != nullptr) *out_killed = e[i].killed ? 1 : 0;
    return absl::OkStatus();
  });
}

int32_t aisle_response_param(const aisle_response* response, size_t i, const char** out_key,
                             const char** out_value) {
  return Guard([&]() -> absl::Status {
    if (response == nullptr) return NullError("response");
    const auto& p = response->response.params;
    if (i >= p.size()) {
      return absl::OutOfRangeError(
          absl::StrCat("parameter ", i, " is outside the response's ", p.size(), " parameters"));
    }
    if (out_key != nullptr) *out_key = p[i].first.c_str();
    if (out_value != nullptr) *out_value = p[i].second.c_str();
    return absl::OkStatus();
  });
}

int32_t aisle_response_counts_read(const aisle_response* response, aisle_response_counts* out) {
  return Guard([&]() -> absl::Status {
    if (response == nullptr) return NullError("response");
    const auto& r = response->response;
    aisle_response_counts c;
    std::memset(&c, 0, sizeof(c));
    c.size = sizeof(c);
    c.candidates = r.candidates;
    c.filtered = r.filtered;
    c.unknown_items = r.unknown_items;
    c.stale_features = r.stale_features;
    c.defaulted_features = r.defaulted_features;
    return aisle::capi::WriteSized(c, out, "out");
  });
}

}  // extern "C"
