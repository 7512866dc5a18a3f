#include "aisle/routing/experiment_config.h"

#include <cmath>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "aisle/routing/bucketing.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace aisle::routing {
namespace {

using ::testing::HasSubstr;

// A valid config; tests break one thing at a time with StrReplaceAll.
constexpr char kValid[] = R"({
  "version": 1,
  "layers": [
    {"key": "ranking", "salt": "ranking-2024",
     "experiments": [
       {"key": "gbdt-v7", "hash_version": 2, "range": [0, 0.5], "coverage": 0.8,
        "surfaces": ["home", "pdp"],
        "variants": [{"key": "control", "weight": 0.5},
                     {"key": "v7", "weight": 0.5, "params": {"ranker": "gbdt_v7"}}],
        "forced_variants": {"qa-1": "v7"}},
       {"key": "linear", "range": [0.5, 1],
        "variants": [{"key": "control"}, {"key": "lin", "params": {"ranker": "linear_v2"}}]}
     ]},
    {"key": "diversity",
     "experiments": [
       {"key": "mmr", "seed": "mmr-seed", "hash_version": 1,
        "variants": [{"key": "a", "weight": 0.25},
                     {"key": "b", "weight": 0.75, "params": {"mmr.lambda": "0.3"}}]}
     ]}
  ]
})";

absl::StatusOr<ExperimentConfig> ParseWith(const std::string& from, const std::string& to) {
  const std::string text = absl::StrReplaceAll(kValid, {{from, to}});
  EXPECT_NE(text, kValid) << "replacement '" << from << "' did not apply";
  return ParseExperimentConfig(text);
}

void ExpectInvalid(const absl::StatusOr<ExperimentConfig>& r, const std::string& needle) {
  ASSERT_FALSE(r.ok()) << "expected an error mentioning: " << needle;
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument) << r.status();
  EXPECT_THAT(std::string(r.status().message()), HasSubstr(needle));
}

TEST(ExperimentConfig, ParsesValidConfigWithDefaults) {
  absl::StatusOr<ExperimentConfig> c = ParseExperimentConfig(kValid);
  ASSERT_TRUE(c.ok()) << c.status();
  ASSERT_EQ(c->layers.size(), 2u);
  const LayerSpec& ranking = c->layers[0];
  EXPECT_EQ(ranking.salt, "ranking-2024");
  EXPECT_EQ(ranking.namespace_hash_version, 2);
  ASSERT_EQ(ranking.experiments.size(), 2u);
  const ExperimentSpec& e = ranking.experiments[0];
  EXPECT_EQ(e.seed, "gbdt-v7");  // defaults to the key
  EXPECT_DOUBLE_EQ(e.range_end, 0.5);
  EXPECT_DOUBLE_EQ(e.coverage, 0.8);
  EXPECT_EQ(e.surfaces, (std::vector<std::string>{"home", "pdp"}));
  ASSERT_EQ(e.variants[1].params.size(), 1u);
  EXPECT_EQ(e.variants[1].params[0].first, "ranker");
  EXPECT_EQ(e.variants[1].params[0].second, "gbdt_v7");
  ASSERT_EQ(e.forced_variants.size(), 1u);
  EXPECT_EQ(e.forced_variants[0].first, "qa-1");
  // Omitted weights are equal; omitted coverage and range are full.
  const ExperimentSpec& lin = ranking.experiments[1];
  EXPECT_DOUBLE_EQ(lin.variants[0].weight, 0.5);
  EXPECT_DOUBLE_EQ(lin.coverage, 1.0);
  EXPECT_EQ(lin.hash_version, 2);
  // Salt defaults to the layer key; seed is kept when given.
  EXPECT_EQ(c->layers[1].salt, "diversity");
  EXPECT_EQ(c->layers[1].experiments[0].seed, "mmr-seed");
  EXPECT_EQ(c->layers[1].experiments[0].hash_version, 1);
}

