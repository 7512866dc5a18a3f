#include "aisle/serving/stage_budget.h"

#include <limits>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace aisle {
namespace serving {
namespace {

using ::testing::HasSubstr;

// Four stages with time (retrieve 0.4, features 0.2, rank 0.3, respond
// 0.1), the others none.
StageBudgetOptions Opts(double retrieve, double features, double rank, double respond) {
  StageBudgetOptions o;
  o.retrieve = retrieve;
  o.filter = 0;
  o.features = features;
  o.rank = rank;
  o.rules = 0;
  o.diversify = 0;
  o.explore = 0;
  o.respond = respond;
  return o;
}

StageBudgets Budgets() {
  auto b = StageBudgets::Create(Opts(0.4, 0.2, 0.3, 0.1));
  EXPECT_TRUE(b.ok()) << b.status();
  return *b;
}

TEST(StageBudgets, RejectsFractionsSummingAboveOne) {
  auto b = StageBudgets::Create(Opts(0.5, 0.3, 0.3, 0.1));
  ASSERT_FALSE(b.ok());
  EXPECT_EQ(b.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(b.status().message(), HasSubstr("sum to 1.2"));
}

TEST(StageBudgets, RejectsNegativeOrNanFractionAndNamesTheStage) {
  auto neg = StageBudgets::Create(Opts(0.4, -0.1, 0.3, 0.1));
  ASSERT_FALSE(neg.ok());
  EXPECT_THAT(neg.status().message(), HasSubstr("\"features\""));
  auto nan = StageBudgets::Create(Opts(0.4, 0.1, std::numeric_limits<double>::quiet_NaN(), 0.1));
  ASSERT_FALSE(nan.ok());
  EXPECT_THAT(nan.status().message(), HasSubstr("\"rank\""));
  EXPECT_FALSE(StageBudgets::Create(Opts(0, 0, 0, 0)).ok());
  StageBudgetOptions o;
  o.min_fit_fraction = 1.5;
  EXPECT_FALSE(StageBudgets::Create(o).ok());
  o = StageBudgetOptions();
  o.diversify = 2;
  EXPECT_THAT(StageBudgets::Create(o).status().message(), HasSubstr("\"diversify\""));
}

TEST(StageBudgets, SuffixSumsCoverTheRemainingStages) {
  StageBudgets b = Budgets();
  EXPECT_DOUBLE_EQ(b.FractionFrom(Stage::kRetrieve), 1.0);
  EXPECT_DOUBLE_EQ(b.FractionFrom(Stage::kRank), 0.4);
  EXPECT_DOUBLE_EQ(b.FractionFrom(Stage::kRespond), 0.1);
  EXPECT_DOUBLE_EQ(b.FractionFrom(Stage::kRules), 0.1);
  EXPECT_EQ(b.Planned(Stage::kRank, absl::Milliseconds(40)), absl::Milliseconds(12));
}

TEST(RequestBudget, PlansFromTheRequestBudgetAtStart) {
  FakeClock clock;
  StageBudgets b = Budgets();
  RequestBudget rb(b, Deadline::In(absl::Milliseconds(40), clock));
  EXPECT_EQ(rb.total(), absl::Milliseconds(40));
  EXPECT_EQ(rb.Planned(Stage::kRetrieve), absl::Milliseconds(16));
  EXPECT_EQ(rb.Share(Stage::kRetrieve), absl::Milliseconds(16));
  EXPECT_TRUE(rb.Fits(Stage::kRetrieve));
  EXPECT_EQ(rb.StageDeadline(Stage::kRetrieve).Remaining(), absl::Milliseconds(16));
}

TEST(RequestBudget, AFastStageLeavesItsTimeToTheRest) {
  FakeClock clock;
  StageBudgets b = Budgets();
  RequestBudget rb(b, Deadline::In(absl::Milliseconds(40), clock));
  rb.Begin(Stage::kRetrieve);
  clock.Advance(absl::Milliseconds(4));  // planned 16
  rb.End(Stage::kRetrieve);
  // 36 ms left, shared 0.2 : 0.3 : 0.1 among features, rank, respond.
  EXPECT_EQ(rb.Share(Stage::kFeatures), absl::Milliseconds(12));
  EXPECT_TRUE(rb.Fits(Stage::kFeatures));
  EXPECT_EQ(rb.elapsed(Stage::kRetrieve), absl::Milliseconds(4));
  EXPECT_FALSE(rb.Overran(Stage::kRetrieve));
}

TEST(RequestBudget, ASlowStageMakesTheNextOneNotFit) {
  FakeClock clock;
  StageBudgets b = Budgets();
  RequestBudget rb(b, Deadline::In(absl::Milliseconds(40), clock));
  rb.Begin(Stage::kRetrieve);
  clock.Advance(absl::Milliseconds(30));
  rb.End(Stage::kRetrieve);
  EXPECT_TRUE(rb.Overran(Stage::kRetrieve));
  // 10 ms left: features' share is 10 * 0.2 / 0.6 = 3.33 ms < 0.5 * 8 ms.
  EXPECT_FALSE(rb.Fits(Stage::kFeatures));
  // Respond's share if we jumped to it: all 10 ms >= 0.5 * 4 ms.
  EXPECT_TRUE(rb.Fits(Stage::kRespond));
  EXPECT_EQ(rb.Share(Stage::kRespond), absl::Milliseconds(10));
}

TEST(RequestBudget, NothingFitsAfterTheDeadline) {
  FakeClock clock;
  StageBudgets b = Budgets();
  RequestBudget rb(b, Deadline::In(absl::Milliseconds(40), clock));
  clock.Advance(absl::Milliseconds(41));
  EXPECT_FALSE(rb.Fits(Stage::kRespond));
  EXPECT_EQ(rb.Share(Stage::kRespond), absl::ZeroDuration());
}

TEST(RequestBudget, StageDeadlineNeverPassesTheRequestDeadline) {
  FakeClock clock;
  auto b = *StageBudgets::Create(Opts(1.0, 0, 0, 0));
  RequestBudget rb(b, Deadline::In(absl::Milliseconds(10), clock));
  Deadline d = rb.StageDeadline(Stage::kRetrieve);
  EXPECT_LE(d.at_nanos(), rb.deadline().at_nanos());
  // A zero-fraction stage fits while time is left, with a zero share.
  EXPECT_TRUE(rb.Fits(Stage::kRank));
  EXPECT_EQ(rb.Share(Stage::kRank), absl::ZeroDuration());
}

TEST(RequestBudget, InfiniteDeadlineFitsEverything) {
  StageBudgets b = Budgets();
  RequestBudget rb(b, Deadline::Infinite());
  EXPECT_TRUE(rb.Fits(Stage::kRank));
  EXPECT_TRUE(rb.StageDeadline(Stage::kRank).IsInfinite());
}

TEST(StageName, IsStable) {
  EXPECT_EQ(StageName(Stage::kRetrieve), "retrieve");
  EXPECT_EQ(StageName(Stage::kFeatures), "features");
  EXPECT_EQ(StageName(Stage::kRank), "rank");
  EXPECT_EQ(StageName(Stage::kFilter), "filter");
  EXPECT_EQ(StageName(Stage::kRules), "rules");
  EXPECT_EQ(StageName(Stage::kDiversify), "diversify");
  EXPECT_EQ(StageName(Stage::kExplore), "explore");
  EXPECT_EQ(StageName(Stage::kRespond), "respond");
}

}  // namespace
}  // namespace serving
}  // namespace aisle
