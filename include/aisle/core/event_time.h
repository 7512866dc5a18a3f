// File: aisle/core/event_time.h
//
// The one rule for times that come from outside (event timestamps, launch
// times, feature update times) and the window live events must fall in.
//
// Absolute sanity. A time is usable when it lies in [1900-01-01, 2400-01-01)
// (unix microseconds in [kMinEventMicros, kMaxEventMicros)). That range keeps
// every difference of two times, and every decay exponent computed from one,
// far from int64 and double overflow. INT64_MIN is aisle's "no time" value
// (AISLE_UNKNOWN_TIME, Catalog::kUnknownTime): it is never an event time.
//
//   AISLE_RETURN_IF_ERROR(aisle::CheckTimeMicros(t, "warm interaction 17"));
//
// The window. A live event is judged against the engine's clock: older than
// `max_age` or more than `max_lead` ahead of now (clock skew is allowed up to
// `max_lead`) is out of the window, and each side is either rejected or
// clamped to the window's edge, with a counted verdict.
//
//   aisle::EventTimeWindow window;          // 7 days back, 5 minutes ahead
//   absl::Time t = event_time;
//   switch (aisle::PlaceInWindow(window, clock.Now(), &t)) { ... }
//
// Thread-safety: pure functions; thread-safe.
#ifndef AISLE_CORE_EVENT_TIME_H_
#define AISLE_CORE_EVENT_TIME_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace aisle {

// 1900-01-01T00:00:00Z and 2400-01-01T00:00:00Z in unix microseconds.
inline constexpr int64_t kMinEventMicros = -2208988800LL * 1000000;
inline constexpr int64_t kMaxEventMicros = 13569465600LL * 1000000;

// True when `micros` is in [kMinEventMicros, kMaxEventMicros).
constexpr bool IsSaneTimeMicros(int64_t micros) {
  return micros >= kMinEventMicros && micros < kMaxEventMicros;
}
bool IsSaneTime(absl::Time t);

// "1700000000000000 (2023-11-14T22:13:20Z)", or "INT64_MIN (no time)".
std::string FormatTimeMicros(int64_t micros);

// OK, or InvalidArgument "<what>: time <value> is outside [1900-01-01,
// 2400-01-01)" (naming INT64_MIN as the "no time" value).
absl::Status CheckTimeMicros(int64_t micros, absl::string_view what);
absl::Status CheckTime(absl::Time t, absl::string_view what);

// What to do with a time outside the window, per side.
enum class OutOfWindow : uint8_t {
  kReject = 0,  // the event is refused (InvalidArgument) and counted
  kClamp = 1,   // the event is applied at the window's edge and counted
};

struct EventTimeWindow {
  // How far in the past an event may be (events replayed after an outage
  // arrive late; beyond this they are no longer "live").
  absl::Duration max_age = absl::Hours(24 * 7);
  // How far ahead of the clock an event may be (clock skew between hosts).
  absl::Duration max_lead = absl::Minutes(5);
  OutOfWindow too_old = OutOfWindow::kReject;
  OutOfWindow too_new = OutOfWindow::kClamp;
};

// InvalidArgument naming the field when a duration is negative or infinite.
absl::Status ValidateWindow(const EventTimeWindow& window);

enum class TimeVerdict : uint8_t {
  kInWindow = 0,
  kClampedOld = 1,   // older than max_age, moved to now - max_age
  kClampedNew = 2,   // ahead by more than max_lead, moved to now
  kRejectedOld = 3,  // older than max_age, refused
  kRejectedNew = 4,  // ahead by more than max_lead, refused
  kInvalid = 5,      // not a sane time at all (INT64_MIN, year 1 or 9999): refused
};
inline constexpr int kNumTimeVerdicts = 6;
absl::string_view TimeVerdictName(TimeVerdict v);
inline bool IsRejected(TimeVerdict v) {
  return v == TimeVerdict::kRejectedOld || v == TimeVerdict::kRejectedNew ||
         v == TimeVerdict::kInvalid;
}

// Places `*t` in the window around `now`, clamping it when the window says
// so. A clamped future event lands on `now` (not now + max_lead), so a
// skewed or hostile clock cannot move time-decayed tables ahead of the
// engine's own clock.
TimeVerdict PlaceInWindow(const EventTimeWindow& window, absl::Time now, absl::Time* t);

}  // namespace aisle

#endif  // AISLE_CORE_EVENT_TIME_H_
