#include "aisle/routing/experiment_router.h"

#include <array>
#include <cmath>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "aisle/core/clock.h"
#include "aisle/routing/bucketing.h"
#include "aisle/routing/experiment_hash.h"
#include "aisle/routing/experiment_kill_switch.h"
#include "gtest/gtest.h"

namespace aisle::routing {
namespace {

constexpr int kUnits = 100000;

std::string Unit(int i) { return absl::StrCat("user-", i); }

ExperimentSpec MakeExperiment(const std::string& key, std::vector<double> weights,
                              double start = 0.0, double end = 1.0, double coverage = 1.0) {
  ExperimentSpec e;
  e.key = key;
  e.range_start = start;
  e.range_end = end;
  e.coverage = coverage;
  for (size_t i = 0; i < weights.size(); ++i) {
    e.variants.push_back({absl::StrCat(key, "-v", i), weights[i], {}});
  }
  return e;
}

LayerSpec MakeLayer(const std::string& key, std::vector<ExperimentSpec> exps, int ns_version = 2) {
  LayerSpec l;
  l.key = key;
  l.salt = key;
  l.namespace_hash_version = ns_version;
  l.experiments = std::move(exps);
  return l;
}

ExperimentRouter MustCreate(const ExperimentConfig& c) {
  absl::StatusOr<ExperimentRouter> r = ExperimentRouter::Create(c);
  EXPECT_TRUE(r.ok()) << r.status();
  return *std::move(r);
}

// Pearson chi-square of an r x c contingency table against independence.
template <size_t R, size_t C>
double ChiSquare(const std::array<std::array<double, C>, R>& t) {
  std::array<double, R> rows{};
  std::array<double, C> cols{};
  double total = 0;
  for (size_t i = 0; i < R; ++i) {
    for (size_t j = 0; j < C; ++j) {
      rows[i] += t[i][j];
      cols[j] += t[i][j];
      total += t[i][j];
    }
  }
  double chi = 0;
  for (size_t i = 0; i < R; ++i) {
    for (size_t j = 0; j < C; ++j) {
      const double e = rows[i] * cols[j] / total;
      chi += (t[i][j] - e) * (t[i][j] - e) / e;
    }
  }
  return chi;
}

TEST(ExperimentRouter, FrequenciesFollowWeights) {
  ExperimentConfig c;
  c.layers.push_back(MakeLayer("l", {MakeExperiment("e", {0.2, 0.3, 0.5})}));
  const ExperimentRouter router = MustCreate(c);
  std::array<int, 3> counts{};
  std::vector<Assignment> out;
  for (int i = 0; i < kUnits; ++i) {
    router.Assign(Unit(i), "home", &out);
    ASSERT_EQ(out.size(), 1u);
    ASSERT_TRUE(out[0].in_experiment);
    ++counts[static_cast<size_t>(out[0].variant_index)];
  }
  // Binomial sd at n=100k is <= 0.0016; 0.01 is over 6 sd.
  EXPECT_NEAR(counts[0] / double(kUnits), 0.2, 0.01);
  EXPECT_NEAR(counts[1] / double(kUnits), 0.3, 0.01);
  EXPECT_NEAR(counts[2] / double(kUnits), 0.5, 0.01);
}

TEST(ExperimentRouter, RangeAndCoverageLimitExposure) {
  ExperimentConfig c;
  c.layers.push_back(
      MakeLayer("l", {MakeExperiment("e", {0.5, 0.5}, /*start=*/0.2, /*end=*/0.8, /*cov=*/0.5)}));
  const ExperimentRouter router = MustCreate(c);
  int in_range = 0, exposed = 0;
  std::array<Assignment, 1> out;
  for (int i = 0; i < kUnits; ++i) {
    const size_t n = router.Assign(Unit(i), "", absl::MakeSpan(out));
    if (n == 0) continue;
    ++in_range;
    if (out[0].in_experiment) {
      ++exposed;
      EXPECT_EQ(out[0].params.size(), 0u);
    } else {
      EXPECT_EQ(out[0].variant_index, 0);
      EXPECT_TRUE(out[0].params.empty());
    }
  }
  EXPECT_NEAR(in_range / double(kUnits), 0.6, 0.01);
  EXPECT_NEAR(exposed / double(kUnits), 0.3, 0.01);
}

TEST(ExperimentRouter, ExperimentsInALayerAreMutuallyExclusive) {
  ExperimentConfig c;
  c.layers.push_back(MakeLayer(
      "l", {MakeExperiment("a", {0.5, 0.5}, 0.0, 0.3), MakeExperiment("b", {0.5, 0.5}, 0.3, 0.7),
            MakeExperiment("c", {1.0}, 0.7, 1.0)}));
  const ExperimentRouter router = MustCreate(c);
  std::array<int, 3> counts{};
  std::vector<Assignment> out;
  for (int i = 0; i < kUnits; ++i) {
    router.Assign(Unit(i), "", &out);
    ASSERT_EQ(out.size(), 1u);  // one experiment per layer, and the ranges cover [0, 1)
    ++counts[static_cast<size_t>(out[0].experiment_index)];
  }
  EXPECT_NEAR(counts[0] / double(kUnits), 0.3, 0.01);
  EXPECT_NEAR(counts[1] / double(kUnits), 0.4, 0.01);
  EXPECT_NEAR(counts[2] / double(kUnits), 0.3, 0.01);
}

TEST(ExperimentRouter, LayersAreIndependent) {
  ExperimentConfig c;
  c.layers.push_back(MakeLayer("layer-a", {MakeExperiment("a", {0.25, 0.25, 0.25, 0.25})}));
  c.layers.push_back(MakeLayer("layer-b", {MakeExperiment("b", {0.25, 0.25, 0.25, 0.25})}));
  // Also the namespaces: ranges [0, 0.5) in both layers.
  c.layers.push_back(MakeLayer("layer-c", {MakeExperiment("c", {1.0}, 0.0, 0.5)}));
  c.layers.push_back(MakeLayer("layer-d", {MakeExperiment("d", {1.0}, 0.0, 0.5)}));
  const ExperimentRouter router = MustCreate(c);
  std::array<std::array<double, 4>, 4> variants{};
  std::array<std::array<double, 2>, 2> ranges{};
  std::vector<Assignment> out;
  for (int i = 0; i < kUnits; ++i) {
    router.Assign(Unit(i), "", &out);
    int va = -1, vb = -1, in_c = 0, in_d = 0;
    for (const Assignment& a : out) {
      if (a.experiment == "a") va = a.variant_index;
      if (a.experiment == "b") vb = a.variant_index;
      if (a.experiment == "c") in_c = 1;
      if (a.experiment == "d") in_d = 1;
    }
    ASSERT_GE(va, 0);
    ASSERT_GE(vb, 0);
    variants[static_cast<size_t>(va)][static_cast<size_t>(vb)] += 1;
    ranges[static_cast<size_t>(in_c)][static_cast<size_t>(in_d)] += 1;
  }
  // Chi-square critical values at p = 0.001: 27.88 (9 dof), 10.83 (1 dof).
  EXPECT_LT(ChiSquare(variants), 27.88);
  EXPECT_LT(ChiSquare(ranges), 10.83);
}

// Why layers default to a v2 namespace hash: GrowthBook's v1 inNamespace hash
// of salts that differ only in the last character is nearly a function of the
// other (fnv32a(u + "__layer-b") % 1000 is one of 8 offsets of the "__layer-a"
// value), while v2 with the same salts is independent.
TEST(ExperimentRouter, V1NamespacesWithSimilarSaltsAreCorrelatedV2AreNot) {
  std::array<std::array<double, 10>, 10> v1{}, v2{};
  for (int i = 0; i < kUnits; ++i) {
    const std::string u = Unit(i);
    const auto decile = [](double h) { return static_cast<size_t>(h * 10); };
    v1[decile(HashV1("__layer-a", u))][decile(HashV1("__layer-b", u))] += 1;
    v2[decile(HashV2("__layer-a", u))][decile(HashV2("__layer-b", u))] += 1;
  }
  // 81 dof: the p = 0.001 critical value is 124.8.
  EXPECT_GT(ChiSquare(v1), 10000.0);
  EXPECT_LT(ChiSquare(v2), 124.8);
}

TEST(ExperimentRouter, MatchesGrowthBookSemantics) {
  // A v1 namespace layer with a v1 experiment reproduces GrowthBook's
  // inNamespace + hash + getBucketRanges + chooseVariation exactly.
  ExperimentConfig c;
  ExperimentSpec e = MakeExperiment("exp", {0.4, 0.6}, 0.1, 0.9, 0.7);
  e.seed = "exp-seed";
  e.hash_version = 1;
  c.layers.push_back(MakeLayer("ns", {e}, /*ns_version=*/1));
  const ExperimentRouter router = MustCreate(c);
  const std::vector<double> w = {0.4, 0.6};
  const std::vector<BucketRange> ranges = GetBucketRanges(2, 0.7, w);
  std::vector<Assignment> out;
  for (int i = 0; i < 5000; ++i) {
    const std::string u = Unit(i);
    router.Assign(u, "", &out);
    const bool in_ns = InNamespace(u, {"ns", 0.1, 0.9});
    ASSERT_EQ(out.size(), in_ns ? 1u : 0u) << u;
    if (!in_ns) continue;
    const int v = ChooseVariation(HashV1("exp-seed", u), ranges);
    EXPECT_EQ(out[0].in_experiment, v >= 0) << u;
    EXPECT_EQ(out[0].variant_index, v >= 0 ? v : 0) << u;
    EXPECT_DOUBLE_EQ(out[0].hash, HashV1("exp-seed", u));
  }
}

TEST(ExperimentRouter, IsDeterministicAcrossRouterInstances) {
  ExperimentConfig c;
  c.layers.push_back(MakeLayer("l1", {MakeExperiment("e1", {0.5, 0.5}, 0.0, 0.5)}));
  c.layers.push_back(MakeLayer("l2", {MakeExperiment("e2", {0.1, 0.9})}));
  const ExperimentRouter r1 = MustCreate(c);
  const ExperimentRouter r2 = MustCreate(c);
  std::vector<Assignment> a, b;
  for (int i = 0; i < 2000; ++i) {
    r1.Assign(Unit(i), "home", &a);
    r2.Assign(Unit(i), "home", &b);
    ASSERT_EQ(a.size(), b.size());
    for (size_t k = 0; k < a.size(); ++k) {
      EXPECT_EQ(a[k].experiment, b[k].experiment);
      EXPECT_EQ(a[k].variant_index, b[k].variant_index);
      EXPECT_EQ(a[k].in_experiment, b[k].in_experiment);
    }
  }
}

TEST(ExperimentRouter, SurfaceScopeAndParams) {
  ExperimentConfig c;
  ExperimentSpec home = MakeExperiment("home-ranker", {0.0, 1.0});
  home.surfaces = {"home"};
  home.variants[1].params = {{"ranker", "gbdt_v7"}, {"mmr.lambda", "0.3"}};
  ExperimentSpec pdp = MakeExperiment("pdp-ranker", {0.0, 1.0});
  pdp.surfaces = {"pdp"};
  pdp.variants[1].params = {{"ranker", "linear_v2"}};
  c.layers.push_back(MakeLayer("ranking", {home, pdp}));
  const ExperimentRouter router = MustCreate(c);
  std::vector<Assignment> out;

  router.Assign("user-1", "home", &out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].experiment, "home-ranker");
  EXPECT_EQ(out[0].variant, "home-ranker-v1");
  EXPECT_EQ(FindParam(out, "ranker"), absl::string_view("gbdt_v7"));
  EXPECT_EQ(FindParam(out, "mmr.lambda"), absl::string_view("0.3"));
  EXPECT_FALSE(FindParam(out, "missing").has_value());

