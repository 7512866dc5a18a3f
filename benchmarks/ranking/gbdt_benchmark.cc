// GBDT batch scoring: aisle's compiled GbdtRanker, once per flat-tree kernel
// (BM_GbdtRanker_Portable / _Avx2 / _Avx512, and _Auto = what Create picks on
// this CPU; a kernel the CPU lacks reports an error row), vs XGBoost's own
// predictor (C API, nthread=1, same model, same rows, same binary) and vs
// aisle's reference node-by-node evaluator (a plain pointer-chasing walk).
//
// The model is trained once at start-up through XGBoost's C API on synthetic
// data: 50 features, max_depth 6, 1000 rounds; the 100/300-tree cases use the
// first trees (XGBoost: iteration_end; aisle: the same trees). 500 rows are
// scored per iteration, single thread. Counter "ns_per_row_tree" is
// time / (rows * trees).
//
//   build-<you>/benchmarks/ranking/gbdt_benchmark --benchmark_min_time=0.3
//   (add --benchmark_repetitions=3 --benchmark_report_aggregates_only=true
//    for medians; the ratios between kernels come from the same run)
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "aisle/ranking/gbdt_ranker.h"
#include "aisle/ranking/xgboost_model.h"
#include "benchmark/benchmark.h"

#if AISLE_HAVE_XGBOOST
#include <xgboost/c_api.h>
#endif

