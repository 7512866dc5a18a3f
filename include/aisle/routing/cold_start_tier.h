// File: aisle/routing/cold_start_tier.h
//
// The "route" stage's cold-start half: which tier a request is in, from whether
// it carries a user id and how many interactions the caller has seen for it.
//
//   anonymous         no user id, or no interactions (no history)
//   few_interactions  1 <= interactions < known_min_interactions
//   known             interactions >= known_min_interactions
//
// The default threshold is the usual retail split: no history; 1-9
// interactions; 10 or more (known_min_interactions = 10). Thresholds are per
// surface: a classifier is a small value, and a caller holds one per surface
// (a product page may call a user known sooner than the home page does).
//
// Tier names are stable strings: responses and metrics carry them.
//
//   AISLE_ASSIGN_OR_RETURN(ColdStartClassifier home, ColdStartClassifier::Create(10));
//   AISLE_ASSIGN_OR_RETURN(ColdStartClassifier pdp, ColdStartClassifier::Create(3));
//   ColdStartTier t = home.Classify(request.user_id, interaction_count);
//   metrics.Inc(ColdStartTierName(t));   // "few_interactions"
//
// ColdStartClassifier is an immutable value: thread-safe.
#ifndef AISLE_ROUTING_COLD_START_TIER_H_
#define AISLE_ROUTING_COLD_START_TIER_H_

#include <cstddef>
#include <cstdint>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace aisle::routing {

enum class ColdStartTier : uint8_t {
  kAnonymous = 0,
  kFewInteractions = 1,
  kKnown = 2,
};
inline constexpr size_t kNumColdStartTiers = 3;

// "anonymous", "few_interactions", "known". Never changes for a released tier.
absl::string_view ColdStartTierName(ColdStartTier tier);

// Inverse of ColdStartTierName; InvalidArgument naming the unknown string.
absl::StatusOr<ColdStartTier> ParseColdStartTier(absl::string_view name);

class ColdStartClassifier {
 public:
  static constexpr uint32_t kDefaultKnownMinInteractions = 10;

  // known_min_interactions = kDefaultKnownMinInteractions.
  ColdStartClassifier() = default;

  // InvalidArgument when known_min_interactions is 0 (1 means there is no
  // few_interactions tier).
  static absl::StatusOr<ColdStartClassifier> Create(uint32_t known_min_interactions);

  // Takes a bool rather than overloading Classify: a string literal would
  // otherwise convert to bool and pick the wrong overload.
  ColdStartTier ClassifyByPresence(bool has_user_id, uint32_t interaction_count) const {
    if (!has_user_id || interaction_count == 0) return ColdStartTier::kAnonymous;
    if (interaction_count < known_min_interactions_) return ColdStartTier::kFewInteractions;
    return ColdStartTier::kKnown;
  }
  ColdStartTier Classify(absl::string_view user_id, uint32_t interaction_count) const {
    return ClassifyByPresence(!user_id.empty(), interaction_count);
  }

  uint32_t known_min_interactions() const { return known_min_interactions_; }

  friend bool operator==(const ColdStartClassifier&, const ColdStartClassifier&) = default;

 private:
  explicit ColdStartClassifier(uint32_t known_min) : known_min_interactions_(known_min) {}
  uint32_t known_min_interactions_ = kDefaultKnownMinInteractions;
};

}  // namespace aisle::routing

#endif  // AISLE_ROUTING_COLD_START_TIER_H_
