#include "aisle/routing/variant_params.h"

#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "aisle/routing/experiment_config.h"
#include "aisle/routing/experiment_router.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace aisle::routing {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using Params = std::vector<std::pair<std::string, std::string>>;

VariantParams MustParse(const Params& params) {
  absl::StatusOr<VariantParams> p = ParseVariantParams(params);
  EXPECT_TRUE(p.ok()) << p.status();
  return p.ok() ? *std::move(p) : VariantParams();
}

std::string ErrorOf(const Params& params) {
  absl::StatusOr<VariantParams> p = ParseVariantParams(params);
  EXPECT_FALSE(p.ok()) << "expected an error";
  if (p.ok()) return "";
  EXPECT_EQ(p.status().code(), absl::StatusCode::kInvalidArgument);
  return std::string(p.status().message());
}

TEST(VariantParams, NoParamsIsEmpty) {
  const VariantParams p = MustParse({});
  EXPECT_TRUE(p.empty());
  EXPECT_EQ(p, VariantParams::Empty());
  EXPECT_EQ(p.FindSource("ann"), nullptr);
}

TEST(VariantParams, ParsesRankerAndPipelineNames) {
  const VariantParams p = MustParse({{"ranker", "gbdt_v8"}, {"pipeline", "home-lite"}});
  EXPECT_EQ(p.ranker, "gbdt_v8");
  EXPECT_EQ(p.pipeline, "home-lite");
  EXPECT_FALSE(p.empty());
}

TEST(VariantParams, ParsesSourceQuotaAndEfPerSourceSortedByName) {
  const VariantParams p = MustParse({{"source.covis.quota", "150"},
                                     {"source.ann.ef", "200"},
                                     {"source.ann.quota", "0"},
                                     {"source.new.items.quota", "12"}});
  ASSERT_EQ(p.sources.size(), 3u);
  EXPECT_EQ(p.sources[0].source, "ann");
  EXPECT_EQ(p.sources[0].quota, 0u);  // 0 turns the source off for the variant
  EXPECT_EQ(p.sources[0].ef, 200u);
  EXPECT_EQ(p.sources[1].source, "covis");
  EXPECT_EQ(p.sources[1].quota, 150u);
  EXPECT_FALSE(p.sources[1].ef.has_value());
  // A source name may contain dots: the field is after the last one.
  ASSERT_NE(p.FindSource("new.items"), nullptr);
  EXPECT_EQ(p.FindSource("new.items")->quota, 12u);
  EXPECT_EQ(p.FindSource("popular"), nullptr);
}

TEST(VariantParams, ParsesMmrLambda) {
  EXPECT_FLOAT_EQ(*MustParse({{"mmr.lambda", "0.3"}}).mmr_lambda, 0.3f);
  EXPECT_FLOAT_EQ(*MustParse({{"mmr.lambda", "0"}}).mmr_lambda, 0.0f);
  EXPECT_FLOAT_EQ(*MustParse({{"mmr.lambda", "1"}}).mmr_lambda, 1.0f);
  EXPECT_FLOAT_EQ(*MustParse({{"mmr.lambda", "5e-1"}}).mmr_lambda, 0.5f);
}

TEST(VariantParams, ParsesExplorationOnOffAndShare) {
  EXPECT_EQ(MustParse({{"exploration", "off"}}).exploration,
            (ExplorationOverride{false, std::nullopt}));
  EXPECT_EQ(MustParse({{"exploration", "on"}}).exploration,
            (ExplorationOverride{true, std::nullopt}));
  EXPECT_EQ(MustParse({{"exploration.share", "0.1"}}).exploration,
            (ExplorationOverride{true, 0.1f}));
  EXPECT_EQ(MustParse({{"exploration", "on"}, {"exploration.share", "0.25"}}).exploration,
            (ExplorationOverride{true, 0.25f}));
}

TEST(VariantParams, ParsesBudgetInMilliseconds) {
  EXPECT_EQ(MustParse({{"budget_ms", "25"}}).budget, absl::Milliseconds(25));
  EXPECT_EQ(MustParse({{"budget_ms", "12.5"}}).budget, absl::Microseconds(12500));
}

