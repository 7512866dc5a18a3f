// File: aisle/serving/fallback.h
//
// The fallback vocabulary: which level of a surface's ladder served a
// response (FallbackLevel) and why it is not the first one (FallbackReason),
// with stable snake_case names that go into responses, logs and metrics;
// FallbackLadder, the validated ordered list of levels for one surface; and
// FallbackCursor, which walks a ladder during one request and remembers why
// it stepped down.
//
//   AISLE_ASSIGN_OR_RETURN(auto ladder, aisle::serving::FallbackLadder::Create(
//       "home", aisle::serving::SurfaceKind::kRecommendation,
//       {FallbackLevel::kPersonalized, FallbackLevel::kGlobalPopular, FallbackLevel::kCampaign}));
//   aisle::serving::FallbackCursor cursor(ladder);
//   if (deadline.Expired()) cursor.StepDown(FallbackReason::kDeadline);
//   ...  // serve cursor.level(); report FallbackLevelName(cursor.level()) and
//        // FallbackReasonName(cursor.reason()).
//
// The names are part of the contract: they never change once released; new
// enumerators are appended.
#ifndef AISLE_SERVING_FALLBACK_H_
#define AISLE_SERVING_FALLBACK_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"

namespace aisle {
namespace serving {

// A rung of a fallback ladder, best first. kLexical is the search-rerank
// floor: the caller's own lexical order, untouched.
enum class FallbackLevel : uint8_t {
  kPersonalized = 0,
  kSegment = 1,
  kCategoryPopular = 2,
  kGlobalPopular = 3,
  kCampaign = 4,
  kLexical = 5,
};
inline constexpr int kNumFallbackLevels = 6;

// Why a response is served below the first level of its ladder.
enum class FallbackReason : uint8_t {
  kNone = 0,            // served by the first level
  kDeadline = 1,        // the stage would not fit in what was left of the deadline
  kBreakerOpen = 2,     // a dependency's circuit breaker was open
  kEmptyStage = 3,      // the level produced no items
  kStaleFeatures = 4,   // the features the level needs were too old
  kSwitchedOff = 5,     // a runtime switch turned the level off
  kOverload = 6,        // the overload controller shed the level
  kError = 7,           // the level failed with an error
  kNonFiniteScore = 8,  // the ranker answered NaN or infinity for some item
};
inline constexpr int kNumFallbackReasons = 9;

// Stable names: "personalized", "segment", "category_popular",
// "global_popular", "campaign", "lexical". Out-of-range values give "unknown".
absl::string_view FallbackLevelName(FallbackLevel level);
// Stable names: "none", "deadline", "breaker_open", "empty_stage",
// "stale_features", "switched_off", "overload", "error", "non_finite_score".
absl::string_view FallbackReasonName(FallbackReason reason);

// Inverse of the name functions. InvalidArgument naming the unknown string.
absl::StatusOr<FallbackLevel> ParseFallbackLevel(absl::string_view name);
absl::StatusOr<FallbackReason> ParseFallbackReason(absl::string_view name);

// What a surface serves: recommendations (home, PDP, cart) or a search
// rerank, which must always be able to fall back to the lexical order.
enum class SurfaceKind : uint8_t { kRecommendation = 0, kSearchRerank = 1 };

// The ordered fallback levels of one surface. Valid ladders are non-empty,
// have no duplicate level, end in kLexical on a search surface and do not
// contain kLexical on a recommendation surface (there is no lexical order to
// fall back to). An immutable value: thread-safe.
class FallbackLadder {
 public:
  // InvalidArgument naming the surface and the offending level on failure.
  static absl::StatusOr<FallbackLadder> Create(std::string surface, SurfaceKind kind,
                                               std::vector<FallbackLevel> levels);
  // Parses level names, e.g. {"personalized", "global_popular", "campaign"}.
  static absl::StatusOr<FallbackLadder> FromNames(std::string surface, SurfaceKind kind,
                                                  absl::Span<const std::string> names);
  // personalized -> segment -> category_popular -> global_popular -> campaign.
  static FallbackLadder DefaultRecommendation(std::string surface);
  // personalized -> lexical.
  static FallbackLadder DefaultSearch(std::string surface);

  const std::string& surface() const { return surface_; }
  SurfaceKind kind() const { return kind_; }
  absl::Span<const FallbackLevel> levels() const { return levels_; }
  size_t size() const { return levels_.size(); }
  FallbackLevel first() const { return levels_.front(); }
  FallbackLevel last() const { return levels_.back(); }
  // Position of `level` in the ladder, or -1 when the ladder lacks it.
  int IndexOf(FallbackLevel level) const { return index_[static_cast<int>(level)]; }
  bool Contains(FallbackLevel level) const { return IndexOf(level) >= 0; }
  // "personalized > segment > ..." for logs and error messages.
  std::string DebugString() const;

 private:
  FallbackLadder() = default;
  std::string surface_;
  SurfaceKind kind_ = SurfaceKind::kRecommendation;
  std::vector<FallbackLevel> levels_;
  int8_t index_[kNumFallbackLevels] = {-1, -1, -1, -1, -1, -1};
};

// Walks one ladder during one request. Starts at the ladder's first level
// with reason kNone. reason() is the first cause of degradation (the root
// cause: a deadline miss that led to an empty segment level still reports
// "deadline"); last_reason() is the most recent one. Allocation-free.
// Thread-compatible; the ladder must outlive the cursor.
class FallbackCursor {
 public:
  explicit FallbackCursor(const FallbackLadder& ladder) : ladder_(&ladder) {}

  FallbackLevel level() const { return ladder_->levels()[pos_]; }
  FallbackReason reason() const { return reason_; }
  FallbackReason last_reason() const { return last_reason_; }
  // Number of levels stepped down so far.
  int depth() const { return pos_; }
  bool AtLast() const { return static_cast<size_t>(pos_) + 1 == ladder_->size(); }

  // Moves to the next level because of `why`. Returns false, staying on the
  // last level, when there is none.
  bool StepDown(FallbackReason why);
  // Moves down to `target` (e.g. a switched-off personalization goes straight
  // to the segment level). Returns false and does not move when `target` is
  // not in the ladder or is not below the current level.
  bool SkipTo(FallbackLevel target, FallbackReason why);

 private:
  void Note(FallbackReason why);
  const FallbackLadder* ladder_;
  int pos_ = 0;
  FallbackReason reason_ = FallbackReason::kNone;
  FallbackReason last_reason_ = FallbackReason::kNone;
};

}  // namespace serving
}  // namespace aisle

#endif  // AISLE_SERVING_FALLBACK_H_
