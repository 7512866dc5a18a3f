// Hostile and careless input through the Engine: event times, resource
// bounds, non-finite scores, duplicates, cross-part snapshot mismatches, ids
// and stock. Each test also checks that the engine keeps serving what it
// served before the bad input.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "aisle/core/clock.h"
#include "aisle/features/item_feature_store.h"
#include "aisle/retrieval/ann_index.h"
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

constexpr int kItems = testing::kCategories * testing::kPerCategory;

// The test snapshot plus "rail", a popularity-only surface that lists every
// item by decayed popularity.
std::shared_ptr<Snapshot> SnapshotWithRail(absl::string_view version = "v1") {
  auto s = MakeSnapshot(version);
  PipelineBuilder rail("rail");
  rail.Source("popular", SourceKind::kPopular, kItems)
      .MaxCandidates(kItems)
      .DefaultK(kItems)
      .Budget(absl::Seconds(5));
  EXPECT_TRUE(s->pipeline.Add(std::move(rail)).ok());
  return s;
}

struct Fixture {
  explicit Fixture(EngineOptions o = {}, std::shared_ptr<Snapshot> snap = SnapshotWithRail())
      : clock(kNow) {
    o.clock = &clock;
    auto e = Engine::Create(std::move(snap), o);
    EXPECT_TRUE(e.ok()) << e.status();
    if (e.ok()) engine = std::move(*e);
  }
  FakeClock clock;
  std::unique_ptr<Engine> engine;
};

Request Rail() {
  Request r;
  r.surface = "rail";
  return r;
}

Request ProductPage(std::vector<std::string> seeds) {
  Request r;
  r.surface = "product_page";
  r.user_id = "u-fixed";
  r.seed_items = std::move(seeds);
  return r;
}

Request Search(std::vector<std::string> candidates) {
  Request r;
  r.surface = "search";
  r.search_candidates = std::move(candidates);
  r.k = 10;
  return r;
}

std::vector<std::string> Ids(const Response& r) {
  std::vector<std::string> out;
  for (const auto& i : r.items) out.emplace_back(i.id);
  return out;
}

// What a fixed set of requests is served: ids with scores, level and reason.
std::vector<std::string> Answers(const Engine& e) {
  std::vector<std::string> out;
  for (const Request& r : {Rail(), ProductPage({ItemId("sku-", 0)}),
                           Search({ItemId("sku-", 4), ItemId("sku-", 2), ItemId("sku-", 9)})}) {
    auto resp = e.Recommend(r);
    if (!resp.ok()) {
      out.push_back(std::string(resp.status().message()));
      continue;
    }
    std::string line = absl::StrCat(r.surface, " ", FallbackLevelName(resp->fallback_level), " ",
                                    FallbackReasonName(resp->fallback_reason), ":");
    for (const auto& i : resp->items) absl::StrAppend(&line, " ", i.id, "=", i.score);
    out.push_back(line);
  }
  return out;
}

int Position(const Response& r, const std::string& id) {
  for (size_t i = 0; i < r.items.size(); ++i) {
    if (r.items[i].id == id) return static_cast<int>(i);
  }
  return -1;
}

void ExpectFiniteScores(const Response& r) {
  for (const auto& i : r.items) EXPECT_TRUE(std::isfinite(i.score)) << i.id << " " << i.score;
}

// ------------------------------------------------------------ event times

TEST(HostileInput, NoTimeValueIsRefusedAndNeverPoisonsPopularity) {
  Fixture f;
  const auto before = Answers(*f.engine);
  const absl::Time no_time = absl::FromUnixMicros(std::numeric_limits<int64_t>::min());
  absl::Status st = f.engine->ApplyInteraction("u1", "s1", ItemId("sku-", 39),
                                               retrieval::InteractionType::kPurchase, no_time);
  EXPECT_TRUE(absl::IsInvalidArgument(st)) << st;
  EXPECT_THAT(st.message(), HasSubstr("item 'sku-39'"));
  EXPECT_THAT(st.message(), HasSubstr("INT64_MIN (no time)"));
  f.engine->PublishLiveState();
  EXPECT_EQ(Answers(*f.engine), before);
  const EngineMetrics m = f.engine->metrics();
  EXPECT_EQ(m.events_rejected_time, 1u);
  EXPECT_EQ(m.events_rejected, 1u);
  EXPECT_EQ(m.events_applied, 0u);

  // Normal events still move the table: the least popular item climbs.
  for (int n = 0; n < 60; ++n) {
    ASSERT_TRUE(f.engine
                    ->ApplyInteraction("u1", "s1", ItemId("sku-", 39),
                                       retrieval::InteractionType::kView, f.clock.Now())
                    .ok());
  }
  f.engine->PublishLiveState();
  auto rail = f.engine->Recommend(Rail());
  ASSERT_TRUE(rail.ok());
  EXPECT_EQ(rail->items.front().id, ItemId("sku-", 39));
  ExpectFiniteScores(*rail);
}

