#include "aisle/core/event_time.h"

#include <cstdint>
#include <limits>
#include <string>

#include "absl/strings/str_cat.h"

namespace aisle {

bool IsSaneTime(absl::Time t) {
  if (t == absl::InfinitePast() || t == absl::InfiniteFuture()) return false;
  return t >= absl::FromUnixMicros(kMinEventMicros) && t < absl::FromUnixMicros(kMaxEventMicros);
}

std::string FormatTimeMicros(int64_t micros) {
  if (micros == std::numeric_limits<int64_t>::min()) return "INT64_MIN (no time)";
  if (!IsSaneTimeMicros(micros)) return absl::StrCat(micros);
  return absl::StrCat(
      micros, " (",
      absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", absl::FromUnixMicros(micros), absl::UTCTimeZone()),
      ")");
}

absl::Status CheckTimeMicros(int64_t micros, absl::string_view what) {
  if (IsSaneTimeMicros(micros)) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat(what, ": time ", FormatTimeMicros(micros),
                   " is outside [1900-01-01, 2400-01-01) in unix microseconds"));
}

absl::Status CheckTime(absl::Time t, absl::string_view what) {
  if (IsSaneTime(t)) return absl::OkStatus();
  if (t == absl::InfinitePast() || t == absl::InfiniteFuture()) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, ": time is ", absl::FormatTime(t), ", not a point in time"));
  }
  // absl::Time spans far more than int64 microseconds: saturate for the message.
  return CheckTimeMicros(absl::ToUnixMicros(t), what);
}

absl::Status ValidateWindow(const EventTimeWindow& w) {
  const std::pair<const char*, absl::Duration> fields[] = {{"max_age", w.max_age},
                                                           {"max_lead", w.max_lead}};
  for (const auto& [name, d] : fields) {
    if (d < absl::ZeroDuration() || d == absl::InfiniteDuration()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "EventTimeWindow.", name, " must be finite and >= 0, got ", absl::FormatDuration(d)));
    }
  }
  for (OutOfWindow o : {w.too_old, w.too_new}) {
    if (o != OutOfWindow::kReject && o != OutOfWindow::kClamp) {
      return absl::InvalidArgumentError(absl::StrCat("EventTimeWindow: action ",
                                                     int{static_cast<uint8_t>(o)},
                                                     " is neither reject (0) nor clamp (1)"));
    }
  }
  return absl::OkStatus();
}

absl::string_view TimeVerdictName(TimeVerdict v) {
  switch (v) {
    case TimeVerdict::kInWindow:
      return "in_window";
    case TimeVerdict::kClampedOld:
      return "clamped_old";
    case TimeVerdict::kClampedNew:
      return "clamped_new";
    case TimeVerdict::kRejectedOld:
      return "rejected_old";
    case TimeVerdict::kRejectedNew:
      return "rejected_new";
    case TimeVerdict::kInvalid:
      return "invalid";
  }
  return "unknown";
}

TimeVerdict PlaceInWindow(const EventTimeWindow& w, absl::Time now, absl::Time* t) {
  if (!IsSaneTime(*t)) return TimeVerdict::kInvalid;
  if (*t < now - w.max_age) {
    if (w.too_old == OutOfWindow::kReject) return TimeVerdict::kRejectedOld;
    *t = now - w.max_age;
    return TimeVerdict::kClampedOld;
  }
  if (*t > now + w.max_lead) {
    if (w.too_new == OutOfWindow::kReject) return TimeVerdict::kRejectedNew;
    *t = now;
    return TimeVerdict::kClampedNew;
  }
  return TimeVerdict::kInWindow;
}

}  // namespace aisle
