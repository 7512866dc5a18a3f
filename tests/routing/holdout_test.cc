// Holdouts: a share of units kept on the baseline of every experiment in a set
// of layers (HoldoutSpec in experiment_config.h).
#include <cmath>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "aisle/routing/experiment_config.h"
#include "aisle/routing/experiment_hash.h"
#include "aisle/routing/experiment_router.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace aisle::routing {
namespace {

using ::testing::HasSubstr;

constexpr int kUnits = 100000;
constexpr double kZ999 = 3.2905;  // two-sided 99.9% normal quantile

std::string Unit(int i) { return absl::StrCat("user-", i); }

// Three layers, one experiment each over the whole layer; variant 1 carries a
// parameter of the layer, so a baseline assignment is visible.
ExperimentConfig ThreeLayers() {
  ExperimentConfig c;
  const char* params[][2] = {{"ranker", "gbdt_v8"}, {"mmr.lambda", "0.4"}, {"custom.ui", "b"}};
  const char* names[] = {"ranking", "diversity", "ui"};
  for (int l = 0; l < 3; ++l) {
    LayerSpec& layer = c.layers.emplace_back();
    layer.key = names[l];
    layer.salt = absl::StrCat(names[l], "-salt");
    ExperimentSpec& e = layer.experiments.emplace_back();
    e.key = absl::StrCat(names[l], "-exp");
    e.variants = {{"control", 0.5, {}}, {"treatment", 0.5, {{params[l][0], params[l][1]}}}};
  }
  return c;
}

HoldoutSpec Holdout(double share, std::vector<std::string> layers) {
  HoldoutSpec h;
  h.key = "global-2024";
  h.salt = "holdout-2024";
  h.share = share;
  h.layers = std::move(layers);
  return h;
}

ExperimentRouter MustCreate(const ExperimentConfig& c) {
  absl::StatusOr<ExperimentRouter> r = ExperimentRouter::Create(c);
  EXPECT_TRUE(r.ok()) << r.status();
  return *std::move(r);
}

TEST(Holdout, HeldUnitsGetControlInEveryListedLayerAndAreUntouchedInOthers) {
  const ExperimentRouter plain = MustCreate(ThreeLayers());
  ExperimentConfig with = ThreeLayers();
  with.holdouts.push_back(Holdout(0.1, {"ranking", "diversity"}));
  const ExperimentRouter router = MustCreate(with);
  EXPECT_EQ(router.NumHoldouts(), 1u);

  int held = 0;
  std::vector<Assignment> a, b;
  for (int i = 0; i < kUnits; ++i) {
    const std::string u = Unit(i);
    router.Assign(u, "home", &a);
    plain.Assign(u, "home", &b);
    ASSERT_EQ(a.size(), 3u);
    ASSERT_EQ(b.size(), 3u);
    // A pure function of unit id and salt.
    const bool is_held = HashV2("holdout-2024", u) < 0.1;
    held += is_held;
    for (size_t l = 0; l < 3; ++l) {
      EXPECT_EQ(a[l].experiment, b[l].experiment);
      const bool listed = l < 2;
      if (is_held && listed) {
        EXPECT_TRUE(a[l].holdout) << u;
        EXPECT_EQ(a[l].holdout_key, "global-2024");
        EXPECT_FALSE(a[l].in_experiment) << u;
        EXPECT_EQ(a[l].variant_index, 0);
        EXPECT_EQ(a[l].variant, "control");
        EXPECT_TRUE(a[l].params.empty());
        EXPECT_TRUE(a[l].typed_params->empty());
      } else {
        EXPECT_FALSE(a[l].holdout) << u;
        EXPECT_TRUE(a[l].holdout_key.empty());
        EXPECT_EQ(a[l].in_experiment, b[l].in_experiment) << u;
        EXPECT_EQ(a[l].variant_index, b[l].variant_index) << u;
        EXPECT_EQ(a[l].params.size(), b[l].params.size()) << u;
      }
    }
    if (is_held) {
      EXPECT_EQ(MergeParams(a).ranker, nullptr);
      EXPECT_FALSE(MergeParams(a).mmr_lambda.has_value());
    }
  }
  const double half = kZ999 * std::sqrt(kUnits * 0.1 * 0.9);
  EXPECT_NEAR(held, kUnits * 0.1, half) << "held-out units outside the 99.9% binomial interval";
}

TEST(Holdout, IsDeterministicAcrossRouterInstancesAndConfigChanges) {
  ExperimentConfig c = ThreeLayers();
  c.holdouts.push_back(Holdout(0.05, {"ranking"}));
  const ExperimentRouter r1 = MustCreate(c);
  // Another replica whose layer has other experiments: membership is the same.
  c.layers[0].experiments[0].range_end = 0.5;
  const ExperimentRouter r2 = MustCreate(c);
  std::vector<Assignment> a, b;
  for (int i = 0; i < 5000; ++i) {
    r1.Assign(Unit(i), "home", &a);
    r2.Assign(Unit(i), "home", &b);
    if (b.size() == 3) {
      EXPECT_EQ(a[0].holdout, b[0].holdout) << Unit(i);
    }
  }
}

TEST(Holdout, FirstListingHoldoutInConfigOrderIsReported) {
  ExperimentConfig c = ThreeLayers();
  HoldoutSpec all = Holdout(1.0, {"ranking"});
  all.key = "everyone";
  all.salt = "everyone-salt";
  HoldoutSpec second = Holdout(1.0, {"ranking", "ui"});
  c.holdouts = {all, second};
  const ExperimentRouter router = MustCreate(c);
  std::vector<Assignment> out;
  router.Assign("user-7", "home", &out);
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[0].holdout_key, "everyone");
  EXPECT_FALSE(out[1].holdout);
  EXPECT_EQ(out[2].holdout_key, "global-2024");
}

