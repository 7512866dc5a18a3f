#include "aisle/ranking/xgboost_model.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <exception>
#include <limits>
#include <new>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "aisle/core/blob.h"
#include "aisle/core/file.h"
#include "aisle/core/status_macros.h"
#include "core/json_diagnostics.h"
#include "nlohmann/json.hpp"
#include "ranking/model_format.h"

namespace aisle::ranking {
namespace {

using Json = nlohmann::json;

enum class Link { kIdentity, kLogit, kLog };

struct ObjectiveInfo {
  GbdtTransform transform;
  Link base_link;  // inverse link applied to base_score to get a margin
};

absl::StatusOr<ObjectiveInfo> LookUpObjective(const std::string& name, absl::string_view what) {
  if (name == "binary:logistic" || name == "reg:logistic") {
    return ObjectiveInfo{GbdtTransform::kSigmoid, Link::kLogit};
  }
  // binary:logitraw outputs the raw margin and XGBoost (1.7.4, checked by
  // tests/ranking/parity_test.cc) adds its base_score to the margin as is.
  if (name == "binary:logitraw") return ObjectiveInfo{GbdtTransform::kIdentity, Link::kIdentity};
  if (name == "reg:squarederror" || name == "reg:linear" || name == "reg:absoluteerror" ||
      name == "reg:pseudohubererror" || name == "reg:quantileerror" || name == "rank:pairwise" ||
      name == "rank:ndcg" || name == "rank:map") {
    return ObjectiveInfo{GbdtTransform::kIdentity, Link::kIdentity};
  }
  if (name == "count:poisson" || name == "reg:gamma" || name == "reg:tweedie") {
    return ObjectiveInfo{GbdtTransform::kExp, Link::kLog};
  }
  if (name == "multi:softprob" || name == "multi:softmax") {
    return ObjectiveInfo{GbdtTransform::kSoftmax, Link::kIdentity};
  }
  return absl::FailedPreconditionError(
      absl::StrCat(what, ": unsupported XGBoost objective \"", name, "\""));
}

absl::StatusOr<double> BaseToMargin(double base, Link link, absl::string_view what) {
  switch (link) {
    case Link::kIdentity:
      return base;
    case Link::kLogit:
      if (!(base > 0.0 && base < 1.0)) {
        return absl::InvalidArgumentError(
            absl::StrCat(what, ": base_score ", base,
                         " is not a probability in (0, 1) for a logistic objective"));
      }
      return -std::log(1.0 / base - 1.0);
    case Link::kLog:
      if (!(base > 0.0)) {
        return absl::InvalidArgumentError(
            absl::StrCat(what, ": base_score ", base, " must be > 0 for a log-link objective"));
      }
      return std::log(base);
  }
  return base;
}

// Where a value of the model JSON is: the JSON path ("learner.
// learner_model_param.base_score") with, when it can be found in the text,
// the line, column and byte offset, and the value's own text. Errors name all
// of them: "m.json:1:812 (byte 811): learner.gradient_booster.model.trees[0].
// split_conditions[0]: tree 0 node 0: threshold is NaN".
class JsonSource {
 public:
  // `parsed` is the text nlohmann parsed: `original`, or a copy with bare
  // NaN/Infinity quoted, in which case `inserted` holds the offsets (in
  // `parsed`) of the quote characters that were added.
  JsonSource(absl::string_view what, absl::string_view original, absl::string_view parsed,
             const std::vector<size_t>& inserted)
      : what_(what), original_(original), parsed_(parsed), inserted_(inserted) {}

  absl::string_view what() const { return what_; }

  // "<what>:<line>:<column> (byte <offset>): <path>", or "<what>: <path>".
  std::string At(const std::string& path) const {
    const size_t at = Offset(path);
    if (at == std::string::npos) return absl::StrCat(what_, ": ", path);
    return absl::StrCat(what_, ":", ::aisle::internal::JsonLineColumn(original_, at), " (byte ", at,
                        "): ", path);
  }
  // The value's text as written ("1e39", "NaN", "\"abc\""), cut to 40 bytes.
  std::string Text(const std::string& path, const Json& v) const {
    const size_t at = Offset(path);
    if (at == std::string::npos || at >= original_.size()) return v.dump();
    return ::aisle::internal::JsonTokenAt(original_, at);
  }

  absl::Status Bad(const std::string& path, absl::string_view message) const {
    return absl::InvalidArgumentError(absl::StrCat(At(path), ": ", message));
  }

 private:
  size_t Offset(const std::string& path) const {
    size_t at = ::aisle::internal::LocateJsonValue(parsed_, path);
    if (at == std::string::npos) return at;
    // Map back to the original text: drop the quotes inserted before `at`.
    size_t before = 0;
    for (size_t q : inserted_) before += q < at ? 1 : 0;
    at -= before;
    return at;
  }

