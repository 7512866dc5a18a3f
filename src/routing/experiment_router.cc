#include "aisle/routing/experiment_router.h"

#include <algorithm>
#include <atomic>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "aisle/core/status_macros.h"
#include "aisle/routing/bucketing.h"
#include "aisle/routing/experiment_hash.h"
#include "aisle/routing/experiment_kill_switch.h"

namespace aisle::routing {

namespace {

struct CompiledVariant {
  std::string key;
  std::vector<std::pair<std::string, std::string>> owned_params;
  std::vector<Param> params;  // views into owned_params, filled once storage is final
  VariantParams typed;        // owned_params parsed once, at Create()
};

struct CompiledExperiment {
  std::string key;
  int32_t index = 0;
  int hash_version = 2;
  std::string seed;
  uint32_t seed_state = 0;  // FNV state after `seed` (v2)
  double range_start = 0.0;
  double range_end = 1.0;
  std::vector<BucketRange> buckets;
  std::vector<std::string> surfaces;
  std::vector<CompiledVariant> variants;
  // The kill switch's flag for `key`; null without a kill switch.
  const std::atomic<bool>* kill = nullptr;

  bool Killed() const { return kill != nullptr && kill->load(std::memory_order_relaxed); }

  bool OnSurface(absl::string_view surface) const {
    if (surfaces.empty()) return true;
    for (const std::string& s : surfaces) {
      if (s == surface) return true;
    }
    return false;
  }
};

struct Forced {
  int32_t experiment = 0;  // index into the layer's experiments
  int32_t variant = 0;
};

struct CompiledLayer {
  std::string key;
  std::string ns_seed;  // "__" + salt
  uint32_t ns_seed_state = 0;
  int ns_hash_version = 2;
  std::vector<CompiledExperiment> experiments;  // sorted by range_start
  absl::flat_hash_map<std::string, Forced> forced;
  uint64_t holdout_mask = 0;  // bit h: holdout h lists this layer

  double NamespaceHash(absl::string_view unit) const {
    if (ns_hash_version == 1) return HashV1(ns_seed, unit);
    return HashV2FromSeedState(ns_seed_state, unit);
  }
};

struct CompiledHoldout {
  std::string key;
  uint32_t seed_state = 0;  // FNV state after the salt
  double share = 0.0;
};

}  // namespace

struct ExperimentRouter::Impl {
  std::vector<CompiledLayer> layers;
  std::vector<CompiledHoldout> holdouts;  // at most kMaxHoldouts: bit h of a mask is holdouts[h]
  size_t num_experiments = 0;
  // Keeps the kill switch's flags alive while this router lives.
  std::shared_ptr<const void> kill_state;

