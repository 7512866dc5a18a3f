// The C ABI's overhead per recommend call: the same snapshot (synthetic
// catalog, cosine ANN index, a linear ranker, one product-page surface) is
// served by a C++ aisle::serving::Engine and, through libaisle.so, by an
// aisle_engine; each benchmark serves the same request and reads the item
// indices. The C path adds: argument checks, the exception guard, copying
// the Response into the response handle's columns and NUL-terminated
// strings, and the handle's allocation and destruction.
//
//   ./build/capi_overhead_benchmark --benchmark_repetitions=5
//       --benchmark_report_aggregates_only=true
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "aisle.h"
#include "aisle/catalog/synthetic_catalog.h"
#include "aisle/retrieval/ann_index.h"
#include "aisle/serving/engine.h"
#include "benchmark/benchmark.h"

namespace {

constexpr size_t kItems = 20000;
constexpr size_t kDim = 32;
constexpr uint64_t kSeed = 7;

constexpr char kModel[] =
    R"({"format": "aisle.linear", "format_version": 1, "name": "price", "link": "identity",
        "bias": 0.0, "weights": [{"feature": "ann_score", "weight": 10.0},
                                 {"feature": "price", "weight": -0.01}]})";

void Die(const char* what, int32_t code) {
  std::fprintf(stderr, "%s failed: %s: %s\n", what, aisle_status_name(code),
               aisle_last_error_message());
  std::abort();
}
#define C_OK(expr)                      \
  do {                                  \
    const int32_t c_ = (expr);          \
    if (c_ != AISLE_OK) Die(#expr, c_); \
  } while (0)

std::string SeedId(int i) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "sku-%07d", i);
  return buf;
}

// The C++ engine.
struct CppSide {
  std::unique_ptr<aisle::serving::Engine> engine;
  CppSide() {
    using namespace aisle;
    catalog::SyntheticCatalogOptions o;
    o.items = kItems;
    o.dim = kDim;
    o.seed = kSeed;
    auto s = std::make_shared<serving::Snapshot>();
    s->version = "bench";
    s->catalog = std::make_shared<const catalog::Catalog>(*catalog::MakeSyntheticCatalog(o));
    retrieval::AnnIndexOptions ao;
    ao.metric = retrieval::Metric::kCosine;
    s->ann = *retrieval::AnnIndex::Build(s->catalog->embeddings(), ao);
    ranking::LinearModel m;
    m.name = "price";
    m.terms = {{"ann_score", 10.0f, 0.0f}, {"price", -0.01f, 0.0f}};
    s->models["price"] = serving::ModelFactory::Linear(m);
    serving::PipelineBuilder p("product_page");
    p.Source("ann", serving::SourceKind::kAnn, 200)
        .Source("popular", serving::SourceKind::kPopular, 50)
        .MaxCandidates(250)
        .Ranker("price")
        .DefaultK(20)
        .Budget(absl::Seconds(1));
    (void)s->pipeline.Add(std::move(p));
    auto e = serving::Engine::Create(std::move(s));
    if (!e.ok()) {
      std::fprintf(stderr, "%s\n", std::string(e.status().message()).c_str());
      std::abort();
    }
    engine = std::move(*e);
  }
};

// The same through the C ABI.
struct CSide {
  aisle_engine* engine = nullptr;
  CSide() {
    aisle_catalog* c = nullptr;
    C_OK(aisle_catalog_create_synthetic(kItems, kDim, kSeed, &c));
    aisle_ann_options ao = {};
    ao.size = sizeof(ao);
    ao.metric = AISLE_METRIC_COSINE;
    aisle_ann_index* ann = nullptr;
    C_OK(aisle_ann_index_build_from_catalog(c, &ao, &ann));
    aisle_model* m = nullptr;
    C_OK(aisle_model_parse(kModel, sizeof(kModel) - 1, AISLE_MODEL_LINEAR, &m));
    aisle_pipeline_builder* p = nullptr;
    C_OK(aisle_pipeline_builder_create("product_page", &p));
    C_OK(aisle_pipeline_builder_add_source(p, "ann", AISLE_SOURCE_ANN, 200, 0));
    C_OK(aisle_pipeline_builder_add_source(p, "popular", AISLE_SOURCE_POPULAR, 50, 0));
    C_OK(aisle_pipeline_builder_set_max_candidates(p, 250));
    C_OK(aisle_pipeline_builder_set_ranker(p, "price", nullptr));
    C_OK(aisle_pipeline_builder_set_default_k(p, 20));
    C_OK(aisle_pipeline_builder_set_budget(p, 1000000));
    aisle_snapshot* s = nullptr;
    C_OK(aisle_snapshot_create("bench", &s));
    C_OK(aisle_snapshot_set_catalog(s, c));
    C_OK(aisle_snapshot_set_ann_index(s, ann));
    C_OK(aisle_snapshot_add_model(s, "price", m));
    C_OK(aisle_snapshot_add_pipeline(s, p));
    C_OK(aisle_engine_create(s, &engine));
    aisle_snapshot_destroy(s);
    aisle_pipeline_builder_destroy(p);
    aisle_model_destroy(m);
    aisle_ann_index_destroy(ann);
    aisle_catalog_destroy(c);
  }
  ~CSide() { aisle_engine_destroy(engine); }
};

