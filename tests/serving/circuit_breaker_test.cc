#include "aisle/serving/circuit_breaker.h"

#include <atomic>
#include <random>
#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace aisle {
namespace serving {
namespace {

using ::testing::HasSubstr;

constexpr absl::Duration kFast = absl::Milliseconds(1);

CircuitBreakerOptions Opts() {
  CircuitBreakerOptions o;
  o.name = "remote_model";
  o.window = absl::Seconds(10);
  o.window_buckets = 10;
  o.min_requests = 10;
  o.failure_rate_threshold = 0.5;
  o.consecutive_timeouts = 3;
  o.call_timeout = absl::Milliseconds(20);
  o.open_duration = absl::Seconds(1);
  o.open_backoff = 2.0;
  o.max_open_duration = absl::Seconds(5);
  o.half_open_probes = 2;
  return o;
}

// Makes one call through the breaker; returns whether it was admitted.
bool Call(CircuitBreaker& b, bool ok, absl::Duration latency = kFast) {
  CircuitBreaker::Ticket t = b.Allow();
  if (!t) return false;
  b.Record(t, ok, latency);
  return true;
}

void Trip(CircuitBreaker& b) {
  for (int i = 0; i < 10; ++i) Call(b, false);
  ASSERT_EQ(b.state(), BreakerState::kOpen);
}

TEST(CircuitBreaker, StartsClosedAndAdmits) {
  FakeClock clock;
  CircuitBreaker b(Opts(), clock);
  EXPECT_EQ(b.state(), BreakerState::kClosed);
  for (int i = 0; i < 100; ++i) EXPECT_TRUE(Call(b, true));
  EXPECT_EQ(b.counters().successes, 100u);
  EXPECT_EQ(b.counters().admitted, 100u);
  EXPECT_EQ(b.state(), BreakerState::kClosed);
}

TEST(CircuitBreaker, DoesNotTripBelowTheVolumeThreshold) {
  FakeClock clock;
  CircuitBreaker b(Opts(), clock);
  for (int i = 0; i < 9; ++i) Call(b, false);  // 100% failures, 9 < min_requests
  EXPECT_EQ(b.state(), BreakerState::kClosed);
  Call(b, false);  // 10th call reaches the volume
  EXPECT_EQ(b.state(), BreakerState::kOpen);
  EXPECT_EQ(b.counters().trips, 1u);
  auto log = b.TransitionLog();
  ASSERT_EQ(log.size(), 1u);
  EXPECT_EQ(log[0].cause, BreakerCause::kFailureRate);
}

TEST(CircuitBreaker, DoesNotTripBelowTheFailureRate) {
  FakeClock clock;
  CircuitBreaker b(Opts(), clock);
  // 40 calls, 45% failures (every 20 calls: 11 successes, then 9 failures,
  // so the running rate never reaches 50%).
  for (int i = 0; i < 40; ++i) Call(b, i % 20 < 11);
  EXPECT_EQ(b.state(), BreakerState::kClosed);
  uint32_t calls = 0, failures = 0;
  b.WindowCounts(&calls, &failures);
  EXPECT_EQ(calls, 40u);
  EXPECT_EQ(failures, 18u);
  // Three more failures: 21/43 < 0.5; the fourth makes 22/44 = 0.5.
  for (int i = 0; i < 3; ++i) Call(b, false);
  EXPECT_EQ(b.state(), BreakerState::kClosed);
  Call(b, false);
  EXPECT_EQ(b.state(), BreakerState::kOpen);
}

TEST(CircuitBreaker, FailuresThatLeftTheWindowDoNotCount) {
  FakeClock clock;
  CircuitBreaker b(Opts(), clock);
  for (int i = 0; i < 9; ++i) Call(b, false);
  clock.Advance(absl::Seconds(11));  // past the 10 s window
  uint32_t calls = 0, failures = 0;
  b.WindowCounts(&calls, &failures);
  EXPECT_EQ(calls, 0u);
  Call(b, false);
  EXPECT_EQ(b.state(), BreakerState::kClosed);
}

TEST(CircuitBreaker, WindowRollsBucketByBucket) {
  FakeClock clock;
  CircuitBreaker b(Opts(), clock);  // 10 buckets of 1 s
  for (int i = 0; i < 4; ++i) Call(b, true);
  clock.Advance(absl::Seconds(5));
  for (int i = 0; i < 3; ++i) Call(b, true);
  uint32_t calls = 0, failures = 0;
  b.WindowCounts(&calls, &failures);
  EXPECT_EQ(calls, 7u);
  clock.Advance(absl::Seconds(5));  // first bucket (t=0) has left the window
  b.WindowCounts(&calls, &failures);
  EXPECT_EQ(calls, 3u);
}

TEST(CircuitBreaker, TripsOnConsecutiveTimeoutsEvenWhenCallsSucceed) {
  FakeClock clock;
  CircuitBreaker b(Opts(), clock);
  const absl::Duration slow = absl::Milliseconds(25);  // > call_timeout 20 ms
  Call(b, true, slow);
  Call(b, true, slow);
  Call(b, true, kFast);  // breaks the run
  Call(b, true, slow);
  Call(b, true, slow);
  EXPECT_EQ(b.state(), BreakerState::kClosed);
  Call(b, true, slow);
  EXPECT_EQ(b.state(), BreakerState::kOpen);
  EXPECT_EQ(b.counters().timeouts, 5u);
  EXPECT_EQ(b.counters().failures, 5u);
  EXPECT_EQ(b.TransitionLog().back().cause, BreakerCause::kConsecutiveTimeouts);
}

TEST(CircuitBreaker, ConsecutiveTimeoutRuleCanBeDisabled) {
  FakeClock clock;
  CircuitBreakerOptions o = Opts();
  o.consecutive_timeouts = 0;
  o.min_requests = 1000;
  CircuitBreaker b(o, clock);
  for (int i = 0; i < 50; ++i) Call(b, true, absl::Milliseconds(100));
  EXPECT_EQ(b.state(), BreakerState::kClosed);
}

TEST(CircuitBreaker, OpenShortCircuitsUntilTheCoolDownElapses) {
  FakeClock clock;
  CircuitBreaker b(Opts(), clock);
  Trip(b);
  EXPECT_FALSE(Call(b, true));
  clock.Advance(absl::Milliseconds(999));
  EXPECT_FALSE(Call(b, true));
  EXPECT_EQ(b.counters().short_circuited, 2u);
  EXPECT_EQ(b.state(), BreakerState::kOpen);
  clock.Advance(absl::Milliseconds(1));
  CircuitBreaker::Ticket probe = b.Allow();
  EXPECT_TRUE(probe);
  EXPECT_TRUE(probe.probe());
  EXPECT_EQ(b.state(), BreakerState::kHalfOpen);
}

TEST(CircuitBreaker, HalfOpenAdmitsOnlyTheConfiguredProbes) {
  FakeClock clock;
  CircuitBreaker b(Opts(), clock);  // 2 probes
  Trip(b);
  clock.Advance(absl::Seconds(1));
  CircuitBreaker::Ticket p1 = b.Allow();
  CircuitBreaker::Ticket p2 = b.Allow();
  CircuitBreaker::Ticket p3 = b.Allow();
  EXPECT_TRUE(p1);
  EXPECT_TRUE(p2);
  EXPECT_FALSE(p3);
  EXPECT_EQ(b.state(), BreakerState::kHalfOpen);
  b.Record(p1, true, kFast);
  EXPECT_EQ(b.state(), BreakerState::kHalfOpen);  // one of two
  EXPECT_FALSE(b.Allow());                        // still only two probes
  b.Record(p2, true, kFast);
  EXPECT_EQ(b.state(), BreakerState::kClosed);
  // Closing clears the window: one failure does not re-trip.
  uint32_t calls = 0, failures = 0;
  b.WindowCounts(&calls, &failures);
  EXPECT_EQ(calls, 0u);
  Call(b, false);
  EXPECT_EQ(b.state(), BreakerState::kClosed);
}

TEST(CircuitBreaker, FailedProbeReopensWithBackoffUpToTheCap) {
  FakeClock clock;
  CircuitBreaker b(Opts(), clock);  // open 1 s, x2, cap 5 s
  Trip(b);
  const absl::Duration expected[] = {absl::Seconds(2), absl::Seconds(4), absl::Seconds(5),
                                     absl::Seconds(5)};
  absl::Duration open_for = absl::Seconds(1);
  for (absl::Duration want : expected) {
    clock.Advance(open_for);
    CircuitBreaker::Ticket probe = b.Allow();
    ASSERT_TRUE(probe);
    b.Record(probe, false, kFast);
    ASSERT_EQ(b.state(), BreakerState::kOpen);
    EXPECT_EQ(b.TransitionLog().back().cause, BreakerCause::kProbeFailed);
    EXPECT_EQ(b.TransitionLog().back().open_for, want);
    clock.Advance(want - absl::Milliseconds(1));
    EXPECT_FALSE(b.Allow());
    open_for = absl::Milliseconds(1);
  }
}

TEST(CircuitBreaker, SlowProbeCountsAsFailure) {
  FakeClock clock;
  CircuitBreaker b(Opts(), clock);
  Trip(b);
  clock.Advance(absl::Seconds(1));
  CircuitBreaker::Ticket probe = b.Allow();
  ASSERT_TRUE(probe);
  b.Record(probe, true, absl::Milliseconds(21));
  EXPECT_EQ(b.state(), BreakerState::kOpen);
}

TEST(CircuitBreaker, ACloseResetsTheBackoff) {
  FakeClock clock;
  CircuitBreaker b(Opts(), clock);
  Trip(b);
  clock.Advance(absl::Seconds(1));
  auto p = b.Allow();
  b.Record(p, false, kFast);  // re-open for 2 s
  clock.Advance(absl::Seconds(2));
  auto p1 = b.Allow();
  auto p2 = b.Allow();
  b.Record(p1, true, kFast);
  b.Record(p2, true, kFast);
  ASSERT_EQ(b.state(), BreakerState::kClosed);
  Trip(b);
  EXPECT_EQ(b.TransitionLog().back().open_for, absl::Seconds(1));
}

TEST(CircuitBreaker, LateOutcomeFromAnEarlierStateDoesNotMoveTheStateMachine) {
  FakeClock clock;
  CircuitBreaker b(Opts(), clock);
  CircuitBreaker::Ticket slow_call = b.Allow();  // admitted while closed
  ASSERT_TRUE(slow_call);
  ASSERT_FALSE(slow_call.probe());
  Trip(b);
  clock.Advance(absl::Seconds(1));
  CircuitBreaker::Ticket probe = b.Allow();
  ASSERT_TRUE(probe.probe());
  // The closed-era call now reports success: it must not count as a probe.
  b.Record(slow_call, true, kFast);
  EXPECT_EQ(b.state(), BreakerState::kHalfOpen);
  // ... but it is counted.
  EXPECT_EQ(b.counters().successes, 1u);
}

TEST(CircuitBreaker, LostProbesReopenAfterTheCoolDown) {
  FakeClock clock;
  CircuitBreaker b(Opts(), clock);
  Trip(b);
  clock.Advance(absl::Seconds(1));
  EXPECT_TRUE(b.Allow());  // probes taken and never recorded
  EXPECT_TRUE(b.Allow());
  EXPECT_FALSE(b.Allow());
  clock.Advance(absl::Seconds(1));
  EXPECT_FALSE(b.Allow());  // detects the lost probes and re-opens
  EXPECT_EQ(b.state(), BreakerState::kOpen);
  EXPECT_EQ(b.TransitionLog().back().cause, BreakerCause::kProbeLost);
  clock.Advance(absl::Seconds(2));  // backoff x2
  EXPECT_TRUE(b.Allow());
  EXPECT_EQ(b.state(), BreakerState::kHalfOpen);
}

TEST(CircuitBreaker, TransitionLogRecordsWallTimesAndCausesInOrder) {
  FakeClock clock(absl::FromUnixSeconds(1700000000));
  CircuitBreaker b(Opts(), clock);
  Trip(b);
  clock.Advance(absl::Seconds(1));
  auto p1 = b.Allow();
  auto p2 = b.Allow();
  clock.Advance(absl::Milliseconds(5));
  b.Record(p1, true, kFast);
  b.Record(p2, true, kFast);
  auto log = b.TransitionLog();
  ASSERT_EQ(log.size(), 3u);
  EXPECT_EQ(log[0].from, BreakerState::kClosed);
  EXPECT_EQ(log[0].to, BreakerState::kOpen);
  EXPECT_EQ(log[0].at, absl::FromUnixSeconds(1700000000));
  EXPECT_EQ(log[0].open_for, absl::Seconds(1));
  EXPECT_EQ(log[1].to, BreakerState::kHalfOpen);
  EXPECT_EQ(log[1].cause, BreakerCause::kCoolDownElapsed);
  EXPECT_EQ(log[1].at, absl::FromUnixSeconds(1700000001));
  EXPECT_EQ(log[2].to, BreakerState::kClosed);
  EXPECT_EQ(log[2].cause, BreakerCause::kProbesSucceeded);
  EXPECT_EQ(log[2].at, absl::FromUnixSeconds(1700000001) + absl::Milliseconds(5));
}

TEST(CircuitBreaker, TransitionLogIsBounded) {
  FakeClock clock;
  CircuitBreakerOptions o = Opts();
  o.transition_log_capacity = 4;
  CircuitBreaker b(o, clock);
  for (int i = 0; i < 10; ++i) b.ForceOpen(absl::Seconds(1));
  EXPECT_EQ(b.TransitionLog().size(), 4u);
}

TEST(CircuitBreaker, ForceOpenAndResetAreRecorded) {
  FakeClock clock;
  CircuitBreaker b(Opts(), clock);
  b.ForceOpen(absl::Seconds(30));
  EXPECT_EQ(b.state(), BreakerState::kOpen);
  EXPECT_FALSE(b.Allow());
  clock.Advance(absl::Seconds(29));
  EXPECT_FALSE(b.Allow());
  b.Reset();
  EXPECT_EQ(b.state(), BreakerState::kClosed);
  EXPECT_TRUE(b.Allow());
  auto log = b.TransitionLog();
  ASSERT_EQ(log.size(), 2u);
  EXPECT_EQ(log[0].cause, BreakerCause::kForced);
  EXPECT_EQ(log[1].cause, BreakerCause::kForced);
}

TEST(CircuitBreaker, RefusedTicketRecordIsANoOp) {
  FakeClock clock;
  CircuitBreaker b(Opts(), clock);
  Trip(b);
  CircuitBreaker::Ticket refused = b.Allow();
  ASSERT_FALSE(refused);
  const uint64_t failures = b.counters().failures;
  b.Record(refused, false, kFast);
  EXPECT_EQ(b.counters().failures, failures);
}

TEST(CircuitBreaker, ValidateNamesTheBreakerAndTheField) {
  CircuitBreakerOptions o = Opts();
  EXPECT_TRUE(CircuitBreaker::Validate(o).ok());
  o.failure_rate_threshold = 1.5;
  absl::Status s = CircuitBreaker::Validate(o);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("\"remote_model\""));
  EXPECT_THAT(s.message(), HasSubstr("failure_rate_threshold = 1.5"));
  o = Opts();
  o.half_open_probes = 0;
  EXPECT_THAT(CircuitBreaker::Validate(o).message(), HasSubstr("half_open_probes"));
  o = Opts();
  o.max_open_duration = absl::Milliseconds(10);
  EXPECT_THAT(CircuitBreaker::Validate(o).message(), HasSubstr("max_open_duration"));
  o = Opts();
  o.open_backoff = 0.5;
  EXPECT_FALSE(CircuitBreaker::Validate(o).ok());
}

TEST(CircuitBreakerNames, AreStable) {
  EXPECT_EQ(BreakerStateName(BreakerState::kClosed), "closed");
  EXPECT_EQ(BreakerStateName(BreakerState::kOpen), "open");
  EXPECT_EQ(BreakerStateName(BreakerState::kHalfOpen), "half_open");
  EXPECT_EQ(BreakerCauseName(BreakerCause::kFailureRate), "failure_rate");
  EXPECT_EQ(BreakerCauseName(BreakerCause::kProbeLost), "probe_lost");
}

// Several threads call through one breaker while the dependency fails half
// the time and a clock thread moves time; counters must add up and the state
// machine must stay in a legal state.
TEST(CircuitBreaker, ConcurrentCallersKeepCountersConsistent) {
  FakeClock clock;
  CircuitBreakerOptions o = Opts();
  o.open_duration = absl::Milliseconds(5);
  o.max_open_duration = absl::Milliseconds(20);
  CircuitBreaker b(o, clock);
  constexpr int kThreads = 4;
  constexpr int kCalls = 20000;
  std::atomic<uint64_t> attempted{0}, recorded_ok{0}, recorded_fail{0};
  std::atomic<bool> stop{false};
  std::thread ticker([&] {
    while (!stop.load()) {
      clock.Advance(absl::Milliseconds(1));
      std::this_thread::yield();
    }
  });
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      std::mt19937 rng(t);
      for (int i = 0; i < kCalls; ++i) {
        attempted.fetch_add(1);
        auto ticket = b.Allow();
        if (!ticket) continue;
        const bool ok = (rng() & 1) != 0;
        b.Record(ticket, ok, kFast);
        (ok ? recorded_ok : recorded_fail).fetch_add(1);
      }
    });
  }
  for (auto& th : threads) th.join();
  stop = true;
  ticker.join();
  const BreakerCounters c = b.counters();
  EXPECT_EQ(c.admitted + c.short_circuited, attempted.load());
  EXPECT_EQ(c.successes, recorded_ok.load());
  EXPECT_EQ(c.failures, recorded_fail.load());
  EXPECT_EQ(c.admitted, c.successes + c.failures);
  EXPECT_GT(c.trips, 0u);  // 50% failures over >= 10 calls must trip
  EXPECT_GT(c.short_circuited, 0u);
  const BreakerState s = b.state();
  EXPECT_TRUE(s == BreakerState::kClosed || s == BreakerState::kOpen ||
              s == BreakerState::kHalfOpen);
  // Every logged transition is a legal edge.
  for (const BreakerTransition& tr : b.TransitionLog()) {
    EXPECT_NE(tr.from, tr.to);
    if (tr.to == BreakerState::kHalfOpen) {
      EXPECT_EQ(tr.from, BreakerState::kOpen);
    }
    if (tr.to == BreakerState::kClosed) {
      EXPECT_EQ(tr.from, BreakerState::kHalfOpen);
    }
  }
}

}  // namespace
}  // namespace serving
}  // namespace aisle
