#include "aisle/routing/context_segmenter.h"

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <new>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

// Counts heap allocations, so a test can show that a decision makes none.
// (GCC cannot tell that these replacements pair malloc with free.)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
namespace {
std::atomic<int64_t> g_allocations{0};
}  // namespace

void* operator new(std::size_t size) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }

namespace aisle::routing {
namespace {

using ::testing::HasSubstr;
using Ctx = std::vector<std::pair<std::string, std::string>>;

ContextSegmenter Make(const ContextSegmenterConfig& config) {
  absl::StatusOr<ContextSegmenter> s = ContextSegmenter::Create(config);
  EXPECT_TRUE(s.ok()) << s.status();
  return *std::move(s);
}

ContextSegmenter FromJson(absl::string_view json) {
  absl::StatusOr<ContextSegmenter> s = ContextSegmenter::FromJson(json);
  EXPECT_TRUE(s.ok()) << s.status();
  return *std::move(s);
}

std::string JsonError(absl::string_view json) {
  absl::StatusOr<ContextSegmenterConfig> c = ParseContextSegmenterConfig(json);
  EXPECT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), absl::StatusCode::kInvalidArgument);
  return std::string(c.status().message());
}

// Golden values: 1 + XXH64(bytes) % n with the documented bytes, computed by
// an independent implementation of XXH64 (checked against XXH64's published
// vectors for "", "a" and "abc"). They must never change: other replicas and
// bindings compute the same numbers.
TEST(ContextSegmenter, HashMatchesTheDocumentedDefinition) {
  const ContextSegmenter def;
  EXPECT_EQ(def.Segment(Ctx{{"geo", "DE"}, {"device", "mobile"}}), 1u);
  EXPECT_EQ(def.Segment(Ctx{{"geo", "US"}, {"device", "desktop"}}), 5u);
  EXPECT_EQ(def.Segment(Ctx{{"geo", "FR"}}), 3u);
  EXPECT_EQ(def.Segment(Ctx{{"device", "tablet"}}), 3u);

  ContextSegmenterConfig salted;
  salted.num_segments = 1000;
  salted.salt = "segments-2024-06";
  EXPECT_EQ(Make(salted).Segment(Ctx{{"geo", "DE"}, {"device", "mobile"}}), 500u);

  ContextSegmenterConfig hourly;
  hourly.num_segments = 16;
  hourly.keys = {"geo", "device", "hour"};
  hourly.hour_buckets = DayParts();
  EXPECT_EQ(Make(hourly).Segment(Ctx{{"hour", "9"}, {"geo", "DE"}, {"device", "mobile"}}), 10u);

  ContextSegmenterConfig wide;
  wide.num_segments = 65536;
  wide.salt = "s";
  EXPECT_EQ(Make(wide).Segment(
                Ctx{{"geo", "a-very-long-country-value-to-cross-32-bytes"}, {"device", "mobile"}}),
            58451u);
}

TEST(ContextSegmenter, SameAnswerAcrossInstancesCopiesAndViews) {
  ContextSegmenterConfig config;
  config.num_segments = 37;
  config.keys = {"geo", "device", "referrer"};
  const ContextSegmenter a = Make(config);
  const ContextSegmenter b = Make(config);
  const ContextSegmenter copy = a;
  for (int i = 0; i < 500; ++i) {
    const Ctx ctx = {{"geo", absl::StrCat("g", i % 41)},
                     {"device", i % 3 == 0 ? "mobile" : "desktop"},
                     {"referrer", absl::StrCat("r", i)}};
    const std::vector<std::pair<absl::string_view, absl::string_view>> view(ctx.begin(), ctx.end());
    const SegmentDecision d = a.Decide(ctx);
    EXPECT_EQ(d.source, SegmentSource::kHash);
    EXPECT_GE(d.segment, 1u);
    EXPECT_LE(d.segment, 37u);
    EXPECT_EQ(b.Segment(ctx), d.segment);
    EXPECT_EQ(copy.Segment(ctx), d.segment);
    EXPECT_EQ(a.Decide(view).segment, d.segment);
  }
  EXPECT_EQ(a.fingerprint(), b.fingerprint());
}

