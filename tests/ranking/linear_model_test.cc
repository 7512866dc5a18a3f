#include "aisle/ranking/linear_model.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "absl/strings/str_cat.h"
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
  // Line:column and byte offset of the error (was "ctr.json: malformed JSON at byte 11").
  EXPECT_THAT(s.message(), HasSubstr("ctr.json:1:12 (byte 11): format: malformed JSON"));

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

// Where in kModel a replaced value lands: "<line>:<column> (byte <n>)".
std::string PositionOf(const std::string& json, const std::string& needle) {
  const size_t at = json.find(needle);
  const size_t line_start = json.rfind('\n', at) + 1;
  const size_t line = 1 + std::count(json.begin(), json.begin() + at, '\n');
  return absl::StrCat(line, ":", at - line_start + 1, " (byte ", at, ")");
}

TEST(LinearModel, OverflowingNumberNamesFieldAndPosition) {
  std::string json = kModel;
  json.replace(json.find("1.5"), 3, "1e999");
  absl::Status s = ParseLinearModelJson(json, "ctr.json").status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr(absl::StrCat("ctr.json:", PositionOf(json, "1e999"),
                                                  ": weights[0].weight: number 1e999 overflows "
                                                  "a double")));
}

TEST(LinearModel, WeightThatOverflowsAFloatNamesPositionFieldAndText) {
  std::string json = kModel;
  json.replace(json.find("30.0"), 4, "-4e38");
  absl::Status s = ParseLinearModelJson(json, "ctr.json").status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(),
              HasSubstr(absl::StrCat("ctr.json:", PositionOf(json, "-4e38"),
                                     ": field 'weights[1].missing' is not a finite float: -4e38 "
                                     "(overflows a float)")));
}

TEST(LinearModel, GblinearWithAbsurdFeatureCountNamesFieldAndRange) {
  const std::string json = R"({"learner": {"gradient_booster": {"name": "gblinear",
      "model": {"weights": [0.5]}}, "learner_model_param": {"num_feature": "1e30",
      "base_score": "5E-1"}, "objective": {"name": "reg:squarederror"}}})";
  absl::Status s = ParseXgboostGblinearJson(json, "lin.json").status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr(absl::StrCat("lin.json:", PositionOf(json, "\"1e30\""),
                                                  ": num_feature 1e+30 is not a count in [0, "
                                                  "2^30)")));
}

}  // namespace
}  // namespace aisle::ranking
