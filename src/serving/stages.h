// Private to the serving engine: the typed stages a fallback level runs, in
// the order the framework fixes:
//
//   retrieve -> filter -> features -> rank -> rules -> diversify -> explore
//   -> (pins) -> respond
//
// Each stage is a small class with a stable name (StageName(kStage)), its own
// budget (StageBudgets), a latency figure (Response::stage_latency and
// EngineMetrics::stage_micros) and ONE mapping from its failure to a
// fallback reason (its Fail()). RunStage() is the framework: it checks the
// stage still fits in the request's budget, times it, counts it, and hands a
// failure to the level walk. Stages that only polish a list (rules,
// diversify, explore) are skipped, not failed, when they no longer fit.
#ifndef AISLE_SRC_SERVING_STAGES_H_
#define AISLE_SRC_SERVING_STAGES_H_

#include <optional>
#include <string>

#include "absl/status/status.h"
#include "aisle/core/matrix.h"
#include "aisle/features/feature_assembler.h"
#include "aisle/retrieval/candidate_source.h"
#include "aisle/serving/fallback.h"
#include "aisle/serving/stage_budget.h"
#include "serving/request_state.h"

namespace aisle::serving::internal {

// Why a stage handed the request to the next level.
struct StageFailure {
  FallbackReason reason;
  std::string detail;  // "<stage>: <what happened>"
};
using StageResult = std::optional<StageFailure>;  // nullopt: the stage succeeded

// Candidate sources of the plan's pipeline, merged under the plan's quotas,
// into scratch.merged; scratch.list/rows then hold every merged candidate.
class RetrieveStage {
 public:
  static constexpr Stage kStage = Stage::kRetrieve;
  static constexpr bool kSkippable = false;
  StageResult Run(RequestState& st);
  static StageFailure Fail(const absl::Status& st);
};

// The pipeline's filter chain (inventory, policy, exclusion) over the list.
class FilterStage {
 public:
  static constexpr Stage kStage = Stage::kFilter;
  static constexpr bool kSkippable = false;
  StageResult Run(RequestState& st);
};

// The feature matrix of the list (into scratch.features).
class FeaturesStage {
 public:
  static constexpr Stage kStage = Stage::kFeatures;
  static constexpr bool kSkippable = false;
  StageResult Run(RequestState& st);
  static StageFailure Fail(const absl::Status& st);
  // The matrix the stage assembled, valid until the next assembly.
  MatrixView matrix;
};

// The plan's ranker over the matrix (in line, or on the isolation threads),
// every score finite, then the list sorted by score.
class RankStage {
 public:
  static constexpr Stage kStage = Stage::kRank;
  static constexpr bool kSkippable = false;
  explicit RankStage(MatrixView m) : matrix_(m) {}
  StageResult Run(RequestState& st);
  static StageFailure Fail(const absl::Status& st, const RequestState& rs);

 private:
  MatrixView matrix_;
};

// Business-rule adjustments (boosts, buries, campaigns), before diversity.
class RulesStage {
 public:
  static constexpr Stage kStage = Stage::kRules;
  static constexpr bool kSkippable = true;
  StageResult Run(RequestState& st);
};

// Category caps and MMR.
class DiversifyStage {
 public:
  static constexpr Stage kStage = Stage::kDiversify;
  static constexpr bool kSkippable = true;
  StageResult Run(RequestState& st);
};

// Exploration slots for new items.
class ExploreStage {
 public:
  static constexpr Stage kStage = Stage::kExplore;
  static constexpr bool kSkippable = true;
  StageResult Run(RequestState& st);
};

// Pins, last of all (timed as rules), then the first k.
class PinsStage {
 public:
  static constexpr Stage kStage = Stage::kRules;
  static constexpr bool kSkippable = false;
  StageResult Run(RequestState& st);
};

// The framework: budget check, timing, counting, failure hand-off.
template <typename S>
StageResult RunStage(S& stage, RequestState& st);

// Assembles the feature matrix for scratch.list (rows in scratch.rows: -1
// for an item no source proposed, its retrieval features missing). The one
// code path for serving and for Engine::AssembleFeatures, so training sees
// what serving sees.
absl::StatusOr<MatrixView> AssembleRows(RequestState& st, const Deadline& deadline,
                                        features::FreshnessReport* report);

// Fills st.response from the served list (items, reasons, sources, stage
// latencies), timed as the respond stage.
void Respond(RequestState& st, const LevelOutcome& out);

}  // namespace aisle::serving::internal

#endif  // AISLE_SRC_SERVING_STAGES_H_