TEST(HostileInput, FarFutureEventIsClampedToNowAndCannotPinAnItem) {
  Fixture f;
  // One purchase stamped in 2100 on the least popular item.
  ASSERT_TRUE(f.engine
                  ->ApplyInteraction("u1", "s1", ItemId("sku-", 39),
                                     retrieval::InteractionType::kView,
                                     absl::FromUnixSeconds(4102444800))
                  .ok());
  EXPECT_EQ(f.engine->metrics().events_clamped_new, 1u);
  // Three ordinary views of its neighbour now outweigh it: the 2100 event
  // counted as one event now, not as one that outweighs every other count.
  for (int n = 0; n < 3; ++n) {
    ASSERT_TRUE(f.engine
                    ->ApplyInteraction("u2", "s2", ItemId("sku-", 38),
                                       retrieval::InteractionType::kView, f.clock.Now())
                    .ok());
  }
  f.engine->PublishLiveState();
  auto rail = f.engine->Recommend(Rail());
  ASSERT_TRUE(rail.ok());
  ExpectFiniteScores(*rail);
  EXPECT_EQ(rail->items.front().id, ItemId("sku-", 0));  // still the best seller
  const int p38 = Position(*rail, ItemId("sku-", 38));
  const int p39 = Position(*rail, ItemId("sku-", 39));
  ASSERT_GE(p38, 0);
  ASSERT_GE(p39, 0);
  EXPECT_LT(p38, p39);
  // An hour later the table still decays and ranks normally.
  f.clock.Advance(absl::Hours(1));
  for (int n = 0; n < 80; ++n) {
    ASSERT_TRUE(f.engine
                    ->ApplyInteraction("u3", "s3", ItemId("sku-", 20),
                                       retrieval::InteractionType::kView, f.clock.Now())
                    .ok());
  }
  f.engine->PublishLiveState();
  rail = f.engine->Recommend(Rail());
  ASSERT_TRUE(rail.ok());
  EXPECT_EQ(rail->items.front().id, ItemId("sku-", 20));
  ExpectFiniteScores(*rail);
}

TEST(HostileInput, EventWindowRejectsOrClampsEachSideAsConfigured) {
  EngineOptions o;
  o.event_time.too_new = OutOfWindow::kReject;
  o.event_time.too_old = OutOfWindow::kClamp;
  Fixture f(o);
  const auto before = Answers(*f.engine);
  absl::Status st =
      f.engine->ApplyInteraction("u1", "s1", ItemId("sku-", 5), retrieval::InteractionType::kView,
                                 f.clock.Now() + absl::Hours(3));
  EXPECT_TRUE(absl::IsInvalidArgument(st));
  EXPECT_THAT(st.message(), HasSubstr("ahead of the engine's clock"));
  EXPECT_THAT(st.message(), HasSubstr("max_lead 5m"));
  f.engine->PublishLiveState();
  EXPECT_EQ(Answers(*f.engine), before);
  // Too old: applied at the window's edge (now - 7 days).
  ASSERT_TRUE(f.engine
                  ->ApplyInteraction("u1", "s1", ItemId("sku-", 5),
                                     retrieval::InteractionType::kView, absl::FromUnixSeconds(0))
                  .ok());
  const EngineMetrics m = f.engine->metrics();
  EXPECT_EQ(m.events_rejected_new, 1u);
  EXPECT_EQ(m.events_clamped_old, 1u);
  EXPECT_EQ(m.events_applied, 1u);

  Fixture defaults;  // too old is refused by default
  st = defaults.engine->ApplyInteraction("u1", "s1", ItemId("sku-", 5),
                                         retrieval::InteractionType::kView,
                                         defaults.clock.Now() - absl::Hours(24 * 8));
  EXPECT_THAT(st.message(), HasSubstr("older than the event window's max_age 168h"));
  EXPECT_EQ(defaults.engine->metrics().events_rejected_old, 1u);
  // No time at all: applied at the clock's now, and counted.
  ASSERT_TRUE(defaults.engine
                  ->ApplyInteraction("u1", "s1", ItemId("sku-", 5),
                                     retrieval::InteractionType::kView, absl::InfinitePast())
                  .ok());
  EXPECT_EQ(defaults.engine->metrics().events_time_missing, 1u);
}

