// InventoryFilter, PolicyFilter, ExclusionFilter and FilterChain.
#include <algorithm>
#include <memory>
#include <random>
#include <vector>

#include "aisle/policy/exclusion_filter.h"
#include "aisle/policy/filter_chain.h"
#include "aisle/policy/inventory_filter.h"
#include "aisle/policy/policy_filter.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace aisle::policy {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

std::vector<Candidate> Items(std::vector<ItemIndex> items) {
  std::vector<Candidate> out;
  float s = 1.0f;
  for (ItemIndex i : items) out.push_back({i, s -= 0.01f, 1});
  return out;
}

std::vector<ItemIndex> ItemsOf(const std::vector<Candidate>& c) {
  std::vector<ItemIndex> out;
  for (const Candidate& x : c) out.push_back(x.item);
  return out;
}

// Categories: 0 Electronics (root), 1 Phones < 0, 2 Cases < 1, 3 Food (root).
// Items: 0 -> Cases, 1 -> Phones, 2 -> Food, 3 -> none, 4 -> Electronics.
struct Tree {
  std::vector<CategoryIndex> parent = {kInvalidCategory, 0, 1, kInvalidCategory};
  std::vector<CategoryIndex> item_category = {2, 1, 3, kInvalidCategory, 0};
  CategoryView view() const { return {item_category, parent}; }
};

TEST(InventoryFilter, UsesTheSurfaceReserve) {
  LiveInventory inv(3);
  ASSERT_TRUE(inv.SetStock(0, 1).ok());
  ASSERT_TRUE(inv.SetStock(1, 3).ok());
  InventoryFilter f(&inv, /*default_reserve=*/0, /*reserve_by_surface=*/{0, 2});
  std::vector<Candidate> c = Items({0, 1, 2});
  EXPECT_EQ(f.Apply({.surface = 0}, c), 1u);
  EXPECT_THAT(ItemsOf(c), ElementsAre(0, 1));
  c = Items({0, 1, 2});
  EXPECT_EQ(f.Apply({.surface = 1}, c), 2u);  // needs more than 2 available
  EXPECT_THAT(ItemsOf(c), ElementsAre(1));
  c = Items({0, 1, 2});
  EXPECT_EQ(f.Apply({.surface = 7}, c), 1u);  // unknown surface: default
  EXPECT_EQ(f.name(), "inventory");
}

TEST(PolicyFilter, BlockedCategoryCoversDescendantsNotAncestors) {
  Tree t;
  auto f = PolicyFilter::Create(t.view(), {.blocked_categories = {1}});
  ASSERT_TRUE(f.ok()) << f.status();
  std::vector<Candidate> c = Items({0, 1, 2, 3, 4});
  EXPECT_EQ((*f)->Apply({}, c), 2u);
  // Cases (child of Phones) and Phones go; Electronics (parent), Food and
  // the uncategorized item stay.
  EXPECT_THAT(ItemsOf(c), ElementsAre(2, 3, 4));
}

TEST(PolicyFilter, BlockedItemsAndPerSurfaceRules) {
  Tree t;
  auto f = PolicyFilter::Create(t.view(), {.blocked_items = {3}},
                                {{2, PolicyRules{.blocked_categories = {3}}}});
  ASSERT_TRUE(f.ok()) << f.status();
  std::vector<Candidate> c = Items({0, 1, 2, 3, 4});
  EXPECT_EQ((*f)->Apply({.surface = 0}, c), 1u);
  EXPECT_THAT(ItemsOf(c), ElementsAre(0, 1, 2, 4));
  c = Items({0, 1, 2, 3, 4});
  EXPECT_EQ((*f)->Apply({.surface = 2}, c), 2u);
  EXPECT_THAT(ItemsOf(c), ElementsAre(0, 1, 4));
  EXPECT_TRUE((*f)->Blocked(2, 2));
  EXPECT_FALSE((*f)->Blocked(2, 1));
}

