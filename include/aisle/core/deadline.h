// File: aisle/core/deadline.h
//
// A request deadline on the monotonic clock. Stages check Expired() between
// steps and long loops check it at block boundaries (every few hundred
// candidates), never per candidate.
//
//   aisle::Deadline d = aisle::Deadline::In(absl::Milliseconds(20));
//   for (size_t block = 0; block < n; block += 256) {
//     if (d.Expired()) break;  // degrade, and say so in the response
//     ...
//   }
//
// Deadline is a value type: thread-compatible. It keeps a pointer to its
// clock, which must outlive it.
#ifndef AISLE_CORE_DEADLINE_H_
#define AISLE_CORE_DEADLINE_H_

#include <cstdint>
#include <limits>

#include "absl/time/time.h"
#include "aisle/core/clock.h"

namespace aisle {

class Deadline {
 public:
  // No deadline.
  Deadline() = default;

  static Deadline In(absl::Duration budget, const Clock& clock = Clock::Real()) {
    Deadline d;
    d.clock_ = &clock;
    d.at_nanos_ = clock.MonotonicNanos() + absl::ToInt64Nanoseconds(budget);
    return d;
  }
  static Deadline Infinite() { return Deadline(); }

  bool IsInfinite() const { return at_nanos_ == kNever; }
  bool Expired() const { return !IsInfinite() && clock_->MonotonicNanos() >= at_nanos_; }
  absl::Duration Remaining() const {
    if (IsInfinite()) return absl::InfiniteDuration();
    const int64_t left = at_nanos_ - clock_->MonotonicNanos();
    return absl::Nanoseconds(left > 0 ? left : 0);
  }
  // The earlier of this deadline and `budget` from now: a stage's own budget
  // inside the request's deadline.
  Deadline Sooner(absl::Duration budget) const {
    const Clock& c = clock_ ? *clock_ : Clock::Real();
    Deadline d = In(budget, c);
    if (!IsInfinite() && at_nanos_ < d.at_nanos_) d.at_nanos_ = at_nanos_;
    return d;
  }
  int64_t at_nanos() const { return at_nanos_; }
  const Clock& clock() const { return clock_ ? *clock_ : Clock::Real(); }

 private:
  static constexpr int64_t kNever = std::numeric_limits<int64_t>::max();
  const Clock* clock_ = nullptr;
  int64_t at_nanos_ = kNever;
};

}  // namespace aisle

#endif  // AISLE_CORE_DEADLINE_H_
