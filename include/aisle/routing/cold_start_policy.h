// File: aisle/routing/cold_start_policy.h
//
// Maps a cold-start tier to where the pipeline starts: the first fallback level
// to try (personalized -> segment -> category_popular -> global_popular ->
// campaign, the degradation order of ARCHITECTURE.md) and a named pipeline
// variant the pipeline builder looks up. Also holds the tier classifier, so
// one object answers "which tier, and where do we start" for a request.
//
//   ColdStartPolicy policy = ColdStartPolicy::Default();
//   ColdStartDecision d = policy.Decide(request.user_id, interaction_count);
//   // d.tier == kFewInteractions, d.start_level == kPersonalized,
//   // d.pipeline == "few_interactions"
//
// Or from JSON (format in docs/routing.md):
//   {"known_min_interactions": 3,
//    "tiers": {"anonymous": {"start_level": "category_popular", "pipeline": "browse"}}}
//
// Defaults: anonymous -> segment / "anonymous"; few_interactions ->
// personalized / "few_interactions"; known -> personalized / "known";
// known_min_interactions = 10 (ColdStartClassifier's default).
//
// Transitional: the tier -> fallback level mapping is moving to the serving
// engine, which owns the one FallbackLevel vocabulary
// (aisle/serving/fallback.h); this header and its FallbackLevel go with it.
// New code should use ColdStartClassifier (cold_start_tier.h) and
// serving::FallbackLevel.
//
// ColdStartPolicy is immutable after construction: thread-safe.
#ifndef AISLE_ROUTING_COLD_START_POLICY_H_
#define AISLE_ROUTING_COLD_START_POLICY_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "aisle/routing/cold_start_tier.h"

namespace aisle::routing {

// Fallback levels in degradation order: a larger value is less personalized.
enum class FallbackLevel : uint8_t {
  kPersonalized = 0,
  kSegment = 1,
  kCategoryPopular = 2,
  kGlobalPopular = 3,
  kCampaign = 4,
};
inline constexpr size_t kNumFallbackLevels = 5;

// "personalized", "segment", "category_popular", "global_popular", "campaign".
absl::string_view FallbackLevelName(FallbackLevel level);
absl::StatusOr<FallbackLevel> ParseFallbackLevel(absl::string_view name);

struct TierPlan {
  FallbackLevel start_level = FallbackLevel::kPersonalized;
  std::string pipeline;  // non-empty pipeline variant name
};

struct ColdStartDecision {
  ColdStartTier tier = ColdStartTier::kAnonymous;
  FallbackLevel start_level = FallbackLevel::kPersonalized;
  absl::string_view pipeline;  // points into the policy
};

class ColdStartPolicy {
 public:
  static ColdStartPolicy Default();

  // `plans` is indexed by ColdStartTier. InvalidArgument if a pipeline name is
  // empty, or if a tier with less history starts at a more personalized level
  // than a tier with more (anonymous must not start above few_interactions,
  // nor few_interactions above known).
  static absl::StatusOr<ColdStartPolicy> Create(ColdStartClassifier classifier,
                                                std::array<TierPlan, kNumColdStartTiers> plans);

  // JSON; omitted fields keep the defaults; unknown fields are errors.
  static absl::StatusOr<ColdStartPolicy> FromJson(absl::string_view json_text);

  ColdStartDecision DecideByPresence(bool has_user_id, uint32_t interaction_count) const {
    return DecideTier(classifier_.ClassifyByPresence(has_user_id, interaction_count));
  }
  ColdStartDecision Decide(absl::string_view user_id, uint32_t interaction_count) const {
    return DecideByPresence(!user_id.empty(), interaction_count);
  }
  ColdStartDecision DecideTier(ColdStartTier tier) const {
    const TierPlan& p = plans_[static_cast<size_t>(tier)];
    return ColdStartDecision{tier, p.start_level, p.pipeline};
  }

  const ColdStartClassifier& classifier() const { return classifier_; }
  const TierPlan& plan(ColdStartTier tier) const { return plans_[static_cast<size_t>(tier)]; }

 private:
  ColdStartPolicy() = default;
  ColdStartClassifier classifier_;
  std::array<TierPlan, kNumColdStartTiers> plans_;
};

}  // namespace aisle::routing

#endif  // AISLE_ROUTING_COLD_START_POLICY_H_
