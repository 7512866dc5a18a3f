// Per-request cost of experiment assignment (3 layers x 4 experiments, the
// shape of a storefront running ranking, retrieval and UI tests at once) and
// raw hash throughput.
#include <array>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "aisle/core/clock.h"
#include "aisle/routing/bucketing.h"
#include "aisle/routing/experiment_hash.h"
#include "aisle/routing/experiment_kill_switch.h"
#include "aisle/routing/experiment_router.h"
#include "benchmark/benchmark.h"

namespace aisle::routing {
namespace {

constexpr size_t kNumIds = 4096;  // power of two

const std::vector<std::string>& UnitIds() {
  static const auto* ids = [] {
    auto* v = new std::vector<std::string>();
    for (size_t i = 0; i < kNumIds; ++i) v->push_back(absl::StrCat("user-", 1000000 + i * 7919));
    return v;
  }();
  return *ids;
}

// 3 layers x 4 experiments, each a quarter of its layer, 2-3 variants with
// params, the last experiment of every layer scoped to "pdp".
ExperimentConfig MakeConfig(int ns_hash_version, int hash_version) {
  ExperimentConfig c;
  for (int l = 0; l < 3; ++l) {
    LayerSpec& layer = c.layers.emplace_back();
    layer.key = absl::StrCat("layer-", l);
    layer.salt = absl::StrCat("salt-", l);
    layer.namespace_hash_version = ns_hash_version;
    for (int e = 0; e < 4; ++e) {
      ExperimentSpec& exp = layer.experiments.emplace_back();
      exp.key = absl::StrCat("exp-", l, "-", e);
      exp.hash_version = hash_version;
      exp.range_start = e * 0.25;
      exp.range_end = (e + 1) * 0.25;
      exp.coverage = 0.9;
      if (e == 3) exp.surfaces = {"pdp"};
      const int nv = 2 + e % 2;
      for (int v = 0; v < nv; ++v) {
        exp.variants.push_back({absl::StrCat("v", v),
                                1.0 / nv,
                                {{absl::StrCat("custom.param-", l), absl::StrCat(v)}}});
      }
    }
  }
  return c;
}

void BM_ExperimentRouter_Assign3x4(benchmark::State& state) {
  const int version = static_cast<int>(state.range(0));
  const ExperimentRouter router = *ExperimentRouter::Create(MakeConfig(version, version));
  const std::vector<std::string>& ids = UnitIds();
  std::array<Assignment, 3> out;
  size_t i = 0, assigned = 0;
  for (auto _ : state) {
    const size_t n = router.Assign(ids[i++ & (kNumIds - 1)], "home", absl::MakeSpan(out));
    assigned += n;
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
  state.counters["assignments_per_request"] =
      static_cast<double>(assigned) / static_cast<double>(state.iterations());
  state.SetLabel(version == 2 ? "hash v2" : "hash v1 (GrowthBook namespaces)");
}
BENCHMARK(BM_ExperimentRouter_Assign3x4)->Arg(2)->Arg(1);

// The same config with a kill switch (one experiment killed) and two
// holdouts over two of the three layers, and the typed params merged: what
// the engine pays per request with every routing feature on.
void BM_ExperimentRouter_Assign3x4HoldoutsKillMerge(benchmark::State& state) {
  ExperimentConfig config = MakeConfig(2, 2);
  for (int h = 0; h < 2; ++h) {
    HoldoutSpec& holdout = config.holdouts.emplace_back();
    holdout.key = holdout.salt = absl::StrCat("holdout-", h);
    holdout.share = 0.05;
    holdout.layers = {"layer-0", "layer-1"};
  }
  FakeClock clock;
  ExperimentKillSwitch kills(&clock);
  const ExperimentRouter router = *ExperimentRouter::Create(config, &kills);
  if (!kills.Kill("exp-0-1", "benchmark", "benchmark").ok()) state.SkipWithError("kill failed");
  const std::vector<std::string>& ids = UnitIds();
  std::array<Assignment, 3> out;
  size_t i = 0;
  for (auto _ : state) {
    const size_t n = router.Assign(ids[i++ & (kNumIds - 1)], "home", absl::MakeSpan(out));
    MergedParams m = MergeParams(absl::MakeConstSpan(out.data(), n));
    benchmark::DoNotOptimize(m);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}
BENCHMARK(BM_ExperimentRouter_Assign3x4HoldoutsKillMerge);

void BM_ExperimentRouter_Assign3x4Vector(benchmark::State& state) {
  const ExperimentRouter router = *ExperimentRouter::Create(MakeConfig(2, 2));
  const std::vector<std::string>& ids = UnitIds();
  std::vector<Assignment> out;
  size_t i = 0;
  for (auto _ : state) {
    router.Assign(ids[i++ & (kNumIds - 1)], "home", &out);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}
BENCHMARK(BM_ExperimentRouter_Assign3x4Vector);

void BM_ExperimentHash_Fnv32a(benchmark::State& state) {
  const std::vector<std::string>& ids = UnitIds();
  size_t i = 0, bytes = 0;
  uint32_t acc = 0;
  for (auto _ : state) {
    const std::string& id = ids[i++ & (kNumIds - 1)];
    acc ^= Fnv32a(id);
    bytes += id.size();
  }
  benchmark::DoNotOptimize(acc);
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
  state.SetBytesProcessed(static_cast<int64_t>(bytes));
}
BENCHMARK(BM_ExperimentHash_Fnv32a);

void BM_ExperimentHash_V1(benchmark::State& state) {
  const std::vector<std::string>& ids = UnitIds();
  size_t i = 0;
  double acc = 0;
  for (auto _ : state) acc += HashV1("exp-home-ranker", ids[i++ & (kNumIds - 1)]);
  benchmark::DoNotOptimize(acc);
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}
BENCHMARK(BM_ExperimentHash_V1);

void BM_ExperimentHash_V2(benchmark::State& state) {
  const std::vector<std::string>& ids = UnitIds();
  size_t i = 0;
  double acc = 0;
  for (auto _ : state) acc += HashV2("exp-home-ranker", ids[i++ & (kNumIds - 1)]);
  benchmark::DoNotOptimize(acc);
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}
BENCHMARK(BM_ExperimentHash_V2);

void BM_ExperimentHash_V2PrecomputedSeed(benchmark::State& state) {
  const std::vector<std::string>& ids = UnitIds();
  const uint32_t seed_state = Fnv32a("exp-home-ranker");
  size_t i = 0;
  double acc = 0;
  for (auto _ : state) acc += HashV2FromSeedState(seed_state, ids[i++ & (kNumIds - 1)]);
  benchmark::DoNotOptimize(acc);
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}
BENCHMARK(BM_ExperimentHash_V2PrecomputedSeed);

void BM_ExperimentHash_V2NonAscii(benchmark::State& state) {
  // Ids with two CJK characters (3 UTF-8 bytes each) take the decoding path.
  std::vector<std::string> ids;
  for (size_t k = 0; k < 64; ++k) ids.push_back(absl::StrCat("\xE6\x97\xA5\xE6\x9C\xAC-", k));
  size_t i = 0;
  double acc = 0;
  for (auto _ : state) acc += HashV2("exp-home-ranker", ids[i++ & 63]);
  benchmark::DoNotOptimize(acc);
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}
BENCHMARK(BM_ExperimentHash_V2NonAscii);

}  // namespace
}  // namespace aisle::routing

BENCHMARK_MAIN();
