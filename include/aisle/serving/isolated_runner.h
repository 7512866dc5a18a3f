// File: aisle/serving/isolated_runner.h
//
// IsolatedRunner runs calls that may not come back in time (a remote model
// behind a host scorer, a ranker that can stall) on a few threads it owns, so
// that the caller waits only until its deadline. A call that has not finished
// by then is abandoned: the caller moves on (the engine falls back to the next
// level, reason "deadline") while the call runs to its end on the worker and
// its result is dropped. A call abandoned before a worker picked it up never
// runs.
//
//   AISLE_ASSIGN_OR_RETURN(std::unique_ptr<aisle::serving::IsolatedRunner> runner,
//                          aisle::serving::IsolatedRunner::Create(
//                              {.threads = 4, .max_outstanding = 32}));
//   auto job = std::make_shared<Job>(...);  // everything the call touches
//   IsolatedOutcome o = runner->Run([job] { job->Score(); }, stage_deadline);
//   if (o == IsolatedOutcome::kDone) { /* job's results are visible here */ }
//
// The function must own (or share ownership of) everything it touches: after
// kTimedOut the caller's stack is gone while the function may still run.
//
// Outstanding calls (queued, running, or abandoned but still running) are
// bounded by max_outstanding; beyond it Run() answers kRejected at once, so a
// dependency that hangs holds at most that many threads and queue slots and
// every later request degrades immediately instead of queueing.
//
// The runner is the "optional background worker" of ARCHITECTURE.md: an
// engine creates one only when a pipeline asks for isolation and
// EngineOptions::allow_threads is true. Destruction waits for running calls
// to return (a thread cannot be cancelled); queued calls are dropped.
//
// Resources are bounded and starting is all or nothing: Create() refuses
// more than kMaxIsolationThreads threads or kMaxIsolationOutstanding
// outstanding calls, and when the system refuses a thread part-way it stops
// and joins the threads already started and returns ResourceExhausted naming
// how many started; no thread is left behind.
//
// Thread-safety: thread-safe (Run() from any number of threads). Each Run()
// takes one short mutex section to enqueue; the wait itself is on a per-call
// mutex.
#ifndef AISLE_SERVING_ISOLATED_RUNNER_H_
#define AISLE_SERVING_ISOLATED_RUNNER_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "aisle/core/deadline.h"

namespace aisle::serving {

inline constexpr size_t kMaxIsolationThreads = 256;
inline constexpr size_t kMaxIsolationOutstanding = size_t{1} << 16;

struct IsolatedRunnerOptions {
  // Worker threads, started by Create(): 1..kMaxIsolationThreads.
  size_t threads = 4;
  // Calls queued + running + abandoned-but-still-running, at most:
  // threads..kMaxIsolationOutstanding.
  size_t max_outstanding = 64;
  // How a worker thread is started; empty = std::thread. A test seam (and a
  // hook for hosts that name or pin their threads): it may throw
  // std::system_error as std::thread does when the system refuses.
  std::function<std::thread(std::function<void()>)> start_thread;
};

enum class IsolatedOutcome : uint8_t {
  kDone = 0,      // the function returned before the deadline
  kTimedOut = 1,  // the caller stopped waiting; the function was abandoned
  kRejected = 2,  // max_outstanding calls already outstanding; not run
};

struct IsolatedRunnerMetrics {
  uint64_t calls = 0;        // Run() calls
  uint64_t submitted = 0;    // Submit() calls accepted
  uint64_t done = 0;         // returned in time
  uint64_t timed_out = 0;    // abandoned at the deadline
  uint64_t rejected = 0;     // refused: too many outstanding
  uint64_t skipped = 0;      // abandoned before a worker started them (never ran)
  uint64_t outstanding = 0;  // now: queued + running
};

class IsolatedRunner {
 public:
  // Starts the workers. InvalidArgument naming an option out of range;
  // ResourceExhausted when the system refuses a thread (none is left running).
  static absl::StatusOr<std::unique_ptr<IsolatedRunner>> Create(IsolatedRunnerOptions options = {});
  static absl::Status Validate(const IsolatedRunnerOptions& options);
  ~IsolatedRunner();
  IsolatedRunner(const IsolatedRunner&) = delete;
  IsolatedRunner& operator=(const IsolatedRunner&) = delete;

  // Runs `fn` on a worker and waits until it returns or `deadline` passes
  // (measured as deadline.Remaining() of real time from now). An infinite
  // deadline waits for the function.
  IsolatedOutcome Run(absl::AnyInvocable<void()> fn, const Deadline& deadline);

  // Queues `fn` and returns at once, without waiting for it (fire and
  // forget: shadow scoring). False, and `fn` is dropped, when
  // max_outstanding calls are already outstanding (counted as rejected).
  bool Submit(absl::AnyInvocable<void()> fn);

  IsolatedRunnerMetrics metrics() const;
  const IsolatedRunnerOptions& options() const { return options_; }

 private:
  struct Call {
    absl::Mutex mu;
    bool done ABSL_GUARDED_BY(mu) = false;
    bool abandoned ABSL_GUARDED_BY(mu) = false;
    absl::AnyInvocable<void()> fn;
  };
  explicit IsolatedRunner(IsolatedRunnerOptions options);
  void WorkerLoop();
  // Sets stopping_ and joins every started worker.
  void Stop();

  IsolatedRunnerOptions options_;
  absl::Mutex mu_;
  std::deque<std::shared_ptr<Call>> queue_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::atomic<uint64_t> outstanding_{0};
  std::atomic<uint64_t> calls_{0}, done_{0}, timed_out_{0}, rejected_{0}, skipped_{0};
  std::atomic<uint64_t> submitted_{0};
  std::vector<std::thread> workers_;
};

}  // namespace aisle::serving

#endif  // AISLE_SERVING_ISOLATED_RUNNER_H_
