#include "aisle/ranking/linear_ranker.h"

#include <cmath>
#include <cstdio>
#include <fstream>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace aisle::ranking {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();

LinearModel Model(LinearLink link) {
  LinearModel m;
  m.name = "t";
  m.link = link;
  m.bias = 0.5f;
  m.terms = {{"a", 2.0f, 0.0f}, {"c", -1.0f, 4.0f}};
  return m;
}

double Sigmoid(double x) { return 1.0 / (1.0 + std::exp(-x)); }

TEST(LinearRanker, ScoresMatchHandComputedMargins) {
  const std::vector<std::string> layout = {"c", "b", "a"};  // b has no weight
  auto r = LinearRanker::Create(Model(LinearLink::kIdentity), layout);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ((*r)->num_features(), 3u);
  EXPECT_THAT((*r)->weights(), ElementsAre(-1.0f, 0.0f, 2.0f));
  const std::vector<float> x = {1,    100,  3,       // 0.5 + 2*3 - 1*1 = 5.5
                                0,    -7,   0,       // 0.5
                                kNaN, 1,    1,       // c missing -> 4: 0.5 + 2 - 4 = -1.5
                                2,    kNaN, kNaN,    // a missing -> 0, b ignored: 0.5 - 2 = -1.5
                                -2,   0,    0.25f};  // 0.5 + 0.5 + 2 = 3
  std::vector<float> scores(5);
  ASSERT_TRUE((*r)->Score(MatrixView(x.data(), 5, 3), absl::MakeSpan(scores)).ok());
  EXPECT_THAT(scores, ElementsAre(5.5f, 0.5f, -1.5f, -1.5f, 3.0f));
}

TEST(LinearRanker, LogisticAppliesSigmoidUnlessMarginRequested) {
  const std::vector<std::string> layout = {"a", "c"};
  auto r = LinearRanker::Create(Model(LinearLink::kLogistic), layout);
  ASSERT_TRUE(r.ok());
  const std::vector<float> x = {1, 1, 0, kNaN, -3, 0};
  std::vector<float> scores(3);
  ASSERT_TRUE((*r)->Score(MatrixView(x.data(), 3, 2), absl::MakeSpan(scores)).ok());
  EXPECT_NEAR(scores[0], Sigmoid(1.5), 1e-6);
  EXPECT_NEAR(scores[1], Sigmoid(-3.5), 1e-6);
  EXPECT_NEAR(scores[2], Sigmoid(-5.5), 1e-6);
  auto margin = LinearRanker::Create(Model(LinearLink::kLogistic), layout, {.output_margin = true});
  ASSERT_TRUE((*margin)->Score(MatrixView(x.data(), 3, 2), absl::MakeSpan(scores)).ok());
  EXPECT_THAT(scores, ElementsAre(1.5f, -3.5f, -5.5f));
}

TEST(LinearRanker, BindingErrorsNameTheFeature) {
  const std::vector<std::string> layout = {"a", "b"};
  absl::Status s = LinearRanker::Create(Model(LinearLink::kIdentity), layout).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(s.message(), HasSubstr("model feature 'c'"));

  auto lenient =
      LinearRanker::Create(Model(LinearLink::kIdentity), layout, {.allow_missing_as_zero = true});
  ASSERT_TRUE(lenient.ok());
  EXPECT_THAT((*lenient)->unbound_features(), ElementsAre("c"));
  const std::vector<float> x = {1, 9};
  std::vector<float> scores(1);
  ASSERT_TRUE((*lenient)->Score(MatrixView(x.data(), 1, 2), absl::MakeSpan(scores)).ok());
  EXPECT_EQ(scores[0], 2.5f);

  const std::vector<std::string> dup = {"a", "c", "a"};
  s = LinearRanker::Create(Model(LinearLink::kIdentity), dup).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("'a' twice"));
}