  router.Assign("user-1", "pdp", &out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(FindParam(out, "ranker"), absl::string_view("linear_v2"));

  router.Assign("user-1", "search", &out);
  EXPECT_TRUE(out.empty());
}

TEST(ExperimentRouter, ForcedVariantOverridesHashOnItsSurfaces) {
  ExperimentConfig c;
  // Tiny range and zero coverage: without forcing, nobody is exposed.
  ExperimentSpec e = MakeExperiment("e", {0.5, 0.5}, 0.0, 0.001, 0.0);
  e.surfaces = {"home"};
  e.forced_variants = {{"qa-user", "e-v1"}};
  c.layers.push_back(MakeLayer("l", {e}));
  const ExperimentRouter router = MustCreate(c);
  std::vector<Assignment> out;
  router.Assign("qa-user", "home", &out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_TRUE(out[0].forced);
  EXPECT_TRUE(out[0].in_experiment);
  EXPECT_EQ(out[0].variant_index, 1);
  router.Assign("qa-user", "pdp", &out);
  EXPECT_TRUE(out.empty());
}

// Precedence, per layer: kill switch > forced variant > holdout > hash.
ExperimentConfig ForcedHeldConfig() {
  ExperimentConfig c;
  ExperimentSpec e = MakeExperiment("e", {0.5, 0.5});
  e.variants[1].params = {{"ranker", "gbdt_v8"}};
  e.forced_variants = {{"qa-user", "e-v1"}};
  c.layers.push_back(MakeLayer("l", {e}));
  HoldoutSpec everyone;
  everyone.key = "everyone";
  everyone.share = 1.0;  // holds every unit
  everyone.layers = {"l"};
  c.holdouts.push_back(everyone);
  return c;
}

TEST(ExperimentRouter, ForcedVariantBeatsHoldout) {
  const ExperimentRouter router = MustCreate(ForcedHeldConfig());
  std::vector<Assignment> out;
  router.Assign("qa-user", "", &out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_TRUE(out[0].forced);
  EXPECT_TRUE(out[0].in_experiment);
  EXPECT_FALSE(out[0].holdout);  // QA sees what it asked for
  EXPECT_EQ(out[0].variant_index, 1);
  EXPECT_EQ(FindParam(out, "ranker"), absl::string_view("gbdt_v8"));
  router.Assign("user-1", "", &out);  // everyone else is held out
  ASSERT_EQ(out.size(), 1u);
  EXPECT_TRUE(out[0].holdout);
  EXPECT_EQ(out[0].holdout_key, "everyone");
  EXPECT_FALSE(out[0].in_experiment);
  EXPECT_EQ(out[0].variant_index, 0);
}

TEST(ExperimentRouter, KillSwitchBeatsForcedVariantAndHoldout) {
  FakeClock clock;
  ExperimentKillSwitch kills(&clock);
  absl::StatusOr<ExperimentRouter> router = ExperimentRouter::Create(ForcedHeldConfig(), &kills);
  ASSERT_TRUE(router.ok()) << router.status();
  ASSERT_TRUE(kills.Kill("e", "broken ranker", "oncall").ok());
  std::vector<Assignment> out;
  router->Assign("qa-user", "", &out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_TRUE(out[0].killed);
  EXPECT_FALSE(out[0].forced);  // the forced variant was not served
  EXPECT_FALSE(out[0].in_experiment);
  EXPECT_EQ(out[0].variant_index, 0);
  EXPECT_TRUE(out[0].params.empty());
  // The unit is in the holdout and no forced variant applies: reported.
  EXPECT_TRUE(out[0].holdout);
  router->Assign("user-1", "", &out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_TRUE(out[0].killed);
  EXPECT_TRUE(out[0].holdout);  // held-out units stay reported as such
  EXPECT_EQ(out[0].variant_index, 0);

  ASSERT_TRUE(kills.Revive("e", "fixed", "oncall").ok());
  router->Assign("qa-user", "", &out);
  EXPECT_TRUE(out[0].forced);
  EXPECT_FALSE(out[0].killed);
  EXPECT_EQ(out[0].variant_index, 1);
}

TEST(ExperimentRouter, EmptyUnitAndSmallOutputSpan) {
  ExperimentConfig c;
  c.layers.push_back(MakeLayer("l1", {MakeExperiment("e1", {1.0})}));
  c.layers.push_back(MakeLayer("l2", {MakeExperiment("e2", {1.0})}));
  const ExperimentRouter router = MustCreate(c);
  EXPECT_EQ(router.MaxAssignments(), 2u);
  EXPECT_EQ(router.NumExperiments(), 2u);
  std::array<Assignment, 2> out;
  EXPECT_EQ(router.Assign("", "", absl::MakeSpan(out)), 0u);
  EXPECT_EQ(router.Assign("u", "", absl::MakeSpan(out)), 2u);
  EXPECT_EQ(router.Assign("u", "", absl::MakeSpan(out).subspan(0, 1)), 1u);
  EXPECT_EQ(out[0].experiment, "e1");
}

TEST(ExperimentRouter, CreateRejectsInvalidConfig) {
  ExperimentConfig c;
  c.layers.push_back(MakeLayer("l", {MakeExperiment("e", {0.5, 0.6})}));
  absl::StatusOr<ExperimentRouter> r = ExperimentRouter::Create(c);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace aisle::routing