TEST(ExperimentConfig, RejectsMalformedJsonWithPosition) {
  absl::StatusOr<ExperimentConfig> r = ParseExperimentConfig("{\"layers\": [}");
  ExpectInvalid(r, "JSON");
  // Line:column and byte offset (was nlohmann's "line 1, column 13").
  EXPECT_THAT(std::string(r.status().message()), HasSubstr("JSON:1:13 (byte 12)"));
}

TEST(ExperimentConfig, RejectsWeightsNotSummingToOne) {
  ExpectInvalid(ParseWith(R"("key": "b", "weight": 0.75)", R"("key": "b", "weight": 0.7)"),
                "weights of experiment 'mmr' sum to 0.95");
}

TEST(ExperimentConfig, RejectsNegativeWeight) {
  ExpectInvalid(ParseWith(R"("key": "a", "weight": 0.25)", R"("key": "a", "weight": -0.25)"),
                "layers[1].experiments[0].variants[0].weight");
}

TEST(ExperimentConfig, RejectsPartialWeights) {
  ExpectInvalid(ParseWith(R"({"key": "control"}, {"key": "lin")",
                          R"({"key": "control", "weight": 1}, {"key": "lin")"),
                "give a weight for every variant or for none");
}

TEST(ExperimentConfig, RejectsCoverageOutOfRange) {
  ExpectInvalid(ParseWith(R"("coverage": 0.8)", R"("coverage": 1.2)"),
                "layers[0].experiments[0].coverage: must be in [0, 1], got 1.2");
}

TEST(ExperimentConfig, RejectsBadRange) {
  ExpectInvalid(ParseWith(R"("range": [0.5, 1])", R"("range": [0.5, 0.5])"), "0 <= start < end");
  ExpectInvalid(ParseWith(R"("range": [0.5, 1])", R"("range": [0.5])"), "must be [start, end]");
}

TEST(ExperimentConfig, RejectsDuplicateExperimentKeyAcrossLayers) {
  ExpectInvalid(ParseWith(R"("key": "mmr")", R"("key": "linear")"),
                "duplicate experiment key 'linear' (also layers[0].experiments[1])");
}

TEST(ExperimentConfig, RejectsDuplicateVariantKey) {
  ExpectInvalid(ParseWith(R"({"key": "lin",)", R"({"key": "control",)"),
                "duplicate variant key 'control'");
}

TEST(ExperimentConfig, RejectsDuplicateLayerKeyAndSalt) {
  ExpectInvalid(ParseWith(R"("key": "diversity")", R"("key": "ranking")"),
                "duplicate layer key 'ranking'");
  ExpectInvalid(ParseWith(R"("key": "diversity")", R"("key": "diversity", "salt": "ranking-2024")"),
                "salt 'ranking-2024' is also used by layers[0]");
}

TEST(ExperimentConfig, RejectsOverlappingRangesInALayer) {
  ExpectInvalid(ParseWith(R"("range": [0.5, 1])", R"("range": [0.4, 1])"),
                "[0.4, 1) of experiment 'linear' overlaps [0, 0.5) of experiment 'gbdt-v7' in "
                "layer 'ranking'");
}

TEST(ExperimentConfig, AllowsOverlapOnDisjointSurfaces) {
  absl::StatusOr<ExperimentConfig> r =
      ParseWith(R"("key": "linear", "range": [0.5, 1],)",
                R"("key": "linear", "range": [0.2, 1], "surfaces": ["cart"],)");
  EXPECT_TRUE(r.ok()) << r.status();
}

TEST(ExperimentConfig, RejectsUnknownHashVersion) {
  ExpectInvalid(ParseWith(R"("hash_version": 1)", R"("hash_version": 3)"),
                "hash_version: must be 1 or 2, got 3");
}

TEST(ExperimentConfig, RejectsUnknownField) {
  ExpectInvalid(ParseWith(R"("coverage": 0.8)", R"("coverge": 0.8)"),
                "layers[0].experiments[0]: unknown field 'coverge'");
}

TEST(ExperimentConfig, RejectsNonStringParamValue) {
  ExpectInvalid(ParseWith(R"("mmr.lambda": "0.3")", R"("mmr.lambda": 0.3)"),
                "variants[1].params.mmr.lambda: must be a string, got number");
}

