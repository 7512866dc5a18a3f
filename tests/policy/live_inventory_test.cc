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

// ---- In-stock bitmaps (TrackInStock) ----------------------------------------

// Bitmap and count against InStock() for every item.
void ExpectBitmapMatches(const LiveInventory& inv, const LiveInventory::InStockBitmap& b) {
  size_t in_stock = 0;
  for (ItemIndex i = 0; i < inv.capacity(); ++i) {
    const bool want = inv.InStock(i, b.reserve());
    EXPECT_EQ(b.Test(i), want) << "item " << i << " reserve " << b.reserve();
    in_stock += want ? 1 : 0;
  }
  EXPECT_EQ(b.count(), in_stock) << "reserve " << b.reserve();
}

TEST(LiveInventory, InStockBitmapStartsFromCurrentLevels) {
  const int32_t stock[] = {5, 0, -2, 1, 3};
  auto inv = LiveInventory::FromStock(stock).value();
  ASSERT_TRUE(inv->SetReserved(4, 2).ok());  // available 1
  auto zero = inv->TrackInStock(0);
  auto one = inv->TrackInStock(1);
  ASSERT_TRUE(zero.ok()) << zero.status();
  ASSERT_TRUE(one.ok()) << one.status();
  EXPECT_EQ((*zero)->count(), 3u);  // 0, 3, 4
  EXPECT_EQ((*one)->count(), 1u);   // only 0 has more than 1 available
  ExpectBitmapMatches(*inv, **zero);
  ExpectBitmapMatches(*inv, **one);
}

TEST(LiveInventory, InStockBitmapFollowsSetStockAddStockAndSetReserved) {
  LiveInventory inv(70, /*capacity=*/130);
  const LiveInventory::InStockBitmap* b = inv.TrackInStock(2).value();
  EXPECT_EQ(b->count(), 0u);
  ASSERT_TRUE(inv.SetStock(65, 3).ok());  // available 3 > 2
  EXPECT_TRUE(b->Test(65));
  EXPECT_EQ(b->count(), 1u);
  EXPECT_EQ(b->Word(1), uint64_t{1} << 1);
  ASSERT_TRUE(inv.SetReserved(65, 1).ok());  // available 2: not > 2
  EXPECT_FALSE(b->Test(65));
  ASSERT_TRUE(inv.AddStock(65, 1).ok());  // available 3
  EXPECT_TRUE(b->Test(65));
  ASSERT_TRUE(inv.AddStock(65, -10).ok());  // oversold: stock -6
  EXPECT_FALSE(b->Test(65));
  EXPECT_EQ(b->count(), 0u);
  // Rejected updates change nothing.
  EXPECT_FALSE(inv.SetStock(100, 9).ok());  // beyond size()
  EXPECT_FALSE(inv.SetReserved(65, -1).ok());
  ExpectBitmapMatches(inv, *b);
  // Grown items start at stock 0, out of stock; then follow their updates.
  ASSERT_TRUE(inv.Grow(130).ok());
  EXPECT_EQ(b->count(), 0u);
  ASSERT_TRUE(inv.SetStock(129, 4).ok());
  EXPECT_TRUE(b->Test(129));
  ExpectBitmapMatches(inv, *b);
  EXPECT_EQ(b->Word(b->num_words()), 0u);  // past the end
}

TEST(LiveInventory, NegativeStockIsNeverInTheInStockBitmap) {
  LiveInventory inv(2);
  const LiveInventory::InStockBitmap* b = inv.TrackInStock(0).value();
  ASSERT_TRUE(inv.SetStock(0, -3).ok());
  ASSERT_TRUE(inv.SetStock(1, std::numeric_limits<int32_t>::min()).ok());
  ASSERT_TRUE(inv.SetReserved(1, std::numeric_limits<int32_t>::max()).ok());
  EXPECT_FALSE(b->Test(0));
  EXPECT_FALSE(b->Test(1));
  EXPECT_EQ(b->count(), 0u);
}

