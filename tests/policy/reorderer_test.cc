// ReorderStage names and the per-request switches of ReorderContext.
#include "aisle/policy/reorderer.h"

#include <set>
#include <string>

#include "gtest/gtest.h"

namespace aisle::policy {
namespace {

TEST(ReorderStageName, NamesEveryStage) {
  EXPECT_EQ(ReorderStageName(ReorderStage::kRules), "rules");
  EXPECT_EQ(ReorderStageName(ReorderStage::kDiversify), "diversify");
  EXPECT_EQ(ReorderStageName(ReorderStage::kExplore), "explore");
  EXPECT_EQ(ReorderStageName(ReorderStage::kPins), "pins");
}

TEST(ReorderStageName, NamesAreDistinctAndCoverTheStageCount) {
  std::set<std::string> names;
  for (int s = 0; s < kNumReorderStages; ++s) {
    names.insert(std::string(ReorderStageName(static_cast<ReorderStage>(s))));
  }
  EXPECT_EQ(names.size(), static_cast<size_t>(kNumReorderStages));
  EXPECT_EQ(names.count("unknown"), 0u);
}

TEST(ReorderStageName, AnOutOfRangeValueIsUnknown) {
  EXPECT_EQ(ReorderStageName(static_cast<ReorderStage>(kNumReorderStages)), "unknown");
  EXPECT_EQ(ReorderStageName(static_cast<ReorderStage>(200)), "unknown");
}

TEST(ReorderStage, StagesRunRulesDiversifyExploreThenPins) {
  EXPECT_LT(ReorderStage::kRules, ReorderStage::kDiversify);
  EXPECT_LT(ReorderStage::kDiversify, ReorderStage::kExplore);
  EXPECT_LT(ReorderStage::kExplore, ReorderStage::kPins);
  EXPECT_EQ(static_cast<int>(ReorderStage::kPins), kNumReorderStages - 1);
}

TEST(ReorderContext, EverythingIsOnByDefault) {
  ReorderContext ctx;
  for (size_t i = 0; i < 70; ++i) EXPECT_TRUE(ctx.Enabled(i)) << i;
  EXPECT_EQ(ctx.explore_share, 1.0f);
  EXPECT_EQ(ctx.arm, 0u);
  EXPECT_EQ(ctx.report, nullptr);
}

TEST(ReorderContext, EnabledReadsTheReordererBit) {
  ReorderContext ctx;
  ctx.enabled = ~uint64_t{0} & ~(uint64_t{1} << 2) & ~(uint64_t{1} << 63);
  EXPECT_TRUE(ctx.Enabled(0));
  EXPECT_TRUE(ctx.Enabled(1));
  EXPECT_FALSE(ctx.Enabled(2));
  EXPECT_TRUE(ctx.Enabled(3));
  EXPECT_FALSE(ctx.Enabled(63));
  EXPECT_TRUE(ctx.Enabled(64));  // beyond the mask: always on
}

}  // namespace
}  // namespace aisle::policy
