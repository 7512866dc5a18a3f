#include "aisle/policy/business_rules.h"

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "aisle/core/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace aisle::policy {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

// Scores 1.0, 0.9, 0.8, ... in the given order.
std::vector<Candidate> Ranked(std::vector<ItemIndex> items) {
  std::vector<Candidate> out;
  float s = 1.0f;
  for (ItemIndex i : items) {
    out.push_back({i, s, 1});
    s -= 0.1f;
  }
  return out;
}

std::vector<ItemIndex> ItemsOf(const std::vector<Candidate>& c) {
  std::vector<ItemIndex> out;
  for (const Candidate& x : c) out.push_back(x.item);
  return out;
}

// Categories: 0 Home (root), 1 Kitchen < 0, 2 Garden (root).
// Items 0..9: item i is in category {1, 0, 2}[i % 3]; item 9 has none.
struct Fixture {
  std::vector<CategoryIndex> parent = {kInvalidCategory, 0, kInvalidCategory};
  std::vector<CategoryIndex> item_category = {1, 0, 2, 1, 0, 2, 1, 0, 2, kInvalidCategory};
  RuleCatalog catalog() const {
    RuleCatalog c;
    c.num_items = item_category.size();
    c.categories = {item_category, parent};
    c.resolve_item = [](absl::string_view id) -> std::optional<ItemIndex> {
      if (id.size() == 5 && id.substr(0, 4) == "sku-" && id[4] >= '0' && id[4] <= '9') {
        return static_cast<ItemIndex>(id[4] - '0');
      }
      return std::nullopt;
    };
    c.resolve_category = [](absl::string_view id) -> std::optional<CategoryIndex> {
      if (id == "home") return 0;
      if (id == "kitchen") return 1;
      if (id == "garden") return 2;
      return std::nullopt;
    };
    return c;
  }
};

std::shared_ptr<const RuleSet> MustBuild(RuleSetBuilder b) {
  auto r = std::move(b).Build();
  EXPECT_TRUE(r.ok()) << r.status();
  return r.ok() ? *r : nullptr;
}

TEST(RuleSet, PinMovesItemAndShiftsTheRest) {
  Fixture f;
  RuleSetBuilder b(f.catalog());
  b.AddPin({.name = "hero", .item = ItemRef::Id("sku-5"), .position = 1});
  auto rules = MustBuild(std::move(b));
  std::vector<Candidate> c = Ranked({0, 1, 2, 3, 4, 5, 6});
  RuleReport report;
  rules->ApplyPins({}, /*k=*/5, c, &report);
  EXPECT_THAT(ItemsOf(c), ElementsAre(0, 5, 1, 2, 3));
  ASSERT_EQ(report.fired.size(), 1u);
  EXPECT_EQ(rules->rule_name(report.fired[0].rule), "hero");
  EXPECT_EQ(report.fired[0].effect, RuleEffect::kPinned);
}

TEST(RuleSet, PinBeyondKIsSkippedAndReported) {
  Fixture f;
  RuleSetBuilder b(f.catalog());
  b.AddPin({.name = "deep", .item = ItemRef::Index(4), .position = 3});
  auto rules = MustBuild(std::move(b));
  std::vector<Candidate> c = Ranked({0, 1, 2, 3, 4});
  RuleReport report;
  rules->ApplyPins({}, /*k=*/3, c, &report);
  EXPECT_THAT(ItemsOf(c), ElementsAre(0, 1, 2));
  ASSERT_EQ(report.fired.size(), 1u);
  EXPECT_EQ(report.fired[0].effect, RuleEffect::kPinSkippedBeyondK);
}

TEST(RuleSet, PinBeyondTheListButWithinKGoesToTheEnd) {
  Fixture f;
  RuleSetBuilder b(f.catalog());
  b.AddPin({.item = ItemRef::Index(0), .position = 8});
  auto rules = MustBuild(std::move(b));
  std::vector<Candidate> c = Ranked({0, 1, 2});
  rules->ApplyPins({}, /*k=*/10, c, nullptr);
  EXPECT_THAT(ItemsOf(c), ElementsAre(1, 2, 0));
}

TEST(RuleSet, SeveralPinsLandOnTheirExactPositions) {
  Fixture f;
  RuleSetBuilder b(f.catalog());
  b.AddPin({.item = ItemRef::Index(6), .position = 0});
  b.AddPin({.item = ItemRef::Index(0), .position = 3});
  b.AddPin({.item = ItemRef::Index(5), .position = 2});
  auto rules = MustBuild(std::move(b));
  std::vector<Candidate> c = Ranked({0, 1, 2, 3, 4, 5, 6});
  rules->ApplyPins({}, /*k=*/6, c, nullptr);
  EXPECT_THAT(ItemsOf(c), ElementsAre(6, 1, 5, 0, 2, 3));
}

