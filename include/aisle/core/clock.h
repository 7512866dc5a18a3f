// File: aisle/core/clock.h
//
// Time for aisle. Wall-clock time (event timestamps, launch times, feature
// ages) is absl::Time; request deadlines use a monotonic clock so that a wall
// clock step never expires or extends a request. Tests inject a FakeClock.
//
//   aisle::FakeClock clock(absl::FromUnixSeconds(1700000000));
//   clock.Advance(absl::Milliseconds(5));
//
// Clock implementations are thread-safe.
#ifndef AISLE_CORE_CLOCK_H_
#define AISLE_CORE_CLOCK_H_

#include <atomic>
#include <chrono>
#include <cstdint>

#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace aisle {

class Clock {
 public:
  virtual ~Clock() = default;
  // Wall-clock now.
  virtual absl::Time Now() const = 0;
  // Monotonic nanoseconds from an arbitrary origin.
  virtual int64_t MonotonicNanos() const = 0;

  // The process-wide real clock.
  static const Clock& Real();
};

class RealClock final : public Clock {
 public:
  absl::Time Now() const override { return absl::Now(); }
  int64_t MonotonicNanos() const override {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
  }
};

inline const Clock& Clock::Real() {
  static const RealClock clock;
  return clock;
}

// A clock that moves only when told to. Thread-safe.
class FakeClock final : public Clock {
 public:
  explicit FakeClock(absl::Time start = absl::UnixEpoch())
      : wall_nanos_(absl::ToUnixNanos(start)) {}
  absl::Time Now() const override {
    return absl::FromUnixNanos(wall_nanos_.load(std::memory_order_relaxed));
  }
  int64_t MonotonicNanos() const override { return mono_nanos_.load(std::memory_order_relaxed); }
  void Advance(absl::Duration d) {
    const int64_t n = absl::ToInt64Nanoseconds(d);
    wall_nanos_.fetch_add(n, std::memory_order_relaxed);
    mono_nanos_.fetch_add(n, std::memory_order_relaxed);
  }
  void SetNow(absl::Time t) { wall_nanos_.store(absl::ToUnixNanos(t), std::memory_order_relaxed); }

 private:
  std::atomic<int64_t> wall_nanos_;
  std::atomic<int64_t> mono_nanos_{0};
};

}  // namespace aisle

#endif  // AISLE_CORE_CLOCK_H_