TEST(ContextSegmenter, ContextOrderAndUnrelatedKeysDoNotMatterFirstPairWins) {
  const ContextSegmenter s;
  const uint32_t base = s.Segment(Ctx{{"geo", "DE"}, {"device", "mobile"}});
  EXPECT_EQ(s.Segment(Ctx{{"device", "mobile"}, {"campaign", "x"}, {"geo", "DE"}}), base);
  EXPECT_EQ(s.Segment(Ctx{{"geo", "DE"}, {"device", "mobile"}, {"geo", "US"}}), base);
  EXPECT_NE(s.Segment(Ctx{{"geo", "US"}, {"device", "mobile"}, {"geo", "DE"}}),
            s.Segment(Ctx{{"geo", "DE"}, {"device", "mobile"}, {"geo", "US"}}));
}

TEST(ContextSegmenter, RulesAreCheckedFirstInOrder) {
  const ContextSegmenter s = FromJson(R"({
    "num_segments": 8,
    "rules": [
      {"match": {"geo": "DE", "device": "mobile"}, "segment": 3},
      {"match": {"campaign": "black-friday"}, "segment": 7},
      {"match": {"geo": "DE"}, "segment": 2}
    ]})");
  SegmentDecision d = s.Decide(Ctx{{"device", "mobile"}, {"geo", "DE"}});
  EXPECT_EQ(d.segment, 3u);
  EXPECT_EQ(d.source, SegmentSource::kRule);
  EXPECT_EQ(d.rule, 0);
  // The first matching rule wins, even over a more specific later one.
  d = s.Decide(Ctx{{"campaign", "black-friday"}, {"geo", "DE"}, {"device", "mobile"}});
  EXPECT_EQ(d.segment, 3u);
  d = s.Decide(Ctx{{"campaign", "black-friday"}, {"geo", "US"}});
  EXPECT_EQ(d.segment, 7u);
  EXPECT_EQ(d.rule, 1);
  d = s.Decide(Ctx{{"geo", "DE"}, {"device", "desktop"}});
  EXPECT_EQ(d.segment, 2u);
  EXPECT_EQ(d.rule, 2);
  // No rule: the hash, as without rules (the default config's value).
  d = s.Decide(Ctx{{"geo", "US"}, {"device", "desktop"}});
  EXPECT_EQ(d.source, SegmentSource::kHash);
  EXPECT_EQ(d.rule, -1);
  EXPECT_EQ(d.segment, 5u);
  EXPECT_EQ(SegmentSourceName(SegmentSource::kRule), "rule");
  EXPECT_EQ(SegmentSourceName(SegmentSource::kHash), "hash");
  EXPECT_EQ(SegmentSourceName(SegmentSource::kNone), "none");
}

// Pearson's chi-square of the counts against a uniform spread.
double ChiSquare(const std::vector<int>& counts, int total) {
  const double expected = double(total) / double(counts.size());
  double chi = 0;
  for (int c : counts) chi += (c - expected) * (c - expected) / expected;
  return chi;
}

TEST(ContextSegmenter, SpreadsManyDistinctValuesEvenly) {
  ContextSegmenterConfig config;
  config.num_segments = 16;
  const ContextSegmenter s = Make(config);
  std::vector<int> counts(17, 0);
  constexpr int kValues = 32000;
  for (int i = 0; i < kValues; ++i) {
    const uint32_t seg = s.Segment(Ctx{{"geo", absl::StrCat("region-", i)}, {"device", "mobile"}});
    ASSERT_GE(seg, 1u);
    ASSERT_LE(seg, 16u);
    ++counts[seg];
  }
  EXPECT_EQ(counts[0], 0);
  counts.erase(counts.begin());
  // 15 degrees of freedom: 37.70 is the 0.001 critical value.
  EXPECT_LT(ChiSquare(counts, kValues), 37.70);
  const auto [lo, hi] = std::minmax_element(counts.begin(), counts.end());
  EXPECT_LT(double(*hi) / double(*lo), 1.15);
}

TEST(ContextSegmenter, MissingKeysHashWhatIsPresentOrGiveNoSegment) {
  const ContextSegmenter both;  // keys geo, device; hash_present
  ContextSegmenterConfig geo_only;
  geo_only.keys = {"geo"};
  // Documented: the missing key is left out of the bytes, so geo alone
  // hashes like a config that hashes only geo.
  EXPECT_EQ(both.Segment(Ctx{{"geo", "FR"}}), Make(geo_only).Segment(Ctx{{"geo", "FR"}}));
  const SegmentDecision none = both.Decide(Ctx{{"campaign", "x"}});
  EXPECT_EQ(none.segment, 0u);
  EXPECT_EQ(none.source, SegmentSource::kNone);
  EXPECT_EQ(both.Segment(Ctx{}), 0u);

  ContextSegmenterConfig strict;
  strict.missing = MissingKeyPolicy::kNoSegment;
  strict.rules = {{.match = {{"geo", "FR"}}, .segment = 4}};
  const ContextSegmenter s = Make(strict);
  EXPECT_EQ(s.Segment(Ctx{{"geo", "IT"}}), 0u);
  EXPECT_EQ(s.Segment(Ctx{{"geo", "IT"}, {"device", "mobile"}}),
            both.Segment(Ctx{{"geo", "IT"}, {"device", "mobile"}}));
  EXPECT_EQ(s.Segment(Ctx{{"geo", "FR"}}), 4u);  // rules need only their own keys
}

