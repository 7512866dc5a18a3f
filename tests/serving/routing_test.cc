// Routing decides what serves: experiment arms that select a ranker, a
// pipeline and parameters; challengers, holdouts, the kill switch and forced
// variants through the engine; cold-start tiers and the promotion of an
// anonymous session; new items, launch boosts and exposure that survive
// swaps.
#include <algorithm>
#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "aisle/routing/experiment_config.h"
#include "aisle/serving/engine.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "serving/test_storefront.h"

namespace aisle::serving {
namespace {

using ::testing::HasSubstr;
using testing::ItemId;
using testing::kNow;
using testing::MakeSnapshot;

struct Fixture {
  explicit Fixture(std::shared_ptr<Snapshot> snap, EngineOptions o = {}) : clock(kNow) {
    o.clock = &clock;
    auto e = Engine::Create(std::move(snap), o);
    EXPECT_TRUE(e.ok()) << e.status();
    if (e.ok()) engine = std::move(*e);
  }
  FakeClock clock;
  std::unique_ptr<Engine> engine;
};

// A price model that prefers dear items (the snapshot's prefers cheap ones).
ranking::LinearModel DearFirst() {
  ranking::LinearModel m;
  m.name = "dear";
  m.terms = {{"price", 1.0f, 0.0f}};
  return m;
}

routing::LayerSpec Layer(std::string key, std::vector<routing::ExperimentSpec> experiments) {
  routing::LayerSpec l;
  l.key = key;
  l.salt = key + "-salt";
  l.experiments = std::move(experiments);
  return l;
}

routing::ExperimentSpec Experiment(std::string key,
                                   std::vector<std::pair<std::string, std::string>> treatment) {
  routing::ExperimentSpec e;
  e.key = key;
  e.surfaces = {"home"};
  routing::VariantSpec control{"control", 0.5, {}};
  routing::VariantSpec arm{"treatment", 0.5, std::move(treatment)};
  e.variants = {control, arm};
  return e;
}

Request Home(std::string user) {
  Request r;
  r.surface = "home";
  r.user_id = std::move(user);
  r.seed_items = {ItemId("sku-", 3)};
  r.k = 6;
  return r;
}

// The first of u0, u1, ... assigned `variant` of `experiment` on home.
std::string UnitIn(const Engine& e, absl::string_view experiment, absl::string_view variant) {
  for (int u = 0; u < 1000; ++u) {
    const std::string unit = absl::StrCat("u", u);
    auto resp = e.Recommend(Home(unit));
    if (!resp.ok()) continue;
    for (const auto& a : resp->experiments) {
      if (a.experiment == experiment && a.variant == variant && a.in_experiment) return unit;
    }
  }
  return "";
}

std::vector<std::string> Ids(const Response& r) {
  std::vector<std::string> out;
  for (const auto& i : r.items) out.emplace_back(i.id);
  return out;
}

// ------------------------------------------------------------ variants

TEST(Routing, ARankerArmRanksItsUnitsWithItsModel) {
  auto snap = MakeSnapshot("v1");
  snap->models["dear"] = ModelFactory::Linear(DearFirst());
  snap->pipeline.experiments.layers.push_back(
      Layer("ranking", {Experiment("dear-first", {{"ranker", "dear"}})}));
  Fixture f(snap);
  const std::string treated = UnitIn(*f.engine, "dear-first", "treatment");
  const std::string control = UnitIn(*f.engine, "dear-first", "control");
  ASSERT_FALSE(treated.empty());
  ASSERT_FALSE(control.empty());
  auto t = f.engine->Recommend(Home(treated));
  auto c = f.engine->Recommend(Home(control));
  ASSERT_TRUE(t.ok() && c.ok());
  EXPECT_THAT(t->ranker_version, HasSubstr(":dear:"));
  EXPECT_THAT(c->ranker_version, HasSubstr(":price:"));
  EXPECT_THAT(t->params,
              ::testing::ElementsAre(std::pair<std::string, std::string>("ranker", "dear")));
  EXPECT_TRUE(c->params.empty());
  // Dear first vs cheap first: the orders differ.
  EXPECT_NE(Ids(*t), Ids(*c));
  EXPECT_EQ(t->pipeline, "home");
}

TEST(Routing, APipelineArmServesAnotherSurfaceConfiguration) {
  auto snap = MakeSnapshot("v1");
  // home_v2: popularity only, no ranker.
  PipelineBuilder v2("home_v2");
  v2.Source("popular", SourceKind::kPopular, 20).DefaultK(5).Budget(absl::Seconds(5));
  ASSERT_TRUE(snap->pipeline.Add(std::move(v2)).ok());
  snap->pipeline.experiments.layers.push_back(
      Layer("pipelines", {Experiment("popular-home", {{"pipeline", "home_v2"}})}));
  Fixture f(snap);
  const std::string treated = UnitIn(*f.engine, "popular-home", "treatment");
  ASSERT_FALSE(treated.empty());
  auto t = f.engine->Recommend(Home(treated));
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->surface, "home");
  EXPECT_EQ(t->pipeline, "home_v2");
  EXPECT_EQ(t->ranker_version, "");  // home_v2 has no ranker
  EXPECT_THAT(t->source_names, ::testing::ElementsAre("popular"));
}

TEST(Routing, ParameterArmsChangeQuotasBreadthMmrAndBudget) {
  auto snap = MakeSnapshot("v1");
  snap->pipeline.surfaces[0].mmr_lambda = 1.0f;  // MMR that keeps the ranker's order
  snap->pipeline.experiments.layers.push_back(
      Layer("retrieval",
            {Experiment("no-ann", {{"source.ann.quota", "0"}, {"source.covis.quota", "1"}})}));
  snap->pipeline.experiments.layers.push_back(
      Layer("diversity", {Experiment("strong-mmr", {{"mmr.lambda", "0.1"}, {"budget_ms", "7"}})}));
  Fixture f(snap);
  const std::string treated = UnitIn(*f.engine, "no-ann", "treatment");
  ASSERT_FALSE(treated.empty());
  auto t = f.engine->Recommend(Home(treated));
  ASSERT_TRUE(t.ok());
  // Source 0 (ann) was given no quota, co-visitation one: every candidate
  // came from popularity or the one co-visited item.
  for (const auto& item : t->items) EXPECT_EQ(item.sources & 1u, 0u) << item.id;
  EXPECT_LE(t->candidates, 11u);
  const std::string mmr_unit = UnitIn(*f.engine, "strong-mmr", "treatment");
  const std::string plain_unit = UnitIn(*f.engine, "strong-mmr", "control");
  ASSERT_FALSE(mmr_unit.empty());
  ASSERT_FALSE(plain_unit.empty());
  Request a = Home(mmr_unit), b = Home(plain_unit);
  // The same retrieval for both (the retrieval layer's arm may differ: pin it).
  auto ra = f.engine->Recommend(a);
  auto rb = f.engine->Recommend(b);
  ASSERT_TRUE(ra.ok() && rb.ok());
  EXPECT_THAT(ra->params,
              ::testing::Contains(std::pair<std::string, std::string>("mmr.lambda", "0.1")));
  EXPECT_THAT(ra->params,
              ::testing::Contains(std::pair<std::string, std::string>("budget_ms", "7")));
}

TEST(Routing, UnknownNamesInAnArmFailTheSwapNamingTheVariant) {
  Fixture f(MakeSnapshot("v1"));
  for (auto [key, value, needle] : std::vector<std::tuple<std::string, std::string, std::string>>{
           {"ranker", "nope", "ranker 'nope' is neither"},
           {"pipeline", "nope", "pipeline 'nope' is not a surface"},
           {"source.nope.quota", "3", "source 'nope' is not a source of any surface"}}) {
    auto snap = MakeSnapshot("v2");
    snap->pipeline.experiments.layers.push_back(Layer("l", {Experiment("e", {{key, value}})}));
    absl::Status st = f.engine->Swap(snap);
    EXPECT_FALSE(st.ok()) << key;
    EXPECT_THAT(st.message(), HasSubstr("layer 'l', experiment 'e', variant 'treatment'")) << key;
    EXPECT_THAT(st.message(), HasSubstr(needle)) << key;
  }
  EXPECT_EQ(f.engine->snapshot_version(), "v1");
}

// ------------------------------------------------------------ challengers, holdouts, kill

TEST(Routing, AChallengerRanksItsShareOfUnits) {
  auto snap = MakeSnapshot("v1");
  snap->models["dear"] = ModelFactory::Linear(DearFirst());
  snap->pipeline.experiments.layers.push_back(Layer("ranking", {}));
  routing::ChallengerSpec c;
  c.key = "dear-challenger";
  c.layer = "ranking";
  c.ranker = "dear";
  c.share = 0.1;
  c.surfaces = {"home"};
  snap->pipeline.experiments.challengers.push_back(c);
  Fixture f(snap);
  int challenger = 0, control_arm = 0;
  constexpr int kUnits = 4000;
  for (int u = 0; u < kUnits; ++u) {
    auto resp = f.engine->Recommend(Home(absl::StrCat("user-", u)));
    ASSERT_TRUE(resp.ok());
    const bool dear = resp->ranker_version.find(":dear:") != std::string::npos;
    challenger += dear;
    for (const auto& a : resp->experiments) {
      if (a.variant == "control" && a.in_experiment) ++control_arm;
      if (a.variant == "challenger") {
        EXPECT_TRUE(dear);
      }
    }
  }
  // 10% each, within a 99.9% binomial interval (sd = sqrt(4000*0.1*0.9) = 19).
  EXPECT_NEAR(challenger, 400, 62);
  EXPECT_NEAR(control_arm, 400, 62);
}

TEST(Routing, HoldoutKillSwitchAndForcedVariantsThroughTheEngine) {
  auto snap = MakeSnapshot("v1");
  snap->models["dear"] = ModelFactory::Linear(DearFirst());
  routing::ExperimentSpec e = Experiment("dear-first", {{"ranker", "dear"}});
  e.forced_variants = {{"qa-1", "treatment"}};
  snap->pipeline.experiments.layers.push_back(Layer("ranking", {e}));
  routing::HoldoutSpec h;
  h.key = "global";
  h.salt = "global-holdout";
  h.share = 0.2;
  h.layers = {"ranking"};
  snap->pipeline.experiments.holdouts.push_back(h);
  Fixture f(snap);
  // The forced QA unit sees the treatment.
  auto qa = f.engine->Recommend(Home("qa-1"));
  ASSERT_TRUE(qa.ok());
  ASSERT_EQ(qa->experiments.size(), 1u);
  EXPECT_TRUE(qa->experiments[0].forced);
  EXPECT_THAT(qa->ranker_version, HasSubstr(":dear:"));
  // Held-out units get control and say so.
  int held = 0;
  for (int u = 0; u < 500; ++u) {
    auto resp = f.engine->Recommend(Home(absl::StrCat("h", u)));
    ASSERT_TRUE(resp.ok());
    if (!resp->holdout) continue;
    ++held;
    ASSERT_EQ(resp->experiments.size(), 1u);
    EXPECT_TRUE(resp->experiments[0].holdout);
    EXPECT_FALSE(resp->experiments[0].in_experiment);
    EXPECT_THAT(resp->ranker_version, HasSubstr(":price:"));
  }
  EXPECT_NEAR(held, 100, 40);
  EXPECT_EQ(f.engine->metrics().holdout_requests, uint64_t(held));
  // Kill: every unit to control from the next request, recorded; revive.
  const std::string treated = UnitIn(*f.engine, "dear-first", "treatment");
  ASSERT_FALSE(treated.empty());
  EXPECT_TRUE(absl::IsNotFound(f.engine->KillExperiment("dear-frist", "typo", "oncall")));
  ASSERT_TRUE(f.engine->KillExperiment("dear-first", "conversion dropped", "oncall:ana").ok());
  for (const std::string& unit : {treated, std::string("qa-1")}) {
    auto resp = f.engine->Recommend(Home(unit));
    ASSERT_TRUE(resp.ok());
    EXPECT_THAT(resp->ranker_version, HasSubstr(":price:")) << unit;
    EXPECT_TRUE(resp->experiments[0].killed) << unit;
    EXPECT_FALSE(resp->experiments[0].in_experiment) << unit;
  }
  ASSERT_EQ(f.engine->KilledExperiments().size(), 1u);
  EXPECT_EQ(f.engine->KilledExperiments()[0].reason, "conversion dropped");
  EXPECT_EQ(f.engine->KilledExperiments()[0].since, f.clock.Now());
  // The kill survives a swap.
  ASSERT_TRUE(f.engine->Swap(snap).ok());
  EXPECT_THAT(f.engine->Recommend(Home(treated))->ranker_version, HasSubstr(":price:"));
  ASSERT_TRUE(f.engine->ReviveExperiment("dear-first", "fixed", "oncall:ana").ok());
  EXPECT_THAT(f.engine->Recommend(Home(treated))->ranker_version, HasSubstr(":dear:"));
  EXPECT_EQ(f.engine->ExperimentAuditLog().size(), 2u);
  EXPECT_GT(f.engine->metrics().killed_assignments, 0u);
}

// ------------------------------------------------------------ cold start

TEST(Routing, AnAnonymousSessionIsPromotedAsItsEventsArrive) {
  Fixture f(MakeSnapshot("v1"));
  Request r;
  r.surface = "home";
  r.session_id = "anon-1";
  r.context = {{"geo", "DE"}, {"device", "mobile"}};
  auto resp = f.engine->Recommend(r);
  ASSERT_TRUE(resp.ok());
  EXPECT_EQ(resp->tier, routing::ColdStartTier::kAnonymous);
  EXPECT_EQ(resp->tier_reason, "no history");
  EXPECT_NE(resp->fallback_level, FallbackLevel::kPersonalized);
  for (int n = 1; n <= 12; ++n) {
    ASSERT_TRUE(f.engine
                    ->ApplyInteraction("", "anon-1", ItemId("sku-", 20 + n % 3),
                                       retrieval::InteractionType::kView, f.clock.Now())
                    .ok());
    resp = f.engine->Recommend(r);
    ASSERT_TRUE(resp.ok());
    if (n < 10) {
      // No user id, no profile: the session's own views promote it.
      EXPECT_EQ(resp->tier, routing::ColdStartTier::kFewInteractions) << n;
      EXPECT_EQ(resp->fallback_level, FallbackLevel::kPersonalized) << n;
      EXPECT_THAT(resp->source_names, ::testing::Contains("content")) << n;
      EXPECT_EQ(resp->tier_reason,
                absl::StrCat("session has ", n, n == 1 ? " interaction" : " interactions"));
    } else {
      EXPECT_EQ(resp->tier, routing::ColdStartTier::kKnown) << n;
      EXPECT_THAT(resp->source_names, ::testing::Not(::testing::Contains("content"))) << n;
    }
  }
  // Content candidates resemble what the session viewed (category 2).
  Request few = r;
  few.session_id = "anon-2";
  for (int n = 0; n < 3; ++n) {
    ASSERT_TRUE(f.engine
                    ->ApplyInteraction("", "anon-2", ItemId("sku-", 21 + n),
                                       retrieval::InteractionType::kView, f.clock.Now())
                    .ok());
  }
  resp = f.engine->Recommend(few);
  ASSERT_TRUE(resp.ok());
  EXPECT_EQ(resp->tier, routing::ColdStartTier::kFewInteractions);
  int same_category = 0;
  for (const auto& item : resp->items) same_category += item.index / 10 == 2;
  EXPECT_GE(same_category, 3);
}

TEST(Routing, ContextSegmentServesAnonymousVisitorsWhatTheirSegmentBuys) {
  auto snap = MakeSnapshot("v1");
  routing::ContextSegmenterConfig seg;
  seg.num_segments = 4;
  seg.keys = {"geo"};
  seg.rules = {{{{"geo", "DE"}}, 2}};
  snap->pipeline.segmenter = seg;
  Fixture f(snap);
  // A German session buys item 37 (unpopular overall); its events count in
  // segment 2 because the session was served from it.
  Request de;
  de.surface = "home";
  de.session_id = "de-1";
  de.context = {{"geo", "DE"}};
  ASSERT_TRUE(f.engine->Recommend(de).ok());
  for (int n = 0; n < 5; ++n) {
    ASSERT_TRUE(f.engine
                    ->ApplyInteraction("", "de-1", ItemId("sku-", 37),
                                       retrieval::InteractionType::kPurchase, f.clock.Now())
                    .ok());
  }
  f.engine->PublishLiveState();
  Request other = de;
  other.session_id = "de-2";  // a new German visitor, no history
  auto resp = f.engine->Recommend(other);
  ASSERT_TRUE(resp.ok());
  EXPECT_EQ(resp->tier, routing::ColdStartTier::kAnonymous);
  EXPECT_EQ(resp->fallback_level, FallbackLevel::kSegment) << resp->fallback_detail;
  ASSERT_FALSE(resp->items.empty());
  EXPECT_EQ(resp->items[0].id, ItemId("sku-", 37));
  // A French visitor is in another segment: nothing bought there yet.
  Request fr = other;
  fr.session_id = "fr-1";
  fr.context = {{"geo", "FR"}};
  resp = f.engine->Recommend(fr);
  ASSERT_TRUE(resp.ok());
  EXPECT_NE(resp->fallback_level, FallbackLevel::kSegment);
}

TEST(Routing, TierThresholdsAndPipelinesArePerSurface) {
  auto snap = MakeSnapshot("v1");
  PipelineBuilder newcomer("newcomer_home");
  newcomer.Source("popular", SourceKind::kPopular, 20).DefaultK(5).Budget(absl::Seconds(5));
  ASSERT_TRUE(snap->pipeline.Add(std::move(newcomer)).ok());
  snap->pipeline.surfaces[0].known_min_interactions = 3;
  snap->pipeline.surfaces[0]
      .tier_pipelines[static_cast<size_t>(routing::ColdStartTier::kFewInteractions)] =
      "newcomer_home";
  Fixture f(snap);
  Request r;
  r.surface = "home";
  r.user_id = "u1";
  ASSERT_TRUE(f.engine
                  ->ApplyInteraction("u1", "", ItemId("sku-", 5), retrieval::InteractionType::kView,
                                     f.clock.Now())
                  .ok());
  auto resp = f.engine->Recommend(r);
  ASSERT_TRUE(resp.ok());
  EXPECT_EQ(resp->tier, routing::ColdStartTier::kFewInteractions);
  EXPECT_EQ(resp->pipeline, "newcomer_home");
  for (int n = 0; n < 2; ++n) {
    ASSERT_TRUE(f.engine
                    ->ApplyInteraction("u1", "", ItemId("sku-", 6 + n),
                                       retrieval::InteractionType::kView, f.clock.Now())
                    .ok());
  }
  resp = f.engine->Recommend(r);
  ASSERT_TRUE(resp.ok());
  EXPECT_EQ(resp->tier, routing::ColdStartTier::kKnown);  // 3 is known on this surface
  EXPECT_EQ(resp->pipeline, "home");
  // A bad tier pipeline fails the swap.
  snap->pipeline.surfaces[0].tier_pipelines[0] = "nowhere";
  EXPECT_THAT(f.engine->Swap(snap).message(), HasSubstr("names pipeline 'nowhere'"));
  const EngineMetrics m = f.engine->metrics();
  EXPECT_EQ(m.served_by_tier[1] + m.served_by_tier[2], 2u);
}

// ------------------------------------------------------------ new items

TEST(Routing, ItemsLaunchedAfterTheSnapshotWasBuiltEnterThePoolWhenTheyAppear) {
  auto snap = MakeSnapshot("v1");
  // Item 10 launches in two hours; items 38 and 39 launched a day ago.
  auto cat = testing::MakeCatalog();
  PipelineBuilder news("news");
  news.Source("new", SourceKind::kNewItems, 10).DefaultK(5).Budget(absl::Seconds(5));
  news.ExplorationSlots({0}, absl::Hours(48), 1000);
  ASSERT_TRUE(snap->pipeline.Add(std::move(news)).ok());
  // A catalog where sku-10 launches two hours after kNow.
  catalog::CatalogBuilder b({.embedding_dim = testing::kDim});
  for (ItemIndex i = 0; i < cat->size(); ++i) {
    const std::string id(cat->id(i));
    const std::string path(cat->categories().path(cat->category(i)));
    catalog::ItemSpec s;
    s.id = id;
    s.category = path;
    s.price = cat->price(i);
    s.stock = 5;
    s.launch_time =
        i == 10 ? kNow + absl::Hours(2) : absl::FromUnixMicros(cat->launch_times_micros()[i]);
    s.embedding = cat->embedding(i);  // `cat` outlives the builder
    absl::Status st = b.AddItem(s);
    ASSERT_TRUE(st.ok()) << st;
  }
  snap->catalog = std::make_shared<const catalog::Catalog>(*b.Build());
  Fixture f(snap);
  Request r;
  r.surface = "news";
  r.seed_items = {ItemId("sku-", 1)};
  auto resp = f.engine->Recommend(r);
  ASSERT_TRUE(resp.ok());
  EXPECT_THAT(Ids(*resp), ::testing::Not(::testing::Contains(ItemId("sku-", 10))));
  f.clock.Advance(absl::Hours(3));
  resp = f.engine->Recommend(r);
  ASSERT_TRUE(resp.ok());
  ASSERT_FALSE(resp->items.empty());
  EXPECT_EQ(resp->items[0].id, ItemId("sku-", 10));  // newest first
}

TEST(Routing, ExposureCountsSurviveASwap) {
  auto make = [](absl::string_view version) {
    auto snap = MakeSnapshot(version);
    snap->pipeline.surfaces[0].exploration_positions = {0};
    snap->pipeline.surfaces[0].new_item_window = absl::Hours(48);
    snap->pipeline.surfaces[0].exploration_budget = 3;  // three impressions per new item
    return snap;
  };
  Fixture f(make("v1"));
  int explored = 0;
  auto serve = [&] {
    for (int i = 0; i < 4; ++i) {
      auto resp = f.engine->Recommend(Home(absl::StrCat("x", i)));
      ASSERT_TRUE(resp.ok());
      for (const auto& item : resp->items) explored += item.reason == "exploration";
    }
  };
  serve();
  EXPECT_EQ(explored, 4);  // items 38 and 39 are new: budget 3 each, 4 requests
  ASSERT_TRUE(f.engine->Swap(make("v2")).ok());
  serve();
  EXPECT_EQ(explored, 6);  // only the 2 impressions left; before, a swap reset them
}

TEST(Routing, LaunchBoostLiftsNewItemsAndFades) {
  auto snap = MakeSnapshot("v1");
  PipelineBuilder boosted("boosted");
  boosted.Source("popular", SourceKind::kPopular, 40).DefaultK(40).Budget(absl::Seconds(5));
  boosted.LaunchBoost({.window = absl::Hours(72), .boost = 1000.0f});
  ASSERT_TRUE(snap->pipeline.Add(std::move(boosted)).ok());
  Fixture f(snap);
  Request r;
  r.surface = "boosted";
  r.seed_items = {ItemId("sku-", 1)};
  auto resp = f.engine->Recommend(r);
  ASSERT_TRUE(resp.ok());
  // Items 38 and 39 launched a day ago and are the least popular; the boost
  // (1000 x 2/3) puts them first.
  ASSERT_GE(resp->items.size(), 2u);
  EXPECT_THAT(
      (std::vector<std::string>{std::string(resp->items[0].id), std::string(resp->items[1].id)}),
      ::testing::UnorderedElementsAre(ItemId("sku-", 38), ItemId("sku-", 39)));
  f.clock.Advance(absl::Hours(72));
  resp = f.engine->Recommend(r);
  ASSERT_TRUE(resp.ok());
  EXPECT_NE(resp->items[0].id, ItemId("sku-", 38));
  EXPECT_NE(resp->items[0].id, ItemId("sku-", 39));
}

// ------------------------------------------------------------ live inventory in retrieval

TEST(Routing, SoldOutItemsNeverTakeRetrievalQuota) {
  Fixture f(MakeSnapshot("v1"));
  // 30% of the catalog sold out (12 of 40 items), another item blocked.
  for (int i = 0; i < 40; i += 3) {
    if (i == 3) continue;
    ASSERT_TRUE(f.engine->SetStock(ItemId("sku-", i), 0).ok());
  }
  Request r;
  r.surface = "product_page";  // ANN quota 20 + co-visitation 10, max 30
  r.seed_items = {ItemId("sku-", 3)};
  r.k = 30;
  auto resp = f.engine->Recommend(r);
  ASSERT_TRUE(resp.ok());
  // The ANN source filled its whole quota with sellable items: nothing had
  // to be filtered after retrieval.
  EXPECT_EQ(resp->filtered, 0u);
  int ann = 0;
  for (const auto& item : resp->items) {
    const int i = std::stoi(std::string(item.id.substr(4)));
    EXPECT_FALSE(i % 3 == 0 && i != 3) << item.id << " is sold out";
    ann += (item.sources & 1u) != 0;
  }
  EXPECT_EQ(ann, 20);
  // Restocked: retrieval sees it at the next request.
  ASSERT_TRUE(f.engine->SetStock(ItemId("sku-", 6), 4).ok());
  resp = f.engine->Recommend(r);
  ASSERT_TRUE(resp.ok());
  bool found = false;
  for (const auto& item : resp->items) found = found || item.id == ItemId("sku-", 6);
  EXPECT_TRUE(found);
}

TEST(Routing, ExplorationRunsAsAnExperimentArm) {
  auto snap = MakeSnapshot("v1");
  snap->pipeline.surfaces[0].exploration_positions = {0, 2};
  snap->pipeline.surfaces[0].new_item_window = absl::Hours(48);
  snap->pipeline.surfaces[0].exploration_budget = 100000;
  snap->pipeline.experiments.layers.push_back(
      Layer("explore", {Experiment("no-exploration", {{"exploration", "off"}})}));
  snap->pipeline.experiments.layers.push_back(
      Layer("explore-share", {}));  // an empty layer is allowed
  Fixture f(snap);
  int control_explored = 0, treated_explored = 0, control = 0, treated = 0;
  for (int u = 0; u < 200; ++u) {
    auto resp = f.engine->Recommend(Home(absl::StrCat("e", u)));
    ASSERT_TRUE(resp.ok());
    int explored = 0;
    for (const auto& item : resp->items) explored += item.reason == "exploration";
    const bool off = !resp->experiments.empty() && resp->experiments[0].in_experiment &&
                     resp->experiments[0].variant == "treatment";
    (off ? treated : control) += 1;
    (off ? treated_explored : control_explored) += explored;
  }
  ASSERT_GT(treated, 0);
  ASSERT_GT(control, 0);
  EXPECT_EQ(treated_explored, 0);
  EXPECT_EQ(control_explored, 2 * control);  // both slots, items 38 and 39
}

TEST(Routing, AShadowArmScoresOnASurfaceWithoutShadowsOfItsOwn) {
  auto snap = MakeSnapshot("v1");
  snap->models["dear"] = ModelFactory::Linear(DearFirst());
  snap->pipeline.experiments.layers.push_back(
      Layer("shadows", {Experiment("dear-shadow", {{"shadow", "dear"}})}));
  Fixture f(snap);
  const std::string treated = UnitIn(*f.engine, "dear-shadow", "treatment");
  ASSERT_FALSE(treated.empty());
  (void)f.engine->DrainShadowResults();
  auto resp = f.engine->Recommend(Home(treated));
  ASSERT_TRUE(resp.ok());
  EXPECT_THAT(resp->ranker_version, HasSubstr(":price:"));  // the served ranker is unchanged
  ASSERT_EQ(resp->shadow_rankers.size(), 1u);
  EXPECT_THAT(resp->shadow_rankers[0], HasSubstr(":dear:"));
  std::vector<ShadowResult> results;
  for (int i = 0; i < 500; ++i) {
    for (ShadowResult& r : f.engine->DrainShadowResults()) {
      if (r.request_id == resp->request_id) results.push_back(std::move(r));
    }
    if (!results.empty()) break;
    absl::SleepFor(absl::Milliseconds(2));
  }
  ASSERT_EQ(results.size(), 1u);
  EXPECT_TRUE(results[0].status.ok()) << results[0].status;
  EXPECT_FALSE(results[0].scores.empty());
}

}  // namespace
}  // namespace aisle::serving
