#include "aisle/retrieval/covisitation.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
#include <random>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "aisle/core/item_bitset.h"
#include "aisle/retrieval/interaction.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace aisle::retrieval {
namespace {

using ::testing::HasSubstr;

constexpr int64_t kSec = 1000000;

Interaction Ev(uint64_t session, ItemIndex item, int64_t t_sec,
               InteractionType type = InteractionType::kClick) {
  return Interaction{.session = session, .item = item, .time_micros = t_sec * kSec, .type = type};
}

CoVisitationOptions Opts(size_t n) {
  CoVisitationOptions o;
  o.num_items = n;
  o.max_distance = 5;
  o.window = absl::Hours(1);
  o.top_n = 100;
  return o;
}

// 1/log2(1+d): the documented distance factor, computed independently.
double Dist(int d) { return 1.0 / std::log2(1.0 + d); }

std::unique_ptr<CoVisitationIndex> MakeIndex(const CoVisitationOptions& o) {
  auto index = CoVisitationIndex::Create(o);
  EXPECT_TRUE(index.ok()) << index.status();
  return std::move(index).value();
}

TEST(CoVisitationIndex, WeightsFollowDistanceFormula) {
  auto index = MakeIndex(Opts(10));
  const std::vector<Interaction> log = {Ev(1, 0, 0), Ev(1, 1, 10), Ev(1, 2, 20)};
  ASSERT_TRUE(index->AddLog(log).ok());
  EXPECT_FLOAT_EQ(index->AccumulatedWeight(0, 1), Dist(1));
  EXPECT_FLOAT_EQ(index->AccumulatedWeight(1, 0), Dist(1));
  EXPECT_FLOAT_EQ(index->AccumulatedWeight(1, 2), Dist(1));
  EXPECT_FLOAT_EQ(index->AccumulatedWeight(0, 2), Dist(2));
  EXPECT_FLOAT_EQ(index->AccumulatedWeight(2, 0), Dist(2));
  EXPECT_EQ(index->AccumulatedWeight(0, 3), 0.0f);
}

TEST(CoVisitationIndex, TypeWeightsAverageOverThePair) {
  auto index = MakeIndex(Opts(10));
  const std::vector<Interaction> log = {
      Ev(1, 0, 0, InteractionType::kView), Ev(1, 1, 1, InteractionType::kPurchase),
      Ev(2, 3, 0, InteractionType::kAddToCart), Ev(2, 4, 1, InteractionType::kPurchase)};
  ASSERT_TRUE(index->AddLog(log).ok());
  EXPECT_FLOAT_EQ(index->AccumulatedWeight(0, 1), (1.0 + 6.0) / 2);
  EXPECT_FLOAT_EQ(index->AccumulatedWeight(3, 4), (3.0 + 6.0) / 2);
}

TEST(CoVisitationIndex, TimeWindowBoundaryIsInclusive) {
  CoVisitationOptions o = Opts(10);
  o.window = absl::Seconds(60);
  auto index = MakeIndex(o);
  // 0 -> 1: exactly 60 s (paired); 1 -> 2: 61 s (not); 0 -> 2: 121 s (not).
  const std::vector<Interaction> log = {Ev(1, 0, 0), Ev(1, 1, 60), Ev(1, 2, 121)};
  ASSERT_TRUE(index->AddLog(log).ok());
  EXPECT_FLOAT_EQ(index->AccumulatedWeight(0, 1), Dist(1));
  EXPECT_EQ(index->AccumulatedWeight(1, 2), 0.0f);
  EXPECT_EQ(index->AccumulatedWeight(0, 2), 0.0f);
}

TEST(CoVisitationIndex, MaxDistanceBoundary) {
  CoVisitationOptions o = Opts(10);
  o.max_distance = 2;
  auto index = MakeIndex(o);
  const std::vector<Interaction> log = {Ev(1, 0, 0), Ev(1, 1, 1), Ev(1, 2, 2), Ev(1, 3, 3)};
  ASSERT_TRUE(index->AddLog(log).ok());
  EXPECT_FLOAT_EQ(index->AccumulatedWeight(0, 2), Dist(2));
  EXPECT_EQ(index->AccumulatedWeight(0, 3), 0.0f);
}

TEST(CoVisitationIndex, SelfPairsExcludedRepeatsCountPerOccurrence) {
  auto index = MakeIndex(Opts(10));
  const std::vector<Interaction> log = {Ev(1, 0, 0), Ev(1, 0, 1), Ev(1, 1, 2)};
  ASSERT_TRUE(index->AddLog(log).ok());
  EXPECT_EQ(index->AccumulatedWeight(0, 0), 0.0f);
  EXPECT_FLOAT_EQ(index->AccumulatedWeight(0, 1), Dist(2) + Dist(1));
  index->Publish();
  const auto table = index->Snapshot();
  for (ItemIndex nb : table->Neighbors(0)) EXPECT_NE(nb, 0u);
}

TEST(CoVisitationIndex, SessionsDoNotMix) {
  auto index = MakeIndex(Opts(10));
  const std::vector<Interaction> log = {Ev(1, 0, 0), Ev(2, 1, 1)};
  ASSERT_TRUE(index->AddLog(log).ok());
  EXPECT_EQ(index->AccumulatedWeight(0, 1), 0.0f);
}

TEST(CoVisitationIndex, PublishKeepsTopNSortedByWeight) {
  CoVisitationOptions o = Opts(20);
  o.top_n = 3;
  auto index = MakeIndex(o);
  // Item 0 co-occurs with item k (1..8) k times: weights 1..8.
  std::vector<Interaction> log;
  uint64_t session = 100;
  for (ItemIndex k = 1; k <= 8; ++k) {
    for (ItemIndex r = 0; r < k; ++r) {
      log.push_back(Ev(session, 0, 0));
      log.push_back(Ev(session, k, 1));
      ++session;
    }
  }
  ASSERT_TRUE(index->AddLog(log).ok());
  EXPECT_EQ(index->Snapshot()->version(), 0u);
  EXPECT_EQ(index->Publish(), 1u);
  const auto table = index->Snapshot();
  EXPECT_EQ(table->version(), 1u);
  ASSERT_THAT(std::vector<ItemIndex>(table->Neighbors(0).begin(), table->Neighbors(0).end()),
              ::testing::ElementsAre(8, 7, 6));
  const auto w = table->Weights(0);
  EXPECT_FLOAT_EQ(w[0], 8.0f);
  EXPECT_FLOAT_EQ(w[2], 6.0f);
  // Item 5's only neighbour is 0.
  ASSERT_EQ(table->Neighbors(5).size(), 1u);
  EXPECT_EQ(table->Neighbors(5)[0], 0u);
}

TEST(CoVisitationIndex, InterleavedLogIsGroupedBySession) {
  auto a = MakeIndex(Opts(10));
  auto b = MakeIndex(Opts(10));
  const std::vector<Interaction> grouped = {Ev(1, 0, 0), Ev(1, 1, 1), Ev(2, 2, 0), Ev(2, 3, 1)};
  const std::vector<Interaction> interleaved = {Ev(1, 0, 0), Ev(2, 2, 0), Ev(1, 1, 1), Ev(2, 3, 1)};
  ASSERT_TRUE(a->AddLog(grouped).ok());
  ASSERT_TRUE(b->AddLog(interleaved).ok());
  EXPECT_FLOAT_EQ(b->AccumulatedWeight(0, 1), Dist(1));
  EXPECT_FLOAT_EQ(b->AccumulatedWeight(2, 3), Dist(1));
  EXPECT_EQ(b->AccumulatedWeight(0, 2), 0.0f);
  EXPECT_EQ(a->AccumulatedWeight(1, 2), b->AccumulatedWeight(1, 2));
}

// A random interleaved stream: sessions start at random times, events in each
// session are in time order, the merged stream is in global time order.
std::vector<Interaction> RandomStream(size_t num_items, size_t sessions, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<Interaction> log;
  for (uint64_t s = 0; s < sessions; ++s) {
    int64_t t = static_cast<int64_t>(rng() % 100000) * kSec;
    const int len = 1 + static_cast<int>(rng() % 12);
    for (int k = 0; k < len; ++k) {
      t += static_cast<int64_t>(rng() % 1200) * kSec;  // up to 20 minutes apart
      log.push_back(Interaction{.session = s * 7919 + 3,
                                .item = static_cast<ItemIndex>(rng() % num_items),
                                .time_micros = t,
                                .type = static_cast<InteractionType>(rng() % 4)});
    }
  }
  std::stable_sort(log.begin(), log.end(), [](const Interaction& x, const Interaction& y) {
    return x.time_micros < y.time_micros;
  });
  return log;
}

TEST(CoVisitationIndex, IncrementalEqualsBatch) {
  CoVisitationOptions o = Opts(60);
  o.window = absl::Minutes(30);
  o.max_distance = 4;
  o.top_n = 60;  // no truncation, so whole rows compare
  const std::vector<Interaction> log = RandomStream(60, 400, 11);
  auto batch = MakeIndex(o);
  auto incremental = MakeIndex(o);
  ASSERT_TRUE(batch->AddLog(log).ok());
  for (const Interaction& e : log) ASSERT_TRUE(incremental->Apply(e).ok());
  EXPECT_GT(incremental->live_sessions(), 0u);
  batch->Publish();
  incremental->Publish();
  const auto tb = batch->Snapshot();
  const auto ti = incremental->Snapshot();
  ASSERT_GT(tb->num_entries(), 100u);
  EXPECT_EQ(tb->num_entries(), ti->num_entries());
  for (ItemIndex a = 0; a < 60; ++a) {
    std::map<ItemIndex, float> rb, ri;
    for (size_t k = 0; k < tb->Neighbors(a).size(); ++k)
      rb[tb->Neighbors(a)[k]] = tb->Weights(a)[k];
    for (size_t k = 0; k < ti->Neighbors(a).size(); ++k)
      ri[ti->Neighbors(a)[k]] = ti->Weights(a)[k];
    ASSERT_EQ(rb.size(), ri.size()) << "row " << a;
    for (const auto& [b, w] : rb) {
      ASSERT_TRUE(ri.count(b)) << a << " -> " << b;
      EXPECT_NEAR(ri[b], w, 1e-4 * w) << a << " -> " << b;
    }
  }
}

TEST(CoVisitationIndex, RepublishRebuildsOnlyChangedRows) {
  auto index = MakeIndex(Opts(10));
  ASSERT_TRUE(index->AddLog({Ev(1, 0, 0), Ev(1, 1, 1), Ev(2, 5, 0), Ev(2, 6, 1)}).ok());
  index->Publish();
  const auto first = index->Snapshot();
  ASSERT_TRUE(index->Apply(Ev(3, 0, 10)).ok());
  ASSERT_TRUE(index->Apply(Ev(3, 2, 11)).ok());
  index->Publish();
  const auto second = index->Snapshot();
  EXPECT_EQ(second->version(), first->version() + 1);
  // Row 5 untouched: same content; row 0 gained neighbour 2.
  ASSERT_EQ(second->Neighbors(5).size(), 1u);
  EXPECT_EQ(second->Neighbors(5)[0], 6u);
  EXPECT_FLOAT_EQ(second->Weights(5)[0], first->Weights(5)[0]);
  EXPECT_EQ(second->Neighbors(0).size(), 2u);
  EXPECT_EQ(first->Neighbors(0).size(), 1u);  // the old snapshot is unchanged
}

TEST(CoVisitationIndex, PublishEveryNEvents) {
  CoVisitationOptions o = Opts(10);
  o.publish_every = 3;
  auto index = MakeIndex(o);
  ASSERT_TRUE(index->Apply(Ev(1, 0, 0)).ok());
  ASSERT_TRUE(index->Apply(Ev(1, 1, 1)).ok());
  EXPECT_EQ(index->Snapshot()->version(), 0u);
  ASSERT_TRUE(index->Apply(Ev(1, 2, 2)).ok());
  EXPECT_EQ(index->Snapshot()->version(), 1u);
  EXPECT_EQ(index->Snapshot()->Neighbors(2).size(), 2u);
}

TEST(CoVisitationIndex, MaxRowEntriesBoundsRows) {
  CoVisitationOptions o = Opts(100);
  o.top_n = 2;
  o.max_row_entries = 8;
  o.max_distance = 1;
  auto index = MakeIndex(o);
  std::vector<Interaction> log;
  for (ItemIndex k = 1; k < 50; ++k) {
    log.push_back(Ev(k, 0, 0));
    log.push_back(Ev(k, k, 1));
  }
  ASSERT_TRUE(index->AddLog(log).ok());
  index->Publish();
  EXPECT_EQ(index->Snapshot()->Neighbors(0).size(), 2u);
  size_t nonzero = 0;
  for (ItemIndex k = 1; k < 50; ++k) nonzero += index->AccumulatedWeight(0, k) > 0;
  EXPECT_LE(nonzero, 8u);
}

TEST(CoVisitationIndex, IdleSessionsAreEvicted) {
  CoVisitationOptions o = Opts(10);
  o.max_sessions = 2;
  o.window = absl::Seconds(10);
  auto index = MakeIndex(o);
  ASSERT_TRUE(index->Apply(Ev(1, 0, 0)).ok());
  ASSERT_TRUE(index->Apply(Ev(2, 1, 1)).ok());
  ASSERT_TRUE(index->Apply(Ev(3, 2, 100)).ok());  // sessions 1 and 2 are idle > 10 s
  EXPECT_EQ(index->live_sessions(), 1u);
  ASSERT_TRUE(index->Apply(Ev(3, 3, 101)).ok());
  EXPECT_FLOAT_EQ(index->AccumulatedWeight(2, 3), Dist(1));
}

TEST(CoVisitationIndex, RejectsUnknownItemIndex) {
  auto index = MakeIndex(Opts(10));
  absl::Status s = index->Apply(Ev(1, 10, 0));
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(s.message()), HasSubstr("item index 10"));
  s = index->AddLog({Ev(1, 0, 0), Ev(1, 1, 1), Ev(1, 99, 2)});
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(s.message()), HasSubstr("log position 2"));
  EXPECT_EQ(index->AccumulatedWeight(0, 1), 0.0f);  // nothing accumulated
}

