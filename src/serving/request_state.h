// Private to the serving engine: the state of one request as it moves
// through routing, the level servers and the stages (the plan it was routed
// into, its budget, its per-thread scratch buffers and the response being
// built).
#ifndef AISLE_SRC_SERVING_REQUEST_STATE_H_
#define AISLE_SRC_SERVING_REQUEST_STATE_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/inlined_vector.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "aisle/core/candidate.h"
#include "aisle/core/deadline.h"
#include "aisle/policy/reorderers.h"
#include "aisle/ranking/ranker.h"
#include "aisle/retrieval/merge.h"
#include "aisle/routing/cold_start_tier.h"
#include "aisle/routing/experiment_router.h"
#include "aisle/serving/fallback.h"
#include "aisle/serving/overload_controller.h"
#include "aisle/serving/request.h"
#include "aisle/serving/response.h"
#include "aisle/serving/runtime_switches.h"
#include "aisle/serving/stage_budget.h"
#include "serving/compiled.h"

namespace aisle::serving::internal {

// What routing decided for one request; everything downstream runs it and
// nothing re-decides it.
struct Plan {
  // The surface the request named, and the pipeline that serves it (the same
  // surface, an experiment variant's pipeline or a cold-start tier's).
  const CompiledSurface* requested = nullptr;
  const CompiledSurface* surface = nullptr;
  // The ranker (null: the merged order), and whether it is a host scorer.
  std::shared_ptr<const ranking::Ranker> ranker;
  bool ranker_is_host = false;
  // Per source of `surface`: quota (after overload scaling) and ANN breadth
  // (0 = the source's own).
  absl::InlinedVector<uint32_t, 8> quotas;
  absl::InlinedVector<size_t, 8> efs;
  // Diversification by MMR: the surface's, or a variant's lambda.
  const policy::Reorderer* mmr = nullptr;
  // Exploration slots on for this request, the share of them used, and the
  // experiment arm their counters go to.
  bool exploration = true;
  float exploration_share = 1.0f;
  uint32_t exploration_arm = 0;
  absl::Duration budget = absl::ZeroDuration();
  // Cold start.
  routing::ColdStartTier tier = routing::ColdStartTier::kAnonymous;
  std::string tier_reason;
  // Where the ladder walk starts, and why when it is not the first level.
  FallbackLevel start_level = FallbackLevel::kPersonalized;
  // Context segment (anonymous visitors): popular-in-segment uses it when the
  // request names none.
  uint32_t segment = 0;
  bool holdout = false;
  // Shadow rankers scoring the served candidates off the response path.
  absl::InlinedVector<std::shared_ptr<const ranking::Ranker>, 2> shadows;
  // The overload controller's plan for this request.
  ShedPlan shed;
};

// Per-thread buffers reused across requests: no allocation per candidate.
struct Scratch {
  retrieval::MergedCandidates merged;
  std::unique_ptr<retrieval::CandidateMerger> merger;
  std::vector<retrieval::SourceSpec> specs;
  std::vector<Candidate> list;
  // Row of each entry of `list` in `merged` (-1: no source proposed it).
  std::vector<int32_t> rows;
  std::vector<ItemIndex> items;
  std::vector<uint32_t> source_bits;
  std::vector<float> retrieval;
  std::vector<float> features;
  std::vector<float> scores;
  std::vector<float> context;
  std::vector<ItemIndex> seeds, cart, bought, search;
  std::vector<CategoryIndex> categories;
  std::vector<routing::Assignment> assignments;
  std::vector<float> history;
  std::vector<int64_t> stamps;
  std::vector<Candidate> pool;
  policy::ReorderReport reorder;
  // Item marks for de-duplicating request inputs: seen[i] == stamp.
  std::vector<uint32_t> seen;
  uint32_t stamp = 0;
  Plan plan;
};

Scratch& ThreadScratch();

// How one fallback level ended.
struct LevelOutcome {
  bool served = false;
  FallbackReason why = FallbackReason::kNone;
  std::string detail;
  absl::string_view reason = "ranked";  // the served items' reason
};

class EngineCore;

// One request in flight.
struct RequestState {
  RequestState(const EngineCore& e, const Compiled& c, const Request& r, Response& resp, Scratch& s)
      : engine(e),
        compiled(c),
        catalog(*c.live->catalog),
        req(r),
        response(resp),
        scratch(s),
        plan(s.plan) {}
  const EngineCore& engine;
  const Compiled& compiled;
  const catalog::Catalog& catalog;
  const Request& req;
  Response& response;
  Scratch& scratch;
  Plan& plan;
  // Set once routing has fixed the plan's budget.
  std::optional<RequestBudget> budget;
  Deadline deadline;
  size_t k = 0;
  SurfaceSwitches switches;
  // Set when a level served in spite of a failure (last known good).
  FallbackReason served_despite = FallbackReason::kNone;
};

}  // namespace aisle::serving::internal

#endif  // AISLE_SRC_SERVING_REQUEST_STATE_H_