TEST(LiveInventory, TrackInStockIsIdempotentBoundedAndRejectsNegativeReserves) {
  LiveInventory inv(3);
  auto a = inv.TrackInStock(1);
  auto again = inv.TrackInStock(1);
  ASSERT_TRUE(a.ok());
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*a, *again);
  auto negative = inv.TrackInStock(-1);
  ASSERT_FALSE(negative.ok());
  EXPECT_EQ(negative.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(negative.status().message(), HasSubstr("reserve -1"));
  for (int32_t r = 2; r < static_cast<int32_t>(LiveInventory::kMaxTrackedReserves) + 1; ++r) {
    ASSERT_TRUE(inv.TrackInStock(r).ok()) << r;
  }
  auto too_many = inv.TrackInStock(100);
  ASSERT_FALSE(too_many.ok());
  EXPECT_EQ(too_many.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(too_many.status().message(), HasSubstr("reserve 100"));
  EXPECT_EQ(inv.TrackedReserves().size(), LiveInventory::kMaxTrackedReserves);
  EXPECT_EQ(inv.TrackedReserves().front(), 1);
}

TEST(LiveInventory, RemapTracksTheSameReservesOverTheNewIndices) {
  LiveInventory old(3);
  ASSERT_TRUE(old.SetStock(0, 10).ok());
  ASSERT_TRUE(old.SetStock(2, 1).ok());
  ASSERT_TRUE(old.TrackInStock(0).ok());
  ASSERT_TRUE(old.TrackInStock(5).ok());
  std::vector<ItemIndex> new_to_old = {2, kInvalidItem, 0};
  auto inv = LiveInventory::Remap(old, new_to_old);
  EXPECT_THAT(inv->TrackedReserves(), ::testing::ElementsAre(0, 5));
  const LiveInventory::InStockBitmap* zero = inv->TrackInStock(0).value();
  const LiveInventory::InStockBitmap* five = inv->TrackInStock(5).value();
  EXPECT_TRUE(zero->Test(0));  // old 2, stock 1
  EXPECT_FALSE(zero->Test(1));
  EXPECT_TRUE(zero->Test(2));  // old 0, stock 10
  EXPECT_FALSE(five->Test(0));
  EXPECT_TRUE(five->Test(2));
  ExpectBitmapMatches(*inv, *zero);
  ExpectBitmapMatches(*inv, *five);
}

// Writers race on the same few items with every kind of update while
// TrackInStock starts a second bitmap mid-stream; once they stop, both
// bitmaps and counts agree exactly with the levels.
TEST(LiveInventory, InStockBitmapsSettleOnTheFinalLevelsUnderRacingWriters) {
  constexpr ItemIndex kItems = 130;
  constexpr int kPerWriter = 30000;
  LiveInventory inv(kItems);
  const LiveInventory::InStockBitmap* zero = inv.TrackInStock(0).value();
  std::atomic<int> started{0};
  auto writer = [&](uint32_t seed) {
    uint32_t x = seed;
    started.fetch_add(1);
    for (int n = 0; n < kPerWriter; ++n) {
      x = x * 1664525u + 1013904223u;
      // Items 0..7 are shared by all writers (same-item races), the rest
      // spread over the two words' boundary.
      const ItemIndex item = (x >> 8) % 4 == 0 ? (x >> 12) % kItems : (x >> 12) % 8;
      const int32_t v = static_cast<int32_t>((x >> 20) % 7) - 2;  // -2..4
      switch ((x >> 16) % 3) {
        case 0:
          (void)inv.SetStock(item, v);
          break;
        case 1:
          (void)inv.AddStock(item, v > 1 ? -1 : 1);
          break;
        default:
          (void)inv.SetReserved(item, v < 0 ? 0 : v);
          break;
      }
    }
  };
  std::thread w1(writer, 1), w2(writer, 2), w3(writer, 3);
  while (started.load() < 3) std::this_thread::yield();
  const LiveInventory::InStockBitmap* two = inv.TrackInStock(2).value();
  w1.join();
  w2.join();
  w3.join();
  ExpectBitmapMatches(inv, *zero);
  ExpectBitmapMatches(inv, *two);
}

}  // namespace
}  // namespace aisle::policy
