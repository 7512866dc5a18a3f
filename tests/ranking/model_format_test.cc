// A model file handed to the wrong importer is reported as the format it is
// ("this looks like a LightGBM text model; load it as LightGBM"), never as a
// corrupt file of the format that was expected (a "truncated legacy binary").
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "aisle/core/file.h"
#include "aisle/ranking/lightgbm_model.h"
#include "aisle/ranking/linear_model.h"
#include "aisle/ranking/xgboost_model.h"
#include "gtest/gtest.h"
#include "ranking/gbdt_test_util.h"

namespace aisle::ranking {
namespace {

constexpr char kLightgbm[] =
    "tree\nversion=v3\nnum_class=1\nnum_tree_per_iteration=1\nlabel_index=0\n"
    "max_feature_idx=0\nobjective=regression\nfeature_names=f0\nfeature_infos=none\n"
    "tree_sizes=50\n\nTree=0\nnum_leaves=1\nnum_cat=0\nleaf_value=0.5\nshrinkage=1\n\n"
    "end of trees\n";

constexpr char kAisleLinear[] =
    R"({"format": "aisle.linear", "format_version": 1, "name": "m", "link": "identity",
        "bias": 0.5, "weights": []})";

// The start of an XGBoost legacy binary: the 136-byte learner parameters, then
// the objective and booster names.
std::string XgboostBinaryHead() {
  std::string b(136, '\0');
  const float base = 0.5f;
  const uint32_t num_feature = 2, major = 1;
  std::memcpy(&b[0], &base, 4);
  std::memcpy(&b[4], &num_feature, 4);
  std::memcpy(&b[20], &major, 4);
  for (const std::string s : {"binary:logistic", "gbtree"}) {
    const uint64_t n = s.size();
    b.append(reinterpret_cast<const char*>(&n), 8);
    b += s;
  }
  return b;
}

std::string TempPath(const std::string& name) {
  return std::string(::testing::TempDir()) + "/aisle_model_format_" + name;
}

template <typename T>
void ExpectSays(const absl::StatusOr<T>& r, const std::string& needle) {
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument) << r.status();
  EXPECT_NE(r.status().message().find(needle), std::string::npos)
      << "message \"" << r.status().message() << "\" lacks \"" << needle << "\"";
  EXPECT_EQ(r.status().message().find("truncated"), std::string::npos) << r.status();
}

TEST(ModelFormat, LightgbmFileGivenAsXgboostSaysLoadItAsLightgbm) {
  const std::string path = TempPath("lgb.txt");
  ASSERT_TRUE(WriteFileAtomically(path, kLightgbm).ok());
  ExpectSays(LoadXgboostModelFile(path),
             path + ": this looks like a LightGBM text model, not an XGBoost model (JSON or "
                    "legacy binary); load it as LightGBM");
  // The same through the format-specific parsers (as the C API calls them).
  ExpectSays(ParseXgboostBinary(kLightgbm, "m.bin"),
             "m.bin: this looks like a LightGBM text model, not an XGBoost legacy binary model; "
             "load it as LightGBM");
  ExpectSays(ParseXgboostJson(kLightgbm, "m.json"),
             "m.json: this looks like a LightGBM text model, not an XGBoost JSON model; load it "
             "as LightGBM");
  std::remove(path.c_str());
}

TEST(ModelFormat, RealLightgbmModelGivenAsXgboostSaysLoadItAsLightgbm) {
  const std::string path = testing::SharedGbdt("leaves/lg_kddcup99.model");
  if (!testing::FileExists(path)) {
    GTEST_SKIP() << "shared data file " << path << " is absent; the real-model case is not run";
  }
  ASSERT_TRUE(LoadLightgbmTextFile(path).ok());
  ExpectSays(LoadXgboostModelFile(path), "this looks like a LightGBM text model");
  ExpectSays(LoadLinearModelFile(path), "this looks like a LightGBM text model");
}

TEST(ModelFormat, XgboostModelsGivenAsLightgbmSayLoadThemAsXgboost) {
  const std::string json_path = testing::RankingFixture("xgb_binary_logistic.json");
  ASSERT_TRUE(LoadXgboostModelFile(json_path).ok());
  ExpectSays(LoadLightgbmTextFile(json_path),
             "this looks like an XGBoost JSON model, not a LightGBM text model; load it as "
             "XGBoost");
  ExpectSays(ParseLightgbmText(XgboostBinaryHead(), "m.model"),
             "m.model: this looks like an XGBoost legacy binary model, not a LightGBM text model; "
             "load it as XGBoost");
}

TEST(ModelFormat, RealXgboostBinaryGivenAsLightgbmOrLinearIsNamed) {
  const std::string path = testing::SharedGbdt("treelite/mushroom/mushroom.model");
  if (!testing::FileExists(path)) {
    GTEST_SKIP() << "shared data file " << path << " is absent; the real-model case is not run";
  }
  ASSERT_TRUE(LoadXgboostModelFile(path).ok());
  ExpectSays(LoadLightgbmTextFile(path), "this looks like an XGBoost legacy binary model");
  ExpectSays(LoadLinearModelFile(path), "this looks like an XGBoost legacy binary model");
}

TEST(ModelFormat, LinearModelGivenAsAGbdtSaysLoadItAsLinear) {
  ExpectSays(ParseXgboostJson(kAisleLinear, "m.json"),
             "this looks like an aisle linear model (format \"aisle.linear\"), not an XGBoost "
             "JSON model; load it as a linear model");
  ExpectSays(ParseLightgbmText(kAisleLinear, "m.json"), "load it as a linear model");
}

TEST(ModelFormat, LightgbmGivenAsLinearSaysLoadItAsLightgbm) {
  ExpectSays(ParseLinearModelJson(kLightgbm, "m.txt"),
             "m.txt: this looks like a LightGBM text model, not a linear model (aisle.linear JSON "
             "or XGBoost gblinear JSON); load it as LightGBM");
  ExpectSays(ParseXgboostGblinearJson(kLightgbm, "m.txt"), "load it as LightGBM");
}

TEST(ModelFormat, XgboostJsonGivenAsAisleLinearJsonSaysWhichParser) {
  const std::string path = testing::RankingFixture("xgb_binary_logistic.json");
  auto bytes = ReadFileToString(path);
  ASSERT_TRUE(bytes.ok());
  ExpectSays(ParseLinearModelJson(*bytes, "m.json"),
             "m.json: this looks like an XGBoost JSON model, not aisle.linear JSON");
  ExpectSays(ParseXgboostGblinearJson(kAisleLinear, "m.json"),
             "this looks like an aisle linear model");
}

TEST(ModelFormat, XgboostJsonGivenToTheBinaryParserSaysWhichParser) {
  const std::string path = testing::RankingFixture("xgb_binary_logistic.json");
  auto bytes = ReadFileToString(path);
  ASSERT_TRUE(bytes.ok());
  ExpectSays(ParseXgboostBinary("\n  " + *bytes, "m.json"),
             "m.json: this looks like an XGBoost JSON model, not an XGBoost legacy binary model; "
             "parse it with ParseXgboostJson");
}

TEST(ModelFormat, TextThatIsNoModelIsNotCalledATruncatedBinary) {
  ExpectSays(ParseXgboostBinary("hello, world\n", "m.bin"),
             "m.bin: this looks like text that is not a model aisle knows, not an XGBoost legacy "
             "binary model");
}

}  // namespace
}  // namespace aisle::ranking
