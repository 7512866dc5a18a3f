// Bad-input handling of the XGBoost and LightGBM importers: every malformed
// model fails at load with a message naming the tree and node (or line).
#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "aisle/ranking/lightgbm_model.h"
#include "aisle/ranking/xgboost_model.h"
#include "gtest/gtest.h"

namespace aisle::ranking {
namespace {

// A 3-node XGBoost JSON model; the tree fields are substitutable.
std::string XgbJson(const std::string& tree_overrides = "",
                    const std::string& objective = "binary:logistic",
                    const std::string& booster = "gbtree", const std::string& base = "5E-1") {
  std::string tree = absl::StrCat(
      R"({"tree_param":{"num_nodes":"3","num_feature":"2"},"id":0,)",
      R"("left_children":LEFT,"right_children":[2,-1,-1],"split_indices":[FEAT,0,0],)",
      R"("split_conditions":[COND,-0.5,0.5],"default_left":[1,0,0],"split_type":[0,0,0],)",
      R"("categories":[],"categories_nodes":[],"categories_segments":[],"categories_sizes":[],)",
      R"("base_weights":[0,0,0]})");
  std::string left = "[1,-1,-1]", feat = "1", cond = "0.25";
  for (const auto& kv : absl::StrSplit(tree_overrides, ';', absl::SkipEmpty())) {
    const std::pair<std::string, std::string> p = absl::StrSplit(kv, absl::MaxSplits('=', 1));
    if (p.first == "LEFT") left = p.second;
    if (p.first == "FEAT") feat = p.second;
    if (p.first == "COND") cond = p.second;
  }
  tree = absl::StrReplaceAll(tree, {{"LEFT", left}, {"FEAT", feat}, {"COND", cond}});
  return absl::StrCat(R"({"learner":{"attributes":{},"feature_names":["a","b"],)",
                      R"("gradient_booster":{"name":")", booster,
                      R"(","model":{"gbtree_model_param":{"num_trees":"1"},"tree_info":[0],)",
                      R"("trees":[)", tree, R"(]}},"learner_model_param":{"base_score":")", base,
                      R"(","num_class":"0","num_feature":"2"},"objective":{"name":")", objective,
                      R"("}},"version":[1,7,4]})");
}

void ExpectError(const absl::StatusOr<GbdtModel>& m, absl::StatusCode code,
                 const std::string& needle) {
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.status().code(), code) << m.status();
  EXPECT_NE(m.status().message().find(needle), std::string::npos)
      << "message \"" << m.status().message() << "\" lacks \"" << needle << "\"";
}

std::string Replace(std::string text, const std::string& from, const std::string& to) {
  const size_t at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  if (at != std::string::npos) text.replace(at, from.size(), to);
  return text;
}

TEST(XgboostImport, ParsesWellFormedModel) {
  auto m = ParseXgboostJson(XgbJson());
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->trees.size(), 1u);
  EXPECT_EQ(m->feature_names, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(m->base_margin[0], 0.0);  // logit(0.5)
  std::vector<double> out(1);
  const float row[] = {0.0f, 0.1f};
  m->PredictMargin(row, absl::MakeSpan(out));
  EXPECT_FLOAT_EQ(out[0], -0.5f);
}

TEST(XgboostImport, DefaultLeftAcceptsBooleans) {
  std::string json = XgbJson();
  json = absl::StrReplaceAll(
      json, {{R"("default_left":[1,0,0])", R"("default_left":[true,false,false])"}});
  auto m = ParseXgboostJson(json);
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_TRUE(m->trees[0].nodes[0].default_left);
  EXPECT_FALSE(m->trees[0].nodes[1].default_left);
}

TEST(XgboostImport, BaseScoreIsConvertedThroughTheInverseLink) {
  auto logistic = ParseXgboostJson(XgbJson("", "binary:logistic", "gbtree", "[2E-1]"));
  ASSERT_TRUE(logistic.ok()) << logistic.status();
  EXPECT_NEAR(logistic->base_margin[0], std::log(0.2 / 0.8), 1e-12);
  auto poisson = ParseXgboostJson(XgbJson("", "count:poisson", "gbtree", "2E0"));
  ASSERT_TRUE(poisson.ok()) << poisson.status();
  EXPECT_NEAR(poisson->base_margin[0], std::log(2.0), 1e-12);
  auto squared = ParseXgboostJson(XgbJson("", "reg:squarederror", "gbtree", "2E0"));
  ASSERT_TRUE(squared.ok()) << squared.status();
  EXPECT_EQ(squared->base_margin[0], 2.0);
  ExpectError(ParseXgboostJson(XgbJson("", "binary:logistic", "gbtree", "1.5")),
              absl::StatusCode::kInvalidArgument, "base_score");
}

