#include "aisle/serving/isolated_runner.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "aisle/core/status_macros.h"

namespace aisle::serving {

absl::Status IsolatedRunner::Validate(const IsolatedRunnerOptions& o) {
  if (o.threads < 1 || o.threads > kMaxIsolationThreads) {
    return absl::InvalidArgumentError(absl::StrCat("isolation threads = ", o.threads,
                                                   " is outside [1, ", kMaxIsolationThreads, "]"));
  }
  if (o.max_outstanding < o.threads || o.max_outstanding > kMaxIsolationOutstanding) {
    return absl::InvalidArgumentError(
        absl::StrCat("isolation max_outstanding = ", o.max_outstanding,
                     " is outside [threads = ", o.threads, ", ", kMaxIsolationOutstanding, "]"));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<IsolatedRunner>> IsolatedRunner::Create(
    IsolatedRunnerOptions options) {
  AISLE_RETURN_IF_ERROR(Validate(options));
  std::unique_ptr<IsolatedRunner> r(new IsolatedRunner(std::move(options)));
  const size_t want = r->options_.threads;
  try {
    r->workers_.reserve(want);
    for (size_t i = 0; i < want; ++i) {
      std::function<void()> loop = [p = r.get()] { p->WorkerLoop(); };
      if (r->options_.start_thread) {
        r->workers_.push_back(r->options_.start_thread(std::move(loop)));
      } else {
        r->workers_.emplace_back(std::move(loop));
      }
    }
  } catch (const std::exception& e) {
    const size_t started = r->workers_.size();
    r->Stop();  // joins what started; the destructor then has nothing to do
    return absl::ResourceExhaustedError(absl::StrCat("could not start isolation thread ",
                                                     started + 1, " of ", want, " (", e.what(),
                                                     "); the ", started, " started were stopped"));
  }
  return r;
}

IsolatedRunner::IsolatedRunner(IsolatedRunnerOptions options) : options_(std::move(options)) {}

void IsolatedRunner::Stop() {
  {
    absl::MutexLock l(&mu_);
    stopping_ = true;
  }
  for (std::thread& t : workers_) {
    if (t.joinable()) t.join();
  }
}

IsolatedRunner::~IsolatedRunner() { Stop(); }

void IsolatedRunner::WorkerLoop() {
  for (;;) {
    std::shared_ptr<Call> call;
    {
      absl::MutexLock l(&mu_);
      auto ready = [this]()
                       ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return stopping_ || !queue_.empty(); };
      mu_.Await(absl::Condition(&ready));
      if (stopping_) {
        // Nobody may be waiting (the owner is being destroyed): drop the rest.
        outstanding_.fetch_sub(queue_.size(), std::memory_order_relaxed);
        queue_.clear();
        return;
      }
      call = std::move(queue_.front());
      queue_.pop_front();
    }
    bool run = false;
    {
      absl::MutexLock l(&call->mu);
      run = !call->abandoned;
    }
    if (run) {
      call->fn();
      call->fn = nullptr;  // release what it owns before signalling
      // The slot is free before the caller hears "done", so a caller that
      // runs the next call at once finds it free.
      outstanding_.fetch_sub(1, std::memory_order_relaxed);
      absl::MutexLock l(&call->mu);
      call->done = true;
    } else {
      skipped_.fetch_add(1, std::memory_order_relaxed);
      outstanding_.fetch_sub(1, std::memory_order_relaxed);
    }
  }
}

bool IsolatedRunner::Submit(absl::AnyInvocable<void()> fn) {
  if (outstanding_.fetch_add(1, std::memory_order_relaxed) >= options_.max_outstanding) {
    outstanding_.fetch_sub(1, std::memory_order_relaxed);
    rejected_.fetch_add(1, std::memory_order_relaxed);
    return false;
  }
  submitted_.fetch_add(1, std::memory_order_relaxed);
  auto call = std::make_shared<Call>();
  call->fn = std::move(fn);
  absl::MutexLock l(&mu_);
  queue_.push_back(std::move(call));
  return true;
}

IsolatedOutcome IsolatedRunner::Run(absl::AnyInvocable<void()> fn, const Deadline& deadline) {
  calls_.fetch_add(1, std::memory_order_relaxed);
  if (outstanding_.fetch_add(1, std::memory_order_relaxed) >= options_.max_outstanding) {
    outstanding_.fetch_sub(1, std::memory_order_relaxed);
    rejected_.fetch_add(1, std::memory_order_relaxed);
    return IsolatedOutcome::kRejected;
  }
  auto call = std::make_shared<Call>();
  call->fn = std::move(fn);
  {
    absl::MutexLock l(&mu_);
    queue_.push_back(call);
  }
  absl::MutexLock l(&call->mu);
  auto finished = [c = call.get()]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(c->mu) { return c->done; };
  bool done;
  if (deadline.IsInfinite()) {
    call->mu.Await(absl::Condition(&finished));
    done = true;
  } else {
    done = call->mu.AwaitWithTimeout(absl::Condition(&finished), deadline.Remaining());
  }
  if (done) {
    done_.fetch_add(1, std::memory_order_relaxed);
    return IsolatedOutcome::kDone;
  }
  call->abandoned = true;
  timed_out_.fetch_add(1, std::memory_order_relaxed);
  return IsolatedOutcome::kTimedOut;
}

IsolatedRunnerMetrics IsolatedRunner::metrics() const {
  IsolatedRunnerMetrics m;
  m.calls = calls_.load(std::memory_order_relaxed);
  m.done = done_.load(std::memory_order_relaxed);
  m.timed_out = timed_out_.load(std::memory_order_relaxed);
  m.rejected = rejected_.load(std::memory_order_relaxed);
  m.skipped = skipped_.load(std::memory_order_relaxed);
  m.submitted = submitted_.load(std::memory_order_relaxed);
  m.outstanding = outstanding_.load(std::memory_order_relaxed);
  return m;
}

}  // namespace aisle::serving