TEST(VariantParams, ParsesShadowRankersInOrder) {
  const VariantParams p = MustParse({{"ranker", "gbdt_v7"}, {"shadow", "gbdt_v8, linear_v3"}});
  EXPECT_THAT(p.shadow_rankers, ElementsAre("gbdt_v8", "linear_v3"));
  EXPECT_THAT(MustParse({{"shadow", "one"}}).shadow_rankers, ElementsAre("one"));
}

TEST(VariantParams, CustomKeysAreAcceptedUntyped) {
  const VariantParams p = MustParse({{"custom.banner", "blue"}, {"custom.x.y", ""}});
  EXPECT_TRUE(p.empty());
}

TEST(VariantParams, RejectsUnknownKeyNamingKeyAndValue) {
  EXPECT_THAT(ErrorOf({{"rnker", "gbdt_v8"}}),
              HasSubstr("parameter 'rnker' value 'gbdt_v8': unknown parameter (known: ranker"));
  EXPECT_THAT(ErrorOf({{"diversity.lambda", "0.3"}}),
              HasSubstr("parameter 'diversity.lambda' value '0.3': unknown parameter"));
  EXPECT_THAT(ErrorOf({{"source.ann", "10"}}),
              HasSubstr("parameter 'source.ann' value '10': unknown source parameter (expected "
                        "source.<name>.quota or source.<name>.ef)"));
  EXPECT_THAT(ErrorOf({{"source..quota", "10"}}), HasSubstr("unknown source parameter"));
  EXPECT_THAT(ErrorOf({{"source.a\tb.quota", "10"}}),
              HasSubstr("parameter 'source.a\\x09b.quota' value '10': not a valid source name"));
  EXPECT_THAT(ErrorOf({{"source.ann.breadth", "10"}}), HasSubstr("unknown source parameter"));
  EXPECT_THAT(ErrorOf({{"custom.", "x"}}), HasSubstr("needs a name after 'custom.'"));
}

TEST(VariantParams, RejectsBadQuotas) {
  EXPECT_THAT(ErrorOf({{"source.ann.quota", "-3"}}),
              HasSubstr("parameter 'source.ann.quota' value '-3': must be an integer in [0, "
                        "1048576]"));
  EXPECT_THAT(ErrorOf({{"source.ann.quota", "1048577"}}), HasSubstr("value '1048577'"));
  EXPECT_THAT(ErrorOf({{"source.ann.quota", "12.5"}}), HasSubstr("must be an integer"));
  EXPECT_THAT(ErrorOf({{"source.ann.quota", " 12"}}), HasSubstr("must be an integer"));
  EXPECT_THAT(ErrorOf({{"source.ann.quota", ""}}), HasSubstr("must be an integer"));
  EXPECT_THAT(ErrorOf({{"source.ann.quota", "99999999999999999999999"}}),
              HasSubstr("must be an integer"));
}

TEST(VariantParams, RejectsBadEf) {
  EXPECT_THAT(ErrorOf({{"source.ann.ef", "0"}}),
              HasSubstr("parameter 'source.ann.ef' value '0': must be an integer in [1, "
                        "1048576]"));
  EXPECT_THAT(ErrorOf({{"source.ann.ef", "-1"}}), HasSubstr("value '-1'"));
  EXPECT_THAT(ErrorOf({{"source.ann.ef", "0x10"}}), HasSubstr("must be an integer"));
}

TEST(VariantParams, RejectsLambdaOutsideUnitInterval) {
  EXPECT_THAT(ErrorOf({{"mmr.lambda", "1.5"}}),
              HasSubstr("parameter 'mmr.lambda' value '1.5': must be a number in [0, 1]"));
  EXPECT_THAT(ErrorOf({{"mmr.lambda", "-0.1"}}), HasSubstr("value '-0.1'"));
  EXPECT_THAT(ErrorOf({{"mmr.lambda", "nan"}}), HasSubstr("value 'nan'"));
  EXPECT_THAT(ErrorOf({{"mmr.lambda", "inf"}}), HasSubstr("value 'inf'"));
  EXPECT_THAT(ErrorOf({{"mmr.lambda", "+0.5"}}), HasSubstr("value '+0.5'"));
  EXPECT_THAT(ErrorOf({{"mmr.lambda", "0.3 "}}), HasSubstr("value '0.3 '"));
}

