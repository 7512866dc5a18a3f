// File: aisle/ranking/gbdt_model.h
//
// GbdtModel: the in-memory form of a gradient-boosted tree ensemble imported
// from XGBoost (JSON or legacy binary) or LightGBM (text). It keeps each
// library's exact split semantics (strict `<` in float32 for XGBoost, `<=` on
// a double threshold for LightGBM, their missing-value and categorical rules)
// so that a GbdtRanker built from it reproduces the library's predictions.
// Importers fill it and call Validate(); GbdtRanker compiles it into a flat
// layout for serving.
//
//   AISLE_ASSIGN_OR_RETURN(aisle::ranking::GbdtModel model,
//                          aisle::ranking::LoadXgboostJsonFile("ctr.json"));
//   // model.trees, model.feature_names, model.objective ...
//   double margin = model.PredictMargin(row)[0];  // reference evaluator
//
// GbdtModel is a plain value type: thread-compatible (concurrent const use is
// safe).
#ifndef AISLE_RANKING_GBDT_MODEL_H_
#define AISLE_RANKING_GBDT_MODEL_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/types/span.h"

namespace aisle::ranking {

enum class GbdtNodeKind : uint8_t { kLeaf = 0, kNumeric = 1, kCategorical = 2 };

// How a numeric split compares x with its threshold (x goes LEFT when true).
enum class GbdtCompare : uint8_t {
  kLessFloat = 0,       // XGBoost: float(x) < float(threshold)
  kLessEqualDouble = 1  // LightGBM: double(x) <= threshold
};

// How a missing (NaN) input is routed at a numeric split.
enum class GbdtMissing : uint8_t {
  kNan = 0,   // NaN follows default_left (XGBoost; LightGBM missing type NaN)
  kNone = 1,  // LightGBM missing type None: NaN is replaced by 0.0
  kZero = 2,  // LightGBM missing type Zero: NaN and |x| <= 1e-35 follow default_left
};

// Whose categorical rule a categorical split follows.
enum class GbdtCategoryRule : uint8_t {
  // XGBoost: NaN follows default_left; x < 0 or x >= 2^24 goes left; the listed
  // categories go RIGHT, all others left.
  kXgboost = 0,
  // LightGBM: NaN and int(x) < 0 go right; the listed categories go LEFT,
  // all others right.
  kLightgbm = 1,
};

struct GbdtNode {
  GbdtNodeKind kind = GbdtNodeKind::kLeaf;
  GbdtCompare compare = GbdtCompare::kLessFloat;
  GbdtMissing missing = GbdtMissing::kNan;
  GbdtCategoryRule category_rule = GbdtCategoryRule::kXgboost;
  bool default_left = false;
  int32_t left = -1;  // child node indices within the tree (internal nodes)
  int32_t right = -1;
  uint32_t feature = 0;   // model feature index (internal nodes)
  double threshold = 0;   // numeric splits
  double leaf_value = 0;  // leaves
  // Categorical splits: the listed categories are
  // tree.categories[category_begin, category_begin + category_count), sorted.
  uint32_t category_begin = 0;
  uint32_t category_count = 0;
};

struct GbdtTree {
  std::vector<GbdtNode> nodes;  // nodes[0] is the root
  std::vector<uint32_t> categories;
  int32_t output_group = 0;  // which output (class) this tree adds to
};

// What is applied to margin + base to get the model's prediction.
enum class GbdtTransform : uint8_t {
  kIdentity = 0,
  kSigmoid = 1,  // 1 / (1 + exp(-sigmoid_alpha * margin))
  kExp = 2,
  kSoftmax = 3,  // across the num_outputs margins of a row
};

// Size limits checked by GbdtModel::Validate().
inline constexpr uint32_t kMaxGbdtFeatures = uint32_t{1} << 30;
inline constexpr uint32_t kMaxGbdtOutputs = 65536;

struct GbdtModel {
  std::string source;                      // "xgboost-json", "xgboost-binary", "lightgbm-text"
  std::string objective;                   // as written by the trainer, e.g. "binary:logistic"
  std::vector<std::string> feature_names;  // may be empty (bind by index)
  uint32_t num_features = 0;
  uint32_t num_outputs = 1;         // classes for multiclass, else 1
  std::vector<double> base_margin;  // one per output, added to the tree sum (margin space)
  GbdtTransform transform = GbdtTransform::kIdentity;
  double sigmoid_alpha = 1.0;
  std::vector<GbdtTree> trees;
  uint64_t content_hash = 0;  // XXH64 of the imported bytes

  // Structural checks: num_features < kMaxGbdtFeatures, num_outputs in
  // [1, kMaxGbdtOutputs), children in range, every node reachable exactly once
  // from the root (no cycles, no sharing), feature < num_features, finite
  // thresholds and leaf values, output_group < num_outputs. The error names
  // the tree and node.
  absl::Status Validate() const;

  // Reference evaluator (slow, one row at a time; the library's exact
  // semantics). `row` is indexed by model feature. Writes num_outputs margins
  // (base_margin included).
  void PredictMargin(absl::Span<const float> row, absl::Span<double> margins) const;
  // Applies `transform` in place to one row's num_outputs margins.
  void Transform(absl::Span<double> values) const;
};

// Leaf index reached by `row` in `tree`, following the node's exact rule.
int32_t GbdtFindLeaf(const GbdtTree& tree, absl::Span<const float> row);
// True when the node sends `x` left.
bool GbdtGoesLeft(const GbdtTree& tree, const GbdtNode& node, float x);

}  // namespace aisle::ranking

#endif  // AISLE_RANKING_GBDT_MODEL_H_
