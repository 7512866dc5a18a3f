// Parity with XGBoost 1.7.4's own predictions on the committed fixtures that
// scripts/make_xgboost_fixtures.py generates (tests/data/ranking/xgb_*).
#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "aisle/ranking/gbdt_ranker.h"
#include "aisle/ranking/xgboost_model.h"
#include "gtest/gtest.h"
#include "ranking/gbdt_test_util.h"

namespace aisle::ranking {
namespace {

using testing::Dense;
using testing::RankingFixture;

struct Case {
  const char* name;
  const char* objective;
};

class XgboostParity : public ::testing::TestWithParam<Case> {};

void Check(const GbdtModel& m, const Dense& x, const std::vector<double>& expected,
           GbdtOutput output) {
  const size_t k = m.num_outputs;
  ASSERT_EQ(expected.size(), x.rows * k);
  auto ranker = GbdtRanker::BindIdentity(m);
  ASSERT_TRUE(ranker.ok()) << ranker.status();
  std::vector<float> out(x.rows * k);
  ASSERT_TRUE((*ranker)
                  ->ScoreAll(MatrixView(x.data.data(), x.rows, x.cols),
                             MutableMatrixView(out.data(), x.rows, k), output)
                  .ok());
  for (size_t i = 0; i < out.size(); ++i) {
    ASSERT_TRUE(testing::Near(out[i], expected[i], 1e-5))
        << "row " << i / k << " output " << i % k << ": aisle " << out[i] << " xgboost "
        << expected[i];
  }
  if (k == 1) {  // Score() agrees with ScoreAll().
    GbdtRankerOptions opts;
    opts.output = output;
    auto r1 = GbdtRanker::BindIdentity(m, opts);
    ASSERT_TRUE(r1.ok());
    std::vector<float> s(x.rows);
    ASSERT_TRUE((*r1)->Score(MatrixView(x.data.data(), x.rows, x.cols), absl::MakeSpan(s)).ok());
    for (size_t i = 0; i < s.size(); ++i) EXPECT_EQ(s[i], out[i]);
  }
}

TEST_P(XgboostParity, MatchesXgboostMarginsAndPredictions) {
  const std::string base = RankingFixture(std::string("xgb_") + GetParam().name);
  auto m = LoadXgboostModelFile(base + ".json");
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->objective, GetParam().objective);
  const Dense x = testing::ReadTable(base + ".inputs.tsv");
  ASSERT_EQ(x.cols, m->num_features);
  size_t nans = 0;
  for (float v : x.data) nans += std::isnan(v);
  EXPECT_GT(nans, 0u) << "fixture inputs should exercise missing values";
  Check(*m, x, testing::ReadNumbers(base + ".margin.txt"), GbdtOutput::kMargin);
  Check(*m, x, testing::ReadNumbers(base + ".pred.txt"), GbdtOutput::kTransformed);
}

INSTANTIATE_TEST_SUITE_P(Fixtures, XgboostParity,
                         ::testing::Values(Case{"binary_logistic", "binary:logistic"},
                                           Case{"reg_logistic", "reg:logistic"},
                                           Case{"binary_logitraw", "binary:logitraw"},
                                           Case{"reg_squarederror", "reg:squarederror"},
                                           Case{"count_poisson", "count:poisson"},
                                           Case{"categorical", "reg:squarederror"},
                                           Case{"multi_softprob", "multi:softprob"},
                                           Case{"rank_ndcg", "rank:ndcg"},
                                           Case{"rank_pairwise", "rank:pairwise"}),
                         [](const ::testing::TestParamInfo<Case>& info) {
                           return std::string(info.param.name);
                         });

TEST(XgboostParity, BracketBaseScoreParsesToTheSameModel) {
  auto plain = LoadXgboostModelFile(RankingFixture("xgb_binary_logistic.json"));
  auto bracket = LoadXgboostModelFile(RankingFixture("xgb_binary_logistic_bracket_base.json"));
  ASSERT_TRUE(plain.ok()) << plain.status();
  ASSERT_TRUE(bracket.ok()) << bracket.status();
  ASSERT_EQ(plain->base_margin.size(), 1u);
  ASSERT_EQ(bracket->base_margin.size(), 1u);
  // base_score 0.3 is a probability: the margin is logit(0.3), not 0.3 or 0.
  EXPECT_NEAR(plain->base_margin[0], std::log(0.3 / 0.7), 1e-7);
  EXPECT_EQ(plain->base_margin[0], bracket->base_margin[0]);
  const Dense x = testing::ReadTable(RankingFixture("xgb_binary_logistic.inputs.tsv"));
  Check(*bracket, x, testing::ReadNumbers(RankingFixture("xgb_binary_logistic.pred.txt")),
        GbdtOutput::kTransformed);
}

TEST(XgboostParity, CategoricalFixtureHasCategoricalSplits) {
  auto m = LoadXgboostModelFile(RankingFixture("xgb_categorical.json"));
  ASSERT_TRUE(m.ok()) << m.status();
  size_t categorical = 0;
  for (const GbdtTree& t : m->trees) {
    for (const GbdtNode& n : t.nodes) categorical += n.kind == GbdtNodeKind::kCategorical;
  }
  EXPECT_GT(categorical, 0u);
}

TEST(XgboostParity, FeatureNamesBindToAPermutedLayout) {
  auto m = LoadXgboostModelFile(RankingFixture("xgb_binary_logistic.json"));
  ASSERT_TRUE(m.ok()) << m.status();
  ASSERT_EQ(m->feature_names.size(), m->num_features);
  // Layout: the model's features reversed, plus an extra column the model ignores.
  std::vector<std::string> layout(m->feature_names.rbegin(), m->feature_names.rend());
  layout.push_back("unrelated");
  auto ranker = GbdtRanker::BindByName(*m, layout);
  ASSERT_TRUE(ranker.ok()) << ranker.status();
  EXPECT_EQ((*ranker)->num_features(), layout.size());
  const Dense x = testing::ReadTable(RankingFixture("xgb_binary_logistic.inputs.tsv"));
  std::vector<float> permuted(x.rows * layout.size(), 123.0f);
  for (size_t r = 0; r < x.rows; ++r) {
    for (size_t c = 0; c < x.cols; ++c) {
      permuted[r * layout.size() + (x.cols - 1 - c)] = x.data[r * x.cols + c];
    }
  }
  std::vector<float> s(x.rows);
  ASSERT_TRUE(
      (*ranker)->Score(MatrixView(permuted.data(), x.rows, layout.size()), absl::MakeSpan(s)).ok());
  const std::vector<double> expected =
      testing::ReadNumbers(RankingFixture("xgb_binary_logistic.pred.txt"));
  for (size_t r = 0; r < x.rows; ++r) EXPECT_NEAR(s[r], expected[r], 1e-5) << "row " << r;
}

}  // namespace
}  // namespace aisle::ranking
