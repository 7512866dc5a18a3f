// ANN retrieval benchmarks: recall@10 and single-thread QPS of AnnIndex
// against exact search, aisle against raw hnswlib searchKnn on the very same
// graph, and filtered search (aisle's cost-model choice against the naive
// "hnswlib over-fetch, then filter" peer).
//
// Built indexes are cached under $AISLE_BENCH_CACHE (default
// /tmp/aisle-ann-bench), keyed by their parameters, because building 1M x 64
// takes minutes on 2 cores.
//
//   build/ann_benchmark --benchmark_filter='BM_Ann_(Search|RawHnswlib)/100000'
//
// Distance kernels before/after: BM_Ann_SearchByKernel loads the same cached
// graph once per kernel (the space is not stored in the file) and searches it
// with hnswlib's own SSE kernels (kernel:4, aisle before run-time dispatch),
// aisle's portable (1), AVX2+FMA (2) and AVX-512F (3) kernels:
//
//   build/ann_benchmark --benchmark_filter='BM_Ann_SearchByKernel/n:100000'
//
// The other benchmarks use the kernel AnnIndex picks on this CPU; set
// AISLE_ANN_KERNEL=hnswlib|portable|avx2|avx512 to force one for a whole run
// (BM_Ann_RawHnswlib searches the same index, so it always uses the same
// kernel as BM_Ann_Search: like with like).
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "aisle/core/item_bitset.h"
#include "aisle/core/synthetic.h"
#include "aisle/retrieval/ann_index.h"
#include "aisle/retrieval/exact_index.h"
#include "retrieval/ann_raw.h"
#include "retrieval/ann_space.h"

