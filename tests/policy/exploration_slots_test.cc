// ExplorationSlots and ExposureBudget.
#include "aisle/policy/exploration_slots.h"

#include <atomic>
#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace aisle::policy {
namespace {

using ::testing::ElementsAre;

std::vector<Candidate> Ranked(const std::vector<ItemIndex>& items, float start = 1.0f) {
  std::vector<Candidate> out;
  float s = start;
  for (ItemIndex i : items) out.push_back({i, s -= 0.01f, 1});
  return out;
}

std::vector<ItemIndex> ItemsOf(const std::vector<Candidate>& c) {
  std::vector<ItemIndex> out;
  for (const Candidate& x : c) out.push_back(x.item);
  return out;
}

TEST(ExplorationSlots, PlacesPoolItemsAtTheirPositionsAndTruncates) {
  auto slots = ExplorationSlots::Create({4, 1});
  ASSERT_TRUE(slots.ok());
  std::vector<Candidate> ranked = Ranked({0, 1, 2, 3, 4, 5});
  const std::vector<Candidate> pool = Ranked({50, 51, 52}, 0.5f);
  EXPECT_EQ(slots->Apply(ranked, /*k=*/6, pool, nullptr), 2u);
  EXPECT_THAT(ItemsOf(ranked), ElementsAre(0, 50, 1, 2, 51, 3));
}

TEST(ExplorationSlots, SkipsItemsAlreadyShownOrOverBudget) {
  auto slots = ExplorationSlots::Create({0, 2});
  ASSERT_TRUE(slots.ok());
  ExposureBudget budget(100, /*default_budget=*/1);
  ASSERT_TRUE(budget.SetBudget(52, 0).ok());
  std::vector<Candidate> ranked = Ranked({0, 51, 2});
  const std::vector<Candidate> pool = Ranked({51, 52, 53, 54}, 0.5f);
  EXPECT_EQ(slots->Apply(ranked, 5, pool, &budget), 2u);
  EXPECT_THAT(ItemsOf(ranked), ElementsAre(53, 0, 54, 51, 2));
  EXPECT_EQ(budget.Used(53), 1u);
  EXPECT_EQ(budget.Used(52), 0u);
  // 53 and 54 are now spent and 52 has no budget: a second request can only
  // explore 51 (not in its organic list this time).
  ranked = Ranked({0, 1, 2});
  EXPECT_EQ(slots->Apply(ranked, 5, pool, &budget), 1u);
  EXPECT_THAT(ItemsOf(ranked), ElementsAre(51, 0, 1, 2));
  ranked = Ranked({0, 1, 2});
  EXPECT_EQ(slots->Apply(ranked, 5, pool, &budget), 0u);
  EXPECT_THAT(ItemsOf(ranked), ElementsAre(0, 1, 2));
}

TEST(ExplorationSlots, IgnoresPositionsAtOrBeyondKAndAppendsPastTheList) {
  auto slots = ExplorationSlots::Create({2, 7});
  ASSERT_TRUE(slots.ok());
  std::vector<Candidate> ranked = Ranked({0});
  const std::vector<Candidate> pool = Ranked({50, 51}, 0.5f);
  EXPECT_EQ(slots->Apply(ranked, /*k=*/5, pool, nullptr), 1u);
  EXPECT_THAT(ItemsOf(ranked), ElementsAre(0, 50));
}

TEST(ExplorationSlots, MaxSlotsUsesTheFirstPositionsOnly) {
  auto slots = ExplorationSlots::Create({4, 1});
  ASSERT_TRUE(slots.ok());
  std::vector<Candidate> ranked = Ranked({0, 1, 2, 3, 4, 5});
  const std::vector<Candidate> pool = Ranked({50, 51, 52}, 0.5f);
  EXPECT_EQ(slots->Apply(ranked, /*k=*/6, pool, nullptr, /*max_slots=*/1), 1u);
  EXPECT_THAT(ItemsOf(ranked), ElementsAre(0, 50, 1, 2, 3, 4));
  ranked = Ranked({0, 1, 2});
  EXPECT_EQ(slots->Apply(ranked, 6, pool, nullptr, /*max_slots=*/0), 0u);
  EXPECT_THAT(ItemsOf(ranked), ElementsAre(0, 1, 2));
}

TEST(ExplorationSlots, RejectsDuplicatePositions) {
  auto slots = ExplorationSlots::Create({3, 1, 3});
  ASSERT_FALSE(slots.ok());
  EXPECT_THAT(slots.status().message(), ::testing::HasSubstr("position 3"));
}

TEST(ExposureBudget, ConcurrentConsumersNeverOvershoot) {
  ExposureBudget budget(4, /*default_budget=*/1000);
  std::atomic<int> granted{0};
  auto worker = [&] {
    for (int i = 0; i < 5000; ++i) granted += budget.TryConsume(static_cast<ItemIndex>(i % 4));
  };
  std::thread a(worker), b(worker), c(worker);
  a.join();
  b.join();
  c.join();
  EXPECT_EQ(granted.load(), 4000);
  for (ItemIndex i = 0; i < 4; ++i) {
    EXPECT_EQ(budget.Used(i), 1000u);
    EXPECT_EQ(budget.Remaining(i), 0u);
  }
  EXPECT_FALSE(budget.TryConsume(9));
  EXPECT_EQ(budget.SetBudget(9, 1).code(), absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace aisle::policy
