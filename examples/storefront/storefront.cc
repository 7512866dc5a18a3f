// aisle's main job: a storefront simulation.
//
// Builds aisle's synthetic storefront (catalog with categories, brands,
// prices, stock, launch times and clustered 64-d embeddings), an HNSW index
// over it, and a snapshot with four surfaces (home rail, product page related
// items, cart upsell, search rerank). It warms popularity and co-visitation
// with synthetic sessions, then replays traffic in three phases — normal,
// flash sale (stock-outs and a traffic spike with personalization switched
// off mid-way, as a peak playbook would), and recovery — printing sample
// rails, latency percentiles per surface and the fallback levels served.
//
//   aisle_storefront [--items=100000] [--requests=20000] [--seed=1]
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "aisle/catalog/synthetic_catalog.h"
#include "aisle/retrieval/ann_index.h"
#include "aisle/serving/engine.h"

namespace {

using aisle::serving::Engine;
using aisle::serving::FallbackLevel;
using aisle::serving::Request;
using aisle::serving::Response;

struct Flags {
  size_t items = 100000;
  size_t requests = 20000;
  uint64_t seed = 1;
};

Flags ParseFlags(int argc, char** argv) {
  Flags f;
  for (int i = 1; i < argc; ++i) {
    absl::string_view a(argv[i]);
    auto value = [&](absl::string_view name) -> absl::string_view { return a.substr(name.size()); };
    if (absl::StartsWith(a, "--items=")) {
      (void)absl::SimpleAtoi(value("--items="), &f.items);
    } else if (absl::StartsWith(a, "--requests=")) {
      (void)absl::SimpleAtoi(value("--requests="), &f.requests);
    } else if (absl::StartsWith(a, "--seed=")) {
      (void)absl::SimpleAtoi(value("--seed="), &f.seed);
    } else {
      std::fprintf(stderr, "usage: %s [--items=N] [--requests=N] [--seed=N]\n", argv[0]);
      std::exit(2);
    }
  }
  return f;
}

double Seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

struct Latencies {
  std::vector<double> us;
  std::map<std::string, int> levels;
  std::map<std::string, std::string> details;  // one sample detail per reason
  void Add(const Response& r) {
    if (r.fallback_reason != aisle::serving::FallbackReason::kNone) {
      details.emplace(std::string(aisle::serving::FallbackReasonName(r.fallback_reason)),
                      r.fallback_detail);
    }
    us.push_back(absl::ToDoubleMicroseconds(r.total_latency));
    std::string key(aisle::serving::FallbackLevelName(r.fallback_level));
    if (r.fallback_reason != aisle::serving::FallbackReason::kNone) {
      absl::StrAppend(&key, " (", aisle::serving::FallbackReasonName(r.fallback_reason), ")");
    }
    levels[key]++;
  }
  double Percentile(double p) {
    if (us.empty()) return 0;
    std::sort(us.begin(), us.end());
    return us[std::min(us.size() - 1, size_t(p * us.size()))];
  }
};

void PrintRail(const aisle::catalog::Catalog& cat, const char* title, const Response& r) {
  std::printf("\n%s  [level=%s reason=%s tier=%s ranker=%s latency=%.0fus]\n", title,
              std::string(aisle::serving::FallbackLevelName(r.fallback_level)).c_str(),
              std::string(aisle::serving::FallbackReasonName(r.fallback_reason)).c_str(),
              std::string(aisle::routing::ColdStartTierName(r.tier)).c_str(),
              r.ranker_version.empty() ? "-" : r.ranker_version.c_str(),
              absl::ToDoubleMicroseconds(r.total_latency));
  for (size_t i = 0; i < r.items.size(); ++i) {
    const auto& it = r.items[i];
    std::string sources;
    for (size_t s = 0; s < r.source_names.size(); ++s) {
      if (it.sources & (1u << s))
        absl::StrAppend(&sources, sources.empty() ? "" : "+", r.source_names[s]);
    }
    std::printf("  %2zu. %-12s %-40s %8.2f  score=%7.4f  %s/%s\n", i + 1,
                std::string(it.id).c_str(),
                std::string(cat.categories().path(cat.category(it.index))).c_str(),
                cat.price(it.index), it.score, std::string(it.reason).c_str(), sources.c_str());
  }
}

}  // namespace

