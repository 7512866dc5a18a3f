// Live inventory inside retrieval: ANN top-k with k = 300 (the personalized
// rail's quota) over a catalog with 30% of its items sold out at random,
//
//   Filtered     searched with the policy::LiveItemFilter the engine holds
//                per surface (in stock now, read from the live inventory);
//   PostFiltered searched unfiltered, sold-out items dropped afterwards (what
//                the engine did before: the quota shrinks by ~30%);
//   Bitset       searched with a plain ItemBitset of the same items, built
//                beforehand (the live filter's overhead against a fixed set);
//   CopyBitset   the per-request cost the live filter avoids: building that
//                ItemBitset from the inventory for every request;
//   Depth        unfiltered top-k' with k' = 300 / 0.7 = 429, the overall
//                depth the in-stock top-300 reaches: the graph's own recall
//                at the depth a filtered search has to cover.
//
// Counters, computed once per case over the held-out queries before timing:
//   returned  results per query;  in_stock  results that are in stock;
//   recall    recall@300 against exact search over the in-stock items
//             (Filtered, Bitset) or over all items (PostFiltered: the
//             unfiltered search's own recall);
//   recall_in_stock (PostFiltered) the kept items against exact search over
//             the in-stock items;
//   widenings, exact_frac, scanned: what the filtered search did.
//
//   build/benchmarks/retrieval/live_filter_benchmark --benchmark_repetitions=5
//     --benchmark_enable_random_interleaving=true --benchmark_min_time=0.2
//     --benchmark_report_aggregates_only=true
//
// Data, index parameters and the index cache ($AISLE_BENCH_CACHE, default
// /tmp/aisle-ann-bench) are those of ann_benchmark: 64-d clustered unit
// vectors (seed 7), cosine, M 16, ef_construction 200 (100 at 1M), so the two
// binaries share the built graphs.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "aisle/core/item_bitset.h"
#include "aisle/core/synthetic.h"
#include "aisle/policy/live_inventory.h"
#include "aisle/policy/live_item_filter.h"
#include "aisle/retrieval/ann_index.h"
#include "aisle/retrieval/exact_index.h"

