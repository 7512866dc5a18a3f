#include "aisle/ranking/linear_model.h"

#include <cmath>
#include <cstdlib>
#include <exception>
#include <new>
#include <string>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_format.h"
#include "aisle/core/blob.h"
#include "aisle/core/file.h"
#include "aisle/core/status_macros.h"
#include "core/json_diagnostics.h"
#include "nlohmann/json.hpp"
#include "ranking/model_format.h"

namespace aisle::ranking {
namespace {

using Json = nlohmann::json;

// The text being parsed and its name: errors about a value name the file,
// the line:column and byte offset where the value is, and its JSON path.
struct Source {
  absl::string_view text;
  std::string what;

  // "<what>:<line>:<column> (byte <n>)" where `path` starts, or "<what>".
  std::string At(const std::string& path) const {
    const size_t at = ::aisle::internal::LocateJsonValue(text, path);
    if (at == std::string::npos) return what;
    return absl::StrFormat("%s:%s (byte %d)", what, ::aisle::internal::JsonLineColumn(text, at),
                           at);
  }
  // The value at `path` as written ("1e39"), or `fallback`.
  std::string Text(const std::string& path, const std::string& fallback) const {
    const size_t at = ::aisle::internal::LocateJsonValue(text, path);
    return at == std::string::npos ? fallback : ::aisle::internal::JsonTokenAt(text, at);
  }
};

absl::StatusOr<Json> ParseJson(absl::string_view text, const std::string& what) {
  try {
    Json j = Json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded()) {
      return absl::InvalidArgumentError(::aisle::internal::DescribeJsonParseError(text, what));
    }
    return j;
  } catch (const std::bad_alloc&) {
    return absl::ResourceExhaustedError(absl::StrFormat("%s: out of memory while parsing", what));
  } catch (const std::exception& e) {
    return absl::InvalidArgumentError(absl::StrFormat("%s: %s", what, e.what()));
  }
}

// Files that are not JSON at all (a LightGBM text model, an XGBoost binary)
// are named for what they are.
absl::Status CheckIsJson(absl::string_view text, const std::string& what) {
  const internal::ModelFormat f = internal::SniffModelFormat(text);
  if (f == internal::ModelFormat::kAisleLinearJson || f == internal::ModelFormat::kXgboostJson ||
      f == internal::ModelFormat::kOtherJson) {
    return absl::OkStatus();
  }
  return internal::WrongFormatError(what, f,
                                    "a linear model (aisle.linear JSON or XGBoost gblinear JSON)");
}

// A finite float from a JSON number or a numeric string (XGBoost writes some
// numbers as strings, e.g. "base_score": "5E-1"). `field` is the value's JSON
// path.
absl::StatusOr<float> ToFloat(const Json& v, const Source& src, const std::string& field) {
  double d = 0;
  std::string text;
  if (v.is_number()) {
    d = v.get<double>();
    text = v.dump();
  } else if (v.is_string()) {
    const std::string& s = v.get_ref<const std::string&>();
    char* end = nullptr;
    d = std::strtod(s.c_str(), &end);
    if (s.empty() || end != s.c_str() + s.size()) {
      return absl::InvalidArgumentError(absl::StrFormat("%s: field '%s' is not a number: \"%s\"",
                                                        src.At(field), field, s));
    }
    text = absl::StrCat("\"", s, "\"");
  } else {
    return absl::InvalidArgumentError(absl::StrFormat("%s: field '%s' must be a number, got %s",
                                                      src.At(field), field, v.type_name()));
  }
  const float f = static_cast<float>(d);
  if (!std::isfinite(f)) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "%s: field '%s' is not a finite float: %s%s", src.At(field), field,
        src.Text(field, text),
        std::isfinite(d) ? " (overflows a float)" : ""));
  }
  return f;
}

absl::StatusOr<const Json*> Field(const Json& obj, const char* key, const Source& src,
                                  const std::string& where, const std::string& path = "") {
  if (!obj.is_object()) {
    return absl::InvalidArgumentError(
        absl::StrFormat("%s: %s must be a JSON object", src.At(path), where));
  }
  auto it = obj.find(key);
  if (it == obj.end()) {
    return absl::InvalidArgumentError(
        absl::StrFormat("%s: %s has no field '%s'", src.At(path), where, key));
  }
  return &*it;
}

std::string Child(const std::string& path, absl::string_view key) {
  std::string out = path;
  ::aisle::internal::AppendJsonPathKey(out, key);
  return out;
}

