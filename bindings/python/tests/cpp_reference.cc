// The storefront of storefront.py (and c_reference.c) built and served through
// the C++ API alone. test_engine.py compiles it against include/ and the
// combined static library (aisle_static), runs it with the same base time and
// model file as the C and Python sides, and compares the printed responses
// line by line. Every parameter is c_reference.c's; what c_reference.c leaves
// to the C ABI's defaults is spelled out as those defaults (capi/*.cc).
//
//   cpp_reference <now_micros> <linear_model.json>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "aisle/catalog/catalog_builder.h"
#include "aisle/core/file.h"
#include "aisle/ranking/linear_model.h"
#include "aisle/retrieval/ann_index.h"
#include "aisle/serving/engine.h"
#include "aisle/serving/pipeline_config.h"
#include "aisle/serving/snapshot.h"

namespace {

constexpr int kCategories = 4;
constexpr int kPerCategory = 10;
constexpr int kDim = 8;
constexpr int kItems = kCategories * kPerCategory;
constexpr int64_t kDay = 24LL * 3600 * 1000000;

void Check(const absl::Status& s, const char* what, int line) {
  if (!s.ok()) {
    std::fprintf(stderr, "cpp_reference.cc:%d: %s: %s\n", line, what, s.ToString().c_str());
    std::exit(1);
  }
}
#define CHECK_OK(expr) Check((expr), #expr, __LINE__)

template <typename T>
T Value(absl::StatusOr<T> v, const char* what, int line) {
  Check(v.status(), what, line);
  return *std::move(v);
}
#define VALUE(expr) Value((expr), #expr, __LINE__)

// As c_reference.c: computed in double, rounded to float.
std::vector<float> Embedding(int i) {
  const int c = i / kPerCategory;
  std::vector<float> e(kDim);
  for (int j = 0; j < kDim; ++j) {
    const double v = ((i * 7 + j * 3) % 11 - 5) * 0.01 + (j == c ? 1.0 : 0.0);
    e[j] = static_cast<float>(v);
  }
  return e;
}

void Serve(const aisle::serving::Engine& engine, const aisle::serving::Request& req) {
  const aisle::serving::Response r = VALUE(engine.Recommend(req));
  const size_t n = r.items.size();
  for (size_t i = 0; i < n; ++i) {
    const std::string id(r.items[i].id);
    std::printf("%s%s", i ? "," : "", id.c_str());
  }
  std::printf("|");
  for (size_t i = 0; i < n; ++i) {
    std::printf("%s%.9g", i ? "," : "", static_cast<double>(r.items[i].score));
  }
  std::printf("|");
  for (size_t i = 0; i < n; ++i) {
    const std::string reason(r.items[i].reason);
    std::printf("%s%s", i ? "," : "", reason.c_str());
  }
  std::printf("|%d|%d|%d|%s\n", static_cast<int>(r.tier), static_cast<int>(r.fallback_level),
              static_cast<int>(r.fallback_reason), r.ranker_version.c_str());
}

aisle::serving::Request MakeRequest(std::string surface, uint32_t k) {
  aisle::serving::Request req;
  req.surface = std::move(surface);
  req.k = k;
  return req;
}

}  // namespace