namespace aisle::retrieval {
namespace {

constexpr size_t kDim = 64;
constexpr size_t kK = 10;
constexpr size_t kM = 16;

size_t EfConstructionFor(size_t n) { return n >= 1000000 ? 100 : 200; }
size_t QueriesFor(size_t n) { return n >= 1000000 ? 100 : 200; }

std::string CacheDir() {
  const char* d = std::getenv("AISLE_BENCH_CACHE");
  return d ? d : "/tmp/aisle-ann-bench";
}

// N indexed vectors + Q held-out queries from the same clusters, unit length.
struct Fixture {
  size_t n = 0, q = 0;
  ClusteredVectors data;  // (n + q) x kDim
  std::unique_ptr<AnnIndex> ann;
  std::unique_ptr<ExactIndex> exact;
  std::string path;                                    // the cached index file
  std::map<int, std::unique_ptr<AnnIndex>> by_kernel;  // the same graph, per kernel
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
  f.path = path;
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
  return f;
}

double Recall(const std::vector<ItemIndex>& got, const std::vector<ScoredItem>& truth) {
  size_t hit = 0;
  for (const ScoredItem& t : truth) hit += std::count(got.begin(), got.end(), t.item);
  return truth.empty() ? 1.0 : double(hit) / double(truth.size());
}

// Ground truth per (n, filter name), computed once.
const std::vector<std::vector<ScoredItem>>& Truth(Fixture& f, const std::string& key,
                                                  const ItemBitset* filter) {
  static std::map<std::string, std::vector<std::vector<ScoredItem>>> cache;
  auto& t = cache[absl::StrCat(f.n, "/", key)];
  if (!t.empty()) return t;
  t.resize(f.q);
  for (size_t i = 0; i < f.q; ++i) {
    (void)f.exact->Search({f.Query(i), kDim}, {.k = kK, .filter = filter}, t[i]);
  }
  return t;
}

// ---- Unfiltered: aisle vs raw hnswlib on the same graph ------------------

void BM_Ann_Search(benchmark::State& state) {
  Fixture& f = GetFixture(state.range(0));
  const size_t ef = state.range(1);
  const auto& truth = Truth(f, "all", nullptr);
  std::vector<ScoredItem> out;
  std::vector<ItemIndex> items;
  double recall = 0;
  for (size_t i = 0; i < f.q; ++i) {
    (void)f.ann->Search({f.Query(i), kDim}, {.k = kK, .ef = ef}, out);
    items.clear();
    for (const ScoredItem& s : out) items.push_back(s.item);
    recall += Recall(items, truth[i]);
  }
  size_t i = 0;
  for (auto _ : state) {
    (void)f.ann->Search({f.Query(i), kDim}, {.k = kK, .ef = ef}, out);
    benchmark::DoNotOptimize(out.data());
    if (++i == f.q) i = 0;
  }
  state.counters["recall"] = recall / f.q;
  state.counters["qps"] = benchmark::Counter(state.iterations(), benchmark::Counter::kIsRate);
}

void BM_Ann_RawHnswlib(benchmark::State& state) {
  Fixture& f = GetFixture(state.range(0));
  const size_t ef = state.range(1);
  const auto& truth = Truth(f, "all", nullptr);
  internal::AnnIndexRawAccess::SetEf(*f.ann, ef);
  std::vector<ItemIndex> items(kK);
  double recall = 0;
  for (size_t i = 0; i < f.q; ++i) {
    items.resize(internal::AnnIndexRawAccess::SearchKnn(*f.ann, f.Query(i), kK, items.data()));
    recall += Recall(items, truth[i]);
    items.resize(kK);
  }
  size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(
        internal::AnnIndexRawAccess::SearchKnn(*f.ann, f.Query(i), kK, items.data()));
    if (++i == f.q) i = 0;
  }
  state.counters["recall"] = recall / f.q;
  state.counters["qps"] = benchmark::Counter(state.iterations(), benchmark::Counter::kIsRate);
}

// The same graph searched with each distance kernel (range(2), the codes of
// internal::DistanceKernel): before (4 = hnswlib's SSE) vs after.
void BM_Ann_SearchByKernel(benchmark::State& state) {
  Fixture& f = GetFixture(state.range(0));
  const size_t ef = state.range(1);
  const auto kernel = static_cast<internal::DistanceKernel>(state.range(2));
  if (!internal::DistanceKernelAvailable(kernel)) {
    state.SkipWithError(
        absl::StrCat(internal::DistanceKernelName(kernel), " is not available").c_str());
    return;
  }
  auto& ann = f.by_kernel[state.range(2)];
  if (ann == nullptr) {
    const internal::DistanceKernel before = internal::DistanceKernelOverride();
    internal::SetDistanceKernelOverride(kernel);
    auto loaded = AnnIndex::Load(f.path, {.expected_dim = kDim, .expected_count = f.n});
    internal::SetDistanceKernelOverride(before);
    if (!loaded.ok()) {
      state.SkipWithError(std::string(loaded.status().message()).c_str());
      return;
    }
    ann = std::move(*loaded);
  }
  const auto& truth = Truth(f, "all", nullptr);
  std::vector<ScoredItem> out;
  std::vector<ItemIndex> items;
  double recall = 0;
  for (size_t i = 0; i < f.q; ++i) {
    (void)ann->Search({f.Query(i), kDim}, {.k = kK, .ef = ef}, out);
    items.clear();
    for (const ScoredItem& s : out) items.push_back(s.item);
    recall += Recall(items, truth[i]);
  }
  size_t i = 0;
  for (auto _ : state) {
    (void)ann->Search({f.Query(i), kDim}, {.k = kK, .ef = ef}, out);
    benchmark::DoNotOptimize(out.data());
    if (++i == f.q) i = 0;
  }
  state.SetLabel(std::string(internal::DistanceKernelName(kernel)));
  state.counters["recall"] = recall / f.q;
  state.counters["qps"] = benchmark::Counter(state.iterations(), benchmark::Counter::kIsRate);
}
void KernelArgs(benchmark::internal::Benchmark* b) {
  b->ArgNames({"n", "ef", "kernel"});
  for (int64_t n : {100000, 1000000}) {
    for (int64_t ef : {64, 128}) {
      for (internal::DistanceKernel k :
           {internal::DistanceKernel::kHnswlib, internal::DistanceKernel::kPortable,
            internal::DistanceKernel::kAvx2, internal::DistanceKernel::kAvx512}) {
        b->Args({n, ef, static_cast<int64_t>(k)});
      }
    }
  }
}
BENCHMARK(BM_Ann_SearchByKernel)->Apply(KernelArgs)->Unit(benchmark::kMicrosecond);

void BM_Exact_Search(benchmark::State& state) {
  Fixture& f = GetFixture(state.range(0));
  std::vector<ScoredItem> out;
  size_t i = 0;
  for (auto _ : state) {
    (void)f.exact->Search({f.Query(i), kDim}, {.k = kK}, out);
    benchmark::DoNotOptimize(out.data());
    if (++i == f.q) i = 0;
  }
  state.counters["qps"] = benchmark::Counter(state.iterations(), benchmark::Counter::kIsRate);
}

void UnfilteredArgs(benchmark::internal::Benchmark* b) {
  for (int64_t n : {100000, 1000000}) {
    for (int64_t ef : {32, 64, 128, 256}) b->Args({n, ef});
  }
}
BENCHMARK(BM_Ann_Search)->Apply(UnfilteredArgs)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_Ann_RawHnswlib)->Apply(UnfilteredArgs)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_Exact_Search)->Arg(100000)->Arg(1000000)->Unit(benchmark::kMicrosecond);

// ---- Filtered ------------------------------------------------------------

