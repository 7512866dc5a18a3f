#include "aisle/core/item_bitset.h"

#include <cstdint>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace aisle {
namespace {

TEST(ItemBitset, FullSetCountsOnlyItsUniverse) {
  ItemBitset b(130, true);
  EXPECT_EQ(b.Count(), 130u);
  EXPECT_TRUE(b.Test(129));
  EXPECT_FALSE(b.Test(130));
  b.Reset(5);
  b.Reset(5);
  EXPECT_EQ(b.Count(), 129u);
  EXPECT_DOUBLE_EQ(b.Selectivity(), 129.0 / 130.0);
}

TEST(ItemBitset, AndOrAndForEachAgree) {
  ItemBitset a(200), c(200);
  for (ItemIndex i = 0; i < 200; i += 2) a.Set(i);
  for (ItemIndex i = 0; i < 200; i += 3) c.Set(i);
  ItemBitset both = a;
  both.And(c);
  std::vector<ItemIndex> seen;
  both.ForEach([&](ItemIndex i) { seen.push_back(i); });
  ASSERT_EQ(seen.size(), both.Count());
  for (ItemIndex i : seen) EXPECT_EQ(i % 6, 0u);
  EXPECT_EQ(both.Count(), 34u);  // 0, 6, ..., 198
  a.Or(c);
  EXPECT_EQ(a.Count(), 100u + 67u - 34u);
}

TEST(ItemBitset, OutOfRangeIsIgnored) {
  ItemBitset b(10);
  b.Set(10);
  b.Set(1000);
  EXPECT_EQ(b.Count(), 0u);
  EXPECT_FALSE(b.Test(1000));
}

TEST(ItemBitset, ServesAsAnItemFilterThroughEveryView) {
  ItemBitset b(130);
  for (ItemIndex i : {0u, 63u, 64u, 129u}) b.Set(i);
  const ItemFilter& f = b;
  EXPECT_EQ(f.Size(), 130u);
  EXPECT_EQ(f.AllowedCount(), 4u);
  EXPECT_DOUBLE_EQ(f.Selectivity(), 4.0 / 130.0);
  EXPECT_TRUE(f.Allowed(63));
  EXPECT_TRUE(f.Test(129));
  EXPECT_FALSE(f.Allowed(130));
  uint64_t words[4] = {9, 9, 9, 9};
  f.AllowedWords(1, words);  // words 1, 2, then two past the end
  EXPECT_EQ(words[0], 1u);
  EXPECT_EQ(words[1], 2u);
  EXPECT_EQ(words[2], 0u);
  EXPECT_EQ(words[3], 0u);
  f.AllowedWords(1000, words);
  EXPECT_EQ(words[0], 0u);
  const ItemIndex items[] = {64, 65, 129, 130, kInvalidItem, 0};
  uint8_t mask[6];
  f.AllowedMask(items, mask);
  EXPECT_THAT(mask, ::testing::ElementsAre(1, 0, 1, 0, 0, 1));
}

TEST(ItemBitset, EmptyUniverseHasZeroSelectivity) {
  const ItemBitset b;
  const ItemFilter& f = b;
  EXPECT_EQ(f.Size(), 0u);
  EXPECT_DOUBLE_EQ(f.Selectivity(), 0.0);
}

}  // namespace
}  // namespace aisle