TEST(XgboostImport, RejectsMalformedJson) {
  // The message gives line:column, byte offset and the JSON path of the value being read.
  ExpectError(ParseXgboostJson("{\"learner\": [1, 2", "m.json"), absl::StatusCode::kInvalidArgument,
              "m.json:1:18 (byte 17): learner[2]: malformed JSON");
}

TEST(XgboostImport, RejectsTruncatedFile) {
  const std::string json = XgbJson();
  ExpectError(ParseXgboostJson(json.substr(0, json.size() / 2), "m.json"),
              absl::StatusCode::kInvalidArgument, "m.json");
}

TEST(XgboostImport, RejectsDartAndGblinearBoosters) {
  ExpectError(ParseXgboostJson(XgbJson("", "binary:logistic", "dart")),
              absl::StatusCode::kFailedPrecondition, "dart");
  ExpectError(ParseXgboostJson(XgbJson("", "binary:logistic", "gblinear")),
              absl::StatusCode::kFailedPrecondition, "gblinear");
}

TEST(XgboostImport, RejectsUnsupportedObjective) {
  ExpectError(ParseXgboostJson(XgbJson("", "survival:aft")), absl::StatusCode::kFailedPrecondition,
              "survival:aft");
}

TEST(XgboostImport, RejectsFeatureIndexOutOfRange) {
  ExpectError(ParseXgboostJson(XgbJson("FEAT=7")), absl::StatusCode::kInvalidArgument,
              "tree 0 node 0: feature index 7");
}

TEST(XgboostImport, RejectsChildIndexOutOfRange) {
  ExpectError(ParseXgboostJson(XgbJson("LEFT=[9,-1,-1]")), absl::StatusCode::kInvalidArgument,
              "tree 0 node 0: child index 9");
}

TEST(XgboostImport, RejectsCycle) {
  // Node 1 becomes a split whose children are the root and node 2.
  std::string json = XgbJson("LEFT=[1,0,-1]");
  json = absl::StrReplaceAll(json,
                             {{R"("right_children":[2,-1,-1])", R"("right_children":[2,2,-1])"}});
  ExpectError(ParseXgboostJson(json), absl::StatusCode::kInvalidArgument, "tree 0 node 1");
}

TEST(XgboostImport, RejectsNanThreshold) {
  ExpectError(ParseXgboostJson(XgbJson("COND=NaN")), absl::StatusCode::kInvalidArgument,
              "tree 0 node 0: threshold is NaN");
}

// The legacy binary layout up to the first tree's parameters, declaring one
// tree of 3 nodes, then cut off.
std::string TruncatedBinary() {
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
  std::string gb(160, '\0');
  const int32_t one = 1;
  std::memcpy(&gb[0], &one, 4);   // num_trees
  std::memcpy(&gb[24], &one, 4);  // num_output_group
  b += gb;
  std::string tree(148, '\0');
  const int32_t three = 3;
  std::memcpy(&tree[4], &three, 4);  // num_nodes
  b += tree;
  b += std::string(30, '\0');  // 1.5 of 3 nodes
  return b;
}

TEST(XgboostImport, RejectsTruncatedBinary) {
  ExpectError(ParseXgboostBinary(TruncatedBinary(), "m.model"), absl::StatusCode::kInvalidArgument,
              "m.model: tree 0");
  ExpectError(ParseXgboostBinary(std::string(100, '\0'), "m.model"),
              absl::StatusCode::kInvalidArgument, "m.model: truncated");
}