// range(1): selectivity in per mille for a random allowed set; 0 means the
// clustered set "clusters 0..25" (about 10%, like one category subtree),
// -1 means one cluster (about 0.4%, like one leaf category).
struct FilterCase {
  std::string name;
  ItemBitset bits;
};
FilterCase MakeFilter(const Fixture& f, int64_t code) {
  FilterCase c;
  c.bits = ItemBitset(f.n);
  if (code > 0) {
    c.name = absl::StrCat("random", code);
    std::mt19937_64 rng(code);
    std::bernoulli_distribution keep(double(code) / 1000.0);
    for (ItemIndex i = 0; i < f.n; ++i) {
      if (keep(rng)) c.bits.Set(i);
    }
  } else {
    c.name = code == 0 ? "clusters0-25" : "cluster3";
    for (ItemIndex i = 0; i < f.n; ++i) {
      const uint32_t cl = f.data.cluster[i];
      if (code == 0 ? cl < 26 : cl == 3) c.bits.Set(i);
    }
  }
  return c;
}

void BM_AnnFiltered_Search(benchmark::State& state) {
  Fixture& f = GetFixture(state.range(0));
  const FilterCase filter = MakeFilter(f, state.range(1));
  const size_t ef = state.range(2);
  const auto& truth = Truth(f, filter.name, &filter.bits);
  std::vector<ScoredItem> out;
  std::vector<ItemIndex> items;
  double recall = 0, exact = 0, widenings = 0, scanned = 0;
  for (size_t i = 0; i < f.q; ++i) {
    SearchStats st;
    (void)f.ann->Search({f.Query(i), kDim}, {.k = kK, .ef = ef, .filter = &filter.bits}, out, &st);
    items.clear();
    for (const ScoredItem& s : out) items.push_back(s.item);
    recall += Recall(items, truth[i]);
    exact += st.strategy == SearchStrategy::kExact || st.fell_back_to_exact;
    widenings += st.widenings;
    scanned += st.candidates_scanned;
  }
  size_t i = 0;
  for (auto _ : state) {
    (void)f.ann->Search({f.Query(i), kDim}, {.k = kK, .ef = ef, .filter = &filter.bits}, out);
    benchmark::DoNotOptimize(out.data());
    if (++i == f.q) i = 0;
  }
  state.SetLabel(filter.name);
  state.counters["selectivity"] = filter.bits.Selectivity();
  state.counters["recall"] = recall / f.q;
  state.counters["exact_frac"] = exact / f.q;
  state.counters["widenings"] = widenings / f.q;
  state.counters["scanned"] = scanned / f.q;
  state.counters["qps"] = benchmark::Counter(state.iterations(), benchmark::Counter::kIsRate);
}

// The peer: hnswlib searchKnn for k' = k / selectivity (ef = max(ef, k')),
// then drop what the filter rejects.
void BM_AnnFiltered_NaiveHnswlib(benchmark::State& state) {
  Fixture& f = GetFixture(state.range(0));
  const FilterCase filter = MakeFilter(f, state.range(1));
  const size_t ef = state.range(2);
  const auto& truth = Truth(f, filter.name, &filter.bits);
  const size_t fetch = std::min<size_t>(
      f.n, static_cast<size_t>(double(kK) / std::max(filter.bits.Selectivity(), 1e-6)));
  internal::AnnIndexRawAccess::SetEf(*f.ann, ef);
  std::vector<ItemIndex> raw(fetch), items;
  auto run = [&](size_t i) {
    raw.resize(internal::AnnIndexRawAccess::SearchKnn(*f.ann, f.Query(i), fetch, raw.data()));
    items.clear();
    for (ItemIndex x : raw) {
      if (filter.bits.Test(x)) items.push_back(x);
      if (items.size() == kK) break;
    }
    raw.resize(fetch);
  };
  double recall = 0;
  for (size_t i = 0; i < f.q; ++i) {
    run(i);
    recall += Recall(items, truth[i]);
  }
  size_t i = 0;
  for (auto _ : state) {
    run(i);
    benchmark::DoNotOptimize(items.data());
    if (++i == f.q) i = 0;
  }
  state.SetLabel(filter.name);
  state.counters["selectivity"] = filter.bits.Selectivity();
  state.counters["recall"] = recall / f.q;
  state.counters["fetch"] = double(fetch);
  state.counters["qps"] = benchmark::Counter(state.iterations(), benchmark::Counter::kIsRate);
}

void FilteredArgs(benchmark::internal::Benchmark* b) {
  for (int64_t n : {100000, 1000000}) {
    for (int64_t code : {500, 100, 10, 0, -1}) b->Args({n, code, 128});
  }
}
BENCHMARK(BM_AnnFiltered_Search)->Apply(FilteredArgs)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_AnnFiltered_NaiveHnswlib)->Apply(FilteredArgs)->Unit(benchmark::kMicrosecond);

