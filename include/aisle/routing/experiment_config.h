// File: aisle/routing/experiment_config.h
//
// The experiment configuration: layers of mutually exclusive experiments, each
// with weighted variants that carry parameter overrides for the pipeline
// ("ranker": "gbdt_v7", "mmr.lambda": "0.3"; the vocabulary is in
// variant_params.h), challengers (a ranker on a share of traffic, ramped
// without moving assigned units) and holdouts (a share of units kept on the
// baseline of every experiment in a set of layers). Parsed from JSON (format
// in docs/routing.md) or built in code, then validated; ExperimentRouter
// compiles it for the request path.
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
// Variant 0 of every experiment is its control (GrowthBook's convention):
// units outside coverage, held out, or in a killed experiment report it, with
// no parameters, so they are served the surface's own configuration.
//
// Plain structs: thread-compatible.
#ifndef AISLE_ROUTING_EXPERIMENT_CONFIG_H_
#define AISLE_ROUTING_EXPERIMENT_CONFIG_H_

#include <cstddef>
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
  // Parameter overrides, (key, value), keys unique within the variant, from
  // the vocabulary of variant_params.h (validated; typed by the router).
  std::vector<std::pair<std::string, std::string>> params;

  friend bool operator==(const VariantSpec&, const VariantSpec&) = default;
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

  friend bool operator==(const ExperimentSpec&, const ExperimentSpec&) = default;
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

  friend bool operator==(const LayerSpec&, const LayerSpec&) = default;
};

// A challenger ranker on `share` of the traffic of its surfaces, as an
// experiment of `layer` with two variants: "control" (no parameters: the
// surface's own ranker) and "challenger" ({"ranker": ranker}). The two arms
// are the same size: `share` each, laid out with GrowthBook bucket ranges as
// weights {0.5, 0.5} at coverage 2 * share / (range_end - range_start):
//
//   control     [0,   c/2)      c = coverage
//   challenger  [0.5, 0.5 + c/2)
//
// of the experiment hash, so raising `share` (a ramp: 0.02 -> 0.05 -> 0.2)
// only extends both ranges to the right: a unit assigned to an arm at one
// share is in the same arm at every larger share, and units outside both arms
// (in_experiment = false) are served the control ranker. Keep `key`, `seed`
// and the range fixed across a ramp: changing them reshuffles. The largest
// share is half the range (coverage 1); beyond that, promote the challenger.
struct ChallengerSpec {
  std::string key;           // the experiment key: unique across the whole config
  std::string layer;         // key of a layer of the config
  std::string ranker;        // the challenger's ranker (a model name in the snapshot)
  double share = 0.0;        // of all units on the surfaces, in [0, (range_end - range_start) / 2]
  std::string seed;          // experiment hash seed; empty means `key`
  double range_start = 0.0;  // share of the layer: [range_start, range_end)
  double range_end = 1.0;
  std::vector<std::string> surfaces;  // empty: every surface
  // QA overrides: (unit id, "control" | "challenger").
  std::vector<std::pair<std::string, std::string>> forced_variants;

  friend bool operator==(const ChallengerSpec&, const ChallengerSpec&) = default;
};

// Variant keys of a challenger experiment.
inline constexpr char kControlVariantKey[] = "control";
inline constexpr char kChallengerVariantKey[] = "challenger";

// Most holdouts one config may have.
inline constexpr size_t kMaxHoldouts = 64;

// A share of units kept on the baseline (variant 0, no parameters) of every
// experiment in `layers`: a unit is held out when HashV2(salt, unit) < share.
// The long-run effect of everything shipped in those layers is measured
// against it.
struct HoldoutSpec {
  std::string key;                  // non-empty, unique among holdouts
  std::string salt;                 // empty means `key`; unique; see docs/routing.md
  double share = 0.0;               // in [0, 1]
  std::vector<std::string> layers;  // keys of layers of the config, at least one

  friend bool operator==(const HoldoutSpec&, const HoldoutSpec&) = default;
};

struct ExperimentConfig {
  std::vector<LayerSpec> layers;
  std::vector<ChallengerSpec> challengers;
  std::vector<HoldoutSpec> holdouts;

  friend bool operator==(const ExperimentConfig&, const ExperimentConfig&) = default;
};

// The experiment a challenger stands for (see ChallengerSpec), without its
// layer. InvalidArgument if the share does not fit the range or a field is
// malformed; does not look at other experiments (ValidateExperimentConfig does).
absl::StatusOr<ExperimentSpec> MakeChallengerExperiment(const ChallengerSpec& challenger);

// Validates `config` and returns it with every challenger turned into an
// experiment appended to its layer (in the order of `challengers`), and
// `challengers` empty. ExperimentRouter::Create does this itself.
absl::StatusOr<ExperimentConfig> ExpandChallengers(ExperimentConfig config);

// Checks every rule listed in docs/routing.md; InvalidArgument naming the
// layer, experiment, variant, field and value on the first violation.
absl::Status ValidateExperimentConfig(const ExperimentConfig& config);

// Parses and validates JSON. Unknown fields are errors (they are usually
// typos). InvalidArgument with the JSON path (layers[0].experiments[1].coverage)
// of the offending value.
absl::StatusOr<ExperimentConfig> ParseExperimentConfig(absl::string_view json_text);

// Reads `path` and parses it; errors name the file.
absl::StatusOr<ExperimentConfig> LoadExperimentConfigFile(absl::string_view path);

// The JSON form of `config` (every field written, defaults included), which
// ParseExperimentConfig reads back to an equal config. InvalidArgument if a
// string is not valid UTF-8 (JSON cannot carry it).
absl::StatusOr<std::string> ExperimentConfigToJson(const ExperimentConfig& config);

}  // namespace aisle::routing

#endif  // AISLE_ROUTING_EXPERIMENT_CONFIG_H_
