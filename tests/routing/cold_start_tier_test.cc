#include "aisle/routing/cold_start_tier.h"

#include "gtest/gtest.h"

namespace aisle::routing {
namespace {

TEST(ColdStartTier, NamesAreStable) {
  EXPECT_EQ(ColdStartTierName(ColdStartTier::kAnonymous), "anonymous");
  EXPECT_EQ(ColdStartTierName(ColdStartTier::kFewInteractions), "few_interactions");
  EXPECT_EQ(ColdStartTierName(ColdStartTier::kKnown), "known");
}

TEST(ColdStartTier, ParseRoundTripsAndRejectsUnknown) {
  for (size_t i = 0; i < kNumColdStartTiers; ++i) {
    const auto t = static_cast<ColdStartTier>(i);
    absl::StatusOr<ColdStartTier> parsed = ParseColdStartTier(ColdStartTierName(t));
    ASSERT_TRUE(parsed.ok());
    EXPECT_EQ(*parsed, t);
  }
  absl::StatusOr<ColdStartTier> bad = ParseColdStartTier("new_user");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("'new_user'"), absl::string_view::npos);
}

TEST(ColdStartClassifier, NoUserIdIsAnonymousWhateverTheCount) {
  const ColdStartClassifier c;
  EXPECT_EQ(c.Classify("", 0), ColdStartTier::kAnonymous);
  EXPECT_EQ(c.Classify(absl::string_view(), 100), ColdStartTier::kAnonymous);
  EXPECT_EQ(c.Classify("", 100), ColdStartTier::kAnonymous);
  EXPECT_EQ(c.ClassifyByPresence(false, 100), ColdStartTier::kAnonymous);
}

TEST(ColdStartClassifier, NoHistoryIsAnonymous) {
  EXPECT_EQ(ColdStartClassifier().Classify("user-1", 0), ColdStartTier::kAnonymous);
}

TEST(ColdStartClassifier, ThresholdSeparatesFewFromKnown) {
  absl::StatusOr<ColdStartClassifier> c = ColdStartClassifier::Create(3);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->known_min_interactions(), 3u);
  EXPECT_EQ(c->Classify("u", 1), ColdStartTier::kFewInteractions);
  EXPECT_EQ(c->Classify("u", 2), ColdStartTier::kFewInteractions);
  EXPECT_EQ(c->Classify("u", 3), ColdStartTier::kKnown);
  EXPECT_EQ(c->Classify("u", 4000000000u), ColdStartTier::kKnown);
}

// The usual retail split: no history; 1-9 interactions; 10 or more.
TEST(ColdStartClassifier, DefaultIsTheRetailSplitNoneOneToNineTenOrMore) {
  const ColdStartClassifier c;
  EXPECT_EQ(c.known_min_interactions(), 10u);
  EXPECT_EQ(c.Classify("u", 0), ColdStartTier::kAnonymous);
  EXPECT_EQ(c.Classify("u", 1), ColdStartTier::kFewInteractions);
  EXPECT_EQ(c.Classify("u", 9), ColdStartTier::kFewInteractions);
  EXPECT_EQ(c.Classify("u", 10), ColdStartTier::kKnown);
  EXPECT_EQ(c.Classify("u", 11), ColdStartTier::kKnown);
}

TEST(ColdStartClassifier, EachSurfaceCanHoldItsOwnThreshold) {
  absl::StatusOr<ColdStartClassifier> pdp = ColdStartClassifier::Create(3);
  ASSERT_TRUE(pdp.ok());
  const ColdStartClassifier home;  // the default
  struct Surface {
    const char* name;
    ColdStartClassifier classifier;
  };
  const Surface surfaces[] = {{"home", home}, {"pdp", *pdp}};
  EXPECT_EQ(surfaces[0].classifier.Classify("u", 5), ColdStartTier::kFewInteractions);
  EXPECT_EQ(surfaces[1].classifier.Classify("u", 5), ColdStartTier::kKnown);
  EXPECT_FALSE(surfaces[0].classifier == surfaces[1].classifier);
  EXPECT_TRUE(*ColdStartClassifier::Create(10) == home);
}

TEST(ColdStartClassifier, ThresholdOneHasNoFewTier) {
  absl::StatusOr<ColdStartClassifier> c = ColdStartClassifier::Create(1);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->Classify("u", 1), ColdStartTier::kKnown);
}

TEST(ColdStartClassifier, RejectsZeroThreshold) {
  absl::StatusOr<ColdStartClassifier> c = ColdStartClassifier::Create(0);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace aisle::routing