// ---- Real SIFT vectors ----------------------------------------------------

struct Sift {
  bool ok = false;
  size_t n = 0;
  std::vector<float> base, queries;  // 128 columns
  std::vector<ItemIndex> self;       // query i is base[self[i]] (kInvalidItem for real queries)
  std::unique_ptr<AnnIndex> ann;
  std::unique_ptr<ExactIndex> exact;
};

bool ReadTsv(const std::string& path, size_t cols, std::vector<float>& out) {
  std::ifstream in(path);
  if (!in) return false;
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream ls(line);
    for (size_t c = 0; c < cols; ++c) {
      float x;
      if (!(ls >> x)) return false;
      out.push_back(x);
    }
  }
  return true;
}

Sift& GetSift() {
  static Sift s;
  static bool tried = false;
  if (tried) return s;
  tried = true;
  const std::string dir = AISLE_SHARED_DATA_DIR "/sift5k/";
  std::vector<float> q3;
  if (!ReadTsv(dir + "sift-dataset-5k.tsv", 128, s.base) ||
      !ReadTsv(dir + "sift-query-3.tsv", 128, q3)) {
    return s;
  }
  // Each base line has a 129th column (an id): ReadTsv skipped it with the
  // rest of the line.
  s.n = s.base.size() / 128;
  s.queries = q3;
  s.self.assign(q3.size() / 128, kInvalidItem);
  for (ItemIndex i = 0; i < s.n; i += 10) {  // 500 base vectors as extra queries
    s.queries.insert(s.queries.end(), s.base.begin() + i * 128, s.base.begin() + (i + 1) * 128);
    s.self.push_back(i);
  }
  MatrixView m(s.base.data(), s.n, 128);
  s.ann = std::move(
      *AnnIndex::Build(m, {.metric = Metric::kL2, .M = kM, .ef_construction = 200, .threads = 2}));
  s.exact = std::make_unique<ExactIndex>(*ExactIndex::Build(m, Metric::kL2));
  s.ok = true;
  return s;
}

void BM_AnnSift_Search(benchmark::State& state) {
  Sift& s = GetSift();
  if (!s.ok) {
    state.SkipWithError("sift5k data not found under " AISLE_SHARED_DATA_DIR "/sift5k");
    return;
  }
  const size_t ef = state.range(0);
  const size_t nq = s.self.size();
  std::vector<ScoredItem> out, truth;
  std::vector<ItemIndex> items;
  double recall = 0, recall_real = 0;
  auto params = [&](size_t i) {
    VectorSearchParams p{.k = kK, .ef = ef};
    if (s.self[i] != kInvalidItem) p.exclude = {&s.self[i], 1};
    return p;
  };
  for (size_t i = 0; i < nq; ++i) {
    absl::Span<const float> q(&s.queries[i * 128], 128);
    (void)s.ann->Search(q, params(i), out);
    (void)s.exact->Search(q, params(i), truth);
    items.clear();
    for (const ScoredItem& x : out) items.push_back(x.item);
    const double r = Recall(items, truth);
    recall += r;
    if (s.self[i] == kInvalidItem) recall_real += r;
  }
  size_t i = 0;
  for (auto _ : state) {
    (void)s.ann->Search({&s.queries[i * 128], 128}, params(i), out);
    benchmark::DoNotOptimize(out.data());
    if (++i == nq) i = 0;
  }
  state.counters["recall"] = recall / nq;
  state.counters["recall_3_real_queries"] = recall_real / 3;
  state.counters["queries"] = double(nq);
  state.counters["qps"] = benchmark::Counter(state.iterations(), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_AnnSift_Search)->Arg(16)->Arg(32)->Arg(64)->Arg(128)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace aisle::retrieval

int main(int argc, char** argv) {
  using aisle::retrieval::internal::DistanceKernel;
  if (const char* k = std::getenv("AISLE_ANN_KERNEL")) {
    const std::string name = k;
    for (DistanceKernel d :
         {DistanceKernel::kAuto, DistanceKernel::kPortable, DistanceKernel::kAvx2,
          DistanceKernel::kAvx512, DistanceKernel::kHnswlib}) {
      if (aisle::retrieval::internal::DistanceKernelName(d) == name) {
        aisle::retrieval::internal::SetDistanceKernelOverride(d);
      }
    }
  }
  std::fprintf(stderr, "AnnIndex distance kernel: %s\n",
               std::string(aisle::retrieval::internal::DistanceKernelName(
                               aisle::retrieval::internal::ResolveDistanceKernel(
                                   aisle::retrieval::internal::DistanceKernelOverride())))
                   .c_str());
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
