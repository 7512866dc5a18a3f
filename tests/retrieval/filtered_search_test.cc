// Filtered ANN: every result passes the filter, recall against exact search
// over the allowed set, and the per-query choice between graph over-fetch and
// exact scoring.
#include <cstdint>
#include <random>
#include <vector>

#include "absl/time/time.h"
#include "aisle/core/clock.h"
#include "aisle/core/item_bitset.h"
#include "aisle/core/synthetic.h"
#include "aisle/retrieval/ann_index.h"
#include "aisle/retrieval/exact_index.h"
#include "gtest/gtest.h"

namespace aisle::retrieval {
namespace {

constexpr size_t kCount = 20000, kDim = 16, kClusters = 40;

class FilteredSearchTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    data_ = new ClusteredVectors(
        MakeClusteredVectors({.count = kCount, .dim = kDim, .clusters = kClusters, .seed = 21}));
    MatrixView m(data_->data.data(), kCount, kDim);
    ann_ = AnnIndex::Build(
               m, {.metric = Metric::kCosine, .M = 16, .ef_construction = 100, .threads = 2})
               ->release();
    exact_ = new ExactIndex(*ExactIndex::Build(m, Metric::kCosine));
    queries_ = new ClusteredVectors(
        MakeClusteredVectors({.count = 30, .dim = kDim, .clusters = kClusters, .seed = 22}));
  }
  static void TearDownTestSuite() {
    delete ann_;
    delete exact_;
    delete data_;
    delete queries_;
  }

  static ItemBitset RandomFilter(double selectivity, uint64_t seed) {
    ItemBitset f(kCount);
    std::mt19937_64 rng(seed);
    std::bernoulli_distribution keep(selectivity);
    for (ItemIndex i = 0; i < kCount; ++i) {
      if (keep(rng)) f.Set(i);
    }
    return f;
  }

  // Mean recall@k over the queries, asserting every result is allowed.
  static double FilteredRecall(const ItemBitset& filter, size_t k, SearchStrategy* strategy) {
    double recall = 0;
    std::vector<ScoredItem> got, truth;
    for (size_t q = 0; q < 30; ++q) {
      absl::Span<const float> query(&queries_->data[q * kDim], kDim);
      SearchStats stats;
      EXPECT_TRUE(ann_->Search(query, {.k = k, .ef = 128, .filter = &filter}, got, &stats).ok());
      EXPECT_TRUE(exact_->Search(query, {.k = k, .filter = &filter}, truth).ok());
      if (strategy != nullptr) *strategy = stats.strategy;
      for (const ScoredItem& s : got) EXPECT_TRUE(filter.Test(s.item)) << s.item;
      EXPECT_EQ(got.size(), std::min(k, filter.Count()));
      size_t hit = 0;
      for (const ScoredItem& t : truth) {
        for (const ScoredItem& g : got) hit += g.item == t.item;
      }
      recall += truth.empty() ? 1.0 : double(hit) / double(truth.size());
    }
    return recall / 30;
  }

  static ClusteredVectors* data_;
  static ClusteredVectors* queries_;
  static AnnIndex* ann_;
  static ExactIndex* exact_;
};
ClusteredVectors* FilteredSearchTest::data_ = nullptr;
ClusteredVectors* FilteredSearchTest::queries_ = nullptr;
AnnIndex* FilteredSearchTest::ann_ = nullptr;
ExactIndex* FilteredSearchTest::exact_ = nullptr;

TEST_F(FilteredSearchTest, HalfSelectiveFilterUsesGraphWithHighRecall) {
  SearchStrategy strategy;
  EXPECT_GE(FilteredRecall(RandomFilter(0.5, 1), 10, &strategy), 0.95);
  EXPECT_EQ(strategy, SearchStrategy::kGraphFiltered);
}

TEST_F(FilteredSearchTest, TenPercentFilterKeepsRecall) {
  EXPECT_GE(FilteredRecall(RandomFilter(0.1, 2), 10, nullptr), 0.95);
}

TEST_F(FilteredSearchTest, OnePercentFilterSwitchesToExact) {
  SearchStrategy strategy;
  EXPECT_DOUBLE_EQ(FilteredRecall(RandomFilter(0.01, 3), 10, &strategy), 1.0);
  EXPECT_EQ(strategy, SearchStrategy::kExact);
}