  // Bit h set when holdout h holds `unit`.
  uint64_t HeldMask(absl::string_view unit) const {
    uint64_t mask = 0;
    for (size_t h = 0; h < holdouts.size(); ++h) {
      if (HashV2FromSeedState(holdouts[h].seed_state, unit) < holdouts[h].share) {
        mask |= uint64_t{1} << h;
      }
    }
    return mask;
  }
};

absl::StatusOr<ExperimentRouter> ExperimentRouter::Create(const ExperimentConfig& config) {
  return Create(config, nullptr);
}

absl::StatusOr<ExperimentRouter> ExperimentRouter::Create(const ExperimentConfig& original,
                                                          ExperimentKillSwitch* kill_switch) {
  // Validates, and turns challengers into experiments of their layers.
  AISLE_ASSIGN_OR_RETURN(const ExperimentConfig config, ExpandChallengers(original));
  auto impl = std::make_shared<Impl>();
  int32_t next_index = 0;
  impl->layers.reserve(config.layers.size());
  for (const LayerSpec& ls : config.layers) {
    CompiledLayer& layer = impl->layers.emplace_back();
    layer.key = ls.key;
    layer.ns_seed = absl::StrCat("__", ls.salt);
    layer.ns_seed_state = Fnv32a(layer.ns_seed);
    layer.ns_hash_version = ls.namespace_hash_version;
    for (const ExperimentSpec& es : ls.experiments) {
      CompiledExperiment& e = layer.experiments.emplace_back();
      e.key = es.key;
      e.index = next_index++;
      e.hash_version = es.hash_version;
      e.seed = es.seed.empty() ? es.key : es.seed;
      e.seed_state = Fnv32a(e.seed);
      e.range_start = es.range_start;
      e.range_end = es.range_end;
      e.surfaces = es.surfaces;
      std::vector<double> weights;
      for (const VariantSpec& vs : es.variants) {
        weights.push_back(vs.weight);
        CompiledVariant& v = e.variants.emplace_back();
        v.key = vs.key;
        v.owned_params = vs.params;
        // Validation parsed them already; this cannot fail.
        AISLE_ASSIGN_OR_RETURN(v.typed, ParseVariantParams(vs.params));
      }
      if (kill_switch != nullptr) e.kill = kill_switch->Register(e.key);
      // Validation already enforced the weight sum, so this is exactly
      // GrowthBook's layout of these weights.
      e.buckets = GetBucketRanges(static_cast<int>(weights.size()), es.coverage, weights);
    }
    std::stable_sort(layer.experiments.begin(), layer.experiments.end(),
                     [](const CompiledExperiment& a, const CompiledExperiment& b) {
                       return a.range_start < b.range_start;
                     });
    for (size_t i = 0; i < layer.experiments.size(); ++i) {
      const CompiledExperiment& e = layer.experiments[i];
      const ExperimentSpec* spec = nullptr;
      for (const ExperimentSpec& es : ls.experiments) {
        if (es.key == e.key) spec = &es;
      }
      for (const auto& [unit, variant_key] : spec->forced_variants) {
        int32_t v = 0;
        while (e.variants[static_cast<size_t>(v)].key != variant_key) ++v;
        layer.forced[unit] = Forced{static_cast<int32_t>(i), v};
      }
    }
  }
  impl->num_experiments = static_cast<size_t>(next_index);
  for (size_t h = 0; h < config.holdouts.size(); ++h) {
    const HoldoutSpec& hs = config.holdouts[h];
    CompiledHoldout& ho = impl->holdouts.emplace_back();
    ho.key = hs.key;
    ho.seed_state = Fnv32a(hs.salt.empty() ? hs.key : hs.salt);
    ho.share = hs.share;
    for (CompiledLayer& layer : impl->layers) {
      for (const std::string& l : hs.layers) {
        if (l == layer.key) layer.holdout_mask |= uint64_t{1} << h;
      }
    }
  }
  if (kill_switch != nullptr) impl->kill_state = kill_switch->SharedState();
  // Storage is final: point the parameter views at it.
  for (CompiledLayer& layer : impl->layers) {
    for (CompiledExperiment& e : layer.experiments) {
      for (CompiledVariant& v : e.variants) {
        v.params.reserve(v.owned_params.size());
        for (const auto& [k, val] : v.owned_params) v.params.push_back(Param{k, val});
      }
    }
  }
  return ExperimentRouter(std::move(impl));
}

std::vector<ExperimentRouter::VariantInfo> ExperimentRouter::Variants() const {
  std::vector<VariantInfo> out;
  for (const CompiledLayer& layer : impl_->layers) {
    for (const CompiledExperiment& e : layer.experiments) {
      for (const CompiledVariant& v : e.variants)
        out.push_back({layer.key, e.key, v.key, &v.typed});
    }
  }
  return out;
}

size_t ExperimentRouter::MaxAssignments() const { return impl_->layers.size(); }
size_t ExperimentRouter::NumExperiments() const { return impl_->num_experiments; }
size_t ExperimentRouter::NumHoldouts() const { return impl_->holdouts.size(); }

size_t ExperimentRouter::Assign(absl::string_view unit_id, absl::string_view surface,
                                absl::Span<Assignment> out) const {
  if (unit_id.empty()) return 0;
  const Impl& impl = *impl_;
  // Holdout membership, hashed on the first layer that needs it.
  uint64_t held_mask = 0;
  bool held_known = impl.holdouts.empty();
  size_t n = 0;
  for (const CompiledLayer& layer : impl.layers) {
    if (n >= out.size()) break;
    const CompiledExperiment* chosen = nullptr;
    int32_t variant = -1;
    double hash = 0.0;
    bool forced = false;
    if (!layer.forced.empty()) {
      auto it = layer.forced.find(unit_id);
      if (it != layer.forced.end()) {
        const CompiledExperiment& e = layer.experiments[static_cast<size_t>(it->second.experiment)];
        if (e.OnSurface(surface)) {
          chosen = &e;
          variant = it->second.variant;
          forced = true;
        }
      }
    }
    if (chosen == nullptr) {
      if (layer.experiments.empty()) continue;
      const double ns = layer.NamespaceHash(unit_id);
      for (const CompiledExperiment& e : layer.experiments) {
        if (ns < e.range_start) break;  // sorted by start
        if (ns >= e.range_end || !e.OnSurface(surface)) continue;
        chosen = &e;
        break;
      }
      if (chosen == nullptr) continue;
    }
    uint64_t held = 0;
    if (layer.holdout_mask != 0) {
      if (!held_known) {
        held_mask = impl.HeldMask(unit_id);
        held_known = true;
      }
      held = held_mask & layer.holdout_mask;
    }
    if (!forced && held == 0) {
      hash = chosen->hash_version == 1 ? HashV1(chosen->seed, unit_id)
                                       : HashV2FromSeedState(chosen->seed_state, unit_id);
      variant = ChooseVariation(hash, chosen->buckets);
    }
    // One relaxed load: the kill switch beats forcing and holdouts.
    const bool killed = chosen->Killed();
    const bool in = !killed && variant >= 0 && (forced || held == 0);
    Assignment& a = out[n++];
    a.layer = layer.key;
    a.experiment = chosen->key;
    a.experiment_index = chosen->index;
    a.in_experiment = in;
    a.forced = forced && !killed;
    a.holdout = held != 0 && (!forced || killed);
    a.holdout_key =
        a.holdout
            ? absl::string_view(impl.holdouts[static_cast<size_t>(std::countr_zero(held))].key)
            : absl::string_view();
    a.killed = killed;
    a.hash = hash;
    a.variant_index = in ? variant : 0;
    const CompiledVariant& v = chosen->variants[static_cast<size_t>(a.variant_index)];
    a.variant = v.key;
    a.params = in ? absl::Span<const Param>(v.params) : absl::Span<const Param>();
    a.typed_params = in ? &v.typed : &VariantParams::Empty();
  }
  return n;
}

void ExperimentRouter::Assign(absl::string_view unit_id, absl::string_view surface,
                              std::vector<Assignment>* out) const {
  out->resize(impl_->layers.size());
  out->resize(Assign(unit_id, surface, absl::MakeSpan(*out)));
}

std::optional<absl::string_view> FindParam(absl::Span<const Assignment> assignments,
                                           absl::string_view key) {
  for (const Assignment& a : assignments) {
    if (!a.in_experiment) continue;
    for (const Param& p : a.params) {
      if (p.key == key) return p.value;
    }
  }
  return std::nullopt;
}

MergedParams MergeParams(absl::Span<const Assignment> assignments) {
  MergedParams m;
  for (const Assignment& a : assignments) {
    const VariantParams& p = *a.typed_params;
    if (p.ranker.has_value() && m.ranker == nullptr) m.ranker = &*p.ranker;
    if (p.pipeline.has_value() && m.pipeline == nullptr) m.pipeline = &*p.pipeline;
    if (p.mmr_lambda.has_value() && !m.mmr_lambda.has_value()) m.mmr_lambda = p.mmr_lambda;
    if (p.exploration.has_value() && !m.exploration.has_value()) m.exploration = p.exploration;
    if (p.budget.has_value() && !m.budget.has_value()) m.budget = p.budget;
    if (!p.shadow_rankers.empty() && m.shadow_rankers.empty()) m.shadow_rankers = p.shadow_rankers;
  }
  return m;
}

const SourceOverride* FindSourceOverride(absl::Span<const Assignment> assignments,
                                         absl::string_view source) {
  for (const Assignment& a : assignments) {
    if (const SourceOverride* s = a.typed_params->FindSource(source); s != nullptr) return s;
  }
  return nullptr;
}

}  // namespace aisle::routing