absl::StatusOr<std::string> StringField(const Json& obj, const char* key, const Source& src,
                                        const std::string& where, const std::string& path = "") {
  AISLE_ASSIGN_OR_RETURN(const Json* v, Field(obj, key, src, where, path));
  if (!v->is_string()) {
    return absl::InvalidArgumentError(absl::StrFormat("%s: field '%s' must be a string, got %s",
                                                      src.At(Child(path, key)), key,
                                                      v->type_name()));
  }
  return v->get<std::string>();
}

std::string Hash(absl::string_view bytes) { return absl::StrFormat("%016x", Checksum64(bytes)); }

absl::StatusOr<LinearModel> ParseAisle(const Json& j, const Source& src) {
  const std::string& what = src.what;
  AISLE_ASSIGN_OR_RETURN(std::string format, StringField(j, "format", src, "the model"));
  if (format != "aisle.linear") {
    return absl::InvalidArgumentError(absl::StrFormat(
        "%s: field 'format' is \"%s\", expected \"aisle.linear\"", src.At("format"), format));
  }
  AISLE_ASSIGN_OR_RETURN(const Json* fv, Field(j, "format_version", src, "the model"));
  if (!fv->is_number_integer()) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "%s: field 'format_version' must be an integer", src.At("format_version")));
  }
  if (fv->get<int64_t>() != 1) {
    return absl::FailedPreconditionError(absl::StrFormat(
        "%s: format_version %d is not supported (this build reads 1)", what, fv->get<int64_t>()));
  }
  LinearModel m;
  AISLE_ASSIGN_OR_RETURN(m.name, StringField(j, "name", src, "the model"));
  AISLE_ASSIGN_OR_RETURN(std::string link, StringField(j, "link", src, "the model"));
  if (link == "identity") {
    m.link = LinearLink::kIdentity;
  } else if (link == "logistic") {
    m.link = LinearLink::kLogistic;
  } else {
    return absl::InvalidArgumentError(
        absl::StrFormat("%s: field 'link' is \"%s\", expected \"identity\" or \"logistic\"",
                        src.At("link"), link));
  }
  AISLE_ASSIGN_OR_RETURN(const Json* bias, Field(j, "bias", src, "the model"));
  AISLE_ASSIGN_OR_RETURN(m.bias, ToFloat(*bias, src, "bias"));
  AISLE_ASSIGN_OR_RETURN(const Json* weights, Field(j, "weights", src, "the model"));
  if (!weights->is_array()) {
    return absl::InvalidArgumentError(
        absl::StrFormat("%s: field 'weights' must be an array", src.At("weights")));
  }
  absl::flat_hash_map<std::string, size_t> seen;
  for (size_t i = 0; i < weights->size(); ++i) {
    const Json& w = (*weights)[i];
    const std::string where = absl::StrFormat("weights[%d]", i);
    LinearTerm t;
    AISLE_ASSIGN_OR_RETURN(t.feature, StringField(w, "feature", src, where, where));
    if (t.feature.empty()) {
      return absl::InvalidArgumentError(
          absl::StrFormat("%s: %s has an empty feature name", src.At(where + ".feature"), where));
    }
    AISLE_ASSIGN_OR_RETURN(const Json* wv, Field(w, "weight", src, where, where));
    AISLE_ASSIGN_OR_RETURN(t.weight, ToFloat(*wv, src, where + ".weight"));
    if (auto it = w.find("missing"); it != w.end()) {
      AISLE_ASSIGN_OR_RETURN(t.missing_value, ToFloat(*it, src, where + ".missing"));
    }
    if (auto [it, inserted] = seen.emplace(t.feature, i); !inserted) {
      return absl::InvalidArgumentError(
          absl::StrFormat("%s: feature '%s' has two weights (weights[%d] and weights[%d])",
                          src.At(where + ".feature"), t.feature, it->second, i));
    }
    m.terms.push_back(std::move(t));
  }
  return m;
}