CppSide& Cpp() {
  static CppSide* s = new CppSide();
  return *s;
}
CSide& C() {
  static CSide* s = new CSide();
  return *s;
}

// The C++ call: one Recommend, reading the items.
void BM_CApi_CppRecommend(benchmark::State& state) {
  auto& engine = *Cpp().engine;
  aisle::serving::Request req;
  req.surface = "product_page";
  int seed = 0;
  uint64_t sum = 0;
  for (auto _ : state) {
    req.seed_items = {SeedId(seed++ % 1000)};
    auto r = engine.Recommend(req);
    if (!r.ok() || r->items.empty()) state.SkipWithError("recommend failed");
    for (const auto& item : r->items) sum += item.index;
  }
  benchmark::DoNotOptimize(sum);
  state.counters["qps"] = benchmark::Counter(state.iterations(), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_CApi_CppRecommend)->Unit(benchmark::kMicrosecond);

// The C call with a reused request handle: set the seed, recommend, read the
// indices, destroy the response.
void BM_CApi_CRecommend(benchmark::State& state) {
  aisle_engine* engine = C().engine;
  aisle_request* req = nullptr;
  C_OK(aisle_request_create("product_page", &req));
  int seed = 0;
  uint64_t sum = 0;
  for (auto _ : state) {
    const std::string id = SeedId(seed++ % 1000);
    const char* ids[1] = {id.c_str()};
    aisle_request_set_seed_items(req, ids, 1);
    aisle_response* resp = nullptr;
    if (aisle_engine_recommend(engine, req, &resp) != AISLE_OK) state.SkipWithError("failed");
    const uint32_t* idx = nullptr;
    size_t n = 0;
    aisle_response_indices(resp, &idx, &n);
    if (n == 0) state.SkipWithError("empty");
    for (size_t i = 0; i < n; ++i) sum += idx[i];
    aisle_response_destroy(resp);
  }
  aisle_request_destroy(req);
  benchmark::DoNotOptimize(sum);
  state.counters["qps"] = benchmark::Counter(state.iterations(), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_CApi_CRecommend)->Unit(benchmark::kMicrosecond);

// As a binding does it: a new request handle per call, and every item's id
// read as a string.
void BM_CApi_CRecommendFreshRequestAndIds(benchmark::State& state) {
  aisle_engine* engine = C().engine;
  int seed = 0;
  size_t bytes = 0;
  for (auto _ : state) {
    aisle_request* req = nullptr;
    aisle_request_create("product_page", &req);
    const std::string id = SeedId(seed++ % 1000);
    const char* ids[1] = {id.c_str()};
    aisle_request_set_seed_items(req, ids, 1);
    aisle_request_set_k(req, 20);
    aisle_response* resp = nullptr;
    if (aisle_engine_recommend(engine, req, &resp) != AISLE_OK) state.SkipWithError("failed");
    size_t n = 0;
    aisle_response_item_count(resp, &n);
    for (size_t i = 0; i < n; ++i) {
      const char* s = nullptr;
      aisle_response_item_id(resp, i, &s);
      bytes += std::strlen(s);
    }
    aisle_response_destroy(resp);
    aisle_request_destroy(req);
  }
  benchmark::DoNotOptimize(bytes);
  state.counters["qps"] = benchmark::Counter(state.iterations(), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_CApi_CRecommendFreshRequestAndIds)->Unit(benchmark::kMicrosecond);

// The fixed cost of the ABI alone: a call that fails its argument check
// (guard + status + thread-local message) and one that succeeds cheaply.
void BM_CApi_CallNullError(benchmark::State& state) {
  for (auto _ : state) {
    benchmark::DoNotOptimize(aisle_engine_recommend(nullptr, nullptr, nullptr));
  }
}
BENCHMARK(BM_CApi_CallNullError);

void BM_CApi_CallAccessor(benchmark::State& state) {
  double q = 0;
  for (auto _ : state) {
    aisle_engine_quality(C().engine, "product_page", &q);
    benchmark::DoNotOptimize(q);
  }
}
BENCHMARK(BM_CApi_CallAccessor);

}  // namespace

BENCHMARK_MAIN();