TEST(RuleSetBuilder, RejectsDuplicatePinsWithinOneScope) {
  Fixture f;
  RuleSetBuilder same_item(f.catalog());
  same_item.AddPin({.name = "a", .item = ItemRef::Index(2), .position = 0});
  same_item.AddPin({.name = "b", .item = ItemRef::Id("sku-2"), .position = 4});
  auto r = std::move(same_item).Build();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(r.status().message(), HasSubstr("pins 'a' (item index 2) and 'b' (item 'sku-2') pin the same item (item index 2)"));

  RuleSetBuilder same_slot(f.catalog());
  same_slot.AddCampaign({.name = "bf",
                         .start = absl::FromUnixSeconds(0),
                         .end = absl::FromUnixSeconds(10),
                         .pins = {{.name = "x", .item = ItemRef::Index(1), .position = 2},
                                  {.name = "y", .item = ItemRef::Index(3), .position = 2}}});
  r = std::move(same_slot).Build();
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), HasSubstr("position 2 in campaign 'bf'"));
}

TEST(RuleSet, CampaignPinOverridesBasePinOnTheSameSlotAndItem) {
  Fixture f;
  FakeClock clock(absl::FromUnixSeconds(1000));
  RuleSetBuilder b(f.catalog());
  b.AddPin({.name = "base-slot0", .item = ItemRef::Index(4), .position = 0});
  b.AddPin({.name = "base-item7", .item = ItemRef::Index(7), .position = 5});
  b.AddCampaign({.name = "bf",
                 .start = absl::FromUnixSeconds(500),
                 .end = absl::FromUnixSeconds(2000),
                 .pins = {{.name = "bf-slot0", .item = ItemRef::Index(3), .position = 0},
                          {.name = "bf-item7", .item = ItemRef::Index(7), .position = 1}}});
  auto rules = MustBuild(std::move(b));
  std::vector<Candidate> c = Ranked({0, 1, 2, 3, 4, 5, 6, 7});
  RuleReport report;
  rules->ApplyPins({.now = clock.Now()}, /*k=*/6, c, &report);
  EXPECT_THAT(ItemsOf(c), ElementsAre(3, 7, 0, 1, 2, 4));
  std::vector<std::pair<std::string, RuleEffect>> fired;
  for (const RuleFiring& r : report.fired) {
    fired.emplace_back(std::string(rules->rule_name(r.rule)), r.effect);
  }
  EXPECT_THAT(fired,
              ElementsAre(std::pair{std::string("bf-slot0"), RuleEffect::kPinned},
                          std::pair{std::string("bf-item7"), RuleEffect::kPinned},
                          std::pair{std::string("base-slot0"), RuleEffect::kPinSkippedOverridden},
                          std::pair{std::string("base-item7"), RuleEffect::kPinSkippedOverridden}));

  // After the campaign, the base pins apply.
  clock.Advance(absl::Seconds(1000));
  c = Ranked({0, 1, 2, 3, 4, 5, 6, 7});
  rules->ApplyPins({.now = clock.Now()}, /*k=*/6, c, nullptr);
  EXPECT_THAT(ItemsOf(c), ElementsAre(4, 0, 1, 2, 3, 7));
}

TEST(RuleSet, FilteredOutPinIsNotResurrectedUnlessForcedAndInStock) {
  Fixture f;
  LiveInventory inv(10);
  ASSERT_TRUE(inv.SetStock(8, 3).ok());
  RuleSetBuilder b(f.catalog());
  b.AddPin({.name = "plain", .item = ItemRef::Index(9), .position = 0});
  b.AddPin({.name = "forced", .item = ItemRef::Index(8), .position = 1, .force = true});
  b.AddPin({.name = "forced-oos", .item = ItemRef::Index(7), .position = 2, .force = true});
  auto rules = MustBuild(std::move(b));

  std::vector<Candidate> c = Ranked({0, 1, 2});
  RuleReport report;
  rules->ApplyPins({.inventory = &inv}, /*k=*/4, c, &report);
  EXPECT_THAT(ItemsOf(c), ElementsAre(0, 8, 1, 2));
  EXPECT_FLOAT_EQ(c[1].score, 0.9f);  // the score of the slot it took
  ASSERT_EQ(report.fired.size(), 3u);
  EXPECT_EQ(report.fired[0].effect, RuleEffect::kPinSkippedNotCandidate);
  EXPECT_EQ(report.fired[1].effect, RuleEffect::kForcedPin);
  EXPECT_EQ(report.fired[2].effect, RuleEffect::kPinSkippedOutOfStock);

  // Without an inventory, forced pins are not resurrected either.
  c = Ranked({0, 1, 2});
  rules->ApplyPins({}, /*k=*/4, c, nullptr);
  EXPECT_THAT(ItemsOf(c), ElementsAre(0, 1, 2));
}