TEST(CoVisitationIndex, RejectsBadOptions) {
  CoVisitationOptions o = Opts(10);
  o.max_distance = 0;
  EXPECT_THAT(std::string(CoVisitationIndex::Create(o).status().message()),
              HasSubstr("max_distance"));
  o = Opts(0);
  EXPECT_THAT(std::string(CoVisitationIndex::Create(o).status().message()), HasSubstr("num_items"));
  o = Opts(10);
  o.type_weights[2] = std::nanf("");
  EXPECT_THAT(std::string(CoVisitationIndex::Create(o).status().message()),
              HasSubstr("add_to_cart"));
  o = Opts(10);
  o.top_n = 10;
  o.max_row_entries = 5;
  EXPECT_EQ(CoVisitationIndex::Create(o).status().code(), absl::StatusCode::kInvalidArgument);
}

// ------------------------------------------------------------------ source

class CoVisitationSourceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    index_ = MakeIndex(Opts(10));
    // Seed 0: neighbours 1 (w=1), 2 (w=0.63); seed 3: neighbours 2 (w=1), 4 (w=1).
    ASSERT_TRUE(index_
                    ->AddLog({Ev(1, 0, 0), Ev(1, 1, 1), Ev(2, 0, 0), Ev(2, 5, 1), Ev(2, 2, 2),
                              Ev(3, 3, 0), Ev(3, 2, 1), Ev(4, 3, 0), Ev(4, 4, 1)})
                    .ok());
    index_->Publish();
  }
  std::unique_ptr<CoVisitationIndex> index_;
};