absl::StatusOr<LinearModel> ParseXgboost(const Json& j, const Source& src,
                                         absl::Span<const std::string> feature_names) {
  const std::string& what = src.what;
  AISLE_ASSIGN_OR_RETURN(const Json* learner, Field(j, "learner", src, "the model"));
  AISLE_ASSIGN_OR_RETURN(const Json* booster,
                         Field(*learner, "gradient_booster", src, "'learner'", "learner"));
  const std::string bp = "learner.gradient_booster";
  AISLE_ASSIGN_OR_RETURN(std::string booster_name,
                         StringField(*booster, "name", src, "'gradient_booster'", bp));
  if (booster_name != "gblinear") {
    return absl::InvalidArgumentError(absl::StrFormat(
        "%s: booster is '%s', expected 'gblinear' (trees load through the GBDT importer)",
        src.At(bp + ".name"), booster_name));
  }
  AISLE_ASSIGN_OR_RETURN(const Json* params,
                         Field(*learner, "learner_model_param", src, "'learner'", "learner"));
  const std::string pp = "learner.learner_model_param";
  AISLE_ASSIGN_OR_RETURN(const Json* nf,
                         Field(*params, "num_feature", src, "'learner_model_param'", pp));
  AISLE_ASSIGN_OR_RETURN(float num_feature_f, ToFloat(*nf, src, pp + ".num_feature"));
  int64_t num_class = 0;
  if (auto it = params->find("num_class"); it != params->end()) {
    AISLE_ASSIGN_OR_RETURN(float nc, ToFloat(*it, src, pp + ".num_class"));
    if (!(nc >= 0 && nc < 65536)) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "%s: field 'num_class' = %g is outside [0, 65536)", src.At(pp + ".num_class"), nc));
    }
    num_class = static_cast<int64_t>(nc);
  }
  if (num_class > 1) {
    return absl::UnimplementedError(absl::StrFormat(
        "%s: multi-output gblinear (num_class %d) is not supported", what, num_class));
  }
  if (num_feature_f < 0 || num_feature_f != std::floor(num_feature_f) ||
      num_feature_f >= static_cast<float>(1 << 30)) {
    return absl::InvalidArgumentError(
        absl::StrFormat("%s: num_feature %g is not a count in [0, 2^30)",
                        src.At(pp + ".num_feature"), num_feature_f));
  }
  const size_t num_feature = static_cast<size_t>(num_feature_f);
  float base_score = 0.5f;
  if (auto it = params->find("base_score"); it != params->end()) {
    AISLE_ASSIGN_OR_RETURN(base_score, ToFloat(*it, src, pp + ".base_score"));
  }
  AISLE_ASSIGN_OR_RETURN(const Json* objective,
                         Field(*learner, "objective", src, "'learner'", "learner"));
  AISLE_ASSIGN_OR_RETURN(std::string obj,
                         StringField(*objective, "name", src, "'objective'", "learner.objective"));

  LinearModel m;
  m.name = "xgboost-gblinear-" + obj;
  double base_margin = base_score;
  if (obj == "binary:logistic" || obj == "reg:logistic" || obj == "binary:logitraw") {
    if (!(base_score > 0 && base_score < 1)) {
      return absl::InvalidArgumentError(
          absl::StrFormat("%s: base_score %g must be in (0, 1) for objective '%s'",
                          src.At(pp + ".base_score"), base_score, obj));
    }
    base_margin = -std::log(1.0 / base_score - 1.0);  // XGBoost's ProbToMargin
    m.link = obj == "binary:logitraw" ? LinearLink::kIdentity : LinearLink::kLogistic;
  } else if (obj == "reg:squarederror" || obj == "reg:linear" || obj == "reg:pseudohubererror" ||
             obj.rfind("rank:", 0) == 0) {
    m.link = LinearLink::kIdentity;
  } else {
    return absl::UnimplementedError(
        absl::StrFormat("%s: objective '%s' is not supported for gblinear", what, obj));
  }

  AISLE_ASSIGN_OR_RETURN(const Json* model,
                         Field(*booster, "model", src, "'gradient_booster'", bp));
  const std::string wp = bp + ".model.weights";
  AISLE_ASSIGN_OR_RETURN(const Json* weights,
                         Field(*model, "weights", src, "'model'", bp + ".model"));
  if (!weights->is_array() || weights->size() != num_feature + 1) {
    return absl::InvalidArgumentError(
        absl::StrFormat("%s: gblinear 'weights' has %d entries, expected num_feature + 1 = %d",
                        src.At(wp), weights->is_array() ? weights->size() : 0, num_feature + 1));
  }
  std::vector<std::string> names;
  if (auto it = learner->find("feature_names");
      it != learner->end() && it->is_array() && !it->empty()) {
    for (const Json& n : *it) {
      if (!n.is_string()) {
        return absl::InvalidArgumentError(absl::StrFormat(
            "%s: 'feature_names' must hold strings", src.At("learner.feature_names")));
      }
      names.push_back(n.get<std::string>());
    }
  } else if (!feature_names.empty()) {
    names.assign(feature_names.begin(), feature_names.end());
  } else {
    for (size_t i = 0; i < num_feature; ++i) names.push_back(absl::StrFormat("f%d", i));
  }
  if (names.size() != num_feature) {
    return absl::InvalidArgumentError(absl::StrFormat("%s: %d feature names for num_feature %d",
                                                      what, names.size(), num_feature));
  }
  for (size_t i = 0; i < num_feature; ++i) {
    AISLE_ASSIGN_OR_RETURN(float w, ToFloat((*weights)[i], src, absl::StrFormat("%s[%d]", wp, i)));
    if (w == 0.0f) continue;  // contributes nothing; need not be bound
    m.terms.push_back({names[i], w, 0.0f});
  }
  AISLE_ASSIGN_OR_RETURN(float bias, ToFloat((*weights)[num_feature], src,
                                             absl::StrFormat("%s[%d]", wp, num_feature)));
  m.bias = static_cast<float>(bias + base_margin);
  return m;
}

}  // namespace

