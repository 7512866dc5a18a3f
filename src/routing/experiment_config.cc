#include "aisle/routing/experiment_config.h"

#include <algorithm>
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
#include "absl/types/span.h"
#include "aisle/core/external_id.h"
#include "aisle/core/file.h"
#include "aisle/core/status_macros.h"
#include "aisle/routing/bucketing.h"
#include "aisle/routing/variant_params.h"
#include "core/json_diagnostics.h"
#include "nlohmann/json.hpp"

namespace aisle::routing {
namespace {

// Ordered: params and forced_variants keep the order of the file, so a
// config written by ExperimentConfigToJson reads back equal.
using json = nlohmann::ordered_json;

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

absl::Status ValidateExperiment(const ExperimentSpec& e, const std::string& where,
                                absl::string_view layer_key) {
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
    // The typed vocabulary (variant_params.h): unknown keys and bad values
    // are refused here, at load, never discovered by a request.
    if (absl::StatusOr<VariantParams> typed = ParseVariantParams(var.params); !typed.ok()) {
      return Invalid(vpath + ".params",
                     absl::StrCat("layer '", layer_key, "', experiment '", e.key, "', variant '",
                                  var.key, "': ", typed.status().message()));
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

// What the checks of one config remember across experiments.
struct ConfigCheck {
  absl::flat_hash_map<std::string, std::string> experiment_keys;  // key -> path
  absl::flat_hash_map<std::string, std::string> param_layer;      // param group -> layer key
};

// What the checks of one layer remember across its experiments.
struct LayerCheck {
  const LayerSpec* layer = nullptr;
  std::vector<const ExperimentSpec*> experiments;
  absl::flat_hash_map<std::string, std::string> forced;  // unit -> experiment key
};

// The rules of one experiment in its layer: its own fields, a key unique in
// the config, a range that overlaps no other experiment of the layer on a
// common surface, a unit forced into one experiment per layer, and parameter
// groups owned by one layer.
absl::Status CheckExperimentInLayer(const ExperimentSpec& exp, const std::string& epath,
                                    LayerCheck& lc, ConfigCheck& cc) {
  const LayerSpec& layer = *lc.layer;
  if (exp.key.empty()) return Invalid(epath + ".key", "empty experiment key");
  if (auto [it, fresh] = cc.experiment_keys.emplace(exp.key, epath); !fresh) {
    return Invalid(epath + ".key", absl::StrCat("duplicate experiment key '", exp.key, "' (also ",
                                                it->second, ")"));
  }
  AISLE_RETURN_IF_ERROR(ValidateExperiment(exp, epath, layer.key));
  for (const ExperimentSpec* other : lc.experiments) {
    const bool overlap = exp.range_start < other->range_end && other->range_start < exp.range_end;
    if (overlap && !SurfacesDisjoint(exp, *other)) {
      return Invalid(epath + ".range",
                     absl::StrFormat("[%g, %g) of experiment '%s' overlaps [%g, %g) of "
                                     "experiment '%s' in layer '%s' on a common surface",
                                     exp.range_start, exp.range_end, exp.key, other->range_start,
                                     other->range_end, other->key, layer.key));
    }
  }
  for (const auto& [unit, variant] : exp.forced_variants) {
    if (auto [it, fresh] = lc.forced.emplace(unit, exp.key); !fresh) {
      return Invalid(epath + ".forced_variants",
                     absl::StrCat("unit '", unit, "' is forced into experiments '", it->second,
                                  "' and '", exp.key, "' of the same layer '", layer.key, "'"));
    }
  }
  for (const VariantSpec& var : exp.variants) {
    for (const auto& [k, value] : var.params) {
      const std::string group(ParamGroup(k));
      if (auto [it, fresh] = cc.param_layer.emplace(group, layer.key);
          !fresh && it->second != layer.key) {
        return Invalid(
            epath, absl::StrCat("parameter '", k, "' is overridden in layers '", it->second,
                                "' and '", layer.key, "'; a parameter",
                                group == k ? "" : absl::StrCat(" (and its group '", group, "')"),
                                " belongs to one layer"));
      }
    }
  }
  lc.experiments.push_back(&exp);
  return absl::OkStatus();
}

absl::StatusOr<ExperimentSpec> ChallengerExperimentAt(const ChallengerSpec& c,
                                                      const std::string& path) {
  if (c.key.empty()) return Invalid(path + ".key", "empty challenger key");
  AISLE_RETURN_IF_ERROR(CheckId(c.key, path + ".key"));
  if (c.ranker.empty()) {
    return Invalid(path + ".ranker", absl::StrCat("empty ranker (challenger '", c.key, "')"));
  }
  AISLE_RETURN_IF_ERROR(CheckId(c.ranker, path + ".ranker"));
  if (!std::isfinite(c.range_start) || !std::isfinite(c.range_end) || c.range_start < 0.0 ||
      c.range_end > 1.0 || c.range_start >= c.range_end) {
    return Invalid(
        path + ".range",
        absl::StrFormat("must satisfy 0 <= start < end <= 1, got [%g, %g] (challenger '%s')",
                        c.range_start, c.range_end, c.key));
  }
  const double width = c.range_end - c.range_start;
  if (!std::isfinite(c.share) || c.share < 0.0 || c.share > width / 2.0) {
    return Invalid(path + ".share",
                   absl::StrFormat("must be in [0, %g] (half of the range [%g, %g): the control "
                                   "arm is as large as the challenger's), got %g (challenger "
                                   "'%s')",
                                   width / 2.0, c.range_start, c.range_end, c.share, c.key));
  }
  ExperimentSpec e;
  e.key = c.key;
  e.seed = c.seed.empty() ? c.key : c.seed;
  e.hash_version = 2;
  e.range_start = c.range_start;
  e.range_end = c.range_end;
  // Monotone in share for a fixed range, so every bucket range only grows
  // as the share is ramped up.
  e.coverage = std::min(1.0, 2.0 * c.share / width);
  e.surfaces = c.surfaces;
  e.variants.push_back({kControlVariantKey, 0.5, {}});
  e.variants.push_back({kChallengerVariantKey, 0.5, {{"ranker", c.ranker}}});
  e.forced_variants = c.forced_variants;
  return e;
}

absl::Status CheckHoldouts(const ExperimentConfig& config,
                           absl::Span<const ExperimentSpec> challengers) {
  if (config.holdouts.size() > kMaxHoldouts) {
    return Invalid("holdouts", absl::StrCat(config.holdouts.size(), " holdouts, at most ",
                                            kMaxHoldouts, " are allowed"));
  }
  // Hash seeds a holdout salt must differ from: a holdout hashed with the seed
  // of a layer or an experiment would be that hash, not independent of it.
  absl::flat_hash_map<std::string, std::string> seeds;  // seed -> what uses it
  for (const LayerSpec& layer : config.layers) {
    seeds.emplace(absl::StrCat("__", layer.salt), absl::StrCat("the hash of layer '", layer.key,
                                                               "' (seed \"__", layer.salt, "\")"));
    for (const ExperimentSpec& e : layer.experiments) {
      seeds.emplace(e.seed.empty() ? e.key : e.seed,
                    absl::StrCat("the hash of experiment '", e.key, "'"));
    }
  }
  for (const ExperimentSpec& e : challengers) {
    seeds.emplace(e.seed, absl::StrCat("the hash of challenger '", e.key, "'"));
  }
  absl::flat_hash_map<std::string, size_t> keys, salts;
  for (size_t h = 0; h < config.holdouts.size(); ++h) {
    const HoldoutSpec& ho = config.holdouts[h];
    const std::string path = absl::StrCat("holdouts[", h, "]");
    if (ho.key.empty()) return Invalid(path + ".key", "empty holdout key");
    AISLE_RETURN_IF_ERROR(CheckId(ho.key, path + ".key"));
    if (auto [it, fresh] = keys.emplace(ho.key, h); !fresh) {
      return Invalid(path + ".key", absl::StrCat("duplicate holdout key '", ho.key,
                                                 "' (also holdouts[", it->second, "])"));
    }
    const std::string& salt = ho.salt.empty() ? ho.key : ho.salt;
    if (auto [it, fresh] = salts.emplace(salt, h); !fresh) {
      return Invalid(path + ".salt",
                     absl::StrCat("salt '", salt, "' is also used by holdouts[", it->second,
                                  "]; they would hold out the same units"));
    }
    if (auto it = seeds.find(salt); it != seeds.end()) {
      return Invalid(path + ".salt",
                     absl::StrCat("salt '", salt, "' of holdout '", ho.key, "' is already ",
                                  it->second, "; the holdout would not be independent of it"));
    }
    if (!std::isfinite(ho.share) || ho.share < 0.0 || ho.share > 1.0) {
      return Invalid(path + ".share",
                     absl::StrFormat("must be in [0, 1], got %g (holdout '%s')", ho.share, ho.key));
    }
    if (ho.layers.empty()) {
      return Invalid(path + ".layers", absl::StrCat("holdout '", ho.key, "' names no layer"));
    }
    absl::flat_hash_set<std::string> named;
    for (size_t i = 0; i < ho.layers.size(); ++i) {
      const std::string lpath = absl::StrCat(path, ".layers[", i, "]");
      bool found = false;
      for (const LayerSpec& layer : config.layers) found = found || layer.key == ho.layers[i];
      if (!found) {
        return Invalid(lpath,
                       absl::StrCat("unknown layer '", ho.layers[i], "' (holdout '", ho.key, "')"));
      }
      if (!named.insert(ho.layers[i]).second) {
        return Invalid(lpath, absl::StrCat("layer '", ho.layers[i], "' is listed twice"));
      }
    }
  }
  return absl::OkStatus();
}

// Validates `config` and fills `challengers` with the experiment of each
// ChallengerSpec, in order.
absl::Status ValidateAndBuildChallengers(const ExperimentConfig& config,
                                         std::vector<ExperimentSpec>* challengers) {
  absl::flat_hash_map<std::string, size_t> layer_keys, salts;
  ConfigCheck cc;
  std::vector<LayerCheck> layer_checks(config.layers.size());
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
    LayerCheck& lc = layer_checks[l];
    lc.layer = &layer;
    for (size_t e = 0; e < layer.experiments.size(); ++e) {
      AISLE_RETURN_IF_ERROR(CheckExperimentInLayer(layer.experiments[e], ExpPath(l, e), lc, cc));
    }
  }
  challengers->clear();
  challengers->reserve(config.challengers.size());  // LayerCheck keeps pointers into it
  for (size_t i = 0; i < config.challengers.size(); ++i) {
    const ChallengerSpec& c = config.challengers[i];
    const std::string path = absl::StrCat("challengers[", i, "]");
    AISLE_ASSIGN_OR_RETURN(ExperimentSpec exp, ChallengerExperimentAt(c, path));
    auto layer = layer_keys.find(c.layer);
    if (layer == layer_keys.end()) {
      std::vector<absl::string_view> known;
      for (const LayerSpec& ls : config.layers) known.push_back(ls.key);
      return Invalid(path + ".layer",
                     absl::StrCat("unknown layer '", c.layer, "' (challenger '", c.key,
                                  "'; layers: ", absl::StrJoin(known, ", "), ")"));
    }
    challengers->push_back(std::move(exp));
    AISLE_RETURN_IF_ERROR(
        CheckExperimentInLayer(challengers->back(), path, layer_checks[layer->second], cc));
  }
  return CheckHoldouts(config, *challengers);
}

}  // namespace

absl::Status ValidateExperimentConfig(const ExperimentConfig& config) {
  std::vector<ExperimentSpec> challengers;
  return ValidateAndBuildChallengers(config, &challengers);
}

absl::StatusOr<ExperimentSpec> MakeChallengerExperiment(const ChallengerSpec& challenger) {
  AISLE_ASSIGN_OR_RETURN(ExperimentSpec e, ChallengerExperimentAt(challenger, "challenger"));
  AISLE_RETURN_IF_ERROR(ValidateExperiment(e, "challenger", challenger.layer));
  return e;
}

absl::StatusOr<ExperimentConfig> ExpandChallengers(ExperimentConfig config) {
  std::vector<ExperimentSpec> challengers;
  AISLE_RETURN_IF_ERROR(ValidateAndBuildChallengers(config, &challengers));
  for (size_t i = 0; i < challengers.size(); ++i) {
    for (LayerSpec& layer : config.layers) {
      if (layer.key == config.challengers[i].layer) {
        layer.experiments.push_back(std::move(challengers[i]));
        break;
      }
    }
  }
  config.challengers.clear();
  return config;
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

absl::Status ReadRange(const json& j, const std::string& path, double* start, double* end) {
  AISLE_ASSIGN_OR_RETURN(const json* range, Reader::Array(j, "range", path, false));
  if (range != nullptr) {
    if (range->size() != 2 || !(*range)[0].is_number() || !(*range)[1].is_number()) {
      return Invalid(path + ".range", absl::StrCat("must be [start, end], got ", range->dump()));
    }
    *start = (*range)[0].get<double>();
    *end = (*range)[1].get<double>();
  }
  return absl::OkStatus();
}

absl::Status ReadStrings(const json& j, const char* field, const std::string& path,
                         std::vector<std::string>* out) {
  AISLE_ASSIGN_OR_RETURN(const json* list, Reader::Array(j, field, path, false));
  if (list == nullptr) return absl::OkStatus();
  for (size_t s = 0; s < list->size(); ++s) {
    if (!(*list)[s].is_string()) {
      return Invalid(absl::StrCat(path, ".", field, "[", s, "]"),
                     absl::StrCat("must be a string, got ", (*list)[s].dump()));
    }
    out->push_back((*list)[s].get<std::string>());
  }
  return absl::OkStatus();
}

absl::Status RequireField(const json& j, const char* field, const std::string& path) {
  if (!j.contains(field)) return Invalid(path, absl::StrCat("missing field '", field, "'"));
  return absl::OkStatus();
}

absl::StatusOr<ChallengerSpec> ParseChallenger(const json& j, const std::string& path) {
  AISLE_RETURN_IF_ERROR(Reader::CheckKeys(
      j, path,
      {"key", "layer", "ranker", "share", "seed", "range", "surfaces", "forced_variants"}));
  for (const char* field : {"key", "layer", "ranker", "share"}) {
    AISLE_RETURN_IF_ERROR(RequireField(j, field, path));
  }
  ChallengerSpec c;
  AISLE_RETURN_IF_ERROR(Reader::String(j, "key", path, &c.key));
  AISLE_RETURN_IF_ERROR(Reader::String(j, "layer", path, &c.layer));
  AISLE_RETURN_IF_ERROR(Reader::String(j, "ranker", path, &c.ranker));
  AISLE_RETURN_IF_ERROR(Reader::Number(j, "share", path, &c.share));
  AISLE_RETURN_IF_ERROR(Reader::String(j, "seed", path, &c.seed));
  if (c.seed.empty()) c.seed = c.key;
  AISLE_RETURN_IF_ERROR(ReadRange(j, path, &c.range_start, &c.range_end));
  AISLE_RETURN_IF_ERROR(ReadStrings(j, "surfaces", path, &c.surfaces));
  AISLE_RETURN_IF_ERROR(Reader::StringMap(j, "forced_variants", path, &c.forced_variants));
  return c;
}

absl::StatusOr<HoldoutSpec> ParseHoldout(const json& j, const std::string& path) {
  AISLE_RETURN_IF_ERROR(Reader::CheckKeys(j, path, {"key", "salt", "share", "layers"}));
  for (const char* field : {"key", "share", "layers"}) {
    AISLE_RETURN_IF_ERROR(RequireField(j, field, path));
  }
  HoldoutSpec h;
  AISLE_RETURN_IF_ERROR(Reader::String(j, "key", path, &h.key));
  AISLE_RETURN_IF_ERROR(Reader::String(j, "salt", path, &h.salt));
  if (h.salt.empty()) h.salt = h.key;
  AISLE_RETURN_IF_ERROR(Reader::Number(j, "share", path, &h.share));
  AISLE_RETURN_IF_ERROR(ReadStrings(j, "layers", path, &h.layers));
  return h;
}

json StringMapToJson(const std::vector<std::pair<std::string, std::string>>& pairs) {
  json obj = json::object();
  for (const auto& [k, v] : pairs) obj[k] = v;
  return obj;
}

json ExperimentToJson(const ExperimentSpec& e) {
  json j = json::object();
  j["key"] = e.key;
  j["seed"] = e.seed.empty() ? e.key : e.seed;
  j["hash_version"] = e.hash_version;
  j["range"] = json::array({e.range_start, e.range_end});
  j["coverage"] = e.coverage;
  if (!e.surfaces.empty()) j["surfaces"] = e.surfaces;
  json variants = json::array();
  for (const VariantSpec& v : e.variants) {
    json jv = json::object();
    jv["key"] = v.key;
    jv["weight"] = v.weight;
    if (!v.params.empty()) jv["params"] = StringMapToJson(v.params);
    variants.push_back(std::move(jv));
  }
  j["variants"] = std::move(variants);
  if (!e.forced_variants.empty()) j["forced_variants"] = StringMapToJson(e.forced_variants);
  return j;
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
    AISLE_RETURN_IF_ERROR(
        Reader::CheckKeys(root, "(root)", {"version", "layers", "challengers", "holdouts"}));
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
    AISLE_ASSIGN_OR_RETURN(const json* challengers,
                           Reader::Array(root, "challengers", "(root)", false));
    if (challengers != nullptr) {
      for (size_t i = 0; i < challengers->size(); ++i) {
        AISLE_ASSIGN_OR_RETURN(
            ChallengerSpec c,
            ParseChallenger((*challengers)[i], absl::StrCat("challengers[", i, "]")));
        config.challengers.push_back(std::move(c));
      }
    }
    AISLE_ASSIGN_OR_RETURN(const json* holdouts, Reader::Array(root, "holdouts", "(root)", false));
    if (holdouts != nullptr) {
      for (size_t i = 0; i < holdouts->size(); ++i) {
        AISLE_ASSIGN_OR_RETURN(HoldoutSpec h,
                               ParseHoldout((*holdouts)[i], absl::StrCat("holdouts[", i, "]")));
        config.holdouts.push_back(std::move(h));
      }
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

namespace aisle::routing {

absl::StatusOr<std::string> ExperimentConfigToJson(const ExperimentConfig& config) {
  try {
    json root = json::object();
    root["version"] = 1;
    json layers = json::array();
    for (const LayerSpec& l : config.layers) {
      json jl = json::object();
      jl["key"] = l.key;
      jl["salt"] = l.salt;
      jl["namespace_hash_version"] = l.namespace_hash_version;
      json exps = json::array();
      for (const ExperimentSpec& e : l.experiments) exps.push_back(ExperimentToJson(e));
      jl["experiments"] = std::move(exps);
      layers.push_back(std::move(jl));
    }
    root["layers"] = std::move(layers);
    if (!config.challengers.empty()) {
      json challengers = json::array();
      for (const ChallengerSpec& c : config.challengers) {
        json jc = json::object();
        jc["key"] = c.key;
        jc["layer"] = c.layer;
        jc["ranker"] = c.ranker;
        jc["share"] = c.share;
        jc["seed"] = c.seed.empty() ? c.key : c.seed;
        jc["range"] = json::array({c.range_start, c.range_end});
        if (!c.surfaces.empty()) jc["surfaces"] = c.surfaces;
        if (!c.forced_variants.empty()) jc["forced_variants"] = StringMapToJson(c.forced_variants);
        challengers.push_back(std::move(jc));
      }
      root["challengers"] = std::move(challengers);
    }
    if (!config.holdouts.empty()) {
      json holdouts = json::array();
      for (const HoldoutSpec& h : config.holdouts) {
        json jh = json::object();
        jh["key"] = h.key;
        jh["salt"] = h.salt.empty() ? h.key : h.salt;
        jh["share"] = h.share;
        jh["layers"] = h.layers;
        holdouts.push_back(std::move(jh));
      }
      root["holdouts"] = std::move(holdouts);
    }
    return root.dump(2);
  } catch (const std::bad_alloc&) {
    return absl::ResourceExhaustedError("experiment config: out of memory while writing JSON");
  } catch (const std::exception& e) {
    // nlohmann refuses strings that are not valid UTF-8.
    return absl::InvalidArgumentError(
        absl::StrCat("experiment config: cannot write JSON: ", e.what()));
  }
}

}  // namespace aisle::routing