namespace aisle::ranking {
namespace {

constexpr int kFeatures = 50;
constexpr int kRows = 500;
constexpr int kTrainRows = 2000;
constexpr int kMaxTrees = 1000;

#define XGB_CHECK(call)                                           \
  do {                                                            \
    if ((call) != 0) {                                            \
      std::fprintf(stderr, "%s: %s\n", #call, XGBGetLastError()); \
      std::abort();                                               \
    }                                                             \
  } while (0)

std::vector<float> MakeRows(int rows, uint32_t seed, double nan_fraction) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> n(0.0f, 1.0f);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  std::vector<float> x(static_cast<size_t>(rows) * kFeatures);
  for (float& v : x) v = u(rng) < nan_fraction ? NAN : n(rng);
  return x;
}

struct Fixture {
  GbdtModel full;                                      // 1000 trees
  std::map<int, std::unique_ptr<GbdtRanker>> rankers;  // by tree count (kAuto)
  // By (tree count, kernel); absent when the CPU lacks the kernel.
  std::map<std::pair<int, GbdtKernel>, std::unique_ptr<GbdtRanker>> by_kernel;
  std::map<int, GbdtModel> models;  // by tree count
  std::vector<float> rows = MakeRows(kRows, 7, 0.0);
  std::vector<float> rows_nan = MakeRows(kRows, 8, 0.1);
#if AISLE_HAVE_XGBOOST
  BoosterHandle booster = nullptr;
#endif
};

Fixture& Get() {
  static Fixture* f = [] {
    auto* fx = new Fixture();
#if AISLE_HAVE_XGBOOST
    // Synthetic regression target over a few interacting features.
    std::vector<float> x = MakeRows(kTrainRows, 1, 0.02);
    std::vector<float> y(kTrainRows);
    for (int i = 0; i < kTrainRows; ++i) {
      const float* r = &x[static_cast<size_t>(i) * kFeatures];
      auto v = [&](int j) { return std::isnan(r[j]) ? 0.0f : r[j]; };
      y[i] = v(0) * v(1) + std::sin(3 * v(2)) + (v(3) > 0.5f ? 1.0f : 0.0f) * v(4) + 0.1f * v(7);
    }
    DMatrixHandle dtrain;
    XGB_CHECK(XGDMatrixCreateFromMat(x.data(), kTrainRows, kFeatures, NAN, &dtrain));
    XGB_CHECK(XGDMatrixSetFloatInfo(dtrain, "label", y.data(), kTrainRows));
    XGB_CHECK(XGBoosterCreate(&dtrain, 1, &fx->booster));
    const char* params[][2] = {
        {"objective", "reg:squarederror"}, {"max_depth", "6"}, {"eta", "0.05"},
        {"tree_method", "hist"},           {"nthread", "2"},   {"seed", "1"},
        {"min_child_weight", "0"}};
    for (auto& p : params) XGB_CHECK(XGBoosterSetParam(fx->booster, p[0], p[1]));
    for (int it = 0; it < kMaxTrees; ++it) {
      XGB_CHECK(XGBoosterUpdateOneIter(fx->booster, it, dtrain));
    }
    XGB_CHECK(XGBoosterSetParam(fx->booster, "nthread", "1"));
    XGB_CHECK(XGDMatrixFree(dtrain));
    bst_ulong len = 0;
    const char* buf = nullptr;
    XGB_CHECK(XGBoosterSaveModelToBuffer(fx->booster, R"({"format": "json"})", &len, &buf));
    auto m = ParseXgboostJson(std::string(buf, len), "benchmark model");
    if (!m.ok()) {
      std::fprintf(stderr, "%s\n", std::string(m.status().message()).c_str());
      std::abort();
    }
    fx->full = *std::move(m);
    for (int n : {100, 300, 1000}) {
      GbdtModel sub = fx->full;
      sub.trees.resize(n);
      auto r = GbdtRanker::BindIdentity(sub);
      if (!r.ok()) std::abort();
      fx->rankers[n] = *std::move(r);
      for (GbdtKernel k :
           {GbdtKernel::kPortable, GbdtKernel::kAvx2, GbdtKernel::kAvx512, GbdtKernel::kAuto}) {
        if (!GbdtKernelSupported(k)) continue;
        GbdtRankerOptions opts;
        opts.kernel = k;
        auto rk = GbdtRanker::BindIdentity(sub, opts);
        if (!rk.ok()) std::abort();
        fx->by_kernel[{n, k}] = *std::move(rk);
      }
      fx->models[n] = std::move(sub);
    }
#endif
    return fx;
  }();
  return *f;
}

void SetCounters(benchmark::State& state, int trees) {
  state.counters["ns_per_row_tree"] = benchmark::Counter(
      static_cast<double>(kRows) * trees * 1e-9,
      benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
  state.counters["rows_per_s"] =
      benchmark::Counter(static_cast<double>(kRows), benchmark::Counter::kIsIterationInvariantRate);
}

void RunKernel(benchmark::State& state, GbdtKernel kernel) {
  Fixture& f = Get();
  const int trees = static_cast<int>(state.range(0));
  if (!f.rankers.count(trees)) return state.SkipWithError("XGBoost unavailable: no model");
  auto it = f.by_kernel.find({trees, kernel});
  if (it == f.by_kernel.end()) return state.SkipWithError("kernel not supported by this CPU");
  const GbdtRanker& r = *it->second;
  state.SetLabel(std::string(r.kernel_name()));
  const std::vector<float>& x = state.range(1) ? f.rows_nan : f.rows;
  std::vector<float> scores(kRows);
  for (auto _ : state) {
    auto s = r.Score(MatrixView(x.data(), kRows, kFeatures), absl::MakeSpan(scores));
    benchmark::DoNotOptimize(s);
    benchmark::DoNotOptimize(scores.data());
  }
  // Bit-identical to the portable kernel (checked once, outside the timed loop).
  std::vector<float> portable(kRows);
  (void)f.by_kernel[{trees, GbdtKernel::kPortable}]->Score(MatrixView(x.data(), kRows, kFeatures),
                                                           absl::MakeSpan(portable));
  int mismatches = 0;
  for (int i = 0; i < kRows; ++i) mismatches += scores[i] != portable[i];
  state.counters["mismatches_vs_portable"] = mismatches;
  SetCounters(state, trees);
}

void BM_GbdtRanker_Portable(benchmark::State& state) { RunKernel(state, GbdtKernel::kPortable); }
void BM_GbdtRanker_Avx2(benchmark::State& state) { RunKernel(state, GbdtKernel::kAvx2); }
void BM_GbdtRanker_Avx512(benchmark::State& state) { RunKernel(state, GbdtKernel::kAvx512); }
void BM_GbdtRanker_Auto(benchmark::State& state) { RunKernel(state, GbdtKernel::kAuto); }

void BM_GbdtRanker_ReferenceWalk(benchmark::State& state) {
  Fixture& f = Get();
  const int trees = static_cast<int>(state.range(0));
  if (!f.models.count(trees)) return state.SkipWithError("XGBoost unavailable: no model");
  const GbdtModel& m = f.models[trees];
  const std::vector<float>& x = state.range(1) ? f.rows_nan : f.rows;
  std::vector<double> out(1);
  for (auto _ : state) {
    for (int r = 0; r < kRows; ++r) {
      m.PredictMargin(absl::MakeConstSpan(&x[static_cast<size_t>(r) * kFeatures], kFeatures),
                      absl::MakeSpan(out));
      benchmark::DoNotOptimize(out.data());
    }
  }
  SetCounters(state, trees);
}

#if AISLE_HAVE_XGBOOST
void BM_GbdtRanker_Xgboost(benchmark::State& state) {
  Fixture& f = Get();
  const int trees = static_cast<int>(state.range(0));
  const std::vector<float>& x = state.range(1) ? f.rows_nan : f.rows;
  char array[256];
  std::snprintf(array, sizeof(array),
                R"({"data": [%llu, true], "shape": [%d, %d], "typestr": "<f4", "version": 3})",
                static_cast<unsigned long long>(reinterpret_cast<uintptr_t>(x.data())), kRows,
                kFeatures);
  char config[256];
  std::snprintf(config, sizeof(config),
                R"({"type": 0, "training": false, "iteration_begin": 0, "iteration_end": %d,)"
                R"( "strict_shape": false, "missing": NaN, "cache_id": 0})",
                trees);
  const bst_ulong* shape = nullptr;
  bst_ulong dim = 0;
  const float* result = nullptr;
  for (auto _ : state) {
    XGB_CHECK(XGBoosterPredictFromDense(f.booster, array, config, nullptr, &shape, &dim, &result));
    benchmark::DoNotOptimize(result);
  }
  // Same numbers as aisle (checked once, outside the timed loop).
  std::vector<float> mine(kRows);
  (void)f.rankers[trees]->Score(MatrixView(x.data(), kRows, kFeatures), absl::MakeSpan(mine));
  double max_diff = 0;
  for (int i = 0; i < kRows; ++i)
    max_diff = std::max(max_diff, std::fabs(double(mine[i]) - result[i]));
  state.counters["max_abs_diff_vs_aisle"] = max_diff;
  SetCounters(state, trees);
}
BENCHMARK(BM_GbdtRanker_Xgboost)
    ->ArgsProduct({{100, 300, 1000}, {0, 1}})
    ->ArgNames({"trees", "nan"})
    ->Unit(benchmark::kMicrosecond);
#endif

#define AISLE_GBDT_KERNEL_BENCHMARK(fn)         \
  BENCHMARK(fn)                                 \
      ->ArgsProduct({{100, 300, 1000}, {0, 1}}) \
      ->ArgNames({"trees", "nan"})              \
      ->Unit(benchmark::kMicrosecond)
AISLE_GBDT_KERNEL_BENCHMARK(BM_GbdtRanker_Portable);
AISLE_GBDT_KERNEL_BENCHMARK(BM_GbdtRanker_Avx2);
AISLE_GBDT_KERNEL_BENCHMARK(BM_GbdtRanker_Avx512);
AISLE_GBDT_KERNEL_BENCHMARK(BM_GbdtRanker_Auto);
#undef AISLE_GBDT_KERNEL_BENCHMARK
BENCHMARK(BM_GbdtRanker_ReferenceWalk)
    ->ArgsProduct({{100}, {0}})
    ->ArgNames({"trees", "nan"})
    ->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace aisle::ranking

BENCHMARK_MAIN();
