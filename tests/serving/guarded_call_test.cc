#include "aisle/serving/guarded_call.h"

#include <stdexcept>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace aisle {
namespace serving {
namespace {

using ::testing::HasSubstr;
using Scores = std::vector<float>;

CircuitBreakerOptions Opts() {
  CircuitBreakerOptions o;
  o.name = "host_scorer";
  o.min_requests = 4;
  o.failure_rate_threshold = 0.5;
  o.consecutive_timeouts = 2;
  o.call_timeout = absl::Milliseconds(10);
  o.open_duration = absl::Seconds(1);
  o.half_open_probes = 1;
  return o;
}

class GuardedCallTest : public ::testing::Test {
 protected:
  FakeClock clock_;
  CircuitBreaker breaker_{Opts(), clock_};
  LastKnownGood<std::string, Scores> lkg_{{}, clock_};
  GuardedCall<std::string, Scores> call_{&breaker_, &lkg_, clock_};
};

TEST_F(GuardedCallTest, FreshResultIsReturnedAndRemembered) {
  auto r = call_.Call("u1", [] { return absl::StatusOr<Scores>(Scores{0.5f, 0.25f}); });
  ASSERT_NE(r.value, nullptr);
  EXPECT_EQ(r.source, GuardedSource::kFresh);
  EXPECT_EQ(r.reason, FallbackReason::kNone);
  EXPECT_EQ(*r.value, (Scores{0.5f, 0.25f}));
  auto cached = lkg_.Get("u1");
  ASSERT_TRUE(cached);
  EXPECT_EQ(*cached.value, (Scores{0.5f, 0.25f}));
}

TEST_F(GuardedCallTest, FailedCallAnswersFromLastKnownGoodWithTheError) {
  call_.Call("u1", [] { return absl::StatusOr<Scores>(Scores{1.0f}); });
  clock_.Advance(absl::Seconds(2));
  auto r = call_.Call("u1", [] { return absl::StatusOr<Scores>(absl::UnavailableError("503")); });
  ASSERT_NE(r.value, nullptr);
  EXPECT_EQ(r.source, GuardedSource::kLastKnownGood);
  EXPECT_EQ(r.reason, FallbackReason::kError);
  EXPECT_EQ(r.error.code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(*r.value, Scores{1.0f});
  EXPECT_EQ(r.age, absl::Seconds(2));
}

TEST_F(GuardedCallTest, FailedCallWithoutHistoryHasNoValue) {
  auto r = call_.Call("u9", [] { return absl::StatusOr<Scores>(absl::InternalError("boom")); });
  EXPECT_EQ(r.value, nullptr);
  EXPECT_EQ(r.source, GuardedSource::kNone);
  EXPECT_EQ(r.reason, FallbackReason::kError);
}

TEST_F(GuardedCallTest, OpenBreakerShortCircuitsWithoutCallingTheHost) {
  call_.Call("u1", [] { return absl::StatusOr<Scores>(Scores{2.0f}); });
  breaker_.ForceOpen(absl::Seconds(10));
  int host_calls = 0;
  auto r = call_.Call("u1", [&] {
    ++host_calls;
    return absl::StatusOr<Scores>(Scores{3.0f});
  });
  EXPECT_EQ(host_calls, 0);
  ASSERT_NE(r.value, nullptr);
  EXPECT_EQ(r.source, GuardedSource::kLastKnownGood);
  EXPECT_EQ(r.reason, FallbackReason::kBreakerOpen);
  EXPECT_EQ(*r.value, Scores{2.0f});
  auto miss = call_.Call("u2", [&] { return absl::StatusOr<Scores>(Scores{3.0f}); });
  EXPECT_EQ(miss.source, GuardedSource::kNone);
  EXPECT_EQ(miss.reason, FallbackReason::kBreakerOpen);
}

TEST_F(GuardedCallTest, SlowCallsAreMeasuredAndTripTheBreaker) {
  auto slow = [&] {
    clock_.Advance(absl::Milliseconds(15));  // the host takes 15 ms > 10 ms timeout
    return absl::StatusOr<Scores>(Scores{4.0f});
  };
  auto r1 = call_.Call("u1", slow);
  EXPECT_EQ(r1.source, GuardedSource::kFresh);  // a late value is still used
  EXPECT_EQ(r1.latency, absl::Milliseconds(15));
  EXPECT_EQ(breaker_.counters().timeouts, 1u);
  call_.Call("u1", slow);
  EXPECT_EQ(breaker_.state(), BreakerState::kOpen);  // 2 consecutive timeouts
  auto r3 = call_.Call("u1", slow);
  EXPECT_EQ(r3.source, GuardedSource::kLastKnownGood);
  EXPECT_EQ(r3.reason, FallbackReason::kBreakerOpen);
}

TEST_F(GuardedCallTest, TimedOutFailureReportsDeadline) {
  auto r = call_.Call("u1", [&] {
    clock_.Advance(absl::Milliseconds(11));
    return absl::StatusOr<Scores>(absl::DeadlineExceededError("remote timed out"));
  });
  EXPECT_EQ(r.reason, FallbackReason::kDeadline);
}

TEST_F(GuardedCallTest, ExceptionFromTheHostBecomesInternalStatus) {
  auto r = call_.Call(
      "u1", []() -> absl::StatusOr<Scores> { throw std::runtime_error("model server went away"); });
  EXPECT_EQ(r.source, GuardedSource::kNone);
  EXPECT_EQ(r.error.code(), absl::StatusCode::kInternal);
  EXPECT_THAT(r.error.message(), HasSubstr("model server went away"));
  EXPECT_THAT(r.error.message(), HasSubstr("\"host_scorer\""));
  EXPECT_EQ(breaker_.counters().failures, 1u);
}

TEST_F(GuardedCallTest, RecoveryClosesTheBreakerAndRefreshesTheCache) {
  call_.Call("u1", [] { return absl::StatusOr<Scores>(Scores{1.0f}); });
  breaker_.ForceOpen(absl::Seconds(1));
  clock_.Advance(absl::Seconds(1));
  auto r = call_.Call("u1", [] { return absl::StatusOr<Scores>(Scores{5.0f}); });  // the probe
  EXPECT_EQ(r.source, GuardedSource::kFresh);
  EXPECT_EQ(breaker_.state(), BreakerState::kClosed);
  EXPECT_EQ(*lkg_.Get("u1").value, Scores{5.0f});
}

TEST(GuardedCall, WorksWithoutACache) {
  FakeClock clock;
  CircuitBreaker breaker(Opts(), clock);
  GuardedCall<int, int> call(&breaker, nullptr, clock);
  EXPECT_EQ(*call.Call(1, [] { return absl::StatusOr<int>(3); }).value, 3);
  auto r = call.Call(1, [] { return absl::StatusOr<int>(absl::UnknownError("x")); });
  EXPECT_EQ(r.value, nullptr);
}

}  // namespace
}  // namespace serving
}  // namespace aisle