TEST(RuleSet, EveryItemFilteredLeavesOnlyForcedPins) {
  Fixture f;
  LiveInventory inv(10);
  ASSERT_TRUE(inv.SetStock(8, 1).ok());
  RuleSetBuilder plain(f.catalog());
  plain.AddPin({.item = ItemRef::Index(1), .position = 0});
  plain.AddAdjust(AdjustRule::Category("boost-home", CategoryRef::Id("home"), AdjustMode::kAdd, 1));
  auto rules = MustBuild(std::move(plain));
  std::vector<Candidate> empty;
  RuleReport report;
  rules->Apply({.inventory = &inv}, 5, empty, &report);
  EXPECT_THAT(empty, IsEmpty());

  RuleSetBuilder forced(f.catalog());
  forced.AddPin({.item = ItemRef::Index(8), .position = 3, .force = true});
  rules = MustBuild(std::move(forced));
  rules->Apply({.inventory = &inv}, 5, empty, nullptr);
  EXPECT_THAT(ItemsOf(empty), ElementsAre(8));
}

TEST(RuleSetBuilder, RejectsRulesForUnknownItemsAndCategoriesNamingThem) {
  Fixture f;
  {
    RuleSetBuilder b(f.catalog());
    b.AddPin({.name = "ghost", .item = ItemRef::Id("sku-x"), .position = 0});
    auto r = std::move(b).Build();
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), absl::StatusCode::kNotFound);
    EXPECT_THAT(r.status().message(), HasSubstr("rule 'ghost': item 'sku-x'"));
  }
  {
    // An id that could never be in the catalog is shown escaped, not raw.
    RuleSetBuilder b(f.catalog());
    b.AddPin({.name = "nul", .item = ItemRef::Id(std::string("sku\0x", 5)), .position = 0});
    auto r = std::move(b).Build();
    ASSERT_FALSE(r.ok());
    EXPECT_THAT(r.status().message(),
                HasSubstr("rule 'nul': item 'sku\\x00x' is not in the catalog"));
  }
  {
    RuleSetBuilder b(f.catalog());
    b.AddAdjust(AdjustRule::Item("far", ItemRef::Index(10), AdjustMode::kAdd, 1.0f));
    auto r = std::move(b).Build();
    ASSERT_FALSE(r.ok());
    EXPECT_THAT(r.status().message(), HasSubstr("rule 'far': item index 10"));
  }
  {
    RuleSetBuilder b(f.catalog());
    b.AddCampaign({.name = "c",
                   .start = absl::FromUnixSeconds(0),
                   .end = absl::FromUnixSeconds(1),
                   .adjust = {AdjustRule::Category("toys", CategoryRef::Id("toys"),
                                                   AdjustMode::kMultiply, 2.0f)}});
    auto r = std::move(b).Build();
    ASSERT_FALSE(r.ok());
    EXPECT_THAT(r.status().message(), HasSubstr("category 'toys'"));
  }
}

