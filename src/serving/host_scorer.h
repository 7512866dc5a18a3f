// Private to the serving engine: a host scorer (Engine::RegisterScorer)
// wrapped as a ranker behind its circuit breaker, and the one place that
// says whether a ranker's answer is usable (every score finite).
#ifndef AISLE_SRC_SERVING_HOST_SCORER_H_
#define AISLE_SRC_SERVING_HOST_SCORER_H_

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "aisle/core/clock.h"
#include "aisle/core/deadline.h"
#include "aisle/core/matrix.h"
#include "aisle/ranking/ranker.h"
#include "aisle/serving/circuit_breaker.h"
#include "aisle/serving/engine.h"

namespace aisle::serving::internal {

// The payload that marks a ranker's answer as holding NaN or infinity, so
// that a host scorer (which also tells its breaker) and the engine's own
// check map to one fallback reason (kNonFiniteScore).
inline constexpr absl::string_view kNonFinitePayload = "aisle.non_finite_score";

// OK, or an error (with kNonFinitePayload holding the row) naming the
// ranker, the first non-finite score and its row.
absl::Status CheckScoresFinite(absl::string_view ranker, absl::Span<const float> scores);

// The row a kNonFinitePayload error names, or -1.
int64_t NonFiniteRow(const absl::Status& status);

// A host scorer behind a circuit breaker. Thread-safe.
class HostScorerRanker final : public ranking::Ranker {
 public:
  HostScorerRanker(std::string name, HostScorer fn, std::shared_ptr<CircuitBreaker> breaker,
                   const Clock& clock);
  absl::string_view version() const override { return version_; }
  // Host scorers take any width: the engine passes the schema's matrix.
  size_t num_features() const override { return 0; }
  absl::Status Score(MatrixView f, absl::Span<float> s) const override {
    return Score(f, s, Deadline());
  }
  absl::Status Score(MatrixView f, absl::Span<float> s, const Deadline& d) const override;
  const CircuitBreaker* breaker() const { return breaker_.get(); }

 private:
  std::string version_;
  HostScorer fn_;
  std::shared_ptr<CircuitBreaker> breaker_;
  const Clock& clock_;
};

}  // namespace aisle::serving::internal

#endif  // AISLE_SRC_SERVING_HOST_SCORER_H_
