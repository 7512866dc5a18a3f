// Retrieval filtered by live inventory (policy::LiveItemFilter): no source
// returns a sold-out or blocked item, sold-out items never take quota, the
// search sees stock changes made between and during queries, and ANN recall
// against exact search over the in-stock items stays high.
#include <algorithm>
#include <atomic>
#include <cstdint>
#include <memory>
#include <random>
#include <thread>
#include <vector>

#include "absl/time/time.h"
#include "aisle/core/item_bitset.h"
#include "aisle/core/synthetic.h"
#include "aisle/policy/category_view.h"
#include "aisle/policy/live_inventory.h"
#include "aisle/policy/live_item_filter.h"
#include "aisle/policy/policy_filter.h"
#include "aisle/retrieval/ann_index.h"
#include "aisle/retrieval/ann_source.h"
#include "aisle/retrieval/covisitation.h"
#include "aisle/retrieval/exact_index.h"
#include "aisle/retrieval/exact_source.h"
#include "aisle/retrieval/popularity.h"
#include "gtest/gtest.h"

namespace aisle::retrieval {
namespace {

using policy::LiveInventory;
using policy::LiveItemFilter;

constexpr size_t kCount = 20000, kDim = 16, kClusters = 40, kQueries = 30;
constexpr size_t kQuota = 300;          // the personalized rail's ANN quota
constexpr CategoryIndex kBlockedCategory = 3;
constexpr ItemIndex kBlockedItems[] = {11, 12, 13, 5000, 19999};

class LiveFilteredSearchTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    data_ = new ClusteredVectors(
        MakeClusteredVectors({.count = kCount, .dim = kDim, .clusters = kClusters, .seed = 31}));
    MatrixView m(data_->data.data(), kCount, kDim);
    ann_ = std::shared_ptr<const AnnIndex>(
        AnnIndex::Build(m, {.metric = Metric::kCosine, .M = 16, .ef_construction = 100,
                            .threads = 2})
            ->release());
    exact_ = std::make_shared<const ExactIndex>(*ExactIndex::Build(m, Metric::kCosine));
    queries_ = new ClusteredVectors(
        MakeClusteredVectors({.count = kQueries, .dim = kDim, .clusters = kClusters, .seed = 32}));
  }
  static void TearDownTestSuite() {
    ann_.reset();
    exact_.reset();
    delete data_;
    delete queries_;
  }

  // 30% of the catalog sold out at random (a tenth of those oversold), the
  // rest with 1-5 units; one category (a cluster) and a few items blocked.
  void SetUp() override {
    std::vector<int32_t> stock(kCount);
    std::mt19937_64 rng(33);
    std::bernoulli_distribution sold_out(0.3), oversold(0.1);
    std::uniform_int_distribution<int32_t> units(1, 5);
    for (int32_t& s : stock) s = sold_out(rng) ? (oversold(rng) ? -2 : 0) : units(rng);
    inventory_ = LiveInventory::FromStock(stock).value();
    item_category_.assign(data_->cluster.begin(), data_->cluster.end());
    parent_.assign(kClusters, kInvalidCategory);
    auto rules = policy::PolicyFilter::Create(
        {item_category_, parent_},
        {.blocked_items = {std::begin(kBlockedItems), std::end(kBlockedItems)},
         .blocked_categories = {kBlockedCategory}});
    ASSERT_TRUE(rules.ok()) << rules.status();
    blocked_ = (*rules)->BlockedItems(0);
    auto f = LiveItemFilter::Create(*inventory_, /*reserve=*/0, blocked_);
    ASSERT_TRUE(f.ok()) << f.status();
    filter_ = std::move(f).value();
  }

  static absl::Span<const float> Query(size_t q) { return {&queries_->data[q * kDim], kDim}; }

  bool Sellable(ItemIndex item) const {
    return inventory_->InStock(item, 0) && !blocked_.Test(item);
  }
  // The filter's current answer for every item, as a plain bitset.
  ItemBitset Snapshot() const {
    ItemBitset b(kCount);
    for (ItemIndex i = 0; i < kCount; ++i) {
      if (Sellable(i)) b.Set(i);
    }
    return b;
  }

