// The built-in steps behind the Reorderer interface: the same results as
// their own APIs, their reports and counters, exploration from a pool taken
// per request, and exploration switched per request as an experiment arm.
#include "aisle/policy/reorderers.h"

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <limits>
#include <memory>
#include <random>
#include <thread>
#include <vector>

#include "aisle/core/clock.h"
#include "aisle/policy/exclusion_filter.h"
#include "aisle/policy/filter_chain.h"
#include "aisle/policy/inventory_filter.h"
#include "aisle/policy/launch_boost.h"
#include "aisle/policy/live_inventory.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace aisle::policy {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

constexpr int64_t kUnknown = std::numeric_limits<int64_t>::min();
const absl::Time kT0 = absl::FromUnixSeconds(1700000000);

std::vector<Candidate> Ranked(const std::vector<ItemIndex>& items, float start = 10.0f) {
  std::vector<Candidate> out;
  float s = start;
  for (ItemIndex i : items) out.push_back({i, s -= 1.0f, 1});
  return out;
}

std::vector<ItemIndex> ItemsOf(const std::vector<Candidate>& c) {
  std::vector<ItemIndex> out;
  for (const Candidate& x : c) out.push_back(x.item);
  return out;
}

// 12 items. Categories: 0 Home (root), 1 Kitchen < 0, 2 Garden (root);
// items 0-3 Kitchen, 4-7 Garden, 8-11 none. Launches: 8 at kT0 - 1 h, 9 at
// kT0 - 2 h, 10 at kT0 + 5 h (after the snapshot was built at kT0), 11 at
// kT0 - 20 days; the rest unknown.
struct World {
  std::vector<CategoryIndex> parent = {kInvalidCategory, 0, kInvalidCategory};
  static constexpr CategoryIndex kNone = kInvalidCategory;
  std::vector<CategoryIndex> item_category = {1, 1, 1, 1, 2, 2, 2, 2, kNone, kNone, kNone, kNone};
  std::vector<int64_t> launch = {kUnknown,
                                 kUnknown,
                                 kUnknown,
                                 kUnknown,
                                 kUnknown,
                                 kUnknown,
                                 kUnknown,
                                 kUnknown,
                                 absl::ToUnixMicros(kT0 - absl::Hours(1)),
                                 absl::ToUnixMicros(kT0 - absl::Hours(2)),
                                 absl::ToUnixMicros(kT0 + absl::Hours(5)),
                                 absl::ToUnixMicros(kT0 - absl::Hours(24 * 20))};
  CategoryView view() const { return {item_category, parent}; }
  size_t size() const { return launch.size(); }
};

std::shared_ptr<const NewItemPool> PoolOf(const World& w) {
  auto pool = NewItemPool::Create(w.launch);
  EXPECT_TRUE(pool.ok()) << pool.status();
  return *pool;
}

std::unique_ptr<ExplorationReorderer> Explorer(const World& w, std::vector<uint32_t> positions,
                                               std::shared_ptr<ExposureBudget> budget,
                                               uint32_t sources = 0) {
  auto slots = ExplorationSlots::Create(std::move(positions));
  EXPECT_TRUE(slots.ok());
  auto e = ExplorationReorderer::Create(
      std::move(*slots), PoolOf(w), std::move(budget),
      {.new_item_window = absl::Hours(72), .max_pool = 64, .sources = sources});
  EXPECT_TRUE(e.ok()) << e.status();
  return std::move(*e);
}

std::shared_ptr<const RuleSet> Rules(const World& w) {
  RuleSetBuilder b(RuleCatalog{.num_items = w.size(), .categories = w.view()});
  b.AddPin({.name = "hero", .item = ItemRef::Index(7), .position = 0});
  b.AddPin({.name = "far", .item = ItemRef::Index(6), .position = 50});
  b.AddAdjust(AdjustRule::Category("bury-kitchen", CategoryRef::Index(1), AdjustMode::kAdd, -5.0f));
  auto rules = std::move(b).Build();
  EXPECT_TRUE(rules.ok()) << rules.status();
  return *rules;
}

ReorderContext Ctx(absl::Time now, size_t k, ReorderReport* report = nullptr) {
  ReorderContext ctx;
  ctx.now = now;
  ctx.k = k;
  ctx.report = report;
  return ctx;
}

