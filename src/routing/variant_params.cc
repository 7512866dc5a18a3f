#include "aisle/routing/variant_params.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "aisle/core/external_id.h"

namespace aisle::routing {
namespace {

constexpr absl::string_view kSourcePrefix = "source.";
constexpr absl::string_view kQuotaSuffix = ".quota";
constexpr absl::string_view kEfSuffix = ".ef";
constexpr size_t kMaxShadowRankers = 8;

absl::Status Bad(absl::string_view key, absl::string_view value, absl::string_view what) {
  return absl::InvalidArgumentError(
      absl::StrCat("parameter '", PrintableId(key), "' value '", PrintableId(value), "': ", what));
}

// A plain decimal number: digits, one optional leading '-', '.', an exponent.
// No spaces, '+', hex, "inf" or "nan" (absl's parsers accept some of those).
bool ParseDecimal(absl::string_view s, double* out) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c)) && c != '.' && c != '-' && c != 'e' &&
        c != 'E' && c != '+') {
      return false;
    }
  }
  if (s.front() == '+') return false;
  return absl::SimpleAtod(s, out) && std::isfinite(*out);
}

bool ParseInteger(absl::string_view s, int64_t* out) {
  if (s.empty()) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    const bool sign = i == 0 && s[i] == '-' && s.size() > 1;
    if (!sign && !absl::ascii_isdigit(static_cast<unsigned char>(s[i]))) return false;
  }
  return absl::SimpleAtoi(s, out);
}

absl::Status ParseBoundedInt(absl::string_view key, absl::string_view value, int64_t min,
                             int64_t max, uint32_t* out) {
  int64_t v = 0;
  if (!ParseInteger(value, &v) || v < min || v > max) {
    return Bad(key, value, absl::StrCat("must be an integer in [", min, ", ", max, "]"));
  }
  *out = static_cast<uint32_t>(v);
  return absl::OkStatus();
}

absl::Status ParseShare(absl::string_view key, absl::string_view value, float* out) {
  double v = 0.0;
  if (!ParseDecimal(value, &v) || v < 0.0 || v > 1.0) {
    return Bad(key, value, "must be a number in [0, 1]");
  }
  *out = static_cast<float>(v);
  return absl::OkStatus();
}

absl::Status ParseName(absl::string_view key, absl::string_view value, std::string* out) {
  if (absl::Status s = CheckExternalId(value, "name"); !s.ok()) {
    return Bad(key, value, absl::StrCat("not a valid name (", s.message(), ")"));
  }
  *out = std::string(value);
  return absl::OkStatus();
}

SourceOverride& SourceFor(std::vector<SourceOverride>& sources, absl::string_view name) {
  for (SourceOverride& s : sources) {
    if (s.source == name) return s;
  }
  SourceOverride& s = sources.emplace_back();
  s.source = std::string(name);
  return s;
}