  absl::string_view what_;
  absl::string_view original_;
  absl::string_view parsed_;
  const std::vector<size_t>& inserted_;
};

std::string Child(const std::string& path, absl::string_view key) {
  std::string out = path;
  ::aisle::internal::AppendJsonPathKey(out, key);
  return out;
}
std::string Elem(const std::string& path, size_t index) {
  std::string out = path;
  ::aisle::internal::AppendJsonPathIndex(out, index);
  return out;
}

// A JSON number, or a string holding one (XGBoost writes most params as
// strings). NaN and +-Inf are returned as such; callers reject them where a
// count or index is expected.
absl::StatusOr<double> NumberOf(const Json& v, const std::string& path, const JsonSource& src) {
  if (v.is_number()) return v.get<double>();
  if (v.is_boolean()) return v.get<bool>() ? 1.0 : 0.0;
  if (v.is_string()) {
    double d;
    const std::string& s = v.get<std::string>();
    if (s == "NaN" || s == "-NaN") return std::numeric_limits<double>::quiet_NaN();
    if (absl::SimpleAtod(s, &d)) return d;
  }
  return src.Bad(path, absl::StrCat("not a number: ", src.Text(path, v)));
}

// A count or index: an integer in [0, limit).
absl::StatusOr<size_t> IndexOf(const Json& v, const std::string& path, double limit,
                               absl::string_view what_it_is, const JsonSource& src) {
  AISLE_ASSIGN_OR_RETURN(double d, NumberOf(v, path, src));
  if (!(d >= 0 && d < limit) || d != std::floor(d)) {
    return src.Bad(path, absl::StrCat(what_it_is, " ", src.Text(path, v), " is outside [0, ",
                                      static_cast<uint64_t>(limit), ")"));
  }
  return static_cast<size_t>(d);
}

// base_score as written: "5E-1" (1.x) or "[5E-1]" / "[5E-1,2E-1]" (3.1+).
absl::StatusOr<std::vector<double>> ParseBaseScore(const Json& v, const std::string& path,
                                                   const JsonSource& src) {
  std::vector<double> out;
  if (v.is_number()) {
    out.push_back(v.get<double>());
    return out;
  }
  if (!v.is_string()) return src.Bad(path, "base_score is not a string");
  std::string s = v.get<std::string>();
  absl::string_view sv = absl::StripAsciiWhitespace(s);
  if (absl::ConsumePrefix(&sv, "[")) {
    if (!absl::ConsumeSuffix(&sv, "]")) {
      return src.Bad(path, absl::StrCat("base_score \"", s, "\" lacks ']'"));
    }
  }
  for (absl::string_view part : absl::StrSplit(sv, ',')) {
    double d;
    if (!absl::SimpleAtod(absl::StripAsciiWhitespace(part), &d)) {
      return src.Bad(path, absl::StrCat("base_score \"", s, "\" is not a number"));
    }
    if (!std::isfinite(d)) {
      return src.Bad(path, absl::StrCat("base_score \"", s, "\" is not finite (",
                                        absl::StripAsciiWhitespace(part),
                                        std::isnan(d) ? ")" : " overflows a double)"));
    }
    out.push_back(d);
  }
  return out;
}

absl::StatusOr<GbdtModel> FinishBase(GbdtModel m, const std::vector<double>& base_scores, Link link,
                                     absl::string_view what) {
  if (base_scores.size() != 1 && base_scores.size() != m.num_outputs) {
    return absl::InvalidArgumentError(absl::StrCat(
        what, ": ", base_scores.size(), " base_score values for ", m.num_outputs, " outputs"));
  }
  m.base_margin.resize(m.num_outputs);
  for (uint32_t k = 0; k < m.num_outputs; ++k) {
    AISLE_ASSIGN_OR_RETURN(m.base_margin[k],
                           BaseToMargin(base_scores[base_scores.size() == 1 ? 0 : k], link, what));
  }
  return m;
}

const Json* Find(const Json& obj, const char* key) {
  if (!obj.is_object()) return nullptr;
  auto it = obj.find(key);
  return it == obj.end() ? nullptr : &*it;
}

absl::StatusOr<const Json*> Require(const Json& obj, const char* key, const std::string& path,
                                    const JsonSource& src) {
  const Json* v = Find(obj, key);
  if (v == nullptr) {
    return src.Bad(path.empty() ? "(root)" : path, absl::StrCat("missing field \"", key, "\""));
  }
  return v;
}

absl::StatusOr<const Json*> RequireArray(const Json& obj, const char* key, size_t size,
                                         const std::string& path, absl::string_view where,
                                         const JsonSource& src) {
  AISLE_ASSIGN_OR_RETURN(const Json* v, Require(obj, key, path, src));
  if (!v->is_array() || v->size() != size) {
    return src.Bad(Child(path, key),
                   absl::StrCat(where, ": field \"", key, "\" must be an array of ", size,
                                " (num_nodes) entries, has ",
                                v->is_array() ? absl::StrCat(v->size()) : v->type_name()));
  }
  return v;
}

absl::StatusOr<GbdtTree> ParseJsonTree(const Json& t, size_t tree_index, uint32_t num_features,
                                       const std::string& path, const JsonSource& src) {
  const std::string where = absl::StrCat("tree ", tree_index);
  AISLE_ASSIGN_OR_RETURN(const Json* param, Require(t, "tree_param", path, src));
  const std::string param_path = Child(path, "tree_param");
  AISLE_ASSIGN_OR_RETURN(const Json* nn, Require(*param, "num_nodes", param_path, src));
  AISLE_ASSIGN_OR_RETURN(const size_t n, IndexOf(*nn, Child(param_path, "num_nodes"), 1 << 30,
                                                 absl::StrCat(where, ": num_nodes"), src));
  if (n == 0) return src.Bad(Child(param_path, "num_nodes"), where + ": num_nodes is 0");
  AISLE_ASSIGN_OR_RETURN(const Json* left, RequireArray(t, "left_children", n, path, where, src));
  AISLE_ASSIGN_OR_RETURN(const Json* right,
                         RequireArray(t, "right_children", n, path, where, src));
  AISLE_ASSIGN_OR_RETURN(const Json* index, RequireArray(t, "split_indices", n, path, where, src));
  AISLE_ASSIGN_OR_RETURN(const Json* cond,
                         RequireArray(t, "split_conditions", n, path, where, src));
  AISLE_ASSIGN_OR_RETURN(const Json* dleft, RequireArray(t, "default_left", n, path, where, src));
  const Json* stype = Find(t, "split_type");
  if (stype != nullptr && (!stype->is_array() || stype->size() != n)) {
    return src.Bad(Child(path, "split_type"),
                   absl::StrCat(where, ": field \"split_type\" must be an array of ", n,
                                " entries"));
  }
  const std::string left_path = Child(path, "left_children");
  const std::string right_path = Child(path, "right_children");
  const std::string index_path = Child(path, "split_indices");
  const std::string cond_path = Child(path, "split_conditions");
  GbdtTree tree;
  tree.nodes.resize(n);
  for (size_t i = 0; i < n; ++i) {
    const std::string node_where = absl::StrCat(where, " node ", i);
    GbdtNode& node = tree.nodes[i];
    AISLE_ASSIGN_OR_RETURN(double l, NumberOf((*left)[i], Elem(left_path, i), src));
    AISLE_ASSIGN_OR_RETURN(double r, NumberOf((*right)[i], Elem(right_path, i), src));
    AISLE_ASSIGN_OR_RETURN(double c, NumberOf((*cond)[i], Elem(cond_path, i), src));
    if (l == -1) {
      node.kind = GbdtNodeKind::kLeaf;
      node.leaf_value = static_cast<float>(c);
      if (!std::isfinite(node.leaf_value)) {
        const std::string p = Elem(cond_path, i);
        return src.Bad(p, absl::StrCat(node_where, ": leaf value ", src.Text(p, (*cond)[i]),
                                       std::isfinite(c) ? " overflows a float" : " is not finite"));
      }
      continue;
    }
    const bool left_ok = l >= 0 && l < static_cast<double>(n);
    if (!left_ok || !(r >= 0 && r < static_cast<double>(n))) {
      const std::string p = Elem(left_ok ? right_path : left_path, i);
      return src.Bad(p, absl::StrCat(node_where, ": child index ", left_ok ? r : l,
                                     " out of range [0, ", n, ")"));
    }
    AISLE_ASSIGN_OR_RETURN(double f, NumberOf((*index)[i], Elem(index_path, i), src));
    AISLE_ASSIGN_OR_RETURN(double dl,
                           NumberOf((*dleft)[i], Elem(Child(path, "default_left"), i), src));
    if (!(f >= 0 && f < num_features)) {
      return src.Bad(Elem(index_path, i), absl::StrCat(node_where, ": feature index ", f,
                                                       " out of range [0, ", num_features, ")"));
    }
    node.left = static_cast<int32_t>(l);
    node.right = static_cast<int32_t>(r);
    node.feature = static_cast<uint32_t>(f);
    node.default_left = dl != 0;
    node.threshold = static_cast<float>(c);
    node.compare = GbdtCompare::kLessFloat;
    node.missing = GbdtMissing::kNan;
    node.kind = GbdtNodeKind::kNumeric;
    if (stype != nullptr) {
      const std::string p = Elem(Child(path, "split_type"), i);
      AISLE_ASSIGN_OR_RETURN(double st, NumberOf((*stype)[i], p, src));
      if (st == 1) {
        node.kind = GbdtNodeKind::kCategorical;
        node.category_rule = GbdtCategoryRule::kXgboost;
      } else if (st != 0) {
        return src.Bad(p, absl::StrCat(node_where, ": unknown split_type ", st));
      }
    }
    if (node.kind == GbdtNodeKind::kNumeric && std::isnan(c)) {
      return src.Bad(Elem(cond_path, i), absl::StrCat(node_where, ": threshold is NaN"));
    }
  }
  // Categorical splits: categories_nodes[k] uses
  // categories[categories_segments[k], + categories_sizes[k]).
  const Json* cnodes = Find(t, "categories_nodes");
  if (cnodes != nullptr && cnodes->is_array() && !cnodes->empty()) {
    AISLE_ASSIGN_OR_RETURN(const Json* cats, Require(t, "categories", path, src));
    AISLE_ASSIGN_OR_RETURN(
        const Json* csegs,
        RequireArray(t, "categories_segments", cnodes->size(), path, where, src));
    AISLE_ASSIGN_OR_RETURN(const Json* csizes,
                           RequireArray(t, "categories_sizes", cnodes->size(), path, where, src));
    if (!cats->is_array()) {
      return src.Bad(Child(path, "categories"), where + ": categories is not an array");
    }
    const std::string nodes_path = Child(path, "categories_nodes");
    const std::string segs_path = Child(path, "categories_segments");
    const std::string sizes_path = Child(path, "categories_sizes");
    const std::string cats_path = Child(path, "categories");
    for (size_t k = 0; k < cnodes->size(); ++k) {
      AISLE_ASSIGN_OR_RETURN(double nid, NumberOf((*cnodes)[k], Elem(nodes_path, k), src));
      AISLE_ASSIGN_OR_RETURN(double seg, NumberOf((*csegs)[k], Elem(segs_path, k), src));
      AISLE_ASSIGN_OR_RETURN(double size, NumberOf((*csizes)[k], Elem(sizes_path, k), src));
      if (!(nid >= 0 && nid < n) ||
          tree.nodes[static_cast<size_t>(nid)].kind != GbdtNodeKind::kCategorical) {
        return src.Bad(Elem(nodes_path, k),
                       absl::StrCat(where, ": categories_nodes[", k, "] = ", nid,
                                    " is not a categorical split node"));
      }
      if (!(seg >= 0 && size >= 0 && seg + size <= static_cast<double>(cats->size()))) {
        return src.Bad(Elem(segs_path, k),
                       absl::StrCat(where, " node ", nid, ": category segment [", seg, ", ",
                                    seg + size, ") out of range (", cats->size(), " categories)"));
      }
      GbdtNode& node = tree.nodes[static_cast<size_t>(nid)];
      node.category_begin = static_cast<uint32_t>(tree.categories.size());
      for (size_t j = static_cast<size_t>(seg); j < static_cast<size_t>(seg + size); ++j) {
        AISLE_ASSIGN_OR_RETURN(double cv, NumberOf((*cats)[j], Elem(cats_path, j), src));
        if (!(cv >= 0 && cv < 16777216.0)) {
          return src.Bad(Elem(cats_path, j), absl::StrCat(where, " node ", nid, ": category ",
                                                          cv, " out of range [0, 2^24)"));
        }
        tree.categories.push_back(static_cast<uint32_t>(cv));
      }
      std::sort(tree.categories.begin() + node.category_begin, tree.categories.end());
      node.category_count = static_cast<uint32_t>(tree.categories.size() - node.category_begin);
    }
  }
  return tree;
}

// XGBoost writes non-finite floats as bare NaN / Infinity / -Infinity, which
// strict JSON lacks: rewrite them outside strings as quoted strings that
// NumberOf() understands. `inserted` gets the offsets (in the result) of the
// quotes added.
std::string QuoteNonFinite(absl::string_view text, std::vector<size_t>& inserted) {
  std::string out;
  out.reserve(text.size() + 64);
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      out.push_back(c);
      if (c == '\\' && i + 1 < text.size()) {
        out.push_back(text[++i]);
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') in_string = true;
    bool replaced = false;
    for (absl::string_view lit : {"-Infinity", "Infinity", "-NaN", "NaN"}) {
      if (text.substr(i, lit.size()) == lit) {
        inserted.push_back(out.size());
        inserted.push_back(out.size() + lit.size() + 1);
        absl::StrAppend(&out, "\"", lit, "\"");
        i += lit.size() - 1;
        replaced = true;
        break;
      }
    }
    if (!replaced) out.push_back(c);
  }
  return out;
}

absl::StatusOr<GbdtModel> ParseJsonDocument(const Json& doc, const JsonSource& src) {
  const absl::string_view what = src.what();
  AISLE_ASSIGN_OR_RETURN(const Json* learner, Require(doc, "learner", "", src));
  const std::string lp = "learner";
  AISLE_ASSIGN_OR_RETURN(const Json* booster, Require(*learner, "gradient_booster", lp, src));
  const std::string bp = Child(lp, "gradient_booster");
  AISLE_ASSIGN_OR_RETURN(const Json* bname, Require(*booster, "name", bp, src));
  const std::string booster_name = bname->is_string() ? bname->get<std::string>() : "";
  if (booster_name == "gblinear") {
    return absl::FailedPreconditionError(absl::StrCat(
        what, ": gblinear booster is not a tree model; import it with the linear ranker"));
  }
  if (booster_name != "gbtree") {
    return absl::FailedPreconditionError(
        absl::StrCat(what, ": unsupported XGBoost booster \"", booster_name,
                     "\" (only gbtree; dart tree weights are not supported)"));
  }
  AISLE_ASSIGN_OR_RETURN(const Json* obj, Require(*learner, "objective", lp, src));
  AISLE_ASSIGN_OR_RETURN(const Json* oname, Require(*obj, "name", Child(lp, "objective"), src));
  GbdtModel m;
  m.source = "xgboost-json";
  m.objective = oname->is_string() ? oname->get<std::string>() : "";
  AISLE_ASSIGN_OR_RETURN(ObjectiveInfo info, LookUpObjective(m.objective, what));
  m.transform = info.transform;

  AISLE_ASSIGN_OR_RETURN(const Json* mparam, Require(*learner, "learner_model_param", lp, src));
  const std::string mp = Child(lp, "learner_model_param");
  AISLE_ASSIGN_OR_RETURN(const Json* nf, Require(*mparam, "num_feature", mp, src));
  AISLE_ASSIGN_OR_RETURN(
      const size_t num_feature,
      IndexOf(*nf, Child(mp, "num_feature"), 1u << 30, "num_feature", src));
  m.num_features = static_cast<uint32_t>(num_feature);
  size_t num_class = 0;
  if (const Json* nc = Find(*mparam, "num_class")) {
    AISLE_ASSIGN_OR_RETURN(num_class,
                           IndexOf(*nc, Child(mp, "num_class"), 65536, "num_class", src));
  }
  if (const Json* nt = Find(*mparam, "num_target")) {
    AISLE_ASSIGN_OR_RETURN(double num_target, NumberOf(*nt, Child(mp, "num_target"), src));
    if (num_target > 1) {
      return absl::FailedPreconditionError(
          absl::StrCat(what, ": multi-target models (num_target ", num_target, ") unsupported"));
    }
  }
  m.num_outputs = num_class > 1 ? static_cast<uint32_t>(num_class) : 1;
  AISLE_ASSIGN_OR_RETURN(const Json* bs, Require(*mparam, "base_score", mp, src));
  AISLE_ASSIGN_OR_RETURN(std::vector<double> base_scores,
                         ParseBaseScore(*bs, Child(mp, "base_score"), src));

  if (const Json* names = Find(*learner, "feature_names"); names && names->is_array()) {
    for (size_t k = 0; k < names->size(); ++k) {
      const Json& s = (*names)[k];
      if (!s.is_string()) {
        return src.Bad(Elem(Child(lp, "feature_names"), k), "feature_names holds a non-string");
      }
      m.feature_names.push_back(s.get<std::string>());
    }
    if (!m.feature_names.empty() && m.feature_names.size() != m.num_features) {
      return src.Bad(Child(lp, "feature_names"),
                     absl::StrCat(m.feature_names.size(), " feature_names for num_feature ",
                                  m.num_features));
    }
  }

  AISLE_ASSIGN_OR_RETURN(const Json* model, Require(*booster, "model", bp, src));
  const std::string modp = Child(bp, "model");
  AISLE_ASSIGN_OR_RETURN(const Json* trees, Require(*model, "trees", modp, src));
  if (!trees->is_array()) return src.Bad(Child(modp, "trees"), "trees is not an array");
  const Json* tree_info = Find(*model, "tree_info");
  if (tree_info != nullptr && (!tree_info->is_array() || tree_info->size() != trees->size())) {
    return src.Bad(Child(modp, "tree_info"),
                   absl::StrCat("tree_info must have one entry per tree (", trees->size(), ")"));
  }
  m.trees.reserve(trees->size());
  const std::string trees_path = Child(modp, "trees");
  for (size_t i = 0; i < trees->size(); ++i) {
    AISLE_ASSIGN_OR_RETURN(
        GbdtTree tree, ParseJsonTree((*trees)[i], i, m.num_features, Elem(trees_path, i), src));
    if (tree_info != nullptr) {
      const std::string p = Elem(Child(modp, "tree_info"), i);
      AISLE_ASSIGN_OR_RETURN(
          const size_t g,
          IndexOf((*tree_info)[i], p, m.num_outputs, absl::StrCat("tree ", i, ": tree_info"),
                  src));
      tree.output_group = static_cast<int32_t>(g);
    }
    m.trees.push_back(std::move(tree));
  }
  return FinishBase(std::move(m), base_scores, info.base_link, what);
}

absl::StatusOr<GbdtModel> ParseJsonImpl(absl::string_view text, absl::string_view what) {
  const internal::ModelFormat format = internal::SniffModelFormat(text);
  if (format != internal::ModelFormat::kXgboostJson && format != internal::ModelFormat::kOtherJson) {
    return internal::WrongFormatError(what, format, "an XGBoost JSON model");
  }
  std::vector<size_t> inserted;
  Json doc = Json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  std::string quoted;
  if (doc.is_discarded()) {
    quoted = QuoteNonFinite(text, inserted);
    doc = Json::parse(quoted.begin(), quoted.end(), nullptr, /*allow_exceptions=*/false);
    if (doc.is_discarded()) {
      // Report the error in the text as written when its literals are not
      // the cause, else in the quoted text (same lines; columns shift by the
      // quotes added before it on its line).
      return absl::InvalidArgumentError(
          ::aisle::internal::DescribeJsonParseError(inserted.empty() ? text : quoted, what));
    }
  }
  const JsonSource src(what, text, quoted.empty() ? text : absl::string_view(quoted), inserted);
  return ParseJsonDocument(doc, src);
}

// ---------------------------------------------------------------------------
// Legacy binary format (little-endian, as written by XGBoost's
// Learner::Save / GBTreeModel::Save / RegTree::Save):
//   ["binf"]  optional 4-byte header written by 1.x
//   LearnerModelParam (136 bytes): float base_score; uint32 num_feature;
//     int32 num_class; int32 contain_extra_attrs; int32 contain_eval_metrics;
//     uint32 major_version; uint32 minor_version; int32 reserved[27]
//   string objective, string booster   (uint64 length + bytes)
//   GBTreeModelParam (160 bytes): int32 num_trees; int32 num_roots;
//     int32 num_feature; int32 pad; int64 num_pbuffer; int32 num_output_group;
//     int32 size_leaf_vector; int32 reserved[32]
//   per tree: TreeParam (148 bytes): int32 num_roots, num_nodes, num_deleted,
//     max_depth, num_feature, size_leaf_vector, reserved[31];
//     num_nodes x Node (20 bytes): int32 parent, left, right; uint32 sindex
//     (bit 31 = default left); float leaf value or split condition;
//     num_nodes x NodeStat (16 bytes); [leaf vector if size_leaf_vector != 0]
//   int32 tree_info[num_trees]
class Reader {
 public:
  Reader(absl::string_view bytes, absl::string_view what) : bytes_(bytes), what_(what) {}
  template <typename T>
  absl::Status Read(T* out, absl::string_view field) {
    if (bytes_.size() - pos_ < sizeof(T)) return Truncated(field);
    std::memcpy(out, bytes_.data() + pos_, sizeof(T));
    pos_ += sizeof(T);
    return absl::OkStatus();
  }
  absl::Status Skip(size_t n, absl::string_view field) {
    if (bytes_.size() - pos_ < n) return Truncated(field);
    pos_ += n;
    return absl::OkStatus();
  }
  absl::Status ReadString(std::string* out, absl::string_view field) {
    uint64_t len = 0;
    AISLE_RETURN_IF_ERROR(Read(&len, field));
    if (len > bytes_.size() - pos_) return Truncated(field);
    out->assign(bytes_.data() + pos_, len);
    pos_ += len;
    return absl::OkStatus();
  }
  size_t pos() const { return pos_; }
  absl::string_view rest() const { return bytes_.substr(pos_); }

