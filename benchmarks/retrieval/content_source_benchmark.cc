// ContentSource: latency of one Retrieve (quota 100) over a synthetic catalog
// (64-dim embeddings clustered by leaf category, 480 leaves, brands mostly
// specific to a leaf, "color" on every item and "size" on a third), with
// 1, 3 or 10 seeds, three ways:
//
//   BM_ContentSource_Ann             embeddings through an AnnIndex (HNSW, M 16)
//   BM_ContentSource_Exact           embeddings by an exact scan of the catalog
//   BM_ContentSource_AttributesOnly  embedding_weight 0: the attribute groups only
//
// and BM_ContentSource_Recall: how much of the "whole catalog" answer (every
// item scored by the same formula) each way's default pool finds, as
// counters (one iteration; it scores the whole catalog per query).
//
// Seeds are sessions: the first seed is a Zipf-popular item, each later one
// is from the first seed's category with probability 0.7, else another
// popular item. ANN indexes are cached under $AISLE_BENCH_CACHE (default
// /tmp/aisle-ann-bench) because building 1M x 64 takes minutes on 2 cores.
//
//   build/benchmarks/retrieval/content_source_benchmark --benchmark_repetitions=3
//       --benchmark_report_aggregates_only=true   (one command line)
#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "aisle/catalog/synthetic_catalog.h"
#include "aisle/retrieval/ann_index.h"
#include "aisle/retrieval/content_source.h"