TEST_F(CoVisitationSourceTest, SumsNeighbourWeightsAcrossSeeds) {
  CoVisitationSource source("covis", *index_);
  EXPECT_EQ(source.name(), "covis");
  const ItemIndex seeds[] = {0, 3};
  RetrievalQuery q;
  q.seeds = seeds;
  std::vector<Candidate> out;
  ASSERT_TRUE(source.Retrieve(q, 10, 4, out).ok());
  ASSERT_EQ(out.size(), 4u);   // 1, 2, 4, 5
  EXPECT_EQ(out[0].item, 2u);  // Dist(2) + Dist(1)
  EXPECT_FLOAT_EQ(out[0].score, Dist(2) + Dist(1));
  for (const Candidate& c : out) {
    EXPECT_EQ(c.sources, SourceBit(4));
    EXPECT_NE(c.item, 0u);
    EXPECT_NE(c.item, 3u);
  }
  EXPECT_TRUE(std::is_sorted(out.begin(), out.end(), ByScoreDesc()));
}

TEST_F(CoVisitationSourceTest, MaxAggregation) {
  CoVisitationSource source("covis", *index_,
                            {.aggregation = CoVisitationSourceOptions::Aggregation::kMax});
  const ItemIndex seeds[] = {0, 3};
  RetrievalQuery q;
  q.seeds = seeds;
  std::vector<Candidate> out;
  ASSERT_TRUE(source.Retrieve(q, 10, 0, out).ok());
  auto it = std::find_if(out.begin(), out.end(), [](const Candidate& c) { return c.item == 2; });
  ASSERT_NE(it, out.end());
  EXPECT_FLOAT_EQ(it->score, Dist(1));
}

