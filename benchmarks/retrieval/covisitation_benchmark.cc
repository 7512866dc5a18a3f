// Co-visitation build throughput (batch AddLog + Publish) on YooChoose
// train_full and on synthetic Zipf sessions, incremental Apply throughput,
// and CoVisitationSource request latency.
//
//   build/covisitation_benchmark --benchmark_repetitions=3
#include <benchmark/benchmark.h>

#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "aisle/core/synthetic.h"
#include "aisle/retrieval/covisitation.h"
#include "aisle/retrieval/interaction.h"

namespace aisle::retrieval {
namespace {

constexpr size_t kSyntheticItems = 100000;

// Sessions of 1 + Geometric(1/5) events (mean 5); 70% of a session's events
// come from its "theme" (a block of 200 items, Zipf within it), the rest from
// a global Zipf(1.0) over all items; 30 s between events. Sessions are
// contiguous, as in an exported log.
const std::vector<Interaction>& SyntheticLog(size_t events) {
  static std::vector<Interaction>* cache[2] = {nullptr, nullptr};
  const int slot = events > 2000000 ? 1 : 0;
  if (cache[slot] != nullptr && cache[slot]->size() == events) return *cache[slot];
  auto* log = new std::vector<Interaction>();
  log->reserve(events);
  std::mt19937_64 rng(42);
  const ZipfSampler global(kSyntheticItems, 1.0);
  const ZipfSampler local(200, 1.0);
  std::geometric_distribution<int> extra(0.2);
  std::uniform_real_distribution<double> u(0, 1);
  uint64_t session = 0;
  int64_t t = int64_t{1700000000} * 1000000;
  while (log->size() < events) {
    ++session;
    const size_t theme = (rng() % (kSyntheticItems / 200)) * 200;
    const int len = 1 + extra(rng);
    for (int k = 0; k < len && log->size() < events; ++k) {
      t += 30 * 1000000;
      const ItemIndex item =
          static_cast<ItemIndex>(u(rng) < 0.7 ? theme + local(rng) : global(rng));
      const auto type = static_cast<InteractionType>(u(rng) < 0.9 ? 0 : 1 + rng() % 3);
      log->push_back(Interaction{.session = session, .item = item, .time_micros = t, .type = type});
    }
  }
  cache[slot] = log;
  return *log;
}

CoVisitationOptions DefaultOptions(size_t items) {
  CoVisitationOptions o;
  o.num_items = items;
  o.max_distance = 5;
  o.window = absl::Hours(1);
  o.top_n = 50;
  return o;
}

void RunBuild(benchmark::State& state, const std::vector<Interaction>& log, size_t items) {
  size_t entries = 0;
  for (auto _ : state) {
    auto index = CoVisitationIndex::Create(DefaultOptions(items));
    if (!index.ok() || !(*index)->AddLog(log).ok()) {
      state.SkipWithError("build failed");
      return;
    }
    (*index)->Publish();
    entries = (*index)->Snapshot()->num_entries();
    benchmark::DoNotOptimize(entries);
  }
  state.counters["interactions_per_s"] =
      benchmark::Counter(double(log.size()) * state.iterations(), benchmark::Counter::kIsRate);
  state.counters["table_entries"] = double(entries);
}

void BM_CoVisitation_BuildYoochoose(benchmark::State& state) {
  static ItemIdMap ids;
  static absl::StatusOr<std::vector<Interaction>> log = ReadYoochooseTsv(
      std::string(AISLE_SHARED_DATA_DIR) + "/yoochoose/yoochoose-clicks-100k_train_full.txt", ids);
  if (!log.ok()) {
    state.SkipWithError("yoochoose train_full absent: skipped");
    return;
  }
  RunBuild(state, *log, ids.size());
}
BENCHMARK(BM_CoVisitation_BuildYoochoose)->Unit(benchmark::kMillisecond);

void BM_CoVisitation_BuildSynthetic(benchmark::State& state) {
  RunBuild(state, SyntheticLog(static_cast<size_t>(state.range(0))), kSyntheticItems);
}
BENCHMARK(BM_CoVisitation_BuildSynthetic)
    ->Arg(1000000)
    ->Arg(10000000)
    ->Iterations(1)
    ->Unit(benchmark::kMillisecond);

void BM_CoVisitation_ApplyIncremental(benchmark::State& state) {
  const auto& log = SyntheticLog(1000000);
  auto index = CoVisitationIndex::Create(DefaultOptions(kSyntheticItems));
  size_t k = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize((*index)->Apply(log[k]));
    if (++k == log.size()) k = 0;
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_CoVisitation_ApplyIncremental);

void BM_CoVisitation_Publish(benchmark::State& state) {
  const auto& log = SyntheticLog(1000000);
  auto index = CoVisitationIndex::Create(DefaultOptions(kSyntheticItems));
  (void)(*index)->AddLog(log);
  (*index)->Publish();
  size_t k = 0;
  for (auto _ : state) {
    // A burst of live events dirties some rows; Publish rebuilds those and
    // copies the rest.
    for (int e = 0; e < state.range(0); ++e) {
      (void)(*index)->Apply(log[k]);
      if (++k == log.size()) k = 0;
    }
    benchmark::DoNotOptimize((*index)->Publish());
  }
}
BENCHMARK(BM_CoVisitation_Publish)->Arg(100)->Arg(10000)->Unit(benchmark::kMillisecond);

void BM_CoVisitation_Retrieve(benchmark::State& state) {
  const auto& log = SyntheticLog(1000000);
  auto index = CoVisitationIndex::Create(DefaultOptions(kSyntheticItems));
  (void)(*index)->AddLog(log);
  (*index)->Publish();
  CoVisitationSource source("covis", **index);
  const size_t num_seeds = static_cast<size_t>(state.range(0));
  std::mt19937_64 rng(7);
  const ZipfSampler zipf(kSyntheticItems, 1.0);
  std::vector<ItemIndex> seeds(num_seeds * 256);
  for (ItemIndex& s : seeds) s = static_cast<ItemIndex>(zipf(rng));
  std::vector<Candidate> out;
  out.reserve(300);
  size_t q = 0, returned = 0;
  for (auto _ : state) {
    RetrievalQuery query;
    query.seeds = absl::MakeConstSpan(seeds.data() + (q % 256) * num_seeds, num_seeds);
    out.clear();
    benchmark::DoNotOptimize(source.Retrieve(query, 300, 0, out));
    returned += out.size();
    ++q;
  }
  state.counters["candidates"] = double(returned) / double(state.iterations());
  state.counters["qps"] =
      benchmark::Counter(double(state.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_CoVisitation_Retrieve)->Arg(1)->Arg(5)->Arg(20);

}  // namespace
}  // namespace aisle::retrieval

BENCHMARK_MAIN();
