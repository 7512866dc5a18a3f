#include "aisle/serving/isolated_runner.h"

#include <atomic>
#include <memory>
#include <thread>
#include <vector>

#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"

namespace aisle::serving {
namespace {

// Waits (really) until the runner reports no outstanding call.
void WaitIdle(const IsolatedRunner& r) {
  while (r.metrics().outstanding != 0) absl::SleepFor(absl::Milliseconds(1));
}

TEST(IsolatedRunner, RunsTheFunctionAndPublishesItsEffects) {
  IsolatedRunner runner({.threads = 2, .max_outstanding = 4});
  auto value = std::make_shared<int>(0);
  EXPECT_EQ(runner.Run([value] { *value = 42; }, Deadline::Infinite()), IsolatedOutcome::kDone);
  EXPECT_EQ(*value, 42);
  EXPECT_EQ(runner.Run([value] { *value += 1; }, Deadline::In(absl::Seconds(60))),
            IsolatedOutcome::kDone);
  EXPECT_EQ(*value, 43);
  const IsolatedRunnerMetrics m = runner.metrics();
  EXPECT_EQ(m.calls, 2u);
  EXPECT_EQ(m.done, 2u);
  EXPECT_EQ(m.timed_out, 0u);
  EXPECT_EQ(m.rejected, 0u);
}

TEST(IsolatedRunner, StopsWaitingAtTheDeadlineAndTheCallFinishesLater) {
  IsolatedRunner runner({.threads = 1, .max_outstanding = 4});
  auto release = std::make_shared<absl::Notification>();
  auto finished = std::make_shared<std::atomic<bool>>(false);
  const IsolatedOutcome o = runner.Run(
      [release, finished] {
        release->WaitForNotification();  // a model that does not answer
        finished->store(true);
      },
      Deadline::In(absl::Milliseconds(20)));
  EXPECT_EQ(o, IsolatedOutcome::kTimedOut);
  EXPECT_FALSE(finished->load());
  EXPECT_EQ(runner.metrics().outstanding, 1u);  // still holds its thread
  release->Notify();
  WaitIdle(runner);
  EXPECT_TRUE(finished->load());  // ran to its end; the result was dropped
  const IsolatedRunnerMetrics m = runner.metrics();
  EXPECT_EQ(m.timed_out, 1u);
  EXPECT_EQ(m.done, 0u);
  EXPECT_EQ(m.skipped, 0u);
}

TEST(IsolatedRunner, RejectsAtOnceWhenHungCallsHoldEverySlot) {
  IsolatedRunner runner({.threads = 1, .max_outstanding = 1});
  auto release = std::make_shared<absl::Notification>();
  EXPECT_EQ(runner.Run([release] { release->WaitForNotification(); },
                       Deadline::In(absl::Milliseconds(5))),
            IsolatedOutcome::kTimedOut);
  bool ran = false;
  // Even with all the time in the world, the call is refused, not queued.
  EXPECT_EQ(runner.Run([&ran] { ran = true; }, Deadline::Infinite()), IsolatedOutcome::kRejected);
  EXPECT_FALSE(ran);
  EXPECT_EQ(runner.metrics().rejected, 1u);
  release->Notify();
  WaitIdle(runner);
  // The slot is back.
  EXPECT_EQ(runner.Run([&ran] { ran = true; }, Deadline::Infinite()), IsolatedOutcome::kDone);
  EXPECT_TRUE(ran);
}

TEST(IsolatedRunner, AbandonedBeforeItStartedNeverRuns) {
  IsolatedRunner runner({.threads = 1, .max_outstanding = 4});
  auto release = std::make_shared<absl::Notification>();
  auto started = std::make_shared<absl::Notification>();
  EXPECT_EQ(runner.Run(
                [release, started] {
                  started->Notify();
                  release->WaitForNotification();
                },
                Deadline::In(absl::Milliseconds(5))),
            IsolatedOutcome::kTimedOut);
  started->WaitForNotification();  // the only worker is now held
  auto second_ran = std::make_shared<std::atomic<bool>>(false);
  EXPECT_EQ(
      runner.Run([second_ran] { second_ran->store(true); }, Deadline::In(absl::Milliseconds(5))),
      IsolatedOutcome::kTimedOut);
  release->Notify();
  WaitIdle(runner);
  EXPECT_FALSE(second_ran->load());
  const IsolatedRunnerMetrics m = runner.metrics();
  EXPECT_EQ(m.skipped, 1u);
  EXPECT_EQ(m.timed_out, 2u);
}

TEST(IsolatedRunner, ManyCallerThreads) {
  IsolatedRunner runner({.threads = 2, .max_outstanding = 64});
  constexpr int kThreads = 4;
  constexpr int kCalls = 200;
  auto sum = std::make_shared<std::atomic<int64_t>>(0);
  std::atomic<int> done{0};
  std::vector<std::thread> callers;
  for (int t = 0; t < kThreads; ++t) {
    callers.emplace_back([&, t] {
      for (int i = 0; i < kCalls; ++i) {
        auto out = std::make_shared<int64_t>(-1);
        const int64_t v = t * 1000 + i;
        if (runner.Run([out, v] { *out = v; }, Deadline::Infinite()) == IsolatedOutcome::kDone &&
            *out == v) {
          sum->fetch_add(v);
          done.fetch_add(1);
        }
      }
    });
  }
  for (std::thread& t : callers) t.join();
  int64_t expected = 0;
  for (int t = 0; t < kThreads; ++t) {
    for (int i = 0; i < kCalls; ++i) expected += t * 1000 + i;
  }
  EXPECT_EQ(done.load(), kThreads * kCalls);
  EXPECT_EQ(sum->load(), expected);
  EXPECT_EQ(runner.metrics().done, uint64_t{kThreads * kCalls});
}

TEST(IsolatedRunner, DestructionWaitsForARunningCall) {
  auto release = std::make_shared<absl::Notification>();
  auto finished = std::make_shared<std::atomic<bool>>(false);
  {
    IsolatedRunner runner({.threads = 1, .max_outstanding = 2});
    EXPECT_EQ(runner.Run(
                  [release, finished] {
                    release->WaitForNotification();
                    finished->store(true);
                  },
                  Deadline::In(absl::Milliseconds(1))),
              IsolatedOutcome::kTimedOut);
    std::thread releaser([release] {
      absl::SleepFor(absl::Milliseconds(20));
      release->Notify();
    });
    releaser.detach();
  }  // joins the worker, which returns once released
  EXPECT_TRUE(finished->load());
}

}  // namespace
}  // namespace aisle::serving