TEST_F(CoVisitationSourceTest, HonoursQuotaExcludeAndFilter) {
  CoVisitationSource source("covis", index_->Snapshot());
  const ItemIndex seeds[] = {0, 3};
  const ItemIndex exclude[] = {2};
  ItemBitset filter(10, true);
  filter.Reset(4);
  RetrievalQuery q;
  q.seeds = seeds;
  q.exclude = exclude;
  q.filter = &filter;
  std::vector<Candidate> out;
  ASSERT_TRUE(source.Retrieve(q, 10, 0, out).ok());
  std::vector<ItemIndex> items;
  for (const Candidate& c : out) items.push_back(c.item);
  EXPECT_THAT(items, ::testing::UnorderedElementsAre(1, 5));
  out.clear();
  q.exclude = {};
  q.filter = nullptr;
  ASSERT_TRUE(source.Retrieve(q, 1, 0, out).ok());
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].item, 2u);
}

TEST_F(CoVisitationSourceTest, NoSeedsReturnsNothing) {
  CoVisitationSource source("covis", *index_);
  std::vector<Candidate> out;
  ASSERT_TRUE(source.Retrieve(RetrievalQuery(), 10, 0, out).ok());
  EXPECT_TRUE(out.empty());
}

TEST_F(CoVisitationSourceTest, RejectsSeedOutsideTable) {
  CoVisitationSource source("covis", *index_);
  const ItemIndex seeds[] = {0, 12};
  RetrievalQuery q;
  q.seeds = seeds;
  std::vector<Candidate> out;
  absl::Status s = source.Retrieve(q, 10, 0, out);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(s.message()), HasSubstr("seed item index 12"));
  EXPECT_TRUE(out.empty());
}