int main(int argc, char** argv) {
  using aisle::serving::PipelineBuilder;
  using aisle::serving::SourceKind;
  if (argc != 3) {
    std::fprintf(stderr, "usage: cpp_reference <now_micros> <linear_model.json>\n");
    return 2;
  }
  const int64_t now = std::strtoll(argv[1], nullptr, 10);

  // Catalog (aisle_catalog_builder_create(kDim, ...): embedding_dim = kDim).
  aisle::catalog::CatalogBuilderOptions co;
  co.embedding_dim = kDim;
  aisle::catalog::CatalogBuilder cb(co);
  for (int i = 0; i < kItems; ++i) {
    const int c = i / kPerCategory;
    const std::string id = "sku-" + std::to_string(i);
    const std::string cat = "Shop>Dept" + std::to_string(c % 2) + ">Cat" + std::to_string(c);
    const std::string title = "Item " + std::to_string(i);
    const aisle::catalog::ItemAttribute attr{"color", (i % 2) ? "blue" : "red"};
    const std::vector<float> e = Embedding(i);
    aisle::catalog::ItemSpec s;
    s.id = id;
    s.category = cat;
    s.brand = (c % 2) ? "acme" : "globex";
    s.title = title;
    s.price = static_cast<float>(10.0 + i);
    s.stock = 5;
    s.launch_time = absl::FromUnixMicros(now - (i >= 38 ? kDay : 365 * kDay));
    s.attributes = absl::MakeConstSpan(&attr, 1);
    s.embedding = e;
    CHECK_OK(cb.AddItem(s));
  }
  auto catalog = std::make_shared<const aisle::catalog::Catalog>(VALUE(cb.Build()));

  // ANN (aisle_ann_options with only metric set: the other fields keep
  // AnnIndexOptions' defaults).
  aisle::retrieval::AnnIndexOptions ao;
  ao.metric = aisle::retrieval::Metric::kCosine;
  std::shared_ptr<const aisle::retrieval::AnnIndex> ann =
      VALUE(aisle::retrieval::AnnIndex::Build(catalog->embeddings(), ao));

  const std::string model_json = VALUE(aisle::ReadFileToString(argv[2]));
  aisle::ranking::LinearModel model =
      VALUE(aisle::ranking::ParseLinearModelJson(model_json, "model bytes"));

  auto snap = std::make_shared<aisle::serving::Snapshot>();
  snap->version = "v1";
  snap->catalog = catalog;
  snap->ann = ann;
  snap->models["price"] = aisle::serving::ModelFactory::Linear(std::move(model));

  // Warm interactions, as storefront.warm_interactions.
  auto view = [&](uint64_t session, uint32_t item, int64_t t) {
    aisle::retrieval::Interaction x;
    x.session = session;
    x.item = item;
    x.time_micros = t;
    x.type = aisle::retrieval::InteractionType::kView;
    snap->warm_interactions.push_back(x);
  };
  int64_t t = now - 2LL * 3600 * 1000000;
  uint64_t session = 1;
  for (int i = 0; i < kItems; ++i) {
    for (int k = 0; k < 40 - i; ++k) {
      view(session++, static_cast<uint32_t>(i), t);
      t += 1000;
    }
  }
  for (int k = 0; k < 20; ++k) {
    view(session, 0, t);
    view(session, 1, t + 1000);
    ++session;
    t += 5000;
  }
  snap->campaign_sets["black_friday"] = {"sku-30", "sku-31"};

  auto& surfaces = snap->pipeline.surfaces;
  surfaces.push_back(PipelineBuilder("home")
                         .Source("ann", SourceKind::kAnn, 20, 0)
                         .Source("covis", SourceKind::kCoVisitation, 10, 0)
                         .Source("popular", SourceKind::kPopular, 10, 0)
                         .MaxCandidates(30)
                         .Ranker("price", "")
                         .CampaignSet("black_friday")
                         .DefaultK(5)
                         .Budget(absl::Microseconds(5000000))
                         .config());
  surfaces.push_back(PipelineBuilder("product_page")
                         .Source("ann", SourceKind::kAnn, 20, 0)
                         .Source("covis", SourceKind::kCoVisitation, 10, 0)
                         .MaxCandidates(30)
                         .DefaultK(5)
                         .Budget(absl::Microseconds(5000000))
                         .config());
  surfaces.push_back(PipelineBuilder("search")
                         .Kind(aisle::serving::SurfaceKind::kSearchRerank)
                         .Ranker("price", "")
                         .DefaultK(5)
                         .Budget(absl::Microseconds(5000000))
                         .config());

  // aisle_engine_create: default EngineOptions.
  const std::unique_ptr<aisle::serving::Engine> engine =
      VALUE(aisle::serving::Engine::Create(std::move(snap)));

  // The requests of storefront.REQUESTS, in order.
  {
    auto req = MakeRequest("home", 5);
    req.user_id = "u1";
    Serve(*engine, req);
  }
  {
    auto req = MakeRequest("product_page", 5);
    req.seed_items = {"sku-3"};
    Serve(*engine, req);
  }
  {
    auto req = MakeRequest("product_page", 6);
    req.seed_items = {"sku-0"};
    Serve(*engine, req);
  }
  {
    auto req = MakeRequest("search", 4);
    req.search_candidates = {"sku-5", "sku-1", "sku-20", "sku-7"};
    Serve(*engine, req);
  }
  {
    auto req = MakeRequest("home", 5);
    req.context.emplace_back("category", "Shop>Dept0>Cat2");
    Serve(*engine, req);
  }
  {
    auto req = MakeRequest("home", 5);
    req.user_vector = Embedding(25);
    Serve(*engine, req);
  }
  {
    auto req = MakeRequest("home", 5);
    req.user_id = "u2";
    req.seed_items = {"sku-12"};
    req.cart_items = {"sku-13"};
    Serve(*engine, req);
  }
  return 0;
}
