// Parity of aisle's GBDT import + inference with the predictions shipped next
// to the public models in /work/shared/data/gbdt (see its README for what each
// prediction file holds).
#include <cmath>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "aisle/ranking/gbdt_ranker.h"
#include "aisle/ranking/lightgbm_model.h"
#include "aisle/ranking/xgboost_model.h"
#include "gtest/gtest.h"
#include "ranking/gbdt_test_util.h"

namespace aisle::ranking {
namespace {

using testing::Dense;
using testing::SharedGbdt;

#define SKIP_IF_ABSENT(path)                                                         \
  if (!testing::FileExists(path)) {                                                  \
    GTEST_SKIP() << "shared data file " << path << " is absent; parity not checked"; \
  }

// Rows whose double values, once rounded to float (aisle's input type), land
// on the other side of some LightGBM double threshold than the double value:
// LightGBM itself predicted from the doubles, so such rows cannot match.
std::vector<bool> FloatRoundingCrossesThreshold(const GbdtModel& m, const Dense& x) {
  std::vector<bool> crosses(x.rows, false);
  if (x.exact.size() != x.rows * x.cols) return crosses;
  for (size_t r = 0; r < x.rows; ++r) {
    for (const GbdtTree& t : m.trees) {
      for (const GbdtNode& n : t.nodes) {
        if (n.kind != GbdtNodeKind::kNumeric || n.compare != GbdtCompare::kLessEqualDouble)
          continue;
        const double v = x.exact[r * x.cols + n.feature];
        const double f = static_cast<float>(v);
        if ((v <= n.threshold) != (f <= n.threshold)) crosses[r] = true;
      }
    }
  }
  return crosses;
}

// Scores `x` with the compiled ranker (all outputs) and with the reference
// evaluator, and compares both with `expected` (rows x num_outputs, row-major).
void ExpectParity(const GbdtModel& model, const Dense& x, const std::vector<double>& expected,
                  GbdtOutput output, double tol) {
  ASSERT_GT(x.rows, 0u);
  ASSERT_EQ(x.cols, model.num_features);
  const size_t k = model.num_outputs;
  ASSERT_EQ(expected.size(), x.rows * k);
  auto ranker = GbdtRanker::BindIdentity(model);
  ASSERT_TRUE(ranker.ok()) << ranker.status();
  std::vector<float> out(x.rows * k);
  ASSERT_TRUE((*ranker)
                  ->ScoreAll(MatrixView(x.data.data(), x.rows, x.cols),
                             MutableMatrixView(out.data(), x.rows, k), output)
                  .ok());
  std::vector<double> ref(k);
  double max_err = 0, max_ref_err = 0;
  size_t bad = 0, skipped = 0;
  const std::vector<bool> crosses = FloatRoundingCrossesThreshold(model, x);
  for (size_t r = 0; r < x.rows; ++r) {
    if (crosses[r]) {
      ++skipped;
      continue;
    }
    model.PredictMargin(absl::MakeConstSpan(x.data.data() + r * x.cols, x.cols),
                        absl::MakeSpan(ref));
    if (output == GbdtOutput::kTransformed) model.Transform(absl::MakeSpan(ref));
    for (size_t j = 0; j < k; ++j) {
      const double e = expected[r * k + j];
      const double scale = std::max(1.0, std::fabs(e));
      max_err = std::max(max_err, std::fabs(out[r * k + j] - e) / scale);
      max_ref_err = std::max(max_ref_err, std::fabs(ref[j] - e) / scale);
      if (!testing::Near(out[r * k + j], e, tol) && bad++ < 5) {
        ADD_FAILURE() << "row " << r << " output " << j << ": aisle " << out[r * k + j]
                      << " expected " << e << " reference " << ref[j];
      }
    }
  }
  EXPECT_LE(skipped, x.rows / 50 + 1) << "too many rows straddle a threshold in float32";
  if (skipped > 0)
    std::printf("  %zu of %zu rows skipped: float32 input crosses a threshold\n", skipped, x.rows);
  EXPECT_LE(max_err, tol);
  EXPECT_LE(max_ref_err, tol);
  std::printf("  max relative error vs expected: %.3g (reference evaluator %.3g)\n", max_err,
              max_ref_err);
}

TEST(GbdtSharedData, XgboostJsonAgaricusMatchesProbabilities) {
  const std::string model_path = SharedGbdt("leaves/xgagaricus.json");
  SKIP_IF_ABSENT(model_path);
  auto m = LoadXgboostModelFile(model_path);
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->trees.size(), 3u);
  const Dense x = testing::ReadLibsvm(SharedGbdt("leaves/agaricus_test.libsvm"), m->num_features);
  ExpectParity(*m, x, testing::ReadNumbers(SharedGbdt("leaves/xgagaricus_true_predictions.txt")),
               GbdtOutput::kTransformed, 1e-5);
}

TEST(GbdtSharedData, XgboostJsonCategoricalMatchesMargins) {
  const std::string dir = SharedGbdt("treelite/xgb_toy_categorical/");
  SKIP_IF_ABSENT(dir + "xgb_toy_categorical_model.json");
  auto m = LoadXgboostModelFile(dir + "xgb_toy_categorical_model.json");
  ASSERT_TRUE(m.ok()) << m.status();
  const Dense x = testing::ReadLibsvm(dir + "xgb_toy_categorical.test", m->num_features);
  ExpectParity(*m, x, testing::ReadNumbers(dir + "xgb_toy_categorical.test.pred"),
               GbdtOutput::kMargin, 1e-5);
}

TEST(GbdtSharedData, XgboostGblinearIsRejected) {
  const std::string path = SharedGbdt("leaves/xgblin_agaricus.json");
  SKIP_IF_ABSENT(path);
  auto m = LoadXgboostModelFile(path);
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(m.status().message().find("gblinear"), std::string::npos) << m.status();
}

TEST(GbdtSharedData, XgboostBinaryMushroomMatchesMarginsAndProbabilities) {
  const std::string dir = SharedGbdt("treelite/mushroom/");
  SKIP_IF_ABSENT(dir + "mushroom.model");
  auto m = LoadXgboostModelFile(dir + "mushroom.model");
  ASSERT_TRUE(m.ok()) << m.status();
  const Dense x = testing::ReadLibsvm(dir + "agaricus.test", m->num_features);
  ExpectParity(*m, x, testing::ReadNumbers(dir + "agaricus.test.margin"), GbdtOutput::kMargin,
               1e-5);
  ExpectParity(*m, x, testing::ReadNumbers(dir + "agaricus.test.prob"), GbdtOutput::kTransformed,
               1e-5);
}

TEST(GbdtSharedData, XgboostBinaryDermatologyMulticlassMatches) {
  const std::string dir = SharedGbdt("treelite/dermatology/");
  SKIP_IF_ABSENT(dir + "dermatology.model");
  auto m = LoadXgboostModelFile(dir + "dermatology.model");
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->num_outputs, 6u);
  const Dense x = testing::ReadLibsvm(dir + "dermatology.test", m->num_features);
  ExpectParity(*m, x, testing::ReadNumbers(dir + "dermatology.test.margin"), GbdtOutput::kMargin,
               1e-5);
  ExpectParity(*m, x, testing::ReadNumbers(dir + "dermatology.test.prob"), GbdtOutput::kTransformed,
               1e-5);
}

