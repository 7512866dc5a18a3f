// NewItemPool: which items are new at request time, as the clock moves.
#include "aisle/policy/new_item_pool.h"

#include <cstdint>
#include <vector>

#include "aisle/core/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace aisle::policy {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

const absl::Time kT0 = absl::FromUnixSeconds(1700000000);

int64_t At(absl::Duration d) { return absl::ToUnixMicros(kT0 + d); }

std::vector<ItemIndex> ItemsOf(const std::vector<Candidate>& c) {
  std::vector<ItemIndex> out;
  for (const Candidate& x : c) out.push_back(x.item);
  return out;
}

// Item 0: launched long ago; 1: unknown; 2: at kT0; 3: kT0 + 10 h; 4: kT0 +
// 50 h (after the snapshot, built at kT0); 5: kT0 + 10 h as well.
std::vector<int64_t> Launches() {
  return {At(-absl::Hours(24 * 30)), NewItemPool::kUnknownLaunch, At(absl::ZeroDuration()),
          At(absl::Hours(10)),       At(absl::Hours(50)),         At(absl::Hours(10))};
}

TEST(NewItemPool, ItemsEnterWhenLaunchedAndLeaveWhenTheyAgeOut) {
  auto pool = NewItemPool::Create(Launches());
  ASSERT_TRUE(pool.ok()) << pool.status();
  EXPECT_EQ((*pool)->num_items(), 6u);
  EXPECT_EQ((*pool)->size(), 5u);  // item 1 has no launch time
  FakeClock clock(kT0);
  const absl::Duration window = absl::Hours(72);
  std::vector<Candidate> out;

  (*pool)->Collect(clock.Now(), window, 100, out);
  EXPECT_THAT(ItemsOf(out), ElementsAre(2));  // launched exactly now
  EXPECT_FLOAT_EQ(out[0].score, 1.0f);

  clock.Advance(absl::Hours(10));
  (*pool)->Collect(clock.Now(), window, 100, out);
  // Same launch time: ascending item index.
  EXPECT_THAT(ItemsOf(out), ElementsAre(3, 5, 2));

  clock.Advance(absl::Hours(40));  // kT0 + 50 h: item 4 arrives after the build
  (*pool)->Collect(clock.Now(), window, 100, out);
  EXPECT_THAT(ItemsOf(out), ElementsAre(4, 3, 5, 2));
  EXPECT_EQ((*pool)->Count(clock.Now(), window), 4u);

  clock.Advance(absl::Hours(22));  // kT0 + 72 h: item 2 is on the window's edge
  (*pool)->Collect(clock.Now(), window, 100, out);
  EXPECT_THAT(ItemsOf(out), ElementsAre(4, 3, 5, 2));
  EXPECT_FLOAT_EQ(out.back().score, 0.0f);

  clock.Advance(absl::Microseconds(1));  // ... and now out
  (*pool)->Collect(clock.Now(), window, 100, out);
  EXPECT_THAT(ItemsOf(out), ElementsAre(4, 3, 5));

  clock.Advance(absl::Hours(72));  // kT0 + 144 h: everything aged out
  (*pool)->Collect(clock.Now(), window, 100, out);
  EXPECT_THAT(out, IsEmpty());
  EXPECT_EQ((*pool)->Count(clock.Now(), window), 0u);
}

TEST(NewItemPool, FreshnessFallsLinearlyOverTheWindow) {
  auto pool = NewItemPool::Create({At(absl::ZeroDuration())});
  ASSERT_TRUE(pool.ok());
  std::vector<Candidate> out;
  (*pool)->Collect(kT0 + absl::Hours(18), absl::Hours(72), 10, out, /*sources=*/0x4);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_FLOAT_EQ(out[0].score, 0.75f);
  EXPECT_EQ(out[0].sources, 0x4u);
  (*pool)->Collect(kT0 + absl::Hours(36), absl::Hours(72), 10, out);
  EXPECT_FLOAT_EQ(out[0].score, 0.5f);
}

TEST(NewItemPool, MaxItemsKeepsTheNewest) {
  auto pool = NewItemPool::Create(Launches());
  ASSERT_TRUE(pool.ok());
  std::vector<Candidate> out;
  (*pool)->Collect(kT0 + absl::Hours(50), absl::Hours(72), 2, out);
  EXPECT_THAT(ItemsOf(out), ElementsAre(4, 3));
  (*pool)->Collect(kT0 + absl::Hours(50), absl::Hours(72), 0, out);
  EXPECT_THAT(out, IsEmpty());
}

TEST(NewItemPool, WindowEdgeCases) {
  auto pool = NewItemPool::Create(Launches());
  ASSERT_TRUE(pool.ok());
  std::vector<Candidate> out = {{9, 1.0f, 0}};
  (*pool)->Collect(kT0, absl::ZeroDuration(), 10, out);
  EXPECT_THAT(out, IsEmpty());  // cleared, nothing is new in an empty window
  (*pool)->Collect(kT0, -absl::Hours(1), 10, out);
  EXPECT_THAT(out, IsEmpty());
  // Infinite window: everything launched by now, freshness 1.
  (*pool)->Collect(kT0 + absl::Hours(1), absl::InfiniteDuration(), 10, out);
  EXPECT_THAT(ItemsOf(out), ElementsAre(2, 0));
  EXPECT_FLOAT_EQ(out[1].score, 1.0f);
  // Extreme clocks do not overflow.
  (*pool)->Collect(absl::InfinitePast(), absl::Hours(72), 10, out);
  EXPECT_THAT(out, IsEmpty());
  (*pool)->Collect(absl::InfiniteFuture(), absl::InfiniteDuration(), 10, out);
  EXPECT_EQ(out.size(), 5u);
}

TEST(NewItemPool, EmptyCatalogAndNoKnownLaunches) {
  auto empty = NewItemPool::Create({});
  ASSERT_TRUE(empty.ok());
  std::vector<Candidate> out;
  (*empty)->Collect(kT0, absl::Hours(72), 10, out);
  EXPECT_THAT(out, IsEmpty());
  auto unknown = NewItemPool::Create({NewItemPool::kUnknownLaunch, NewItemPool::kUnknownLaunch});
  ASSERT_TRUE(unknown.ok());
  EXPECT_EQ((*unknown)->size(), 0u);
  EXPECT_EQ((*unknown)->Count(absl::InfiniteFuture(), absl::InfiniteDuration()), 0u);
}

TEST(NewItemPool, CollectReusesTheCallersBuffer) {
  auto pool = NewItemPool::Create(Launches());
  ASSERT_TRUE(pool.ok());
  std::vector<Candidate> out;
  (*pool)->Collect(kT0 + absl::Hours(50), absl::Hours(72), 100, out);
  const Candidate* data = out.data();
  const size_t capacity = out.capacity();
  for (int h = 0; h < 100; ++h) {
    (*pool)->Collect(kT0 + absl::Hours(h), absl::Hours(72), 100, out);
    EXPECT_LE(out.size(), 4u);
  }
  EXPECT_EQ(out.data(), data);  // no reallocation once warm
  EXPECT_EQ(out.capacity(), capacity);
}

}  // namespace
}  // namespace aisle::policy
