#include "aisle/ranking/linear_model.h"

#include <cmath>
#include <cstdlib>
#include <exception>
#include <string>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_format.h"
#include "aisle/core/blob.h"
#include "aisle/core/file.h"
#include "aisle/core/status_macros.h"
#include "nlohmann/json.hpp"

namespace aisle::ranking {
namespace {

using Json = nlohmann::json;

absl::StatusOr<Json> ParseJson(absl::string_view text, const std::string& what) {
  try {
    return Json::parse(text.begin(), text.end());
  } catch (const Json::parse_error& e) {
    return absl::InvalidArgumentError(
        absl::StrFormat("%s: malformed JSON at byte %d: %s", what, e.byte, e.what()));
  } catch (const std::exception& e) {
    return absl::InvalidArgumentError(absl::StrFormat("%s: %s", what, e.what()));
  }
}

// A finite float from a JSON number or a numeric string (XGBoost writes some
// numbers as strings, e.g. "base_score": "5E-1").
absl::StatusOr<float> ToFloat(const Json& v, const std::string& what, const std::string& field) {
  double d = 0;
  if (v.is_number()) {
    d = v.get<double>();
  } else if (v.is_string()) {
    const std::string& s = v.get_ref<const std::string&>();
    char* end = nullptr;
    d = std::strtod(s.c_str(), &end);
    if (s.empty() || end != s.c_str() + s.size()) {
      return absl::InvalidArgumentError(
          absl::StrFormat("%s: field '%s' is not a number: \"%s\"", what, field, s));
    }
  } else {
    return absl::InvalidArgumentError(
        absl::StrFormat("%s: field '%s' must be a number, got %s", what, field, v.type_name()));
  }
  const float f = static_cast<float>(d);
  if (!std::isfinite(f)) {
    return absl::InvalidArgumentError(
        absl::StrFormat("%s: field '%s' is not a finite float: %g", what, field, d));
  }
  return f;
}

absl::StatusOr<const Json*> Field(const Json& obj, const char* key, const std::string& what,
                                  const std::string& where) {
  if (!obj.is_object()) {
    return absl::InvalidArgumentError(absl::StrFormat("%s: %s must be a JSON object", what, where));
  }
  auto it = obj.find(key);
  if (it == obj.end()) {
    return absl::InvalidArgumentError(
        absl::StrFormat("%s: %s has no field '%s'", what, where, key));
  }
  return &*it;
}

absl::StatusOr<std::string> StringField(const Json& obj, const char* key, const std::string& what,
                                        const std::string& where) {
  AISLE_ASSIGN_OR_RETURN(const Json* v, Field(obj, key, what, where));
  if (!v->is_string()) {
    return absl::InvalidArgumentError(
        absl::StrFormat("%s: field '%s' must be a string, got %s", what, key, v->type_name()));
  }
  return v->get<std::string>();
}

std::string Hash(absl::string_view bytes) { return absl::StrFormat("%016x", Checksum64(bytes)); }

absl::StatusOr<LinearModel> ParseAisle(const Json& j, const std::string& what) {
  AISLE_ASSIGN_OR_RETURN(std::string format, StringField(j, "format", what, "the model"));
  if (format != "aisle.linear") {
    return absl::InvalidArgumentError(
        absl::StrFormat("%s: field 'format' is \"%s\", expected \"aisle.linear\"", what, format));
  }
  AISLE_ASSIGN_OR_RETURN(const Json* fv, Field(j, "format_version", what, "the model"));
  if (!fv->is_number_integer()) {
    return absl::InvalidArgumentError(
        absl::StrFormat("%s: field 'format_version' must be an integer", what));
  }
  if (fv->get<int64_t>() != 1) {
    return absl::FailedPreconditionError(absl::StrFormat(
        "%s: format_version %d is not supported (this build reads 1)", what, fv->get<int64_t>()));
  }
  LinearModel m;
  AISLE_ASSIGN_OR_RETURN(m.name, StringField(j, "name", what, "the model"));
  AISLE_ASSIGN_OR_RETURN(std::string link, StringField(j, "link", what, "the model"));
  if (link == "identity") {
    m.link = LinearLink::kIdentity;
  } else if (link == "logistic") {
    m.link = LinearLink::kLogistic;
  } else {
    return absl::InvalidArgumentError(absl::StrFormat(
        "%s: field 'link' is \"%s\", expected \"identity\" or \"logistic\"", what, link));
  }
  AISLE_ASSIGN_OR_RETURN(const Json* bias, Field(j, "bias", what, "the model"));
  AISLE_ASSIGN_OR_RETURN(m.bias, ToFloat(*bias, what, "bias"));
  AISLE_ASSIGN_OR_RETURN(const Json* weights, Field(j, "weights", what, "the model"));
  if (!weights->is_array()) {
    return absl::InvalidArgumentError(
        absl::StrFormat("%s: field 'weights' must be an array", what));
  }
  absl::flat_hash_map<std::string, size_t> seen;
  for (size_t i = 0; i < weights->size(); ++i) {
    const Json& w = (*weights)[i];
    const std::string where = absl::StrFormat("weights[%d]", i);
    LinearTerm t;
    AISLE_ASSIGN_OR_RETURN(t.feature, StringField(w, "feature", what, where));
    if (t.feature.empty()) {
      return absl::InvalidArgumentError(
          absl::StrFormat("%s: %s has an empty feature name", what, where));
    }
    AISLE_ASSIGN_OR_RETURN(const Json* wv, Field(w, "weight", what, where));
    AISLE_ASSIGN_OR_RETURN(t.weight, ToFloat(*wv, what, where + ".weight"));
    if (auto it = w.find("missing"); it != w.end()) {
      AISLE_ASSIGN_OR_RETURN(t.missing_value, ToFloat(*it, what, where + ".missing"));
    }
    if (auto [it, inserted] = seen.emplace(t.feature, i); !inserted) {
      return absl::InvalidArgumentError(
          absl::StrFormat("%s: feature '%s' has two weights (weights[%d] and weights[%d])", what,
                          t.feature, it->second, i));
    }
    m.terms.push_back(std::move(t));
  }
  return m;
}

absl::StatusOr<LinearModel> ParseXgboost(const Json& j, const std::string& what,
                                         absl::Span<const std::string> feature_names) {
  AISLE_ASSIGN_OR_RETURN(const Json* learner, Field(j, "learner", what, "the model"));
  AISLE_ASSIGN_OR_RETURN(const Json* booster,
                         Field(*learner, "gradient_booster", what, "'learner'"));
  AISLE_ASSIGN_OR_RETURN(std::string booster_name,
                         StringField(*booster, "name", what, "'gradient_booster'"));
  if (booster_name != "gblinear") {
    return absl::InvalidArgumentError(absl::StrFormat(
        "%s: booster is '%s', expected 'gblinear' (trees load through the GBDT importer)", what,
        booster_name));
  }
  AISLE_ASSIGN_OR_RETURN(const Json* params,
                         Field(*learner, "learner_model_param", what, "'learner'"));
  AISLE_ASSIGN_OR_RETURN(const Json* nf,
                         Field(*params, "num_feature", what, "'learner_model_param'"));
  AISLE_ASSIGN_OR_RETURN(float num_feature_f, ToFloat(*nf, what, "num_feature"));
  int64_t num_class = 0;
  if (auto it = params->find("num_class"); it != params->end()) {
    AISLE_ASSIGN_OR_RETURN(float nc, ToFloat(*it, what, "num_class"));
    num_class = static_cast<int64_t>(nc);
  }
  if (num_class > 1) {
    return absl::UnimplementedError(absl::StrFormat(
        "%s: multi-output gblinear (num_class %d) is not supported", what, num_class));
  }
  if (num_feature_f < 0 || num_feature_f != std::floor(num_feature_f)) {
    return absl::InvalidArgumentError(
        absl::StrFormat("%s: num_feature %g is not a count", what, num_feature_f));
  }
  const size_t num_feature = static_cast<size_t>(num_feature_f);
  float base_score = 0.5f;
  if (auto it = params->find("base_score"); it != params->end()) {
    AISLE_ASSIGN_OR_RETURN(base_score, ToFloat(*it, what, "base_score"));
  }
  AISLE_ASSIGN_OR_RETURN(const Json* objective, Field(*learner, "objective", what, "'learner'"));
  AISLE_ASSIGN_OR_RETURN(std::string obj, StringField(*objective, "name", what, "'objective'"));

  LinearModel m;
  m.name = "xgboost-gblinear-" + obj;
  double base_margin = base_score;
  if (obj == "binary:logistic" || obj == "reg:logistic" || obj == "binary:logitraw") {
    if (!(base_score > 0 && base_score < 1)) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "%s: base_score %g must be in (0, 1) for objective '%s'", what, base_score, obj));
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