TEST(GbdtSharedData, XgboostBinaryLetorMatchesMargins) {
  const std::string dir = SharedGbdt("treelite/letor/");
  SKIP_IF_ABSENT(dir + "mq2008.model");
  auto m = LoadXgboostModelFile(dir + "mq2008.model");
  ASSERT_TRUE(m.ok()) << m.status();
  const Dense x = testing::ReadLibsvm(dir + "mq2008.test", m->num_features);
  ExpectParity(*m, x, testing::ReadNumbers(dir + "mq2008.test.pred"), GbdtOutput::kMargin, 1e-5);
}

struct LightgbmCase {
  const char* model;
  const char* features;
  size_t skip_columns;
  const char* predictions;
  GbdtOutput output;
};

class GbdtSharedLightgbm : public ::testing::TestWithParam<LightgbmCase> {};

TEST_P(GbdtSharedLightgbm, MatchesLightgbmPredictions) {
  const LightgbmCase& c = GetParam();
  SKIP_IF_ABSENT(SharedGbdt(c.model));
  auto m = LoadLightgbmTextFile(SharedGbdt(c.model));
  ASSERT_TRUE(m.ok()) << m.status();
  const std::string features = SharedGbdt(c.features);
  Dense x;
  if (features.find(".tsv") != std::string::npos) {
    x = testing::ReadTable(features, c.skip_columns);
  } else {
    x = testing::ReadLibsvm(features, m->num_features);
  }
  ExpectParity(*m, x, testing::ReadNumbers(SharedGbdt(c.predictions)), c.output, 1e-5);
}