TEST(VariantParams, RejectsBadExploration) {
  EXPECT_THAT(ErrorOf({{"exploration", "yes"}}),
              HasSubstr("parameter 'exploration' value 'yes': must be \"on\" or \"off\""));
  EXPECT_THAT(ErrorOf({{"exploration.share", "1.01"}}),
              HasSubstr("parameter 'exploration.share' value '1.01': must be a number in [0, 1]"));
  EXPECT_THAT(ErrorOf({{"exploration", "off"}, {"exploration.share", "0.2"}}),
              HasSubstr("parameter 'exploration' value 'off' contradicts parameter "
                        "'exploration.share' value '0.2'"));
}

TEST(VariantParams, RejectsBadBudget) {
  EXPECT_THAT(ErrorOf({{"budget_ms", "0"}}),
              HasSubstr("parameter 'budget_ms' value '0': must be a number of milliseconds in "
                        "(0, 60000]"));
  EXPECT_THAT(ErrorOf({{"budget_ms", "-5"}}), HasSubstr("value '-5'"));
  EXPECT_THAT(ErrorOf({{"budget_ms", "60001"}}), HasSubstr("value '60001'"));
  EXPECT_THAT(ErrorOf({{"budget_ms", "20ms"}}), HasSubstr("value '20ms'"));
}

TEST(VariantParams, RejectsBadShadowLists) {
  EXPECT_THAT(ErrorOf({{"shadow", "a,,b"}}),
              HasSubstr("parameter 'shadow' value 'a,,b': empty ranker name"));
  EXPECT_THAT(ErrorOf({{"shadow", ""}}), HasSubstr("empty ranker name"));
  EXPECT_THAT(ErrorOf({{"shadow", "a,b,a"}}),
              HasSubstr("parameter 'shadow' value 'a,b,a': ranker 'a' is listed twice"));
  EXPECT_THAT(ErrorOf({{"shadow", "a,b,c,d,e,f,g,h,i"}}), HasSubstr("at most 8 shadow rankers"));
  EXPECT_THAT(ErrorOf({{"ranker", "gbdt_v7"}, {"shadow", "gbdt_v7"}}),
              HasSubstr("parameter 'shadow' value 'gbdt_v7': ranker 'gbdt_v7' is already the "
                        "variant's parameter 'ranker'"));
}

TEST(VariantParams, RejectsBadNamesAndRepeatedKeys) {
  EXPECT_THAT(ErrorOf({{"ranker", ""}}),
              HasSubstr("parameter 'ranker' value '': not a valid name"));
  EXPECT_THAT(ErrorOf({{"pipeline", "a\tb"}}),
              HasSubstr("parameter 'pipeline' value 'a\\x09b': not a valid name"));
  EXPECT_THAT(ErrorOf({{"ranker", "a"}, {"ranker", "b"}}),
              HasSubstr("parameter 'ranker' is given twice"));
}

TEST(VariantParams, ParamGroupsTieSourceAndExplorationKeysTogether) {
  EXPECT_EQ(ParamGroup("source.ann.quota"), "source.ann");
  EXPECT_EQ(ParamGroup("source.ann.ef"), "source.ann");
  EXPECT_EQ(ParamGroup("source.new.items.ef"), "source.new.items");
  EXPECT_EQ(ParamGroup("exploration"), "exploration");
  EXPECT_EQ(ParamGroup("exploration.share"), "exploration");
  EXPECT_EQ(ParamGroup("mmr.lambda"), "mmr.lambda");
  EXPECT_EQ(ParamGroup("custom.a.ef"), "custom.a.ef");
}

// --- In a config: errors name layer, experiment, variant, key and value. ---