 private:
  absl::Status Truncated(absl::string_view field) const {
    return absl::InvalidArgumentError(
        absl::StrCat(what_, ": truncated at byte ", pos_, " while reading ", field));
  }
  absl::string_view bytes_;
  absl::string_view what_;
  size_t pos_ = 0;
};

absl::StatusOr<GbdtModel> ParseBinaryImpl(absl::string_view bytes, absl::string_view what) {
  // Text (a LightGBM model, JSON of any kind) is never a legacy binary: say
  // what it is instead of reporting it as a truncated binary.
  const internal::ModelFormat format = internal::SniffModelFormat(bytes);
  if (format == internal::ModelFormat::kXgboostJson) {
    return absl::InvalidArgumentError(absl::StrCat(
        what, ": this looks like an XGBoost JSON model, not an XGBoost legacy binary model; parse "
              "it with ParseXgboostJson (LoadXgboostModelFile tells the two apart)"));
  }
  if (format != internal::ModelFormat::kXgboostBinary && format != internal::ModelFormat::kUnknown) {
    return internal::WrongFormatError(what, format, "an XGBoost legacy binary model");
  }
  if (bytes.substr(0, 4) == "binf") bytes.remove_prefix(4);
  if (bytes.substr(0, 4) == "bs64") {
    return absl::FailedPreconditionError(absl::StrCat(what, ": base64 XGBoost models unsupported"));
  }
  Reader r(bytes, what);
  float base_score = 0;
  uint32_t num_feature = 0;
  int32_t num_class = 0, extra_attrs = 0, eval_metrics = 0;
  uint32_t major = 0, minor = 0;
  AISLE_RETURN_IF_ERROR(r.Read(&base_score, "learner param base_score"));
  AISLE_RETURN_IF_ERROR(r.Read(&num_feature, "learner param num_feature"));
  AISLE_RETURN_IF_ERROR(r.Read(&num_class, "learner param num_class"));
  AISLE_RETURN_IF_ERROR(r.Read(&extra_attrs, "learner param contain_extra_attrs"));
  AISLE_RETURN_IF_ERROR(r.Read(&eval_metrics, "learner param contain_eval_metrics"));
  AISLE_RETURN_IF_ERROR(r.Read(&major, "learner param major_version"));
  AISLE_RETURN_IF_ERROR(r.Read(&minor, "learner param minor_version"));
  AISLE_RETURN_IF_ERROR(r.Skip(27 * 4, "learner param reserved"));
  GbdtModel m;
  m.source = "xgboost-binary";
  std::string booster;
  AISLE_RETURN_IF_ERROR(r.ReadString(&m.objective, "objective name"));
  AISLE_RETURN_IF_ERROR(r.ReadString(&booster, "booster name"));
  if (booster == "gblinear") {
    return absl::FailedPreconditionError(absl::StrCat(
        what, ": gblinear booster is not a tree model; import it with the linear ranker"));
  }
  if (booster != "gbtree") {
    return absl::FailedPreconditionError(
        absl::StrCat(what, ": unsupported XGBoost booster \"", booster, "\" (only gbtree)"));
  }
  AISLE_ASSIGN_OR_RETURN(ObjectiveInfo info, LookUpObjective(m.objective, what));
  m.transform = info.transform;
  if (num_feature >= (1u << 30)) {
    return absl::InvalidArgumentError(absl::StrCat(what, ": learner param num_feature = ",
                                                   num_feature,
                                                   " is outside [0, 2^30): corrupt file"));
  }
  if (num_class < 0 || num_class >= 65536) {
    return absl::InvalidArgumentError(absl::StrCat(
        what, ": learner param num_class = ", num_class, " is outside [0, 65536): corrupt file"));
  }
  m.num_features = num_feature;
  int32_t num_trees = 0, num_roots = 0, gb_num_feature = 0, pad = 0, num_output_group = 0,
          size_leaf_vector = 0;
  int64_t num_pbuffer = 0;
  AISLE_RETURN_IF_ERROR(r.Read(&num_trees, "gbtree param num_trees"));
  AISLE_RETURN_IF_ERROR(r.Read(&num_roots, "gbtree param num_roots"));
  AISLE_RETURN_IF_ERROR(r.Read(&gb_num_feature, "gbtree param num_feature"));
  AISLE_RETURN_IF_ERROR(r.Read(&pad, "gbtree param pad"));
  AISLE_RETURN_IF_ERROR(r.Read(&num_pbuffer, "gbtree param num_pbuffer"));
  AISLE_RETURN_IF_ERROR(r.Read(&num_output_group, "gbtree param num_output_group"));
  AISLE_RETURN_IF_ERROR(r.Read(&size_leaf_vector, "gbtree param size_leaf_vector"));
  AISLE_RETURN_IF_ERROR(r.Skip(32 * 4, "gbtree param reserved"));
  // Every tree takes at least its 148-byte parameter block.
  const size_t max_trees = r.rest().size() / 148;
  if (num_trees < 0 || static_cast<size_t>(num_trees) > max_trees) {
    return absl::InvalidArgumentError(absl::StrCat(
        what, ": gbtree param num_trees = ", num_trees, " is outside [0, ", max_trees,
        "] (the ", r.rest().size(), " bytes left hold at most ", max_trees,
        " trees): corrupt or truncated file"));
  }
  if (num_output_group < 1 || num_output_group >= 65536) {
    return absl::InvalidArgumentError(absl::StrCat(what, ": gbtree param num_output_group = ",
                                                   num_output_group,
                                                   " is outside [1, 65536): corrupt file"));
  }
  if (gb_num_feature < 0 || gb_num_feature >= (1 << 30)) {
    return absl::InvalidArgumentError(absl::StrCat(what, ": gbtree param num_feature = ",
                                                   gb_num_feature,
                                                   " is outside [0, 2^30): corrupt file"));
  }
  m.num_outputs = static_cast<uint32_t>(std::max(num_output_group, std::max(num_class, 1)));
  if (m.num_features == 0 && gb_num_feature > 0) m.num_features = gb_num_feature;
  m.trees.resize(num_trees);
  for (int32_t t = 0; t < num_trees; ++t) {
    const std::string where = absl::StrCat(what, ": tree ", t);
    int32_t tp[6] = {};
    for (int32_t& v : tp) AISLE_RETURN_IF_ERROR(r.Read(&v, where + " param"));
    AISLE_RETURN_IF_ERROR(r.Skip(31 * 4, where + " param reserved"));
    const int32_t num_nodes = tp[1];
    const int32_t leaf_vec = tp[5];
    // Every node takes 36 bytes (20 of node, 16 of statistics).
    const size_t max_nodes = r.rest().size() / 36;
    if (num_nodes < 1 || static_cast<size_t>(num_nodes) > max_nodes) {
      return absl::InvalidArgumentError(absl::StrCat(
          where, ": tree param num_nodes = ", num_nodes, " is outside [1, ", max_nodes, "] (the ",
          r.rest().size(), " bytes left hold at most ", max_nodes,
          " nodes): truncated or corrupt file"));
    }
    GbdtTree& tree = m.trees[t];
    tree.nodes.resize(num_nodes);
    for (int32_t i = 0; i < num_nodes; ++i) {
      const std::string nw = absl::StrCat(where, " node ", i);
      int32_t parent = 0, left = 0, right = 0;
      uint32_t sindex = 0;
      float value = 0;
      AISLE_RETURN_IF_ERROR(r.Read(&parent, nw));
      AISLE_RETURN_IF_ERROR(r.Read(&left, nw));
      AISLE_RETURN_IF_ERROR(r.Read(&right, nw));
      AISLE_RETURN_IF_ERROR(r.Read(&sindex, nw));
      AISLE_RETURN_IF_ERROR(r.Read(&value, nw));
      GbdtNode& node = tree.nodes[i];
      if (left == -1) {
        node.kind = GbdtNodeKind::kLeaf;
        node.leaf_value = value;
        continue;
      }
      if (left < 0 || left >= num_nodes || right < 0 || right >= num_nodes) {
        return absl::InvalidArgumentError(
            absl::StrCat(nw, ": child index ", (left < 0 || left >= num_nodes) ? left : right,
                         " out of range [0, ", num_nodes, ")"));
      }
      node.kind = GbdtNodeKind::kNumeric;
      node.left = left;
      node.right = right;
      node.feature = sindex & 0x7fffffffu;
      node.default_left = (sindex >> 31) != 0;
      node.threshold = value;
      if (std::isnan(value)) return absl::InvalidArgumentError(nw + ": threshold is NaN");
      if (node.feature >= m.num_features) {
        return absl::InvalidArgumentError(absl::StrCat(nw, ": feature index ", node.feature,
                                                       " out of range [0, ", m.num_features, ")"));
      }
    }
    AISLE_RETURN_IF_ERROR(r.Skip(static_cast<size_t>(num_nodes) * 16, where + " node stats"));
    if (leaf_vec != 0) {
      return absl::FailedPreconditionError(where + ": leaf vectors are not supported");
    }
  }
  for (int32_t t = 0; t < num_trees; ++t) {
    int32_t g = 0;
    AISLE_RETURN_IF_ERROR(r.Read(&g, "tree_info"));
    if (g < 0 || static_cast<uint32_t>(g) >= m.num_outputs) {
      return absl::InvalidArgumentError(absl::StrCat(what, ": tree ", t, ": tree_info ", g,
                                                     " out of range [0, ", m.num_outputs, ")"));
    }
    m.trees[t].output_group = g;
  }
  // XGBoost 1.0+ writes base_score as a value after the link (it converts it
  // through ProbToMargin at load); models written before 1.0 already hold the
  // margin (0.x applied ProbToMargin to the saved parameter).
  Link link = major >= 1 ? info.base_link : Link::kIdentity;
  return FinishBase(std::move(m), {static_cast<double>(base_score)}, link, what);
}

absl::Status PrefixError(const absl::Status& s, absl::string_view what) {
  if (s.ok()) return s;
  return absl::Status(s.code(), absl::StrCat(what, ": ", s.message()));
}

}  // namespace

absl::StatusOr<GbdtModel> ParseXgboostJson(absl::string_view json, absl::string_view what) {
  try {
    AISLE_ASSIGN_OR_RETURN(GbdtModel m, ParseJsonImpl(json, what));
    m.content_hash = Checksum64(json);
    AISLE_RETURN_IF_ERROR(PrefixError(m.Validate(), what));
    return m;
  } catch (const std::bad_alloc&) {
    return absl::ResourceExhaustedError(absl::StrCat(what, ": out of memory while loading"));
  } catch (const std::exception& e) {
    return absl::InvalidArgumentError(absl::StrCat(what, ": ", e.what()));
  }
}

absl::StatusOr<GbdtModel> ParseXgboostBinary(absl::string_view bytes, absl::string_view what) {
  try {
    AISLE_ASSIGN_OR_RETURN(GbdtModel m, ParseBinaryImpl(bytes, what));
    m.content_hash = Checksum64(bytes);
    AISLE_RETURN_IF_ERROR(PrefixError(m.Validate(), what));
    return m;
  } catch (const std::bad_alloc&) {
    return absl::ResourceExhaustedError(absl::StrCat(what, ": out of memory while loading"));
  } catch (const std::exception& e) {
    return absl::InvalidArgumentError(absl::StrCat(what, ": ", e.what()));
  }
}

absl::StatusOr<GbdtModel> LoadXgboostModelFile(absl::string_view path) {
  AISLE_ASSIGN_OR_RETURN(std::string bytes, ReadFileToString(path));
  switch (internal::SniffModelFormat(bytes)) {
    case internal::ModelFormat::kXgboostJson:
    case internal::ModelFormat::kOtherJson:
      return ParseXgboostJson(bytes, path);
    case internal::ModelFormat::kXgboostBinary:
    case internal::ModelFormat::kUnknown:
      return ParseXgboostBinary(bytes, path);
    default:
      return internal::WrongFormatError(path, internal::SniffModelFormat(bytes),
                                        "an XGBoost model (JSON or legacy binary)");
  }
}

}  // namespace aisle::ranking