TEST(ExperimentConfig, RejectsParamOverriddenInTwoLayers) {
  ExpectInvalid(ParseWith(R"("mmr.lambda": "0.3")", R"("ranker": "mmr")"),
                "parameter 'ranker' is overridden in layers 'ranking' and 'diversity'");
}

TEST(ExperimentConfig, RejectsForcedUnknownVariant) {
  ExpectInvalid(ParseWith(R"({"qa-1": "v7"})", R"({"qa-1": "v8"})"),
                "unit 'qa-1' forced to unknown variant 'v8' of experiment 'gbdt-v7'");
}

TEST(ExperimentConfig, RejectsUnitForcedIntoTwoExperimentsOfALayer) {
  ExpectInvalid(ParseWith(R"({"key": "lin", "params": {"ranker": "linear_v2"}}]})",
                          R"({"key": "lin", "params": {"ranker": "linear_v2"}}],
                             "forced_variants": {"qa-1": "lin"}})"),
                "unit 'qa-1' is forced into experiments 'gbdt-v7' and 'linear'");
}

TEST(ExperimentConfig, RejectsMissingVariantsAndWrongTypes) {
  ExpectInvalid(
      ParseExperimentConfig(R"({"layers": [{"key": "l", "experiments": [{"key": "e"}]}]})"),
      "layers[0].experiments[0]: missing field 'variants'");
  ExpectInvalid(ParseExperimentConfig(R"({"layers": {}})"), "layers: must be an array");
  ExpectInvalid(ParseExperimentConfig(R"({"layers": [{"key": 7}]})"),
                "layers[0].key: must be a string, got number");
}

TEST(ExperimentConfig, RejectsUnsupportedVersion) {
  absl::StatusOr<ExperimentConfig> r = ParseWith(R"("version": 1)", R"("version": 2)");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kUnimplemented);
}

TEST(ExperimentConfig, ValidatesConfigBuiltInCode) {
  ExperimentConfig c;
  LayerSpec& l = c.layers.emplace_back();
  l.key = "l";
  l.salt = "s";
  ExperimentSpec& e = l.experiments.emplace_back();
  e.key = "e";
  e.variants = {{"a", 0.5, {}}, {"b", 0.5, {}}};
  EXPECT_TRUE(ValidateExperimentConfig(c).ok());
  e.coverage = std::nan("");
  EXPECT_FALSE(ValidateExperimentConfig(c).ok());
  e.coverage = 1.0;
  e.variants.clear();
  absl::Status s = ValidateExperimentConfig(c);
  EXPECT_THAT(std::string(s.message()), HasSubstr("experiment 'e' has no variants"));
}

TEST(ExperimentConfig, LoadFileNamesTheFile) {
  absl::StatusOr<ExperimentConfig> r = LoadExperimentConfigFile("/nonexistent/routing.json");
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(std::string(r.status().message()), HasSubstr("/nonexistent/routing.json"));
}

TEST(ExperimentConfig, KeysSurfacesAndUnitIdsFollowTheIdRule) {
  // JSON can carry a NUL (\u0000) or a tab; such a key could never be passed
  // back through the C string API.
  auto c = ParseWith(R"("key": "v7")", R"("key": "v\u00007")");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(c.status().message(),
              HasSubstr("experiment config: layers[0].experiments[0].variants[1].key: id "
                        "'v\\x007' has control character 0x00 (NUL)"));
  c = ParseWith(R"(["home", "pdp"])", R"(["home", "p\tdp"])");
  ASSERT_FALSE(c.ok());
  EXPECT_THAT(c.status().message(),
              HasSubstr("layers[0].experiments[0].surfaces[1]: id 'p\\x09dp' has control"));
  c = ParseWith(R"({"qa-1": "v7"})", R"({"qa\u00011": "v7"})");
  ASSERT_FALSE(c.ok());
  EXPECT_THAT(c.status().message(), HasSubstr("layers[0].experiments[0].forced_variants: id"));
}

