#include "aisle/serving/fallback.h"

#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace aisle {
namespace serving {
namespace {

constexpr absl::string_view kLevelNames[kNumFallbackLevels] = {
    "personalized", "segment", "category_popular", "global_popular", "campaign", "lexical"};
constexpr absl::string_view kReasonNames[kNumFallbackReasons] = {
    "none",         "deadline", "breaker_open", "empty_stage",     "stale_features",
    "switched_off", "overload", "error",        "non_finite_score"};

}  // namespace

absl::string_view FallbackLevelName(FallbackLevel level) {
  const int i = static_cast<int>(level);
  return i < kNumFallbackLevels ? kLevelNames[i] : absl::string_view("unknown");
}

absl::string_view FallbackReasonName(FallbackReason reason) {
  const int i = static_cast<int>(reason);
  return i < kNumFallbackReasons ? kReasonNames[i] : absl::string_view("unknown");
}

absl::StatusOr<FallbackLevel> ParseFallbackLevel(absl::string_view name) {
  for (int i = 0; i < kNumFallbackLevels; ++i) {
    if (kLevelNames[i] == name) return static_cast<FallbackLevel>(i);
  }
  return absl::InvalidArgumentError(
      absl::StrCat("unknown fallback level \"", std::string(name), "\"; expected one of ",
                   absl::StrJoin(kLevelNames, kLevelNames + kNumFallbackLevels, ", ")));
}

absl::StatusOr<FallbackReason> ParseFallbackReason(absl::string_view name) {
  for (int i = 0; i < kNumFallbackReasons; ++i) {
    if (kReasonNames[i] == name) return static_cast<FallbackReason>(i);
  }
  return absl::InvalidArgumentError(
      absl::StrCat("unknown fallback reason \"", std::string(name), "\"; expected one of ",
                   absl::StrJoin(kReasonNames, kReasonNames + kNumFallbackReasons, ", ")));
}

absl::StatusOr<FallbackLadder> FallbackLadder::Create(std::string surface, SurfaceKind kind,
                                                      std::vector<FallbackLevel> levels) {
  if (surface.empty()) return absl::InvalidArgumentError("fallback ladder: empty surface name");
  if (levels.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("fallback ladder for surface \"", surface, "\" has no levels"));
  }
  FallbackLadder ladder;
  for (size_t i = 0; i < levels.size(); ++i) {
    const int l = static_cast<int>(levels[i]);
    if (l < 0 || l >= kNumFallbackLevels) {
      return absl::InvalidArgumentError(absl::StrCat("fallback ladder for surface \"", surface,
                                                     "\": level ", l, " at position ", i,
                                                     " is out of range"));
    }
    if (ladder.index_[l] >= 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("fallback ladder for surface \"", surface, "\": level \"", kLevelNames[l],
                       "\" appears twice (positions ", ladder.index_[l], " and ", i, ")"));
    }
    ladder.index_[l] = static_cast<int8_t>(i);
  }
  const int lexical = static_cast<int>(FallbackLevel::kLexical);
  if (kind == SurfaceKind::kSearchRerank && levels.back() != FallbackLevel::kLexical) {
    return absl::InvalidArgumentError(absl::StrCat(
        "fallback ladder for search surface \"", surface, "\" must end in \"lexical\", not \"",
        kLevelNames[static_cast<int>(levels.back())], "\""));
  }
  if (kind == SurfaceKind::kRecommendation && ladder.index_[lexical] >= 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("fallback ladder for recommendation surface \"", surface,
                     "\" contains \"lexical\", which only search surfaces have"));
  }
  ladder.surface_ = std::move(surface);
  ladder.kind_ = kind;
  ladder.levels_ = std::move(levels);
  return ladder;
}

absl::StatusOr<FallbackLadder> FallbackLadder::FromNames(std::string surface, SurfaceKind kind,
                                                         absl::Span<const std::string> names) {
  std::vector<FallbackLevel> levels;
  levels.reserve(names.size());
  for (const std::string& n : names) {
    absl::StatusOr<FallbackLevel> level = ParseFallbackLevel(n);
    if (!level.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("fallback ladder for surface \"", surface,
                                                     "\": ", level.status().message()));
    }
    levels.push_back(*level);
  }
  return Create(std::move(surface), kind, std::move(levels));
}

FallbackLadder FallbackLadder::DefaultRecommendation(std::string surface) {
  return *Create(
      std::move(surface), SurfaceKind::kRecommendation,
      {FallbackLevel::kPersonalized, FallbackLevel::kSegment, FallbackLevel::kCategoryPopular,
       FallbackLevel::kGlobalPopular, FallbackLevel::kCampaign});
}

FallbackLadder FallbackLadder::DefaultSearch(std::string surface) {
  return *Create(std::move(surface), SurfaceKind::kSearchRerank,
                 {FallbackLevel::kPersonalized, FallbackLevel::kLexical});
}

std::string FallbackLadder::DebugString() const {
  return absl::StrJoin(levels_, " > ", [](std::string* out, FallbackLevel l) {
    absl::StrAppend(out, FallbackLevelName(l));
  });
}

void FallbackCursor::Note(FallbackReason why) {
  if (reason_ == FallbackReason::kNone) reason_ = why;
  last_reason_ = why;
}

bool FallbackCursor::StepDown(FallbackReason why) {
  if (AtLast()) return false;
  ++pos_;
  Note(why);
  return true;
}

bool FallbackCursor::SkipTo(FallbackLevel target, FallbackReason why) {
  const int idx = ladder_->IndexOf(target);
  if (idx <= pos_) return false;
  pos_ = idx;
  Note(why);
  return true;
}

}  // namespace serving
}  // namespace aisle