TEST(LinearRanker, RejectsWrongShapes) {
  const std::vector<std::string> layout = {"a", "c"};
  auto r = LinearRanker::Create(Model(LinearLink::kIdentity), layout);
  ASSERT_TRUE(r.ok());
  const std::vector<float> x(6, 1.0f);
  std::vector<float> scores(2);
  EXPECT_EQ((*r)->Score(MatrixView(x.data(), 2, 3), absl::MakeSpan(scores)).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ((*r)->Score(MatrixView(x.data(), 3, 2), absl::MakeSpan(scores)).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE((*r)->Score(MatrixView(nullptr, 0, 2), absl::Span<float>()).ok());
}

// XGBoost gblinear parity on leaves' agaricus fixture: margins and
// probabilities must match XGBoost's own predictions within 1e-5.
TEST(LinearRanker, MatchesXgboostGblinearPredictions) {
  const std::string dir = absl::StrCat(AISLE_SHARED_DATA_DIR, "/gbdt/leaves/");
  std::ifstream libsvm(dir + "agaricus_test.libsvm");
  std::ifstream raw_file(dir + "xgblin_agaricus_true_raw_predictions.txt");
  std::ifstream prob_file(dir + "xgblin_agaricus_true_predictions.txt");
  if (!libsvm || !raw_file || !prob_file) {
    GTEST_SKIP() << "shared data absent: " << dir << " (xgblin_agaricus fixtures)";
  }
  absl::StatusOr<LinearModel> model = LoadLinearModelFile(dir + "xgblin_agaricus.json");
  ASSERT_TRUE(model.ok()) << model.status();
  EXPECT_EQ(model->link, LinearLink::kLogistic);
  constexpr size_t kCols = 127;
  std::vector<std::string> layout;
  for (size_t i = 0; i < kCols; ++i) layout.push_back(absl::StrCat("f", i));

  std::vector<float> x;
  std::string line;
  size_t rows = 0;
  while (std::getline(libsvm, line)) {
    x.resize((rows + 1) * kCols, kNaN);  // absent features are missing
    std::istringstream in(line);
    std::string tok;
    in >> tok;  // label
    while (in >> tok) {
      const size_t colon = tok.find(':');
      const size_t j = std::stoul(tok.substr(0, colon));
      ASSERT_LT(j, kCols);
      x[rows * kCols + j] = std::stof(tok.substr(colon + 1));
    }
    ++rows;
  }
  ASSERT_EQ(rows, 1611u);
  std::vector<double> want_raw, want_prob;
  for (double v; raw_file >> v;) want_raw.push_back(v);
  for (double v; prob_file >> v;) want_prob.push_back(v);
  ASSERT_EQ(want_raw.size(), rows);
  ASSERT_EQ(want_prob.size(), rows);

  auto prob = LinearRanker::Create(*model, layout);
  auto raw = LinearRanker::Create(*model, layout, {.output_margin = true});
  ASSERT_TRUE(prob.ok()) << prob.status();
  ASSERT_TRUE(raw.ok());
  std::vector<float> p(rows), m(rows);
  ASSERT_TRUE((*prob)->Score(MatrixView(x.data(), rows, kCols), absl::MakeSpan(p)).ok());
  ASSERT_TRUE((*raw)->Score(MatrixView(x.data(), rows, kCols), absl::MakeSpan(m)).ok());
  double max_raw = 0, max_prob = 0;
  for (size_t i = 0; i < rows; ++i) {
    max_raw = std::max(max_raw, std::abs(m[i] - want_raw[i]));
    max_prob = std::max(max_prob, std::abs(p[i] - want_prob[i]));
  }
  std::printf("gblinear parity over %zu rows: max |margin diff| %.3g, max |prob diff| %.3g\n", rows,
              max_raw, max_prob);
  EXPECT_LT(max_raw, 1e-5);
  EXPECT_LT(max_prob, 1e-5);
  // Missing as NaN and missing as 0 agree for gblinear.
  for (float& v : x) v = std::isnan(v) ? 0.0f : v;
  std::vector<float> m0(rows);
  ASSERT_TRUE((*raw)->Score(MatrixView(x.data(), rows, kCols), absl::MakeSpan(m0)).ok());
  for (size_t i = 0; i < rows; ++i) EXPECT_NEAR(m0[i], m[i], 1e-5) << i;
}

}  // namespace
}  // namespace aisle::ranking
