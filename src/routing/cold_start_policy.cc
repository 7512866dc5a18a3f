#include "aisle/routing/cold_start_policy.h"

#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "aisle/core/status_macros.h"
#include "core/json_diagnostics.h"
#include "nlohmann/json.hpp"

namespace aisle::routing {

absl::string_view FallbackLevelName(FallbackLevel level) {
  switch (level) {
    case FallbackLevel::kPersonalized:
      return "personalized";
    case FallbackLevel::kSegment:
      return "segment";
    case FallbackLevel::kCategoryPopular:
      return "category_popular";
    case FallbackLevel::kGlobalPopular:
      return "global_popular";
    case FallbackLevel::kCampaign:
      return "campaign";
  }
  return "unknown";
}

absl::StatusOr<FallbackLevel> ParseFallbackLevel(absl::string_view name) {
  for (size_t i = 0; i < kNumFallbackLevels; ++i) {
    const auto level = static_cast<FallbackLevel>(i);
    if (FallbackLevelName(level) == name) return level;
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "unknown fallback level '", std::string(name),
      "' (expected personalized, segment, category_popular, global_popular or campaign)"));
}

ColdStartPolicy ColdStartPolicy::Default() {
  ColdStartPolicy p;
  p.plans_[static_cast<size_t>(ColdStartTier::kAnonymous)] = {FallbackLevel::kSegment, "anonymous"};
  p.plans_[static_cast<size_t>(ColdStartTier::kFewInteractions)] = {FallbackLevel::kPersonalized,
                                                                    "few_interactions"};
  p.plans_[static_cast<size_t>(ColdStartTier::kKnown)] = {FallbackLevel::kPersonalized, "known"};
  return p;
}

absl::StatusOr<ColdStartPolicy> ColdStartPolicy::Create(
    ColdStartClassifier classifier, std::array<TierPlan, kNumColdStartTiers> plans) {
  for (size_t t = 0; t < kNumColdStartTiers; ++t) {
    const auto tier = static_cast<ColdStartTier>(t);
    if (plans[t].pipeline.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("cold-start policy: tiers.", ColdStartTierName(tier), ".pipeline is empty"));
    }
    if (t + 1 < kNumColdStartTiers && plans[t].start_level < plans[t + 1].start_level) {
      const auto richer = static_cast<ColdStartTier>(t + 1);
      return absl::InvalidArgumentError(
          absl::StrCat("cold-start policy: tier '", ColdStartTierName(tier), "' starts at '",
                       FallbackLevelName(plans[t].start_level), "', more personalized than tier '",
                       ColdStartTierName(richer), "' which has more history and starts at '",
                       FallbackLevelName(plans[t + 1].start_level), "'"));
    }
  }
  ColdStartPolicy p;
  p.classifier_ = classifier;
  p.plans_ = std::move(plans);
  return p;
}

absl::StatusOr<ColdStartPolicy> ColdStartPolicy::FromJson(absl::string_view json_text) {
  using nlohmann::json;
  const ColdStartPolicy defaults = Default();
  ColdStartClassifier classifier = defaults.classifier_;
  std::array<TierPlan, kNumColdStartTiers> plans = defaults.plans_;
  const auto invalid = [](const std::string& where, const std::string& what) {
    return absl::InvalidArgumentError(absl::StrCat("cold-start policy: ", where, ": ", what));
  };
  try {
    json root = json::parse(json_text.begin(), json_text.end(), nullptr,
                            /*allow_exceptions=*/false);
    if (root.is_discarded()) {
      return absl::InvalidArgumentError(
          ::aisle::internal::DescribeJsonParseError(json_text, "cold-start policy: JSON"));
    }
    if (!root.is_object()) return invalid("(root)", "must be an object");
    for (auto it = root.begin(); it != root.end(); ++it) {
      if (it.key() == "known_min_interactions") {
        if (!it->is_number_unsigned() || it->get<uint64_t>() > UINT32_MAX) {
          return invalid(it.key(),
                         absl::StrCat("must be an integer in [1, 2^32), got ", it->dump()));
        }
        AISLE_ASSIGN_OR_RETURN(
            classifier, ColdStartClassifier::Create(static_cast<uint32_t>(it->get<uint64_t>())));
      } else if (it.key() == "tiers") {
        if (!it->is_object()) return invalid("tiers", "must be an object");
        for (auto t = it->begin(); t != it->end(); ++t) {
          const std::string where = "tiers." + t.key();
          absl::StatusOr<ColdStartTier> tier = ParseColdStartTier(t.key());
          if (!tier.ok()) return invalid(where, std::string(tier.status().message()));
          if (!t->is_object()) return invalid(where, "must be an object");
          TierPlan& plan = plans[static_cast<size_t>(*tier)];
          for (auto f = t->begin(); f != t->end(); ++f) {
            if (!f->is_string()) {
              return invalid(where + "." + f.key(),
                             absl::StrCat("must be a string, got ", f->dump()));
            }
            if (f.key() == "start_level") {
              absl::StatusOr<FallbackLevel> level = ParseFallbackLevel(f->get<std::string>());
              if (!level.ok())
                return invalid(where + ".start_level", std::string(level.status().message()));
              plan.start_level = *level;
            } else if (f.key() == "pipeline") {
              plan.pipeline = f->get<std::string>();
            } else {
              return invalid(where, absl::StrCat("unknown field '", f.key(),
                                                 "' (allowed: start_level, pipeline)"));
            }
          }
        }
      } else {
        return invalid("(root)", absl::StrCat("unknown field '", it.key(),
                                              "' (allowed: known_min_interactions, tiers)"));
      }
    }
  } catch (const std::bad_alloc&) {
    return absl::ResourceExhaustedError("cold-start policy: out of memory while parsing");
  } catch (const std::exception& e) {
    return absl::InvalidArgumentError(absl::StrCat("cold-start policy: ", e.what()));
  }
  return Create(classifier, std::move(plans));
}

}  // namespace aisle::routing
