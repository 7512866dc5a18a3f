// LaunchBoost: a boost that fades linearly over the launch window.
#include "aisle/policy/launch_boost.h"

#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "aisle/core/clock.h"
#include "aisle/policy/reorderers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace aisle::policy {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr int64_t kUnknown = std::numeric_limits<int64_t>::min();
const absl::Time kT0 = absl::FromUnixSeconds(1700000000);

std::vector<ItemIndex> ItemsOf(const std::vector<Candidate>& c) {
  std::vector<ItemIndex> out;
  for (const Candidate& x : c) out.push_back(x.item);
  return out;
}

// Item 0 and 3: old (launched 100 days before kT0); 1: launched at kT0;
// 2: unknown launch time; 4: launched at kT0 + 24 h (after the catalog was
// built).
struct Launches {
  std::vector<int64_t> micros = {
      absl::ToUnixMicros(kT0 - absl::Hours(2400)), absl::ToUnixMicros(kT0), kUnknown,
      absl::ToUnixMicros(kT0 - absl::Hours(2400)), absl::ToUnixMicros(kT0 + absl::Hours(24))};
};

ReorderContext At(const Clock& clock) {
  ReorderContext ctx;
  ctx.now = clock.Now();
  ctx.k = 10;
  return ctx;
}

TEST(LaunchBoost, FullBoostAtLaunchHalfWayAtHalfTheWindowNoneAfter) {
  Launches l;
  auto lb = LaunchBoost::Create(l.micros, {.window = absl::Hours(72), .boost = 0.4f});
  ASSERT_TRUE(lb.ok()) << lb.status();
  FakeClock clock(kT0);
  std::vector<Candidate> list = {{1, 1.0f, 0}};
  ASSERT_TRUE((*lb)->Apply(At(clock), list).ok());
  EXPECT_FLOAT_EQ(list[0].score, 1.4f);  // at launch: the whole boost

  clock.Advance(absl::Hours(36));
  list = {{1, 1.0f, 0}};
  ASSERT_TRUE((*lb)->Apply(At(clock), list).ok());
  EXPECT_FLOAT_EQ(list[0].score, 1.2f);  // half-way: half of it
  EXPECT_FLOAT_EQ((*lb)->BoostAt(1, clock.Now()), 0.2f);

  clock.Advance(absl::Hours(18));
  EXPECT_FLOAT_EQ((*lb)->BoostAt(1, clock.Now()), 0.1f);  // three quarters in

  clock.Advance(absl::Hours(18));  // exactly the end of the window
  list = {{1, 1.0f, 0}};
  ASSERT_TRUE((*lb)->Apply(At(clock), list).ok());
  EXPECT_FLOAT_EQ(list[0].score, 1.0f);

  clock.Advance(absl::Hours(100));  // long after
  list = {{1, 1.0f, 0}};
  ASSERT_TRUE((*lb)->Apply(At(clock), list).ok());
  EXPECT_FLOAT_EQ(list[0].score, 1.0f);
}

TEST(LaunchBoost, UnknownOrFutureLaunchOrUnknownItemGetsNothing) {
  Launches l;
  auto lb = LaunchBoost::Create(l.micros, {.window = absl::Hours(72), .boost = 0.4f});
  ASSERT_TRUE(lb.ok());
  FakeClock clock(kT0 + absl::Hours(1));
  ReorderReport report;
  ReorderContext ctx = At(clock);
  ctx.report = &report;
  // 2: unknown launch; 4: launches tomorrow; 9: beyond the launch column.
  std::vector<Candidate> list = {{2, 3.0f, 0}, {4, 2.0f, 0}, {9, 1.0f, 0}};
  ASSERT_TRUE((*lb)->Apply(ctx, list).ok());
  EXPECT_FLOAT_EQ(list[0].score, 3.0f);
  EXPECT_FLOAT_EQ(list[1].score, 2.0f);
  EXPECT_FLOAT_EQ(list[2].score, 1.0f);
  EXPECT_EQ(report.launch_boosted, 0u);
  EXPECT_EQ((*lb)->BoostAt(2, clock.Now()), 0.0f);
  EXPECT_EQ((*lb)->BoostAt(4, clock.Now()), 0.0f);
  EXPECT_EQ((*lb)->BoostAt(9, clock.Now()), 0.0f);

  // Item 4 is boosted once its launch time arrives.
  clock.Advance(absl::Hours(23));
  EXPECT_FLOAT_EQ((*lb)->BoostAt(4, clock.Now()), 0.4f);
}

