#include "aisle/policy/live_item_filter.h"

#include <atomic>
#include <cstdint>
#include <memory>
#include <thread>
#include <vector>

#include "aisle/core/item_filter.h"
#include "aisle/policy/category_view.h"
#include "aisle/policy/live_inventory.h"
#include "aisle/policy/policy_filter.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace aisle::policy {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

std::unique_ptr<LiveItemFilter> MakeFilter(LiveInventory& inv, int32_t reserve,
                                           ItemBitset blocked = {}) {
  auto f = LiveItemFilter::Create(inv, reserve, std::move(blocked));
  EXPECT_TRUE(f.ok()) << f.status();
  return std::move(f).value();
}

std::vector<ItemIndex> AllowedItems(const ItemFilter& f, size_t n) {
  std::vector<ItemIndex> out;
  for (ItemIndex i = 0; i < n; ++i) {
    if (f.Allowed(i)) out.push_back(i);
  }
  return out;
}

// Allowed(), AllowedWords() and AllowedMask() give the same answer for every
// item (no update may be in flight).
void ExpectViewsAgree(const ItemFilter& f, size_t n) {
  std::vector<uint64_t> words((n + 63) / 64 + 1);
  f.AllowedWords(0, absl::MakeSpan(words));
  std::vector<ItemIndex> items;
  for (ItemIndex i = 0; i < n + 64; ++i) items.push_back(i);
  items.push_back(kInvalidItem);
  std::vector<uint8_t> mask(items.size(), 7);
  f.AllowedMask(items, absl::MakeSpan(mask));
  for (size_t j = 0; j < items.size(); ++j) {
    const ItemIndex i = items[j];
    const bool allowed = f.Allowed(i);
    if (i < n) {
      EXPECT_EQ(((words[i / 64] >> (i % 64)) & 1) != 0, allowed) << "item " << i;
    } else {
      EXPECT_FALSE(allowed) << "item " << i << " is outside the universe";
    }
    EXPECT_EQ(mask[j], allowed ? 1 : 0) << "item " << i;
  }
  EXPECT_EQ(words.back(), 0u);  // a word past the end reads as zero
}

TEST(LiveItemFilter, AllowsItemsInStockUnderTheReserveThatAreNotBlocked) {
  const int32_t stock[] = {5, 0, 3, -1, 1, 9};
  auto inv = LiveInventory::FromStock(stock).value();
  ItemBitset blocked(6);
  blocked.Set(5);
  auto f = MakeFilter(*inv, /*reserve=*/0, blocked);
  EXPECT_THAT(AllowedItems(*f, 6), ElementsAre(0, 2, 4));
  EXPECT_EQ(f->Size(), 6u);
  EXPECT_EQ(f->InStockCount(), 4u);  // 0, 2, 4, 5 (5 is blocked)
  auto cautious = MakeFilter(*inv, /*reserve=*/2, blocked);
  EXPECT_THAT(AllowedItems(*cautious, 6), ElementsAre(0, 2));
  EXPECT_EQ(cautious->reserve(), 2);
  ExpectViewsAgree(*f, 6);
  ExpectViewsAgree(*cautious, 6);
}

TEST(LiveItemFilter, OversoldAndHeldBackItemsAreNeverAllowed) {
  LiveInventory inv(3);
  auto f = MakeFilter(inv, 0);
  ASSERT_TRUE(inv.SetStock(0, 4).ok());
  ASSERT_TRUE(inv.SetStock(1, 4).ok());
  ASSERT_TRUE(inv.SetStock(2, 4).ok());
  ASSERT_TRUE(inv.AddStock(0, -7).ok());      // oversold: -3
  ASSERT_TRUE(inv.SetReserved(1, 4).ok());    // all 4 held: available 0
  ASSERT_TRUE(inv.SetReserved(2, 9).ok());    // more held than on hand
  EXPECT_THAT(AllowedItems(*f, 3), ElementsAre());
  EXPECT_EQ(f->AllowedCount(), 0u);
  EXPECT_DOUBLE_EQ(f->Selectivity(), 0.0);
}

