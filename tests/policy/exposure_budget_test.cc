// ExposureBudget: creation, carrying counts over snapshot swaps, concurrency.
#include "aisle/policy/exposure_budget.h"

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace aisle::policy {
namespace {

using ::testing::HasSubstr;

std::vector<absl::string_view> Ids(const std::vector<std::string>& ids) {
  return std::vector<absl::string_view>(ids.begin(), ids.end());
}

TEST(ExposureBudget, CreateStartsEveryItemAtTheDefault) {
  auto b = ExposureBudget::Create(3, 5);
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_EQ((*b)->size(), 3u);
  EXPECT_EQ((*b)->default_budget(), 5u);
  for (ItemIndex i = 0; i < 3; ++i) {
    EXPECT_EQ((*b)->Used(i), 0u);
    EXPECT_EQ((*b)->Budget(i), 5u);
    EXPECT_EQ((*b)->Remaining(i), 5u);
  }
  EXPECT_EQ((*b)->Budget(3), 0u);
  auto empty = ExposureBudget::Create(0, 5);
  ASSERT_TRUE(empty.ok());
  EXPECT_FALSE((*empty)->TryConsume(0));
}

TEST(ExposureBudget, CreateRejectsASizeBeyondItemIndices) {
  auto b = ExposureBudget::Create(size_t{kInvalidItem}, 5);
  ASSERT_FALSE(b.ok());
  EXPECT_EQ(b.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(b.status().message(), HasSubstr("4294967295 items"));
}

TEST(ExposureBudget, CountsSurviveARemapById) {
  const std::vector<std::string> old_ids = {"a", "b", "c", "d"};
  auto old = ExposureBudget::Create(old_ids.size(), 3);
  ASSERT_TRUE(old.ok());
  ASSERT_TRUE((*old)->SetBudget(2, 10).ok());  // "c" has its own budget
  EXPECT_TRUE((*old)->TryConsume(0));
  EXPECT_TRUE((*old)->TryConsume(0));
  EXPECT_TRUE((*old)->TryConsume(2));
  EXPECT_TRUE((*old)->TryConsume(3));

  // The new catalog renumbers: "c", "new", "a"; "b" and "d" are gone.
  const std::vector<std::string> new_ids = {"c", "new", "a"};
  auto next = ExposureBudget::CarryOver(*old, Ids(old_ids), Ids(new_ids), /*default_budget=*/4);
  ASSERT_TRUE(next.ok()) << next.status();
  ASSERT_NE(next->get(), old->get());
  EXPECT_EQ((*next)->size(), 3u);
  EXPECT_EQ((*next)->Used(0), 1u);     // "c"
  EXPECT_EQ((*next)->Budget(0), 10u);  // its own budget survives
  EXPECT_EQ((*next)->Used(1), 0u);     // "new" starts fresh
  EXPECT_EQ((*next)->Budget(1), 4u);   // at the new default
  EXPECT_EQ((*next)->Used(2), 2u);     // "a"
  EXPECT_EQ((*next)->Budget(2), 4u);   // the new default replaces the old one
  EXPECT_EQ((*next)->Remaining(2), 2u);
  // The budget keeps counting from where it was.
  EXPECT_TRUE((*next)->TryConsume(2));
  EXPECT_TRUE((*next)->TryConsume(2));
  EXPECT_FALSE((*next)->TryConsume(2));
}

TEST(ExposureBudget, AnItemAbsentFromTheNewCatalogIsDropped) {
  const std::vector<std::string> old_ids = {"gone", "kept"};
  auto old = ExposureBudget::Create(2, 1);
  ASSERT_TRUE(old.ok());
  EXPECT_TRUE((*old)->TryConsume(0));
  EXPECT_TRUE((*old)->TryConsume(1));
  const std::vector<std::string> new_ids = {"kept", "fresh"};
  auto next = ExposureBudget::CarryOver(*old, Ids(old_ids), Ids(new_ids), 1);
  ASSERT_TRUE(next.ok());
  EXPECT_EQ((*next)->Used(0), 1u);  // "kept"
  EXPECT_FALSE((*next)->TryConsume(0));
  EXPECT_EQ((*next)->Used(1), 0u);  // "fresh", not "gone"'s count
  EXPECT_TRUE((*next)->TryConsume(1));
  // "gone" comes back in a later snapshot: its count was dropped with it.
  const std::vector<std::string> later_ids = {"kept", "fresh", "gone"};
  auto later = ExposureBudget::CarryOver(*next, Ids(new_ids), Ids(later_ids), 1);
  ASSERT_TRUE(later.ok());
  EXPECT_EQ((*later)->Used(2), 0u);
}

TEST(ExposureBudget, TheSameCatalogSharesTheSameCounters) {
  const std::vector<std::string> ids = {"a", "b"};
  const std::vector<std::string> same = {"a", "b"};  // other strings, same ids
  auto old = ExposureBudget::Create(2, 5);
  ASSERT_TRUE(old.ok());
  ASSERT_TRUE((*old)->SetBudget(1, 50).ok());
  EXPECT_TRUE((*old)->TryConsume(0));
  auto next = ExposureBudget::CarryOver(*old, Ids(ids), Ids(same), /*default_budget=*/7);
  ASSERT_TRUE(next.ok());
  EXPECT_EQ(next->get(), old->get());
  // A request still on the old snapshot consumes from the same counters.
  EXPECT_TRUE((*old)->TryConsume(0));
  EXPECT_EQ((*next)->Used(0), 2u);
  EXPECT_EQ((*next)->Budget(0), 7u);   // new default applied in place
  EXPECT_EQ((*next)->Budget(1), 50u);  // the item's own budget kept
}

TEST(ExposureBudget, RemapByIndexTreatsInvalidAndOutOfRangeAsNew) {
  auto old = ExposureBudget::Create(2, 9);
  ASSERT_TRUE(old.ok());
  EXPECT_TRUE((*old)->TryConsume(1));
  const std::vector<ItemIndex> new_to_old = {1, kInvalidItem, 7};
  auto next = ExposureBudget::Remap(**old, new_to_old, 9);
  ASSERT_TRUE(next.ok());
  EXPECT_EQ((*next)->Used(0), 1u);
  EXPECT_EQ((*next)->Used(1), 0u);
  EXPECT_EQ((*next)->Used(2), 0u);
}

TEST(ExposureBudget, CarryOverChecksTheOldIdsAndStartsFreshWithoutABudget) {
  const std::vector<std::string> ids = {"a", "b", "c"};
  auto fresh = ExposureBudget::CarryOver(nullptr, {}, Ids(ids), 2);
  ASSERT_TRUE(fresh.ok());
  EXPECT_EQ((*fresh)->size(), 3u);
  EXPECT_EQ((*fresh)->Remaining(2), 2u);
  const std::vector<std::string> too_few = {"a"};
  auto bad = ExposureBudget::CarryOver(*fresh, Ids(too_few), Ids(ids), 2);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(bad.status().message(), HasSubstr("3 items but 1 old ids"));
}

TEST(ExposureBudget, SetDefaultBudgetKeepsItemsWithTheirOwnBudget) {
  auto b = ExposureBudget::Create(3, 5);
  ASSERT_TRUE(b.ok());
  ASSERT_TRUE((*b)->SetBudget(1, 100).ok());
  (*b)->SetDefaultBudget(8);
  EXPECT_EQ((*b)->default_budget(), 8u);
  EXPECT_EQ((*b)->Budget(0), 8u);
  EXPECT_EQ((*b)->Budget(1), 100u);
  EXPECT_EQ((*b)->Budget(2), 8u);
}

TEST(ExposureBudget, ConcurrentConsumptionStaysWithinBudgetAcrossACarryOver) {
  const std::vector<std::string> ids = {"a", "b", "c", "d"};
  auto old = ExposureBudget::Create(4, 1000);
  ASSERT_TRUE(old.ok());
  std::shared_ptr<ExposureBudget> budget = *old;
  std::atomic<int> granted{0};
  auto worker = [&](std::shared_ptr<ExposureBudget> b) {
    for (int i = 0; i < 5000; ++i) granted += b->TryConsume(static_cast<ItemIndex>(i % 4));
  };
  std::thread t1(worker, budget), t2(worker, budget);
  // A swap to the same catalog while they run: the new snapshot's requests
  // consume from the same counters.
  auto next = ExposureBudget::CarryOver(budget, Ids(ids), Ids(ids), 1000);
  ASSERT_TRUE(next.ok());
  std::thread t3(worker, *next), t4(worker, *next);
  t1.join();
  t2.join();
  t3.join();
  t4.join();
  EXPECT_EQ(granted.load(), 4000);
  for (ItemIndex i = 0; i < 4; ++i) EXPECT_EQ((*next)->Used(i), 1000u);
}

}  // namespace
}  // namespace aisle::policy
