// File: aisle/routing/experiment_config.h
//
// The experiment configuration: layers of mutually exclusive experiments, each
// with weighted variants that carry parameter overrides for the pipeline
// ("ranker": "gbdt_v7", "diversity.lambda": "0.3"). Parsed from JSON (format in
// docs/routing.md) or built in code, then validated; ExperimentRouter compiles
// it for the request path.
//
//   absl::StatusOr<ExperimentConfig> config = ParseExperimentConfig(R"({
//     "layers": [{"key": "ranking", "salt": "ranking-2024-06",
//       "experiments": [{"key": "gbdt-v7", "range": [0, 0.5],
//         "variants": [{"key": "control"},
//                      {"key": "treatment", "params": {"ranker": "gbdt_v7"}}]}]}]})");
//
// Semantics (GrowthBook-compatible): a unit (user or session id) is in a
// layer's experiment when the layer hash of the unit falls in the experiment's
// `range` (a GrowthBook namespace [salt, start, end)); inside it, the
// experiment hash (seed, hash_version) picks a variant from the bucket ranges
// of `weights` and `coverage`. Ranges of experiments in one layer must not
// overlap (unless their surface scopes are disjoint), so a unit is in at most
// one experiment per layer; layers use different salts, so they are independent.
//
// Plain structs: thread-compatible.
#ifndef AISLE_ROUTING_EXPERIMENT_CONFIG_H_
#define AISLE_ROUTING_EXPERIMENT_CONFIG_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace aisle::routing {

// Weights of one experiment must sum to 1 within this tolerance.
inline constexpr double kWeightSumTolerance = 1e-3;

struct VariantSpec {
  std::string key;  // non-empty, unique within the experiment
  double weight = 0.0;
  // Parameter overrides, (key, value), keys unique within the variant.
  std::vector<std::pair<std::string, std::string>> params;
};

struct ExperimentSpec {
  std::string key;           // non-empty, unique across the whole config
  std::string seed;          // experiment hash seed; empty means `key` (GrowthBook's default)
  int hash_version = 2;      // 1 or 2 (GrowthBook hashVersion; its SDKs default to 1)
  double range_start = 0.0;  // share of the layer: [range_start, range_end)
  double range_end = 1.0;
  double coverage = 1.0;              // in [0, 1]
  std::vector<std::string> surfaces;  // empty: every surface
  std::vector<VariantSpec> variants;  // at least one
  // QA overrides: (unit id, variant key). A forced unit gets that variant
  // whatever its hash, on the experiment's surfaces.
  std::vector<std::pair<std::string, std::string>> forced_variants;
};

struct LayerSpec {
  std::string key;   // non-empty, unique
  std::string salt;  // non-empty, unique: the namespace id hashed with the unit
  // 2 (default): the layer hash is v2 with seed "__" + salt. 1: GrowthBook's
  // inNamespace (v1, 1000 buckets), to reproduce an existing GrowthBook
  // namespace; v1 layer hashes of salts that differ only in their last
  // characters are strongly correlated, so do not use 1 for new layers.
  int namespace_hash_version = 2;
  std::vector<ExperimentSpec> experiments;
};

struct ExperimentConfig {
  std::vector<LayerSpec> layers;
};

// Checks every rule listed in docs/routing.md; InvalidArgument naming the
// layer, experiment, variant, field and value on the first violation.
absl::Status ValidateExperimentConfig(const ExperimentConfig& config);

// Parses and validates JSON. Unknown fields are errors (they are usually
// typos). InvalidArgument with the JSON path (layers[0].experiments[1].coverage)
// of the offending value.
absl::StatusOr<ExperimentConfig> ParseExperimentConfig(absl::string_view json_text);

// Reads `path` and parses it; errors name the file.
absl::StatusOr<ExperimentConfig> LoadExperimentConfigFile(absl::string_view path);

}  // namespace aisle::routing

#endif  // AISLE_ROUTING_EXPERIMENT_CONFIG_H_