  static double Recall(const std::vector<ScoredItem>& got, const std::vector<ScoredItem>& truth) {
    size_t hit = 0;
    for (const ScoredItem& t : truth) {
      hit += std::any_of(got.begin(), got.end(), [&](const ScoredItem& g) { return g.item == t.item; });
    }
    return truth.empty() ? 1.0 : double(hit) / double(truth.size());
  }

  static ClusteredVectors* data_;
  static ClusteredVectors* queries_;
  static std::shared_ptr<const AnnIndex> ann_;
  static std::shared_ptr<const ExactIndex> exact_;
  std::unique_ptr<LiveInventory> inventory_;
  std::vector<CategoryIndex> item_category_, parent_;
  ItemBitset blocked_;
  std::unique_ptr<LiveItemFilter> filter_;
};

ClusteredVectors* LiveFilteredSearchTest::data_ = nullptr;
ClusteredVectors* LiveFilteredSearchTest::queries_ = nullptr;
std::shared_ptr<const AnnIndex> LiveFilteredSearchTest::ann_;
std::shared_ptr<const ExactIndex> LiveFilteredSearchTest::exact_;

// At 20k items the cost model runs k = 50 on the graph (fetch 94) and
// k = 300 as an exact scan of the ~13.6k allowed items (a graph fetch of 441
// would cost about as much); both must fill the quota with sellable items.
TEST_F(LiveFilteredSearchTest, AnnReturnsAFullQuotaOfSellableItemsOnly) {
  EXPECT_NEAR(filter_->Selectivity(), 0.7 * (1.0 - 1.0 / kClusters), 0.03);
  std::vector<ScoredItem> got;
  for (const size_t k : {size_t{50}, kQuota}) {
    for (size_t q = 0; q < kQueries; ++q) {
      SearchStats stats;
      ASSERT_TRUE(
          ann_->Search(Query(q), {.k = k, .ef = 64, .filter = filter_.get()}, got, &stats).ok());
      EXPECT_EQ(stats.strategy, k == 50 ? SearchStrategy::kGraphFiltered : SearchStrategy::kExact)
          << "k " << k;
      ASSERT_EQ(got.size(), k) << "query " << q;
      for (const ScoredItem& s : got) {
        EXPECT_TRUE(inventory_->InStock(s.item, 0)) << "sold-out item " << s.item;
        EXPECT_GE(inventory_->Stock(s.item), 1) << "oversold item " << s.item;
        EXPECT_FALSE(blocked_.Test(s.item)) << "blocked item " << s.item;
        EXPECT_NE(data_->cluster[s.item], kBlockedCategory);
      }
    }
  }
}

// Recall@k of the filtered search against exact search over the sellable
// items, against the unfiltered search's recall over all items at the same
// ef (the search breadth is max(ef, k)).
TEST_F(LiveFilteredSearchTest, AnnRecallOverInStockItemsIsAtLeastTheUnfilteredRecall) {
  const ItemBitset sellable = Snapshot();
  std::vector<ScoredItem> got, truth;
  struct Case {
    size_t k, ef;
    double min_recall;
  };
  for (const Case c : {Case{50, 64, 0.7}, Case{50, 256, 0.95}, Case{kQuota, 64, 0.95}}) {
    double filtered = 0, unfiltered = 0;
    for (size_t q = 0; q < kQueries; ++q) {
      ASSERT_TRUE(
          ann_->Search(Query(q), {.k = c.k, .ef = c.ef, .filter = filter_.get()}, got).ok());
      ASSERT_TRUE(exact_->Search(Query(q), {.k = c.k, .filter = &sellable}, truth).ok());
      filtered += Recall(got, truth);
      ASSERT_TRUE(ann_->Search(Query(q), {.k = c.k, .ef = c.ef}, got).ok());
      ASSERT_TRUE(exact_->Search(Query(q), {.k = c.k}, truth).ok());
      unfiltered += Recall(got, truth);
    }
    filtered /= kQueries;
    unfiltered /= kQueries;
    EXPECT_GE(filtered, c.min_recall) << "k " << c.k << " ef " << c.ef;
    // Over-fetching by 1 / selectivity gives the filtered search at least the
    // breadth of the unfiltered one; allow for one item in 3,000 of noise.
    EXPECT_GE(filtered, unfiltered - 3e-4)
        << "k " << c.k << " ef " << c.ef << ", unfiltered recall " << unfiltered;
  }
}