TEST(PolicyFilter, RejectsUnknownItemAndCategoryNamingThem) {
  Tree t;
  auto f = PolicyFilter::Create(t.view(), {.blocked_items = {99}});
  ASSERT_FALSE(f.ok());
  EXPECT_EQ(f.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(f.status().message(), HasSubstr("blocked item index 99"));
  f = PolicyFilter::Create(t.view(), {}, {{4, PolicyRules{.blocked_categories = {12}}}});
  ASSERT_FALSE(f.ok());
  EXPECT_THAT(f.status().message(), HasSubstr("blocked category 12"));
  EXPECT_THAT(f.status().message(), HasSubstr("surface 4"));
}

TEST(PolicyFilter, RejectsCyclicCategoryTree) {
  std::vector<CategoryIndex> parent = {1, 2, 0};
  std::vector<CategoryIndex> item_category = {0};
  auto f = PolicyFilter::Create({item_category, parent}, {.blocked_categories = {0}});
  ASSERT_FALSE(f.ok());
  EXPECT_EQ(f.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(f.status().message(), HasSubstr("cycle"));
}

TEST(ExclusionFilter, RemovesBoughtCartAndSeedsPerOptions) {
  const std::vector<ItemIndex> bought = {1}, cart = {2}, seeds = {3};
  FilterContext ctx{.bought = bought, .cart = cart, .seeds = seeds};
  std::vector<Candidate> c = Items({0, 1, 2, 3, 4});
  EXPECT_EQ(ExclusionFilter().Apply(ctx, c), 3u);
  EXPECT_THAT(ItemsOf(c), ElementsAre(0, 4));
  c = Items({0, 1, 2, 3, 4});
  EXPECT_EQ(ExclusionFilter({.bought = false}).Apply(ctx, c), 2u);  // "buy it again"
  EXPECT_THAT(ItemsOf(c), ElementsAre(0, 1, 4));
}

TEST(ExclusionFilter, LargeListsMatchBruteForce) {
  std::mt19937 rng(7);
  std::uniform_int_distribution<ItemIndex> item(0, 499);
  std::vector<ItemIndex> bought(40), cart(9), seeds(3);
  for (auto* v : {&bought, &cart, &seeds}) {
    for (ItemIndex& x : *v) x = item(rng);
  }
  std::vector<ItemIndex> all(300);
  for (ItemIndex& x : all) x = item(rng);
  std::vector<Candidate> c = Items(all);
  std::vector<ItemIndex> expected;
  for (ItemIndex x : all) {
    auto in = [x](const std::vector<ItemIndex>& v) {
      return std::find(v.begin(), v.end(), x) != v.end();
    };
    if (!in(bought) && !in(cart) && !in(seeds)) expected.push_back(x);
  }
  const size_t removed =
      ExclusionFilter().Apply({.bought = bought, .cart = cart, .seeds = seeds}, c);
  EXPECT_EQ(removed, all.size() - expected.size());
  EXPECT_EQ(ItemsOf(c), expected);
}

TEST(FilterChain, ReportsRemovedPerFilterInOrder) {
  Tree t;
  LiveInventory inv(5);
  for (ItemIndex i = 0; i < 5; ++i) ASSERT_TRUE(inv.SetStock(i, i == 4 ? 0 : 1).ok());
  auto policy = PolicyFilter::Create(t.view(), {.blocked_categories = {3}});
  ASSERT_TRUE(policy.ok());
  FilterChain chain;
  chain.Add(std::make_shared<InventoryFilter>(&inv));
  chain.Add(std::shared_ptr<const Filter>(std::move(*policy)));
  chain.Add(std::make_shared<ExclusionFilter>());
  chain.Add(nullptr);  // ignored
  ASSERT_EQ(chain.size(), 3u);
  EXPECT_EQ(chain.name(1), "policy");

  const std::vector<ItemIndex> cart = {0};
  std::vector<Candidate> c = Items({0, 1, 2, 3, 4});
  FilterReport report;
  EXPECT_EQ(chain.Run({.cart = cart}, c, &report), 3u);
  EXPECT_THAT(report.removed, ElementsAre(1, 1, 1));  // 4 sold out, 2 food, 0 in cart
  EXPECT_EQ(report.total_removed, 3u);
  EXPECT_THAT(ItemsOf(c), ElementsAre(1, 3));
  EXPECT_EQ(chain.TotalRemoved(0), 1u);
  EXPECT_EQ(chain.TotalSeen(1), 4u);
}

TEST(FilterChain, EveryItemFilteredStopsEarlyWithZeroForTheRest) {
  LiveInventory inv(5);  // nothing in stock
  FilterChain chain;
  chain.Add(std::make_shared<InventoryFilter>(&inv));
  chain.Add(std::make_shared<ExclusionFilter>());
  std::vector<Candidate> c = Items({0, 1, 2});
  FilterReport report;
  EXPECT_EQ(chain.Run({}, c, &report), 3u);
  EXPECT_THAT(c, IsEmpty());
  EXPECT_THAT(report.removed, ElementsAre(3, 0));
  EXPECT_EQ(chain.TotalSeen(1), 0u);
  // Running on an empty list is fine too.
  EXPECT_EQ(chain.Run({}, c, &report), 0u);
}

}  // namespace
}  // namespace aisle::policy