TEST(Reorderers, NamesAndStages) {
  World w;
  auto caps = CategoryCapDiversifier::Create(w.view(), {.max_per_category = 1, .top_m = 4});
  ASSERT_TRUE(caps.ok());
  std::vector<float> e(w.size() * 2, 1.0f);
  auto mmr = MmrDiversifier::Create(MatrixView(e.data(), w.size(), 2), 0.5f);
  ASSERT_TRUE(mmr.ok());
  auto boost = LaunchBoost::Create(w.launch, {});
  ASSERT_TRUE(boost.ok());
  std::vector<std::unique_ptr<const Reorderer>> all;
  all.push_back(std::make_unique<PinReorderer>(Rules(w)));
  all.push_back(Explorer(w, {1}, nullptr));
  all.push_back(std::make_unique<MmrReorderer>(std::move(*mmr)));
  all.push_back(std::make_unique<CategoryCapReorderer>(std::move(*caps)));
  all.push_back(std::move(*boost));
  all.push_back(std::make_unique<RuleAdjustReorderer>(Rules(w)));
  std::vector<std::pair<std::string, ReorderStage>> got;
  for (const auto& r : all) got.emplace_back(std::string(r->name()), r->stage());
  EXPECT_THAT(got, ElementsAre(std::make_pair("pins", ReorderStage::kPins),
                               std::make_pair("exploration", ReorderStage::kExplore),
                               std::make_pair("mmr", ReorderStage::kDiversify),
                               std::make_pair("category_cap", ReorderStage::kDiversify),
                               std::make_pair("launch_boost", ReorderStage::kRules),
                               std::make_pair("business_rules", ReorderStage::kRules)));
}

TEST(RuleAdjustReorderer, MatchesRuleSetAndReportsFirings) {
  World w;
  std::shared_ptr<const RuleSet> rules = Rules(w);
  RuleAdjustReorderer r(rules);
  std::vector<Candidate> direct = Ranked({0, 4, 1, 5, 8});
  std::vector<Candidate> adapted = direct;
  rules->ApplyAdjustments({.now = kT0}, direct, nullptr);
  ReorderReport report;
  ASSERT_TRUE(r.Apply(Ctx(kT0, 3, &report), adapted).ok());
  EXPECT_EQ(ItemsOf(adapted), ItemsOf(direct));
  EXPECT_THAT(ItemsOf(adapted), ElementsAre(4, 5, 8, 0, 1));  // kitchen buried, not truncated
  ASSERT_EQ(report.rules.fired.size(), 1u);
  EXPECT_EQ(rules->rule_name(report.rules.fired[0].rule), "bury-kitchen");
  EXPECT_EQ(report.rules.fired[0].count, 2u);
  // Without a report the counters still count.
  adapted = Ranked({0, 1, 2});
  ASSERT_TRUE(r.Apply(Ctx(kT0, 3), adapted).ok());
  EXPECT_EQ(r.totals().requests, 2u);
  EXPECT_EQ(r.totals().adjusted, 5u);
  // A null rule set leaves the list alone.
  RuleAdjustReorderer none(nullptr);
  adapted = Ranked({0, 4});
  ASSERT_TRUE(none.Apply(Ctx(kT0, 1), adapted).ok());
  EXPECT_THAT(ItemsOf(adapted), ElementsAre(0, 4));
}

TEST(PinReorderer, PinsAndTruncatesToKAndCounts) {
  World w;
  PinReorderer pins(Rules(w));
  ReorderReport report;
  std::vector<Candidate> list = Ranked({0, 1, 2, 7, 3});
  ASSERT_TRUE(pins.Apply(Ctx(kT0, 3, &report), list).ok());
  EXPECT_THAT(ItemsOf(list), ElementsAre(7, 0, 1));
  ASSERT_EQ(report.rules.fired.size(), 2u);  // "hero" pinned, "far" beyond k
  EXPECT_EQ(report.rules.fired[0].effect, RuleEffect::kPinned);
  EXPECT_EQ(report.rules.fired[1].effect, RuleEffect::kPinSkippedBeyondK);
  EXPECT_EQ(pins.totals().pinned, 1u);
  EXPECT_EQ(pins.totals().skipped, 1u);
  PinReorderer none(nullptr);
  list = Ranked({0, 1, 2, 3});
  ASSERT_TRUE(none.Apply(Ctx(kT0, 2), list).ok());
  EXPECT_THAT(ItemsOf(list), ElementsAre(0, 1));
}

