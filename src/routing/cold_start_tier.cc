#include "aisle/routing/cold_start_tier.h"

#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace aisle::routing {

absl::string_view ColdStartTierName(ColdStartTier tier) {
  switch (tier) {
    case ColdStartTier::kAnonymous:
      return "anonymous";
    case ColdStartTier::kFewInteractions:
      return "few_interactions";
    case ColdStartTier::kKnown:
      return "known";
  }
  return "unknown";
}

absl::StatusOr<ColdStartTier> ParseColdStartTier(absl::string_view name) {
  for (size_t i = 0; i < kNumColdStartTiers; ++i) {
    const auto tier = static_cast<ColdStartTier>(i);
    if (ColdStartTierName(tier) == name) return tier;
  }
  return absl::InvalidArgumentError(
      absl::StrCat("unknown cold-start tier '", std::string(name),
                   "' (expected anonymous, few_interactions or known)"));
}

absl::StatusOr<ColdStartClassifier> ColdStartClassifier::Create(uint32_t known_min_interactions) {
  if (known_min_interactions == 0) {
    return absl::InvalidArgumentError(
        "cold-start classifier: known_min_interactions must be >= 1, got 0");
  }
  return ColdStartClassifier(known_min_interactions);
}

}  // namespace aisle::routing
