// File: aisle/serving/response.h
//
// What the engine answers: the items with their scores, source tags and a
// reason, and everything needed to trust and debug the answer: the cold-start
// tier, the fallback level that served it and why, experiment assignments,
// the snapshot and ranker versions, per-stage latency and the quality factor
// the overload controller had set. A Response keeps the snapshot it was served
// from alive, so its string views stay valid for the Response's lifetime.
//
//   AISLE_ASSIGN_OR_RETURN(aisle::serving::Response r, engine.Recommend(req));
//   for (const auto& item : r.items) Render(item.id, item.score);
//   if (r.fallback_level != FallbackLevel::kPersonalized)
//     Log(FallbackReasonName(r.fallback_reason));
//
// Response is a value type: thread-compatible.
#ifndef AISLE_SERVING_RESPONSE_H_
#define AISLE_SERVING_RESPONSE_H_

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "aisle/core/ids.h"
#include "aisle/routing/cold_start_tier.h"
#include "aisle/serving/fallback.h"
#include "aisle/serving/stage_budget.h"

namespace aisle::serving {

struct ResponseItem {
  ItemIndex index = kInvalidItem;
  absl::string_view id;  // the external id, owned by the snapshot
  float score = 0.0f;
  // Bit i set when source i of the serving level proposed the item; names in
  // Response::source_names.
  uint32_t sources = 0;
  // Why the item is here: the level's reason ("ranked", "reranked",
  // "segment_popular", "category_popular", "popular", "campaign", "lexical",
  // "last_known_good"), or "exploration" for an item placed in an exploration
  // slot. Pinned items carry their level's reason.
  absl::string_view reason;
};

struct ExperimentAssignment {
  std::string layer;
  std::string experiment;
  std::string variant;
  // False when the unit is in the experiment's range but outside its
  // coverage, held out, or sent to control by a killed experiment: it got
  // the defaults and must not be counted as exposed.
  bool in_experiment = false;
  bool forced = false;   // a QA override chose the variant
  bool holdout = false;  // the unit is in a holdout of this layer
  bool killed = false;   // the experiment is killed: control for everyone
};

struct Response {
  std::string request_id;
  std::string surface;
  std::vector<ResponseItem> items;
  // Names of the serving level's candidate sources, by SourceId.
  std::vector<absl::string_view> source_names;

  routing::ColdStartTier tier = routing::ColdStartTier::kAnonymous;
  FallbackLevel fallback_level = FallbackLevel::kPersonalized;
  // kNone when the first level of the ladder served the request; otherwise
  // the reason for the last step down.
  FallbackReason fallback_reason = FallbackReason::kNone;
  // A sentence for logs: "ranker: deadline passed", "ann: breaker open".
  std::string fallback_detail;
  std::vector<ExperimentAssignment> experiments;
  // Whether the unit is held out of the experiments of some layer.
  bool holdout = false;
  // Why the request is in its tier ("user has 12 interactions", ...).
  std::string tier_reason;
  // The pipeline (surface configuration) that served: the surface itself,
  // an experiment arm's pipeline or a cold-start tier's.
  std::string pipeline;
  // The experiment parameters applied to this request, (key, value).
  std::vector<std::pair<std::string, std::string>> params;
  // Shadow rankers started for this response (results in
  // Engine::DrainShadowResults).
  std::vector<std::string> shadow_rankers;

  std::string snapshot_version;
  std::string ranker_version;  // empty when no ranker scored the items

  // Time spent per stage (Stage); a stage that did not run has zero.
  std::array<absl::Duration, kNumStages> stage_latency{};
  absl::Duration total_latency = absl::ZeroDuration();
  // The overload controller's quality factor for the surface, in (0, 1].
  double quality = 1.0;

  // Counters for this request.
  uint32_t candidates = 0;      // after merge
  uint32_t filtered = 0;        // removed by filters
  uint32_t unknown_items = 0;   // request ids not in the snapshot
  uint32_t stale_features = 0;  // feature cells older than their max age
  uint32_t defaulted_features = 0;

  // Keeps the snapshot (and so every string_view above) alive.
  std::shared_ptr<const void> keepalive;
};

}  // namespace aisle::serving

#endif  // AISLE_SERVING_RESPONSE_H_