TEST(CoVisitationConcurrency, ReadersSeeConsistentSnapshotsDuringUpdates) {
  constexpr size_t kItems = 200;
  CoVisitationOptions o = Opts(kItems);
  o.publish_every = 32;
  o.top_n = 20;
  auto index = MakeIndex(o);
  const std::vector<Interaction> log = RandomStream(kItems, 500, 5);
  std::atomic<bool> done{false};
  std::atomic<int> failures{0};
  std::atomic<uint64_t> reads{0};
  auto reader = [&](uint64_t seed) {
    CoVisitationSource source("covis", *index);
    std::mt19937_64 rng(seed);
    std::vector<Candidate> out;
    uint64_t last_version = 0;
    while (!done.load(std::memory_order_acquire)) {
      const auto table = index->Snapshot();
      if (table->version() < last_version || table->num_items() != kItems) failures++;
      last_version = table->version();
      const ItemIndex probe = static_cast<ItemIndex>(rng() % kItems);
      const auto nb = table->Neighbors(probe);
      const auto ws = table->Weights(probe);
      if (nb.size() != ws.size() || nb.size() > 20) failures++;
      for (size_t k = 1; k < ws.size(); ++k) {
        if (ws[k] > ws[k - 1]) failures++;
      }
      out.clear();
      const ItemIndex seeds[] = {probe};
      RetrievalQuery q;
      q.seeds = seeds;
      if (!source.Retrieve(q, 10, 0, out).ok()) failures++;
      for (const Candidate& c : out) {
        if (c.item >= kItems || c.item == probe) failures++;
      }
      reads++;
      std::this_thread::yield();  // let the writer progress on a 2-core machine
    }
  };
  std::thread r1(reader, 1), r2(reader, 2);
  for (const Interaction& e : log) ASSERT_TRUE(index->Apply(e).ok());
  index->Publish();
  done.store(true, std::memory_order_release);
  r1.join();
  r2.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_GT(reads.load(), 0u);
  EXPECT_GT(index->Snapshot()->version(), 10u);
}

// ------------------------------------------------------- real data check