TEST(LiveItemFilter, SelectivityFollowsStockChanges) {
  constexpr ItemIndex kItems = 1000;
  LiveInventory inv(kItems);
  auto f = MakeFilter(inv, 0);
  EXPECT_EQ(f->AllowedCount(), 0u);
  for (ItemIndex i = 0; i < kItems; ++i) ASSERT_TRUE(inv.SetStock(i, 2).ok());
  EXPECT_EQ(f->AllowedCount(), kItems);
  EXPECT_DOUBLE_EQ(f->Selectivity(), 1.0);
  for (ItemIndex i = 0; i < kItems; i += 10) {
    for (ItemIndex k = 0; k < 3; ++k) ASSERT_TRUE(inv.AddStock(i + k, -2).ok());
  }
  EXPECT_EQ(f->AllowedCount(), 700u);  // 30% sold out
  EXPECT_DOUBLE_EQ(f->Selectivity(), 0.7);
  ASSERT_TRUE(inv.SetStock(0, 1).ok());  // restock one
  EXPECT_EQ(f->AllowedCount(), 701u);
  ASSERT_TRUE(inv.SetReserved(5, 2).ok());  // hold back one
  EXPECT_EQ(f->AllowedCount(), 700u);
}

TEST(LiveItemFilter, BlockedShareScalesTheEstimateAndEmptiesIt) {
  constexpr ItemIndex kItems = 100;
  LiveInventory inv(kItems);
  for (ItemIndex i = 0; i < kItems; ++i) ASSERT_TRUE(inv.SetStock(i, i % 2 == 0 ? 1 : 0).ok());
  ItemBitset tenth(kItems);
  for (ItemIndex i = 0; i < kItems; i += 10) tenth.Set(i);
  auto f = MakeFilter(inv, 0, tenth);
  // 50 in stock, 10% blocked: estimate 45 (truly 40: the blocked items are
  // all even, hence in stock; the estimate assumes independence).
  EXPECT_EQ(f->AllowedCount(), 45u);
  EXPECT_EQ(AllowedItems(*f, kItems).size(), 40u);
  auto all_blocked = MakeFilter(inv, 0, ItemBitset(kItems, true));
  EXPECT_EQ(all_blocked->AllowedCount(), 0u);
  EXPECT_THAT(AllowedItems(*all_blocked, kItems), ElementsAre());
  ExpectViewsAgree(*f, kItems);
}

TEST(LiveItemFilter, BlocksItemsAndCategorySubtreesFromPolicyRules) {
  // Categories: 0 Electronics (root), 1 Phones < 0, 2 Cases < 1, 3 Food.
  // Items: 0 -> Cases, 1 -> Phones, 2 -> Food, 3 -> none, 4 -> Electronics.
  std::vector<CategoryIndex> parent = {kInvalidCategory, 0, 1, kInvalidCategory};
  std::vector<CategoryIndex> item_category = {2, 1, 3, kInvalidCategory, 0};
  auto policy = PolicyFilter::Create({item_category, parent}, {.blocked_items = {3}},
                                     {{1, PolicyRules{.blocked_categories = {1}}}});
  ASSERT_TRUE(policy.ok()) << policy.status();
  EXPECT_THAT(AllowedItems((*policy)->BlockedItems(0), 5), ElementsAre(3));
  EXPECT_THAT(AllowedItems((*policy)->BlockedItems(1), 5), ElementsAre(0, 1, 3));
  const int32_t stock[] = {1, 1, 1, 1, 1};
  auto inv = LiveInventory::FromStock(stock).value();
  auto surface0 = MakeFilter(*inv, 0, (*policy)->BlockedItems(0));
  auto surface1 = MakeFilter(*inv, 0, (*policy)->BlockedItems(1));
  EXPECT_THAT(AllowedItems(*surface0, 5), ElementsAre(0, 1, 2, 4));
  EXPECT_THAT(AllowedItems(*surface1, 5), ElementsAre(2, 4));
  // Both surfaces read the one bitmap the inventory keeps for reserve 0.
  EXPECT_EQ(inv->TrackedReserves().size(), 1u);
}

