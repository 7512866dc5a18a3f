// Popularity: single-thread update throughput, publish cost and top-N read
// latency through PopularitySource.
//
//   build/popularity_benchmark --benchmark_repetitions=3
#include <benchmark/benchmark.h>

#include <cstdint>
#include <memory>
#include <random>
#include <vector>

#include "aisle/core/item_bitset.h"
#include "aisle/core/synthetic.h"
#include "aisle/retrieval/popularity.h"

namespace aisle::retrieval {
namespace {

constexpr size_t kItems = 100000;
constexpr size_t kCategories = 200;
constexpr uint32_t kSegments = 8;

struct Stream {
  std::vector<Interaction> events;
  std::vector<uint32_t> segments;
};

const Stream& Events() {
  static const Stream* s = [] {
    auto* st = new Stream();
    std::mt19937_64 rng(1);
    const ZipfSampler zipf(kItems, 1.0);
    int64_t t = int64_t{1700000000} * 1000000;
    for (int k = 0; k < 1000000; ++k) {
      t += 50000;  // 20 events per second
      st->events.push_back(Interaction{.session = 0,
                                       .item = static_cast<ItemIndex>(zipf(rng)),
                                       .time_micros = t,
                                       .type = static_cast<InteractionType>(rng() % 4)});
      st->segments.push_back(static_cast<uint32_t>(rng() % (kSegments + 1)));
    }
    return st;
  }();
  return *s;
}

std::unique_ptr<PopularityIndex> MakeIndex(bool trending, size_t top_n = 500) {
  PopularityOptions o;
  o.num_items = kItems;
  o.num_categories = kCategories;
  o.item_categories.resize(kItems);
  // Scatter items over categories so each category has popular and rare items.
  for (size_t i = 0; i < kItems; ++i) o.item_categories[i] = (i * 7919) % kCategories;
  o.num_segments = kSegments;
  o.half_life = absl::Hours(6);
  o.top_n = top_n;
  o.trending = trending;
  return std::move(PopularityIndex::Create(std::move(o))).value();
}

void BM_Popularity_Apply(benchmark::State& state) {
  const Stream& s = Events();
  auto pop = MakeIndex(state.range(0) != 0);
  size_t k = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(pop->Apply(s.events[k], s.segments[k]));
    if (++k == s.events.size()) k = 0;
  }
  state.SetItemsProcessed(state.iterations());
  state.SetLabel(state.range(0) ? "with trending" : "no trending");
}
BENCHMARK(BM_Popularity_Apply)->Arg(0)->Arg(1);

void BM_Popularity_Publish(benchmark::State& state) {
  const Stream& s = Events();
  auto pop = MakeIndex(state.range(0) != 0);
  (void)pop->ApplyAll(absl::MakeConstSpan(s.events).subspan(0, 200000));
  size_t k = 200000;
  for (auto _ : state) {
    for (int e = 0; e < 1000; ++e, ++k) (void)pop->Apply(s.events[k % s.events.size()], 1);
    benchmark::DoNotOptimize(pop->Publish());
  }
  state.SetLabel(state.range(0) ? "with trending (O(items) scan)" : "no trending");
}
BENCHMARK(BM_Popularity_Publish)->Arg(0)->Arg(1)->Unit(benchmark::kMicrosecond);

void BM_Popularity_Retrieve(benchmark::State& state) {
  const Stream& s = Events();
  auto pop = MakeIndex(false);
  for (size_t k = 0; k < s.events.size(); ++k) (void)pop->Apply(s.events[k], s.segments[k]);
  pop->Publish();
  PopularitySource source("popular", *pop);
  const int scope =
      static_cast<int>(state.range(0));  // 0 global, 1 category, 2 segment, 3 filtered
  const size_t quota = static_cast<size_t>(state.range(1));
  ItemBitset half(kItems, false);
  for (ItemIndex i = 0; i < kItems; i += 2) half.Set(i);
  std::vector<Candidate> out;
  out.reserve(quota);
  CategoryIndex cat = 0;
  size_t returned = 0;
  for (auto _ : state) {
    RetrievalQuery q;
    const CategoryIndex cats[] = {cat};
    if (scope == 1) q.categories = cats;
    if (scope == 2) q.segment = 3;
    if (scope == 3) q.filter = &half;
    out.clear();
    benchmark::DoNotOptimize(source.Retrieve(q, quota, 0, out));
    returned += out.size();
    cat = (cat + 1) % kCategories;
  }
  state.counters["candidates"] = double(returned) / double(state.iterations());
  static const char* kNames[] = {"global", "category", "segment", "global, 50% filter"};
  state.SetLabel(kNames[scope]);
}
BENCHMARK(BM_Popularity_Retrieve)
    ->Args({0, 100})
    ->Args({0, 300})
    ->Args({1, 100})
    ->Args({2, 100})
    ->Args({3, 100});

}  // namespace
}  // namespace aisle::retrieval

BENCHMARK_MAIN();
