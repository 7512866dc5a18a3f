// File: aisle/routing/context_segmenter.h
//
// ContextSegmenter: the segment of a visitor with no history. It maps a
// request's context (string key/values such as geo, device, referrer,
// campaign, hour) to a popularity segment in 1..num_segments (0 = no
// segment), so the anonymous tier can serve "popular in this segment"
// (PopularityIndex keeps one top list per segment).
//
//   AISLE_ASSIGN_OR_RETURN(aisle::routing::ContextSegmenter segmenter,
//                          aisle::routing::ContextSegmenter::FromJson(R"({
//     "num_segments": 16, "keys": ["geo", "device"],
//     "rules": [{"match": {"geo": "DE", "device": "mobile"}, "segment": 3}]})"));
//   aisle::routing::SegmentDecision d = segmenter.Decide(request.context);
//   // d.segment in 0..16; d.source says "rule", "hash" or "none"
//
// The decision, for one context (config format in docs/routing.md):
//
//   1. The context's values are read once: the first pair with a key wins;
//      the hour key's value ("0".."23", leading zeros allowed), when hour
//      buckets are configured, becomes its bucket's name ("morning"), and
//      an hour that is not an integer in 0..23 counts as missing.
//   2. Rules, in config order: the first rule whose every (key, value) pair
//      equals the context's (byte for byte) gives its segment.
//   3. Otherwise the configured keys' values are hashed. With
//      MissingKeyPolicy::kHashPresent (the default) the keys that are
//      present are hashed and a context with none of them gets 0; with
//      kNoSegment a context missing any of them gets 0. The segment is
//
//        1 + XXH64(bytes, seed 0) % num_segments
//        bytes = salt, then for each present key in config order:
//                0x1E, key, 0x1F, value
//
//      a pure function of the config and the values: every replica and
//      every language binding computes the same segment.
//
// Per request: no allocation, one pass over the context and a hash of a few
// dozen bytes (docs/routing.md has measured figures).
//
// A session's segment. The engine tags live events with the segment of the
// session that produced them; events carry no context, so compute it once
// from the session's request context with ForSession() and keep the result
// with the session. A SessionSegment remembers the config it came from
// (fingerprint()); after a config swap IsCurrentFor() is false and the next
// request of the session recomputes it.
//
// ContextSegmenter is immutable after creation and cheap to copy (copies
// share one compiled state): thread-safe. Config structs are plain values:
// thread-compatible.
#ifndef AISLE_ROUTING_CONTEXT_SEGMENTER_H_
#define AISLE_ROUTING_CONTEXT_SEGMENTER_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"

namespace aisle::routing {

// The most segments a segmenter may have; equal to
// aisle::retrieval::kMaxPopularitySegments.
inline constexpr uint32_t kMaxContextSegments = uint32_t{1} << 16;
// The most keys hashed, and distinct keys referenced (keys, rules, hour key).
inline constexpr size_t kMaxSegmentKeys = 16;
inline constexpr size_t kMaxSegmentLookupKeys = 64;

// Every (key, value) of `match` must be in the context; then the request is
// in `segment`.
struct SegmentRule {
  std::vector<std::pair<std::string, std::string>> match;
  uint32_t segment = 0;  // 1..num_segments
};

// Hours [first_hour, next bucket's first_hour) take the value `name`; hours
// before the first bucket belong to the last one (it wraps past midnight).
struct HourBucket {
  std::string name;
  int first_hour = 0;  // 0..23
};

// night 0-5, morning 6-11, afternoon 12-17, evening 18-23 ("day_parts").
std::vector<HourBucket> DayParts();

enum class MissingKeyPolicy : uint8_t {
  kHashPresent = 0,  // hash the keys present; 0 when none is
  kNoSegment = 1,    // 0 when any key is missing
};

struct ContextSegmenterConfig {
  uint32_t num_segments = 8;  // 1..kMaxContextSegments
  // Context keys whose values are hashed, in this order.
  std::vector<std::string> keys = {"geo", "device"};
  // Checked in order before hashing.
  std::vector<SegmentRule> rules;
  MissingKeyPolicy missing = MissingKeyPolicy::kHashPresent;
  // Prefix of the hashed bytes: a new salt reshuffles hashed segments (rules
  // are unaffected). May be empty.
  std::string salt;
  // The key whose value is an hour of the day, and its buckets (empty: the
  // value is used as it is).
  std::string hour_key = "hour";
  std::vector<HourBucket> hour_buckets;
};

enum class SegmentSource : uint8_t {
  kNone = 0,  // segment 0
  kRule = 1,
  kHash = 2,
};
// "none", "rule", "hash": stable names for responses and metrics.
absl::string_view SegmentSourceName(SegmentSource source);

struct SegmentDecision {
  uint32_t segment = 0;
  SegmentSource source = SegmentSource::kNone;
  int32_t rule = -1;  // index of the matching rule, -1 when none matched
};

class ContextSegmenter;

// A session's segment, computed once and kept with the session.
struct SessionSegment {
  uint32_t segment = 0;
  uint64_t fingerprint = 0;  // the segmenter's fingerprint() (0: never computed)
  bool IsCurrentFor(const ContextSegmenter& segmenter) const;
};

// Checks every rule of the config; InvalidArgument naming the field by its
// JSON path ("rules[2].segment") and the value.
absl::Status ValidateContextSegmenterConfig(const ContextSegmenterConfig& config);

// Parses (omitted fields keep their defaults; unknown fields are errors) and
// validates. InvalidArgument with the JSON path, or with line and column
// for malformed JSON.
absl::StatusOr<ContextSegmenterConfig> ParseContextSegmenterConfig(absl::string_view json_text);

class ContextSegmenter {
 public:
  using Context = absl::Span<const std::pair<std::string, std::string>>;
  using ContextView = absl::Span<const std::pair<absl::string_view, absl::string_view>>;

  // The default config (8 segments hashed from geo and device).
  ContextSegmenter();
  // Validates (ValidateContextSegmenterConfig) and compiles.
  static absl::StatusOr<ContextSegmenter> Create(const ContextSegmenterConfig& config);
  static absl::StatusOr<ContextSegmenter> FromJson(absl::string_view json_text);

  SegmentDecision Decide(Context context) const;
  SegmentDecision Decide(ContextView context) const;
  uint32_t Segment(Context context) const { return Decide(context).segment; }
  SessionSegment ForSession(Context context) const {
    return {Decide(context).segment, fingerprint()};
  }

  uint32_t num_segments() const;
  // XXH64 of the config's canonical form: equal configs have equal
  // fingerprints; any change that can move a context changes it. Never 0.
  uint64_t fingerprint() const;
  const ContextSegmenterConfig& config() const;

  struct Compiled;

 private:
  explicit ContextSegmenter(std::shared_ptr<const Compiled> compiled)
      : compiled_(std::move(compiled)) {}
  std::shared_ptr<const Compiled> compiled_;
};

inline bool SessionSegment::IsCurrentFor(const ContextSegmenter& segmenter) const {
  return fingerprint != 0 && fingerprint == segmenter.fingerprint();
}

}  // namespace aisle::routing

#endif  // AISLE_ROUTING_CONTEXT_SEGMENTER_H_