TEST(CoVisitationYoochoose, MatchesNaiveReferenceOnTrainFull) {
  const std::string path =
      std::string(AISLE_SHARED_DATA_DIR) + "/yoochoose/yoochoose-clicks-100k_train_full.txt";
  ItemIdMap ids;
  auto log = ReadYoochooseTsv(path, ids);
  if (!log.ok() && absl::IsNotFound(log.status())) {
    GTEST_SKIP() << "shared data absent: " << path;
  }
  ASSERT_TRUE(log.ok()) << log.status();
  ASSERT_EQ(log->size(), 70278u);
  CoVisitationOptions o = Opts(ids.size());
  o.window = absl::Minutes(30);
  o.max_distance = 3;
  o.top_n = 20;
  auto table = BuildCoVisitationTable(*log, o);
  ASSERT_TRUE(table.ok()) << table.status();

  // Naive reference: all ordered pairs within each contiguous session run.
  std::map<std::pair<ItemIndex, ItemIndex>, double> ref;
  size_t start = 0;
  const auto& L = *log;
  for (size_t j = 0; j < L.size(); ++j) {
    if (j > 0 && L[j].session != L[j - 1].session) start = j;
    for (size_t i = start; i < j; ++i) {
      const int d = static_cast<int>(j - i);
      if (d > 3 || L[i].item == L[j].item) continue;
      if (std::llabs(L[j].time_micros - L[i].time_micros) > 30 * 60 * kSec) continue;
      ref[{L[i].item, L[j].item}] += Dist(d);
      ref[{L[j].item, L[i].item}] += Dist(d);
    }
  }
  std::vector<std::vector<double>> ref_rows(ids.size());
  for (const auto& [key, w] : ref) ref_rows[key.first].push_back(w);
  size_t checked = 0;
  for (ItemIndex a = 0; a < ids.size(); ++a) {
    const auto nb = (*table)->Neighbors(a);
    const auto ws = (*table)->Weights(a);
    std::vector<double>& rw = ref_rows[a];
    std::sort(rw.rbegin(), rw.rend());
    ASSERT_EQ(nb.size(), std::min<size_t>(20, rw.size())) << "row " << a;
    for (size_t k = 0; k < nb.size(); ++k) {
      auto it = ref.find({a, nb[k]});
      ASSERT_NE(it, ref.end()) << a << " -> " << nb[k];
      EXPECT_NEAR(ws[k], it->second, 1e-4 * it->second);
      EXPECT_NEAR(ws[k], rw[k], 1e-4 * rw[k]) << "row " << a << " rank " << k;
      ++checked;
    }
  }
  EXPECT_GT(checked, 5000u);
}

TEST(CoVisitationIndex, RefusesTimesThatAreNotTimesOnBothPaths) {
  auto index = MakeIndex(Opts(4));
  Interaction bad = Ev(1, 2, 0);
  bad.time_micros = std::numeric_limits<int64_t>::min();
  // Live: the event is refused and its session ring untouched, so the next
  // event of the session pairs only with what came before.
  ASSERT_TRUE(index->Apply(Ev(1, 0, 10)).ok());
  absl::Status st = index->Apply(bad);
  EXPECT_TRUE(absl::IsInvalidArgument(st));
  EXPECT_THAT(st.message(), HasSubstr("INT64_MIN (no time)"));
  EXPECT_THAT(st.message(), HasSubstr("item index 2"));
  ASSERT_TRUE(index->Apply(Ev(1, 1, 20)).ok());
  index->Publish();
  EXPECT_EQ(index->Snapshot()->Neighbors(2).size(), 0u);
  EXPECT_EQ(index->Snapshot()->Neighbors(0).size(), 1u);
  // Batch: the position is named and nothing is accumulated.
  auto batch = MakeIndex(Opts(4));
  std::vector<Interaction> log = {Ev(1, 0, 0), Ev(1, 1, 1), bad};
  log[2].time_micros = std::numeric_limits<int64_t>::max();
  st = batch->AddLog(log);
  EXPECT_THAT(st.message(), HasSubstr("log position 2"));
  batch->Publish();
  EXPECT_EQ(batch->Snapshot()->Neighbors(0).size(), 0u);
}

TEST(CoVisitation, InsaneEventTimeIsRejectedNamingPositionItemAndTime) {
  CoVisitationOptions o;
  o.num_items = 10;
  auto index = CoVisitationIndex::Create(o);
  ASSERT_TRUE(index.ok());
  std::vector<Interaction> log = {Ev(1, 0, 1700000000), Ev(1, 3, 0)};
  log[1].time_micros = std::numeric_limits<int64_t>::min();
  absl::Status s = (*index)->AddLog(log);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(s.message()),
              HasSubstr("co-visitation: log position 1: item index 3 (session 1): time INT64_MIN "
                        "(no time) is outside [1900-01-01, 2400-01-01)"));
  EXPECT_EQ((*index)->AccumulatedWeight(0, 3), 0.0f);  // nothing accumulated
  Interaction live = Ev(2, 4, 0);
  live.time_micros = std::numeric_limits<int64_t>::max();
  s = (*index)->Apply(live);
  EXPECT_THAT(std::string(s.message()), HasSubstr("co-visitation: Apply: item index 4"));
}

}  // namespace
}  // namespace aisle::retrieval