// A LightGBM model with one 3-leaf tree; fields substitutable.
std::string LgbText(const std::string& tree_extra = "",
                    const std::string& objective = "binary sigmoid:1", bool end = true) {
  std::string tree =
      "Tree=0\nnum_leaves=3\nnum_cat=0\nsplit_feature=0 1\nsplit_gain=1 1\n"
      "threshold=0.5 1.5\ndecision_type=2 10\nleft_child=1 -1\nright_child=-2 -3\n"
      "leaf_value=0.1 0.2 0.3\nleaf_count=1 1 1\ninternal_value=0 0\ninternal_count=3 2\n"
      "shrinkage=1\n";
  for (const auto& kv : absl::StrSplit(tree_extra, ';', absl::SkipEmpty())) {
    const std::pair<std::string, std::string> p = absl::StrSplit(kv, absl::MaxSplits('=', 1));
    const size_t at = tree.find(p.first + "=");
    const size_t eol = tree.find('\n', at);
    tree.replace(at, eol - at, p.first + "=" + p.second);
  }
  return absl::StrCat("tree\nversion=v3\nnum_class=1\nnum_tree_per_iteration=1\nlabel_index=0\n",
                      "max_feature_idx=1\nobjective=", objective,
                      "\nfeature_names=f0 f1\nfeature_infos=none none\ntree_sizes=100\n\n", tree,
                      "\n\n", end ? "end of trees\n" : "");
}

TEST(LightgbmImport, ParsesWellFormedModel) {
  auto m = ParseLightgbmText(LgbText());
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->trees[0].nodes.size(), 5u);
  EXPECT_EQ(m->transform, GbdtTransform::kSigmoid);
  std::vector<double> out(1);
  const float row[] = {0.25f, 2.0f};  // node 0 left -> node 1 (f1 > 1.5) right -> leaf 2
  m->PredictMargin(row, absl::MakeSpan(out));
  EXPECT_DOUBLE_EQ(out[0], 0.3);
}

TEST(LightgbmImport, RejectsTruncatedText) {
  ExpectError(ParseLightgbmText(LgbText("", "binary sigmoid:1", false), "m.txt"),
              absl::StatusCode::kInvalidArgument, "truncated");
}

TEST(LightgbmImport, RejectsChildOutOfRange) {
  ExpectError(ParseLightgbmText(LgbText("left_child=1 -7"), "m.txt"),
              absl::StatusCode::kInvalidArgument, "tree 0 node 1: child index -7");
}

TEST(LightgbmImport, RejectsCycle) {
  ExpectError(ParseLightgbmText(LgbText("left_child=1 0"), "m.txt"),
              absl::StatusCode::kInvalidArgument, "tree 0 node 1");
}

TEST(LightgbmImport, RejectsFeatureIndexOutOfRange) {
  ExpectError(ParseLightgbmText(LgbText("split_feature=0 5"), "m.txt"),
              absl::StatusCode::kInvalidArgument, "tree 0 node 1: feature index 5");
}

TEST(LightgbmImport, RejectsNanThreshold) {
  ExpectError(ParseLightgbmText(LgbText("threshold=nan 1.5"), "m.txt"),
              absl::StatusCode::kInvalidArgument, "tree 0 node 0: threshold is NaN");
}

TEST(LightgbmImport, RejectsWrongArrayLengthNamingLine) {
  // The threshold line is line 17 of the generated text.
  ExpectError(ParseLightgbmText(LgbText("threshold=0.5"), "m.txt"),
              absl::StatusCode::kInvalidArgument, "m.txt:17: tree 0: field threshold has 1");
}

TEST(LightgbmImport, RejectsUnsupportedObjective) {
  ExpectError(ParseLightgbmText(LgbText("", "cross_entropy_lambda"), "m.txt"),
              absl::StatusCode::kFailedPrecondition, "cross_entropy_lambda");
}

TEST(LightgbmImport, RejectsGarbage) {
  ExpectError(ParseLightgbmText("hello world\nthis is not a model\n", "m.txt"),
              absl::StatusCode::kInvalidArgument, "m.txt");
}

// --- numbers that overflow or are not finite name file, position, path and text ---

TEST(XgboostImport, OverflowingNumberNamesFieldAndPosition) {
  const std::string json = XgbJson("COND=1e999");
  const size_t at = json.find("1e999");
  ExpectError(ParseXgboostJson(json, "m.json"), absl::StatusCode::kInvalidArgument,
              absl::StrCat("m.json:1:", at + 1, " (byte ", at,
                           "): learner.gradient_booster.model.trees[0].split_conditions[0]: "
                           "number 1e999 overflows a double"));
}

