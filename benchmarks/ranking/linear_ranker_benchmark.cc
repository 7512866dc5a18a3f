// Linear scoring of a 500 x 50 feature matrix (100 KB) per request, and the
// machine's memory bandwidth measured in the same binary as the reference:
//
// BM_LinearRanker_ScoreHot       the same matrix every time (in L2: compute bound)
// BM_LinearRanker_ScoreCold      a different matrix each time from a 256 MiB pool
//                                (out of cache: memory bound)
// BM_LinearRanker_ScalarHot      peer: a plain double loop, same matrix (Eigen's gain)
// BM_MemoryBandwidth_SumCold     sum of the same cold matrices' floats: the read
//                                bandwidth bound that ScoreCold can approach
// BM_MemoryBandwidth_MemcpyCold  memcpy of each cold matrix into a hot buffer
//
// bytes_per_second is the matrix bytes read; time_per_row is per candidate.
// The ratio ScoreCold / SumCold says how close scoring gets to the bound.
#include <cmath>
#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "aisle/ranking/linear_ranker.h"
#include "benchmark/benchmark.h"

namespace aisle::ranking {
namespace {

constexpr size_t kRows = 500, kCols = 50;
constexpr size_t kMatrixFloats = kRows * kCols;
constexpr size_t kPoolBytes = size_t{256} << 20;
constexpr size_t kPoolMatrices = kPoolBytes / (kMatrixFloats * sizeof(float));

struct Setup {
  std::vector<float> pool;  // kPoolMatrices matrices back to back
  std::unique_ptr<LinearRanker> ranker;
};

const Setup& GetSetup() {
  static const Setup* setup = [] {
    auto* s = new Setup();
    std::mt19937 rng(3);
    std::uniform_real_distribution<float> u(-1, 1);
    s->pool.resize(kPoolMatrices * kMatrixFloats);
    for (float& v : s->pool) v = u(rng);
    LinearModel m;
    m.name = "bench";
    m.link = LinearLink::kLogistic;
    m.bias = 0.1f;
    std::vector<std::string> layout;
    for (size_t c = 0; c < kCols; ++c) {
      layout.push_back(absl::StrCat("f", c));
      m.terms.push_back({layout.back(), u(rng), 0.0f});
    }
    s->ranker = *LinearRanker::Create(m, layout);
    return s;
  }();
  return *setup;
}

void SetCounters(benchmark::State& state) {
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * kMatrixFloats * sizeof(float)));
  state.counters["time_per_row"] =
      benchmark::Counter(static_cast<double>(kRows), benchmark::Counter::kIsIterationInvariantRate |
                                                         benchmark::Counter::kInvert);
}

void BM_LinearRanker_ScoreHot(benchmark::State& state) {
  const Setup& s = GetSetup();
  std::vector<float> scores(kRows);
  const MatrixView m(s.pool.data(), kRows, kCols);
  for (auto _ : state) {
    (void)s.ranker->Score(m, absl::MakeSpan(scores));
    benchmark::DoNotOptimize(scores.data());
  }
  SetCounters(state);
}
BENCHMARK(BM_LinearRanker_ScoreHot);

void BM_LinearRanker_ScoreCold(benchmark::State& state) {
  const Setup& s = GetSetup();
  std::vector<float> scores(kRows);
  size_t i = 0;
  for (auto _ : state) {
    const MatrixView m(s.pool.data() + (i++ % kPoolMatrices) * kMatrixFloats, kRows, kCols);
    (void)s.ranker->Score(m, absl::MakeSpan(scores));
    benchmark::DoNotOptimize(scores.data());
  }
  SetCounters(state);
}
BENCHMARK(BM_LinearRanker_ScoreCold);

void BM_LinearRanker_ScalarHot(benchmark::State& state) {
  const Setup& s = GetSetup();
  const absl::Span<const float> w = s.ranker->weights();
  std::vector<float> scores(kRows);
  const float* x = s.pool.data();
  for (auto _ : state) {
    for (size_t r = 0; r < kRows; ++r) {
      float acc = s.ranker->bias();
      for (size_t c = 0; c < kCols; ++c) acc += w[c] * x[r * kCols + c];
      scores[r] = 1.0f / (1.0f + std::exp(-acc));
    }
    benchmark::DoNotOptimize(scores.data());
  }
  SetCounters(state);
}
BENCHMARK(BM_LinearRanker_ScalarHot);

void BM_MemoryBandwidth_SumCold(benchmark::State& state) {
  const Setup& s = GetSetup();
  size_t i = 0;
  for (auto _ : state) {
    const float* m = s.pool.data() + (i++ % kPoolMatrices) * kMatrixFloats;
    // Eight independent accumulators so the adds vectorize and pipeline.
    float acc[8] = {};
    for (size_t k = 0; k < kMatrixFloats; k += 8) {
      for (size_t j = 0; j < 8; ++j) acc[j] += m[k + j];
    }
    float total = 0;
    for (float a : acc) total += a;
    benchmark::DoNotOptimize(total);
  }
  SetCounters(state);
}
BENCHMARK(BM_MemoryBandwidth_SumCold);

void BM_MemoryBandwidth_MemcpyCold(benchmark::State& state) {
  const Setup& s = GetSetup();
  std::vector<float> dst(kMatrixFloats);
  size_t i = 0;
  for (auto _ : state) {
    const float* m = s.pool.data() + (i++ % kPoolMatrices) * kMatrixFloats;
    std::memcpy(dst.data(), m, kMatrixFloats * sizeof(float));
    benchmark::DoNotOptimize(dst.data());
    benchmark::ClobberMemory();
  }
  SetCounters(state);
}
BENCHMARK(BM_MemoryBandwidth_MemcpyCold);

}  // namespace
}  // namespace aisle::ranking

BENCHMARK_MAIN();