ExperimentConfig OneVariantConfig(Params params) {
  ExperimentConfig c;
  LayerSpec& l = c.layers.emplace_back();
  l.key = "ranking";
  l.salt = "ranking-salt";
  ExperimentSpec& e = l.experiments.emplace_back();
  e.key = "lambda-test";
  e.variants = {{"control", 0.5, {}}, {"low", 0.5, std::move(params)}};
  return c;
}

TEST(VariantParams, ConfigValidationNamesLayerExperimentVariantKeyAndValue) {
  const absl::Status s = ValidateExperimentConfig(OneVariantConfig({{"mmr.lambda", "1.5"}}));
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(),
              HasSubstr("experiment config: layers[0].experiments[0].variants[1].params: layer "
                        "'ranking', experiment 'lambda-test', variant 'low': parameter "
                        "'mmr.lambda' value '1.5': must be a number in [0, 1]"));
  EXPECT_FALSE(ExperimentRouter::Create(OneVariantConfig({{"source.ann.quota", "-1"}})).ok());
}

TEST(VariantParams, JsonConfigWithUnknownKeyIsRejectedWithItsPath) {
  absl::StatusOr<ExperimentConfig> c = ParseExperimentConfig(R"({"layers": [{"key": "ranking",
      "experiments": [{"key": "e", "variants": [{"key": "control"},
        {"key": "t", "params": {"rankr": "gbdt_v8"}}]}]}]})");
  ASSERT_FALSE(c.ok());
  EXPECT_THAT(c.status().message(),
              HasSubstr("layers[0].experiments[0].variants[1].params: layer 'ranking', "
                        "experiment 'e', variant 't': parameter 'rankr' value 'gbdt_v8': "
                        "unknown parameter"));
}

TEST(VariantParams, ASourceGroupBelongsToOneLayer) {
  ExperimentConfig c = OneVariantConfig({{"source.ann.quota", "100"}});
  LayerSpec& other = c.layers.emplace_back();
  other.key = "retrieval";
  other.salt = "retrieval-salt";
  ExperimentSpec& e = other.experiments.emplace_back();
  e.key = "ef-test";
  e.variants = {{"control", 0.5, {}}, {"wide", 0.5, {{"source.ann.ef", "400"}}}};
  const absl::Status s = ValidateExperimentConfig(c);
  EXPECT_THAT(s.message(),
              HasSubstr("parameter 'source.ann.ef' is overridden in layers 'ranking' and "
                        "'retrieval'; a parameter (and its group 'source.ann') belongs to one "
                        "layer"));
  // Another source in the other layer is fine.
  c.layers[1].experiments[0].variants[1].params = {{"source.covis.ef", "400"}};
  EXPECT_TRUE(ValidateExperimentConfig(c).ok());
}

// --- Through the router: typed params are compiled once and shared. ---