TEST_F(LiveFilteredSearchTest, PostFilteringTheUnfilteredTopKLosesTheSoldOutShare) {
  // The contrast the live filter removes: the same quota, filtered after.
  std::vector<ScoredItem> got;
  size_t kept = 0;
  for (size_t q = 0; q < kQueries; ++q) {
    ASSERT_TRUE(ann_->Search(Query(q), {.k = kQuota, .ef = 64}, got).ok());
    for (const ScoredItem& s : got) kept += Sellable(s.item) ? 1 : 0;
  }
  const double share = double(kept) / double(kQueries * kQuota);
  EXPECT_LT(share, 0.8);
  EXPECT_GT(share, 0.5);
}

TEST_F(LiveFilteredSearchTest, StockChangesBetweenSearchesAreSeenByTheNextOne) {
  std::vector<ScoredItem> first, second;
  const VectorSearchParams p{.k = 20, .ef = 64, .filter = filter_.get()};
  ASSERT_TRUE(ann_->Search(Query(0), p, first).ok());
  ASSERT_EQ(first.size(), 20u);
  for (size_t j = 0; j < 10; ++j) ASSERT_TRUE(inventory_->SetStock(first[j].item, 0).ok());
  ASSERT_TRUE(ann_->Search(Query(0), p, second).ok());
  ASSERT_EQ(second.size(), 20u);
  for (const ScoredItem& s : second) {
    for (size_t j = 0; j < 10; ++j) EXPECT_NE(s.item, first[j].item);
  }
  EXPECT_EQ(second[0].item, first[10].item);
  ASSERT_TRUE(inventory_->SetStock(first[0].item, 4).ok());  // restocked
  ASSERT_TRUE(ann_->Search(Query(0), p, second).ok());
  EXPECT_EQ(second[0].item, first[0].item);
}

TEST_F(LiveFilteredSearchTest, MostlySoldOutCatalogIsSearchedExactly) {
  // Sell out all but every 200th item: the cost model sees the selectivity
  // drop and scores the ~100 remaining items exactly.
  for (ItemIndex i = 0; i < kCount; ++i) {
    if (i % 200 != 0) {
      ASSERT_TRUE(inventory_->SetStock(i, 0).ok());
    }
  }
  EXPECT_LT(filter_->Selectivity(), 0.006);
  const ItemBitset sellable = Snapshot();
  std::vector<ScoredItem> got, truth;
  for (size_t q = 0; q < 5; ++q) {
    SearchStats stats;
    ASSERT_TRUE(
        ann_->Search(Query(q), {.k = 50, .filter = filter_.get()}, got, &stats).ok());
    EXPECT_EQ(stats.strategy, SearchStrategy::kExact);
    ASSERT_TRUE(exact_->Search(Query(q), {.k = 50, .filter = &sellable}, truth).ok());
    ASSERT_EQ(got.size(), truth.size());
    for (size_t j = 0; j < got.size(); ++j) EXPECT_EQ(got[j].item, truth[j].item);
  }
  // Everything sold out: nothing to search.
  for (ItemIndex i = 0; i < kCount; i += 200) ASSERT_TRUE(inventory_->SetStock(i, 0).ok());
  SearchStats stats;
  ASSERT_TRUE(ann_->Search(Query(0), {.k = 50, .filter = filter_.get()}, got, &stats).ok());
  EXPECT_TRUE(got.empty());
  EXPECT_EQ(stats.strategy, SearchStrategy::kNone);
}

TEST_F(LiveFilteredSearchTest, ExactSearchWithTheLiveFilterMatchesItsSnapshot) {
  const ItemBitset sellable = Snapshot();
  std::vector<ScoredItem> live, fixed;
  for (size_t q = 0; q < 5; ++q) {
    ASSERT_TRUE(exact_->Search(Query(q), {.k = 100, .filter = filter_.get()}, live).ok());
    ASSERT_TRUE(exact_->Search(Query(q), {.k = 100, .filter = &sellable}, fixed).ok());
    ASSERT_EQ(live.size(), fixed.size());
    for (size_t j = 0; j < live.size(); ++j) EXPECT_EQ(live[j].item, fixed[j].item);
  }
}

