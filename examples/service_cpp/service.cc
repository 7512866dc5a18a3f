// A storefront recommendation service built against the INSTALLED aisle
// package (find_package(aisle) + aisle::aisle; see CMakeLists.txt here).
//
// It builds a synthetic catalog, an HNSW index over its embeddings and a
// snapshot with two surfaces, "home" (a personalized home rail) and
// "product_page" (related items), then serves both from several threads at
// once, recording product page views as they are served, while another
// thread feeds view events, as a service's request handlers and its event
// consumer would. It prints sample rails and a
// summary, and fails (exit 1) on any request error, empty rail, related
// list containing its own seed item, or known user not served personally.
//
//   service_cpp [--items=20000] [--threads=4] [--requests=300]
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "aisle/catalog/synthetic_catalog.h"
#include "aisle/retrieval/ann_index.h"
#include "aisle/serving/engine.h"

namespace {

using aisle::serving::Engine;
using aisle::serving::FallbackLevel;
using aisle::serving::PipelineBuilder;
using aisle::serving::Request;
using aisle::serving::Response;
using aisle::serving::SourceKind;

struct Flags {
  size_t items = 20000;
  size_t threads = 4;
  size_t requests = 300;  // per serving thread
};

bool ParseSize(const char* arg, const char* name, size_t* out) {
  const size_t n = std::strlen(name);
  if (std::strncmp(arg, name, n) != 0) return false;
  char* end = nullptr;
  const unsigned long long v = std::strtoull(arg + n, &end, 10);
  if (end == arg + n || *end != '\0' || v == 0) {
    std::fprintf(stderr, "bad value in %s\n", arg);
    std::exit(2);
  }
  *out = static_cast<size_t>(v);
  return true;
}

Flags ParseFlags(int argc, char** argv) {
  Flags f;
  for (int i = 1; i < argc; ++i) {
    if (!ParseSize(argv[i], "--items=", &f.items) &&
        !ParseSize(argv[i], "--threads=", &f.threads) &&
        !ParseSize(argv[i], "--requests=", &f.requests)) {
      std::fprintf(stderr, "usage: %s [--items=N] [--threads=N] [--requests=N]\n", argv[0]);
      std::exit(2);
    }
  }
  return f;
}

void PrintRail(const aisle::catalog::Catalog& cat, const std::string& title, const Response& r) {
  std::printf("\n%s  [level=%s tier=%s ranker=%s %.0fus]\n", title.c_str(),
              std::string(aisle::serving::FallbackLevelName(r.fallback_level)).c_str(),
              std::string(aisle::routing::ColdStartTierName(r.tier)).c_str(),
              r.ranker_version.empty() ? "-" : r.ranker_version.c_str(),
              absl::ToDoubleMicroseconds(r.total_latency));
  for (size_t i = 0; i < r.items.size(); ++i) {
    const auto& it = r.items[i];
    std::printf("  %2zu. %-12s %-36s %8.2f  score=%.4f  %s\n", i + 1, std::string(it.id).c_str(),
                std::string(cat.categories().path(cat.category(it.index))).c_str(),
                cat.price(it.index), it.score, std::string(it.reason).c_str());
  }
}

// What the serving threads saw; checked at the end.
struct Tally {
  std::atomic<uint64_t> served{0};
  std::atomic<uint64_t> errors{0};
  std::atomic<uint64_t> empty{0};
  std::atomic<uint64_t> seed_returned{0};
  std::atomic<uint64_t> personalized{0};
  std::atomic<uint64_t> same_top_category{0};
  std::atomic<uint64_t> related_items{0};
};

}  // namespace

