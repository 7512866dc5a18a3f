#include "aisle/serving/fallback.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace aisle {
namespace serving {
namespace {

using ::testing::HasSubstr;
using L = FallbackLevel;
using R = FallbackReason;

TEST(FallbackNames, AreTheDocumentedStableStrings) {
  EXPECT_EQ(FallbackLevelName(L::kPersonalized), "personalized");
  EXPECT_EQ(FallbackLevelName(L::kSegment), "segment");
  EXPECT_EQ(FallbackLevelName(L::kCategoryPopular), "category_popular");
  EXPECT_EQ(FallbackLevelName(L::kGlobalPopular), "global_popular");
  EXPECT_EQ(FallbackLevelName(L::kCampaign), "campaign");
  EXPECT_EQ(FallbackLevelName(L::kLexical), "lexical");
  EXPECT_EQ(FallbackReasonName(R::kNone), "none");
  EXPECT_EQ(FallbackReasonName(R::kDeadline), "deadline");
  EXPECT_EQ(FallbackReasonName(R::kBreakerOpen), "breaker_open");
  EXPECT_EQ(FallbackReasonName(R::kEmptyStage), "empty_stage");
  EXPECT_EQ(FallbackReasonName(R::kStaleFeatures), "stale_features");
  EXPECT_EQ(FallbackReasonName(R::kSwitchedOff), "switched_off");
  EXPECT_EQ(FallbackReasonName(R::kOverload), "overload");
  EXPECT_EQ(FallbackReasonName(R::kError), "error");
  EXPECT_EQ(FallbackLevelName(static_cast<L>(200)), "unknown");
}

TEST(FallbackNames, ParseRoundTripsEveryValue) {
  for (int i = 0; i < kNumFallbackLevels; ++i) {
    const auto level = static_cast<L>(i);
    auto parsed = ParseFallbackLevel(FallbackLevelName(level));
    ASSERT_TRUE(parsed.ok()) << parsed.status();
    EXPECT_EQ(*parsed, level);
  }
  for (int i = 0; i < kNumFallbackReasons; ++i) {
    const auto reason = static_cast<R>(i);
    auto parsed = ParseFallbackReason(FallbackReasonName(reason));
    ASSERT_TRUE(parsed.ok()) << parsed.status();
    EXPECT_EQ(*parsed, reason);
  }
}

TEST(FallbackNames, ParseRejectsUnknownNameAndNamesIt) {
  auto level = ParseFallbackLevel("trending");
  ASSERT_FALSE(level.ok());
  EXPECT_EQ(level.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(level.status().message(), HasSubstr("\"trending\""));
  EXPECT_FALSE(ParseFallbackReason("timeout").ok());
}

TEST(FallbackLadder, AcceptsAValidRecommendationLadder) {
  auto ladder = FallbackLadder::Create("home", SurfaceKind::kRecommendation,
                                       {L::kPersonalized, L::kGlobalPopular, L::kCampaign});
  ASSERT_TRUE(ladder.ok()) << ladder.status();
  EXPECT_EQ(ladder->size(), 3u);
  EXPECT_EQ(ladder->first(), L::kPersonalized);
  EXPECT_EQ(ladder->last(), L::kCampaign);
  EXPECT_EQ(ladder->IndexOf(L::kGlobalPopular), 1);
  EXPECT_EQ(ladder->IndexOf(L::kSegment), -1);
  EXPECT_FALSE(ladder->Contains(L::kSegment));
  EXPECT_EQ(ladder->DebugString(), "personalized > global_popular > campaign");
}

TEST(FallbackLadder, RejectsEmpty) {
  auto ladder = FallbackLadder::Create("home", SurfaceKind::kRecommendation, {});
  ASSERT_FALSE(ladder.ok());
  EXPECT_THAT(ladder.status().message(), HasSubstr("\"home\""));
}

TEST(FallbackLadder, RejectsDuplicateLevelAndNamesIt) {
  auto ladder = FallbackLadder::Create("pdp", SurfaceKind::kRecommendation,
                                       {L::kSegment, L::kGlobalPopular, L::kSegment});
  ASSERT_FALSE(ladder.ok());
  EXPECT_EQ(ladder.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(ladder.status().message(), HasSubstr("\"segment\" appears twice"));
  EXPECT_THAT(ladder.status().message(), HasSubstr("\"pdp\""));
}

TEST(FallbackLadder, SearchSurfaceMustEndInLexical) {
  auto bad = FallbackLadder::Create("search", SurfaceKind::kSearchRerank,
                                    {L::kPersonalized, L::kGlobalPopular});
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(bad.status().message(), HasSubstr("must end in \"lexical\""));
  auto bad2 =
      FallbackLadder::Create("search", SurfaceKind::kSearchRerank, {L::kLexical, L::kPersonalized});
  EXPECT_FALSE(bad2.ok());
  auto good = FallbackLadder::Create("search", SurfaceKind::kSearchRerank,
                                     {L::kPersonalized, L::kSegment, L::kLexical});
  EXPECT_TRUE(good.ok()) << good.status();
}

TEST(FallbackLadder, RecommendationSurfaceCannotUseLexical) {
  auto bad =
      FallbackLadder::Create("home", SurfaceKind::kRecommendation, {L::kPersonalized, L::kLexical});
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(bad.status().message(), HasSubstr("lexical"));
}

TEST(FallbackLadder, RejectsOutOfRangeLevel) {
  EXPECT_FALSE(
      FallbackLadder::Create("home", SurfaceKind::kRecommendation, {static_cast<L>(9)}).ok());
}

TEST(FallbackLadder, FromNamesParsesAndReportsUnknownName) {
  std::vector<std::string> names = {"personalized", "category_popular", "campaign"};
  auto ladder = FallbackLadder::FromNames("cart", SurfaceKind::kRecommendation, names);
  ASSERT_TRUE(ladder.ok()) << ladder.status();
  EXPECT_EQ(ladder->IndexOf(L::kCategoryPopular), 1);
  std::vector<std::string> bad = {"personalized", "bestsellers"};
  auto err = FallbackLadder::FromNames("cart", SurfaceKind::kRecommendation, bad);
  ASSERT_FALSE(err.ok());
  EXPECT_THAT(err.status().message(), HasSubstr("\"bestsellers\""));
  EXPECT_THAT(err.status().message(), HasSubstr("\"cart\""));
}

TEST(FallbackLadder, DefaultsAreValid) {
  FallbackLadder rec = FallbackLadder::DefaultRecommendation("home");
  EXPECT_EQ(rec.size(), 5u);
  EXPECT_EQ(rec.last(), L::kCampaign);
  FallbackLadder search = FallbackLadder::DefaultSearch("search");
  EXPECT_EQ(search.kind(), SurfaceKind::kSearchRerank);
  EXPECT_EQ(search.last(), L::kLexical);
}

TEST(FallbackCursor, StartsAtTheTopWithNoReason) {
  FallbackLadder ladder = FallbackLadder::DefaultRecommendation("home");
  FallbackCursor cursor(ladder);
  EXPECT_EQ(cursor.level(), L::kPersonalized);
  EXPECT_EQ(cursor.reason(), R::kNone);
  EXPECT_EQ(cursor.depth(), 0);
}

TEST(FallbackCursor, KeepsTheRootCauseAndTheLastReason) {
  FallbackLadder ladder = FallbackLadder::DefaultRecommendation("home");
  FallbackCursor cursor(ladder);
  EXPECT_TRUE(cursor.StepDown(R::kDeadline));
  EXPECT_EQ(cursor.level(), L::kSegment);
  EXPECT_TRUE(cursor.StepDown(R::kEmptyStage));
  EXPECT_EQ(cursor.level(), L::kCategoryPopular);
  EXPECT_EQ(cursor.reason(), R::kDeadline);
  EXPECT_EQ(cursor.last_reason(), R::kEmptyStage);
  EXPECT_EQ(cursor.depth(), 2);
}

TEST(FallbackCursor, StepDownStopsAtTheLastLevel) {
  FallbackLadder ladder = FallbackLadder::DefaultSearch("search");
  FallbackCursor cursor(ladder);
  EXPECT_TRUE(cursor.StepDown(R::kBreakerOpen));
  EXPECT_TRUE(cursor.AtLast());
  EXPECT_FALSE(cursor.StepDown(R::kEmptyStage));
  EXPECT_EQ(cursor.level(), L::kLexical);
  EXPECT_EQ(cursor.reason(), R::kBreakerOpen);
}

TEST(FallbackCursor, SkipToMovesOnlyDownToALevelInTheLadder) {
  auto ladder = *FallbackLadder::Create("home", SurfaceKind::kRecommendation,
                                        {L::kPersonalized, L::kSegment, L::kGlobalPopular});
  FallbackCursor cursor(ladder);
  EXPECT_FALSE(cursor.SkipTo(L::kCampaign, R::kSwitchedOff));      // not in ladder
  EXPECT_FALSE(cursor.SkipTo(L::kPersonalized, R::kSwitchedOff));  // not below
  EXPECT_EQ(cursor.reason(), R::kNone);
  EXPECT_TRUE(cursor.SkipTo(L::kGlobalPopular, R::kSwitchedOff));
  EXPECT_EQ(cursor.level(), L::kGlobalPopular);
  EXPECT_EQ(cursor.reason(), R::kSwitchedOff);
  EXPECT_FALSE(cursor.SkipTo(L::kSegment, R::kError));  // above now
}

}  // namespace
}  // namespace serving
}  // namespace aisle