namespace aisle::retrieval {
namespace {

constexpr size_t kDim = 64;
constexpr size_t kQuota = 100;
constexpr size_t kSessions = 256;

std::string CacheDir() {
  const char* d = std::getenv("AISLE_BENCH_CACHE");
  return d ? d : "/tmp/aisle-ann-bench";
}

struct Fixture {
  std::shared_ptr<const catalog::Catalog> catalog;
  std::shared_ptr<const AnnIndex> ann;
  std::unique_ptr<ContentSource> with_ann, exact, attributes_only, whole_catalog;
  std::map<int, std::vector<std::vector<ItemIndex>>> sessions;  // by seed count
};

Fixture& GetFixture(size_t n) {
  static std::map<size_t, std::unique_ptr<Fixture>> cache;
  auto& slot = cache[n];
  if (slot) return *slot;
  slot = std::make_unique<Fixture>();
  Fixture& f = *slot;
  const catalog::SyntheticCatalogOptions co{.items = n, .dim = kDim, .seed = 7};
  auto built = catalog::MakeSyntheticCatalog(co);
  if (!built.ok()) std::abort();
  f.catalog = std::make_shared<const catalog::Catalog>(std::move(*built));

  const size_t efc = n >= 1000000 ? 100 : 200;
  const std::string path =
      absl::StrCat(CacheDir(), "/content_synthetic_n", n, "_d", kDim, "_M16_efc", efc, "_s7.ann");
  auto loaded = AnnIndex::Load(path, {.expected_dim = kDim, .expected_count = n});
  if (loaded.ok()) {
    f.ann = std::move(*loaded);
  } else {
    std::fprintf(stderr, "building the ANN index of %zu items, cached at %s\n", n, path.c_str());
    auto index = AnnIndex::Build(f.catalog->embeddings(),
                                 {.metric = Metric::kCosine, .ef_construction = efc, .threads = 2});
    if (!index.ok()) std::abort();
    std::system(absl::StrCat("mkdir -p ", CacheDir()).c_str());
    if (!(*index)->Save(path).ok()) std::fprintf(stderr, "could not cache %s\n", path.c_str());
    f.ann = std::move(*index);
  }
  f.with_ann = *ContentSource::Create(f.catalog, f.ann, {});
  f.exact = *ContentSource::Create(f.catalog, nullptr, {});
  f.attributes_only = *ContentSource::Create(f.catalog, nullptr, {.embedding_weight = 0.0f});
  ContentSourceOptions all;
  all.embedding_candidates = n;
  all.max_group_items = n;
  all.max_attribute_visits = 64 * n;
  all.min_visits_per_seed = 64 * n;
  f.whole_catalog = *ContentSource::Create(f.catalog, nullptr, all);

  const catalog::SyntheticPopularity pop = catalog::MakeSyntheticPopularity(co);
  std::mt19937_64 rng(11);
  for (int count : {1, 3, 10}) {
    auto& list = f.sessions[count];
    for (size_t s = 0; s < kSessions; ++s) {
      std::vector<ItemIndex> seeds = {pop.Sample(rng)};
      const auto same_category = f.catalog->ItemsDirectlyInCategory(f.catalog->category(seeds[0]));
      while (seeds.size() < static_cast<size_t>(count)) {
        if (rng() % 10 < 7 && !same_category.empty()) {
          seeds.push_back(same_category[rng() % same_category.size()]);
        } else {
          seeds.push_back(pop.Sample(rng));
        }
      }
      list.push_back(std::move(seeds));
    }
  }
  return f;
}

void Run(benchmark::State& state, const ContentSource& source, Fixture& f) {
  const auto& sessions = f.sessions.at(static_cast<int>(state.range(1)));
  std::vector<Candidate> out;
  size_t k = 0, returned = 0, scored = 0;
  for (auto _ : state) {
    RetrievalQuery q;
    q.seeds = sessions[k++ % sessions.size()];
    out.clear();
    ContentSourceStats stats;
    if (!source.RetrieveWithStats(q, kQuota, 0, out, &stats).ok()) std::abort();
    benchmark::DoNotOptimize(out.data());
    returned += out.size();
    scored += stats.scored;
  }
  state.counters["returned"] = double(returned) / double(state.iterations());
  state.counters["pool"] = double(scored) / double(state.iterations());
}

void BM_ContentSource_Ann(benchmark::State& state) {
  Fixture& f = GetFixture(static_cast<size_t>(state.range(0)));
  Run(state, *f.with_ann, f);
}
void BM_ContentSource_Exact(benchmark::State& state) {
  Fixture& f = GetFixture(static_cast<size_t>(state.range(0)));
  Run(state, *f.exact, f);
}
void BM_ContentSource_AttributesOnly(benchmark::State& state) {
  Fixture& f = GetFixture(static_cast<size_t>(state.range(0)));
  Run(state, *f.attributes_only, f);
}

// Share of the whole-catalog top 100 (by the same score) that each default
// configuration returns, over 16 sessions. AttributesOnly is compared with
// the whole-catalog answer under its own weights (no embedding term).
void BM_ContentSource_Recall(benchmark::State& state) {
  const size_t n = static_cast<size_t>(state.range(0));
  Fixture& f = GetFixture(n);
  ContentSourceOptions attrs_all = f.whole_catalog->options();
  attrs_all.embedding_weight = 0.0f;
  auto whole_attrs = *ContentSource::Create(f.catalog, nullptr, attrs_all);
  const auto& sessions = f.sessions.at(static_cast<int>(state.range(1)));
  double ann = 0, exact = 0, attrs = 0;
  constexpr size_t kQueries = 16;
  for (auto _ : state) {
    ann = exact = attrs = 0;
    for (size_t s = 0; s < kQueries; ++s) {
      RetrievalQuery q;
      q.seeds = sessions[s];
      auto top = [&](const ContentSource& source) {
        std::vector<Candidate> out;
        if (!source.Retrieve(q, kQuota, 0, out).ok()) std::abort();
        return out;
      };
      auto overlap = [](const std::vector<Candidate>& truth, const std::vector<Candidate>& got) {
        size_t hit = 0;
        for (const Candidate& t : truth) {
          for (const Candidate& g : got) hit += g.item == t.item ? 1 : 0;
        }
        return truth.empty() ? 1.0 : double(hit) / double(truth.size());
      };
      const std::vector<Candidate> truth = top(*f.whole_catalog);
      ann += overlap(truth, top(*f.with_ann));
      exact += overlap(truth, top(*f.exact));
      attrs += overlap(top(*whole_attrs), top(*f.attributes_only));
    }
  }
  state.counters["recall_ann"] = ann / kQueries;
  state.counters["recall_exact"] = exact / kQueries;
  state.counters["recall_attributes_only"] = attrs / kQueries;
}

void Sizes(benchmark::internal::Benchmark* b) {
  b->ArgNames({"items", "seeds"});
  for (int64_t n : {100000, 1000000}) {
    for (int64_t seeds : {1, 3, 10}) b->Args({n, seeds});
  }
  b->Unit(benchmark::kMicrosecond);
}

BENCHMARK(BM_ContentSource_Ann)->Apply(Sizes);
BENCHMARK(BM_ContentSource_Exact)->Apply(Sizes);
BENCHMARK(BM_ContentSource_AttributesOnly)->Apply(Sizes);
BENCHMARK(BM_ContentSource_Recall)->Apply(Sizes)->Iterations(1)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace aisle::retrieval

BENCHMARK_MAIN();