  AISLE_ASSIGN_OR_RETURN(const Json* model, Field(*booster, "model", what, "'gradient_booster'"));
  AISLE_ASSIGN_OR_RETURN(const Json* weights, Field(*model, "weights", what, "'model'"));
  if (!weights->is_array() || weights->size() != num_feature + 1) {
    return absl::InvalidArgumentError(
        absl::StrFormat("%s: gblinear 'weights' has %d entries, expected num_feature + 1 = %d",
                        what, weights->is_array() ? weights->size() : 0, num_feature + 1));
  }
  std::vector<std::string> names;
  if (auto it = learner->find("feature_names");
      it != learner->end() && it->is_array() && !it->empty()) {
    for (const Json& n : *it) {
      if (!n.is_string()) {
        return absl::InvalidArgumentError(
            absl::StrFormat("%s: 'feature_names' must hold strings", what));
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
    AISLE_ASSIGN_OR_RETURN(float w,
                           ToFloat((*weights)[i], what, absl::StrFormat("weights[%d]", i)));
    if (w == 0.0f) continue;  // contributes nothing; need not be bound
    m.terms.push_back({names[i], w, 0.0f});
  }
  AISLE_ASSIGN_OR_RETURN(float bias,
                         ToFloat((*weights)[num_feature], what, "weights[num_feature] (bias)"));
  m.bias = static_cast<float>(bias + base_margin);
  return m;
}

}  // namespace

std::string LinearModel::Version() const {
  return absl::StrFormat("%s:%s:xxh64=%s", link == LinearLink::kLogistic ? "logistic" : "linear",
                         name, content_hash.empty() ? "none" : content_hash);
}

absl::StatusOr<LinearModel> ParseLinearModelJson(absl::string_view json, absl::string_view what) {
  const std::string w(what);
  AISLE_ASSIGN_OR_RETURN(Json j, ParseJson(json, w));
  try {
    AISLE_ASSIGN_OR_RETURN(LinearModel m, ParseAisle(j, w));
    m.content_hash = Hash(json);
    return m;
  } catch (const std::exception& e) {
    return absl::InvalidArgumentError(absl::StrFormat("%s: %s", w, e.what()));
  }
}

absl::StatusOr<LinearModel> ParseXgboostGblinearJson(absl::string_view json, absl::string_view what,
                                                     absl::Span<const std::string> feature_names) {
  const std::string w(what);
  AISLE_ASSIGN_OR_RETURN(Json j, ParseJson(json, w));
  try {
    AISLE_ASSIGN_OR_RETURN(LinearModel m, ParseXgboost(j, w, feature_names));
    m.content_hash = Hash(json);
    return m;
  } catch (const std::exception& e) {
    return absl::InvalidArgumentError(absl::StrFormat("%s: %s", w, e.what()));
  }
}

absl::StatusOr<LinearModel> LoadLinearModelFile(absl::string_view path) {
  AISLE_ASSIGN_OR_RETURN(std::string bytes, ReadFileToString(path));
  const std::string p(path);
  AISLE_ASSIGN_OR_RETURN(Json j, ParseJson(bytes, p));
  try {
    if (j.is_object() && j.contains("learner")) {
      AISLE_ASSIGN_OR_RETURN(LinearModel m, ParseXgboost(j, p, {}));
      m.content_hash = Hash(bytes);
      return m;
    }
    AISLE_ASSIGN_OR_RETURN(LinearModel m, ParseAisle(j, p));
    m.content_hash = Hash(bytes);
    return m;
  } catch (const std::exception& e) {
    return absl::InvalidArgumentError(absl::StrFormat("%s: %s", p, e.what()));
  }
}

}  // namespace aisle::ranking
