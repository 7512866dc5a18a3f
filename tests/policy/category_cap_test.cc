#include "aisle/policy/category_cap.h"

#include <algorithm>
#include <map>
#include <random>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace aisle::policy {
namespace {

using ::testing::ElementsAre;

std::vector<Candidate> Ranked(const std::vector<ItemIndex>& items) {
  std::vector<Candidate> out;
  float s = 100.0f;
  for (ItemIndex i : items) out.push_back({i, s -= 1.0f, 1});
  return out;
}

std::vector<ItemIndex> ItemsOf(const std::vector<Candidate>& c) {
  std::vector<ItemIndex> out;
  for (const Candidate& x : c) out.push_back(x.item);
  return out;
}

// Categories: 0 Home (root), 1 Kitchen < 0, 2 Bath < 0, 3 Garden (root).
// Items: 0,1,2 Kitchen; 3,4 Bath; 5,6 Garden; 7 none.
struct Tree {
  std::vector<CategoryIndex> parent = {kInvalidCategory, 0, 0, kInvalidCategory};
  std::vector<CategoryIndex> item_category = {1, 1, 1, 2, 2, 3, 3, kInvalidCategory};
  CategoryView view() const { return {item_category, parent}; }
};

TEST(CategoryCapDiversifier, DefersItemsOverTheCapKeepingOrder) {
  Tree t;
  auto caps = CategoryCapDiversifier::Create(t.view(), {.max_per_category = 1, .top_m = 4});
  ASSERT_TRUE(caps.ok()) << caps.status();
  std::vector<Candidate> c = Ranked({0, 1, 2, 3, 4, 5, 7, 6});
  CategoryCapReport r = caps->Apply(c, /*k=*/8);
  // Top 4: 0 (Kitchen), 3 (Bath), 5 (Garden), 7 (none); then the deferred
  // 1, 2, 4 in order, then the untouched rest 6.
  EXPECT_THAT(ItemsOf(c), ElementsAre(0, 3, 5, 7, 1, 2, 4, 6));
  EXPECT_EQ(r.deferred, 3u);
  EXPECT_EQ(r.relaxed, 0u);
  EXPECT_FLOAT_EQ(c[1].score, 96.0f);  // scores travel with their items
}

TEST(CategoryCapDiversifier, CapsAtAChosenDepth) {
  Tree t;
  // Depth 0: Kitchen and Bath both count as Home.
  auto caps =
      CategoryCapDiversifier::Create(t.view(), {.max_per_category = 2, .top_m = 3, .depth = 0});
  ASSERT_TRUE(caps.ok());
  std::vector<Candidate> c = Ranked({0, 3, 1, 5, 6});
  caps->Apply(c, 5);
  EXPECT_THAT(ItemsOf(c), ElementsAre(0, 3, 5, 1, 6));
  EXPECT_EQ(caps->KeyOf(4), 0u);
  EXPECT_EQ(caps->KeyOf(7), kInvalidCategory);
}

TEST(CategoryCapDiversifier, RelaxesTheCapWhenTheListRunsOut) {
  Tree t;
  auto caps = CategoryCapDiversifier::Create(t.view(), {.max_per_category = 1, .top_m = 3});
  ASSERT_TRUE(caps.ok());
  std::vector<Candidate> c = Ranked({0, 1, 2});  // all Kitchen
  CategoryCapReport r = caps->Apply(c, 3);
  EXPECT_THAT(ItemsOf(c), ElementsAre(0, 1, 2));
  EXPECT_EQ(r.relaxed, 2u);
  EXPECT_EQ(r.deferred, 0u);
}

TEST(CategoryCapDiversifier, TruncatesToKAndHandlesEmpty) {
  Tree t;
  auto caps = CategoryCapDiversifier::Create(t.view(), {.max_per_category = 1, .top_m = 2});
  ASSERT_TRUE(caps.ok());
  std::vector<Candidate> c = Ranked({0, 1, 3});
  caps->Apply(c, 2);
  EXPECT_THAT(ItemsOf(c), ElementsAre(0, 3));
  std::vector<Candidate> empty;
  caps->Apply(empty, 5);
  EXPECT_TRUE(empty.empty());
}

TEST(CategoryCapDiversifier, RejectsZeroCapAndBadTree) {
  Tree t;
  EXPECT_FALSE(CategoryCapDiversifier::Create(t.view(), {.max_per_category = 0}).ok());
  std::vector<CategoryIndex> bad_items = {9};
  auto r = CategoryCapDiversifier::Create({bad_items, t.parent}, {});
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), ::testing::HasSubstr("item index 0 has category 9"));
}

// Property check on random lists against the definition: the top m respects
// the cap when enough items exist, the output is a permutation of the input
// and items beyond the top m keep their original relative order.
TEST(CategoryCapDiversifier, RandomListsSatisfyTheDefinition) {
  std::mt19937 rng(11);
  std::vector<CategoryIndex> parent(20, kInvalidCategory);
  std::vector<CategoryIndex> item_category(1000);
  for (auto& c : item_category) c = rng() % 20;
  CategoryView view{item_category, parent};
  for (int trial = 0; trial < 50; ++trial) {
    const uint32_t cap = 1 + rng() % 3;
    const size_t m = 5 + rng() % 30;
    auto caps = CategoryCapDiversifier::Create(view, {.max_per_category = cap, .top_m = m});
    ASSERT_TRUE(caps.ok());
    std::vector<ItemIndex> items(1000);
    for (ItemIndex i = 0; i < 1000; ++i) items[i] = i;
    std::shuffle(items.begin(), items.end(), rng);
    items.resize(40 + rng() % 200);
    std::vector<Candidate> c = Ranked(items);
    const CategoryCapReport report = caps->Apply(c, items.size());
    ASSERT_EQ(c.size(), items.size());
    std::vector<ItemIndex> got = ItemsOf(c), sorted_in = items, sorted_out = got;
    std::sort(sorted_in.begin(), sorted_in.end());
    std::sort(sorted_out.begin(), sorted_out.end());
    EXPECT_EQ(sorted_in, sorted_out);
    std::map<CategoryIndex, uint32_t> counts;
    for (size_t i = 0; i < m && i < got.size(); ++i) ++counts[item_category[got[i]]];
    size_t over = 0;
    for (const auto& [cat, n] : counts) over += n > cap ? n - cap : 0;
    // Over-cap slots in the top m are exactly the relaxed ones, and only
    // happen when the list had too few items of other categories.
    EXPECT_EQ(over, report.relaxed);
    if (report.relaxed > 0) {
      std::map<CategoryIndex, uint32_t> all;
      for (ItemIndex i : items) ++all[item_category[i]];
      size_t fits = 0;
      for (const auto& [cat, n] : all) fits += std::min<size_t>(n, cap);
      EXPECT_LT(fits, std::min(m, items.size()));
      continue;  // relaxed items are out of rank order by design
    }
    // Beyond m: original relative order.
    std::map<ItemIndex, size_t> rank;
    for (size_t i = 0; i < items.size(); ++i) rank[items[i]] = i;
    for (size_t i = m + 1; i < got.size(); ++i) EXPECT_LT(rank[got[i - 1]], rank[got[i]]);
    // Within the top m: original relative order too (greedy, stable).
    for (size_t i = 1; i < m && i < got.size(); ++i) EXPECT_LT(rank[got[i - 1]], rank[got[i]]);
  }
}

}  // namespace
}  // namespace aisle::policy