TEST(HostileInput, ARefusedEventChangesNothingAnywhere) {
  Fixture f;
  const auto before = Answers(*f.engine);
  // Co-visitation would accept these; popularity or the checks refuse: no
  // half-applied event may remain.
  EXPECT_THAT(f.engine
                  ->ApplyInteraction("u1", "s1", ItemId("sku-", 7),
                                     retrieval::InteractionType::kView, f.clock.Now(), 1 << 20)
                  .message(),
              HasSubstr("segment 1048576 is outside [0, 64]"));
  EXPECT_THAT(f.engine
                  ->ApplyInteraction("u1", std::string("s\0x", 3), ItemId("sku-", 7),
                                     retrieval::InteractionType::kView, f.clock.Now())
                  .message(),
              HasSubstr("session_id"));
  EXPECT_THAT(f.engine
                  ->ApplyInteraction("u1", "s1", ItemId("sku-", 7),
                                     static_cast<retrieval::InteractionType>(9), f.clock.Now())
                  .message(),
              HasSubstr("interaction type 9"));
  f.engine->PublishLiveState();
  EXPECT_EQ(Answers(*f.engine), before);
  EXPECT_EQ(f.engine->metrics().events_rejected, 3u);
  EXPECT_EQ(f.engine->metrics().events_applied, 0u);
}

// ------------------------------------------------------------ resources

TEST(HostileInput, AbsurdEngineOptionsFailCleanlyNamingTheOption) {
  FakeClock clock(kNow);
  const auto create = [&](EngineOptions o) {
    o.clock = &clock;
    return Engine::Create(SnapshotWithRail(), o).status();
  };
  EngineOptions o;
  o.history_length = 1u << 31;
  EXPECT_THAT(create(o).message(),
              HasSubstr("EngineOptions.history_length = 2147483648 is outside [0, 1024]"));
  o = EngineOptions();
  o.isolation_threads = size_t{1} << 40;
  o.isolation_max_outstanding = size_t{1} << 41;
  EXPECT_THAT(create(o).message(), HasSubstr("isolation threads = 1099511627776"));
  o = EngineOptions();
  o.isolation_max_outstanding = 1;
  EXPECT_THAT(create(o).message(), HasSubstr("max_outstanding = 1 is outside [threads = 4"));
  o = EngineOptions();
  o.num_segments = 1u << 30;
  EXPECT_THAT(create(o).message(), HasSubstr("num_segments = 1073741824"));
  o = EngineOptions();
  o.event_time.max_age = -absl::Seconds(1);
  EXPECT_THAT(create(o).message(), HasSubstr("event_time"));
  o = EngineOptions();
  o.extra_surfaces = {std::string("bad\0name", 8)};
  EXPECT_THAT(create(o).message(), HasSubstr("extra_surfaces[0]"));
  o = EngineOptions();
  o.history_length = 1000;
  EXPECT_TRUE(create(o).ok());
}

// ------------------------------------------------------------ scores

// Answers NaN for one row and finite scores for the rest.
class NanRanker final : public ranking::Ranker {
 public:
  explicit NanRanker(size_t width, float bad) : width_(width), bad_(bad) {}
  absl::string_view version() const override { return "nan-ranker"; }
  size_t num_features() const override { return width_; }
  absl::Status Score(MatrixView f, absl::Span<float> s) const override {
    for (size_t r = 0; r < f.rows; ++r) s[r] = r == 2 ? bad_ : float(r);
    return absl::OkStatus();
  }

 private:
  size_t width_;
  float bad_;
};

size_t SchemaWidth(const Engine& e) {
  Request r;
  r.surface = "home";
  auto m = e.AssembleFeatures(r, {ItemId("sku-", 0)});
  return m.ok() ? m->cols : 0;
}