TEST(ContextSegmenter, HourIsBucketedIntoDayParts) {
  const ContextSegmenter s = FromJson(R"({
    "num_segments": 64, "keys": ["geo", "hour"], "hour_buckets": "day_parts",
    "rules": [{"match": {"hour": "night"}, "segment": 64}]})");
  const uint32_t morning = s.Segment(Ctx{{"geo", "DE"}, {"hour", "6"}});
  EXPECT_EQ(s.Segment(Ctx{{"geo", "DE"}, {"hour", "07"}}), morning);
  EXPECT_EQ(s.Segment(Ctx{{"geo", "DE"}, {"hour", "11"}}), morning);
  EXPECT_NE(s.Segment(Ctx{{"geo", "DE"}, {"hour", "12"}}), morning);
  EXPECT_EQ(s.Segment(Ctx{{"geo", "DE"}, {"hour", "12"}}),
            s.Segment(Ctx{{"geo", "DE"}, {"hour", "17"}}));
  const SegmentDecision night = s.Decide(Ctx{{"geo", "DE"}, {"hour", "3"}});
  EXPECT_EQ(night.segment, 64u);
  EXPECT_EQ(night.source, SegmentSource::kRule);
  // Not an hour: the key counts as missing.
  EXPECT_EQ(s.Segment(Ctx{{"geo", "DE"}, {"hour", "0007"}}), morning);
  for (const char* bad : {"24", "-1", "7pm", "", "7.5", "99999999999999999999"}) {
    EXPECT_EQ(s.Segment(Ctx{{"geo", "DE"}, {"hour", bad}}), s.Segment(Ctx{{"geo", "DE"}})) << bad;
  }
}

TEST(ContextSegmenter, HourBucketsWrapPastMidnight) {
  ContextSegmenterConfig config;
  config.num_segments = 1000;
  config.keys = {"hour"};
  config.hour_buckets = {{"morning", 6}, {"day", 10}, {"evening", 18}, {"night", 22}};
  const ContextSegmenter s = Make(config);
  EXPECT_EQ(s.Segment(Ctx{{"hour", "23"}}), s.Segment(Ctx{{"hour", "0"}}));
  EXPECT_EQ(s.Segment(Ctx{{"hour", "5"}}), s.Segment(Ctx{{"hour", "22"}}));
  EXPECT_NE(s.Segment(Ctx{{"hour", "5"}}), s.Segment(Ctx{{"hour", "6"}}));
  // Without buckets the value is hashed as given.
  config.hour_buckets.clear();
  const ContextSegmenter raw = Make(config);
  EXPECT_NE(raw.Segment(Ctx{{"hour", "7"}}), raw.Segment(Ctx{{"hour", "07"}}));
}

TEST(ContextSegmenter, SaltReshufflesHashedSegmentsOnly) {
  ContextSegmenterConfig a;
  a.num_segments = 64;
  a.rules = {{.match = {{"geo", "DE"}}, .segment = 9}};
  ContextSegmenterConfig b = a;
  b.salt = "2024-07";
  const ContextSegmenter sa = Make(a), sb = Make(b);
  int moved = 0;
  for (int i = 0; i < 200; ++i) {
    const Ctx ctx = {{"geo", absl::StrCat("g", i)}, {"device", "mobile"}};
    moved += sa.Segment(ctx) != sb.Segment(ctx) ? 1 : 0;
  }
  EXPECT_GT(moved, 150);
  EXPECT_EQ(sb.Segment(Ctx{{"geo", "DE"}}), 9u);
  EXPECT_NE(sa.fingerprint(), sb.fingerprint());
}

