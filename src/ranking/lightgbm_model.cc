#include "aisle/ranking/lightgbm_model.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <exception>
#include <map>
#include <new>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "aisle/core/blob.h"
#include "aisle/core/file.h"
#include "aisle/core/status_macros.h"
#include "ranking/model_format.h"

namespace aisle::ranking {
namespace {

struct Field {
  std::string value;
  size_t line = 0;
};
using Section = std::map<std::string, Field, std::less<>>;

class Parser {
 public:
  explicit Parser(absl::string_view what) : what_(what) {}

  // "<what>:<line>: <msg>", or "<what>: <msg>" when line is 0.
  absl::Status Error(size_t line, absl::string_view msg) const {
    if (line == 0) return absl::InvalidArgumentError(absl::StrCat(what_, ": ", msg));
    return absl::InvalidArgumentError(absl::StrCat(what_, ":", line, ": ", msg));
  }
  absl::Status Unsupported(size_t line, absl::string_view msg) const {
    return absl::FailedPreconditionError(absl::StrCat(what_, ":", line, ": ", msg));
  }
  const std::string& what() const { return what_; }

  absl::StatusOr<const Field*> Get(const Section& s, absl::string_view key, size_t section_line,
                                   absl::string_view where) const {
    auto it = s.find(key);
    if (it == s.end()) {
      return Error(section_line, absl::StrCat(where, ": missing field \"", key, "\""));
    }
    return &it->second;
  }

  template <typename T>
  absl::StatusOr<std::vector<T>> Numbers(const Section& s, absl::string_view key, size_t count,
                                         size_t section_line, absl::string_view where) const {
    AISLE_ASSIGN_OR_RETURN(const Field* f, Get(s, key, section_line, where));
    std::vector<T> out;
    // A count read from the file is only a hint: the line itself bounds how
    // many values it can hold (one digit and one space each).
    if (count != SIZE_MAX) out.reserve(std::min(count, f->value.size() / 2 + 1));
    for (absl::string_view tok : absl::StrSplit(f->value, ' ', absl::SkipEmpty())) {
      T v;
      bool ok;
      if constexpr (std::is_same_v<T, double>) {
        ok = absl::SimpleAtod(tok, &v);
      } else {
        ok = absl::SimpleAtoi(tok, &v);
      }
      if (!ok) {
        const bool digits = !tok.empty() && tok.find_first_not_of("+-0123456789") ==
                                                absl::string_view::npos;
        return Error(f->line,
                     absl::StrCat(where, ": field ", key, ": \"", tok.substr(0, 40), "\" ",
                                  digits ? absl::StrCat("is out of range for ",
                                                        std::is_same_v<T, uint32_t>
                                                            ? "a 32-bit unsigned integer"
                                                            : "a 64-bit integer")
                                         : "is not a valid number"));
      }
      out.push_back(v);
    }
    if (count != SIZE_MAX && out.size() != count) {
      return Error(f->line, absl::StrCat(where, ": field ", key, " has ", out.size(),
                                         " values, expected ", count));
    }
    return out;
  }

  absl::StatusOr<int64_t> Int(const Section& s, absl::string_view key, size_t section_line,
                              absl::string_view where) const {
    AISLE_ASSIGN_OR_RETURN(std::vector<int64_t> v,
                           Numbers<int64_t>(s, key, 1, section_line, where));
    return v[0];
  }