TEST(XgboostImport, OverflowingNumberOnALaterLineGivesLineAndColumn) {
  std::string json = XgbJson("COND=\n  1e999");
  ExpectError(ParseXgboostJson(json, "m.json"), absl::StatusCode::kInvalidArgument,
              "m.json:2:3 (byte");
}

TEST(XgboostImport, LeafThatOverflowsAFloatNamesPathAndText) {
  std::string json = XgbJson();
  const size_t at = json.find("-0.5");
  json.replace(at, 4, "1e39");
  ExpectError(ParseXgboostJson(json, "m.json"), absl::StatusCode::kInvalidArgument,
              absl::StrCat("m.json:1:", at + 1, " (byte ", at,
                           "): learner.gradient_booster.model.trees[0].split_conditions[1]: tree 0 "
                           "node 1: leaf value 1e39 overflows a float"));
}

TEST(XgboostImport, NanLeafWrittenBareNamesPathAndPositionInTheOriginalText) {
  // XGBoost writes non-finite values as bare NaN; the importer quotes them to
  // parse, but positions refer to the file as written.
  std::string json = XgbJson();
  const size_t at = json.find(",0.5]") + 1;  // the second leaf (node 2)
  json.replace(at, 3, "NaN");
  ExpectError(ParseXgboostJson(json, "m.json"), absl::StatusCode::kInvalidArgument,
              absl::StrCat("m.json:1:", at + 1, " (byte ", at,
                           "): learner.gradient_booster.model.trees[0].split_conditions[2]: tree 0 "
                           "node 2: leaf value NaN is not finite"));
}

TEST(XgboostImport, NonFiniteBaseScoreNamesFieldAndText) {
  ExpectError(ParseXgboostJson(XgbJson("", "binary:logistic", "gbtree", "1e999"), "m.json"),
              absl::StatusCode::kInvalidArgument,
              "learner.learner_model_param.base_score: base_score \"1e999\" is not finite (1e999 "
              "overflows a double)");
  ExpectError(ParseXgboostJson(XgbJson("", "binary:logistic", "gbtree", "NaN"), "m.json"),
              absl::StatusCode::kInvalidArgument, "base_score \"NaN\" is not finite");
}

TEST(XgboostImport, AbsurdNodeCountNamesFieldValueAndRange) {
  std::string json = XgbJson();
  json.replace(json.find(R"("num_nodes":"3")"), 15, R"("num_nodes":"1e12")");
  ExpectError(ParseXgboostJson(json, "m.json"), absl::StatusCode::kInvalidArgument,
              "trees[0].tree_param.num_nodes: tree 0: num_nodes \"1e12\" is outside [0, "
              "1073741824)");
}

TEST(XgboostImport, AbsurdNumFeatureNamesFieldValueAndRange) {
  std::string json = XgbJson();
  json = Replace(json, R"("num_feature":"2"},"objective")", R"("num_feature":"-1"},"objective")");
  ExpectError(ParseXgboostJson(json, "m.json"), absl::StatusCode::kInvalidArgument,
              "learner.learner_model_param.num_feature: num_feature \"-1\" is outside [0, "
              "1073741824)");
}

TEST(XgboostImport, BinaryHeaderClaimingMoreTreesThanTheFileHoldsIsCorrupt) {
  std::string b = TruncatedBinary();
  const int32_t many = 1 << 30;
  std::memcpy(&b[136 + 8 + 15 + 8 + 6], &many, 4);  // gbtree param num_trees
  ExpectError(ParseXgboostBinary(b, "m.model"), absl::StatusCode::kInvalidArgument,
              "m.model: gbtree param num_trees = 1073741824 is outside [0, 1] (the ");
  ExpectError(ParseXgboostBinary(b, "m.model"), absl::StatusCode::kInvalidArgument,
              "corrupt or truncated file");
}

