// ANN distance kernels, one distance at a time as hnswlib calls them (through
// a function pointer): hnswlib 0.6.2's own kernels as aisle's baseline x86-64
// build compiles them (SSE), aisle's portable C++, AVX2+FMA and AVX-512F
// kernels, at 64 and 128 dimensions. Each iteration computes the distance of
// one query to 1024 stored vectors (256 KB at 64-d: L2-resident, like the
// neighbour lists of one graph search).
//
//   build/benchmarks/retrieval/ann_space_benchmark --benchmark_repetitions=3
//
// Args: dim, kernel (4 = hnswlib SSE, 1 = portable, 2 = avx2, 3 = avx512; the
// codes of internal::DistanceKernel). Counter ns_per_distance. A kernel the
// CPU lacks is skipped with an error.
#include <benchmark/benchmark.h>

#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "retrieval/ann_space.h"

namespace aisle::retrieval::internal {
namespace {

constexpr size_t kVectors = 1024;

void RunDistance(benchmark::State& state, Metric metric) {
  const size_t dim = static_cast<size_t>(state.range(0));
  const auto kernel = static_cast<DistanceKernel>(state.range(1));
  if (!DistanceKernelAvailable(kernel)) {
    state.SkipWithError(absl::StrCat(DistanceKernelName(kernel), " is not available").c_str());
    return;
  }
  DistanceFn fn;
  if (kernel == DistanceKernel::kHnswlib) {
    fn = HnswlibDistanceFn(metric, dim);
  } else {
    fn = metric == Metric::kL2 ? L2SqrDistanceFn(kernel) : InnerProductDistanceFn(kernel);
  }
  std::mt19937_64 rng(1);
  std::normal_distribution<float> g;
  std::vector<float> data(kVectors * dim), query(dim);
  for (float& v : data) v = g(rng);
  for (float& v : query) v = g(rng);
  for (auto _ : state) {
    float sum = 0;
    for (size_t i = 0; i < kVectors; ++i) sum += fn(query.data(), &data[i * dim], &dim);
    benchmark::DoNotOptimize(sum);
  }
  state.SetLabel(std::string(DistanceKernelName(kernel)));
  state.counters["ns_per_distance"] = benchmark::Counter(
      static_cast<double>(kVectors),
      benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
}

void BM_AnnDistance_InnerProduct(benchmark::State& state) {
  RunDistance(state, Metric::kInnerProduct);
}
void BM_AnnDistance_L2(benchmark::State& state) { RunDistance(state, Metric::kL2); }

void KernelArgs(benchmark::internal::Benchmark* b) {
  b->ArgNames({"dim", "kernel"});
  for (int64_t dim : {64, 128}) {
    for (DistanceKernel k : {DistanceKernel::kHnswlib, DistanceKernel::kPortable,
                             DistanceKernel::kAvx2, DistanceKernel::kAvx512}) {
      b->Args({dim, static_cast<int64_t>(k)});
    }
  }
}
BENCHMARK(BM_AnnDistance_InnerProduct)->Apply(KernelArgs);
BENCHMARK(BM_AnnDistance_L2)->Apply(KernelArgs);

}  // namespace
}  // namespace aisle::retrieval::internal

BENCHMARK_MAIN();
