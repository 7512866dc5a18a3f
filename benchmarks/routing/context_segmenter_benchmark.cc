// ContextSegmenter: cost of one decision for a storefront-like context of
// five pairs (geo, device, referrer, campaign, hour), by what decides it.
//
//   build/benchmarks/routing/context_segmenter_benchmark --benchmark_repetitions=5
#include <benchmark/benchmark.h>

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "aisle/routing/context_segmenter.h"

namespace aisle::routing {
namespace {

using Ctx = std::vector<std::pair<std::string, std::string>>;

std::vector<Ctx> Contexts() {
  std::vector<Ctx> out;
  const char* devices[] = {"mobile", "desktop", "tablet"};
  for (int i = 0; i < 1024; ++i) {
    out.push_back({{"referrer", absl::StrCat("https://search.example/q", i % 97)},
                   {"device", devices[i % 3]},
                   {"geo", absl::StrCat("region-", i % 211)},
                   {"campaign", absl::StrCat("c", i % 13)},
                   {"hour", absl::StrCat(i % 24)}});
  }
  return out;
}

ContextSegmenter Make(size_t rules, bool hour) {
  ContextSegmenterConfig c;
  c.num_segments = 64;
  if (hour) {
    c.keys = {"geo", "device", "hour"};
    c.hour_buckets = DayParts();
  }
  // Rules on campaigns no context has: every decision checks them all.
  for (size_t r = 0; r < rules; ++r) {
    c.rules.push_back(
        {.match = {{"campaign", absl::StrCat("never-", r)}, {"device", "mobile"}}, .segment = 1});
  }
  return *ContextSegmenter::Create(c);
}

void Run(benchmark::State& state, const ContextSegmenter& s) {
  const std::vector<Ctx> contexts = Contexts();
  size_t k = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(s.Decide(contexts[k++ & 1023]));
  }
  state.SetItemsProcessed(state.iterations());
}

// Default config: hash of geo and device.
void BM_ContextSegmenter_Hash(benchmark::State& state) { Run(state, ContextSegmenter()); }
BENCHMARK(BM_ContextSegmenter_Hash);

// Geo, device and the hour's day part.
void BM_ContextSegmenter_HashWithHourBuckets(benchmark::State& state) { Run(state, Make(0, true)); }
BENCHMARK(BM_ContextSegmenter_HashWithHourBuckets);

// N rules checked (none matches), then the hash.
void BM_ContextSegmenter_RulesThenHash(benchmark::State& state) {
  Run(state, Make(static_cast<size_t>(state.range(0)), false));
}
BENCHMARK(BM_ContextSegmenter_RulesThenHash)->Arg(10)->Arg(100);

// The first rule matches (geo, device).
void BM_ContextSegmenter_FirstRuleMatches(benchmark::State& state) {
  ContextSegmenterConfig c;
  c.rules = {{.match = {{"device", "mobile"}}, .segment = 2}};
  const ContextSegmenter s = *ContextSegmenter::Create(c);
  const Ctx ctx = Contexts()[0];
  for (auto _ : state) benchmark::DoNotOptimize(s.Decide(ctx));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ContextSegmenter_FirstRuleMatches);

}  // namespace
}  // namespace aisle::routing

BENCHMARK_MAIN();
