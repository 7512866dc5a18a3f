#include "aisle/routing/context_segmenter.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "aisle/core/external_id.h"
#include "aisle/core/status_macros.h"
#include "core/json_diagnostics.h"
#include "nlohmann/json.hpp"

#define XXH_STATIC_LINKING_ONLY  // XXH64_state_t on the stack: no allocation
#include "xxhash.h"

namespace aisle::routing {

struct ContextSegmenter::Compiled {
  struct Rule {
    std::vector<std::pair<uint32_t, std::string>> match;  // (lookup index, value)
    uint32_t segment = 0;
  };

  ContextSegmenterConfig config;
  uint64_t fingerprint = 0;
  // Every key the decision reads, and its slot in the per-request table.
  absl::flat_hash_map<std::string, uint32_t> lookup;
  std::vector<uint32_t> hashed;  // slot of each configured key, in order
  std::vector<Rule> rules;
  int32_t hour_slot = -1;  // when hour buckets are configured
  std::array<uint8_t, 24> bucket_of_hour{};
};

namespace {

constexpr char kHashKeySeparator = '\x1e';
constexpr char kHashValueSeparator = '\x1f';

absl::Status Invalid(const std::string& where, const std::string& what) {
  return absl::InvalidArgumentError(absl::StrCat("context segmenter: ", where, ": ", what));
}

absl::Status CheckId(absl::string_view id, const std::string& where) {
  return CheckExternalId(id, absl::StrCat("context segmenter: ", where));
}

// Decimal digits only, value 0..23 (leading zeros allowed); false otherwise.
bool ParseHour(absl::string_view s, int* hour) {
  if (s.empty()) return false;
  int h = 0;
  for (char ch : s) {
    if (ch < '0' || ch > '9') return false;
    h = std::min(h * 10 + (ch - '0'), 100);
  }
  if (h > 23) return false;
  *hour = h;
  return true;
}

template <typename Pair>
SegmentDecision DecideIn(const ContextSegmenter::Compiled& c, absl::Span<const Pair> context) {
  absl::string_view values[kMaxSegmentLookupKeys];
  uint64_t present = 0;
  for (const Pair& p : context) {
    const auto it = c.lookup.find(absl::string_view(p.first));
    if (it == c.lookup.end()) continue;
    const uint64_t bit = uint64_t{1} << it->second;
    if ((present & bit) != 0) continue;  // the first pair with a key wins
    present |= bit;
    values[it->second] = p.second;
  }
  if (c.hour_slot >= 0) {
    const uint64_t bit = uint64_t{1} << c.hour_slot;
    int hour = 0;
    if ((present & bit) != 0) {
      if (ParseHour(values[c.hour_slot], &hour)) {
        values[c.hour_slot] = c.config.hour_buckets[c.bucket_of_hour[hour]].name;
      } else {
        present &= ~bit;
      }
    }
  }
  for (size_t r = 0; r < c.rules.size(); ++r) {
    bool match = true;
    for (const auto& [slot, value] : c.rules[r].match) {
      if ((present & (uint64_t{1} << slot)) == 0 || values[slot] != value) {
        match = false;
        break;
      }
    }
    if (match) {
      return {c.rules[r].segment, SegmentSource::kRule, static_cast<int32_t>(r)};
    }
  }
  size_t hashed = 0;
  for (uint32_t slot : c.hashed) {
    if ((present & (uint64_t{1} << slot)) != 0) ++hashed;
  }
  if (hashed == 0 ||
      (c.config.missing == MissingKeyPolicy::kNoSegment && hashed < c.hashed.size())) {
    return {};
  }
  XXH64_state_t state;
  XXH64_reset(&state, 0);
  XXH64_update(&state, c.config.salt.data(), c.config.salt.size());
  for (size_t k = 0; k < c.hashed.size(); ++k) {
    const uint32_t slot = c.hashed[k];
    if ((present & (uint64_t{1} << slot)) == 0) continue;
    const std::string& key = c.config.keys[k];
    XXH64_update(&state, &kHashKeySeparator, 1);
    XXH64_update(&state, key.data(), key.size());
    XXH64_update(&state, &kHashValueSeparator, 1);
    XXH64_update(&state, values[slot].data(), values[slot].size());
  }
  const uint64_t h = XXH64_digest(&state);
  return {static_cast<uint32_t>(1 + h % c.config.num_segments), SegmentSource::kHash, -1};
}

// Length-prefixed fields, so that no two configs serialize alike.
void AppendField(std::string& out, absl::string_view field) {
  absl::StrAppend(&out, field.size(), ":", field, ";");
}

uint64_t Fingerprint(const ContextSegmenterConfig& c) {
  std::string s = "context-segmenter-v1;";
  AppendField(s, absl::StrCat(c.num_segments));
  AppendField(s, absl::StrCat(static_cast<int>(c.missing)));
  AppendField(s, c.salt);
  AppendField(s, absl::StrCat(c.keys.size()));
  for (const std::string& k : c.keys) AppendField(s, k);
  AppendField(s, absl::StrCat(c.rules.size()));
  for (const SegmentRule& r : c.rules) {
    AppendField(s, absl::StrCat(r.segment, "/", r.match.size()));
    for (const auto& [k, v] : r.match) {
      AppendField(s, k);
      AppendField(s, v);
    }
  }
  AppendField(s, c.hour_buckets.empty() ? "" : c.hour_key);
  // Bucket order does not change a decision; their hours do.
  std::vector<HourBucket> buckets = c.hour_buckets;
  std::sort(buckets.begin(), buckets.end(),
            [](const HourBucket& a, const HourBucket& b) { return a.first_hour < b.first_hour; });
  for (const HourBucket& b : buckets) {
    AppendField(s, b.name);
    AppendField(s, absl::StrCat(b.first_hour));
  }
  const uint64_t h = XXH64(s.data(), s.size(), 0);
  return h == 0 ? 1 : h;
}

}  // namespace

std::vector<HourBucket> DayParts() {
  return {{"night", 0}, {"morning", 6}, {"afternoon", 12}, {"evening", 18}};
}

absl::string_view SegmentSourceName(SegmentSource source) {
  switch (source) {
    case SegmentSource::kNone:
      return "none";
    case SegmentSource::kRule:
      return "rule";
    case SegmentSource::kHash:
      return "hash";
  }
  return "unknown";
}

absl::Status ValidateContextSegmenterConfig(const ContextSegmenterConfig& config) {
  if (config.num_segments < 1 || config.num_segments > kMaxContextSegments) {
    return Invalid("num_segments", absl::StrCat("must be in [1, ", kMaxContextSegments, "], got ",
                                                config.num_segments));
  }
  if (config.keys.size() > kMaxSegmentKeys) {
    return Invalid("keys", absl::StrCat("has ", config.keys.size(), " keys, at most ",
                                        kMaxSegmentKeys, " may be hashed"));
  }
  absl::flat_hash_set<std::string> referenced;
  for (size_t k = 0; k < config.keys.size(); ++k) {
    const std::string where = absl::StrCat("keys[", k, "]");
    AISLE_RETURN_IF_ERROR(CheckId(config.keys[k], where));
    if (!referenced.insert(config.keys[k]).second) {
      return Invalid(where, absl::StrCat("duplicate key '", config.keys[k], "'"));
    }
  }
  AISLE_RETURN_IF_ERROR(CheckOptionalId(config.salt, "context segmenter: salt"));

  const bool bucketed = !config.hour_buckets.empty();
  if (bucketed) {
    AISLE_RETURN_IF_ERROR(CheckId(config.hour_key, "hour_key"));
    if (config.hour_buckets.size() > 24) {
      return Invalid("hour_buckets",
                     absl::StrCat("has ", config.hour_buckets.size(), " buckets, at most 24"));
    }
    absl::flat_hash_map<std::string, size_t> names;
    absl::flat_hash_map<int, size_t> firsts;
    for (size_t b = 0; b < config.hour_buckets.size(); ++b) {
      const HourBucket& bucket = config.hour_buckets[b];
      const std::string where = absl::StrCat("hour_buckets[", b, "]");
      AISLE_RETURN_IF_ERROR(CheckId(bucket.name, where + ".name"));
      if (auto [it, fresh] = names.emplace(bucket.name, b); !fresh) {
        return Invalid(where + ".name", absl::StrCat("duplicate bucket name '", bucket.name,
                                                     "' (also hour_buckets[", it->second, "])"));
      }
      if (bucket.first_hour < 0 || bucket.first_hour > 23) {
        return Invalid(where + ".first_hour",
                       absl::StrCat("must be in [0, 23], got ", bucket.first_hour, " (bucket '",
                                    bucket.name, "')"));
      }
      if (auto [it, fresh] = firsts.emplace(bucket.first_hour, b); !fresh) {
        return Invalid(
            where + ".first_hour",
            absl::StrCat("hour ", bucket.first_hour, " starts buckets '",
                         config.hour_buckets[it->second].name, "' and '", bucket.name, "'"));
      }
    }
    referenced.insert(config.hour_key);
  }

  for (size_t r = 0; r < config.rules.size(); ++r) {
    const SegmentRule& rule = config.rules[r];
    const std::string where = absl::StrCat("rules[", r, "]");
    if (rule.match.empty()) {
      return Invalid(where + ".match", "is empty (a rule must name at least one key)");
    }
    absl::flat_hash_set<std::string> keys;
    for (const auto& [key, value] : rule.match) {
      const std::string at = absl::StrCat(where, ".match.", key);
      AISLE_RETURN_IF_ERROR(CheckId(key, where + ".match"));
      if (!keys.insert(key).second) return Invalid(at, "duplicate key");
      AISLE_RETURN_IF_ERROR(CheckId(value, at));
      if (bucketed && key == config.hour_key) {
        bool known = false;
        std::vector<std::string> names;
        for (const HourBucket& b : config.hour_buckets) {
          known = known || b.name == value;
          names.push_back(b.name);
        }
        if (!known) {
          return Invalid(
              at, absl::StrCat("'", value, "' is not an hour bucket (", absl::StrJoin(names, ", "),
                               "): with hour_buckets, rules match bucket names"));
        }
      }
      referenced.insert(key);
    }
    if (rule.segment < 1 || rule.segment > config.num_segments) {
      return Invalid(where + ".segment",
                     absl::StrCat(rule.segment, " is outside [1, ", config.num_segments, "]"));
    }
  }
  if (referenced.size() > kMaxSegmentLookupKeys) {
    return Invalid("(root)", absl::StrCat("keys, rules and hour_key name ", referenced.size(),
                                          " distinct keys, at most ", kMaxSegmentLookupKeys));
  }
  return absl::OkStatus();
}

namespace {

using nlohmann::json;

absl::Status CheckFields(const json& obj, const std::string& path,
                         std::initializer_list<const char*> allowed) {
  if (!obj.is_object()) return Invalid(path, absl::StrCat("must be an object, got ", obj.dump()));
  for (auto it = obj.begin(); it != obj.end(); ++it) {
    bool known = false;
    for (const char* a : allowed) known = known || it.key() == a;
    if (!known) {
      return Invalid(path, absl::StrCat("unknown field '", it.key(),
                                        "' (allowed: ", absl::StrJoin(allowed, ", "), ")"));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> GetString(const json& v, const std::string& path) {
  if (!v.is_string()) {
    return Invalid(
        path, absl::StrCat("must be a string, got ", v.type_name(), " ", v.dump(),
                           v.is_number() ? absl::StrCat(" (write it as \"", v.dump(), "\")") : ""));
  }
  return v.get<std::string>();
}

absl::StatusOr<int64_t> GetInt(const json& v, const std::string& path, int64_t lo, int64_t hi) {
  if (!v.is_number_integer() || (v.is_number_unsigned() && v.get<uint64_t>() > uint64_t(hi)) ||
      v.get<int64_t>() < lo || v.get<int64_t>() > hi) {
    return Invalid(path,
                   absl::StrCat("must be an integer in [", lo, ", ", hi, "], got ", v.dump()));
  }
  return v.get<int64_t>();
}

absl::Status ParseInto(const json& root, ContextSegmenterConfig& c) {
  AISLE_RETURN_IF_ERROR(CheckFields(
      root, "(root)",
      {"num_segments", "keys", "rules", "missing", "salt", "hour_key", "hour_buckets"}));
  if (auto it = root.find("num_segments"); it != root.end()) {
    AISLE_ASSIGN_OR_RETURN(const int64_t n, GetInt(*it, "num_segments", 1, kMaxContextSegments));
    c.num_segments = static_cast<uint32_t>(n);
  }
  if (auto it = root.find("keys"); it != root.end()) {
    if (!it->is_array()) return Invalid("keys", absl::StrCat("must be an array, got ", it->dump()));
    c.keys.clear();
    for (size_t k = 0; k < it->size(); ++k) {
      AISLE_ASSIGN_OR_RETURN(std::string key, GetString((*it)[k], absl::StrCat("keys[", k, "]")));
      c.keys.push_back(std::move(key));
    }
  }
  if (auto it = root.find("missing"); it != root.end()) {
    AISLE_ASSIGN_OR_RETURN(const std::string m, GetString(*it, "missing"));
    if (m == "hash_present") {
      c.missing = MissingKeyPolicy::kHashPresent;
    } else if (m == "no_segment") {
      c.missing = MissingKeyPolicy::kNoSegment;
    } else {
      return Invalid("missing", absl::StrCat("unknown policy '", m,
                                             "' (expected hash_present or no_segment)"));
    }
  }
  if (auto it = root.find("salt"); it != root.end()) {
    AISLE_ASSIGN_OR_RETURN(c.salt, GetString(*it, "salt"));
  }
  if (auto it = root.find("hour_key"); it != root.end()) {
    AISLE_ASSIGN_OR_RETURN(c.hour_key, GetString(*it, "hour_key"));
  }
  if (auto it = root.find("hour_buckets"); it != root.end()) {
    c.hour_buckets.clear();
    if (it->is_string() && it->get<std::string>() == "day_parts") {
      c.hour_buckets = DayParts();
    } else if (it->is_object()) {
      for (auto b = it->begin(); b != it->end(); ++b) {
        AISLE_ASSIGN_OR_RETURN(const int64_t first, GetInt(*b, "hour_buckets." + b.key(), 0, 23));
        c.hour_buckets.push_back({b.key(), static_cast<int>(first)});
      }
    } else {
      return Invalid(
          "hour_buckets",
          absl::StrCat("must be \"day_parts\" or an object {name: first hour}, got ", it->dump()));
    }
  }
  if (auto it = root.find("rules"); it != root.end()) {
    if (!it->is_array()) {
      return Invalid("rules", absl::StrCat("must be an array, got ", it->dump()));
    }
    for (size_t r = 0; r < it->size(); ++r) {
      const json& j = (*it)[r];
      const std::string where = absl::StrCat("rules[", r, "]");
      AISLE_RETURN_IF_ERROR(CheckFields(j, where, {"match", "segment"}));
      SegmentRule rule;
      const auto match = j.find("match");
      if (match == j.end()) return Invalid(where, "missing field 'match'");
      if (!match->is_object()) {
        return Invalid(where + ".match", absl::StrCat("must be an object, got ", match->dump()));
      }
      for (auto m = match->begin(); m != match->end(); ++m) {
        AISLE_ASSIGN_OR_RETURN(std::string value,
                               GetString(*m, absl::StrCat(where, ".match.", m.key())));
        rule.match.emplace_back(m.key(), std::move(value));
      }
      const auto segment = j.find("segment");
      if (segment == j.end()) return Invalid(where, "missing field 'segment'");
      AISLE_ASSIGN_OR_RETURN(const int64_t s,
                             GetInt(*segment, where + ".segment", 1, kMaxContextSegments));
      rule.segment = static_cast<uint32_t>(s);
      c.rules.push_back(std::move(rule));
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<ContextSegmenterConfig> ParseContextSegmenterConfig(absl::string_view json_text) {
  ContextSegmenterConfig config;
  try {
    const json root = json::parse(json_text.begin(), json_text.end(), nullptr,
                                  /*allow_exceptions=*/false);
    if (root.is_discarded()) {
      return absl::InvalidArgumentError(
          ::aisle::internal::DescribeJsonParseError(json_text, "context segmenter: JSON"));
    }
    AISLE_RETURN_IF_ERROR(ParseInto(root, config));
  } catch (const std::bad_alloc&) {
    return absl::ResourceExhaustedError("context segmenter: out of memory while parsing");
  } catch (const std::exception& e) {
    return absl::InvalidArgumentError(absl::StrCat("context segmenter: ", e.what()));
  }
  AISLE_RETURN_IF_ERROR(ValidateContextSegmenterConfig(config));
  return config;
}

ContextSegmenter::ContextSegmenter() : ContextSegmenter(*Create(ContextSegmenterConfig{})) {}

absl::StatusOr<ContextSegmenter> ContextSegmenter::Create(const ContextSegmenterConfig& config) {
  AISLE_RETURN_IF_ERROR(ValidateContextSegmenterConfig(config));
  auto c = std::make_shared<Compiled>();
  c->config = config;
  c->fingerprint = Fingerprint(config);
  auto slot = [&](const std::string& key) {
    return c->lookup.try_emplace(key, static_cast<uint32_t>(c->lookup.size())).first->second;
  };
  for (const std::string& key : config.keys) c->hashed.push_back(slot(key));
  for (const SegmentRule& rule : config.rules) {
    Compiled::Rule compiled;
    compiled.segment = rule.segment;
    for (const auto& [key, value] : rule.match) compiled.match.emplace_back(slot(key), value);
    c->rules.push_back(std::move(compiled));
  }
  if (!config.hour_buckets.empty()) {
    c->hour_slot = static_cast<int32_t>(slot(config.hour_key));
    // Each hour belongs to the bucket with the latest first_hour <= hour, or
    // to the bucket with the latest first_hour overall (wrapping).
    for (int h = 0; h < 24; ++h) {
      int best = -1, latest = -1;
      for (size_t b = 0; b < config.hour_buckets.size(); ++b) {
        const int first = config.hour_buckets[b].first_hour;
        if (first <= h && (best < 0 || first > config.hour_buckets[best].first_hour)) {
          best = static_cast<int>(b);
        }
        if (latest < 0 || first > config.hour_buckets[latest].first_hour) {
          latest = static_cast<int>(b);
        }
      }
      c->bucket_of_hour[h] = static_cast<uint8_t>(best >= 0 ? best : latest);
    }
  }
  return ContextSegmenter(std::move(c));
}

absl::StatusOr<ContextSegmenter> ContextSegmenter::FromJson(absl::string_view json_text) {
  AISLE_ASSIGN_OR_RETURN(const ContextSegmenterConfig config,
                         ParseContextSegmenterConfig(json_text));
  return Create(config);
}

SegmentDecision ContextSegmenter::Decide(Context context) const {
  return DecideIn(*compiled_, context);
}

SegmentDecision ContextSegmenter::Decide(ContextView context) const {
  return DecideIn(*compiled_, context);
}

uint32_t ContextSegmenter::num_segments() const { return compiled_->config.num_segments; }
uint64_t ContextSegmenter::fingerprint() const { return compiled_->fingerprint; }
const ContextSegmenterConfig& ContextSegmenter::config() const { return compiled_->config; }

}  // namespace aisle::routing
