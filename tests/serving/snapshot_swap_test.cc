// Snapshot swaps under concurrent load: no request fails and no response
// mixes two snapshots.
#include <atomic>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "aisle/serving/engine.h"
#include "serving/test_storefront.h"
#include "gtest/gtest.h"

namespace aisle::serving {
namespace {

TEST(SnapshotSwap, ConcurrentRequestsNeverFailOrMixVersions) {
  // Two snapshots whose catalogs share no item id: a response's items must
  // all carry the prefix of the version that served it.
  std::shared_ptr<const Snapshot> a = testing::MakeSnapshot("A", "a-");
  std::shared_ptr<const Snapshot> b = testing::MakeSnapshot("B", "b-");
  auto engine = Engine::Create(a);
  ASSERT_TRUE(engine.ok()) << engine.status();

  std::atomic<bool> stop{false};
  std::atomic<int> served{0}, failed{0}, mixed{0}, empty{0};
  std::atomic<int> seen_a{0}, seen_b{0};
  auto reader = [&](int seed) {
    int n = 0;
    while (!stop.load() || n < 50) {
      Request r;
      r.surface = (n + seed) % 2 ? "home" : "product_page";
      r.seed_items = {absl::StrCat("a-", n % 40), absl::StrCat("b-", n % 40)};
      ++n;
      auto resp = (*engine)->Recommend(r);
      if (!resp.ok()) {
        failed.fetch_add(1);
        continue;
      }
      served.fetch_add(1);
      const std::string prefix = resp->snapshot_version == "A" ? "a-" : "b-";
      (resp->snapshot_version == "A" ? seen_a : seen_b).fetch_add(1);
      if (resp->items.empty()) empty.fetch_add(1);
      for (const auto& item : resp->items) {
        if (!absl::StartsWith(item.id, prefix)) mixed.fetch_add(1);
      }
      if (n > 20000) break;
    }
  };
  std::thread r1(reader, 0), r2(reader, 1);
  int swaps = 0;
  for (int i = 0; i < 20; ++i) {
    ASSERT_TRUE((*engine)->Swap(i % 2 ? a : b).ok());
    ++swaps;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  stop = true;
  r1.join();
  r2.join();
  EXPECT_EQ(failed.load(), 0);
  EXPECT_EQ(mixed.load(), 0);
  EXPECT_EQ(empty.load(), 0);
  EXPECT_GT(served.load(), 100);
  EXPECT_GT(seen_a.load(), 0);
  EXPECT_GT(seen_b.load(), 0);
  EXPECT_EQ((*engine)->metrics().swaps, uint64_t(swaps + 1));
}

TEST(SnapshotSwap, SameCatalogKeepsLiveInventory) {
  std::shared_ptr<Snapshot> v1 = testing::MakeSnapshot("v1");
  auto v2 = std::make_shared<Snapshot>(*v1);
  v2->version = "v2";
  auto engine = Engine::Create(v1);
  ASSERT_TRUE(engine.ok());
  ASSERT_TRUE((*engine)->SetStock("sku-0", 0).ok());
  ASSERT_TRUE((*engine)->Swap(v2).ok());
  Request r;
  r.surface = "home";
  auto resp = (*engine)->Recommend(r);
  ASSERT_TRUE(resp.ok());
  EXPECT_EQ(resp->snapshot_version, "v2");
  for (const auto& item : resp->items) EXPECT_NE(item.id, "sku-0") << "sold out before the swap";
}

}  // namespace
}  // namespace aisle::serving