TEST(PinReorderer, ForcedPinsReadTheContextsInventory) {
  World w;
  RuleSetBuilder b(RuleCatalog{.num_items = w.size()});
  b.AddPin({.name = "forced", .item = ItemRef::Index(9), .position = 1, .force = true});
  auto rules = std::move(b).Build();
  ASSERT_TRUE(rules.ok());
  PinReorderer pins(*rules);
  auto inv = LiveInventory::FromStock(std::vector<int32_t>(w.size(), 0));
  ASSERT_TRUE(inv.ok());
  ReorderContext ctx = Ctx(kT0, 3);
  std::vector<Candidate> list = Ranked({0, 1, 2});
  ASSERT_TRUE(pins.Apply(ctx, list).ok());  // no inventory: not resurrected
  EXPECT_THAT(ItemsOf(list), ElementsAre(0, 1, 2));
  ASSERT_TRUE((*inv)->SetStock(9, 3).ok());
  ctx.inventory = inv->get();
  ctx.inventory_reserve = 3;  // 3 units are not more than the reserve
  list = Ranked({0, 1, 2});
  ASSERT_TRUE(pins.Apply(ctx, list).ok());
  EXPECT_THAT(ItemsOf(list), ElementsAre(0, 1, 2));
  ctx.inventory_reserve = 0;
  list = Ranked({0, 1, 2});
  ASSERT_TRUE(pins.Apply(ctx, list).ok());
  EXPECT_THAT(ItemsOf(list), ElementsAre(0, 9, 1));
}

TEST(CategoryCapReorderer, MatchesTheDiversifierAndReportsDeferrals) {
  World w;
  auto caps = CategoryCapDiversifier::Create(w.view(), {.max_per_category = 1, .top_m = 3});
  ASSERT_TRUE(caps.ok());
  std::vector<Candidate> direct = Ranked({0, 1, 2, 4, 5, 8});
  std::vector<Candidate> adapted = direct;
  const CategoryCapReport want = caps->Apply(direct, 5);
  CategoryCapReorderer r(std::move(*caps));
  ReorderReport report;
  ASSERT_TRUE(r.Apply(Ctx(kT0, 5, &report), adapted).ok());
  EXPECT_EQ(ItemsOf(adapted), ItemsOf(direct));
  EXPECT_THAT(ItemsOf(adapted), ElementsAre(0, 4, 8, 1, 2));
  EXPECT_EQ(report.category_cap.deferred, want.deferred);
  EXPECT_EQ(report.category_cap.deferred, 3u);  // 1, 2 and 5
  EXPECT_EQ(r.totals().deferred, 3u);
  EXPECT_EQ(r.totals().requests, 1u);
}

TEST(MmrReorderer, MatchesTheDiversifierAndReturnsItsError) {
  // Items 0 and 1 point the same way, 2 elsewhere.
  std::vector<float> e = {1, 0, 1, 0.01f, 0, 1};
  auto mmr = MmrDiversifier::Create(MatrixView(e.data(), 3, 2), 0.5f);
  ASSERT_TRUE(mmr.ok());
  std::vector<Candidate> direct = Ranked({0, 1, 2});
  std::vector<Candidate> adapted = direct;
  ASSERT_TRUE(mmr->Apply(direct, 2).ok());
  MmrReorderer r(std::move(*mmr));
  ReorderReport report;
  ASSERT_TRUE(r.Apply(Ctx(kT0, 2, &report), adapted).ok());
  EXPECT_EQ(ItemsOf(adapted), ItemsOf(direct));
  EXPECT_THAT(ItemsOf(adapted), ElementsAre(0, 2));
  EXPECT_EQ(report.mmr.selected_by_mmr, 2u);
  EXPECT_FALSE(report.mmr.deadline_expired);
  std::vector<Candidate> bad = Ranked({0, 7});
  absl::Status s = r.Apply(Ctx(kT0, 2), bad);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("item index 7"));
  EXPECT_THAT(ItemsOf(bad), ElementsAre(0, 7));  // unchanged
  EXPECT_EQ(r.totals().errors, 1u);
  EXPECT_EQ(r.totals().requests, 2u);
}

