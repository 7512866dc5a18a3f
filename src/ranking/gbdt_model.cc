#include "aisle/ranking/gbdt_model.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace aisle::ranking {
namespace {

// LightGBM's kZeroThreshold (a float constant, compared after promotion).
constexpr double kLightgbmZero = static_cast<double>(1e-35f);

bool InCategoryList(const GbdtTree& tree, const GbdtNode& node, uint32_t c) {
  const uint32_t* begin = tree.categories.data() + node.category_begin;
  const uint32_t* end = begin + node.category_count;
  return std::binary_search(begin, end, c);
}

}  // namespace

bool GbdtGoesLeft(const GbdtTree& tree, const GbdtNode& node, float x) {
  if (node.kind == GbdtNodeKind::kCategorical) {
    if (node.category_rule == GbdtCategoryRule::kXgboost) {
      if (std::isnan(x)) return node.default_left;
      if (x < 0.0f || x >= 16777216.0f) return true;  // invalid category: left
      return !InCategoryList(tree, node, static_cast<uint32_t>(x));
    }
    // LightGBM: NaN and negative go right; listed categories go left.
    if (std::isnan(x) || x <= -1.0f || x >= 2147483648.0f) return false;
    return InCategoryList(tree, node, static_cast<uint32_t>(static_cast<int32_t>(x)));
  }
  if (node.compare == GbdtCompare::kLessFloat) {
    if (std::isnan(x)) return node.default_left;
    return x < static_cast<float>(node.threshold);
  }
  double d = x;
  if (std::isnan(d) && node.missing != GbdtMissing::kNan) d = 0.0;
  if ((node.missing == GbdtMissing::kZero && d >= -kLightgbmZero && d <= kLightgbmZero) ||
      (node.missing == GbdtMissing::kNan && std::isnan(d))) {
    return node.default_left;
  }
  return d <= node.threshold;
}

int32_t GbdtFindLeaf(const GbdtTree& tree, absl::Span<const float> row) {
  int32_t i = 0;
  while (tree.nodes[i].kind != GbdtNodeKind::kLeaf) {
    const GbdtNode& n = tree.nodes[i];
    i = GbdtGoesLeft(tree, n, row[n.feature]) ? n.left : n.right;
  }
  return i;
}

void GbdtModel::PredictMargin(absl::Span<const float> row, absl::Span<double> margins) const {
  for (uint32_t k = 0; k < num_outputs; ++k) {
    margins[k] = k < base_margin.size() ? base_margin[k] : 0.0;
  }
  for (const GbdtTree& t : trees) {
    margins[t.output_group] += t.nodes[GbdtFindLeaf(t, row)].leaf_value;
  }
}

void GbdtModel::Transform(absl::Span<double> v) const {
  switch (transform) {
    case GbdtTransform::kIdentity:
      return;
    case GbdtTransform::kSigmoid:
      for (double& x : v) x = 1.0 / (1.0 + std::exp(-sigmoid_alpha * x));
      return;
    case GbdtTransform::kExp:
      for (double& x : v) x = std::exp(x);
      return;
    case GbdtTransform::kSoftmax: {
      double mx = -INFINITY;
      for (double x : v) mx = std::max(mx, x);
      double sum = 0;
      for (double& x : v) {
        x = std::exp(x - mx);
        sum += x;
      }
      for (double& x : v) x /= sum;
      return;
    }
  }
}

absl::Status GbdtModel::Validate() const {
  // Bounds on the sizes a model sets: per-feature and per-output tables are
  // allocated from them (binding, needed-feature masks, accumulators).
  if (num_outputs == 0 || num_outputs >= kMaxGbdtOutputs) {
    return absl::InvalidArgumentError(absl::StrCat("GBDT model: num_outputs ", num_outputs,
                                                   " is outside [1, ", kMaxGbdtOutputs, ")"));
  }
  if (num_features >= kMaxGbdtFeatures) {
    return absl::InvalidArgumentError(absl::StrCat("GBDT model: num_features ", num_features,
                                                   " is outside [0, 2^30)"));
  }
  if (!base_margin.empty() && base_margin.size() != num_outputs) {
    return absl::InvalidArgumentError(absl::StrCat("GBDT model: ", base_margin.size(),
                                                   " base margins for ", num_outputs, " outputs"));
  }
  for (size_t k = 0; k < base_margin.size(); ++k) {
    if (!std::isfinite(base_margin[k])) {
      return absl::InvalidArgumentError(
          absl::StrCat("GBDT model: base margin ", k, " is not finite (", base_margin[k], ")"));
    }
  }
  if (!feature_names.empty() && feature_names.size() != num_features) {
    return absl::InvalidArgumentError(absl::StrCat(
        "GBDT model: ", feature_names.size(), " feature names for ", num_features, " features"));
  }
  std::vector<uint8_t> seen;
  std::vector<int32_t> stack;
  for (size_t t = 0; t < trees.size(); ++t) {
    const GbdtTree& tree = trees[t];
    const auto where = [&](size_t node) { return absl::StrCat("tree ", t, " node ", node); };
    if (tree.nodes.empty()) {
      return absl::InvalidArgumentError(absl::StrCat("tree ", t, ": has no nodes"));
    }
    if (tree.output_group < 0 || static_cast<uint32_t>(tree.output_group) >= num_outputs) {
      return absl::InvalidArgumentError(absl::StrCat("tree ", t, ": output group ",
                                                     tree.output_group, " out of range [0, ",
                                                     num_outputs, ")"));
    }
    const int32_t n = static_cast<int32_t>(tree.nodes.size());
    seen.assign(tree.nodes.size(), 0);
    stack.assign(1, 0);
    seen[0] = 1;
    while (!stack.empty()) {
      const int32_t i = stack.back();
      stack.pop_back();
      const GbdtNode& node = tree.nodes[i];
      if (node.kind == GbdtNodeKind::kLeaf) {
        if (!std::isfinite(node.leaf_value)) {
          return absl::InvalidArgumentError(
              absl::StrCat(where(i), ": leaf value is not finite (", node.leaf_value, ")"));
        }
        continue;
      }
      if (node.feature >= num_features) {
        return absl::InvalidArgumentError(absl::StrCat(where(i), ": feature index ", node.feature,
                                                       " out of range [0, ", num_features, ")"));
      }
      if (node.kind == GbdtNodeKind::kNumeric && std::isnan(node.threshold)) {
        return absl::InvalidArgumentError(absl::StrCat(where(i), ": threshold is NaN"));
      }
      if (node.kind == GbdtNodeKind::kCategorical) {
        const uint64_t end = uint64_t{node.category_begin} + node.category_count;
        if (end > tree.categories.size()) {
          return absl::InvalidArgumentError(
              absl::StrCat(where(i), ": category list [", node.category_begin, ", ", end,
                           ") out of range (", tree.categories.size(), " categories)"));
        }
        if (!std::is_sorted(tree.categories.begin() + node.category_begin,
                            tree.categories.begin() + end)) {
          return absl::InvalidArgumentError(absl::StrCat(where(i), ": categories not sorted"));
        }
      }
      for (const int32_t c : {node.left, node.right}) {
        if (c < 0 || c >= n) {
          return absl::InvalidArgumentError(
              absl::StrCat(where(i), ": child index ", c, " out of range [0, ", n, ")"));
        }
        if (seen[c]) {
          return absl::InvalidArgumentError(absl::StrCat(
              where(i), ": child ", c, " is reached twice (the tree has a cycle or shared node)"));
        }
        seen[c] = 1;
        stack.push_back(c);
      }
    }
  }
  return absl::OkStatus();
}

}  // namespace aisle::ranking
