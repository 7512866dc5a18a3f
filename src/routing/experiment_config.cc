#include "aisle/routing/experiment_config.h"

#include <cmath>
#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "aisle/core/external_id.h"
#include "aisle/core/file.h"
#include "aisle/core/status_macros.h"
#include "aisle/routing/bucketing.h"
#include "core/json_diagnostics.h"
#include "nlohmann/json.hpp"

namespace aisle::routing {
namespace {

using nlohmann::json;

std::string ExpPath(size_t l, size_t e) {
  return absl::StrCat("layers[", l, "].experiments[", e, "]");
}

absl::Status Invalid(const std::string& where, const std::string& what) {
  return absl::InvalidArgumentError(absl::StrCat("experiment config: ", where, ": ", what));
}

bool SurfacesDisjoint(const ExperimentSpec& a, const ExperimentSpec& b) {
  if (a.surfaces.empty() || b.surfaces.empty()) return false;
  for (const std::string& s : a.surfaces) {
    for (const std::string& t : b.surfaces) {
      if (s == t) return false;
    }
  }
  return true;
}

// Keys, surfaces and unit ids are ids (aisle/core/external_id.h): UTF-8
// text without control characters, 1..1024 bytes.
absl::Status CheckId(absl::string_view id, const std::string& where) {
  return CheckExternalId(id, absl::StrCat("experiment config: ", where));
}

absl::Status ValidateExperiment(const ExperimentSpec& e, const std::string& where) {
  if (!e.key.empty()) AISLE_RETURN_IF_ERROR(CheckId(e.key, where + ".key"));
  if (e.hash_version != 1 && e.hash_version != 2) {
    return Invalid(where + ".hash_version", absl::StrCat("must be 1 or 2, got ", e.hash_version,
                                                         " (experiment '", e.key, "')"));
  }
  if (!std::isfinite(e.range_start) || !std::isfinite(e.range_end) || e.range_start < 0.0 ||
      e.range_end > 1.0 || e.range_start >= e.range_end) {
    return Invalid(
        where + ".range",
        absl::StrFormat("must satisfy 0 <= start < end <= 1, got [%g, %g] (experiment '%s')",
                        e.range_start, e.range_end, e.key));
  }
  if (!std::isfinite(e.coverage) || e.coverage < 0.0 || e.coverage > 1.0) {
    return Invalid(
        where + ".coverage",
        absl::StrFormat("must be in [0, 1], got %g (experiment '%s')", e.coverage, e.key));
  }
  absl::flat_hash_set<std::string> surfaces;
  for (size_t s = 0; s < e.surfaces.size(); ++s) {
    if (e.surfaces[s].empty()) {
      return Invalid(absl::StrCat(where, ".surfaces[", s, "]"), "empty surface name");
    }
    AISLE_RETURN_IF_ERROR(CheckId(e.surfaces[s], absl::StrCat(where, ".surfaces[", s, "]")));
    if (!surfaces.insert(e.surfaces[s]).second) {
      return Invalid(absl::StrCat(where, ".surfaces[", s, "]"),
                     absl::StrCat("duplicate surface '", e.surfaces[s], "'"));
    }
  }
  if (e.variants.empty()) {
    return Invalid(where + ".variants", absl::StrCat("experiment '", e.key, "' has no variants"));
  }
  if (e.variants.size() > static_cast<size_t>(kMaxVariations)) {
    return Invalid(where + ".variants",
                   absl::StrCat("experiment '", e.key, "' has ", e.variants.size(),
                                " variants, outside [1, ", kMaxVariations, "]"));
  }
  absl::flat_hash_set<std::string> variant_keys;
  double sum = 0.0;
  for (size_t v = 0; v < e.variants.size(); ++v) {
    const VariantSpec& var = e.variants[v];
    const std::string vpath = absl::StrCat(where, ".variants[", v, "]");
    if (var.key.empty()) return Invalid(vpath + ".key", "empty variant key");
    AISLE_RETURN_IF_ERROR(CheckId(var.key, vpath + ".key"));
    if (!variant_keys.insert(var.key).second) {
      return Invalid(vpath + ".key", absl::StrCat("duplicate variant key '", var.key,
                                                  "' in experiment '", e.key, "'"));
    }
    if (!std::isfinite(var.weight) || var.weight < 0.0) {
      return Invalid(
          vpath + ".weight",
          absl::StrFormat("must be finite and >= 0, got %g (variant '%s')", var.weight, var.key));
    }
    sum += var.weight;
    absl::flat_hash_set<std::string> param_keys;
    for (const auto& [k, value] : var.params) {
      if (k.empty()) return Invalid(vpath + ".params", "empty parameter key");
      if (!param_keys.insert(k).second) {
        return Invalid(vpath + ".params", absl::StrCat("duplicate parameter '", k, "'"));
      }
    }
  }
  if (std::abs(sum - 1.0) > kWeightSumTolerance) {
    return Invalid(
        where + ".variants",
        absl::StrFormat("weights of experiment '%s' sum to %.6g, must sum to 1", e.key, sum));
  }
  absl::flat_hash_set<std::string> forced_units;
  for (const auto& [unit, variant] : e.forced_variants) {
    if (unit.empty()) return Invalid(where + ".forced_variants", "empty unit id");
    AISLE_RETURN_IF_ERROR(CheckId(unit, where + ".forced_variants"));
    if (!forced_units.insert(unit).second) {
      return Invalid(where + ".forced_variants", absl::StrCat("unit '", unit, "' forced twice"));
    }
    if (!variant_keys.contains(variant)) {
      return Invalid(where + ".forced_variants",
                     absl::StrCat("unit '", unit, "' forced to unknown variant '", variant,
                                  "' of experiment '", e.key, "'"));
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ValidateExperimentConfig(const ExperimentConfig& config) {
  absl::flat_hash_map<std::string, size_t> layer_keys, salts;
  absl::flat_hash_map<std::string, std::string> experiment_keys;  // key -> path
  absl::flat_hash_map<std::string, std::string> param_layer;      // param key -> layer key
  for (size_t l = 0; l < config.layers.size(); ++l) {
    const LayerSpec& layer = config.layers[l];
    const std::string lpath = absl::StrCat("layers[", l, "]");
    if (layer.key.empty()) return Invalid(lpath + ".key", "empty layer key");
    AISLE_RETURN_IF_ERROR(CheckId(layer.key, lpath + ".key"));
    if (auto [it, fresh] = layer_keys.emplace(layer.key, l); !fresh) {
      return Invalid(lpath + ".key", absl::StrCat("duplicate layer key '", layer.key,
                                                  "' (also layers[", it->second, "])"));
    }
    if (layer.salt.empty()) return Invalid(lpath + ".salt", "empty salt");
    if (auto [it, fresh] = salts.emplace(layer.salt, l); !fresh) {
      return Invalid(lpath + ".salt",
                     absl::StrCat("salt '", layer.salt, "' is also used by layers[", it->second,
                                  "]; layers with one salt are not independent"));
    }
    if (layer.namespace_hash_version != 1 && layer.namespace_hash_version != 2) {
      return Invalid(lpath + ".namespace_hash_version",
                     absl::StrCat("must be 1 or 2, got ", layer.namespace_hash_version));
    }
    absl::flat_hash_map<std::string, std::string> forced_in_layer;  // unit -> experiment
    for (size_t e = 0; e < layer.experiments.size(); ++e) {
      const ExperimentSpec& exp = layer.experiments[e];
      const std::string epath = ExpPath(l, e);
      if (exp.key.empty()) return Invalid(epath + ".key", "empty experiment key");
      if (auto [it, fresh] = experiment_keys.emplace(exp.key, epath); !fresh) {
        return Invalid(epath + ".key", absl::StrCat("duplicate experiment key '", exp.key,
                                                    "' (also ", it->second, ")"));
      }
      AISLE_RETURN_IF_ERROR(ValidateExperiment(exp, epath));
      for (size_t o = 0; o < e; ++o) {
        const ExperimentSpec& other = layer.experiments[o];
        const bool overlap = exp.range_start < other.range_end && other.range_start < exp.range_end;
        if (overlap && !SurfacesDisjoint(exp, other)) {
          return Invalid(epath + ".range",
                         absl::StrFormat("[%g, %g) of experiment '%s' overlaps [%g, %g) of "
                                         "experiment '%s' in layer '%s' on a common surface",
                                         exp.range_start, exp.range_end, exp.key, other.range_start,
                                         other.range_end, other.key, layer.key));
        }
      }
      for (const auto& [unit, variant] : exp.forced_variants) {
        if (auto [it, fresh] = forced_in_layer.emplace(unit, exp.key); !fresh) {
          return Invalid(epath + ".forced_variants",
                         absl::StrCat("unit '", unit, "' is forced into experiments '", it->second,
                                      "' and '", exp.key, "' of the same layer '", layer.key, "'"));
        }
      }
      for (const VariantSpec& var : exp.variants) {
        for (const auto& [k, value] : var.params) {
          if (auto [it, fresh] = param_layer.emplace(k, layer.key);
              !fresh && it->second != layer.key) {
            return Invalid(
                epath, absl::StrCat("parameter '", k, "' is overridden in layers '", it->second,
                                    "' and '", layer.key, "'; a parameter belongs to one layer"));
          }
        }
      }
    }
  }
  return absl::OkStatus();
}

namespace {

// JSON reading with path-named errors; nothing here throws.
class Reader {
 public:
  static absl::Status CheckKeys(const json& obj, const std::string& path,
                                std::initializer_list<const char*> allowed) {
    if (!obj.is_object())
      return Invalid(path, absl::StrCat("must be an object, got ", obj.type_name()));
    for (auto it = obj.begin(); it != obj.end(); ++it) {
      bool known = false;
      for (const char* a : allowed) known = known || it.key() == a;
      if (!known) {
        return Invalid(path, absl::StrCat("unknown field '", it.key(),
                                          "' (allowed: ", absl::StrJoin(allowed, ", "), ")"));
      }
    }
    return absl::OkStatus();
  }

  static absl::Status String(const json& obj, const char* field, const std::string& path,
                             std::string* out) {
    auto it = obj.find(field);
    if (it == obj.end()) return absl::OkStatus();
    if (!it->is_string()) {
      return Invalid(path + "." + field, absl::StrCat("must be a string, got ", it->type_name()));
    }
    *out = it->get<std::string>();
    return absl::OkStatus();
  }

  static absl::Status Number(const json& obj, const char* field, const std::string& path,
                             double* out) {
    auto it = obj.find(field);
    if (it == obj.end()) return absl::OkStatus();
    if (!it->is_number()) {
      return Invalid(path + "." + field, absl::StrCat("must be a number, got ", it->type_name()));
    }
    *out = it->get<double>();
    return absl::OkStatus();
  }

  static absl::Status Int(const json& obj, const char* field, const std::string& path, int* out) {
    auto it = obj.find(field);
    if (it == obj.end()) return absl::OkStatus();
    if (!it->is_number_integer()) {
      return Invalid(path + "." + field, absl::StrCat("must be an integer, got ", it->dump()));
    }
    const int64_t v = it->get<int64_t>();
    if (v < -1000000 || v > 1000000) {
      return Invalid(path + "." + field, absl::StrCat("out of range: ", v));
    }
    *out = static_cast<int>(v);
    return absl::OkStatus();
  }

  static absl::StatusOr<const json*> Array(const json& obj, const char* field,
                                           const std::string& path, bool required) {
    auto it = obj.find(field);
    if (it == obj.end()) {
      if (required) return Invalid(path, absl::StrCat("missing field '", field, "'"));
      return nullptr;
    }
    if (!it->is_array()) {
      return Invalid(path + "." + field, absl::StrCat("must be an array, got ", it->type_name()));
    }
    return &*it;
  }

  static absl::Status StringMap(const json& obj, const char* field, const std::string& path,
                                std::vector<std::pair<std::string, std::string>>* out) {
    auto it = obj.find(field);
    if (it == obj.end()) return absl::OkStatus();
    const std::string p = path + "." + field;
    if (!it->is_object())
      return Invalid(p, absl::StrCat("must be an object, got ", it->type_name()));
    for (auto kv = it->begin(); kv != it->end(); ++kv) {
      if (!kv->is_string()) {
        return Invalid(p + "." + kv.key(),
                       absl::StrCat("must be a string, got ", kv->type_name(), " ", kv->dump(),
                                    " (write it as \"", kv->dump(), "\")"));
      }
      out->emplace_back(kv.key(), kv->get<std::string>());
    }
    return absl::OkStatus();
  }
};

absl::StatusOr<VariantSpec> ParseVariant(const json& j, const std::string& path, bool* has_weight) {
  AISLE_RETURN_IF_ERROR(Reader::CheckKeys(j, path, {"key", "weight", "params"}));
  VariantSpec v;
  AISLE_RETURN_IF_ERROR(Reader::String(j, "key", path, &v.key));
  *has_weight = j.contains("weight");
  AISLE_RETURN_IF_ERROR(Reader::Number(j, "weight", path, &v.weight));
  AISLE_RETURN_IF_ERROR(Reader::StringMap(j, "params", path, &v.params));
  return v;
}

absl::StatusOr<ExperimentSpec> ParseExperiment(const json& j, const std::string& path) {
  AISLE_RETURN_IF_ERROR(Reader::CheckKeys(j, path,
                                          {"key", "seed", "hash_version", "range", "coverage",
                                           "surfaces", "variants", "forced_variants"}));
  ExperimentSpec e;
  AISLE_RETURN_IF_ERROR(Reader::String(j, "key", path, &e.key));
  AISLE_RETURN_IF_ERROR(Reader::String(j, "seed", path, &e.seed));
  if (e.seed.empty()) e.seed = e.key;
  AISLE_RETURN_IF_ERROR(Reader::Int(j, "hash_version", path, &e.hash_version));
  AISLE_RETURN_IF_ERROR(Reader::Number(j, "coverage", path, &e.coverage));
  AISLE_ASSIGN_OR_RETURN(const json* range, Reader::Array(j, "range", path, false));
  if (range != nullptr) {
    if (range->size() != 2 || !(*range)[0].is_number() || !(*range)[1].is_number()) {
      return Invalid(path + ".range", absl::StrCat("must be [start, end], got ", range->dump()));
    }
    e.range_start = (*range)[0].get<double>();
    e.range_end = (*range)[1].get<double>();
  }
  AISLE_ASSIGN_OR_RETURN(const json* surfaces, Reader::Array(j, "surfaces", path, false));
  if (surfaces != nullptr) {
    for (size_t s = 0; s < surfaces->size(); ++s) {
      if (!(*surfaces)[s].is_string()) {
        return Invalid(absl::StrCat(path, ".surfaces[", s, "]"),
                       absl::StrCat("must be a string, got ", (*surfaces)[s].dump()));
      }
      e.surfaces.push_back((*surfaces)[s].get<std::string>());
    }
  }
  AISLE_ASSIGN_OR_RETURN(const json* variants, Reader::Array(j, "variants", path, true));
  size_t with_weight = 0;
  for (size_t v = 0; v < variants->size(); ++v) {
    bool has_weight = false;
    AISLE_ASSIGN_OR_RETURN(
        VariantSpec var,
        ParseVariant((*variants)[v], absl::StrCat(path, ".variants[", v, "]"), &has_weight));
    with_weight += has_weight ? 1 : 0;
    e.variants.push_back(std::move(var));
  }
  if (with_weight == 0) {
    for (VariantSpec& var : e.variants) var.weight = 1.0 / static_cast<double>(e.variants.size());
  } else if (with_weight != e.variants.size()) {
    return Invalid(path + ".variants",
                   absl::StrCat("experiment '", e.key,
                                "': give a weight for every variant or for "
                                "none (equal weights); ",
                                with_weight, " of ", e.variants.size(), " have one"));
  }
  AISLE_RETURN_IF_ERROR(Reader::StringMap(j, "forced_variants", path, &e.forced_variants));
  return e;
}

absl::StatusOr<LayerSpec> ParseLayer(const json& j, const std::string& path) {
  AISLE_RETURN_IF_ERROR(
      Reader::CheckKeys(j, path, {"key", "salt", "namespace_hash_version", "experiments"}));
  LayerSpec layer;
  AISLE_RETURN_IF_ERROR(Reader::String(j, "key", path, &layer.key));
  AISLE_RETURN_IF_ERROR(Reader::String(j, "salt", path, &layer.salt));
  if (layer.salt.empty()) layer.salt = layer.key;
  AISLE_RETURN_IF_ERROR(
      Reader::Int(j, "namespace_hash_version", path, &layer.namespace_hash_version));
  AISLE_ASSIGN_OR_RETURN(const json* exps, Reader::Array(j, "experiments", path, false));
  if (exps != nullptr) {
    for (size_t e = 0; e < exps->size(); ++e) {
      AISLE_ASSIGN_OR_RETURN(
          ExperimentSpec exp,
          ParseExperiment((*exps)[e], absl::StrCat(path, ".experiments[", e, "]")));
      layer.experiments.push_back(std::move(exp));
    }
  }
  return layer;
}

}  // namespace

absl::StatusOr<ExperimentConfig> ParseExperimentConfig(absl::string_view json_text) {
  ExperimentConfig config;
  try {
    json root = json::parse(json_text.begin(), json_text.end(), nullptr,
                            /*allow_exceptions=*/false);
    if (root.is_discarded()) {
      // "experiment config: JSON:5:45 (byte 200): layers[0].experiments[0].coverage: number
      // 1e999 overflows a double" (nlohmann's own overflow error has no position).
      return absl::InvalidArgumentError(
          ::aisle::internal::DescribeJsonParseError(json_text, "experiment config: JSON"));
    }
    AISLE_RETURN_IF_ERROR(Reader::CheckKeys(root, "(root)", {"version", "layers"}));
    int version = 1;
    AISLE_RETURN_IF_ERROR(Reader::Int(root, "version", "(root)", &version));
    if (version != 1) {
      return absl::UnimplementedError(
          absl::StrCat("experiment config: version ", version, " is not supported (expected 1)"));
    }
    AISLE_ASSIGN_OR_RETURN(const json* layers, Reader::Array(root, "layers", "(root)", true));
    for (size_t l = 0; l < layers->size(); ++l) {
      AISLE_ASSIGN_OR_RETURN(LayerSpec layer,
                             ParseLayer((*layers)[l], absl::StrCat("layers[", l, "]")));
      config.layers.push_back(std::move(layer));
    }
  } catch (const std::bad_alloc&) {
    return absl::ResourceExhaustedError("experiment config: out of memory while parsing");
  } catch (const std::exception& e) {
    return absl::InvalidArgumentError(absl::StrCat("experiment config: ", e.what()));
  }
  AISLE_RETURN_IF_ERROR(ValidateExperimentConfig(config));
  return config;
}

absl::StatusOr<ExperimentConfig> LoadExperimentConfigFile(absl::string_view path) {
  AISLE_ASSIGN_OR_RETURN(std::string text, ReadFileToString(path));
  absl::StatusOr<ExperimentConfig> config = ParseExperimentConfig(text);
  if (!config.ok()) {
    return absl::Status(config.status().code(),
                        absl::StrCat(std::string(path), ": ", config.status().message()));
  }
  return config;
}

}  // namespace aisle::routing
