#include "aisle/serving/engine.h"

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/time/clock.h"
#include "serving/test_storefront.h"
#include "gtest/gtest.h"

namespace aisle::serving {
namespace {

using testing::ItemId;
using testing::MakeSnapshot;

std::unique_ptr<Engine> MakeEngine(std::shared_ptr<Snapshot> s = MakeSnapshot("v1")) {
  auto e = Engine::Create(std::move(s));
  EXPECT_TRUE(e.ok()) << e.status();
  return std::move(*e);
}

std::vector<std::string> Ids(const Response& r) {
  std::vector<std::string> out;
  for (const auto& i : r.items) out.emplace_back(i.id);
  return out;
}

bool Contains(const std::vector<std::string>& v, const std::string& x) {
  return std::find(v.begin(), v.end(), x) != v.end();
}

TEST(Engine, ProductPageServesSimilarItemsPersonalized) {
  auto engine = MakeEngine();
  Request r;
  r.surface = "product_page";
  r.seed_items = {ItemId("sku-", 12)};
  auto resp = engine->Recommend(r);
  ASSERT_TRUE(resp.ok()) << resp.status();
  EXPECT_EQ(resp->fallback_level, FallbackLevel::kPersonalized);
  EXPECT_EQ(resp->fallback_reason, FallbackReason::kNone);
  ASSERT_EQ(resp->items.size(), 5u);
  const auto ids = Ids(*resp);
  EXPECT_FALSE(Contains(ids, ItemId("sku-", 12))) << "the seed is never recommended";
  // Embeddings cluster by category: ANN neighbours of item 12 are items 10..19.
  int same_category = 0;
  for (const auto& item : resp->items) same_category += (item.index / 10 == 1);
  EXPECT_GE(same_category, 4);
  EXPECT_EQ(resp->snapshot_version, "v1");
  EXPECT_EQ(resp->tier, routing::ColdStartTier::kAnonymous);
}

TEST(Engine, RankerOrdersCandidatesAndReportsItsVersion) {
  auto engine = MakeEngine();
  Request r;
  r.surface = "home";
  r.seed_items = {ItemId("sku-", 3)};
  auto resp = engine->Recommend(r);
  ASSERT_TRUE(resp.ok()) << resp.status();
  ASSERT_EQ(resp->fallback_level, FallbackLevel::kPersonalized);
  EXPECT_TRUE(absl::StartsWith(resp->ranker_version, "linear:price")) << resp->ranker_version;
  for (size_t i = 1; i < resp->items.size(); ++i) {
    EXPECT_GE(resp->items[i - 1].score, resp->items[i].score);
  }
  EXPECT_EQ(resp->source_names.size(), 3u);
}

TEST(Engine, AnonymousWithoutSignalStartsAtItsTierLevelAndFallsToGlobalPopular) {
  auto engine = MakeEngine();
  Request r;
  r.surface = "home";
  auto resp = engine->Recommend(r);
  ASSERT_TRUE(resp.ok()) << resp.status();
  // Default cold-start policy: anonymous starts at segment; no segment and no
  // category in the request, so global popular serves it.
  EXPECT_EQ(resp->fallback_level, FallbackLevel::kGlobalPopular);
  EXPECT_EQ(resp->fallback_reason, FallbackReason::kEmptyStage);
  ASSERT_EQ(resp->items.size(), 5u);
  EXPECT_EQ(Ids(*resp)[0], ItemId("sku-", 0)) << "item 0 has the most views";
  EXPECT_EQ(resp->items[0].reason, "popular");
}

TEST(Engine, CategoryPopularFromContextCategory) {
  auto engine = MakeEngine();
  Request r;
  r.surface = "home";
  r.context = {{"category", testing::CategoryPath(2)}};
  auto resp = engine->Recommend(r);
  ASSERT_TRUE(resp.ok()) << resp.status();
  EXPECT_EQ(resp->fallback_level, FallbackLevel::kCategoryPopular);
  for (const auto& item : resp->items) EXPECT_EQ(item.index / 10, 2u) << item.id;
  EXPECT_EQ(resp->items[0].index, 20u);
}

TEST(Engine, SwitchedOffPersonalizationStepsDownAndSaysWhy) {
  auto engine = MakeEngine();
  ASSERT_TRUE(
      engine->switches().SetFlag("home", SwitchFlag::kPersonalization, false, "test:oncall").ok());
  Request r;
  r.surface = "home";
  r.seed_items = {ItemId("sku-", 3)};
  auto resp = engine->Recommend(r);
  ASSERT_TRUE(resp.ok()) << resp.status();
  EXPECT_EQ(resp->fallback_reason, FallbackReason::kSwitchedOff);
  // Seeds give category_popular its category (segment has none).
  EXPECT_EQ(resp->fallback_level, FallbackLevel::kCategoryPopular);
  EXPECT_FALSE(resp->items.empty());
  EXPECT_TRUE(absl::StrContains(resp->fallback_detail, "switched off")) << resp->fallback_detail;
}

TEST(Engine, PopularLevelsReadPastSoldOutBestSellers) {
  auto engine = MakeEngine();
  for (int i = 0; i < 30; ++i) ASSERT_TRUE(engine->SetStock(ItemId("sku-", i), 0).ok());
  Request r;
  r.surface = "home";
  auto resp = engine->Recommend(r);
  ASSERT_TRUE(resp.ok()) << resp.status();
  EXPECT_EQ(resp->fallback_level, FallbackLevel::kGlobalPopular);
  ASSERT_EQ(resp->items.size(), 5u);
  EXPECT_EQ(resp->items[0].id, ItemId("sku-", 30)) << "the best seller still in stock";
}

TEST(Engine, CampaignLevelServesWhenOthersCannotAndEmptyOnlyWhenNothingIsInStock) {
  auto snap = MakeSnapshot("v1");
  snap->pipeline.surfaces[0].ladder = {FallbackLevel::kPersonalized, FallbackLevel::kCampaign};
  auto engine = MakeEngine(snap);
  ASSERT_TRUE(engine->switches().SetFlag("home", SwitchFlag::kPersonalization, false, "t").ok());
  for (int i = 0; i < 40; ++i) {
    if (i == 31) continue;  // one campaign item stays in stock
    ASSERT_TRUE(engine->SetStock(ItemId("sku-", i), 0).ok());
  }
  Request r;
  r.surface = "home";
  r.seed_items = {ItemId("sku-", 3)};
  auto resp = engine->Recommend(r);
  ASSERT_TRUE(resp.ok()) << resp.status();
  EXPECT_EQ(resp->fallback_level, FallbackLevel::kCampaign);
  EXPECT_EQ(resp->fallback_reason, FallbackReason::kSwitchedOff);
  ASSERT_EQ(Ids(*resp), std::vector<std::string>{ItemId("sku-", 31)});
  EXPECT_EQ(resp->items[0].reason, "campaign");

  ASSERT_TRUE(engine->SetStock(ItemId("sku-", 31), 0).ok());
  resp = engine->Recommend(r);
  ASSERT_TRUE(resp.ok());
  EXPECT_TRUE(resp->items.empty());
  EXPECT_EQ(engine->metrics().empty_responses, 1u);
}

TEST(Engine, FiltersUseLiveInventoryAndExcludeBoughtAndCart) {
  auto engine = MakeEngine();
  Request r;
  r.surface = "product_page";
  r.seed_items = {ItemId("sku-", 12)};
  r.k = 9;
  auto before = engine->Recommend(r);
  ASSERT_TRUE(before.ok());
  const std::string sold_out(before->items[0].id);
  const std::string bought(before->items[1].id);
  ASSERT_TRUE(engine->SetStock(sold_out, 0).ok());
  r.bought_items = {bought};
  auto after = engine->Recommend(r);
  ASSERT_TRUE(after.ok());
  const auto ids = Ids(*after);
  EXPECT_FALSE(Contains(ids, sold_out));
  EXPECT_FALSE(Contains(ids, bought));
  // Retrieval itself skips the sold-out item (live stock) and the bought
  // one: neither took a source's quota, so nothing was left to filter after
  // retrieval and the rail is still full.
  EXPECT_EQ(after->filtered, 0u);
  EXPECT_EQ(after->items.size(), 9u);
}

TEST(Engine, PinsBlockedCategoriesAndUnknownIds) {
  auto snap = MakeSnapshot("v1");
  auto& home = snap->pipeline.surfaces[0];
  home.blocked_categories = {testing::CategoryPath(1)};
  policy::PinRule pin;
  pin.item = policy::ItemRef::Id(ItemId("sku-", 35));
  pin.position = 0;
  pin.force = true;
  home.pins = {pin};
  // Diversification runs before pins: it must not move a pinned item.
  home.category_cap = policy::CategoryCapOptions{.max_per_category = 1, .top_m = 5};
  home.mmr_lambda = 0.5f;
  auto engine = MakeEngine(snap);
  Request r;
  r.surface = "home";
  r.seed_items = {ItemId("sku-", 12), "no-such-item"};
  auto resp = engine->Recommend(r);
  ASSERT_TRUE(resp.ok()) << resp.status();
  ASSERT_FALSE(resp->items.empty());
  EXPECT_EQ(resp->items[0].id, ItemId("sku-", 35));
  for (const auto& item : resp->items) EXPECT_NE(item.index / 10, 1u) << "category 1 is blocked";
  EXPECT_EQ(resp->unknown_items, 1u);
}

TEST(Engine, BadRequestsAreErrorsThatNameTheProblem) {
  auto engine = MakeEngine();
  Request r;
  r.surface = "nope";
  auto resp = engine->Recommend(r);
  EXPECT_EQ(resp.status().code(), absl::StatusCode::kNotFound);
  EXPECT_TRUE(absl::StrContains(resp.status().message(), "nope"));
  r.surface = "home";
  r.k = 10000;
  EXPECT_EQ(engine->Recommend(r).status().code(), absl::StatusCode::kInvalidArgument);
  r.k = 0;
  r.user_vector = std::vector<float>(3, 1.0f);
  resp = engine->Recommend(r);
  EXPECT_EQ(resp.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StrContains(resp.status().message(), "dimension")) << resp.status();
  r.user_vector = std::vector<float>(testing::kDim, std::nanf(""));
  EXPECT_EQ(engine->Recommend(r).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(engine->metrics().errors, 4u);
}

TEST(Engine, BadSnapshotIsRejectedAndTheOldOneKeepsServing) {
  auto engine = MakeEngine();
  auto bad = MakeSnapshot("v2");
  bad->pipeline.surfaces[0].ranker = "missing_model";
  absl::Status st = engine->Swap(bad);
  EXPECT_EQ(st.code(), absl::StatusCode::kNotFound);
  EXPECT_TRUE(absl::StrContains(st.message(), "missing_model")) << st;
  EXPECT_TRUE(absl::StrContains(st.message(), "home")) << st;
  EXPECT_EQ(engine->snapshot_version(), "v1");

  auto bad_pin = MakeSnapshot("v3");
  policy::PinRule pin;
  pin.item = policy::ItemRef::Id("ghost");
  bad_pin->pipeline.surfaces[0].pins = {pin};
  st = engine->Swap(bad_pin);
  EXPECT_FALSE(st.ok());
  EXPECT_TRUE(absl::StrContains(st.message(), "ghost")) << st;

  auto no_catalog = MakeSnapshot("v4");
  no_catalog->catalog = nullptr;
  EXPECT_FALSE(engine->Swap(no_catalog).ok());
  EXPECT_EQ(engine->snapshot_version(), "v1");
  EXPECT_EQ(engine->metrics().swaps_rejected, 3u);

  Request r;
  r.surface = "home";
  auto resp = engine->Recommend(r);
  ASSERT_TRUE(resp.ok());
  EXPECT_EQ(resp->snapshot_version, "v1");
}

TEST(Engine, InteractionsBuildHistoryThatSeedsLaterRequests) {
  auto engine = MakeEngine();
  EXPECT_EQ(
      engine
          ->ApplyInteraction("u1", "s1", "ghost", retrieval::InteractionType::kView, absl::Now())
          .code(),
      absl::StatusCode::kNotFound);
  EXPECT_EQ(engine->metrics().events_rejected, 1u);
  // 10 interactions: a known user under the default retail split (1-9 is few).
  for (int n = 0; n < 10; ++n) {
    ASSERT_TRUE(engine
                    ->ApplyInteraction("u1", "s1", ItemId("sku-", 25),
                                       retrieval::InteractionType::kView, absl::Now())
                    .ok());
  }
  EXPECT_EQ(engine->metrics().events_applied, 10u);
  Request r;
  r.surface = "home";
  r.user_id = "u1";
  auto resp = engine->Recommend(r);
  ASSERT_TRUE(resp.ok()) << resp.status();
  EXPECT_EQ(resp->tier, routing::ColdStartTier::kKnown);
  EXPECT_EQ(resp->tier_reason, "user has 10 interactions");
  EXPECT_EQ(resp->fallback_level, FallbackLevel::kPersonalized);
  // The viewed item seeds ANN: its category neighbours come back, not itself.
  int same = 0;
  for (const auto& item : resp->items) {
    EXPECT_NE(item.index, 25u);
    same += item.index / 10 == 2;
  }
  EXPECT_GE(same, 3);
}

TEST(Engine, SearchRerankReordersAndDegradesToLexicalOrder) {
  auto engine = MakeEngine();
  Request r;
  r.surface = "search";
  for (int i : {9, 3, 7, 1, 5, 8}) r.search_candidates.push_back(ItemId("sku-", i));
  auto resp = engine->Recommend(r);
  ASSERT_TRUE(resp.ok()) << resp.status();
  EXPECT_EQ(resp->fallback_level, FallbackLevel::kPersonalized);
  // The price model prefers cheaper (lower-index) items.
  EXPECT_EQ(Ids(*resp), (std::vector<std::string>{"sku-1", "sku-3", "sku-5", "sku-7", "sku-8"}));

  ASSERT_TRUE(
      engine->switches().SetFlag("search", SwitchFlag::kPersonalization, false, "test").ok());
  resp = engine->Recommend(r);
  ASSERT_TRUE(resp.ok());
  EXPECT_EQ(resp->fallback_level, FallbackLevel::kLexical);
  EXPECT_EQ(Ids(*resp), (std::vector<std::string>{"sku-9", "sku-3", "sku-7", "sku-1", "sku-5"}));
}

TEST(Engine, SourcesCanBeSwitchedOffAtRunTime) {
  auto engine = MakeEngine();
  Request r;
  r.surface = "home";
  r.seed_items = {ItemId("sku-", 0)};
  r.k = 20;
  ASSERT_TRUE(engine->switches().SetSource("home", "ann", false, "peak-playbook").ok());
  ASSERT_TRUE(engine->switches().SetSource("home", "popular", false, "peak-playbook").ok());
  auto resp = engine->Recommend(r);
  ASSERT_TRUE(resp.ok());
  ASSERT_EQ(resp->fallback_level, FallbackLevel::kPersonalized);
  // Only co-visitation is left: item 1 is item 0's only co-visited neighbour.
  ASSERT_EQ(resp->items.size(), 1u);
  EXPECT_EQ(resp->items[0].id, "sku-1");
  EXPECT_EQ(resp->items[0].sources, SourceBit(1));
  EXPECT_EQ(engine->switches().AuditLog().size(), 2u);
}

TEST(Engine, ExplorationSlotsPlaceNewItems) {
  auto snap = MakeSnapshot("v1");
  snap->pipeline.surfaces[1].exploration_positions = {1};
  snap->pipeline.surfaces[1].new_item_window = absl::Hours(24 * 2);
  EngineOptions o;
  FakeClock clock(testing::kNow);
  o.clock = &clock;
  auto engine = Engine::Create(snap, o);
  ASSERT_TRUE(engine.ok()) << engine.status();
  Request r;
  r.surface = "product_page";
  r.seed_items = {ItemId("sku-", 2)};
  auto resp = (*engine)->Recommend(r);
  ASSERT_TRUE(resp.ok()) << resp.status();
  ASSERT_GE(resp->items.size(), 2u);
  EXPECT_GE(resp->items[1].index, 38u) << "items 38 and 39 are the new ones";
  EXPECT_EQ(resp->items[1].reason, "exploration");
}

}  // namespace
}  // namespace aisle::serving
