#include "serving/host_scorer.h"

#include <cmath>
#include <exception>
#include <optional>
#include <string>
#include <utility>

#include "absl/strings/cord.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace aisle::serving::internal {

absl::Status CheckScoresFinite(absl::string_view ranker, absl::Span<const float> scores) {
  for (size_t r = 0; r < scores.size(); ++r) {
    if (!std::isfinite(scores[r])) {
      absl::Status st = absl::InternalError(absl::StrCat(
          "ranker '", ranker, "' returned ", scores[r], " for row ", r, " of ", scores.size()));
      st.SetPayload(kNonFinitePayload, absl::Cord(absl::StrCat(r)));
      return st;
    }
  }
  return absl::OkStatus();
}

int64_t NonFiniteRow(const absl::Status& status) {
  auto row = status.GetPayload(kNonFinitePayload);
  if (!row.has_value()) return -1;
  int64_t r = -1;
  return absl::SimpleAtoi(std::string(*row), &r) ? r : -1;
}

HostScorerRanker::HostScorerRanker(std::string name, HostScorer fn,
                                   std::shared_ptr<CircuitBreaker> breaker, const Clock& clock)
    : version_(absl::StrCat("host:", name)),
      fn_(std::move(fn)),
      breaker_(std::move(breaker)),
      clock_(clock) {}

absl::Status HostScorerRanker::Score(MatrixView f, absl::Span<float> s, const Deadline& d) const {
  CircuitBreaker::Ticket ticket = breaker_->Allow();
  if (!ticket) return absl::UnavailableError(absl::StrCat(version_, ": circuit breaker open"));
  const int64_t start = clock_.MonotonicNanos();
  absl::Status st;
  try {
    st = fn_(f, s, d);
  } catch (const std::exception& e) {
    st = absl::InternalError(absl::StrCat(version_, " threw: ", e.what()));
  } catch (...) {
    st = absl::InternalError(absl::StrCat(version_, " threw"));
  }
  const absl::Duration latency = absl::Nanoseconds(clock_.MonotonicNanos() - start);
  // An answer with NaN or infinity is a failure of the dependency.
  if (st.ok()) st = CheckScoresFinite(version_, s);
  breaker_->Record(ticket, st.ok(), latency);
  // Unavailable is reserved for "breaker open"; a failing host is an error.
  if (absl::IsUnavailable(st)) {
    st = absl::InternalError(absl::StrCat(version_, " failed: ", st.message()));
  }
  if (st.ok() && d.Expired()) {
    return absl::DeadlineExceededError(absl::StrCat(version_, ": answered after the deadline"));
  }
  return st;
}

}  // namespace aisle::serving::internal