TEST(XgboostImport, BinaryTreeClaimingMoreNodesThanTheFileHoldsIsCorrupt) {
  std::string b = TruncatedBinary();
  const int32_t many = 1 << 28;
  std::memcpy(&b[136 + 8 + 15 + 8 + 6 + 160 + 4], &many, 4);  // tree param num_nodes
  ExpectError(ParseXgboostBinary(b, "m.model"), absl::StatusCode::kInvalidArgument,
              "m.model: tree 0: tree param num_nodes = 268435456 is outside [1, 0]");
}

// --- LightGBM header errors name the right field and line ---

TEST(LightgbmImport, BadNumClassNamesNumClassAndItsLine) {
  // num_class is line 3; num_tree_per_iteration (line 4) is fine.
  ExpectError(ParseLightgbmText(Replace(LgbText(), "num_class=1", "num_class=0"), "m.txt"),
              absl::StatusCode::kInvalidArgument,
              "m.txt:3: header: field num_class: 0 is outside [1, 65536)");
}

TEST(LightgbmImport, BadTreesPerIterationNamesItsOwnLine) {
  ExpectError(ParseLightgbmText(Replace(LgbText(), "num_tree_per_iteration=1",
                                        "num_tree_per_iteration=70000"),
                                "m.txt"),
              absl::StatusCode::kInvalidArgument,
              "m.txt:4: header: field num_tree_per_iteration: 70000 is outside [1, 65536)");
}

TEST(LightgbmImport, MissingHeaderFieldIsNotBlamedOnLineOne) {
  const auto m = ParseLightgbmText(Replace(LgbText(), "max_feature_idx=1\n", ""), "m.txt");
  ExpectError(m, absl::StatusCode::kInvalidArgument,
              "m.txt: header: missing field \"max_feature_idx\"");
  EXPECT_EQ(m.status().message().find("m.txt:1:"), std::string::npos) << m.status();
}

TEST(LightgbmImport, FeatureNameCountNamesBothFieldsAndLines) {
  ExpectError(ParseLightgbmText(Replace(LgbText(), "feature_names=f0 f1", "feature_names=f0"),
                                "m.txt"),
              absl::StatusCode::kInvalidArgument,
              "m.txt:8: header: field feature_names: 1 names for 2 features (max_feature_idx=1 "
              "on line 6)");
}

TEST(LightgbmImport, OverflowingLeafValueNamesTextAndLine) {
  ExpectError(ParseLightgbmText(LgbText("leaf_value=0.1 1e999 0.3"), "m.txt"),
              absl::StatusCode::kInvalidArgument,
              "m.txt:21: tree 0 leaf 1: field leaf_value: value 1e999 overflows a double");
}

TEST(LightgbmImport, OutOfRangeIntegerSaysSo) {
  ExpectError(ParseLightgbmText(LgbText("split_feature=0 99999999999999999999"), "m.txt"),
              absl::StatusCode::kInvalidArgument,
              "m.txt:15: tree 0: field split_feature: \"99999999999999999999\" is out of range "
              "for a 64-bit integer");
}

TEST(LightgbmImport, AbsurdCategoryCountNamesFieldAndRange) {
  ExpectError(ParseLightgbmText(LgbText("num_cat=9223372036854775807"), "m.txt"),
              absl::StatusCode::kInvalidArgument,
              "m.txt:14: tree 0: field num_cat: 9223372036854775807 is outside [0, 2]");
}

TEST(LightgbmImport, AbsurdLeafCountIsRejectedBeforeAllocating) {
  ExpectError(ParseLightgbmText(LgbText("num_leaves=1099511627776"), "m.txt"),
              absl::StatusCode::kInvalidArgument,
              "m.txt:13: tree 0: field num_leaves: 1099511627776 is outside [1, 2^24]");
  // Within the limit but not backed by the file: the count of values decides.
  ExpectError(ParseLightgbmText(LgbText("num_leaves=16777216"), "m.txt"),
              absl::StatusCode::kInvalidArgument,
              "m.txt:21: tree 0: field leaf_value has 3 values, expected 16777216");
}

TEST(LightgbmImport, UnsupportedObjectiveNamesFileAndLine) {
  ExpectError(ParseLightgbmText(LgbText("", "cross_entropy_lambda"), "m.txt"),
              absl::StatusCode::kFailedPrecondition,
              "m.txt:7: field objective: unsupported LightGBM objective \"cross_entropy_lambda\"");
}

}  // namespace
}  // namespace aisle::ranking
