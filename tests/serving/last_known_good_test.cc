#include "aisle/serving/last_known_good.h"

#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"

namespace aisle {
namespace serving {
namespace {

TEST(LastKnownGood, ReturnsTheNewestValuePerKey) {
  FakeClock clock;
  LastKnownGood<std::string, std::vector<float>> lkg({}, clock);
  EXPECT_FALSE(lkg.Get("u1"));
  lkg.Put("u1", std::vector<float>{1, 2});
  lkg.Put("u2", std::vector<float>{3});
  clock.Advance(absl::Seconds(3));
  lkg.Put("u1", std::vector<float>{4, 5, 6});
  auto hit = lkg.Get("u1");
  ASSERT_TRUE(hit);
  EXPECT_EQ(*hit.value, (std::vector<float>{4, 5, 6}));
  EXPECT_EQ(hit.age, absl::ZeroDuration());
  auto old = lkg.Get("u2");
  ASSERT_TRUE(old);
  EXPECT_EQ(*old.value, std::vector<float>{3});
  EXPECT_EQ(old.age, absl::Seconds(3));
  EXPECT_EQ(lkg.size(), 2u);
}

TEST(LastKnownGood, EvictsTheLeastRecentlyUsedEntry) {
  FakeClock clock;
  LastKnownGood<int, int> lkg({.capacity = 2, .shards = 1}, clock);
  lkg.Put(1, 10);
  lkg.Put(2, 20);
  ASSERT_TRUE(lkg.Get(1));  // 1 is now more recent than 2
  lkg.Put(3, 30);
  EXPECT_TRUE(lkg.Get(1));
  EXPECT_FALSE(lkg.Get(2));
  EXPECT_TRUE(lkg.Get(3));
  EXPECT_EQ(lkg.size(), 2u);
  EXPECT_EQ(lkg.evictions(), 1u);
}

TEST(LastKnownGood, StaysWithinCapacityAcrossShards) {
  LastKnownGood<int, int> lkg({.capacity = 64, .shards = 8});
  for (int i = 0; i < 1000; ++i) lkg.Put(i, i);
  EXPECT_LE(lkg.size(), lkg.capacity());
  EXPECT_EQ(lkg.capacity(), 64u);
  EXPECT_EQ(lkg.size() + lkg.evictions(), 1000u);
}

TEST(LastKnownGood, DoesNotServeEntriesOlderThanMaxAge) {
  FakeClock clock;
  LastKnownGood<std::string, int> lkg({.max_age = absl::Minutes(5)}, clock);
  lkg.Put("seg:new-visitors", 7);
  clock.Advance(absl::Minutes(5));
  EXPECT_TRUE(lkg.Get("seg:new-visitors"));
  clock.Advance(absl::Seconds(1));
  EXPECT_FALSE(lkg.Get("seg:new-visitors"));
  EXPECT_EQ(lkg.size(), 0u);  // dropped on the expired read
}

TEST(LastKnownGood, EraseRemovesTheKey) {
  LastKnownGood<std::string, int> lkg;
  lkg.Put("a", 1);
  lkg.Erase("a");
  lkg.Erase("missing");
  EXPECT_FALSE(lkg.Get("a"));
}

TEST(LastKnownGood, AHitStaysValidAfterTheEntryIsReplaced) {
  LastKnownGood<int, std::string> lkg({.capacity = 1, .shards = 1});
  lkg.Put(1, std::string("first"));
  auto hit = lkg.Get(1);
  lkg.Put(2, std::string("second"));  // evicts key 1
  ASSERT_TRUE(hit);
  EXPECT_EQ(*hit.value, "first");
}

TEST(LastKnownGood, ConcurrentPutsAndGetsStayBoundedAndReadOwnWrites) {
  LastKnownGood<int, int> lkg({.capacity = 256, .shards = 4});
  std::vector<std::thread> threads;
  std::atomic<int> mismatches{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 5000; ++i) {
        const int key = t * 100000 + i % 300;  // each thread owns its keys
        lkg.Put(key, key * 2);
        auto hit = lkg.Get(key);
        if (hit && *hit.value != key * 2) mismatches.fetch_add(1);
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(mismatches.load(), 0);
  EXPECT_LE(lkg.size(), lkg.capacity());
}

}  // namespace
}  // namespace serving
}  // namespace aisle
