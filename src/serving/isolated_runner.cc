#include "aisle/serving/isolated_runner.h"

#include <algorithm>
#include <utility>

#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace aisle::serving {

IsolatedRunner::IsolatedRunner(IsolatedRunnerOptions options) : options_(options) {
  options_.threads = std::max<size_t>(options_.threads, 1);
  options_.max_outstanding = std::max(options_.max_outstanding, options_.threads);
  workers_.reserve(options_.threads);
  for (size_t i = 0; i < options_.threads; ++i) workers_.emplace_back([this] { WorkerLoop(); });
}

IsolatedRunner::~IsolatedRunner() {
  {
    absl::MutexLock l(&mu_);
    stopping_ = true;
  }
  for (std::thread& t : workers_) t.join();
}

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
      absl::MutexLock l(&call->mu);
      call->done = true;
    } else {
      skipped_.fetch_add(1, std::memory_order_relaxed);
    }
    outstanding_.fetch_sub(1, std::memory_order_relaxed);
  }
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
  m.outstanding = outstanding_.load(std::memory_order_relaxed);
  return m;
}

}  // namespace aisle::serving