TEST_F(LiveFilteredSearchTest, EverySourceFillsItsQuotaWithSellableItems) {
  // Co-visitation: seed 0 is followed, in its sessions, by items 1..600.
  CoVisitationOptions co;
  co.num_items = kCount;
  co.max_distance = 1;
  co.window = absl::Hours(1);
  co.top_n = 1000;
  auto covis = CoVisitationIndex::Create(co).value();
  std::vector<Interaction> log;
  for (ItemIndex i = 1; i <= 600; ++i) {
    log.push_back({.session = i, .item = 0, .time_micros = 0});
    log.push_back({.session = i, .item = i, .time_micros = 1000000});
  }
  ASSERT_TRUE(covis->AddLog(log).ok());
  covis->Publish();
  // Popularity: items 0..999, more popular the lower the index.
  PopularityOptions po;
  po.num_items = kCount;
  po.top_n = 1000;
  auto pop = PopularityIndex::Create(po).value();
  const int64_t t0 = int64_t{1700000000} * 1000000;
  for (ItemIndex i = 0; i < 1000; ++i) {
    for (ItemIndex k = 0; k < (1000 - i) / 100 + 1; ++k) {
      ASSERT_TRUE(pop->Apply({.session = 1, .item = i, .time_micros = t0}).ok());
    }
  }
  pop->Publish();

  AnnSource ann(ann_, {.name = "ann", .ef = 64});
  ExactSource exact(exact_, {.name = "exact"});
  CoVisitationSource covis_source("covis", *covis);
  PopularitySource pop_source("popular", *pop);
  const ItemIndex seeds[] = {0};
  struct Case {
    const CandidateSource* source;
    bool by_vector;
    size_t quota;
  };
  const Case cases[] = {{&ann, true, kQuota}, {&exact, true, kQuota},
                        {&covis_source, false, 200}, {&pop_source, false, 200}};
  for (const Case& c : cases) {
    RetrievalQuery q;
    if (c.by_vector) q.user_vector = Query(0);
    q.seeds = seeds;
    q.filter = filter_.get();
    std::vector<Candidate> out;
    ASSERT_TRUE(c.source->Retrieve(q, c.quota, 1, out).ok()) << c.source->name();
    EXPECT_EQ(out.size(), c.quota) << c.source->name();
    for (const Candidate& x : out) {
      EXPECT_TRUE(Sellable(x.item)) << c.source->name() << " returned item " << x.item;
      EXPECT_NE(x.item, 0u) << c.source->name() << " returned its seed";
    }
  }
}

// Searches run while a writer keeps changing the stock of half the catalog.
// Items that stay sold out (or blocked) are never returned, and every search
// still fills its quota.
TEST_F(LiveFilteredSearchTest, SearchesDuringStockUpdatesNeverReturnItemsThatStaySoldOut) {
  std::vector<ItemIndex> volatile_items;
  for (ItemIndex i = 0; i < kCount; ++i) {
    if (i % 2 == 1 && inventory_->InStock(i, 0)) volatile_items.push_back(i);
  }
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> updates{0};
  std::thread writer([&] {
    uint32_t x = 77;
    while (!stop.load()) {
      x = x * 1664525u + 1013904223u;
      const ItemIndex item = volatile_items[(x >> 8) % volatile_items.size()];
      (void)inventory_->SetStock(item, static_cast<int32_t>((x >> 20) % 3));  // 0..2
      updates.fetch_add(1);
    }
  });
  // Even items keep their stock: the ones sold out now stay sold out.
  std::vector<ScoredItem> got;
  for (int round = 0; round < 3; ++round) {
    for (size_t q = 0; q < kQueries; ++q) {
      ASSERT_TRUE(
          ann_->Search(Query(q), {.k = kQuota, .ef = 64, .filter = filter_.get()}, got).ok());
      EXPECT_EQ(got.size(), kQuota);
      for (const ScoredItem& s : got) {
        if (s.item % 2 == 0) {
          EXPECT_TRUE(Sellable(s.item)) << "item " << s.item;
        } else {
          EXPECT_FALSE(blocked_.Test(s.item)) << "item " << s.item;
          EXPECT_GE(inventory_->Stock(s.item), 0) << "item " << s.item;
        }
      }
    }
  }
  stop = true;
  writer.join();
  EXPECT_GT(updates.load(), 0u);
}

}  // namespace
}  // namespace aisle::retrieval