TEST(HostileInput, NonFiniteScoresAreARankerFailureWithTheirOwnReason) {
  for (float bad : {std::numeric_limits<float>::quiet_NaN(), std::numeric_limits<float>::infinity(),
                    -std::numeric_limits<float>::infinity()}) {
    Fixture probe;
    const size_t width = SchemaWidth(*probe.engine);
    ASSERT_GT(width, 0u);
    auto snap = SnapshotWithRail();
    snap->models["price"] = ModelFactory::Bound(std::make_shared<NanRanker>(width, bad));
    Fixture f({}, snap);
    Request r;
    r.surface = "home";
    r.user_id = "u1";
    r.seed_items = {ItemId("sku-", 3)};
    auto resp = f.engine->Recommend(r);
    ASSERT_TRUE(resp.ok()) << resp.status();
    EXPECT_EQ(resp->fallback_reason, FallbackReason::kNonFiniteScore) << bad;
    EXPECT_NE(resp->fallback_level, FallbackLevel::kPersonalized);
    EXPECT_FALSE(resp->items.empty());
    ExpectFiniteScores(*resp);
    EXPECT_THAT(resp->fallback_detail, HasSubstr("ranker 'nan-ranker' returned"));
    EXPECT_THAT(resp->fallback_detail, HasSubstr("(item 'sku-"));
    EXPECT_EQ(
        f.engine->metrics().fallback_reasons[static_cast<int>(FallbackReason::kNonFiniteScore)],
        1u);
  }
  EXPECT_EQ(FallbackReasonName(FallbackReason::kNonFiniteScore), "non_finite_score");
}

TEST(HostileInput, AHostScorerAnsweringInfinityTripsItsBreaker) {
  Fixture f;
  CircuitBreakerOptions bo;
  bo.min_requests = 2;
  bo.failure_rate_threshold = 0.5;
  bo.open_duration = absl::Seconds(30);
  ASSERT_TRUE(f.engine
                  ->RegisterScorer(
                      "remote",
                      [](MatrixView m, absl::Span<float> s, const Deadline&) {
                        for (size_t i = 0; i < m.rows; ++i) s[i] = float(i);
                        s[0] = std::numeric_limits<float>::infinity();
                        return absl::OkStatus();
                      },
                      bo)
                  .ok());
  auto snap = SnapshotWithRail("v2");
  snap->pipeline.surfaces[0].ranker = "remote";
  ASSERT_TRUE(f.engine->Swap(snap).ok());
  Request r;
  r.surface = "home";
  r.user_id = "u1";
  r.seed_items = {ItemId("sku-", 3)};
  for (int i = 0; i < 2; ++i) {
    auto resp = f.engine->Recommend(r);
    ASSERT_TRUE(resp.ok());
    EXPECT_EQ(resp->fallback_reason, FallbackReason::kNonFiniteScore);
    EXPECT_THAT(resp->fallback_detail, HasSubstr("host:remote"));
    ExpectFiniteScores(*resp);
  }
  const CircuitBreaker* b = f.engine->scorer_breaker("remote");
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(b->counters().failures, 2u);
  EXPECT_EQ(b->state(), BreakerState::kOpen);
  auto resp = f.engine->Recommend(r);
  ASSERT_TRUE(resp.ok());
  EXPECT_EQ(resp->fallback_reason, FallbackReason::kBreakerOpen);
}

// ------------------------------------------------------------ duplicates

