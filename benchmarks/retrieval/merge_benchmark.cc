// Merge of three sources x 300 candidates into 500 (realistic overlap), the
// cost per request of CandidateMerger::Merge.
//
//   build/merge_benchmark --benchmark_repetitions=3
#include <benchmark/benchmark.h>

#include <cstdint>
#include <random>
#include <vector>

#include "aisle/core/synthetic.h"
#include "aisle/retrieval/merge.h"

namespace aisle::retrieval {
namespace {

void BM_Merge_3x300Into500(benchmark::State& state) {
  const size_t items = static_cast<size_t>(state.range(0));
  std::mt19937_64 rng(5);
  const ZipfSampler zipf(items, 0.8);  // overlapping lists: popular items recur
  std::vector<std::vector<Candidate>> lists(3);
  for (SourceId s = 0; s < 3; ++s) {
    for (int r = 0; r < 300; ++r) {
      lists[s].push_back(Candidate{.item = static_cast<ItemIndex>(zipf(rng)),
                                   .score = 1.0f - r / 300.0f,
                                   .sources = SourceBit(s)});
    }
  }
  const SourceCandidates in[] = {{.name = "ann", .candidates = lists[0], .quota = 300},
                                 {.name = "covis", .candidates = lists[1], .quota = 300},
                                 {.name = "popular", .candidates = lists[2], .quota = 300}};
  CandidateMerger merger(items);
  MergedCandidates out;
  for (auto _ : state) {
    benchmark::DoNotOptimize(merger.Merge(in, 500, out));
    benchmark::DoNotOptimize(out.candidates.data());
  }
  state.counters["merged"] = double(out.size());
  state.counters["time_per_input"] = benchmark::Counter(
      900.0 * state.iterations(), benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}
BENCHMARK(BM_Merge_3x300Into500)->Arg(100000)->Arg(5000000);

}  // namespace
}  // namespace aisle::retrieval

BENCHMARK_MAIN();