INSTANTIATE_TEST_SUITE_P(
    Leaves, GbdtSharedLightgbm,
    ::testing::Values(
        LightgbmCase{"leaves/lg_kddcup99.model", "leaves/kddcup99_test.tsv", 0,
                     "leaves/lg_kddcup99_true_predictions.txt", GbdtOutput::kMargin},
        LightgbmCase{"leaves/lgmulticlass.model", "leaves/multiclass_test.tsv", 1,
                     "leaves/lgmulticlass_true_raw_predictions.txt", GbdtOutput::kMargin},
        LightgbmCase{"leaves/lgmulticlass.model", "leaves/multiclass_test.tsv", 1,
                     "leaves/lgmulticlass_true_predictions.txt", GbdtOutput::kTransformed},
        LightgbmCase{"leaves/lg_dart_breast_cancer.model", "leaves/breast_cancer_test.tsv", 0,
                     "leaves/lg_dart_breast_cancer_true_predictions.txt", GbdtOutput::kTransformed},
        LightgbmCase{"leaves/genlin_fmtp_poisson_Frequency.model",
                     "leaves/genlin_fmtp_poisson_Frequency_features.tsv", 0,
                     "leaves/genlin_fmtp_poisson_Frequency_true_predictions.txt",
                     GbdtOutput::kTransformed},
        LightgbmCase{"leaves/genlin_fmtp_gamma_AvgClaimAmount.model",
                     "leaves/genlin_fmtp_gamma_AvgClaimAmount_features.tsv", 0,
                     "leaves/genlin_fmtp_gamma_AvgClaimAmount_true_predictions.txt",
                     GbdtOutput::kTransformed},
        LightgbmCase{"leaves/genlin_fmtp_tweedie_PurePremium.model",
                     "leaves/genlin_fmtp_tweedie_PurePremium_features.tsv", 0,
                     "leaves/genlin_fmtp_tweedie_PurePremium_true_predictions.txt",
                     GbdtOutput::kTransformed},
        LightgbmCase{"treelite/toy_categorical/toy_categorical_model.txt",
                     "treelite/toy_categorical/toy_categorical.test", 0,
                     "treelite/toy_categorical/toy_categorical.test.pred", GbdtOutput::kMargin},
        LightgbmCase{"treelite/sparse_categorical/sparse_categorical_model.txt",
                     "treelite/sparse_categorical/sparse_categorical.test", 0,
                     "treelite/sparse_categorical/sparse_categorical.test.margin",
                     GbdtOutput::kMargin}));

TEST(GbdtSharedData, LightgbmConstantTreeLoads) {
  const std::string path =
      SharedGbdt("treelite/lightgbm_constant_tree/model_with_constant_tree.txt");
  SKIP_IF_ABSENT(path);
  auto m = LoadLightgbmTextFile(path);
  ASSERT_TRUE(m.ok()) << m.status();
  bool has_single_leaf = false;
  for (const GbdtTree& t : m->trees) has_single_leaf |= t.nodes.size() == 1;
  EXPECT_TRUE(has_single_leaf);
  // Compiled and reference evaluators agree on arbitrary rows, NaN included.
  GbdtRankerOptions opts;
  opts.output = GbdtOutput::kMargin;
  auto ranker = GbdtRanker::BindIdentity(*m, opts);
  ASSERT_TRUE(ranker.ok()) << ranker.status();
  std::vector<float> x(m->num_features * 3, 0.5f);
  x[0] = NAN;
  std::vector<float> s(3);
  ASSERT_TRUE((*ranker)->Score(MatrixView(x.data(), 3, m->num_features), absl::MakeSpan(s)).ok());
  std::vector<double> ref(1);
  m->PredictMargin(absl::MakeConstSpan(x.data(), m->num_features), absl::MakeSpan(ref));
  EXPECT_NEAR(s[0], ref[0], 1e-5);
}

TEST(GbdtSharedData, LleavesModelsLoadAndAgreeWithReference) {
  for (const char* rel : {"lleaves/NYC_taxi/model.txt", "lleaves/airline/model.txt"}) {
    const std::string path = SharedGbdt(rel);
    if (!testing::FileExists(path)) GTEST_SKIP() << path << " is absent";
    auto m = LoadLightgbmTextFile(path);
    ASSERT_TRUE(m.ok()) << m.status();
    auto ranker = GbdtRanker::BindIdentity(*m);
    ASSERT_TRUE(ranker.ok()) << ranker.status();
    // No expected predictions ship with these: check the compiled layout
    // against the reference evaluator on a grid of values, NaN and Inf included.
    const size_t rows = 200, cols = m->num_features;
    std::vector<float> x(rows * cols);
    const float special[] = {NAN, INFINITY, -INFINITY, 0.0f, -0.0f, 1e-36f};
    for (size_t i = 0; i < x.size(); ++i) {
      x[i] = (i % 7 == 0) ? special[(i / 7) % 6] : static_cast<float>((i * 37) % 101) - 20.0f;
    }
    std::vector<float> s(rows);
    ASSERT_TRUE((*ranker)->Score(MatrixView(x.data(), rows, cols), absl::MakeSpan(s)).ok());
    std::vector<double> ref(1);
    for (size_t r = 0; r < rows; ++r) {
      m->PredictMargin(absl::MakeConstSpan(x.data() + r * cols, cols), absl::MakeSpan(ref));
      m->Transform(absl::MakeSpan(ref));
      EXPECT_NEAR(s[r], ref[0], 1e-5 * std::max(1.0, std::fabs(ref[0]))) << rel << " row " << r;
    }
  }
}

}  // namespace
}  // namespace aisle::ranking