int main(int argc, char** argv) {
  const Flags flags = ParseFlags(argc, argv);
  std::printf("aisle %s — storefront simulation: %zu items, %zu requests\n", "0.1.0", flags.items,
              flags.requests);

  // 1. The synthetic storefront.
  auto t = std::chrono::steady_clock::now();
  aisle::catalog::SyntheticCatalogOptions co;
  co.items = flags.items;
  co.dim = 64;
  co.seed = flags.seed;
  // The storefront lives now: launch times and warm sessions lead up to the
  // moment the simulation starts, and live events are stamped with the
  // engine's (real) clock, inside its event-time window.
  co.now = absl::FromUnixSeconds(absl::ToUnixSeconds(absl::Now()));
  auto catalog = aisle::catalog::MakeSyntheticCatalog(co);
  if (!catalog.ok()) {
    std::fprintf(stderr, "catalog: %s\n", std::string(catalog.status().message()).c_str());
    return 1;
  }
  auto cat = std::make_shared<const aisle::catalog::Catalog>(std::move(*catalog));
  const aisle::catalog::SyntheticPopularity popularity =
      aisle::catalog::MakeSyntheticPopularity(co);
  std::printf("catalog: %zu items, %zu categories, dim %zu  (%.2fs)\n", cat->size(),
              cat->categories().size(), cat->embedding_dim(), Seconds(t));

  t = std::chrono::steady_clock::now();
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
  std::printf("ann index: HNSW M=16 efC=100 over %zu vectors  (%.2fs)\n", (*ann)->size(),
              Seconds(t));

  // 2. Warm interactions: Zipf-popular sessions that stay within a category.
  std::mt19937_64 rng(flags.seed);
  auto snap = std::make_shared<aisle::serving::Snapshot>();
  const int64_t now_us = absl::ToUnixMicros(co.now);
  const size_t warm_sessions = std::min<size_t>(50000, flags.items / 2 + 1000);
  for (uint64_t s = 1; s <= warm_sessions; ++s) {
    aisle::ItemIndex item = popularity.Sample(rng);
    int64_t ts = now_us - int64_t(rng() % 86400) * 1000000;
    const int len = 2 + int(rng() % 5);
    for (int k = 0; k < len; ++k) {
      snap->warm_interactions.push_back({s, item, ts, aisle::retrieval::InteractionType::kView});
      auto peers = cat->ItemsInCategory(cat->category(item));
      item = peers[rng() % peers.size()];
      ts += 30 * 1000000;
    }
  }

  // 3. The snapshot: models and four surfaces.
  snap->version = "synthetic-" + std::to_string(flags.seed);
  snap->catalog = cat;
  snap->ann = std::move(*ann);
  aisle::ranking::LinearModel ctr;
  ctr.name = "ctr";
  ctr.link = aisle::ranking::LinearLink::kLogistic;
  ctr.bias = -1.0f;
  ctr.terms = {{"ann_score", 2.0f, 0.0f},      {"covis_score", 0.5f, 0.0f},
               {"popular_score", 0.02f, 0.0f}, {"log_price", -0.3f, 0.0f},
               {"age_days", -0.002f, 0.0f},    {"user_interactions", 0.01f, 0.0f}};
  snap->models["ctr"] = aisle::serving::ModelFactory::Linear(ctr);
  for (int i = 0; i < 6; ++i) {
    snap->campaign_sets["black_friday"].push_back(std::string(cat->id(popularity.by_rank()[i])));
  }
  using aisle::serving::PipelineBuilder;
  using aisle::serving::SourceKind;
  PipelineBuilder home("home");
  home.Source("ann", SourceKind::kAnn, 300, 100)
      .Source("covis", SourceKind::kCoVisitation, 100)
      .Source("popular", SourceKind::kPopular, 100)
      .MaxCandidates(500)
      .Ranker("ctr")
      .CategoryCap({.max_per_category = 2, .top_m = 12})
      .Mmr(0.8f)
      .ExplorationSlots({5}, absl::Hours(72), 500)
      .CampaignSet("black_friday")
      .DefaultK(12)
      .Budget(absl::Milliseconds(30));
  PipelineBuilder product("product_page");
  product.Source("ann", SourceKind::kAnn, 200)
      .Source("covis", SourceKind::kCoVisitation, 100)
      .MaxCandidates(300)
      .Ranker("ctr")
      .CategoryCap({.max_per_category = 4, .top_m = 10})
      .DefaultK(10)
      .Budget(absl::Milliseconds(20));
  PipelineBuilder cart("cart");
  cart.Source("covis", SourceKind::kCoVisitation, 200)
      .Source("popular", SourceKind::kPopular, 50)
      .MaxCandidates(250)
      .Ranker("ctr")
      .DefaultK(6)
      .Budget(absl::Milliseconds(15));
  PipelineBuilder search("search");
  search.Kind(aisle::serving::SurfaceKind::kSearchRerank)
      .Ranker("ctr")
      .DefaultK(10)
      .Budget(absl::Milliseconds(15));
  for (auto* b : {&home, &product, &cart, &search}) (void)snap->pipeline.Add(std::move(*b));

  aisle::serving::EngineOptions eo;
  t = std::chrono::steady_clock::now();
  auto engine_or = Engine::Create(snap, eo);
  if (!engine_or.ok()) {
    std::fprintf(stderr, "engine: %s\n", std::string(engine_or.status().message()).c_str());
    return 1;
  }
  std::unique_ptr<Engine> engine = std::move(*engine_or);
  std::printf("engine: snapshot '%s' compiled, %zu warm interactions  (%.2fs)\n",
              engine->snapshot_version().c_str(), snap->warm_interactions.size(), Seconds(t));

  // 4. Sample rails.
  const std::string hero(cat->id(popularity.by_rank()[3]));
  Request product_req;
  product_req.surface = "product_page";
  product_req.seed_items = {hero};
  auto r = engine->Recommend(product_req);
  if (r.ok()) PrintRail(*cat, ("Product page: related to " + hero).c_str(), *r);

  Request anon;
  anon.surface = "home";
  r = engine->Recommend(anon);
  if (r.ok()) PrintRail(*cat, "Home rail, anonymous visitor", *r);

  // A big category to draw from: the hero item's top-level department.
  const aisle::ItemIndex hero_index = popularity.by_rank()[3];
  const auto department =
      cat->ItemsInCategory(cat->categories().Path(cat->category(hero_index))[0]);
  const auto leaf = cat->ItemsInCategory(cat->category(popularity.by_rank()[40]));
  for (size_t i = 0; i < std::min<size_t>(8, leaf.size()); ++i) {
    (void)engine->ApplyInteraction("user-42", "sess-42", cat->id(leaf[i]),
                                   aisle::retrieval::InteractionType::kView, absl::Now());
  }
  Request known;
  known.surface = "home";
  known.user_id = "user-42";
  r = engine->Recommend(known);
  if (r.ok()) PrintRail(*cat, "Home rail, user-42 after 8 views", *r);

  Request search_req;
  search_req.surface = "search";
  for (size_t i = 0; i < std::min<size_t>(30, department.size()); ++i) {
    search_req.search_candidates.push_back(std::string(cat->id(department[i])));
  }
  r = engine->Recommend(search_req);
  if (r.ok()) PrintRail(*cat, "Search rerank of 30 lexical results", *r);

  // 5. Traffic in three phases.
  const char* surfaces[] = {"home", "product_page", "cart", "search"};
  std::map<std::string, Latencies> by_surface;
  size_t failures = 0, empties = 0;
  auto serve = [&](size_t n, const char* phase) {
    auto start = std::chrono::steady_clock::now();
    for (size_t i = 0; i < n; ++i) {
      Request q;
      q.surface = surfaces[rng() % 4];
      const uint64_t user = rng() % 5000;
      if (user % 3) q.user_id = absl::StrCat("user-", user);
      q.session_id = absl::StrCat("sess-", user);
      const aisle::ItemIndex item = popularity.Sample(rng);
      if (q.surface == "product_page") q.seed_items = {std::string(cat->id(item))};
      if (q.surface == "cart") q.cart_items = {std::string(cat->id(item))};
      if (q.surface == "search") {
        auto peers = cat->ItemsInCategory(cat->category(item));
        for (size_t j = 0; j < std::min<size_t>(50, peers.size()); ++j)
          q.search_candidates.push_back(std::string(cat->id(peers[j])));
      }
      auto resp = engine->Recommend(q);
      if (!resp.ok()) {
        ++failures;
        continue;
      }
      if (resp->items.empty()) ++empties;
      by_surface[absl::StrCat(phase, " ", q.surface)].Add(*resp);
      // Every request is also an event: the visitor views an item.
      (void)engine->ApplyInteraction(q.user_id, q.session_id, cat->id(item),
                                     aisle::retrieval::InteractionType::kView, absl::Now());
    }
    const double secs = Seconds(start);
    std::printf("\nphase %-11s %6zu requests in %.2fs = %.0f req/s (with one event each)\n", phase,
                n, secs, n / secs);
  };
  const size_t per_phase = std::max<size_t>(flags.requests / 3, 1);
  serve(per_phase, "normal");

  // Flash sale: the 200 most popular items sell out, and the peak playbook
  // turns off diversification and exploration on the home rail.
  for (size_t i = 0; i < std::min<size_t>(200, cat->size()); ++i) {
    (void)engine->SetStock(cat->id(popularity.by_rank()[i]), 0);
  }
  (void)engine->switches().SetFlag("home", aisle::serving::SwitchFlag::kDiversification, false,
                                   "peak-playbook");
  (void)engine->switches().SetFlag("home", aisle::serving::SwitchFlag::kExploration, false,
                                   "peak-playbook");
  (void)engine->switches().SetFlag("cart", aisle::serving::SwitchFlag::kPersonalization, false,
                                   "peak-playbook");
  serve(per_phase, "flash-sale");
  (void)engine->switches().SetFlag("*", aisle::serving::SwitchFlag::kPersonalization, true,
                                   "peak-playbook");
  (void)engine->switches().SetFlag("*", aisle::serving::SwitchFlag::kDiversification, true,
                                   "peak-playbook");
  (void)engine->switches().SetFlag("*", aisle::serving::SwitchFlag::kExploration, true,
                                   "peak-playbook");
  serve(per_phase, "recovery");

  // A remote model behind a host scorer, on an email rail that isolates its
  // ranker: the model stalls for 40 ms on every 8th call, 4x the rail's
  // 10 ms budget. Those requests stop waiting at the rank deadline and are
  // served by the next level with reason "deadline"; the others are ranked.
  std::atomic<uint64_t> remote_calls{0};
  aisle::serving::CircuitBreakerOptions remote_breaker;
  remote_breaker.name = "remote_ctr";
  remote_breaker.call_timeout = absl::Milliseconds(50);
  (void)engine->RegisterScorer(
      "remote_ctr",
      [&remote_calls](aisle::MatrixView f, absl::Span<float> scores, const aisle::Deadline&) {
        if (remote_calls.fetch_add(1) % 8 == 7) absl::SleepFor(absl::Milliseconds(40));
        // The ANN score, or -1 for a candidate ANN did not propose (its
        // feature is missing, NaN): a NaN answer would be a failed call.
        for (size_t i = 0; i < f.rows; ++i) {
          const float ann_score = f.Row(i)[0];
          scores[i] = std::isnan(ann_score) ? -1.0f : ann_score;
        }
        return absl::OkStatus();
      },
      remote_breaker);
  auto with_email = std::make_shared<aisle::serving::Snapshot>(*snap);
  with_email->version = snap->version + "+email";
  PipelineBuilder email("email");
  email.Source("ann", SourceKind::kAnn, 100)
      .Source("covis", SourceKind::kCoVisitation, 50)
      .MaxCandidates(150)
      .Ranker("remote_ctr")
      .IsolateRanker()
      .DefaultK(6)
      .Budget(absl::Milliseconds(10));
  (void)with_email->pipeline.Add(std::move(email));
  if (absl::Status st = engine->Swap(with_email); !st.ok()) {
    std::fprintf(stderr, "swap: %s\n", std::string(st.message()).c_str());
    return 1;
  }
  const size_t email_requests = std::min<size_t>(200, per_phase);
  for (size_t i = 0; i < email_requests; ++i) {
    Request q;
    q.surface = "email";
    q.user_id = absl::StrCat("user-", rng() % 5000);
    q.seed_items = {std::string(cat->id(popularity.Sample(rng)))};
    auto resp = engine->Recommend(q);
    if (!resp.ok()) {
      ++failures;
      continue;
    }
    if (resp->items.empty()) ++empties;
    by_surface["remote-model email"].Add(*resp);
  }
  std::printf(
      "\nremote model on the email rail (isolated, stalls 40 ms on every 8th call, budget 10 "
      "ms)\n");

  std::printf("\n%-26s %8s %8s %8s %8s   levels served\n", "phase / surface", "n", "p50 us",
              "p99 us", "max us");
  for (auto& [name, l] : by_surface) {
    std::string levels;
    for (const auto& [lv, n] : l.levels)
      absl::StrAppend(&levels, levels.empty() ? "" : ", ", lv, "=", n);
    std::printf("%-26s %8zu %8.0f %8.0f %8.0f   %s\n", name.c_str(), l.us.size(), l.Percentile(0.5),
                l.Percentile(0.99), l.Percentile(1.0), levels.c_str());
  }
  std::map<std::string, std::string> details;
  for (auto& [name, l] : by_surface) details.insert(l.details.begin(), l.details.end());
  std::printf("\nwhy levels were skipped (one sample per reason):\n");
  for (const auto& [reason, detail] : details) {
    std::printf("  %-15s %s\n", reason.c_str(), detail.c_str());
  }
  const aisle::serving::EngineMetrics m = engine->metrics();
  std::printf(
      "\nmetrics: requests=%llu errors=%llu empty=%llu events=%llu rejected_events=%llu "
      "switch_changes=%zu isolated_calls=%llu abandoned_at_deadline=%llu\n",
      (unsigned long long)m.requests, (unsigned long long)m.errors,
      (unsigned long long)m.empty_responses, (unsigned long long)m.events_applied,
      (unsigned long long)m.events_rejected, engine->switches().AuditLog().size(),
      (unsigned long long)m.isolated_calls, (unsigned long long)m.isolated_timeouts);
  if (failures > 0 || empties > 0) {
    std::printf("storefront: FAILED (%zu failed, %zu empty responses)\n", failures, empties);
    return 1;
  }
  std::printf("storefront: ok\n");
  return 0;
}
