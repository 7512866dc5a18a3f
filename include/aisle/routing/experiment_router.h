// File: aisle/routing/experiment_router.h
//
// The "route" stage's experiment half: a compiled, immutable ExperimentConfig
// that assigns a unit (user or session id) on a surface to at most one
// experiment per layer, deterministically (a pure function of unit id, layer
// salt and experiment seed; GrowthBook-compatible hashing), so every replica
// and binding agrees.
//
//   AISLE_ASSIGN_OR_RETURN(ExperimentRouter router, ExperimentRouter::Create(config));
//   std::vector<Assignment> out;   // reuse per thread: no allocation after warm-up
//   router.Assign("user-123", "home", &out);
//   for (const Assignment& a : out) log(a.experiment, a.variant, a.in_experiment);
//   std::optional<absl::string_view> ranker = FindParam(out, "ranker");
//
// Assign() allocates nothing beyond its output, takes no lock, and the views in
// an Assignment point into the router's storage: they live as long as any copy
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
#include "absl/types/span.h"
#include "aisle/routing/experiment_config.h"

namespace aisle::routing {

// One parameter override of a variant.
struct Param {
  absl::string_view key;
  absl::string_view value;
};

// The outcome for one layer in which the unit falls into an experiment's range.
struct Assignment {
  absl::string_view layer;
  absl::string_view experiment;
  absl::string_view variant;      // variant key (variant 0's when !in_experiment)
  int32_t experiment_index = -1;  // dense, in config order across layers
  int32_t variant_index = 0;      // 0 when !in_experiment, as GrowthBook reports it
  // False when the unit is in the experiment's range but outside its coverage:
  // it gets the defaults (no params) and must not be counted as exposed.
  bool in_experiment = false;
  bool forced = false;             // set by forced_variants (QA), not by the hash
  double hash = 0.0;               // the experiment hash in [0, 1); 0 when forced
  absl::Span<const Param> params;  // the variant's overrides; empty if !in_experiment
};

class ExperimentRouter {
 public:
  // Validates (ValidateExperimentConfig) and compiles `config`.
  static absl::StatusOr<ExperimentRouter> Create(const ExperimentConfig& config);

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

  size_t MaxAssignments() const;  // the number of layers
  size_t NumExperiments() const;

 private:
  struct Impl;
  explicit ExperimentRouter(std::shared_ptr<const Impl> impl) : impl_(std::move(impl)) {}
  std::shared_ptr<const Impl> impl_;
};

// The value of parameter `key` in the first in-experiment assignment that sets
// it (a parameter belongs to one layer, so at most one does); nullopt if none.
std::optional<absl::string_view> FindParam(absl::Span<const Assignment> assignments,
                                           absl::string_view key);

}  // namespace aisle::routing

#endif  // AISLE_ROUTING_EXPERIMENT_ROUTER_H_