TEST_F(FilteredSearchTest, OneClusterFilterKeepsRecall) {
  ItemBitset f(kCount);
  for (ItemIndex i = 0; i < kCount; ++i) {
    if (data_->cluster[i] == 5) f.Set(i);
  }
  ASSERT_GT(f.Count(), 10u);
  EXPECT_GE(FilteredRecall(f, 10, nullptr), 0.95);
}

TEST_F(FilteredSearchTest, StrategyFollowsSelectivity) {
  std::vector<ScoredItem> out;
  absl::Span<const float> query(&queries_->data[0], kDim);
  SearchStats dense, sparse;
  const ItemBitset half = RandomFilter(0.5, 4), rare = RandomFilter(0.005, 5);
  ASSERT_TRUE(ann_->Search(query, {.k = 10, .filter = &half}, out, &dense).ok());
  ASSERT_TRUE(ann_->Search(query, {.k = 10, .filter = &rare}, out, &sparse).ok());
  EXPECT_EQ(dense.strategy, SearchStrategy::kGraphFiltered);
  EXPECT_NEAR(dense.selectivity, 0.5, 0.05);
  EXPECT_EQ(sparse.strategy, SearchStrategy::kExact);
  EXPECT_EQ(sparse.candidates_scanned, rare.Count());
}

// The query's own neighbourhood is filtered out: the first fetch finds no
// allowed item and the search must widen (or finish exactly) to stay correct.
TEST_F(FilteredSearchTest, WidensWhenTheNeighbourhoodIsFilteredOut) {
  const ItemIndex seed_item = 0;
  const uint32_t cluster = data_->cluster[seed_item];
  ItemBitset f(kCount, true);
  for (ItemIndex i = 0; i < kCount; ++i) {
    if (data_->cluster[i] == cluster) f.Reset(i);
  }
  std::vector<ScoredItem> got, truth;
  SearchStats stats;
  absl::Span<const float> query = exact_->Row(seed_item);
  ASSERT_TRUE(ann_->Search(query, {.k = 10, .ef = 16, .filter = &f}, got, &stats).ok());
  ASSERT_TRUE(exact_->Search(query, {.k = 10, .filter = &f}, truth).ok());
  EXPECT_EQ(stats.strategy, SearchStrategy::kGraphFiltered);
  EXPECT_TRUE(stats.widenings > 0 || stats.fell_back_to_exact);
  ASSERT_EQ(got.size(), 10u);
  size_t hit = 0;
  for (const ScoredItem& g : got) {
    EXPECT_TRUE(f.Test(g.item));
    for (const ScoredItem& t : truth) hit += g.item == t.item;
  }
  EXPECT_GE(hit, 9u);
}

// The same filtered-out neighbourhood on a sparse graph (M = 4), where an
// exact scan of the allowed items costs more than the work bound: the
// bounded search stops after its graph rounds and says so, and only an
// unbounded search (max_work_ratio = 0) pays for the exact scan.
TEST_F(FilteredSearchTest, WorkBoundStopsTheExactScanOfAFilteredOutNeighbourhood) {
  MatrixView m(data_->data.data(), kCount, kDim);
  auto sparse = AnnIndex::Build(
      m, {.metric = Metric::kCosine, .M = 4, .ef_construction = 40, .threads = 2});
  ASSERT_TRUE(sparse.ok()) << sparse.status();
  const ItemIndex seed_item = 0;
  const uint32_t cluster = data_->cluster[seed_item];
  ItemBitset f(kCount, true);
  for (ItemIndex i = 0; i < kCount; ++i) {
    if (data_->cluster[i] == cluster) f.Reset(i);
  }
  absl::Span<const float> query = exact_->Row(seed_item);
  std::vector<ScoredItem> bounded, unbounded, truth;
  SearchStats b, u;
  ASSERT_TRUE((*sparse)->Search(query, {.k = 10, .ef = 16, .filter = &f}, bounded, &b).ok());
  ASSERT_TRUE((*sparse)
                  ->Search(query, {.k = 10, .ef = 16, .filter = &f, .max_work_ratio = 0},
                           unbounded, &u)
                  .ok());
  ASSERT_TRUE(exact_->Search(query, {.k = 10, .filter = &f}, truth).ok());
  EXPECT_EQ(b.strategy, SearchStrategy::kGraphFiltered);
  EXPECT_TRUE(b.work_bounded);
  EXPECT_FALSE(b.fell_back_to_exact);
  EXPECT_LT(b.candidates_scanned, f.Count() / 4);
  EXPECT_LT(bounded.size(), 10u);
  for (const ScoredItem& g : bounded) EXPECT_TRUE(f.Test(g.item));
  // Unbounded: the exact scan finds the true top 10.
  EXPECT_FALSE(u.work_bounded);
  EXPECT_TRUE(u.fell_back_to_exact);
  ASSERT_EQ(unbounded.size(), 10u);
  for (size_t i = 0; i < 10; ++i) EXPECT_NEAR(unbounded[i].score, truth[i].score, 1e-5) << i;
}

