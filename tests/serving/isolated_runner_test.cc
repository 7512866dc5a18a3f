#include "aisle/serving/isolated_runner.h"

#include <atomic>
#include <functional>
#include <memory>
#include <system_error>
#include <thread>
#include <vector>

#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace aisle::serving {
namespace {

IsolatedRunnerOptions Opts(size_t threads, size_t max_outstanding) {
  IsolatedRunnerOptions o;
  o.threads = threads;
  o.max_outstanding = max_outstanding;
  return o;
}

// Waits (really) until the runner reports no outstanding call.
void WaitIdle(const IsolatedRunner& r) {
  while (r.metrics().outstanding != 0) absl::SleepFor(absl::Milliseconds(1));
}

TEST(IsolatedRunner, RunsTheFunctionAndPublishesItsEffects) {
  auto made = IsolatedRunner::Create(Opts(2, 4));
  ASSERT_TRUE(made.ok()) << made.status();
  IsolatedRunner& runner = **made;
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

// Releases a hung call when a test leaves early (an ASSERT), so the runner's
// destructor, which joins its workers, cannot hang the test binary.
struct ReleaseOnExit {
  std::shared_ptr<absl::Notification> n;
  ~ReleaseOnExit() {
    if (!n->HasBeenNotified()) n->Notify();
  }
};

// Submits calls that block until `release` until one of them has started on
// a worker (a call abandoned while still queued never runs, so under load a
// first attempt may be skipped); each attempt waits longer. Every attempt
// must end kTimedOut (or kRejected while a skipped one still holds its slot).
void HoldAWorker(IsolatedRunner& runner, std::shared_ptr<absl::Notification> release,
                 std::shared_ptr<std::atomic<int>> finished) {
  auto started = std::make_shared<std::atomic<bool>>(false);
  absl::Duration wait = absl::Milliseconds(20);
  for (int attempt = 0; attempt < 10 && !started->load(); ++attempt, wait *= 2) {
    const IsolatedOutcome o = runner.Run(
        [release, finished, started] {
          started->store(true);
          release->WaitForNotification();  // a model that does not answer
          finished->fetch_add(1);
        },
        Deadline::In(wait));
    ASSERT_NE(o, IsolatedOutcome::kDone);
  }
  ASSERT_TRUE(started->load());
}

TEST(IsolatedRunner, StopsWaitingAtTheDeadlineAndTheCallFinishesLater) {
  auto made = IsolatedRunner::Create(Opts(1, 16));
  ASSERT_TRUE(made.ok()) << made.status();
  IsolatedRunner& runner = **made;
  auto release = std::make_shared<absl::Notification>();
  auto finished = std::make_shared<std::atomic<int>>(0);
  ReleaseOnExit guard{release};
  HoldAWorker(runner, release, finished);
  EXPECT_EQ(finished->load(), 0);
  EXPECT_GE(runner.metrics().outstanding, 1u);  // still holds its thread
  EXPECT_GE(runner.metrics().timed_out, 1u);
  release->Notify();
  WaitIdle(runner);
  EXPECT_EQ(finished->load(), 1);  // ran to its end; the result was dropped
  const IsolatedRunnerMetrics m = runner.metrics();
  EXPECT_EQ(m.done, 0u);
  EXPECT_EQ(m.timed_out, m.calls);
  EXPECT_EQ(m.skipped + 1, m.calls);  // every other attempt never ran
}

TEST(IsolatedRunner, RejectsAtOnceWhenHungCallsHoldEverySlot) {
  auto made = IsolatedRunner::Create(Opts(1, 1));
  ASSERT_TRUE(made.ok()) << made.status();
  IsolatedRunner& runner = **made;
  auto release = std::make_shared<absl::Notification>();
  auto finished = std::make_shared<std::atomic<int>>(0);
  ReleaseOnExit guard{release};
  HoldAWorker(runner, release, finished);
  const uint64_t rejected_before = runner.metrics().rejected;
  bool ran = false;
  // Even with all the time in the world, the call is refused, not queued.
  EXPECT_EQ(runner.Run([&ran] { ran = true; }, Deadline::Infinite()), IsolatedOutcome::kRejected);
  EXPECT_FALSE(ran);
  EXPECT_EQ(runner.metrics().rejected, rejected_before + 1);
  release->Notify();
  WaitIdle(runner);
  // The slot is back.
  EXPECT_EQ(runner.Run([&ran] { ran = true; }, Deadline::Infinite()), IsolatedOutcome::kDone);
  EXPECT_TRUE(ran);
}

TEST(IsolatedRunner, AbandonedBeforeItStartedNeverRuns) {
  auto made = IsolatedRunner::Create(Opts(1, 16));
  ASSERT_TRUE(made.ok()) << made.status();
  IsolatedRunner& runner = **made;
  auto release = std::make_shared<absl::Notification>();
  auto finished = std::make_shared<std::atomic<int>>(0);
  ReleaseOnExit guard{release};
  HoldAWorker(runner, release, finished);  // the only worker is now held
  const uint64_t skipped_before = runner.metrics().skipped;
  auto second_ran = std::make_shared<std::atomic<bool>>(false);
  EXPECT_EQ(
      runner.Run([second_ran] { second_ran->store(true); }, Deadline::In(absl::Milliseconds(5))),
      IsolatedOutcome::kTimedOut);
  release->Notify();
  WaitIdle(runner);
  EXPECT_FALSE(second_ran->load());
  EXPECT_EQ(runner.metrics().skipped, skipped_before + 1);
}

TEST(IsolatedRunner, ManyCallerThreads) {
  auto made = IsolatedRunner::Create(Opts(2, 64));
  ASSERT_TRUE(made.ok()) << made.status();
  IsolatedRunner& runner = **made;
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
  auto finished = std::make_shared<std::atomic<int>>(0);
  {
    auto made = IsolatedRunner::Create(Opts(1, 16));
    ASSERT_TRUE(made.ok()) << made.status();
    IsolatedRunner& runner = **made;
    HoldAWorker(runner, release, finished);
    if (::testing::Test::HasFatalFailure()) release->Notify();  // never hang the test
    std::thread releaser([release] {
      absl::SleepFor(absl::Milliseconds(20));
      release->Notify();
    });
    releaser.detach();
  }  // joins the worker, which returns once released
  EXPECT_EQ(finished->load(), 1);
}

TEST(IsolatedRunner, RefusesAbsurdThreadAndQueueBounds) {
  auto r = IsolatedRunner::Create(Opts(0, 4));
  EXPECT_TRUE(absl::IsInvalidArgument(r.status()));
  EXPECT_THAT(r.status().message(), ::testing::HasSubstr("threads = 0 is outside [1, 256]"));
  r = IsolatedRunner::Create(Opts(size_t{1} << 40, size_t{1} << 41));
  EXPECT_THAT(r.status().message(), ::testing::HasSubstr("threads = 1099511627776"));
  r = IsolatedRunner::Create(Opts(4, 2));
  EXPECT_THAT(r.status().message(),
              ::testing::HasSubstr("max_outstanding = 2 is outside [threads = 4, 65536]"));
}

TEST(IsolatedRunner, AFailedStartStopsTheThreadsItStarted) {
  // The system refuses the third thread: the two started ones must be
  // stopped and joined (a joinable std::thread destroyed would abort).
  auto started = std::make_shared<std::atomic<int>>(0);
  auto exited = std::make_shared<std::atomic<int>>(0);
  IsolatedRunnerOptions o = Opts(4, 8);
  o.start_thread = [started, exited](std::function<void()> loop) {
    if (started->load() == 2) {
      throw std::system_error(std::make_error_code(std::errc::resource_unavailable_try_again),
                              "thread refused");
    }
    started->fetch_add(1);
    return std::thread([loop = std::move(loop), exited] {
      loop();
      exited->fetch_add(1);
    });
  };
  auto r = IsolatedRunner::Create(o);
  ASSERT_TRUE(absl::IsResourceExhausted(r.status())) << r.status();
  EXPECT_THAT(r.status().message(), ::testing::HasSubstr("thread 3 of 4"));
  EXPECT_THAT(r.status().message(), ::testing::HasSubstr("the 2 started were stopped"));
  EXPECT_EQ(started->load(), 2);
  EXPECT_EQ(exited->load(), 2);  // joined before Create returned
}

TEST(IsolatedRunner, SubmitRunsWithoutWaitingAndRejectsBeyondTheBound) {
  auto made = IsolatedRunner::Create(Opts(1, 2));
  ASSERT_TRUE(made.ok()) << made.status();
  IsolatedRunner& runner = **made;
  auto release = std::make_shared<absl::Notification>();
  auto ran = std::make_shared<std::atomic<int>>(0);
  // Two calls fill the bound (one running, one queued); the third is refused.
  EXPECT_TRUE(runner.Submit([release, ran] {
    release->WaitForNotification();
    ran->fetch_add(1);
  }));
  EXPECT_TRUE(runner.Submit([ran] { ran->fetch_add(1); }));
  EXPECT_FALSE(runner.Submit([ran] { ran->fetch_add(100); }));
  EXPECT_EQ(ran->load(), 0);  // Submit returned without waiting
  release->Notify();
  WaitIdle(runner);
  EXPECT_EQ(ran->load(), 2);
  const IsolatedRunnerMetrics m = runner.metrics();
  EXPECT_EQ(m.submitted, 2u);
  EXPECT_EQ(m.rejected, 1u);
}

}  // namespace
}  // namespace aisle::serving