TEST(ExplorationReorderer, TakesThePoolAtRequestTime) {
  World w;
  auto budget = ExposureBudget::Create(w.size(), 100);
  ASSERT_TRUE(budget.ok());
  auto explore = Explorer(w, {1, 3}, *budget, /*sources=*/SourceBit(5));
  FakeClock clock(kT0);
  ReorderReport report;

  std::vector<Candidate> list = Ranked({0, 1, 2, 3, 4, 5});
  ASSERT_TRUE(explore->Apply(Ctx(clock.Now(), 5, &report), list).ok());
  EXPECT_THAT(ItemsOf(list), ElementsAre(0, 8, 1, 9, 2));  // newest first; 11 is too old
  EXPECT_EQ(list[1].sources, SourceBit(5));
  EXPECT_FLOAT_EQ(list[1].score, 1.0f - 1.0f / 72.0f);  // freshness at 1 h
  EXPECT_EQ(report.explored, 2u);
  EXPECT_EQ(report.explore_pool, 2u);

  // Item 10 was launched after the snapshot; it joins once its time comes.
  clock.Advance(absl::Hours(6));
  list = Ranked({0, 1, 2, 3, 4, 5});
  ASSERT_TRUE(explore->Apply(Ctx(clock.Now(), 5), list).ok());
  EXPECT_THAT(ItemsOf(list), ElementsAre(0, 10, 1, 8, 2));

  // Three days later 8 and 9 have aged out; 10 is still new.
  clock.Advance(absl::Hours(70));
  list = Ranked({0, 1, 2, 3, 4, 5});
  ASSERT_TRUE(explore->Apply(Ctx(clock.Now(), 5), list).ok());
  EXPECT_THAT(ItemsOf(list), ElementsAre(0, 10, 1, 2, 3));
  EXPECT_EQ((*budget)->Used(10), 2u);
  EXPECT_EQ((*budget)->Used(8), 2u);
  EXPECT_EQ((*budget)->Used(9), 1u);
}

TEST(ExplorationReorderer, RunsTheSurfaceFiltersOverThePool) {
  World w;
  auto explore = Explorer(w, {0, 1}, nullptr);
  auto inv = LiveInventory::FromStock(std::vector<int32_t>(w.size(), 5));
  ASSERT_TRUE(inv.ok());
  ASSERT_TRUE((*inv)->SetStock(10, 0).ok());  // the newest launch is sold out
  FilterChain chain;
  chain.Add(std::make_shared<InventoryFilter>(inv->get()));
  chain.Add(std::make_shared<ExclusionFilter>());
  const std::vector<ItemIndex> cart = {8};
  FilterContext fctx;
  fctx.cart = cart;  // and 8 is in the cart
  ReorderContext ctx = Ctx(kT0 + absl::Hours(6), 4);
  ctx.filters = &chain;
  ctx.filter_context = &fctx;
  std::vector<Candidate> list = Ranked({0, 1, 2});
  ASSERT_TRUE(explore->Apply(ctx, list).ok());
  EXPECT_THAT(ItemsOf(list), ElementsAre(9, 0, 1, 2));  // only 9 is left to explore
  EXPECT_EQ(chain.TotalRemoved(0), 1u);
  EXPECT_EQ(chain.TotalRemoved(1), 1u);
  // Filters without a request context: an empty one (no cart).
  ctx.filter_context = nullptr;
  list = Ranked({0, 1, 2});
  ASSERT_TRUE(explore->Apply(ctx, list).ok());
  EXPECT_THAT(ItemsOf(list), ElementsAre(8, 9, 0, 1));
}

TEST(ExplorationReorderer, SpentBudgetsAndItemsAlreadyListedAreSkipped) {
  World w;
  auto budget = ExposureBudget::Create(w.size(), 1);
  ASSERT_TRUE(budget.ok());
  auto explore = Explorer(w, {0}, *budget);
  ReorderReport report;
  std::vector<Candidate> list = Ranked({0, 1});
  ASSERT_TRUE(explore->Apply(Ctx(kT0, 5, &report), list).ok());
  EXPECT_THAT(ItemsOf(list), ElementsAre(8, 0, 1));
  report.Clear();
  list = Ranked({0, 9});  // 8 is spent; 9 is already in the list
  ASSERT_TRUE(explore->Apply(Ctx(kT0, 5, &report), list).ok());
  EXPECT_THAT(ItemsOf(list), ElementsAre(0, 9));
  EXPECT_EQ(report.explore_pool, 1u);  // 8 was dropped before the filters
  EXPECT_EQ(report.explored, 0u);
  EXPECT_EQ((*budget)->Used(9), 0u);
}

