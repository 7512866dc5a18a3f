#include "aisle/serving/overload_controller.h"

#include <thread>
#include <utility>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace aisle {
namespace serving {
namespace {

using ::testing::DoubleNear;
using ::testing::HasSubstr;

OverloadOptions Opts() {
  OverloadOptions o;
  o.surface = "home";
  o.budget = absl::Milliseconds(100);
  o.target_fraction = 0.8;
  o.percentile = 0.95;
  o.ewma_alpha = 0.05;
  o.max_in_flight = 4;
  o.adjust_interval = absl::Milliseconds(10);
  o.decrease_factor = 0.7;
  o.increase_step = 0.05;
  o.min_quality = 0.1;
  o.cheaper_ranker_below = 0.5;
  o.cache_only_below = 0.2;
  return o;
}

// One request per interval with the given latency.
void Step(FakeClock& clock, OverloadController& c, absl::Duration latency) {
  clock.Advance(absl::Milliseconds(10));
  c.Observe(latency);
}

TEST(OverloadController, StartsAtFullQualityWithNothingShed) {
  FakeClock clock;
  OverloadController c(Opts(), clock);
  EXPECT_EQ(c.quality(), 1.0);
  ShedPlan p = c.Plan();
  EXPECT_EQ(p.quota_multiplier, 1.0);
  EXPECT_FALSE(p.cheaper_ranker);
  EXPECT_FALSE(p.cache_only);
  EXPECT_EQ(p.ScaleQuota(200), 200u);
}

TEST(OverloadController, CalmTrafficKeepsFullQuality) {
  FakeClock clock;
  OverloadController c(Opts(), clock);
  for (int i = 0; i < 200; ++i) Step(clock, c, absl::Milliseconds(40));
  EXPECT_EQ(c.quality(), 1.0);
  EXPECT_EQ(c.stats().decreases, 0u);
  EXPECT_THAT(c.stats().latency_ewma_ratio, DoubleNear(0.4, 1e-4));
}

TEST(OverloadController, QualityFallsMultiplicativelyUnderLatencyPressure) {
  FakeClock clock;
  OverloadController c(Opts(), clock);
  // 90 ms against a 100 ms budget is over the 80 ms target.
  Step(clock, c, absl::Milliseconds(90));  // exceedance EWMA 0.05: not yet > 5%
  EXPECT_EQ(c.quality(), 1.0);
  double expected = 1.0;
  for (int i = 0; i < 5; ++i) {
    Step(clock, c, absl::Milliseconds(90));
    expected *= 0.7;
    EXPECT_THAT(c.quality(), DoubleNear(expected, 1e-12)) << "step " << i;
  }
  for (int i = 0; i < 50; ++i) Step(clock, c, absl::Milliseconds(90));
  EXPECT_EQ(c.quality(), 0.1);  // the floor, never below
  EXPECT_TRUE(c.Plan().cache_only);
}

// With the default options: one request per adjust interval.
void DefaultStep(FakeClock& clock, OverloadController& c, absl::Duration latency) {
  clock.Advance(OverloadOptions().adjust_interval);
  c.Observe(latency);
}

TEST(OverloadController, DefaultsIgnoreAFewDescheduledRequestsInARow) {
  FakeClock clock;
  OverloadOptions o;
  o.budget = absl::Milliseconds(10);
  OverloadController c(o, clock);
  for (int i = 0; i < 200; ++i) DefaultStep(clock, c, absl::Milliseconds(1));
  // A scheduler hiccup: three requests in a row blow through the budget.
  for (int i = 0; i < 3; ++i) DefaultStep(clock, c, absl::Milliseconds(30));
  for (int i = 0; i < 50; ++i) DefaultStep(clock, c, absl::Milliseconds(1));
  EXPECT_EQ(c.stats().decreases, 0u);
  EXPECT_EQ(c.quality(), 1.0);
}

TEST(OverloadController, DefaultsShedOnASustainedTailAndOnAWallOfSlowRequests) {
  FakeClock clock;
  OverloadOptions o;
  o.budget = absl::Milliseconds(10);
  {
    OverloadController c(o, clock);
    // One request in five over the target: the p95 is over it.
    for (int i = 0; i < 300; ++i) {
      DefaultStep(clock, c, absl::Milliseconds(i % 5 == 0 ? 9 : 1));
    }
    EXPECT_GT(c.stats().decreases, 0u);
    EXPECT_LT(c.quality(), 1.0);
  }
  {
    OverloadController c(o, clock);
    for (int i = 0; i < 100; ++i) DefaultStep(clock, c, absl::Milliseconds(1));
    // Everything turns slow: pressure within a handful of requests.
    for (int i = 0; i < 8; ++i) DefaultStep(clock, c, absl::Milliseconds(20));
    EXPECT_LT(c.quality(), 1.0);
  }
}

TEST(OverloadController, AFewSlowRequestsAmongManyFastOnesAreNotPressure) {
  FakeClock clock;
  OverloadController c(Opts(), clock);
  // 2% of requests are slow: the p95 stays under the target.
  for (int i = 0; i < 1000; ++i) {
    Step(clock, c, i % 50 == 0 ? absl::Milliseconds(150) : absl::Milliseconds(20));
  }
  EXPECT_EQ(c.quality(), 1.0);
  // 20% slow: the p95 is over the target.
  for (int i = 0; i < 200; ++i) {
    Step(clock, c, i % 5 == 0 ? absl::Milliseconds(150) : absl::Milliseconds(20));
  }
  EXPECT_LT(c.quality(), 0.5);
}

TEST(OverloadController, RecoversAdditivelyWhenLatencyDrops) {
  FakeClock clock;
  OverloadController c(Opts(), clock);
  for (int i = 0; i < 60; ++i) Step(clock, c, absl::Milliseconds(120));
  ASSERT_EQ(c.quality(), 0.1);
  // Calm again: the exceedance EWMA decays below 5% first, then quality
  // climbs by exactly +0.05 per interval.
  std::vector<double> q;
  for (int i = 0; i < 200; ++i) {
    Step(clock, c, absl::Milliseconds(10));
    q.push_back(c.quality());
  }
  EXPECT_EQ(q.back(), 1.0);
  int increases = 0;
  for (size_t i = 1; i < q.size(); ++i) {
    ASSERT_GE(q[i], q[i - 1]);  // never goes down while calm
    if (q[i] > q[i - 1] && q[i] < 1.0) {
      EXPECT_THAT(q[i] - q[i - 1], DoubleNear(0.05, 1e-9));
      ++increases;
    }
  }
  EXPECT_GE(increases, 16);  // 0.1 -> 1.0 in 0.05 steps
}

TEST(OverloadController, AtMostOneStepPerInterval) {
  FakeClock clock;
  OverloadController c(Opts(), clock);
  for (int i = 0; i < 5; ++i) Step(clock, c, absl::Milliseconds(200));
  const double q = c.quality();
  const uint64_t decreases = c.stats().decreases;
  for (int i = 0; i < 1000; ++i) c.Observe(absl::Milliseconds(200));  // same instant
  EXPECT_LE(c.stats().decreases, decreases + 1);
  EXPECT_GE(c.quality(), q * 0.7 - 1e-12);
}

TEST(OverloadController, TooManyRequestsInFlightIsPressure) {
  FakeClock clock;
  OverloadController c(Opts(), clock);  // max_in_flight 4
  std::vector<OverloadController::InFlightToken> tokens;
  for (int i = 0; i < 4; ++i) tokens.push_back(c.Enter());
  EXPECT_EQ(c.in_flight(), 4);
  clock.Advance(absl::Milliseconds(10));
  tokens.push_back(c.Enter());  // the fifth: over the limit
  EXPECT_THAT(c.quality(), DoubleNear(0.7, 1e-12));
  tokens.clear();
  EXPECT_EQ(c.in_flight(), 0);
  Step(clock, c, absl::Milliseconds(10));
  EXPECT_THAT(c.quality(), DoubleNear(0.75, 1e-12));
}

TEST(OverloadController, TokenCompleteObservesTheElapsedTimeOnce) {
  FakeClock clock;
  OverloadController c(Opts(), clock);
  auto token = c.Enter();
  clock.Advance(absl::Milliseconds(30));
  EXPECT_EQ(token.Complete(), absl::Milliseconds(30));
  EXPECT_EQ(token.Complete(), absl::ZeroDuration());
  EXPECT_EQ(c.in_flight(), 0);
  EXPECT_EQ(c.stats().observations, 1u);
  EXPECT_THAT(c.stats().latency_ewma_ratio, DoubleNear(0.05 * 0.3, 1e-12));
}

TEST(OverloadController, MovedTokenReleasesOnce) {
  FakeClock clock;
  OverloadController c(Opts(), clock);
  {
    auto a = c.Enter();
    auto b = std::move(a);
    OverloadController::InFlightToken d;
    d = std::move(b);
    EXPECT_EQ(c.in_flight(), 1);
  }
  EXPECT_EQ(c.in_flight(), 0);
}

TEST(ShedPlan, ThresholdsAndQuotaScaling) {
  FakeClock clock;
  OverloadController c(Opts(), clock);
  ShedPlan mid = c.PlanFor(0.6);
  EXPECT_FALSE(mid.cheaper_ranker);
  EXPECT_FALSE(mid.cache_only);
  EXPECT_EQ(mid.ScaleQuota(200), 120u);
  ShedPlan at = c.PlanFor(0.5);  // "below" is strict
  EXPECT_FALSE(at.cheaper_ranker);
  ShedPlan low = c.PlanFor(0.45);
  EXPECT_TRUE(low.cheaper_ranker);
  EXPECT_FALSE(low.cache_only);
  ShedPlan floor = c.PlanFor(0.1);
  EXPECT_TRUE(floor.cheaper_ranker);
  EXPECT_TRUE(floor.cache_only);
  EXPECT_EQ(floor.ScaleQuota(3), 1u);  // never scaled to zero
  EXPECT_EQ(floor.ScaleQuota(0), 0u);
  EXPECT_EQ(floor.ScaleQuota(1000), 100u);
}

TEST(OverloadController, ValidateNamesTheSurfaceAndField) {
  OverloadOptions o = Opts();
  EXPECT_TRUE(OverloadController::Validate(o).ok());
  o.percentile = 1.0;
  absl::Status s = OverloadController::Validate(o);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("\"home\""));
  EXPECT_THAT(s.message(), HasSubstr("percentile"));
  o = Opts();
  o.cache_only_below = 0.6;  // above cheaper_ranker_below
  EXPECT_THAT(OverloadController::Validate(o).message(), HasSubstr("cache_only_below"));
  o = Opts();
  o.budget = absl::ZeroDuration();
  EXPECT_FALSE(OverloadController::Validate(o).ok());
  o = Opts();
  o.decrease_factor = 1.0;
  EXPECT_FALSE(OverloadController::Validate(o).ok());
}

TEST(OverloadController, ConcurrentRequestsKeepTheFactorInRangeAndBalanceInFlight) {
  OverloadOptions o = Opts();
  o.adjust_interval = absl::ZeroDuration();
  FakeClock clock;
  OverloadController c(o, clock);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 20000; ++i) {
        auto token = c.Enter();
        clock.Advance(absl::Microseconds(1));
        c.Observe(absl::Milliseconds((i + t) % 3 == 0 ? 150 : 10));
        const double q = c.quality();
        if (q < 0.1 || q > 1.0) ADD_FAILURE() << "quality out of range: " << q;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(c.in_flight(), 0);
  EXPECT_EQ(c.stats().observations, 80000u);
  EXPECT_GT(c.stats().decreases, 0u);  // a third of requests over budget
}

}  // namespace
}  // namespace serving
}  // namespace aisle