TEST_F(FilteredSearchTest, ExcludeAndFilterCombine) {
  const ItemBitset f = RandomFilter(0.3, 6);
  absl::Span<const float> query(&queries_->data[3 * kDim], kDim);
  std::vector<ScoredItem> first, second;
  ASSERT_TRUE(ann_->Search(query, {.k = 5, .filter = &f}, first).ok());
  std::vector<ItemIndex> exclude;
  for (const ScoredItem& s : first) exclude.push_back(s.item);
  ASSERT_TRUE(ann_->Search(query, {.k = 5, .filter = &f, .exclude = exclude}, second).ok());
  ASSERT_EQ(second.size(), 5u);
  for (const ScoredItem& s : second) {
    EXPECT_TRUE(f.Test(s.item));
    for (ItemIndex e : exclude) EXPECT_NE(s.item, e);
  }
}

TEST_F(FilteredSearchTest, EmptyFilterReturnsNothing) {
  const ItemBitset none(kCount);
  std::vector<ScoredItem> out;
  SearchStats stats;
  ASSERT_TRUE(ann_->Search(exact_->Row(0), {.k = 5, .filter = &none}, out, &stats).ok());
  EXPECT_TRUE(out.empty());
  EXPECT_EQ(stats.strategy, SearchStrategy::kNone);
}

// A clock that moves 1 ms each time it is read, so a deadline passes part way
// through a scan.
class TickingClock final : public Clock {
 public:
  absl::Time Now() const override { return absl::UnixEpoch(); }
  int64_t MonotonicNanos() const override { return ticks_.fetch_add(1'000'000); }

 private:
  mutable std::atomic<int64_t> ticks_{0};
};

TEST_F(FilteredSearchTest, ExactScanStopsAtTheDeadline) {
  TickingClock clock;
  const ItemBitset rare = RandomFilter(0.5, 7);
  VectorSearchParams p;
  p.k = 10;
  p.filter = &rare;
  p.deadline = Deadline::In(absl::Milliseconds(3), clock);
  std::vector<ScoredItem> out;
  SearchStats stats;
  ASSERT_TRUE(exact_->Search(exact_->Row(1), p, out, &stats).ok());
  EXPECT_TRUE(stats.deadline_expired);
  EXPECT_LT(stats.candidates_scanned, kCount);
  EXPECT_GT(stats.candidates_scanned, 0u);
  EXPECT_EQ(out.size(), 10u);  // best found before the deadline
}

TEST_F(FilteredSearchTest, AnnExactStrategyStopsAtTheDeadline) {
  TickingClock clock;
  const ItemBitset sparse = RandomFilter(0.2, 8);
  VectorSearchParams p;
  p.k = 10;
  p.filter = &sparse;
  p.ef = 400;  // makes the graph look expensive: exact strategy
  p.deadline = Deadline::In(absl::Milliseconds(2), clock);
  std::vector<ScoredItem> out;
  SearchStats stats;
  ASSERT_TRUE(ann_->Search(exact_->Row(1), p, out, &stats).ok());
  EXPECT_EQ(stats.strategy, SearchStrategy::kExact);
  EXPECT_TRUE(stats.deadline_expired);
  EXPECT_LT(stats.candidates_scanned, sparse.Count());
}

}  // namespace
}  // namespace aisle::retrieval