namespace aisle::retrieval {
namespace {

constexpr size_t kDim = 64;
constexpr size_t kQuota = 300;
constexpr size_t kM = 16;
constexpr double kSoldOut = 0.3;

size_t EfConstructionFor(size_t n) { return n >= 1000000 ? 100 : 200; }
size_t QueriesFor(size_t n) { return n >= 1000000 ? 100 : 200; }

std::string CacheDir() {
  const char* d = std::getenv("AISLE_BENCH_CACHE");
  return d ? d : "/tmp/aisle-ann-bench";
}

struct Fixture {
  size_t n = 0, q = 0;
  ClusteredVectors data;  // (n + q) x kDim: the catalog, then the queries
  std::unique_ptr<AnnIndex> ann;
  std::unique_ptr<ExactIndex> exact;
  std::unique_ptr<policy::LiveInventory> inventory;
  std::unique_ptr<policy::LiveItemFilter> live;  // reserve 0, nothing blocked
  ItemBitset in_stock;                            // the same set, fixed
  std::vector<std::vector<ScoredItem>> truth_all, truth_in_stock, truth_depth;
  size_t depth = 0;  // kQuota / in-stock share
  const float* Query(size_t i) const { return &data.data[(n + i) * kDim]; }
};

Fixture& GetFixture(size_t n) {
  static std::map<size_t, std::unique_ptr<Fixture>> cache;
  auto& slot = cache[n];
  if (slot) return *slot;
  slot = std::make_unique<Fixture>();
  Fixture& f = *slot;
  f.n = n;
  f.q = QueriesFor(n);
  f.data = MakeClusteredVectors(
      {.count = n + f.q, .dim = kDim, .clusters = 256, .normalize = true, .seed = 7});
  MatrixView base(f.data.data.data(), n, kDim);
  const size_t efc = EfConstructionFor(n);
  const std::string path =
      absl::StrCat(CacheDir(), "/clustered_n", n, "_d", kDim, "_M", kM, "_efc", efc, "_s7.ann");
  auto loaded = AnnIndex::Load(path, {.expected_dim = kDim, .expected_count = n});
  if (loaded.ok()) {
    f.ann = std::move(*loaded);
  } else {
    std::fprintf(stderr, "building %zu x %zu (M=%zu, ef_construction=%zu), cached at %s\n", n, kDim,
                 kM, efc, path.c_str());
    auto built = AnnIndex::Build(
        base, {.metric = Metric::kCosine, .M = kM, .ef_construction = efc, .threads = 2});
    if (!built.ok()) std::abort();
    f.ann = std::move(*built);
    std::system(absl::StrCat("mkdir -p ", CacheDir()).c_str());
    if (!f.ann->Save(path).ok()) std::fprintf(stderr, "could not cache %s\n", path.c_str());
  }
  f.exact = std::make_unique<ExactIndex>(*ExactIndex::Build(base, Metric::kCosine));

  // 30% sold out at random; the rest hold 1-5 units.
  std::vector<int32_t> stock(n);
  std::mt19937_64 rng(11);
  std::bernoulli_distribution sold_out(kSoldOut);
  std::uniform_int_distribution<int32_t> units(1, 5);
  for (int32_t& s : stock) s = sold_out(rng) ? 0 : units(rng);
  f.inventory = policy::LiveInventory::FromStock(stock).value();
  f.live = policy::LiveItemFilter::Create(*f.inventory, /*reserve=*/0).value();
  f.in_stock = ItemBitset(n);
  for (ItemIndex i = 0; i < n; ++i) {
    if (f.inventory->InStock(i, 0)) f.in_stock.Set(i);
  }

  f.depth = static_cast<size_t>(double(kQuota) / f.in_stock.Selectivity());
  f.truth_all.resize(f.q);
  f.truth_in_stock.resize(f.q);
  f.truth_depth.resize(f.q);
  for (size_t i = 0; i < f.q; ++i) {
    (void)f.exact->Search({f.Query(i), kDim}, {.k = kQuota}, f.truth_all[i]);
    (void)f.exact->Search({f.Query(i), kDim}, {.k = kQuota, .filter = &f.in_stock},
                          f.truth_in_stock[i]);
    (void)f.exact->Search({f.Query(i), kDim}, {.k = f.depth}, f.truth_depth[i]);
  }
  return f;
}

double Recall(const std::vector<ItemIndex>& got, const std::vector<ScoredItem>& truth) {
  std::vector<ItemIndex> sorted = got;
  std::sort(sorted.begin(), sorted.end());
  size_t hit = 0;
  for (const ScoredItem& t : truth) hit += std::binary_search(sorted.begin(), sorted.end(), t.item);
  return truth.empty() ? 1.0 : double(hit) / double(truth.size());
}

// Filtered search (live filter or fixed bitset): quality counters, then time.
void RunFiltered(benchmark::State& state, const ItemFilter& filter, const char* label) {
  Fixture& f = GetFixture(state.range(0));
  const size_t ef = state.range(1);
  const VectorSearchParams params{.k = kQuota, .ef = ef, .filter = &filter};
  std::vector<ScoredItem> out;
  std::vector<ItemIndex> items;
  double recall = 0, returned = 0, in_stock = 0, exact = 0, widenings = 0, scanned = 0;
  for (size_t i = 0; i < f.q; ++i) {
    SearchStats st;
    (void)f.ann->Search({f.Query(i), kDim}, params, out, &st);
    items.clear();
    for (const ScoredItem& s : out) {
      items.push_back(s.item);
      in_stock += f.inventory->InStock(s.item, 0) ? 1 : 0;
    }
    returned += double(out.size());
    recall += Recall(items, f.truth_in_stock[i]);
    exact += st.strategy == SearchStrategy::kExact || st.fell_back_to_exact;
    widenings += st.widenings;
    scanned += double(st.candidates_scanned);
  }
  size_t i = 0;
  for (auto _ : state) {
    (void)f.ann->Search({f.Query(i), kDim}, params, out);
    benchmark::DoNotOptimize(out.data());
    if (++i == f.q) i = 0;
  }
  state.SetLabel(label);
  state.counters["recall"] = recall / f.q;
  state.counters["returned"] = returned / f.q;
  state.counters["in_stock"] = in_stock / f.q;
  state.counters["exact_frac"] = exact / f.q;
  state.counters["widenings"] = widenings / f.q;
  state.counters["scanned"] = scanned / f.q;
  state.counters["selectivity"] = filter.Selectivity();
}

void BM_LiveFilter_Filtered(benchmark::State& state) {
  Fixture& f = GetFixture(state.range(0));
  RunFiltered(state, *f.live, "live filter");
}

void BM_LiveFilter_Bitset(benchmark::State& state) {
  Fixture& f = GetFixture(state.range(0));
  RunFiltered(state, f.in_stock, "fixed bitset");
}

// Unfiltered top-300, then the sold-out items dropped (LiveInventory's own
// InStock test, as the engine's inventory filter does after retrieval).
void BM_LiveFilter_PostFiltered(benchmark::State& state) {
  Fixture& f = GetFixture(state.range(0));
  const size_t ef = state.range(1);
  const VectorSearchParams params{.k = kQuota, .ef = ef};
  std::vector<ScoredItem> out;
  std::vector<ItemIndex> all, kept;
  auto run = [&](size_t i) {
    (void)f.ann->Search({f.Query(i), kDim}, params, out);
    kept.clear();
    for (const ScoredItem& s : out) {
      if (f.inventory->InStock(s.item, 0)) kept.push_back(s.item);
    }
  };
  double recall = 0, recall_in_stock = 0, returned = 0, in_stock = 0;
  for (size_t i = 0; i < f.q; ++i) {
    run(i);
    all.clear();
    for (const ScoredItem& s : out) all.push_back(s.item);
    recall += Recall(all, f.truth_all[i]);
    recall_in_stock += Recall(kept, f.truth_in_stock[i]);
    returned += double(out.size());
    in_stock += double(kept.size());
  }
  size_t i = 0;
  for (auto _ : state) {
    run(i);
    benchmark::DoNotOptimize(kept.data());
    if (++i == f.q) i = 0;
  }
  state.SetLabel("unfiltered, then drop sold-out");
  state.counters["recall"] = recall / f.q;
  state.counters["recall_in_stock"] = recall_in_stock / f.q;
  state.counters["returned"] = returned / f.q;
  state.counters["in_stock"] = in_stock / f.q;
}

// Unfiltered top-429 (k / in-stock share), recall@429 against exact search.
void BM_LiveFilter_Depth(benchmark::State& state) {
  Fixture& f = GetFixture(state.range(0));
  const size_t ef = state.range(1);
  const VectorSearchParams params{.k = f.depth, .ef = ef};
  std::vector<ScoredItem> out;
  std::vector<ItemIndex> items;
  double recall = 0;
  for (size_t i = 0; i < f.q; ++i) {
    (void)f.ann->Search({f.Query(i), kDim}, params, out);
    items.clear();
    for (const ScoredItem& s : out) items.push_back(s.item);
    recall += Recall(items, f.truth_depth[i]);
  }
  size_t i = 0;
  for (auto _ : state) {
    (void)f.ann->Search({f.Query(i), kDim}, params, out);
    benchmark::DoNotOptimize(out.data());
    if (++i == f.q) i = 0;
  }
  state.SetLabel(absl::StrCat("unfiltered top-", f.depth));
  state.counters["recall"] = recall / f.q;
}

// What a request would pay to hand retrieval a fixed snapshot of live stock.
void BM_LiveFilter_CopyBitset(benchmark::State& state) {
  Fixture& f = GetFixture(state.range(0));
  ItemBitset copy;
  for (auto _ : state) {
    copy = ItemBitset(f.n);
    for (ItemIndex i = 0; i < f.n; ++i) {
      if (f.inventory->InStock(i, 0)) copy.Set(i);
    }
    benchmark::DoNotOptimize(copy.words().data());
  }
  state.counters["selectivity"] = copy.Selectivity();
}

void SearchArgs(benchmark::internal::Benchmark* b) {
  b->ArgNames({"n", "ef"});
  for (int64_t n : {100000, 1000000}) {
    for (int64_t ef : {64, 600}) b->Args({n, ef});
  }
}
BENCHMARK(BM_LiveFilter_Filtered)->Apply(SearchArgs)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_LiveFilter_PostFiltered)->Apply(SearchArgs)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_LiveFilter_Bitset)->Apply(SearchArgs)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_LiveFilter_Depth)->Apply(SearchArgs)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_LiveFilter_CopyBitset)
    ->ArgName("n")
    ->Arg(100000)
    ->Arg(1000000)
    ->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace aisle::retrieval

BENCHMARK_MAIN();