TEST(LaunchBoost, OrderChangesAsTheBoostFades) {
  Launches l;
  auto lb = LaunchBoost::Create(l.micros, {.window = absl::Hours(72), .boost = 0.3f});
  ASSERT_TRUE(lb.ok());
  FakeClock clock(kT0);
  ReorderReport report;
  auto run = [&] {
    // The ranker prefers 0 (0.9) over 3 (0.8) over the launch 1 (0.7).
    std::vector<Candidate> list = {{0, 0.9f, 0}, {3, 0.8f, 0}, {1, 0.7f, 0}};
    ReorderContext ctx = At(clock);
    ctx.report = &report;
    report.Clear();
    EXPECT_TRUE((*lb)->Apply(ctx, list).ok());
    return ItemsOf(list);
  };
  EXPECT_THAT(run(), ElementsAre(1, 0, 3));  // 1.0 beats 0.9
  EXPECT_EQ(report.launch_boosted, 1u);
  clock.Advance(absl::Hours(36));  // 0.85: between 0.9 and 0.8
  EXPECT_THAT(run(), ElementsAre(0, 1, 3));
  clock.Advance(absl::Hours(24));  // 0.75: below 0.8 again
  EXPECT_THAT(run(), ElementsAre(0, 3, 1));
  clock.Advance(absl::Hours(12));  // window over
  EXPECT_THAT(run(), ElementsAre(0, 3, 1));
  EXPECT_EQ(report.launch_boosted, 0u);
  EXPECT_EQ((*lb)->totals().requests, 4u);
  EXPECT_EQ((*lb)->totals().boosted, 3u);
}

TEST(LaunchBoost, ReSortIsStableForEqualScores) {
  const std::vector<int64_t> launch = {absl::ToUnixMicros(kT0), kUnknown, kUnknown, kUnknown};
  auto lb = LaunchBoost::Create(launch, {.window = absl::Hours(72), .boost = 0.5f});
  ASSERT_TRUE(lb.ok());
  FakeClock clock(kT0);
  // 3 and 2 tie at 1.0 in that (non-index) order; 0 is lifted from 0.5 to
  // 1.0 and joins the tie after them; 1 stays last.
  std::vector<Candidate> list = {{3, 1.0f, 0}, {2, 1.0f, 0}, {1, 0.6f, 0}, {0, 0.5f, 0}};
  ASSERT_TRUE((*lb)->Apply(At(clock), list).ok());
  EXPECT_THAT(ItemsOf(list), ElementsAre(3, 2, 0, 1));
}

TEST(LaunchBoost, MultiplicativeModeScalesTheScore) {
  Launches l;
  auto lb = LaunchBoost::Create(
      l.micros, {.window = absl::Hours(10), .boost = 1.0f, .mode = LaunchBoostMode::kMultiply});
  ASSERT_TRUE(lb.ok());
  FakeClock clock(kT0 + absl::Hours(5));
  std::vector<Candidate> list = {{0, 2.0f, 0}, {1, 1.5f, 0}};
  ASSERT_TRUE((*lb)->Apply(At(clock), list).ok());
  // 1: 1.5 * (1 + 1.0 * (1 - 5/10)) = 2.25.
  EXPECT_THAT(ItemsOf(list), ElementsAre(1, 0));
  EXPECT_FLOAT_EQ(list[0].score, 2.25f);
  EXPECT_FLOAT_EQ(list[1].score, 2.0f);
}

TEST(LaunchBoost, NaNScoresSortLastAndNothingIsTruncated) {
  const std::vector<int64_t> launch = {absl::ToUnixMicros(kT0), kUnknown, kUnknown};
  auto lb = LaunchBoost::Create(launch, {.window = absl::Hours(72), .boost = 1.0f});
  ASSERT_TRUE(lb.ok());
  FakeClock clock(kT0);
  std::vector<Candidate> list = {{1, std::nanf(""), 0}, {2, 0.5f, 0}, {0, 0.1f, 0}};
  ReorderContext ctx = At(clock);
  ctx.k = 1;
  ASSERT_TRUE((*lb)->Apply(ctx, list).ok());
  EXPECT_THAT(ItemsOf(list), ElementsAre(0, 2, 1));
}

TEST(LaunchBoost, RejectsABadWindowOrBoost) {
  Launches l;
  for (absl::Duration w : {absl::ZeroDuration(), -absl::Hours(1), absl::InfiniteDuration()}) {
    auto lb = LaunchBoost::Create(l.micros, {.window = w});
    ASSERT_FALSE(lb.ok());
    EXPECT_EQ(lb.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(lb.status().message(), HasSubstr("window"));
  }
  for (float b : {-0.1f, std::numeric_limits<float>::infinity(), std::nanf("")}) {
    auto lb = LaunchBoost::Create(l.micros, {.boost = b});
    ASSERT_FALSE(lb.ok());
    EXPECT_THAT(lb.status().message(), HasSubstr("boost"));
  }
}

TEST(LaunchBoost, IsARulesStageReorderer) {
  Launches l;
  auto lb = LaunchBoost::Create(l.micros, {});
  ASSERT_TRUE(lb.ok());
  const Reorderer& r = **lb;
  EXPECT_EQ(r.name(), "launch_boost");
  EXPECT_EQ(r.stage(), ReorderStage::kRules);
  EXPECT_EQ((*lb)->options().window, absl::Hours(72));  // the default window
}

}  // namespace
}  // namespace aisle::policy
