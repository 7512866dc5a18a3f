// File: aisle/routing/variant_params.h
//
// The typed parameter vocabulary of an experiment variant: what a variant may
// change for the requests assigned to it (the ranker, the whole pipeline,
// source quotas and ANN breadth, MMR lambda, exploration, the budget, shadow
// rankers). A variant's parameters are written as strings in the config
// (`"params": {"mmr.lambda": "0.3"}`); ParseVariantParams turns them into a
// VariantParams once, when the config is validated and the router compiled,
// so the request path reads typed values and never parses.
//
//   AISLE_ASSIGN_OR_RETURN(VariantParams p, ParseVariantParams(
//       {{"ranker", "gbdt_v8"}, {"source.ann.ef", "200"}, {"mmr.lambda", "0.3"}}));
//   // p.ranker == "gbdt_v8"; p.FindSource("ann")->ef == 200; *p.mmr_lambda == 0.3f
//
// Keys (docs/routing.md has the full table):
//
//   ranker                  a model name in the snapshot
//   pipeline                a pipeline (surface configuration) name
//   source.<name>.quota     integer in [0, kMaxVariantQuota]
//   source.<name>.ef        integer in [1, kMaxVariantEf] (ANN search breadth)
//   mmr.lambda              number in [0, 1]
//   exploration             "on" or "off"
//   exploration.share       number in [0, 1] (implies "on")
//   budget_ms               number in (0, kMaxVariantBudgetMs]
//   shadow                  comma-separated ranker names, scored off the response path
//   custom.<anything>       the host's own parameter, any string; not typed,
//                           read with FindParam (experiment_router.h)
//
// Any other key is an error. Names (rankers, pipelines, sources) are checked
// for syntax only (aisle/core/external_id.h); the engine resolves them
// against the snapshot when it compiles it.
//
// Plain values: thread-compatible. ParseVariantParams is pure: thread-safe.
#ifndef AISLE_ROUTING_VARIANT_PARAMS_H_
#define AISLE_ROUTING_VARIANT_PARAMS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "absl/types/span.h"

namespace aisle::routing {

inline constexpr uint32_t kMaxVariantQuota = uint32_t{1} << 20;
inline constexpr uint32_t kMaxVariantEf = uint32_t{1} << 20;
inline constexpr double kMaxVariantBudgetMs = 60000.0;
// Prefix of the free-form keys a host defines for itself.
inline constexpr absl::string_view kCustomParamPrefix = "custom.";

// Overrides for one candidate source of the surface, by source name.
struct SourceOverride {
  std::string source;
  std::optional<uint32_t> quota;
  std::optional<uint32_t> ef;

  friend bool operator==(const SourceOverride&, const SourceOverride&) = default;
};

// "exploration": "off" gives {enabled = false}; "on" gives {enabled = true}
// with the surface's own share; "exploration.share" gives {enabled = true,
// share}.
struct ExplorationOverride {
  bool enabled = true;
  std::optional<float> share;  // in [0, 1]

  friend bool operator==(const ExplorationOverride&, const ExplorationOverride&) = default;
};

// The typed parameters of one variant. Unset fields keep the surface's
// configuration.
struct VariantParams {
  std::optional<std::string> ranker;
  std::optional<std::string> pipeline;
  std::vector<SourceOverride> sources;  // sorted by source name, one per source
  std::optional<float> mmr_lambda;      // in [0, 1]
  std::optional<ExplorationOverride> exploration;
  std::optional<absl::Duration> budget;     // > 0
  std::vector<std::string> shadow_rankers;  // distinct, in the order given

  // True when no field is set.
  bool empty() const;

  // The override of `source`, or nullptr.
  const SourceOverride* FindSource(absl::string_view source) const;

  // An empty VariantParams with static storage duration.
  static const VariantParams& Empty();

  friend bool operator==(const VariantParams&, const VariantParams&) = default;
};

// Parses a variant's (key, value) pairs. Keys must be unique. InvalidArgument
// on the first unknown key or bad value, naming both:
//   "parameter 'mmr.lambda' value '1.5': must be a number in [0, 1]"
// `custom.` keys are accepted and ignored here.
absl::StatusOr<VariantParams> ParseVariantParams(
    absl::Span<const std::pair<std::string, std::string>> params);

// The unit of layer ownership of a parameter key: keys of one group must be
// set in one layer only, so parameters merged across a request's assignments
// never conflict. "source.<name>.quota" and "source.<name>.ef" are the group
// "source.<name>", "exploration" and "exploration.share" the group
// "exploration"; any other key is its own group.
absl::string_view ParamGroup(absl::string_view key);

}  // namespace aisle::routing

#endif  // AISLE_ROUTING_VARIANT_PARAMS_H_
