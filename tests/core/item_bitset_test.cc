#include "aisle/core/item_bitset.h"

#include <vector>

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

}  // namespace
}  // namespace aisle