TEST(HostileInput, RepeatedRequestIdsAreUsedOnceAndCounted) {
  Fixture f;
  auto resp = f.engine->Recommend(
      Search({ItemId("sku-", 3), ItemId("sku-", 3), ItemId("sku-", 5), ItemId("sku-", 3)}));
  ASSERT_TRUE(resp.ok());
  EXPECT_THAT(Ids(*resp), ::testing::UnorderedElementsAre(ItemId("sku-", 3), ItemId("sku-", 5)));
  EXPECT_EQ(f.engine->metrics().duplicate_request_items, 2u);
  // Also on the lexical level (personalization switched off).
  ASSERT_TRUE(
      f.engine->switches().SetFlag("search", SwitchFlag::kPersonalization, false, "test").ok());
  resp = f.engine->Recommend(Search({ItemId("sku-", 9), ItemId("sku-", 9), ItemId("sku-", 1)}));
  ASSERT_TRUE(resp.ok());
  EXPECT_EQ(resp->fallback_level, FallbackLevel::kLexical);
  EXPECT_THAT(Ids(*resp), ::testing::ElementsAre(ItemId("sku-", 9), ItemId("sku-", 1)));
  // Seeds, cart and bought lists; a seed that is also in the cart is no repeat.
  Request r = ProductPage({ItemId("sku-", 0), ItemId("sku-", 0)});
  r.cart_items = {ItemId("sku-", 0), ItemId("sku-", 11), ItemId("sku-", 11)};
  r.bought_items = {ItemId("sku-", 12), ItemId("sku-", 12)};
  resp = f.engine->Recommend(r);
  ASSERT_TRUE(resp.ok());
  EXPECT_EQ(f.engine->metrics().duplicate_request_items, 3u + 3u);
  std::vector<std::string> ids = Ids(*resp);
  std::sort(ids.begin(), ids.end());
  EXPECT_EQ(std::adjacent_find(ids.begin(), ids.end()), ids.end());
}

// ------------------------------------------------------------ snapshots

std::shared_ptr<const retrieval::AnnIndex> AnnOfDim(size_t rows, size_t dim) {
  std::vector<float> data(rows * dim);
  for (size_t i = 0; i < data.size(); ++i) data[i] = float((i * 7919) % 97) / 97.0f + 0.01f;
  retrieval::AnnIndexOptions ao;
  ao.metric = retrieval::Metric::kCosine;
  auto ann = retrieval::AnnIndex::Build(MatrixView(data.data(), rows, dim), ao);
  EXPECT_TRUE(ann.ok()) << ann.status();
  return std::move(*ann);
}

TEST(HostileInput, SnapshotPartsThatDisagreeAreRefusedAtBuildAndSwap) {
  Fixture f;
  const auto before = Answers(*f.engine);
  struct Case {
    std::string what;
    std::function<void(Snapshot&)> spoil;
    std::string message;
  };
  const std::vector<Case> cases = {
      {"ann dimension", [](Snapshot& s) { s.ann = AnnOfDim(kItems, 4); },
       "the ANN index has dimension 4 but the catalog's embeddings have 8"},
      {"ann size", [](Snapshot& s) { s.ann = AnnOfDim(kItems + 5, 8); },
       "the ANN index holds 45 items but the catalog only 40"},
      {"warm item", [](Snapshot& s) { s.warm_interactions[3].item = 999; },
       "warm_interactions[3]: item index 999 is outside the catalog of 40 items"},
      {"warm no time",
       [](Snapshot& s) {
         s.warm_interactions[7].time_micros = std::numeric_limits<int64_t>::min();
       },
       "warm_interactions[7] (item 'sku-0'): time INT64_MIN (no time)"},
      {"warm future",
       [](Snapshot& s) {
         s.warm_interactions[0].time_micros = absl::ToUnixMicros(kNow + absl::Hours(24 * 365));
       },
       "ahead of the engine's clock"},
      {"campaign id",
       [](Snapshot& s) {
         s.campaign_sets["unused"] = {"sku-1", "nope"};
       },
       "campaign set 'unused': item 'nope' is not in the catalog"},
      {"null model", [](Snapshot& s) { s.models["spare"] = nullptr; }, "model 'spare' is null"},
      {"feature a model reads",
       [](Snapshot& s) {
         ranking::LinearModel m = testing::PriceModel();
         m.terms.push_back({"no_such_feature", 1.0f, 0.0f});
         s.models["price"] = ModelFactory::Linear(m);
       },
       "no_such_feature"},
      {"item features for another catalog size",
       [](Snapshot& s) {
         features::ItemFeatureStoreBuilder b(kItems - 1);
         EXPECT_TRUE(b.AddColumn("price", std::vector<float>(kItems - 1, 1.0f), kNow).ok());
         s.item_features = std::move(b).Build().value();
       },
       "item features cover 39 items, the catalog has 40"},
      {"version", [](Snapshot& s) { s.version = "v\n2"; }, "snapshot version"},
      {"surface name", [](Snapshot& s) { s.pipeline.surfaces[1].name = std::string("pdp\0", 4); },
       "surface name"},
  };
  for (const Case& c : cases) {
    auto snap = SnapshotWithRail("v2");
    c.spoil(*snap);
    FakeClock clock(kNow);
    EngineOptions o;
    o.clock = &clock;
    auto fresh = Engine::Create(snap, o);
    EXPECT_FALSE(fresh.ok()) << c.what;
    EXPECT_THAT(fresh.status().message(), HasSubstr(c.message)) << c.what;
    absl::Status st = f.engine->Swap(snap);
    EXPECT_FALSE(st.ok()) << c.what;
    EXPECT_THAT(st.message(), HasSubstr(c.message)) << c.what;
    EXPECT_EQ(f.engine->snapshot_version(), "v1") << c.what;
    EXPECT_EQ(Answers(*f.engine), before) << c.what;
  }
  EXPECT_EQ(f.engine->metrics().swaps_rejected, cases.size());
  // Repeated campaign ids are served once.
  auto snap = SnapshotWithRail("v3");
  snap->campaign_sets["black_friday"] = {"sku-30", "sku-31", "sku-30"};
  ASSERT_TRUE(f.engine->Swap(snap).ok());
}