TEST(VariantParams, AssignmentsCarryTypedParamsFromTheRouter) {
  ExperimentConfig c;
  LayerSpec& ranking = c.layers.emplace_back();
  ranking.key = ranking.salt = "ranking";
  ExperimentSpec& r = ranking.experiments.emplace_back();
  r.key = "ranker-test";
  r.variants = {{"control", 0.0, {}},
                {"v8", 1.0, {{"ranker", "gbdt_v8"}, {"shadow", "linear_v3"}, {"budget_ms", "30"}}}};
  LayerSpec& retrieval = c.layers.emplace_back();
  retrieval.key = retrieval.salt = "retrieval";
  ExperimentSpec& q = retrieval.experiments.emplace_back();
  q.key = "quota-test";
  q.variants = {{"control", 0.0, {}},
                {"wide",
                 1.0,
                 {{"source.ann.quota", "400"},
                  {"source.ann.ef", "256"},
                  {"mmr.lambda", "0.6"},
                  {"exploration", "off"},
                  {"pipeline", "home-wide"},
                  {"custom.banner", "blue"}}}};
  absl::StatusOr<ExperimentRouter> router = ExperimentRouter::Create(c);
  ASSERT_TRUE(router.ok()) << router.status();

  std::vector<Assignment> out;
  router->Assign("user-1", "home", &out);
  ASSERT_EQ(out.size(), 2u);
  ASSERT_TRUE(out[0].in_experiment);
  EXPECT_EQ(out[0].typed_params->ranker, "gbdt_v8");

  const MergedParams m = MergeParams(out);
  ASSERT_NE(m.ranker, nullptr);
  EXPECT_EQ(*m.ranker, "gbdt_v8");
  ASSERT_NE(m.pipeline, nullptr);
  EXPECT_EQ(*m.pipeline, "home-wide");
  EXPECT_FLOAT_EQ(m.mmr_lambda.value_or(-1.0f), 0.6f);
  EXPECT_EQ(m.exploration, (ExplorationOverride{false, std::nullopt}));
  EXPECT_EQ(m.budget, absl::Milliseconds(30));
  EXPECT_THAT(m.shadow_rankers, ElementsAre("linear_v3"));
  const SourceOverride* ann = FindSourceOverride(out, "ann");
  ASSERT_NE(ann, nullptr);
  EXPECT_EQ(ann->quota, 400u);
  EXPECT_EQ(ann->ef, 256u);
  EXPECT_EQ(FindSourceOverride(out, "covis"), nullptr);
  // The raw strings stay readable, custom keys included.
  EXPECT_EQ(FindParam(out, "source.ann.quota"), absl::string_view("400"));
  EXPECT_EQ(FindParam(out, "custom.banner"), absl::string_view("blue"));

  // Two requests share one compiled VariantParams: nothing is parsed per request.
  const VariantParams* first = out[0].typed_params;
  router->Assign("user-2", "home", &out);
  EXPECT_EQ(out[0].typed_params, first);
}

TEST(VariantParams, RouterListsEveryVariantsParamsForNameResolution) {
  ExperimentConfig c = OneVariantConfig({{"ranker", "gbdt_v8"}, {"shadow", "lin"}});
  c.layers[0].experiments[0].surfaces = {"home"};
  ChallengerSpec& ch = c.challengers.emplace_back();
  ch.key = "challenger";
  ch.layer = "ranking";
  ch.ranker = "gbdt_v9";
  ch.share = 0.1;
  ch.surfaces = {"pdp"};
  absl::StatusOr<ExperimentRouter> router = ExperimentRouter::Create(c);
  ASSERT_TRUE(router.ok()) << router.status();
  const std::vector<ExperimentRouter::VariantInfo> v = router->Variants();
  ASSERT_EQ(v.size(), 4u);
  EXPECT_EQ(v[0].experiment, "lambda-test");
  EXPECT_EQ(v[0].variant, "control");
  EXPECT_TRUE(v[0].params->empty());
  EXPECT_EQ(v[1].variant, "low");
  EXPECT_EQ(v[1].params->ranker, "gbdt_v8");
  EXPECT_EQ(v[1].params->shadow_rankers, std::vector<std::string>{"lin"});
  EXPECT_EQ(v[3].layer, "ranking");
  EXPECT_EQ(v[3].experiment, "challenger");
  EXPECT_EQ(v[3].variant, "challenger");
  EXPECT_EQ(v[3].params->ranker, "gbdt_v9");
}

TEST(VariantParams, UnexposedAssignmentsHaveEmptyTypedParams) {
  ExperimentConfig c = OneVariantConfig({{"ranker", "gbdt_v8"}});
  c.layers[0].experiments[0].coverage = 0.0;  // nobody exposed
  absl::StatusOr<ExperimentRouter> router = ExperimentRouter::Create(c);
  ASSERT_TRUE(router.ok());
  std::vector<Assignment> out;
  router->Assign("user-1", "home", &out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_FALSE(out[0].in_experiment);
  EXPECT_EQ(out[0].typed_params, &VariantParams::Empty());
  EXPECT_EQ(MergeParams(out).ranker, nullptr);
  // A default-constructed Assignment is safe to read too.
  EXPECT_TRUE(Assignment().typed_params->empty());
}

}  // namespace
}  // namespace aisle::routing
