// File: aisle/routing/experiment_router.h
//
// The "route" stage's experiment half: a compiled, immutable ExperimentConfig
// that assigns a unit (user or session id) on a surface to at most one
// experiment per layer, deterministically (a pure function of unit id, layer
// salt, experiment seed and holdout salts; GrowthBook-compatible hashing), so
// every replica and binding agrees; and, when built with an
// ExperimentKillSwitch, sends the units of killed experiments to control.
//
//   AISLE_ASSIGN_OR_RETURN(ExperimentRouter router,
//                          ExperimentRouter::Create(config, &kill_switch));
//   std::vector<Assignment> out;   // reuse per thread: no allocation after warm-up
//   router.Assign("user-123", "home", &out);
//   for (const Assignment& a : out) log(a.experiment, a.variant, a.in_experiment, a.holdout,
//   a.killed); MergedParams p = MergeParams(out);              // typed, parsed at Create()
//   absl::string_view ranker = p.ranker != nullptr ? *p.ranker : surface.ranker;
//
// Per layer, what decides the variant (first that applies):
//   1. kill switch: the experiment is killed -> variant 0, no params, killed
//   2. forced_variants (QA) -> that variant, forced
//   3. a holdout that lists the layer holds the unit -> variant 0, no params, holdout
//   4. the experiment hash (GrowthBook buckets; outside coverage -> variant 0, no params)
//
// Assign() allocates nothing beyond its output, takes no lock (the kill switch
// costs one relaxed atomic load per assigned experiment), and the views in an
// Assignment point into the router's storage: they live as long as any copy
// of the router. ExperimentRouter is immutable after Create(): thread-safe;
// copies share the compiled state.
#ifndef AISLE_ROUTING_EXPERIMENT_ROUTER_H_
#define AISLE_ROUTING_EXPERIMENT_ROUTER_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "aisle/routing/experiment_config.h"
#include "aisle/routing/variant_params.h"

namespace aisle::routing {

// One parameter override of a variant.
struct Param {
  absl::string_view key;
  absl::string_view value;
};

// The outcome for one layer in which the unit falls into an experiment's range
// (or is forced into an experiment).
struct Assignment {
  absl::string_view layer;
  absl::string_view experiment;
  absl::string_view variant;      // variant key (variant 0's when !in_experiment)
  int32_t experiment_index = -1;  // dense, in layer order (challengers after a layer's own)
  int32_t variant_index = 0;      // 0 when !in_experiment, as GrowthBook reports it
  // True when the variant came from the hash or from forcing. False when the
  // unit is outside the experiment's coverage, held out or the experiment is
  // killed: it gets variant 0 with no params (the surface's own configuration)
  // and must not be counted as exposed to the experiment.
  bool in_experiment = false;
  bool forced = false;  // the variant came from forced_variants (QA), not the hash
  // The unit is held out (kept on the baseline) by holdout `holdout_key`, the
  // first holdout in config order that lists this layer and holds the unit.
  // Reported also when the experiment is killed; not when the unit is forced.
  bool holdout = false;
  absl::string_view holdout_key;
  // The experiment is killed (ExperimentKillSwitch): variant 0, no params.
  bool killed = false;
  double hash = 0.0;               // the experiment hash in [0, 1); 0 when forced or held out
  absl::Span<const Param> params;  // the variant's overrides; empty if !in_experiment
  // The same overrides, typed; never null (VariantParams::Empty() if !in_experiment).
  const VariantParams* typed_params = &VariantParams::Empty();
};

class ExperimentKillSwitch;

class ExperimentRouter {
 public:
  // Validates (ValidateExperimentConfig), expands challengers
  // (ExpandChallengers), parses every variant's params (ParseVariantParams)
  // and compiles `config`.
  static absl::StatusOr<ExperimentRouter> Create(const ExperimentConfig& config);

  // Same, and consults `kill_switch` (may be null: none) in Assign(). Registers
  // every experiment key of `config` with it; the router keeps the flags it
  // reads alive, so `kill_switch` need not outlive the router.
  static absl::StatusOr<ExperimentRouter> Create(const ExperimentConfig& config,
                                                 ExperimentKillSwitch* kill_switch);

  // Writes at most one Assignment per layer (layers in config order) into
  // `out`, which must hold MaxAssignments() entries; returns how many were
  // written. Layers where the unit is in no experiment's range, or whose
  // experiment is scoped to other surfaces, write nothing. An empty unit_id
  // writes nothing (GrowthBook skips units without a hash attribute).
  size_t Assign(absl::string_view unit_id, absl::string_view surface,
                absl::Span<Assignment> out) const;

  // Same, resizing `out` to the count (allocates only while its capacity grows).
  void Assign(absl::string_view unit_id, absl::string_view surface,
              std::vector<Assignment>* out) const;

  // Every variant of every experiment (challengers included), with its typed
  // params, in layer order: for the engine to resolve the names in them
  // (rankers, pipelines, sources) against a snapshot when it compiles it.
  // Views into the router. Allocates: not for the request path.
  struct VariantInfo {
    absl::string_view layer;
    absl::string_view experiment;
    absl::string_view variant;
    const VariantParams* params = nullptr;  // never null
  };
  std::vector<VariantInfo> Variants() const;

  size_t MaxAssignments() const;  // the number of layers
  size_t NumExperiments() const;  // challengers included
  size_t NumHoldouts() const;

 private:
  struct Impl;
  explicit ExperimentRouter(std::shared_ptr<const Impl> impl) : impl_(std::move(impl)) {}
  std::shared_ptr<const Impl> impl_;
};

// The value of parameter `key` in the first in-experiment assignment that sets
// it (a parameter belongs to one layer, so at most one does); nullopt if none.
// The raw string of any key, typed or `custom.`.
std::optional<absl::string_view> FindParam(absl::Span<const Assignment> assignments,
                                           absl::string_view key);

// The typed parameters of one request: every field from the one assignment
// whose variant sets it (a parameter group belongs to one layer, so at most
// one does). Views into the router: valid while it lives. Unset fields keep
// the surface's configuration.
struct MergedParams {
  const std::string* ranker = nullptr;
  const std::string* pipeline = nullptr;
  std::optional<float> mmr_lambda;
  std::optional<ExplorationOverride> exploration;
  std::optional<absl::Duration> budget;
  absl::Span<const std::string> shadow_rankers;
};

// Merges the typed params of `assignments` (allocation-free: a walk over the
// assignments).
MergedParams MergeParams(absl::Span<const Assignment> assignments);

// The override of source `source` from the assignment whose variant sets one
// (source.<name>.* belongs to one layer), or nullptr.
const SourceOverride* FindSourceOverride(absl::Span<const Assignment> assignments,
                                         absl::string_view source);

}  // namespace aisle::routing

#endif  // AISLE_ROUTING_EXPERIMENT_ROUTER_H_