TEST(RuleSetBuilder, RejectsBadValuesWindowsAndAttributeSets) {
  Fixture f;
  auto build_one = [&](AdjustRule r) {
    RuleSetBuilder b(f.catalog());
    b.AddAdjust(std::move(r));
    return std::move(b).Build().status();
  };
  EXPECT_THAT(
      build_one(AdjustRule::Item("nan", ItemRef::Index(1), AdjustMode::kAdd, NAN)).message(),
      HasSubstr("'nan'"));
  EXPECT_EQ(
      build_one(AdjustRule::Item("neg", ItemRef::Index(1), AdjustMode::kMultiply, -2.0f)).code(),
      absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(build_one(AdjustRule::Attribute("null", nullptr, AdjustMode::kAdd, 1.0f)).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(build_one(AdjustRule::Attribute("small", std::make_shared<ItemBitset>(3),
                                              AdjustMode::kAdd, 1.0f))
                  .message(),
              HasSubstr("size 3"));

  RuleSetBuilder b(f.catalog());
  b.AddCampaign(
      {.name = "inverted", .start = absl::FromUnixSeconds(10), .end = absl::FromUnixSeconds(10)});
  EXPECT_THAT(std::move(b).Build().status().message(), HasSubstr("campaign 'inverted'"));
}

TEST(RuleSet, AdjustmentsMultiplyThenAddAndResort) {
  Fixture f;
  auto brand = std::make_shared<ItemBitset>(10);
  brand->Set(2);
  brand->Set(3);
  RuleSetBuilder b(f.catalog());
  b.AddAdjust(AdjustRule::Item("x3", ItemRef::Index(3), AdjustMode::kMultiply, 3.0f));
  b.AddAdjust(AdjustRule::Attribute("brand+", brand, AdjustMode::kAdd, 0.25f));
  b.AddAdjust(AdjustRule::Item("bury0", ItemRef::Index(0), AdjustMode::kMultiply, 0.5f));
  auto rules = MustBuild(std::move(b));
  // Scores: 0 -> 1.0, 1 -> 0.9, 2 -> 0.8, 3 -> 0.7.
  std::vector<Candidate> c = Ranked({0, 1, 2, 3});
  RuleReport report;
  rules->ApplyAdjustments({}, c, &report);
  // 3: 0.7*3+0.25 = 2.35; 2: 0.8+0.25 = 1.05; 1: 0.9; 0: 0.5.
  EXPECT_THAT(ItemsOf(c), ElementsAre(3, 2, 1, 0));
  EXPECT_FLOAT_EQ(c[0].score, 2.35f);
  EXPECT_FLOAT_EQ(c[1].score, 1.05f);
  EXPECT_FLOAT_EQ(c[3].score, 0.5f);
  ASSERT_EQ(report.fired.size(), 3u);
  for (const RuleFiring& r : report.fired) {
    EXPECT_EQ(r.effect, RuleEffect::kAdjusted);
    EXPECT_EQ(r.count, rules->rule_name(r.rule) == "brand+" ? 2u : 1u);
  }
}

TEST(RuleSet, CategoryRuleCoversItsSubtreeOnly) {
  Fixture f;
  RuleSetBuilder b(f.catalog());
  // Home contains Kitchen: items in category 0 or 1 get buried; Garden and
  // the uncategorized item 9 are untouched.
  b.AddAdjust(AdjustRule::Category("bury-home", CategoryRef::Index(0), AdjustMode::kAdd, -5.0f));
  auto rules = MustBuild(std::move(b));
  std::vector<Candidate> c = Ranked({0, 1, 2, 3, 9, 5});
  RuleReport report;
  rules->ApplyAdjustments({}, c, &report);
  EXPECT_THAT(ItemsOf(c), ElementsAre(2, 9, 5, 0, 1, 3));
  ASSERT_EQ(report.fired.size(), 1u);
  EXPECT_EQ(report.fired[0].count, 3u);
}

TEST(RuleSet, CampaignIsActiveOnlyInsideItsHalfOpenWindow) {
  Fixture f;
  const absl::Time start = absl::FromUnixSeconds(100), end = absl::FromUnixSeconds(200);
  RuleSetBuilder b(f.catalog());
  b.AddCampaign(
      {.name = "flash",
       .start = start,
       .end = end,
       .adjust = {AdjustRule::Item("flash-4", ItemRef::Index(4), AdjustMode::kAdd, 10.0f)}});
  auto rules = MustBuild(std::move(b));
  FakeClock clock(start - absl::Nanoseconds(1));
  auto top_after = [&](absl::Time now) {
    std::vector<Candidate> c = Ranked({0, 1, 4});
    rules->ApplyAdjustments({.now = now}, c, nullptr);
    return c[0].item;
  };
  EXPECT_EQ(top_after(clock.Now()), 0u);
  EXPECT_THAT(rules->ActiveCampaigns(clock.Now()), IsEmpty());
  clock.Advance(absl::Nanoseconds(1));  // == start
  EXPECT_EQ(top_after(clock.Now()), 4u);
  EXPECT_THAT(rules->ActiveCampaigns(clock.Now()), ElementsAre("flash"));
  clock.SetNow(end - absl::Nanoseconds(1));
  EXPECT_EQ(top_after(clock.Now()), 4u);
  clock.SetNow(end);
  EXPECT_EQ(top_after(clock.Now()), 0u);
}

}  // namespace
}  // namespace aisle::policy