TEST(ExperimentConfig, OverflowingNumberNamesLineAndColumn) {
  const std::string text = absl::StrReplaceAll(kValid, {{"\"coverage\": 0.8", "\"coverage\": 1e999"}});
  const size_t at = text.find("1e999");
  const size_t column = at - text.rfind('\n', at);
  auto c = ParseExperimentConfig(text);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(c.status().message(),
              HasSubstr(absl::StrCat("experiment config: JSON:6:", column, " (byte ", at,
                                     "): layers[0].experiments[0].coverage: number 1e999 "
                                     "overflows a double")));
}

TEST(ExperimentConfig, AbsurdVariantCountIsRejectedNamingIt) {
  ExperimentSpec e;
  e.key = "wide";
  for (int v = 0; v < kMaxVariations + 1; ++v) {
    e.variants.push_back({absl::StrCat("v", v), 1.0 / (kMaxVariations + 1), {}});
  }
  LayerSpec layer;
  layer.key = layer.salt = "l";
  layer.experiments.push_back(std::move(e));
  ExperimentConfig config;
  config.layers.push_back(std::move(layer));
  const absl::Status s = ValidateExperimentConfig(config);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("layers[0].experiments[0].variants: experiment 'wide' has "
                                     "65537 variants, outside [1, 65536]"));
  // The GrowthBook helpers return no ranges rather than allocating for it.
  EXPECT_TRUE(GetEqualWeights(2147483647).empty());
  EXPECT_TRUE(GetBucketRanges(2147483647, 1.0, {}).empty());
}

// Every field the format has, the new ones included.
constexpr char kFull[] = R"({
  "version": 1,
  "layers": [
    {"key": "ranking", "salt": "ranking-2024", "namespace_hash_version": 1,
     "experiments": [
       {"key": "gbdt-v7", "seed": "gbdt-v7-seed", "hash_version": 1, "range": [0, 0.5],
        "coverage": 0.8, "surfaces": ["home", "pdp"],
        "variants": [{"key": "control", "weight": 0.25},
                     {"key": "v7", "weight": 0.75,
                      "params": {"ranker": "gbdt_v7", "shadow": "linear_v3,gbdt_v8",
                                 "pipeline": "home-v7", "budget_ms": "25",
                                 "source.ann.quota": "300", "source.ann.ef": "128"}}],
        "forced_variants": {"qa-2": "v7", "qa-1": "control"}}
     ]},
    {"key": "diversity",
     "experiments": [
       {"key": "mmr", "variants": [{"key": "a"},
                                   {"key": "b", "params": {"mmr.lambda": "0.3",
                                                           "exploration": "on",
                                                           "exploration.share": "0.1",
                                                           "custom.note": "x"}}]}
     ]}
  ],
  "challengers": [
    {"key": "gbdt-v8-challenger", "layer": "ranking", "ranker": "gbdt_v8", "share": 0.05,
     "seed": "v8-seed", "range": [0.5, 1], "surfaces": ["home"],
     "forced_variants": {"qa-3": "challenger"}}
  ],
  "holdouts": [
    {"key": "h2024", "salt": "h2024-salt", "share": 0.02, "layers": ["ranking", "diversity"]},
    {"key": "h-ranking", "share": 0.01, "layers": ["ranking"]}
  ]
})";

TEST(ExperimentConfigJson, RoundTripKeepsEveryField) {
  absl::StatusOr<ExperimentConfig> parsed = ParseExperimentConfig(kFull);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  // Params and forced variants keep the file's order.
  const ExperimentSpec& e = parsed->layers[0].experiments[0];
  EXPECT_EQ(e.forced_variants[0].first, "qa-2");
  EXPECT_EQ(e.variants[1].params[0].first, "ranker");
  EXPECT_EQ(e.variants[1].params[5].first, "source.ann.ef");
  ASSERT_EQ(parsed->challengers.size(), 1u);
  EXPECT_EQ(parsed->challengers[0].seed, "v8-seed");
  EXPECT_DOUBLE_EQ(parsed->challengers[0].range_start, 0.5);
  ASSERT_EQ(parsed->holdouts.size(), 2u);
  EXPECT_EQ(parsed->holdouts[1].salt, "h-ranking");

  absl::StatusOr<std::string> text = ExperimentConfigToJson(*parsed);
  ASSERT_TRUE(text.ok()) << text.status();
  absl::StatusOr<ExperimentConfig> again = ParseExperimentConfig(*text);
  ASSERT_TRUE(again.ok()) << again.status() << "\n" << *text;
  EXPECT_TRUE(*again == *parsed) << *text;
  // And the text is stable.
  EXPECT_EQ(*ExperimentConfigToJson(*again), *text);
}