TEST(ExplorationReorderer, SwitchedOnAndOffPerRequestAsAnExperimentArm) {
  World w;
  auto budget = ExposureBudget::Create(w.size(), 1000);
  ASSERT_TRUE(budget.ok());
  auto explore = Explorer(w, {1, 2, 3, 4}, *budget);
  const std::vector<Candidate> organic = Ranked({0, 1, 2, 3, 4, 5, 6});
  auto serve = [&](float share, uint32_t arm) {
    ReorderContext ctx = Ctx(kT0 + absl::Hours(6), 6);
    ctx.explore_share = share;
    ctx.arm = arm;
    std::vector<Candidate> list = organic;
    EXPECT_TRUE(explore->Apply(ctx, list).ok());
    return ItemsOf(list);
  };
  // Control arm (0): no exploration, the list is untouched (not truncated:
  // pins truncate later).
  EXPECT_THAT(serve(0.0f, 0), ElementsAre(0, 1, 2, 3, 4, 5, 6));
  // Treatment arm (1): every position.
  EXPECT_THAT(serve(1.0f, 1), ElementsAre(0, 10, 8, 9, 1, 2));
  // Half the positions: the first two.
  EXPECT_THAT(serve(0.5f, 2), ElementsAre(0, 10, 8, 1, 2, 3));
  // The next control request is still untouched.
  EXPECT_THAT(serve(0.0f, 0), ElementsAre(0, 1, 2, 3, 4, 5, 6));
  EXPECT_THAT(serve(std::nanf(""), 0), ElementsAre(0, 1, 2, 3, 4, 5, 6));

  const ExplorationReorderer::Totals control = explore->totals(0);
  EXPECT_EQ(control.requests, 3u);
  EXPECT_EQ(control.exploring, 0u);
  EXPECT_EQ(control.placed, 0u);
  EXPECT_EQ(explore->totals(1).placed, 3u);
  EXPECT_EQ(explore->totals(2).placed, 2u);
  EXPECT_EQ(explore->totals().requests, 5u);
  EXPECT_EQ(explore->totals().exploring, 2u);
  // Only the exploring arms consumed exposure.
  EXPECT_EQ((*budget)->Used(10) + (*budget)->Used(8) + (*budget)->Used(9), 5u);
  // Arms beyond the counted ones share the last slot.
  serve(1.0f, 100);
  EXPECT_EQ(explore->totals(kMaxReorderArms - 1).requests, 1u);
  EXPECT_EQ(explore->totals(1000).requests, 1u);
}

TEST(ExplorationReorderer, SlotsForRoundsTheShare) {
  EXPECT_EQ(ExplorationReorderer::SlotsFor(0.0f, 4), 0u);
  EXPECT_EQ(ExplorationReorderer::SlotsFor(-1.0f, 4), 0u);
  EXPECT_EQ(ExplorationReorderer::SlotsFor(std::nanf(""), 4), 0u);
  EXPECT_EQ(ExplorationReorderer::SlotsFor(0.1f, 4), 0u);    // 0.4 rounds down
  EXPECT_EQ(ExplorationReorderer::SlotsFor(0.125f, 4), 1u);  // 0.5 rounds up
  EXPECT_EQ(ExplorationReorderer::SlotsFor(0.5f, 3), 2u);
  EXPECT_EQ(ExplorationReorderer::SlotsFor(0.99f, 4), 4u);
  EXPECT_EQ(ExplorationReorderer::SlotsFor(1.0f, 4), 4u);
  EXPECT_EQ(ExplorationReorderer::SlotsFor(7.0f, 4), 4u);
  EXPECT_EQ(ExplorationReorderer::SlotsFor(1.0f, 0), 0u);
}

TEST(ExplorationReorderer, CreateChecksItsInputs) {
  World w;
  auto slots = [] { return *ExplorationSlots::Create({1}); };
  auto null_pool = ExplorationReorderer::Create(slots(), nullptr, nullptr);
  ASSERT_FALSE(null_pool.ok());
  EXPECT_THAT(null_pool.status().message(), HasSubstr("pool is null"));
  auto bad_window = ExplorationReorderer::Create(slots(), PoolOf(w), nullptr,
                                                 {.new_item_window = absl::ZeroDuration()});
  ASSERT_FALSE(bad_window.ok());
  EXPECT_THAT(bad_window.status().message(), HasSubstr("window"));
  auto no_pool = ExplorationReorderer::Create(slots(), PoolOf(w), nullptr, {.max_pool = 0});
  ASSERT_FALSE(no_pool.ok());
  EXPECT_THAT(no_pool.status().message(), HasSubstr("max_pool"));
}

