#include "aisle/routing/cold_start_policy.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace aisle::routing {
namespace {

using ::testing::HasSubstr;

TEST(ColdStartPolicy, DefaultPlans) {
  const ColdStartPolicy p = ColdStartPolicy::Default();
  ColdStartDecision d = p.Decide("", 0);
  EXPECT_EQ(d.tier, ColdStartTier::kAnonymous);
  EXPECT_EQ(d.start_level, FallbackLevel::kSegment);
  EXPECT_EQ(d.pipeline, "anonymous");
  d = p.Decide("u", 2);
  EXPECT_EQ(d.tier, ColdStartTier::kFewInteractions);
  EXPECT_EQ(d.start_level, FallbackLevel::kPersonalized);
  EXPECT_EQ(d.pipeline, "few_interactions");
  d = p.Decide("u", 50);
  EXPECT_EQ(d.tier, ColdStartTier::kKnown);
  EXPECT_EQ(d.pipeline, "known");
}

TEST(ColdStartPolicy, FallbackLevelNamesRoundTrip) {
  for (size_t i = 0; i < kNumFallbackLevels; ++i) {
    const auto l = static_cast<FallbackLevel>(i);
    absl::StatusOr<FallbackLevel> parsed = ParseFallbackLevel(FallbackLevelName(l));
    ASSERT_TRUE(parsed.ok());
    EXPECT_EQ(*parsed, l);
  }
  EXPECT_EQ(FallbackLevelName(FallbackLevel::kCategoryPopular), "category_popular");
  EXPECT_FALSE(ParseFallbackLevel("popular").ok());
}

TEST(ColdStartPolicy, FromJsonOverridesThresholdAndTiers) {
  absl::StatusOr<ColdStartPolicy> p = ColdStartPolicy::FromJson(R"({
    "known_min_interactions": 3,
    "tiers": {"anonymous": {"start_level": "global_popular", "pipeline": "browse"},
              "few_interactions": {"start_level": "segment"}}})");
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->classifier().known_min_interactions(), 3u);
  ColdStartDecision d = p->Decide("", 7);
  EXPECT_EQ(d.start_level, FallbackLevel::kGlobalPopular);
  EXPECT_EQ(d.pipeline, "browse");
  d = p->Decide("u", 2);
  EXPECT_EQ(d.start_level, FallbackLevel::kSegment);
  EXPECT_EQ(d.pipeline, "few_interactions");  // kept from the defaults
  EXPECT_EQ(p->Decide("u", 3).tier, ColdStartTier::kKnown);
}

TEST(ColdStartPolicy, RejectsBadJson) {
  const auto message = [](const char* text) {
    absl::StatusOr<ColdStartPolicy> p = ColdStartPolicy::FromJson(text);
    EXPECT_FALSE(p.ok()) << text;
    return std::string(p.status().message());
  };
  EXPECT_THAT(message(R"({"tiers": {"newbie": {}}})"), HasSubstr("tiers.newbie"));
  EXPECT_THAT(message(R"({"tiers": {"known": {"start_level": "popular"}}})"),
              HasSubstr("unknown fallback level 'popular'"));
  EXPECT_THAT(message(R"({"known_min_interactions": 0})"), HasSubstr("must be >= 1"));
  EXPECT_THAT(message(R"({"known_min_interactions": -2})"), HasSubstr("got -2"));
  EXPECT_THAT(message(R"({"threshold": 3})"), HasSubstr("unknown field 'threshold'"));
  EXPECT_THAT(message(R"({"tiers": {"known": {"pipeline": ""}}})"),
              HasSubstr("tiers.known.pipeline is empty"));
  EXPECT_THAT(message("{"), HasSubstr("JSON"));
}

TEST(ColdStartPolicy, RejectsLessHistoryStartingMorePersonalized) {
  std::array<TierPlan, kNumColdStartTiers> plans = {TierPlan{FallbackLevel::kPersonalized, "a"},
                                                    TierPlan{FallbackLevel::kSegment, "f"},
                                                    TierPlan{FallbackLevel::kPersonalized, "k"}};
  absl::StatusOr<ColdStartPolicy> p = ColdStartPolicy::Create(ColdStartClassifier(), plans);
  ASSERT_FALSE(p.ok());
  EXPECT_THAT(std::string(p.status().message()),
              HasSubstr("tier 'anonymous' starts at 'personalized'"));
}

}  // namespace
}  // namespace aisle::routing