std::string LinearModel::Version() const {
  return absl::StrFormat("%s:%s:xxh64=%s", link == LinearLink::kLogistic ? "logistic" : "linear",
                         name, content_hash.empty() ? "none" : content_hash);
}

absl::StatusOr<LinearModel> ParseLinearModelJson(absl::string_view json, absl::string_view what) {
  const Source src{json, std::string(what)};
  AISLE_RETURN_IF_ERROR(CheckIsJson(json, src.what));
  AISLE_ASSIGN_OR_RETURN(Json j, ParseJson(json, src.what));
  if (j.is_object() && j.contains("learner")) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "%s: this looks like an XGBoost JSON model, not aisle.linear JSON; parse it with "
        "ParseXgboostGblinearJson (gblinear) or as XGBoost (trees), or load the file with "
        "LoadLinearModelFile",
        src.what));
  }
  try {
    AISLE_ASSIGN_OR_RETURN(LinearModel m, ParseAisle(j, src));
    m.content_hash = Hash(json);
    return m;
  } catch (const std::exception& e) {
    return absl::InvalidArgumentError(absl::StrFormat("%s: %s", src.what, e.what()));
  }
}

absl::StatusOr<LinearModel> ParseXgboostGblinearJson(absl::string_view json, absl::string_view what,
                                                     absl::Span<const std::string> feature_names) {
  const Source src{json, std::string(what)};
  AISLE_RETURN_IF_ERROR(CheckIsJson(json, src.what));
  AISLE_ASSIGN_OR_RETURN(Json j, ParseJson(json, src.what));
  if (j.is_object() && j.contains("format") && !j.contains("learner")) {
    return internal::WrongFormatError(src.what, internal::SniffModelFormat(json),
                                      "an XGBoost gblinear JSON model");
  }
  try {
    AISLE_ASSIGN_OR_RETURN(LinearModel m, ParseXgboost(j, src, feature_names));
    m.content_hash = Hash(json);
    return m;
  } catch (const std::exception& e) {
    return absl::InvalidArgumentError(absl::StrFormat("%s: %s", src.what, e.what()));
  }
}

absl::StatusOr<LinearModel> LoadLinearModelFile(absl::string_view path) {
  AISLE_ASSIGN_OR_RETURN(std::string bytes, ReadFileToString(path));
  const Source src{bytes, std::string(path)};
  AISLE_RETURN_IF_ERROR(CheckIsJson(bytes, src.what));
  AISLE_ASSIGN_OR_RETURN(Json j, ParseJson(bytes, src.what));
  try {
    if (j.is_object() && j.contains("learner")) {
      AISLE_ASSIGN_OR_RETURN(LinearModel m, ParseXgboost(j, src, {}));
      m.content_hash = Hash(bytes);
      return m;
    }
    AISLE_ASSIGN_OR_RETURN(LinearModel m, ParseAisle(j, src));
    m.content_hash = Hash(bytes);
    return m;
  } catch (const std::exception& e) {
    return absl::InvalidArgumentError(absl::StrFormat("%s: %s", src.what, e.what()));
  }
}

}  // namespace aisle::ranking