TEST(ExplorationReorderer, ConcurrentRequestsNeverOvershootTheBudget) {
  World w;
  auto budget = ExposureBudget::Create(w.size(), 500);
  ASSERT_TRUE(budget.ok());
  auto explore = Explorer(w, {0, 1, 2}, *budget);
  std::atomic<uint64_t> placed{0};
  auto worker = [&] {
    for (int i = 0; i < 400; ++i) {
      std::vector<Candidate> list = Ranked({0, 1, 2, 3});
      ReorderReport report;
      EXPECT_TRUE(explore->Apply(Ctx(kT0 + absl::Hours(6), 4, &report), list).ok());
      placed += report.explored;
    }
  };
  std::thread a(worker), b(worker), c(worker);
  a.join();
  b.join();
  c.join();
  // Items 8, 9 and 10 each get exactly their 500 impressions.
  EXPECT_EQ(placed.load(), 1500u);
  EXPECT_EQ(explore->totals().placed, 1500u);
  for (ItemIndex i : {8u, 9u, 10u}) EXPECT_EQ((*budget)->Used(i), 500u);
}

// The surface's steps run in stage order through the one interface give the
// same list as the hand-written sequence of the old APIs.
TEST(Reorderers, StageOrderMatchesTheOldPostRankSequence) {
  World w;
  std::shared_ptr<const RuleSet> rules = Rules(w);
  const CategoryCapOptions cap_options{.max_per_category = 2, .top_m = 6};
  std::mt19937 rng(7);
  int explored_rounds = 0;
  for (int round = 0; round < 20; ++round) {
    auto old_budget = ExposureBudget::Create(w.size(), 1000);
    auto new_budget = ExposureBudget::Create(w.size(), 1000);
    ASSERT_TRUE(old_budget.ok() && new_budget.ok());
    std::vector<ItemIndex> items = {0, 1, 2, 3, 4, 5, 6, 7, 11};
    std::shuffle(items.begin(), items.end(), rng);
    const size_t k = 4 + round % 4;
    const absl::Time now = kT0 + absl::Hours(round * 4);

    // Old: the sequence the engine hand-codes.
    std::vector<Candidate> expected = Ranked(items);
    rules->ApplyAdjustments({.now = now}, expected, nullptr);
    (*CategoryCapDiversifier::Create(w.view(), cap_options)).Apply(expected, k);
    std::vector<Candidate> pool;
    PoolOf(w)->Collect(now, absl::Hours(72), 64, pool);
    (*ExplorationSlots::Create({1, 3})).Apply(expected, k, pool, old_budget->get());
    rules->ApplyPins({.now = now}, k, expected, nullptr);

    // New: the steps, added in any order, run sorted by stage.
    std::vector<std::unique_ptr<const Reorderer>> steps;
    steps.push_back(std::make_unique<PinReorderer>(rules));
    steps.push_back(Explorer(w, {1, 3}, *new_budget));
    steps.push_back(std::make_unique<CategoryCapReorderer>(
        *CategoryCapDiversifier::Create(w.view(), cap_options)));
    steps.push_back(std::make_unique<RuleAdjustReorderer>(rules));
    std::stable_sort(steps.begin(), steps.end(),
                     [](const auto& a, const auto& b) { return a->stage() < b->stage(); });
    std::vector<Candidate> got = Ranked(items);
    const ReorderContext ctx = Ctx(now, k);
    for (const auto& s : steps) ASSERT_TRUE(s->Apply(ctx, got).ok());
    EXPECT_EQ(ItemsOf(got), ItemsOf(expected)) << "round " << round;
    ASSERT_EQ(got.size(), expected.size());
    for (size_t i = 0; i < got.size(); ++i) EXPECT_FLOAT_EQ(got[i].score, expected[i].score);
    explored_rounds += std::any_of(got.begin(), got.end(),
                                   [](const Candidate& c) { return c.item >= 8 && c.item <= 10; });
  }
  EXPECT_GE(explored_rounds, 10);  // the comparison covered exploration
}

TEST(ReorderReport, ClearResetsEverything) {
  ReorderReport r;
  r.rules.fired.push_back({});
  r.category_cap.deferred = 2;
  r.mmr.deadline_expired = true;
  r.explore_pool = 3;
  r.explored = 1;
  r.launch_boosted = 4;
  r.Clear();
  EXPECT_THAT(r.rules.fired, IsEmpty());
  EXPECT_EQ(r.category_cap.deferred, 0u);
  EXPECT_FALSE(r.mmr.deadline_expired);
  EXPECT_EQ(r.explore_pool + r.explored + r.launch_boosted, 0u);
}

}  // namespace
}  // namespace aisle::policy