TEST(Holdout, ShareZeroHoldsNobody) {
  ExperimentConfig c = ThreeLayers();
  c.holdouts.push_back(Holdout(0.0, {"ranking", "diversity", "ui"}));
  const ExperimentRouter router = MustCreate(c);
  std::vector<Assignment> out;
  for (int i = 0; i < 2000; ++i) {
    router.Assign(Unit(i), "home", &out);
    for (const Assignment& a : out) EXPECT_FALSE(a.holdout);
  }
}

TEST(Holdout, ValidationNamesTheHoldoutAndField) {
  const auto error = [](HoldoutSpec h) {
    ExperimentConfig c = ThreeLayers();
    c.holdouts.push_back(std::move(h));
    return std::string(ValidateExperimentConfig(c).message());
  };
  EXPECT_THAT(error(Holdout(1.5, {"ranking"})),
              HasSubstr("holdouts[0].share: must be in [0, 1], got 1.5 (holdout 'global-2024')"));
  EXPECT_THAT(error(Holdout(std::nan(""), {"ranking"})), HasSubstr("holdouts[0].share"));
  EXPECT_THAT(error(Holdout(0.1, {})), HasSubstr("holdouts[0].layers: holdout 'global-2024' "
                                                 "names no layer"));
  EXPECT_THAT(error(Holdout(0.1, {"ranking", "rankng"})),
              HasSubstr("holdouts[0].layers[1]: unknown layer 'rankng'"));
  EXPECT_THAT(error(Holdout(0.1, {"ranking", "ranking"})),
              HasSubstr("holdouts[0].layers[1]: layer 'ranking' is listed twice"));
  HoldoutSpec h = Holdout(0.1, {"ranking"});
  h.salt = "__ranking-salt";  // the seed of layer 'ranking''s hash
  EXPECT_THAT(error(h), HasSubstr("holdouts[0].salt: salt '__ranking-salt' of holdout "
                                  "'global-2024' is already the hash of layer 'ranking'"));
  h.salt = "diversity-exp";  // the seed of an experiment
  EXPECT_THAT(error(h), HasSubstr("is already the hash of experiment 'diversity-exp'"));
  h = Holdout(0.1, {"ranking"});
  h.key = "";
  EXPECT_THAT(error(h), HasSubstr("holdouts[0].key: empty holdout key"));

  ExperimentConfig c = ThreeLayers();
  c.holdouts = {Holdout(0.1, {"ranking"}), Holdout(0.1, {"ui"})};
  EXPECT_THAT(ValidateExperimentConfig(c).message(),
              HasSubstr("holdouts[1].key: duplicate holdout key 'global-2024'"));
  c.holdouts[1].key = "other";
  EXPECT_THAT(ValidateExperimentConfig(c).message(),
              HasSubstr("holdouts[1].salt: salt 'holdout-2024' is also used by holdouts[0]"));
  c.holdouts.clear();
  for (size_t i = 0; i <= kMaxHoldouts; ++i) {
    HoldoutSpec many = Holdout(0.01, {"ranking"});
    many.key = many.salt = absl::StrCat("h", i);
    c.holdouts.push_back(many);
  }
  EXPECT_THAT(ValidateExperimentConfig(c).message(), HasSubstr("65 holdouts, at most 64"));
}

TEST(Holdout, EmptySaltMeansTheKey) {
  ExperimentConfig c = ThreeLayers();
  HoldoutSpec h = Holdout(0.3, {"ranking"});
  h.salt = "";
  c.holdouts.push_back(h);
  const ExperimentRouter router = MustCreate(c);
  std::vector<Assignment> out;
  for (int i = 0; i < 2000; ++i) {
    router.Assign(Unit(i), "home", &out);
    EXPECT_EQ(out[0].holdout, HashV2("global-2024", Unit(i)) < 0.3) << Unit(i);
  }
}

TEST(Holdout, ParsesFromJsonAndRejectsUnknownFieldsWithPath) {
  absl::StatusOr<ExperimentConfig> c = ParseExperimentConfig(R"({
    "layers": [{"key": "ranking"}, {"key": "diversity"}],
    "holdouts": [{"key": "h2024", "share": 0.05, "layers": ["ranking", "diversity"]}]})");
  ASSERT_TRUE(c.ok()) << c.status();
  ASSERT_EQ(c->holdouts.size(), 1u);
  EXPECT_EQ(c->holdouts[0].key, "h2024");
  EXPECT_EQ(c->holdouts[0].salt, "h2024");  // defaults to the key
  EXPECT_DOUBLE_EQ(c->holdouts[0].share, 0.05);
  EXPECT_EQ(c->holdouts[0].layers, (std::vector<std::string>{"ranking", "diversity"}));

  absl::StatusOr<ExperimentConfig> bad = ParseExperimentConfig(R"({
    "layers": [{"key": "ranking"}],
    "holdouts": [{"key": "h", "share": 0.05, "layers": ["ranking"], "surfaces": ["home"]}]})");
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(bad.status().message(), HasSubstr("holdouts[0]: unknown field 'surfaces'"));
  bad = ParseExperimentConfig(R"({
    "layers": [{"key": "ranking"}],
    "holdouts": [{"key": "h", "layers": ["ranking"]}]})");
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(bad.status().message(), HasSubstr("holdouts[0]: missing field 'share'"));
  bad = ParseExperimentConfig(R"({
    "layers": [{"key": "ranking"}],
    "holdouts": [{"key": "h", "share": 0.1, "layers": [3]}]})");
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(bad.status().message(), HasSubstr("holdouts[0].layers[0]: must be a string"));
}

}  // namespace
}  // namespace aisle::routing