// ------------------------------------------------------------ ids

TEST(HostileInput, RequestIdsBreakingTheIdRuleAreRefusedNamingTheField) {
  Fixture f;
  const auto before = Answers(*f.engine);
  Request r = ProductPage({ItemId("sku-", 0)});
  r.user_id = std::string("u\0x", 3);
  auto resp = f.engine->Recommend(r);
  EXPECT_TRUE(absl::IsInvalidArgument(resp.status()));
  EXPECT_THAT(resp.status().message(), HasSubstr("request user_id"));
  EXPECT_THAT(resp.status().message(), HasSubstr("NUL"));
  r = ProductPage({ItemId("sku-", 0)});
  r.session_id = "s\xC3(";
  EXPECT_THAT(f.engine->Recommend(r).status().message(), HasSubstr("not valid UTF-8"));
  r = ProductPage({ItemId("sku-", 0)});
  r.request_id = std::string(2000, 'r');
  EXPECT_THAT(f.engine->Recommend(r).status().message(), HasSubstr("2000 bytes long"));
  // An item id the catalog could never hold is just unknown.
  r = ProductPage({"sku-\xFF", ItemId("sku-", 0)});
  resp = f.engine->Recommend(r);
  ASSERT_TRUE(resp.ok());
  EXPECT_EQ(resp->unknown_items, 1u);
  // Numbers of the request.
  r = Rail();
  r.segment = 65;
  EXPECT_THAT(f.engine->Recommend(r).status().message(),
              HasSubstr("request segment = 65 is outside [0, 64]"));
  r = Rail();
  r.budget = -absl::Milliseconds(3);
  EXPECT_THAT(f.engine->Recommend(r).status().message(), HasSubstr("budget -3ms"));
  EXPECT_EQ(f.engine->metrics().errors, 5u);
  EXPECT_EQ(Answers(*f.engine), before);
}

// ------------------------------------------------------------ stock

TEST(HostileInput, NegativeStockMeansOversoldOnEveryPath) {
  Fixture f;
  ASSERT_TRUE(f.engine->SetStock(ItemId("sku-", 4), -2).ok());
  auto resp = f.engine->Recommend(Search({ItemId("sku-", 4), ItemId("sku-", 2)}));
  ASSERT_TRUE(resp.ok());
  EXPECT_THAT(Ids(*resp), ::testing::ElementsAre(ItemId("sku-", 2)));
  ASSERT_TRUE(f.engine->AddStock(ItemId("sku-", 4), 3).ok());  // 1 on hand again
  resp = f.engine->Recommend(Search({ItemId("sku-", 4), ItemId("sku-", 2)}));
  ASSERT_TRUE(resp.ok());
  EXPECT_EQ(resp->items.size(), 2u);
  absl::Status st = f.engine->AddStock(ItemId("sku-", 4), std::numeric_limits<int32_t>::max());
  EXPECT_TRUE(absl::IsOutOfRange(st));
  EXPECT_THAT(st.message(), HasSubstr("stock of item 'sku-4'"));
  EXPECT_EQ(f.engine->metrics().events_rejected, 1u);
}

}  // namespace
}  // namespace aisle::serving