TEST(LiveItemFilter, ItemsAddedByGrowAreAllowedOnceStocked) {
  LiveInventory inv(2, /*capacity=*/200);
  auto f = MakeFilter(inv, 0, ItemBitset(2));
  ASSERT_TRUE(inv.Grow(150).ok());
  EXPECT_EQ(f->Size(), 150u);
  EXPECT_FALSE(f->Allowed(149));
  ASSERT_TRUE(inv.SetStock(149, 1).ok());
  EXPECT_TRUE(f->Allowed(149));  // beyond the blocked bitset: not blocked
  EXPECT_FALSE(f->Allowed(150));
  ExpectViewsAgree(*f, 150);
}

TEST(LiveItemFilter, RejectsNegativeReserveAndTooManyReserves) {
  LiveInventory inv(1);
  auto negative = LiveItemFilter::Create(inv, -1);
  ASSERT_FALSE(negative.ok());
  EXPECT_EQ(negative.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(negative.status().message(), HasSubstr("reserve -1"));
  for (int32_t r = 0; r < static_cast<int32_t>(LiveInventory::kMaxTrackedReserves); ++r) {
    ASSERT_TRUE(LiveItemFilter::Create(inv, r).ok());
  }
  auto one_more = LiveItemFilter::Create(inv, 1000);
  ASSERT_FALSE(one_more.ok());
  EXPECT_EQ(one_more.status().code(), absl::StatusCode::kResourceExhausted);
}

// A writer flips one item at a time and publishes each change; readers wait
// for it and must then see exactly the new answer through every view
// (Allowed, AllowedWords, AllowedMask), never the old one or a torn word.
TEST(LiveItemFilter, ReadersSeeEachStockChangeOnceTheWriterHasMadeIt) {
  constexpr ItemIndex kItems = 256;
  constexpr int kRounds = 3000;
  constexpr int kReaders = 2;
  LiveInventory inv(kItems);
  for (ItemIndex i = 0; i < kItems; i += 2) ASSERT_TRUE(inv.SetStock(i, 1).ok());
  ItemBitset blocked(kItems);
  blocked.Set(7);
  auto f = MakeFilter(inv, 0, blocked);
  std::atomic<int> published{0};
  std::atomic<int> acked{0};
  std::atomic<int> wrong{0};

  auto expected = [&](ItemIndex item, int round) {
    // After round r, item (r * 37) % kItems has stock r % 3 (0, 1, 2); an
    // item's last change decides.
    int last = -1;
    for (int k = round; k >= 1; --k) {
      if (static_cast<ItemIndex>((k * 37) % kItems) == item) {
        last = k;
        break;
      }
    }
    const bool in_stock = last < 0 ? item % 2 == 0 : last % 3 != 0;
    return in_stock && item != 7;
  };
  auto reader = [&] {
    std::vector<uint64_t> words(kItems / 64);
    std::vector<uint8_t> mask(1);
    for (int r = 1; r <= kRounds; ++r) {
      while (published.load(std::memory_order_acquire) < r) std::this_thread::yield();
      const ItemIndex item = static_cast<ItemIndex>((r * 37) % kItems);
      const bool want = expected(item, r);
      f->AllowedWords(0, absl::MakeSpan(words));
      const ItemIndex one[] = {item};
      f->AllowedMask(one, absl::MakeSpan(mask));
      const bool by_word = (words[item / 64] >> (item % 64)) & 1;
      if (f->Allowed(item) != want || by_word != want || (mask[0] != 0) != want) {
        wrong.fetch_add(1);
      }
      // A neighbour in the same word, changed in an earlier round or never.
      const ItemIndex other = item ^ 1;
      if (f->Allowed(other) != expected(other, r)) wrong.fetch_add(1);
      acked.fetch_add(1, std::memory_order_acq_rel);
    }
  };
  std::vector<std::thread> readers;
  for (int t = 0; t < kReaders; ++t) readers.emplace_back(reader);
  for (int r = 1; r <= kRounds; ++r) {
    const ItemIndex item = static_cast<ItemIndex>((r * 37) % kItems);
    ASSERT_TRUE(inv.SetStock(item, r % 3).ok());
    published.store(r, std::memory_order_release);
    while (acked.load(std::memory_order_acquire) < r * kReaders) std::this_thread::yield();
  }
  for (std::thread& t : readers) t.join();
  EXPECT_EQ(wrong.load(), 0);
  ExpectViewsAgree(*f, kItems);
}

// Writers change stock of a volatile set of items without pause while
// readers query. Items that are never restocked must never read as allowed,
// items always in stock must always read as allowed, and the estimate stays
// within the universe; after the writers stop, every view agrees with the
// inventory and the count is exact.
TEST(LiveItemFilter, ConcurrentStockChangesNeverGiveATornOrImpossibleAnswer) {
  constexpr ItemIndex kItems = 512;
  LiveInventory inv(kItems);
  // Items % 4 == 0: always in stock; % 4 == 1: always sold out; the rest flip.
  for (ItemIndex i = 0; i < kItems; ++i) {
    ASSERT_TRUE(inv.SetStock(i, i % 4 == 1 ? 0 : 5).ok());
  }
  auto f = MakeFilter(inv, 1);
  std::atomic<bool> stop{false};
  std::atomic<int> wrong{0};
  std::atomic<uint64_t> reads{0};
  auto writer = [&](uint32_t seed) {
    uint32_t x = seed;
    for (int n = 0; n < 40000; ++n) {
      x = x * 1664525u + 1013904223u;
      ItemIndex item = (x >> 8) % kItems;
      if (item % 4 < 2) item += 2;
      (void)inv.SetStock(item, static_cast<int32_t>((x >> 20) % 5) - 1);  // -1..3
    }
  };
  auto reader = [&] {
    std::vector<uint64_t> words(kItems / 64);
    std::vector<ItemIndex> items(kItems);
    std::vector<uint8_t> mask(kItems);
    for (ItemIndex i = 0; i < kItems; ++i) items[i] = i;
    while (!stop.load() || reads.load() < 50) {
      f->AllowedWords(0, absl::MakeSpan(words));
      f->AllowedMask(items, absl::MakeSpan(mask));
      for (ItemIndex i = 0; i < kItems; ++i) {
        const bool by_word = (words[i / 64] >> (i % 64)) & 1;
        if (i % 4 == 0 && !(by_word && mask[i] && f->Allowed(i))) wrong.fetch_add(1);
        if (i % 4 == 1 && (by_word || mask[i] || f->Allowed(i))) wrong.fetch_add(1);
      }
      if (f->AllowedCount() > kItems || f->AllowedCount() < kItems / 4) wrong.fetch_add(1);
      reads.fetch_add(1);
    }
  };
  std::thread r1(reader), r2(reader);
  std::thread w1(writer, 11), w2(writer, 12);
  w1.join();
  w2.join();
  stop = true;
  r1.join();
  r2.join();
  EXPECT_EQ(wrong.load(), 0);
  size_t in_stock = 0;
  for (ItemIndex i = 0; i < kItems; ++i) {
    EXPECT_EQ(f->Allowed(i), inv.InStock(i, 1)) << "item " << i;
    in_stock += inv.InStock(i, 1) ? 1 : 0;
  }
  EXPECT_EQ(f->AllowedCount(), in_stock);
  ExpectViewsAgree(*f, kItems);
}

}  // namespace
}  // namespace aisle::policy
