// Challengers: a ranker on a share of traffic, ramped without moving a unit
// already assigned (ChallengerSpec in experiment_config.h).
#include <cmath>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "aisle/routing/experiment_config.h"
#include "aisle/routing/experiment_router.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace aisle::routing {
namespace {

using ::testing::HasSubstr;

constexpr int kUnits = 100000;
// Two-sided 99.9% normal quantile.
constexpr double kZ999 = 3.2905;

std::string Unit(int i) { return absl::StrCat("user-", i); }

// The 99.9% interval of a binomial count over kUnits trials at probability p.
void ExpectWithinBinomialInterval(int count, double p, const std::string& what) {
  const double mean = kUnits * p;
  const double half = kZ999 * std::sqrt(kUnits * p * (1.0 - p));
  EXPECT_GE(count, mean - half) << what << ": " << count << " of " << kUnits << ", expected "
                                << mean << " +- " << half;
  EXPECT_LE(count, mean + half) << what << ": " << count << " of " << kUnits << ", expected "
                                << mean << " +- " << half;
}

ExperimentConfig ConfigWith(ChallengerSpec challenger) {
  ExperimentConfig c;
  LayerSpec& layer = c.layers.emplace_back();
  layer.key = "ranking";
  layer.salt = "ranking-2024";
  c.challengers.push_back(std::move(challenger));
  return c;
}

ChallengerSpec Challenger(double share) {
  ChallengerSpec s;
  s.key = "gbdt-v8-challenger";
  s.layer = "ranking";
  s.ranker = "gbdt_v8";
  s.share = share;
  s.surfaces = {"home"};
  return s;
}

ExperimentRouter MustCreate(const ExperimentConfig& c) {
  absl::StatusOr<ExperimentRouter> r = ExperimentRouter::Create(c);
  EXPECT_TRUE(r.ok()) << r.status();
  return *std::move(r);
}

// -1: not in either arm (served control, not exposed); 0: control; 1: challenger.
int Arm(const ExperimentRouter& router, const std::string& unit) {
  Assignment a;
  if (router.Assign(unit, "home", absl::MakeSpan(&a, 1)) == 0) return -2;
  return a.in_experiment ? a.variant_index : -1;
}

TEST(Challenger, IsAnExperimentWithEqualControlAndChallengerArms) {
  absl::StatusOr<ExperimentSpec> e = MakeChallengerExperiment(Challenger(0.05));
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_EQ(e->key, "gbdt-v8-challenger");
  EXPECT_EQ(e->seed, "gbdt-v8-challenger");
  EXPECT_EQ(e->hash_version, 2);
  EXPECT_DOUBLE_EQ(e->coverage, 0.1);
  ASSERT_EQ(e->variants.size(), 2u);
  EXPECT_EQ(e->variants[0].key, "control");
  EXPECT_TRUE(e->variants[0].params.empty());
  EXPECT_EQ(e->variants[1].key, "challenger");
  ASSERT_EQ(e->variants[1].params.size(), 1u);
  EXPECT_EQ(e->variants[1].params[0].first, "ranker");
  EXPECT_EQ(e->variants[1].params[0].second, "gbdt_v8");
  EXPECT_EQ(e->surfaces, std::vector<std::string>{"home"});
}

TEST(Challenger, ShareIsWithinItsBinomialIntervalOver100kUnits) {
  for (double share : {0.02, 0.05, 0.2}) {
    const ExperimentRouter router = MustCreate(ConfigWith(Challenger(share)));
    int challenger = 0, control = 0, unexposed = 0;
    std::vector<Assignment> out;
    for (int i = 0; i < kUnits; ++i) {
      router.Assign(Unit(i), "home", &out);
      ASSERT_EQ(out.size(), 1u);  // the whole layer is the challenger's range
      const Assignment& a = out[0];
      if (!a.in_experiment) {
        ++unexposed;
        EXPECT_EQ(a.variant, "control");
        EXPECT_EQ(MergeParams(out).ranker, nullptr);
      } else if (a.variant_index == 1) {
        ++challenger;
        EXPECT_EQ(a.variant, "challenger");
        ASSERT_NE(MergeParams(out).ranker, nullptr);
        EXPECT_EQ(*MergeParams(out).ranker, "gbdt_v8");
      } else {
        ++control;
      }
    }
    ExpectWithinBinomialInterval(challenger, share, absl::StrCat("challenger at ", share));
    ExpectWithinBinomialInterval(control, share, absl::StrCat("control at ", share));
    EXPECT_EQ(challenger + control + unexposed, kUnits);
  }
}

TEST(Challenger, ShareInASubRangeIsAShareOfAllTraffic) {
  ChallengerSpec s = Challenger(0.05);
  s.range_start = 0.5;
  s.range_end = 1.0;
  const ExperimentRouter router = MustCreate(ConfigWith(s));
  int challenger = 0, in_range = 0;
  for (int i = 0; i < kUnits; ++i) {
    const int arm = Arm(router, Unit(i));
    in_range += arm != -2;
    challenger += arm == 1;
  }
  ExpectWithinBinomialInterval(in_range, 0.5, "units in the range");
  ExpectWithinBinomialInterval(challenger, 0.05, "challenger");
}

// The ramp 2% -> 5% -> 20%: every unit in an arm at a smaller share is in the
// same arm at every larger share (GrowthBook coverage ramp: the bucket ranges
// [0, c/2) and [0.5, 0.5 + c/2) only grow).
TEST(Challenger, RampNeverMovesAnAssignedUnit) {
  const std::vector<double> ramp = {0.02, 0.05, 0.2};
  std::vector<ExperimentRouter> routers;
  for (double share : ramp) routers.push_back(MustCreate(ConfigWith(Challenger(share))));
  std::vector<int> challengers(ramp.size(), 0);
  for (int i = 0; i < kUnits; ++i) {
    const std::string u = Unit(i);
    std::vector<int> arms;
    for (const ExperimentRouter& r : routers) arms.push_back(Arm(r, u));
    for (size_t step = 0; step < ramp.size(); ++step) {
      challengers[step] += arms[step] == 1;
      if (arms[step] < 0) continue;
      for (size_t later = step + 1; later < ramp.size(); ++later) {
        ASSERT_EQ(arms[later], arms[step])
            << u << " was in arm " << arms[step] << " at share " << ramp[step] << " but in "
            << arms[later] << " at share " << ramp[later];
      }
    }
  }
  // And the ramp did grow the challenger.
  EXPECT_LT(challengers[0], challengers[1]);
  EXPECT_LT(challengers[1], challengers[2]);
}

TEST(Challenger, ForcedUnitsGetTheirArm) {
  ChallengerSpec s = Challenger(0.0);  // staged: nobody by hash
  s.forced_variants = {{"qa-1", "challenger"}, {"qa-2", "control"}};
  const ExperimentRouter router = MustCreate(ConfigWith(s));
  EXPECT_EQ(Arm(router, "qa-1"), 1);
  EXPECT_EQ(Arm(router, "qa-2"), 0);
  EXPECT_EQ(Arm(router, "user-1"), -1);
  ChallengerSpec bad = Challenger(0.02);
  bad.forced_variants = {{"qa-1", "treatment"}};
  EXPECT_THAT(ValidateExperimentConfig(ConfigWith(bad)).message(),
              HasSubstr("challengers[0].forced_variants: unit 'qa-1' forced to unknown variant "
                        "'treatment' of experiment 'gbdt-v8-challenger'"));
}

TEST(Challenger, SharesALayerWithOtherExperimentsInDisjointRanges) {
  ExperimentConfig c = ConfigWith(Challenger(0.1));
  c.challengers[0].range_start = 0.5;
  c.challengers[0].range_end = 1.0;
  ExperimentSpec& lin = c.layers[0].experiments.emplace_back();
  lin.key = "linear";
  lin.range_end = 0.5;
  lin.variants = {{"control", 0.5, {}}, {"lin", 0.5, {{"ranker", "linear_v2"}}}};
  absl::StatusOr<ExperimentConfig> expanded = ExpandChallengers(c);
  ASSERT_TRUE(expanded.ok()) << expanded.status();
  EXPECT_TRUE(expanded->challengers.empty());
  ASSERT_EQ(expanded->layers[0].experiments.size(), 2u);
  EXPECT_EQ(expanded->layers[0].experiments[1].key, "gbdt-v8-challenger");
  const ExperimentRouter router = MustCreate(c);
  EXPECT_EQ(router.NumExperiments(), 2u);

  // Overlapping the other experiment on a common surface is refused.
  c.challengers[0].range_start = 0.4;
  EXPECT_THAT(ValidateExperimentConfig(c).message(),
              HasSubstr("challengers[0].range: [0.4, 1) of experiment 'gbdt-v8-challenger' "
                        "overlaps [0, 0.5) of experiment 'linear' in layer 'ranking'"));
}

TEST(Challenger, ValidationNamesTheChallengerAndField) {
  const auto error = [](ChallengerSpec s) {
    return std::string(ValidateExperimentConfig(ConfigWith(std::move(s))).message());
  };
  ChallengerSpec s = Challenger(0.6);
  EXPECT_THAT(error(s), HasSubstr("challengers[0].share: must be in [0, 0.5] (half of the range "
                                  "[0, 1): the control arm is as large as the challenger's), got "
                                  "0.6 (challenger 'gbdt-v8-challenger')"));
  s = Challenger(0.3);
  s.range_start = 0.5;
  EXPECT_THAT(error(s), HasSubstr("challengers[0].share: must be in [0, 0.25]"));
  s = Challenger(-0.01);
  EXPECT_THAT(error(s), HasSubstr("challengers[0].share"));
  s = Challenger(std::nan(""));
  EXPECT_THAT(error(s), HasSubstr("challengers[0].share"));
  s = Challenger(0.02);
  s.layer = "rankng";
  EXPECT_THAT(error(s), HasSubstr("challengers[0].layer: unknown layer 'rankng' (challenger "
                                  "'gbdt-v8-challenger'; layers: ranking)"));
  s = Challenger(0.02);
  s.ranker = "";
  EXPECT_THAT(error(s), HasSubstr("challengers[0].ranker: empty ranker"));
  s = Challenger(0.02);
  s.key = "";
  EXPECT_THAT(error(s), HasSubstr("challengers[0].key: empty challenger key"));
  s = Challenger(0.02);
  s.range_end = 1.5;
  EXPECT_THAT(error(s), HasSubstr("challengers[0].range: must satisfy 0 <= start < end <= 1"));
  s = Challenger(0.02);
  s.surfaces = {"home", "home"};
  EXPECT_THAT(error(s), HasSubstr("challengers[0].surfaces[1]: duplicate surface 'home'"));
}

TEST(Challenger, KeyIsUniqueAndItsRankerParamBelongsToItsLayer) {
  ExperimentConfig c = ConfigWith(Challenger(0.02));
  c.challengers.push_back(Challenger(0.02));
  c.challengers[1].surfaces = {"pdp"};
  EXPECT_THAT(ValidateExperimentConfig(c).message(),
              HasSubstr("challengers[1].key: duplicate experiment key 'gbdt-v8-challenger' (also "
                        "challengers[0])"));
  c.challengers[1].key = "pdp-challenger";
  EXPECT_TRUE(ValidateExperimentConfig(c).ok());  // disjoint surfaces may overlap

  ExperimentConfig two_layers = ConfigWith(Challenger(0.02));
  LayerSpec& other = two_layers.layers.emplace_back();
  other.key = other.salt = "ui";
  ExperimentSpec& e = other.experiments.emplace_back();
  e.key = "ui-ranker";
  e.variants = {{"control", 0.5, {}}, {"t", 0.5, {{"ranker", "linear"}}}};
  EXPECT_THAT(ValidateExperimentConfig(two_layers).message(),
              HasSubstr("parameter 'ranker' is overridden in layers 'ui' and 'ranking'"));
}

TEST(Challenger, ParsesFromJsonAndRejectsUnknownFieldsWithPath) {
  absl::StatusOr<ExperimentConfig> c = ParseExperimentConfig(R"({
    "layers": [{"key": "ranking"}],
    "challengers": [{"key": "gbdt-v8", "layer": "ranking", "ranker": "gbdt_v8",
                     "share": 0.02, "surfaces": ["home", "pdp"],
                     "forced_variants": {"qa-1": "challenger"}}]})");
  ASSERT_TRUE(c.ok()) << c.status();
  ASSERT_EQ(c->challengers.size(), 1u);
  const ChallengerSpec& s = c->challengers[0];
  EXPECT_EQ(s.key, "gbdt-v8");
  EXPECT_EQ(s.seed, "gbdt-v8");
  EXPECT_EQ(s.ranker, "gbdt_v8");
  EXPECT_DOUBLE_EQ(s.share, 0.02);
  EXPECT_DOUBLE_EQ(s.range_start, 0.0);
  EXPECT_DOUBLE_EQ(s.range_end, 1.0);
  EXPECT_EQ(s.surfaces, (std::vector<std::string>{"home", "pdp"}));
  ASSERT_EQ(s.forced_variants.size(), 1u);

  absl::StatusOr<ExperimentConfig> bad = ParseExperimentConfig(R"({
    "layers": [{"key": "ranking"}],
    "challengers": [{"key": "c", "layer": "ranking", "ranker": "r", "shares": 0.02}]})");
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(bad.status().message(), HasSubstr("challengers[0]: unknown field 'shares'"));
  bad = ParseExperimentConfig(R"({
    "layers": [{"key": "ranking"}],
    "challengers": [{"key": "c", "layer": "ranking", "ranker": "r"}]})");
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(bad.status().message(), HasSubstr("challengers[0]: missing field 'share'"));
  bad = ParseExperimentConfig(R"({
    "layers": [{"key": "ranking"}],
    "challengers": [{"key": "c", "layer": "ranking", "ranker": "r", "share": "2%"}]})");
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(bad.status().message(), HasSubstr("challengers[0].share: must be a number"));
}

}  // namespace
}  // namespace aisle::routing