 private:
  std::string what_;
};

absl::Status SetObjective(const std::string& objective, GbdtModel& m, const Parser& p,
                          size_t line) {
  std::vector<std::string> parts = absl::StrSplit(objective, ' ', absl::SkipEmpty());
  const std::string name = parts.empty() ? "" : parts[0];
  double sigmoid = 1.0;
  for (size_t i = 1; i < parts.size(); ++i) {
    absl::string_view part = parts[i];
    if (absl::ConsumePrefix(&part, "sigmoid:")) {
      if (!absl::SimpleAtod(part, &sigmoid) || !(sigmoid > 0) || std::isinf(sigmoid)) {
        return p.Error(line, absl::StrCat("field objective: \"", objective, "\": sigmoid ",
                                          part, " is not a finite number > 0"));
      }
    }
    if (parts[i] == "sqrt") {
      return p.Unsupported(line, absl::StrCat("field objective: \"", objective,
                                              "\": reg_sqrt output is not supported"));
    }
  }
  m.sigmoid_alpha = sigmoid;
  if (name == "binary" || name == "multiclassova" || name == "multiclass_ova" || name == "ova" ||
      name == "cross_entropy" || name == "xentropy") {
    m.transform = GbdtTransform::kSigmoid;
  } else if (name == "multiclass" || name == "softmax") {
    m.transform = GbdtTransform::kSoftmax;
  } else if (name == "poisson" || name == "gamma" || name == "tweedie") {
    m.transform = GbdtTransform::kExp;
  } else if (name == "regression" || name == "regression_l2" || name == "regression_l1" ||
             name == "l1" || name == "l2" || name == "mse" || name == "mae" || name == "huber" ||
             name == "fair" || name == "quantile" || name == "mape" || name == "lambdarank" ||
             name == "rank_xendcg" || name == "custom" || name == "none" || name.empty()) {
    m.transform = GbdtTransform::kIdentity;
  } else {
    return p.Unsupported(line,
                         absl::StrCat("field objective: unsupported LightGBM objective \"",
                                      objective, "\""));
  }
  return absl::OkStatus();
}

// The k-th space-separated token of a field's value, as written.
std::string LeafText(absl::string_view value, size_t k) {
  size_t i = 0;
  for (absl::string_view tok : absl::StrSplit(value, ' ', absl::SkipEmpty())) {
    if (i++ == k) return std::string(tok.substr(0, 40));
  }
  return "?";
}

absl::StatusOr<GbdtTree> ParseTree(const Section& s, size_t tree_line, size_t t,
                                   uint32_t num_features, const Parser& p) {
  const std::string where = absl::StrCat("tree ", t);
  AISLE_ASSIGN_OR_RETURN(int64_t num_leaves, p.Int(s, "num_leaves", tree_line, where));
  if (num_leaves < 1 || num_leaves > (1 << 24)) {
    return p.Error(s.at("num_leaves").line, absl::StrCat(where, ": field num_leaves: ", num_leaves,
                                                         " is outside [1, 2^24]"));
  }
  if (auto it = s.find("is_linear"); it != s.end() && it->second.value != "0") {
    return p.Unsupported(it->second.line,
                         absl::StrCat(where, ": field is_linear: linear trees are not supported"));
  }
  AISLE_ASSIGN_OR_RETURN(std::vector<double> leaf_value,
                         p.Numbers<double>(s, "leaf_value", num_leaves, tree_line, where));
  GbdtTree tree;
  const int64_t internal = num_leaves - 1;
  tree.nodes.resize(static_cast<size_t>(internal + num_leaves));
  for (int64_t l = 0; l < num_leaves; ++l) {
    GbdtNode& leaf = tree.nodes[internal + l];
    leaf.kind = GbdtNodeKind::kLeaf;
    leaf.leaf_value = leaf_value[l];
    if (!std::isfinite(leaf_value[l])) {
      const std::string text = LeafText(s.at("leaf_value").value, static_cast<size_t>(l));
      const bool written_finite = text.find_first_of("nNiI") == std::string::npos;
      return p.Error(s.at("leaf_value").line,
                     absl::StrCat(where, " leaf ", l, ": field leaf_value: value ", text,
                                  written_finite ? " overflows a double" : " is not finite",
                                  " (leaf value is not finite)"));
    }
  }
  if (internal == 0) return tree;
  const size_t n = static_cast<size_t>(internal);
  AISLE_ASSIGN_OR_RETURN(auto feat, p.Numbers<int64_t>(s, "split_feature", n, tree_line, where));
  AISLE_ASSIGN_OR_RETURN(auto thr, p.Numbers<double>(s, "threshold", n, tree_line, where));
  AISLE_ASSIGN_OR_RETURN(auto dt, p.Numbers<int64_t>(s, "decision_type", n, tree_line, where));
  AISLE_ASSIGN_OR_RETURN(auto left, p.Numbers<int64_t>(s, "left_child", n, tree_line, where));
  AISLE_ASSIGN_OR_RETURN(auto right, p.Numbers<int64_t>(s, "right_child", n, tree_line, where));
  int64_t num_cat = 0;
  if (s.count("num_cat")) {
    AISLE_ASSIGN_OR_RETURN(num_cat, p.Int(s, "num_cat", tree_line, where));
    // Each categorical split has its own bitset: at most one per split.
    if (num_cat < 0 || num_cat > internal) {
      return p.Error(s.at("num_cat").line,
                     absl::StrCat(where, ": field num_cat: ", num_cat, " is outside [0, ",
                                  internal, "] (the tree has ", internal, " splits)"));
    }
  }
  std::vector<int64_t> cat_boundaries;
  std::vector<uint32_t> cat_threshold;
  if (num_cat > 0) {
    AISLE_ASSIGN_OR_RETURN(cat_boundaries,
                           p.Numbers<int64_t>(s, "cat_boundaries", num_cat + 1, tree_line, where));
    AISLE_ASSIGN_OR_RETURN(cat_threshold,
                           p.Numbers<uint32_t>(s, "cat_threshold", SIZE_MAX, tree_line, where));
    for (int64_t k = 0; k <= num_cat; ++k) {
      if (cat_boundaries[k] < 0 || static_cast<size_t>(cat_boundaries[k]) > cat_threshold.size() ||
          (k > 0 && cat_boundaries[k] < cat_boundaries[k - 1])) {
        return p.Error(s.at("cat_boundaries").line,
                       absl::StrCat(where, ": cat_boundaries[", k, "] = ", cat_boundaries[k],
                                    " out of range"));
      }
    }
  }
  const auto child = [&](int64_t c, size_t i, absl::string_view side) -> absl::StatusOr<int32_t> {
    if (c >= 0 && c < internal) return static_cast<int32_t>(c);
    if (c < 0 && ~c < num_leaves) return static_cast<int32_t>(internal + ~c);
    return p.Error(s.at(std::string(side)).line,
                   absl::StrCat(where, " node ", i, ": child index ", c, " out of range"));
  };
  for (size_t i = 0; i < n; ++i) {
    GbdtNode& node = tree.nodes[i];
    const std::string nw = absl::StrCat(where, " node ", i);
    AISLE_ASSIGN_OR_RETURN(node.left, child(left[i], i, "left_child"));
    AISLE_ASSIGN_OR_RETURN(node.right, child(right[i], i, "right_child"));
    if (feat[i] < 0 || feat[i] >= num_features) {
      return p.Error(
          s.at("split_feature").line,
          absl::StrCat(nw, ": feature index ", feat[i], " out of range [0, ", num_features, ")"));
    }
    node.feature = static_cast<uint32_t>(feat[i]);
    if (std::isnan(thr[i])) return p.Error(s.at("threshold").line, nw + ": threshold is NaN");
    const int64_t d = dt[i];
    node.default_left = (d & 2) != 0;
    const int64_t missing_type = (d >> 2) & 3;
    if (missing_type == 3) {
      return p.Error(s.at("decision_type").line, absl::StrCat(nw, ": unknown missing type 3"));
    }
    node.missing = missing_type == 0   ? GbdtMissing::kNone
                   : missing_type == 1 ? GbdtMissing::kZero
                                       : GbdtMissing::kNan;
    if (d & 1) {
      node.kind = GbdtNodeKind::kCategorical;
      node.category_rule = GbdtCategoryRule::kLightgbm;
      const double ci = thr[i];
      if (!(ci >= 0 && ci < static_cast<double>(num_cat)) || ci != std::floor(ci)) {
        return p.Error(s.at("threshold").line, absl::StrCat(nw, ": categorical split index ", ci,
                                                            " out of range [0, ", num_cat, ")"));
      }
      const size_t k = static_cast<size_t>(ci);
      node.category_begin = static_cast<uint32_t>(tree.categories.size());
      for (int64_t w = cat_boundaries[k]; w < cat_boundaries[k + 1]; ++w) {
        const uint32_t bits = cat_threshold[w];
        for (uint32_t b = 0; b < 32; ++b) {
          if (bits & (1u << b)) {
            tree.categories.push_back(static_cast<uint32_t>((w - cat_boundaries[k]) * 32 + b));
          }
        }
      }
      node.category_count = static_cast<uint32_t>(tree.categories.size() - node.category_begin);
    } else {
      node.kind = GbdtNodeKind::kNumeric;
      node.compare = GbdtCompare::kLessEqualDouble;
      node.threshold = thr[i];
    }
  }
  return tree;
}

absl::StatusOr<GbdtModel> ParseImpl(absl::string_view text, absl::string_view what) {
  Parser p(what);
  // Another kind of model (or JSON, or binary data) is reported as such, not
  // as a malformed LightGBM file.
  const internal::ModelFormat format = internal::SniffModelFormat(text);
  if (format != internal::ModelFormat::kLightgbmText &&
      format != internal::ModelFormat::kOtherText) {
    return internal::WrongFormatError(what, format, "a LightGBM text model");
  }
  std::vector<absl::string_view> lines = absl::StrSplit(text, '\n');
  Section header;
  std::vector<std::pair<size_t, Section>> trees;  // (line of "Tree=", fields)
  Section* cur = &header;
  bool ended = false;
  size_t line_no = 0;
  for (absl::string_view raw : lines) {
    ++line_no;
    absl::string_view line = absl::StripAsciiWhitespace(raw);
    if (line.empty()) continue;
    if (line == "end of trees" || line == "feature importances:" || line == "parameters:") {
      ended = true;
      break;
    }
    if (absl::StartsWith(line, "Tree=")) {
      trees.emplace_back(line_no, Section());
      cur = &trees.back().second;
      continue;
    }
    const size_t eq = line.find('=');
    if (eq == absl::string_view::npos) {
      if (line_no == 1 || line == "tree") continue;  // the leading "tree" tag
      return p.Error(line_no,
                     absl::StrCat("expected key=value, got \"",
                                  line.substr(0, std::min<size_t>(line.size(), 40)), "\""));
    }
    (*cur)[std::string(line.substr(0, eq))] = Field{std::string(line.substr(eq + 1)), line_no};
  }
  if (!ended) {
    return p.Error(line_no, "no \"end of trees\" line: truncated or not a LightGBM model");
  }
  if (!header.count("tree_sizes") && trees.empty()) {
    return p.Error(line_no, "no trees and no tree_sizes: not a LightGBM model");
  }
  GbdtModel m;
  m.source = "lightgbm-text";
  // Header fields: a missing one has no line (the error says "header"); a bad
  // value names its own field and line.
  AISLE_ASSIGN_OR_RETURN(int64_t max_feature_idx, p.Int(header, "max_feature_idx", 0, "header"));
  if (max_feature_idx < -1 || max_feature_idx >= (1 << 30)) {
    return p.Error(header.at("max_feature_idx").line,
                   absl::StrCat("header: field max_feature_idx: ", max_feature_idx,
                                " is outside [-1, 2^30)"));
  }
  m.num_features = static_cast<uint32_t>(max_feature_idx + 1);
  int64_t num_class = 1, per_iter = 1;
  if (header.count("num_class")) {
    AISLE_ASSIGN_OR_RETURN(num_class, p.Int(header, "num_class", 0, "header"));
    if (num_class < 1 || num_class >= 65536) {
      return p.Error(header.at("num_class").line,
                     absl::StrCat("header: field num_class: ", num_class, " is outside [1, 65536)"));
    }
  }
  if (header.count("num_tree_per_iteration")) {
    AISLE_ASSIGN_OR_RETURN(per_iter, p.Int(header, "num_tree_per_iteration", 0, "header"));
    if (per_iter < 1 || per_iter >= 65536) {
      return p.Error(header.at("num_tree_per_iteration").line,
                     absl::StrCat("header: field num_tree_per_iteration: ", per_iter,
                                  " is outside [1, 65536)"));
    }
  } else {
    per_iter = num_class;
  }
  m.num_outputs = static_cast<uint32_t>(per_iter);
  if (auto it = header.find("objective"); it != header.end()) {
    m.objective = it->second.value;
    AISLE_RETURN_IF_ERROR(SetObjective(m.objective, m, p, it->second.line));
  }
  if (auto it = header.find("feature_names"); it != header.end()) {
    m.feature_names = absl::StrSplit(it->second.value, ' ', absl::SkipEmpty());
    if (m.feature_names.size() != m.num_features) {
      return p.Error(it->second.line,
                     absl::StrCat("header: field feature_names: ", m.feature_names.size(),
                                  " names for ", m.num_features, " features (max_feature_idx=",
                                  max_feature_idx, " on line ",
                                  header.at("max_feature_idx").line, ")"));
    }
  }
  if (auto it = header.find("tree_sizes"); it != header.end()) {
    const size_t expected = static_cast<std::vector<std::string>>(
                                absl::StrSplit(it->second.value, ' ', absl::SkipEmpty()))
                                .size();
    if (expected != trees.size()) {
      return p.Error(it->second.line,
                     absl::StrCat("header: field tree_sizes lists ", expected, " trees but ",
                                  trees.size(), " were found (truncated file?)"));
    }
  }
  m.base_margin.assign(m.num_outputs, 0.0);
  m.trees.reserve(trees.size());
  for (size_t t = 0; t < trees.size(); ++t) {
    AISLE_ASSIGN_OR_RETURN(GbdtTree tree,
                           ParseTree(trees[t].second, trees[t].first, t, m.num_features, p));
    tree.output_group = static_cast<int32_t>(t % m.num_outputs);
    m.trees.push_back(std::move(tree));
  }
  return m;
}

}  // namespace

absl::StatusOr<GbdtModel> ParseLightgbmText(absl::string_view text, absl::string_view what) {
  try {
    AISLE_ASSIGN_OR_RETURN(GbdtModel m, ParseImpl(text, what));
    m.content_hash = Checksum64(text);
    if (absl::Status s = m.Validate(); !s.ok()) {
      return absl::Status(s.code(), absl::StrCat(what, ": ", s.message()));
    }
    return m;
  } catch (const std::bad_alloc&) {
    return absl::ResourceExhaustedError(absl::StrCat(what, ": out of memory while loading"));
  } catch (const std::exception& e) {
    return absl::InvalidArgumentError(absl::StrCat(what, ": ", e.what()));
  }
}

absl::StatusOr<GbdtModel> LoadLightgbmTextFile(absl::string_view path) {
  AISLE_ASSIGN_OR_RETURN(std::string text, ReadFileToString(path));
  return ParseLightgbmText(text, path);
}

}  // namespace aisle::ranking