int main(int argc, char** argv) {
  const Flags flags = ParseFlags(argc, argv);

  // 1. Offline: catalog, ANN index, warm interactions, model, surfaces.
  aisle::catalog::SyntheticCatalogOptions co;
  co.items = flags.items;
  co.dim = 32;
  co.seed = 7;
  auto catalog = aisle::catalog::MakeSyntheticCatalog(co);
  if (!catalog.ok()) {
    std::fprintf(stderr, "catalog: %s\n", std::string(catalog.status().message()).c_str());
    return 1;
  }
  auto cat = std::make_shared<const aisle::catalog::Catalog>(std::move(*catalog));
  const aisle::catalog::SyntheticPopularity popularity =
      aisle::catalog::MakeSyntheticPopularity(co);

  aisle::retrieval::AnnIndexOptions ao;
  ao.metric = aisle::retrieval::Metric::kCosine;
  ao.M = 16;
  ao.ef_construction = 100;
  ao.threads = 2;
  auto ann = aisle::retrieval::AnnIndex::Build(cat->embeddings(), ao);
  if (!ann.ok()) {
    std::fprintf(stderr, "ann: %s\n", std::string(ann.status().message()).c_str());
    return 1;
  }

  auto snap = std::make_shared<aisle::serving::Snapshot>();
  snap->version = "service-example-1";
  snap->catalog = cat;
  snap->ann = std::move(*ann);
  std::mt19937_64 rng(11);
  const int64_t now_us = absl::ToUnixMicros(co.now);
  for (uint64_t s = 1; s <= 5000; ++s) {  // sessions browsing within a category
    aisle::ItemIndex item = popularity.Sample(rng);
    int64_t ts = now_us - static_cast<int64_t>(rng() % 86400) * 1000000;
    for (int k = 0; k < 4; ++k) {
      snap->warm_interactions.push_back({s, item, ts, aisle::retrieval::InteractionType::kView});
      const auto peers = cat->ItemsInCategory(cat->category(item));
      item = peers[rng() % peers.size()];
      ts += 30 * 1000000;
    }
  }
  aisle::ranking::LinearModel ctr;
  ctr.name = "ctr";
  ctr.link = aisle::ranking::LinearLink::kLogistic;
  ctr.bias = -1.0f;
  ctr.terms = {{"ann_score", 2.0f, 0.0f},
               {"covis_score", 0.5f, 0.0f},
               {"popular_score", 0.02f, 0.0f},
               {"log_price", -0.2f, 0.0f}};
  snap->models["ctr"] = aisle::serving::ModelFactory::Linear(ctr);

  // Budgets are generous so that the checks below hold on a busy CI machine;
  // a storefront would give a rail 20-50 ms.
  PipelineBuilder home("home");
  home.Source("ann", SourceKind::kAnn, 200, 100)
      .Source("covis", SourceKind::kCoVisitation, 100)
      .Source("popular", SourceKind::kPopular, 100)
      .MaxCandidates(300)
      .Ranker("ctr")
      .CategoryCap({.max_per_category = 3, .top_m = 10})
      .DefaultK(10)
      .Budget(absl::Milliseconds(200));
  PipelineBuilder product("product_page");
  product.Source("ann", SourceKind::kAnn, 150)
      .Source("covis", SourceKind::kCoVisitation, 100)
      .MaxCandidates(200)
      .Ranker("ctr")
      .DefaultK(8)
      .Budget(absl::Milliseconds(200));
  for (PipelineBuilder* b : {&home, &product}) {
    if (absl::Status s = snap->pipeline.Add(std::move(*b)); !s.ok()) {
      std::fprintf(stderr, "pipeline: %s\n", std::string(s.message()).c_str());
      return 1;
    }
  }

  // 2. Online: the engine.
  auto engine_or = Engine::Create(snap);
  if (!engine_or.ok()) {
    std::fprintf(stderr, "engine: %s\n", std::string(engine_or.status().message()).c_str());
    return 1;
  }
  std::unique_ptr<Engine> engine = std::move(*engine_or);
  std::printf("service_cpp: snapshot '%s', %zu items, %zu categories\n",
              engine->snapshot_version().c_str(), cat->size(), cat->categories().size());

  bool ok = true;
  // Related items for one product page.
  const aisle::ItemIndex hero = popularity.by_rank()[5];
  Request pp;
  pp.surface = "product_page";
  pp.seed_items = {std::string(cat->id(hero))};
  auto r = engine->Recommend(pp);
  if (!r.ok() || r->items.empty()) {
    std::fprintf(stderr, "product page failed\n");
    return 1;
  }
  PrintRail(*cat,
            "Product page: related to " + std::string(cat->id(hero)) + " (" +
                std::string(cat->categories().path(cat->category(hero))) + ")",
            *r);

  // A shopper views a few items of one category, then opens the home page.
  const auto leaf = cat->ItemsInCategory(cat->category(popularity.by_rank()[20]));
  for (size_t i = 0; i < std::min<size_t>(6, leaf.size()); ++i) {
    if (absl::Status s =
            engine->ApplyInteraction("user-42", "sess-42", cat->id(leaf[i]),
                                     aisle::retrieval::InteractionType::kView, absl::Now());
        !s.ok()) {
      std::fprintf(stderr, "event: %s\n", std::string(s.message()).c_str());
      return 1;
    }
  }
  Request hr;
  hr.surface = "home";
  hr.user_id = "user-42";
  hr.session_id = "sess-42";
  r = engine->Recommend(hr);
  if (!r.ok() || r->items.empty()) {
    std::fprintf(stderr, "home rail failed\n");
    return 1;
  }
  PrintRail(*cat,
            "Home rail for user-42 after 6 views in " +
                std::string(cat->categories().path(cat->category(leaf[0]))),
            *r);
  if (r->fallback_level != FallbackLevel::kPersonalized) {
    std::fprintf(stderr, "user-42's home rail was not personalized\n");
    ok = false;
  }

  // 3. Concurrent traffic: serving threads plus one event thread.
  Tally tally;
  std::atomic<bool> stop_events{false};
  std::atomic<uint64_t> events{0};
  std::thread feeder([&] {
    std::mt19937_64 erng(99);
    while (!stop_events.load(std::memory_order_relaxed)) {
      const aisle::ItemIndex item = popularity.Sample(erng);
      const std::string user = "user-" + std::to_string(erng() % 500);
      if (engine
              ->ApplyInteraction(user, "s" + user, cat->id(item),
                                 aisle::retrieval::InteractionType::kView, absl::Now())
              .ok()) {
        events.fetch_add(1, std::memory_order_relaxed);
      }
      std::this_thread::yield();
    }
  });
  std::vector<std::thread> servers;
  const absl::Time start = absl::Now();
  for (size_t t = 0; t < flags.threads; ++t) {
    servers.emplace_back([&, t] {
      std::mt19937_64 trng(1000 + t);
      for (size_t i = 0; i < flags.requests; ++i) {
        Request q;
        const aisle::ItemIndex item = popularity.Sample(trng);
        if (i % 2 == 0) {
          q.surface = "product_page";
          q.seed_items = {std::string(cat->id(item))};
        } else {
          q.surface = "home";
          q.user_id = "user-" + std::to_string(trng() % 500);
          q.session_id = "s" + q.user_id;
        }
        auto resp = engine->Recommend(q);
        if (!resp.ok()) {
          tally.errors.fetch_add(1);
          continue;
        }
        tally.served.fetch_add(1);
        if (resp->items.empty()) tally.empty.fetch_add(1);
        if (resp->fallback_level == FallbackLevel::kPersonalized) tally.personalized.fetch_add(1);
        if (q.surface == "product_page") {
          // The handler also records the page view, as a service logs it.
          const std::string viewer = "user-" + std::to_string(trng() % 500);
          if (engine
                  ->ApplyInteraction(viewer, "s" + viewer, cat->id(item),
                                     aisle::retrieval::InteractionType::kView, absl::Now())
                  .ok()) {
            events.fetch_add(1, std::memory_order_relaxed);
          }
          const auto seed_top = cat->categories().Path(cat->category(item))[0];
          for (const auto& it : resp->items) {
            if (it.index == item) tally.seed_returned.fetch_add(1);
            if (cat->categories().Path(cat->category(it.index))[0] == seed_top) {
              tally.same_top_category.fetch_add(1);
            }
            tally.related_items.fetch_add(1);
          }
        }
      }
    });
  }
  for (auto& t : servers) t.join();
  const double secs = absl::ToDoubleSeconds(absl::Now() - start);
  stop_events = true;
  feeder.join();

  const uint64_t total = flags.threads * flags.requests;
  std::printf(
      "\nserved %llu/%llu requests from %zu threads in %.2fs (%.0f req/s), "
      "%llu view events applied concurrently\n",
      static_cast<unsigned long long>(tally.served.load()), static_cast<unsigned long long>(total),
      flags.threads, secs, static_cast<double>(total) / secs,
      static_cast<unsigned long long>(events.load()));
  std::printf(
      "personalized: %llu, empty: %llu, errors: %llu, related items in the seed's "
      "department: %.0f%%\n",
      static_cast<unsigned long long>(tally.personalized.load()),
      static_cast<unsigned long long>(tally.empty.load()),
      static_cast<unsigned long long>(tally.errors.load()),
      tally.related_items ? 100.0 * tally.same_top_category / tally.related_items : 0.0);
  if (tally.errors || tally.empty || tally.served != total) ok = false;
  if (tally.seed_returned) {
    std::fprintf(stderr, "%llu related lists contained their own seed item\n",
                 static_cast<unsigned long long>(tally.seed_returned.load()));
    ok = false;
  }
  std::printf("service_cpp: %s\n", ok ? "ok" : "FAILED");
  return ok ? 0 : 1;
}