absl::Status ApplyParam(absl::string_view key, absl::string_view value, VariantParams* p) {
  if (absl::StartsWith(key, kCustomParamPrefix)) {
    if (key.size() == kCustomParamPrefix.size()) {
      return Bad(key, value, "a custom parameter needs a name after 'custom.'");
    }
    return absl::OkStatus();
  }
  if (key == "ranker") {
    p->ranker.emplace();
    return ParseName(key, value, &*p->ranker);
  }
  if (key == "pipeline") {
    p->pipeline.emplace();
    return ParseName(key, value, &*p->pipeline);
  }
  if (key == "mmr.lambda") {
    p->mmr_lambda.emplace();
    return ParseShare(key, value, &*p->mmr_lambda);
  }
  if (key == "exploration") {
    if (value != "on" && value != "off") return Bad(key, value, "must be \"on\" or \"off\"");
    if (!p->exploration.has_value()) p->exploration.emplace();
    p->exploration->enabled = value == "on";
    return absl::OkStatus();
  }
  if (key == "exploration.share") {
    float share = 0.0f;
    if (absl::Status s = ParseShare(key, value, &share); !s.ok()) return s;
    if (!p->exploration.has_value()) p->exploration.emplace();
    p->exploration->share = share;
    return absl::OkStatus();
  }
  if (key == "budget_ms") {
    double ms = 0.0;
    if (!ParseDecimal(value, &ms) || !(ms > 0.0) || ms > kMaxVariantBudgetMs) {
      return Bad(
          key, value,
          absl::StrCat("must be a number of milliseconds in (0, ", kMaxVariantBudgetMs, "]"));
    }
    p->budget = absl::Microseconds(std::llround(ms * 1000.0));
    if (*p->budget <= absl::ZeroDuration()) p->budget = absl::Microseconds(1);
    return absl::OkStatus();
  }
  if (key == "shadow") {
    absl::flat_hash_set<std::string> seen;
    for (absl::string_view part : absl::StrSplit(value, ',')) {
      const absl::string_view name = absl::StripAsciiWhitespace(part);
      if (name.empty()) return Bad(key, value, "empty ranker name in the comma-separated list");
      if (absl::Status s = CheckExternalId(name, "name"); !s.ok()) {
        return Bad(key, value, absl::StrCat("not a valid ranker name (", s.message(), ")"));
      }
      if (!seen.insert(std::string(name)).second) {
        return Bad(key, value, absl::StrCat("ranker '", PrintableId(name), "' is listed twice"));
      }
      p->shadow_rankers.emplace_back(name);
    }
    if (p->shadow_rankers.size() > kMaxShadowRankers) {
      return Bad(key, value,
                 absl::StrCat("at most ", kMaxShadowRankers, " shadow rankers, got ",
                              p->shadow_rankers.size()));
    }
    return absl::OkStatus();
  }
  if (absl::StartsWith(key, kSourcePrefix)) {
    const bool quota = absl::EndsWith(key, kQuotaSuffix);
    const bool ef = !quota && absl::EndsWith(key, kEfSuffix);
    const size_t suffix = quota ? kQuotaSuffix.size() : ef ? kEfSuffix.size() : 0;
    if (suffix == 0 || key.size() <= kSourcePrefix.size() + suffix) {
      return Bad(key, value,
                 "unknown source parameter (expected source.<name>.quota or source.<name>.ef)");
    }
    const absl::string_view name =
        key.substr(kSourcePrefix.size(), key.size() - kSourcePrefix.size() - suffix);
    if (absl::Status s = CheckExternalId(name, "name"); !s.ok()) {
      return Bad(key, value, absl::StrCat("not a valid source name (", s.message(), ")"));
    }
    SourceOverride& src = SourceFor(p->sources, name);
    uint32_t v = 0;
    if (quota) {
      if (absl::Status s = ParseBoundedInt(key, value, 0, kMaxVariantQuota, &v); !s.ok()) return s;
      src.quota = v;
    } else {
      if (absl::Status s = ParseBoundedInt(key, value, 1, kMaxVariantEf, &v); !s.ok()) return s;
      src.ef = v;
    }
    return absl::OkStatus();
  }
  return Bad(key, value,
             "unknown parameter (known: ranker, pipeline, source.<name>.quota, "
             "source.<name>.ef, mmr.lambda, exploration, exploration.share, budget_ms, shadow, "
             "custom.<name>)");
}

}  // namespace

bool VariantParams::empty() const {
  return !ranker.has_value() && !pipeline.has_value() && sources.empty() &&
         !mmr_lambda.has_value() && !exploration.has_value() && !budget.has_value() &&
         shadow_rankers.empty();
}

const SourceOverride* VariantParams::FindSource(absl::string_view source) const {
  for (const SourceOverride& s : sources) {
    if (s.source == source) return &s;
  }
  return nullptr;
}

const VariantParams& VariantParams::Empty() {
  static const VariantParams* const kEmpty = new VariantParams();
  return *kEmpty;
}

absl::StatusOr<VariantParams> ParseVariantParams(
    absl::Span<const std::pair<std::string, std::string>> params) {
  VariantParams p;
  absl::flat_hash_set<absl::string_view> keys;
  absl::string_view share_text, shadow_text;
  for (const auto& [key, value] : params) {
    if (!keys.insert(key).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("parameter '", PrintableId(key), "' is given twice"));
    }
    if (absl::Status s = ApplyParam(key, value, &p); !s.ok()) return s;
    if (key == "exploration.share") share_text = value;
    if (key == "shadow") shadow_text = value;
  }
  if (p.exploration.has_value() && !p.exploration->enabled && p.exploration->share.has_value()) {
    return absl::InvalidArgumentError(
        absl::StrCat("parameter 'exploration' value 'off' contradicts parameter "
                     "'exploration.share' value '",
                     PrintableId(share_text), "' (give one of them)"));
  }
  if (p.ranker.has_value()) {
    for (const std::string& shadow : p.shadow_rankers) {
      if (shadow == *p.ranker) {
        return Bad("shadow", shadow_text,
                   absl::StrCat("ranker '", PrintableId(shadow),
                                "' is already the variant's parameter 'ranker'"));
      }
    }
  }
  std::sort(p.sources.begin(), p.sources.end(),
            [](const SourceOverride& a, const SourceOverride& b) { return a.source < b.source; });
  return p;
}

absl::string_view ParamGroup(absl::string_view key) {
  if (absl::StartsWith(key, kSourcePrefix)) {
    for (absl::string_view suffix : {kQuotaSuffix, kEfSuffix}) {
      if (absl::EndsWith(key, suffix) && key.size() > kSourcePrefix.size() + suffix.size()) {
        return key.substr(0, key.size() - suffix.size());
      }
    }
    return key;
  }
  if (key == "exploration.share") return key.substr(0, key.find('.'));
  return key;
}

}  // namespace aisle::routing