TEST(ContextSegmenter, SessionSegmentRemembersItsConfig) {
  const ContextSegmenter s;
  const SessionSegment session = s.ForSession(Ctx{{"geo", "DE"}, {"device", "mobile"}});
  EXPECT_EQ(session.segment, 1u);
  EXPECT_TRUE(session.IsCurrentFor(s));
  EXPECT_TRUE(session.IsCurrentFor(ContextSegmenter()));
  ContextSegmenterConfig other;
  other.num_segments = 9;
  EXPECT_FALSE(session.IsCurrentFor(Make(other)));
  EXPECT_FALSE(SessionSegment{}.IsCurrentFor(s));
  // Bucket order does not change decisions, nor the fingerprint.
  ContextSegmenterConfig x, y;
  x.hour_buckets = DayParts();
  y.hour_buckets = {DayParts()[2], DayParts()[0], DayParts()[3], DayParts()[1]};
  EXPECT_EQ(Make(x).fingerprint(), Make(y).fingerprint());
  EXPECT_NE(Make(x).fingerprint(), s.fingerprint());
}

TEST(ContextSegmenter, DecidingAllocatesNothing) {
  const ContextSegmenter s = FromJson(R"({
    "num_segments": 32, "keys": ["geo", "device", "hour"], "hour_buckets": "day_parts",
    "rules": [{"match": {"geo": "DE", "campaign": "spring"}, "segment": 3}]})");
  const Ctx contexts[] = {
      {{"geo", "DE"}, {"campaign", "spring"}},
      {{"geo", "a-value-long-enough-to-defeat-any-small-string-buffer"},
       {"device", "mobile"},
       {"hour", "21"}},
      {{"referrer", "search"}},
  };
  uint64_t sum = 0;
  const int64_t before = g_allocations.load();
  for (int round = 0; round < 100; ++round) {
    for (const Ctx& ctx : contexts) sum += s.Decide(ctx).segment;
  }
  EXPECT_EQ(g_allocations.load() - before, 0);
  EXPECT_GT(sum, 0u);
  // The counter does count: one std::string beyond the small-string buffer.
  const std::string big(100, 'x');
  EXPECT_EQ(g_allocations.load() - before, 1);
}

TEST(ContextSegmenter, ParsesTheDocumentedJson) {
  absl::StatusOr<ContextSegmenterConfig> c = ParseContextSegmenterConfig(R"({
    "num_segments": 16,
    "keys": ["geo", "device", "hour"],
    "missing": "no_segment",
    "salt": "segments-2024-06",
    "hour_key": "local_hour",
    "hour_buckets": {"night": 22, "morning": 6, "day": 10, "evening": 18},
    "rules": [{"match": {"geo": "DE", "device": "mobile"}, "segment": 3}]
  })");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->num_segments, 16u);
  EXPECT_EQ(c->keys, (std::vector<std::string>{"geo", "device", "hour"}));
  EXPECT_EQ(c->missing, MissingKeyPolicy::kNoSegment);
  EXPECT_EQ(c->salt, "segments-2024-06");
  EXPECT_EQ(c->hour_key, "local_hour");
  ASSERT_EQ(c->hour_buckets.size(), 4u);
  ASSERT_EQ(c->rules.size(), 1u);
  EXPECT_EQ(c->rules[0].segment, 3u);
  EXPECT_EQ(c->rules[0].match.size(), 2u);
  // Omitted fields keep their defaults.
  c = ParseContextSegmenterConfig("{}");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->num_segments, 8u);
  EXPECT_EQ(c->keys, (std::vector<std::string>{"geo", "device"}));
  EXPECT_EQ(c->missing, MissingKeyPolicy::kHashPresent);
  EXPECT_TRUE(c->rules.empty());
}

