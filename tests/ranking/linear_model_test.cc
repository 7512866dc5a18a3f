#include "aisle/ranking/linear_model.h"

#include <cmath>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace aisle::ranking {
namespace {

using ::testing::HasSubstr;

constexpr char kModel[] = R"({
  "format": "aisle.linear", "format_version": 1, "name": "ctr-v1",
  "link": "logistic", "bias": -2.0,
  "weights": [{"feature": "ann_score", "weight": 1.5},
              {"feature": "price", "weight": -0.01, "missing": 30.0}]
})";

TEST(LinearModel, ParsesAisleFormat) {
  absl::StatusOr<LinearModel> m = ParseLinearModelJson(kModel, "ctr.json");
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->name, "ctr-v1");
  EXPECT_EQ(m->link, LinearLink::kLogistic);
  EXPECT_EQ(m->bias, -2.0f);
  ASSERT_EQ(m->terms.size(), 2u);
  EXPECT_EQ(m->terms[0].feature, "ann_score");
  EXPECT_EQ(m->terms[0].weight, 1.5f);
  EXPECT_EQ(m->terms[0].missing_value, 0.0f);
  EXPECT_EQ(m->terms[1].missing_value, 30.0f);
  EXPECT_EQ(m->content_hash.size(), 16u);
  EXPECT_THAT(m->Version(), HasSubstr("logistic:ctr-v1:xxh64="));
  // A different file gives a different version.
  std::string other = kModel;
  other.replace(other.find("-2.0"), 4, "-2.5");
  EXPECT_NE(ParseLinearModelJson(other)->Version(), m->Version());
}

absl::Status ParseWith(const std::string& from, const std::string& to) {
  std::string json = kModel;
  const size_t at = json.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  json.replace(at, from.size(), to);
  return ParseLinearModelJson(json, "ctr.json").status();
}

TEST(LinearModel, RejectsMalformedFiles) {
  absl::Status s = ParseLinearModelJson("{\"format\": ", "ctr.json").status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("ctr.json: malformed JSON at byte"));

  s = ParseWith(R"("feature": "price")", R"("feature": "ann_score")");
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("feature 'ann_score' has two weights"));

  s = ParseWith(R"("weight": 1.5)", R"("weight": "heavy")");
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("weights[0].weight"));

  s = ParseWith(R"("weight": 1.5)", R"("weight": 1e60)");
  EXPECT_THAT(s.message(), HasSubstr("not a finite float"));

  s = ParseWith(R"("link": "logistic")", R"("link": "probit")");
  EXPECT_THAT(s.message(), HasSubstr("'link' is \"probit\""));

  s = ParseWith(R"("bias": -2.0,)", "");
  EXPECT_THAT(s.message(), HasSubstr("has no field 'bias'"));

  s = ParseWith(R"("format_version": 1)", R"("format_version": 2)");
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);

  s = ParseWith(R"("format": "aisle.linear")", R"("format": "aisle.gbdt")");
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
}

TEST(LinearModel, ParsesXgboostGblinear) {
  constexpr char kXgb[] = R"({"learner": {
    "attributes": {}, "feature_names": [], "feature_types": [],
    "gradient_booster": {"model": {"weights": [0.5, 0, -2, 0.25]}, "name": "gblinear"},
    "learner_model_param": {"base_score": "5E-1", "num_class": "0", "num_feature": "3"},
    "objective": {"name": "reg:squarederror"}}, "version": [1, 4, 1]})";
  absl::StatusOr<LinearModel> m = ParseXgboostGblinearJson(kXgb, "lin.json");
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->link, LinearLink::kIdentity);
  EXPECT_FLOAT_EQ(m->bias, 0.75f);  // bias 0.25 + base_score 0.5 (identity objective)
  ASSERT_EQ(m->terms.size(), 2u);   // the zero weight of f1 is dropped
  EXPECT_EQ(m->terms[0].feature, "f0");
  EXPECT_EQ(m->terms[1].feature, "f2");
  EXPECT_EQ(m->terms[1].weight, -2.0f);

  std::string logistic = kXgb;
  logistic.replace(logistic.find("reg:squarederror"), 16, "binary:logistic");
  logistic.replace(logistic.find("5E-1"), 4, "0.8");
  m = ParseXgboostGblinearJson(logistic, "lin.json");
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->link, LinearLink::kLogistic);
  EXPECT_NEAR(m->bias, 0.25 + std::log(0.8 / 0.2), 1e-6);

  std::string trees = kXgb;
  trees.replace(trees.find("\"gblinear\""), 10, "\"gbtree\"");
  absl::Status s = ParseXgboostGblinearJson(trees, "lin.json").status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("booster is 'gbtree'"));

  std::string short_weights = kXgb;
  short_weights.replace(short_weights.find("[0.5, 0, -2, 0.25]"), 18, "[0.5, 0.25]");
  s = ParseXgboostGblinearJson(short_weights, "lin.json").status();
  EXPECT_THAT(s.message(), HasSubstr("has 2 entries, expected num_feature + 1 = 4"));

  std::string poisson = kXgb;
  poisson.replace(poisson.find("reg:squarederror"), 16, "count:poisson");
  s = ParseXgboostGblinearJson(poisson, "lin.json").status();
  EXPECT_EQ(s.code(), absl::StatusCode::kUnimplemented);
  EXPECT_THAT(s.message(), HasSubstr("count:poisson"));

  const std::vector<std::string> names = {"a", "b", "c"};
  m = ParseXgboostGblinearJson(kXgb, "lin.json", names);
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->terms[1].feature, "c");
}

TEST(LinearModel, LoadFileReportsMissingFile) {
  absl::Status s = LoadLinearModelFile("/nonexistent/aisle/model.json").status();
  EXPECT_EQ(s.code(), absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace aisle::ranking