TEST(ExperimentConfigJson, RoundTripOfAConfigBuiltInCode) {
  ExperimentConfig c;
  LayerSpec& l = c.layers.emplace_back();
  l.key = "l";
  l.salt = "s";
  ExperimentSpec& e = l.experiments.emplace_back();
  e.key = e.seed = "e";
  e.range_end = 0.3;
  e.coverage = 1.0 / 3.0;  // not short in decimal
  e.variants = {{"a", 0.1, {}}, {"b", 0.9, {{"source.z.quota", "1"}, {"source.a.quota", "2"}}}};
  ChallengerSpec& ch = c.challengers.emplace_back();
  ch.key = ch.seed = "ch";
  ch.layer = "l";
  ch.ranker = "r";
  ch.share = 0.07;
  ch.range_start = 0.3;
  HoldoutSpec& h = c.holdouts.emplace_back();
  h.key = h.salt = "h";
  h.share = 0.1;
  h.layers = {"l"};
  ASSERT_TRUE(ValidateExperimentConfig(c).ok()) << ValidateExperimentConfig(c);
  absl::StatusOr<std::string> text = ExperimentConfigToJson(c);
  ASSERT_TRUE(text.ok());
  absl::StatusOr<ExperimentConfig> back = ParseExperimentConfig(*text);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_TRUE(*back == c) << *text;
}

TEST(ExperimentConfigJson, WritingRefusesStringsThatAreNotUtf8) {
  ExperimentConfig c;
  LayerSpec& l = c.layers.emplace_back();
  l.key = "l";
  l.salt = "\xff";
  absl::StatusOr<std::string> text = ExperimentConfigToJson(c);
  ASSERT_FALSE(text.ok());
  EXPECT_EQ(text.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(text.status().message()), HasSubstr("cannot write JSON"));
}

TEST(ExperimentConfigJson, UnknownFieldsOfNewSectionsAreRejectedWithTheirPath) {
  const auto error = [](const std::string& text) {
    absl::StatusOr<ExperimentConfig> c = ParseExperimentConfig(text);
    EXPECT_FALSE(c.ok()) << text;
    return c.ok() ? std::string() : std::string(c.status().message());
  };
  EXPECT_THAT(error(absl::StrReplaceAll(kFull, {{R"("holdouts": [)", R"("holdout": [)"}})),
              HasSubstr("(root): unknown field 'holdout' (allowed: version, layers, challengers, "
                        "holdouts)"));
  EXPECT_THAT(
      error(absl::StrReplaceAll(kFull, {{R"("share": 0.01,)", R"("share": 0.01, "x": 1,)"}})),
      HasSubstr("holdouts[1]: unknown field 'x'"));
  EXPECT_THAT(error(absl::StrReplaceAll(kFull, {{R"("seed": "v8-seed")", R"("sed": "v8-seed")"}})),
              HasSubstr("challengers[0]: unknown field 'sed'"));
  EXPECT_THAT(error(R"({"layers": [{"key": "l"}], "challengers": {}})"),
              HasSubstr("challengers: must be an array"));
  EXPECT_THAT(
      error(absl::StrReplaceAll(kFull, {{R"("mmr.lambda": "0.3")", R"("mmr.lambda": "3")"}})),
      HasSubstr("layers[1].experiments[0].variants[1].params: layer 'diversity', "
                "experiment 'mmr', variant 'b': parameter 'mmr.lambda' value '3': must be "
                "a number in [0, 1]"));
}

}  // namespace
}  // namespace aisle::routing
