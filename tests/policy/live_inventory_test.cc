#include "aisle/policy/live_inventory.h"

#include <atomic>
#include <limits>
#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace aisle::policy {
namespace {

using ::testing::HasSubstr;

std::vector<Candidate> Items(std::initializer_list<ItemIndex> items) {
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

TEST(LiveInventory, InStockComparesAvailableAgainstReserve) {
  LiveInventory inv(4);
  ASSERT_TRUE(inv.SetStock(0, 5).ok());
  ASSERT_TRUE(inv.SetReserved(0, 2).ok());  // available 3
  EXPECT_EQ(inv.Available(0), 3);
  EXPECT_TRUE(inv.InStock(0, 0));
  EXPECT_TRUE(inv.InStock(0, 2));
  EXPECT_FALSE(inv.InStock(0, 3));
  EXPECT_FALSE(inv.InStock(1, 0));   // stock 0
  EXPECT_FALSE(inv.InStock(99, 0));  // unknown
}

TEST(LiveInventory, DeltaCanOversellButRejectsInt32Overflow) {
  LiveInventory inv(2);
  ASSERT_TRUE(inv.SetStock(0, 1).ok());
  ASSERT_TRUE(inv.AddStock(0, -3).ok());
  EXPECT_EQ(inv.Stock(0), -2);
  EXPECT_FALSE(inv.InStock(0));

  ASSERT_TRUE(inv.SetStock(1, std::numeric_limits<int32_t>::max() - 1).ok());
  absl::Status s = inv.AddStock(1, 5);
  EXPECT_EQ(s.code(), absl::StatusCode::kOutOfRange);
  EXPECT_THAT(s.message(), HasSubstr("item 1"));
  EXPECT_EQ(inv.Stock(1), std::numeric_limits<int32_t>::max() - 1);  // unchanged
  EXPECT_EQ(inv.stats().rejected_overflow, 1u);
}

TEST(LiveInventory, RejectsUnknownItemsAndNegativeReservesAndCountsThem) {
  LiveInventory inv(3);
  absl::Status s = inv.SetStock(7, 1);
  EXPECT_EQ(s.code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(s.message(), HasSubstr("item 7"));
  EXPECT_EQ(inv.AddStock(3, 1).code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(inv.SetReserved(0, -1).code(), absl::StatusCode::kInvalidArgument);
  const LiveInventory::Stats st = inv.stats();
  EXPECT_EQ(st.rejected_unknown_item, 2u);
  EXPECT_EQ(st.rejected_invalid, 1u);
  EXPECT_EQ(st.applied, 0u);
  EXPECT_EQ(inv.version(), 0u);
}

// Negative stock is one meaning on every path: oversold (backorders), never
// in stock. SetStock, AddStock and the snapshot column all accept it.
TEST(LiveInventory, NegativeStockIsOversoldOnEveryPath) {
  LiveInventory inv(3);
  ASSERT_TRUE(inv.SetStock(0, -2).ok());
  ASSERT_TRUE(inv.SetStock(1, 1).ok());
  ASSERT_TRUE(inv.AddStock(1, -3).ok());
  EXPECT_EQ(inv.Stock(0), -2);
  EXPECT_EQ(inv.Stock(1), -2);
  EXPECT_FALSE(inv.InStock(0));
  EXPECT_FALSE(inv.InStock(1));
  ASSERT_TRUE(inv.AddStock(0, 3).ok());  // restocked: 1 on hand
  EXPECT_TRUE(inv.InStock(0));
  std::vector<Candidate> c = Items({0, 1, 2});
  EXPECT_EQ(inv.FilterInStock(c), 2u);
  EXPECT_THAT(ItemsOf(c), ::testing::ElementsAre(0));
}

TEST(LiveInventory, VersionBumpsOnEveryAcceptedChange) {
  LiveInventory inv(3);
  const uint64_t v0 = inv.version();
  ASSERT_TRUE(inv.SetStock(0, 3).ok());
  ASSERT_TRUE(inv.AddStock(0, -1).ok());
  ASSERT_TRUE(inv.SetReserved(0, 1).ok());
  EXPECT_FALSE(inv.SetStock(5, 1).ok());
  EXPECT_EQ(inv.version(), v0 + 3);
  EXPECT_EQ(inv.stats().applied, 3u);
}

TEST(LiveInventory, FilterInStockKeepsOrderAndCountsRemoved) {
  LiveInventory inv(6);
  for (ItemIndex i : {0u, 2u, 3u, 5u}) ASSERT_TRUE(inv.SetStock(i, 2).ok());
  ASSERT_TRUE(inv.SetReserved(3, 1).ok());  // available 1
  std::vector<Candidate> c = Items({5, 4, 3, 2, 1, 0, 42});
  EXPECT_EQ(inv.FilterInStock(c, /*reserve=*/0), 3u);  // 4, 1 and unknown 42
  EXPECT_THAT(ItemsOf(c), ::testing::ElementsAre(5, 3, 2, 0));
  EXPECT_EQ(inv.FilterInStock(c, /*reserve=*/1), 1u);  // 3 has only 1 available
  EXPECT_THAT(ItemsOf(c), ::testing::ElementsAre(5, 2, 0));
}

TEST(LiveInventory, FromStockKeepsNegativeStockAsOversold) {
  std::vector<int32_t> stock = {1, 0, -4};
  auto inv = LiveInventory::FromStock(stock);
  ASSERT_TRUE(inv.ok()) << inv.status();
  EXPECT_EQ((*inv)->Stock(2), -4);
  EXPECT_FALSE((*inv)->InStock(2));
  EXPECT_TRUE((*inv)->InStock(0));
  EXPECT_EQ((*inv)->size(), 3u);
}

TEST(LiveInventory, GrowsWithinCapacityOnly) {
  LiveInventory inv(2, /*capacity=*/4);
  EXPECT_EQ(inv.SetStock(3, 1).code(), absl::StatusCode::kNotFound);
  ASSERT_TRUE(inv.Grow(4).ok());
  EXPECT_EQ(inv.size(), 4u);
  EXPECT_EQ(inv.Stock(3), 0);
  ASSERT_TRUE(inv.SetStock(3, 1).ok());
  EXPECT_TRUE(inv.InStock(3));
  EXPECT_EQ(inv.Grow(5).code(), absl::StatusCode::kResourceExhausted);
  ASSERT_TRUE(inv.Grow(1).ok());  // shrinking is a no-op
  EXPECT_EQ(inv.size(), 4u);
}

TEST(LiveInventory, RemapCarriesLevelsToNewIndices) {
  LiveInventory old(3);
  ASSERT_TRUE(old.SetStock(0, 10).ok());
  ASSERT_TRUE(old.SetStock(2, 30).ok());
  ASSERT_TRUE(old.SetReserved(2, 5).ok());
  // New catalog: [old 2, brand new, old 0].
  std::vector<ItemIndex> new_to_old = {2, kInvalidItem, 0};
  uint64_t at = 0;
  auto inv = LiveInventory::Remap(old, new_to_old, 0, &at);
  EXPECT_EQ(at, old.version());
  EXPECT_EQ(inv->Stock(0), 30);
  EXPECT_EQ(inv->Reserved(0), 5);
  EXPECT_EQ(inv->Stock(1), 0);
  EXPECT_EQ(inv->Stock(2), 10);
}

TEST(LiveInventory, ConcurrentWritersAndLockFreeReadersAgree) {
  constexpr ItemIndex kItems = 64;
  constexpr int kPerWriter = 20000;
  LiveInventory inv(kItems);
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> reader_checks{0};
  std::atomic<bool> reader_saw_bad{false};

  auto writer = [&](int seed) {
    for (int n = 0; n < kPerWriter; ++n) {
      const ItemIndex item = static_cast<ItemIndex>((n * 7 + seed) % kItems);
      if (!inv.AddStock(item, 1).ok()) reader_saw_bad = true;
    }
  };
  auto reader = [&] {
    uint64_t last_version = 0;
    std::vector<Candidate> c;
    // At least 100 passes: on a busy machine the writers may finish before
    // this thread is first scheduled.
    while (!stop.load() || reader_checks.load() < 100) {
      const uint64_t v = inv.version();
      if (v < last_version) reader_saw_bad = true;  // versions never go back
      last_version = v;
      c.clear();
      for (ItemIndex i = 0; i < kItems; ++i) c.push_back({i, 0.0f, 0});
      inv.FilterInStock(c, 0);
      for (const Candidate& x : c) {
        if (inv.Stock(x.item) <= 0) reader_saw_bad = true;  // stock only grows
      }
      reader_checks.fetch_add(1);
    }
  };
  std::thread r(reader);
  std::thread w1(writer, 0), w2(writer, 3);
  w1.join();
  w2.join();
  stop = true;
  r.join();
  EXPECT_FALSE(reader_saw_bad.load());
  EXPECT_GT(reader_checks.load(), 0u);
  int64_t total = 0;
  for (ItemIndex i = 0; i < kItems; ++i) total += inv.Stock(i);
  EXPECT_EQ(total, 2 * kPerWriter);
  EXPECT_EQ(inv.version(), uint64_t{2 * kPerWriter});
  EXPECT_EQ(inv.stats().applied, uint64_t{2 * kPerWriter});
}

TEST(LiveInventory, FromStockRejectsAbsurdCapacityBeforeAllocating) {
  const int32_t stock[] = {1, 2};
  auto inv = LiveInventory::FromStock(stock, size_t{1} << 62);
  ASSERT_FALSE(inv.ok());
  EXPECT_EQ(inv.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(inv.status().message(),
              HasSubstr("live inventory: capacity = 4611686018427387904 (2 items) is outside "
                        "[0, 2^32-1)"));
}

}  // namespace
}  // namespace aisle::policy