TEST(ContextSegmenter, JsonErrorsNameTheirPath) {
  EXPECT_THAT(JsonError(R"({"num_segment": 4})"),
              HasSubstr("(root): unknown field 'num_segment' (allowed: num_segments, keys"));
  EXPECT_THAT(JsonError(R"({"rules": [{"match": {"geo": "DE"}, "segmnet": 1}]})"),
              HasSubstr("rules[0]: unknown field 'segmnet' (allowed: match, segment)"));
  EXPECT_THAT(JsonError(R"({"rules": [{"match": {"geo": "DE"}}]})"),
              HasSubstr("rules[0]: missing field 'segment'"));
  EXPECT_THAT(
      JsonError(R"({"num_segments": 4, "rules": [{"match": {"geo": "DE"}, "segment": 5}]})"),
      HasSubstr("rules[0].segment: 5 is outside [1, 4]"));
  EXPECT_THAT(JsonError(R"({"rules": [{"match": {"hour": 7}, "segment": 1}]})"),
              HasSubstr("rules[0].match.hour: must be a string, got number 7 (write it as \"7\")"));
  EXPECT_THAT(JsonError(R"({"rules": [{"match": {}, "segment": 1}]})"),
              HasSubstr("rules[0].match: is empty"));
  EXPECT_THAT(JsonError(R"({"num_segments": 0})"),
              HasSubstr("num_segments: must be an integer in [1, 65536], got 0"));
  EXPECT_THAT(JsonError(R"({"num_segments": 70000})"), HasSubstr("num_segments"));
  EXPECT_THAT(JsonError(R"({"num_segments": "8"})"), HasSubstr("num_segments"));
  EXPECT_THAT(JsonError(R"({"keys": ["geo", "geo"]})"), HasSubstr("keys[1]: duplicate key 'geo'"));
  EXPECT_THAT(JsonError(R"({"keys": ["geo", ""]})"), HasSubstr("keys[1]"));
  EXPECT_THAT(JsonError(R"({"keys": ["ge\u0001o"]})"), HasSubstr("context segmenter: keys[0]"));
  EXPECT_THAT(JsonError(R"({"keys": "geo"})"), HasSubstr("keys: must be an array"));
  EXPECT_THAT(JsonError(R"({"missing": "zero"})"),
              HasSubstr("missing: unknown policy 'zero' (expected hash_present or no_segment)"));
  EXPECT_THAT(JsonError(R"({"hour_buckets": {"night": 24}})"),
              HasSubstr("hour_buckets.night: must be an integer in [0, 23], got 24"));
  EXPECT_THAT(JsonError(R"({"hour_buckets": {"a": 3, "b": 3}})"),
              HasSubstr("hour 3 starts buckets 'a' and 'b'"));
  EXPECT_THAT(JsonError(R"({"hour_buckets": "quarters"})"),
              HasSubstr("hour_buckets: must be \"day_parts\" or an object"));
  EXPECT_THAT(
      JsonError(
          R"({"hour_buckets": "day_parts", "rules": [{"match": {"hour": "7"}, "segment": 1}]})"),
      HasSubstr("rules[0].match.hour: '7' is not an hour bucket (night, morning, afternoon, "
                "evening)"));
  EXPECT_THAT(JsonError(R"({"rules": [{"match": {"geo": ""}, "segment": 1}]})"),
              HasSubstr("rules[0].match.geo"));
  EXPECT_THAT(JsonError("[]"), HasSubstr("(root): must be an object"));
  EXPECT_THAT(JsonError("{\"keys\": [\"geo\",\n  ]}"), HasSubstr("context segmenter: JSON:2:3 (byte 19): keys[1]: malformed JSON"));
}

TEST(ContextSegmenter, ValidatesConfigsBuiltInCode) {
  ContextSegmenterConfig c;
  c.keys.clear();
  for (size_t k = 0; k <= kMaxSegmentKeys; ++k) c.keys.push_back(absl::StrCat("k", k));
  EXPECT_THAT(std::string(ContextSegmenter::Create(c).status().message()),
              HasSubstr("keys: has 17 keys, at most 16 may be hashed"));
  c = {};
  c.rules = {{.match = {{"geo", "DE"}, {"geo", "FR"}}, .segment = 1}};
  EXPECT_THAT(std::string(ContextSegmenter::Create(c).status().message()),
              HasSubstr("rules[0].match.geo: duplicate key"));
  c = {};
  c.rules = {{.match = {{"geo", "DE"}}, .segment = 0}};
  EXPECT_THAT(std::string(ContextSegmenter::Create(c).status().message()),
              HasSubstr("rules[0].segment: 0 is outside [1, 8]"));
  c = {};
  c.hour_buckets = {{"a", 0}, {"a", 5}};
  EXPECT_THAT(std::string(ContextSegmenter::Create(c).status().message()),
              HasSubstr("hour_buckets[1].name: duplicate bucket name 'a'"));
  c = {};
  for (int r = 0; r < 70; ++r) {
    c.rules.push_back({.match = {{absl::StrCat("key", r), "v"}}, .segment = 1});
  }
  EXPECT_THAT(std::string(ContextSegmenter::Create(c).status().message()),
              HasSubstr("name 72 distinct keys, at most 64"));
}

}  // namespace
}  // namespace aisle::routing
