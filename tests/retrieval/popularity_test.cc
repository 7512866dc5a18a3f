#include "aisle/retrieval/popularity.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <map>
#include <random>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/time/time.h"
#include "aisle/core/clock.h"
#include "aisle/core/item_bitset.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace aisle::retrieval {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr int64_t kSec = 1000000;
constexpr int64_t kHour = 3600 * kSec;
constexpr int64_t kT0 = 1700000000 * kSec;

Interaction Ev(ItemIndex item, int64_t t, InteractionType type = InteractionType::kClick) {
  return Interaction{.session = 1, .item = item, .time_micros = t, .type = type};
}

std::unique_ptr<PopularityIndex> Make(PopularityOptions o) {
  auto p = PopularityIndex::Create(std::move(o));
  EXPECT_TRUE(p.ok()) << p.status();
  return std::move(p).value();
}

std::vector<ItemIndex> Items(const PopularitySnapshot::List& l) {
  return std::vector<ItemIndex>(l.items.begin(), l.items.end());
}

TEST(PopularityIndex, HalfLifeHalvesACount) {
  PopularityOptions o;
  o.num_items = 4;
  o.half_life = absl::Hours(1);
  auto pop = Make(o);
  ASSERT_TRUE(pop->Apply(Ev(0, kT0)).ok());
  ASSERT_TRUE(pop->Apply(Ev(1, kT0, InteractionType::kPurchase)).ok());
  EXPECT_NEAR(pop->Count(0, kT0), 1.0, 1e-12);
  EXPECT_NEAR(pop->Count(0, kT0 + kHour), 0.5, 1e-12);
  EXPECT_NEAR(pop->Count(0, kT0 + 2 * kHour), 0.25, 1e-12);
  EXPECT_NEAR(pop->Count(1, kT0 + kHour), 3.0, 1e-12);  // purchase weight 6
  // A second event one half-life later: 0.5 + 1.
  ASSERT_TRUE(pop->Apply(Ev(0, kT0 + kHour)).ok());
  EXPECT_NEAR(pop->Count(0, kT0 + kHour), 1.5, 1e-12);
  EXPECT_EQ(pop->Count(2, kT0), 0.0);
}

TEST(PopularityIndex, EpochRenormalizationKeepsCountsExact) {
  PopularityOptions o;
  o.num_items = 3;
  o.half_life = absl::Minutes(1);
  o.top_n = 2;
  auto pop = Make(o);
  ASSERT_TRUE(pop->Apply(Ev(1, kT0)).ok());
  // 1200 events 10 minutes apart: 200 hours = 12000 half-lives, so the
  // epoch must move many times (the scale factor would be 2^12000).
  double expect = 0;
  int64_t t = kT0;
  for (int k = 0; k < 1200; ++k) {
    t += 600 * kSec;
    ASSERT_TRUE(pop->Apply(Ev(0, t)).ok());
    expect = expect * std::exp2(-10.0) + 1.0;
  }
  EXPECT_NEAR(pop->Count(0, t), expect, 1e-9);
  EXPECT_NEAR(pop->Count(0, t + 60 * kSec), expect / 2, 1e-9);
  EXPECT_LT(pop->Count(1, t), 1e-300);
  pop->Publish();
  const auto snap = pop->Snapshot();
  ASSERT_FALSE(snap->Global().items.empty());
  EXPECT_EQ(snap->Global().items[0], 0u);
  EXPECT_NEAR(snap->Global().scores[0], expect, 1e-5);
  EXPECT_EQ(snap->as_of_micros(), t);
}

// Independent reference: decayed counts summed from the raw events.
struct Reference {
  struct Ev {
    ItemIndex item;
    uint32_t segment;
    int64_t t;
    double w;
  };
  std::vector<Ev> events;
  std::map<ItemIndex, double> Counts(int64_t at, double half_life_us,
                                     const std::function<bool(const Ev&)>& in_scope) const {
    std::map<ItemIndex, double> c;
    for (const Ev& e : events) {
      if (in_scope(e)) c[e.item] += e.w * std::exp2(-double(at - e.t) / half_life_us);
    }
    return c;
  }
};

void ExpectListMatches(const PopularitySnapshot::List& list, std::map<ItemIndex, double> counts,
                       size_t top_n, const std::string& scope) {
  std::vector<double> sorted;
  for (const auto& [i, c] : counts) sorted.push_back(c);
  std::sort(sorted.rbegin(), sorted.rend());
  ASSERT_EQ(list.items.size(), std::min(top_n, sorted.size())) << scope;
  for (size_t k = 0; k < list.items.size(); ++k) {
    EXPECT_NEAR(list.scores[k], sorted[k], 1e-4 * sorted[k]) << scope << " rank " << k;
    EXPECT_NEAR(counts[list.items[k]], list.scores[k], 1e-4 * sorted[k]) << scope << " rank " << k;
  }
}

TEST(PopularityIndex, TopNPerScopeMatchesBruteForceUnderUpdates) {
  constexpr size_t kItems = 300, kCats = 7;
  constexpr uint32_t kSegs = 3;
  PopularityOptions o;
  o.num_items = kItems;
  o.num_categories = kCats;
  o.num_segments = kSegs;
  o.item_categories.resize(kItems);
  for (size_t i = 0; i < kItems; ++i)
    o.item_categories[i] = i % 11 == 0 ? kInvalidCategory : i % kCats;
  o.half_life = absl::Hours(2);
  o.top_n = 12;
  auto pop = Make(o);
  Reference ref;
  std::mt19937_64 rng(3);
  int64_t t = kT0;
  for (int round = 0; round < 6; ++round) {
    for (int k = 0; k < 700; ++k) {
      t += static_cast<int64_t>(rng() % 120) * kSec;
      // Skewed item choice, drifting with the round so the leaders change.
      const double u = std::uniform_real_distribution<double>(0, 1)(rng);
      const ItemIndex item =
          static_cast<ItemIndex>((size_t(u * u * u * kItems) + round * 37) % kItems);
      const uint32_t seg = static_cast<uint32_t>(rng() % (kSegs + 1));
      const auto type = static_cast<InteractionType>(rng() % 4);
      ASSERT_TRUE(pop->Apply(Ev(item, t, type), seg).ok());
      ref.events.push_back({item, seg, t, o.type_weights[static_cast<int>(type)]});
    }
    pop->Publish();
    const auto snap = pop->Snapshot();
    const int64_t at = snap->as_of_micros();
    ASSERT_EQ(at, t);
    const double hl = 2.0 * kHour;
    ExpectListMatches(snap->Global(), ref.Counts(at, hl, [](const Reference::Ev&) { return true; }),
                      o.top_n, "global");
    for (CategoryIndex c = 0; c < kCats; ++c) {
      ExpectListMatches(
          snap->Category(c),
          ref.Counts(at, hl,
                     [&](const Reference::Ev& e) { return o.item_categories[e.item] == c; }),
          o.top_n, "category " + std::to_string(c));
    }
    for (uint32_t s = 1; s <= kSegs; ++s) {
      ExpectListMatches(snap->Segment(s),
                        ref.Counts(at, hl, [&](const Reference::Ev& e) { return e.segment == s; }),
                        o.top_n, "segment " + std::to_string(s));
      EXPECT_NEAR(pop->SegmentCount(s, snap->Segment(s).items[0], at), snap->Segment(s).scores[0],
                  1e-4 * snap->Segment(s).scores[0]);
    }
  }
}

TEST(PopularityIndex, TrendIsShortRateOverFlooredLongRate) {
  PopularityOptions o;
  o.num_items = 3;
  o.trend_short_half_life = absl::Hours(1);
  o.trend_long_half_life = absl::Hours(100);
  o.trend_floor = 1e-6;
  auto pop = Make(o);
  ASSERT_TRUE(pop->Apply(Ev(0, kT0)).ok());
  // One event, read at once: short rate = ln2/1h, long rate = ln2/100h.
  EXPECT_NEAR(pop->Trend(0, kT0), 100.0, 1e-9);
  o.trend_floor = 1.0;
  auto floored = Make(o);
  ASSERT_TRUE(floored->Apply(Ev(0, kT0)).ok());
  EXPECT_NEAR(floored->Trend(0, kT0), std::log(2.0), 1e-9);
}

TEST(PopularityIndex, BurstingItemTrendsAboveSteadyItem) {
  PopularityOptions o;
  o.num_items = 3;
  o.trend_floor = 0.01;
  auto pop = Make(o);
  // Item 0: 2 events an hour for a week. Item 1: 20 events in the last hour.
  int64_t t = kT0;
  for (int h = 0; h < 24 * 7; ++h) {
    ASSERT_TRUE(pop->Apply(Ev(0, t)).ok());
    ASSERT_TRUE(pop->Apply(Ev(0, t + 1800 * kSec)).ok());
    t += kHour;
  }
  for (int k = 0; k < 20; ++k) ASSERT_TRUE(pop->Apply(Ev(1, t - kHour + k * 180 * kSec)).ok());
  pop->Publish();
  const auto snap = pop->Snapshot();
  EXPECT_THAT(Items(snap->Trending()), ElementsAre(1, 0));
  EXPECT_THAT(Items(snap->Global()), ElementsAre(0, 1));  // item 0 still more popular
}

class PopularitySourceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    PopularityOptions o;
    o.num_items = 10;
    o.num_categories = 2;
    o.item_categories = {0, 0, 0, 0, 0, 1, 1, 1, 1, 1};
    o.num_segments = 2;
    o.top_n = 6;
    pop_ = Make(o);
    // Item i gets i+1 events (so 9 is the most popular); segment 2 sees item 0 most.
    for (ItemIndex i = 0; i < 10; ++i) {
      for (ItemIndex k = 0; k <= i; ++k) ASSERT_TRUE(pop_->Apply(Ev(i, kT0), 1).ok());
    }
    for (int k = 0; k < 3; ++k) ASSERT_TRUE(pop_->Apply(Ev(0, kT0), 2).ok());
    ASSERT_TRUE(pop_->Apply(Ev(4, kT0), 2).ok());
    pop_->Publish();
  }
  std::vector<ItemIndex> Run(const RetrievalQuery& q, size_t quota,
                             PopularitySourceOptions opts = {}) {
    PopularitySource source("popular", *pop_, opts);
    std::vector<Candidate> out;
    absl::Status s = source.Retrieve(q, quota, 2, out);
    EXPECT_TRUE(s.ok()) << s;
    std::vector<ItemIndex> items;
    for (const Candidate& c : out) {
      EXPECT_EQ(c.sources, SourceBit(2));
      items.push_back(c.item);
    }
    return items;
  }
  std::unique_ptr<PopularityIndex> pop_;
};

TEST_F(PopularitySourceTest, GlobalScope) {
  EXPECT_THAT(Run(RetrievalQuery(), 3), ElementsAre(9, 8, 7));
}

TEST_F(PopularitySourceTest, CategoryScopesMergeByScore) {
  const CategoryIndex c0[] = {0};
  RetrievalQuery q;
  q.categories = c0;
  // Global counts in category 0: item0 4 (1 + 3 in segment 2), 1:2, 2:3, 3:4, 4:6;
  // the tie 0 vs 3 goes to the smaller index.
  EXPECT_THAT(Run(q, 3), ElementsAre(4, 0, 3));
  const CategoryIndex both[] = {0, 1};
  q.categories = both;
  EXPECT_THAT(Run(q, 4), ElementsAre(9, 8, 7, 6));
}

TEST_F(PopularitySourceTest, SegmentScope) {
  RetrievalQuery q;
  q.segment = 2;
  EXPECT_THAT(Run(q, 5), ElementsAre(0, 4));
}

TEST_F(PopularitySourceTest, ExcludeAndFilterReadDeeper) {
  const ItemIndex seeds[] = {9};
  const ItemIndex exclude[] = {8};
  ItemBitset filter(10, true);
  filter.Reset(6);
  RetrievalQuery q;
  q.seeds = seeds;
  q.exclude = exclude;
  q.filter = &filter;
  // Items 4 and 5 both have 6 events (4 has one in segment 2): tie -> 4 first.
  EXPECT_THAT(Run(q, 3), ElementsAre(7, 4, 5));
  // Only 6 items are published per list: asking for more returns what is left.
  EXPECT_THAT(Run(q, 10), ElementsAre(7, 4, 5));
}

TEST_F(PopularitySourceTest, TrendingMode) {
  const auto items = Run(RetrievalQuery(), 3, {.mode = PopularitySourceOptions::Mode::kTrending});
  EXPECT_EQ(items.size(), 3u);
  EXPECT_EQ(items[0], 9u);  // all events at one instant: trend ranks like counts
}

TEST_F(PopularitySourceTest, RejectsUnknownCategoryAndSegment) {
  PopularitySource source("popular", *pop_);
  std::vector<Candidate> out;
  const CategoryIndex bad[] = {5};
  RetrievalQuery q;
  q.categories = bad;
  absl::Status s = source.Retrieve(q, 3, 0, out);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(s.message()), HasSubstr("category 5"));
  q.categories = {};
  q.segment = 3;
  s = source.Retrieve(q, 3, 0, out);
  EXPECT_THAT(std::string(s.message()), HasSubstr("segment 3"));
  EXPECT_TRUE(out.empty());
}

TEST(PopularityIndex, RejectsBadEventsAndOptions) {
  PopularityOptions o;
  o.num_items = 5;
  o.num_segments = 1;
  auto pop = Make(o);
  absl::Status s = pop->Apply(Ev(5, kT0));
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(s.message()), HasSubstr("item index 5"));
  s = pop->Apply(Ev(1, kT0), 2);
  EXPECT_THAT(std::string(s.message()), HasSubstr("segment 2"));
  s = pop->ApplyAll({Ev(1, kT0), Ev(7, kT0)});
  EXPECT_THAT(std::string(s.message()), HasSubstr("event 1"));
  EXPECT_NEAR(pop->Count(1, kT0), 1.0, 1e-12);

  o.item_categories = {0, 0, 3, 0, 0};
  o.num_categories = 2;
  EXPECT_THAT(std::string(PopularityIndex::Create(o).status().message()),
              HasSubstr("item_categories[2] = 3"));
  o.item_categories = {0};
  EXPECT_EQ(PopularityIndex::Create(o).status().code(), absl::StatusCode::kInvalidArgument);
  o.item_categories.clear();
  o.half_life = absl::ZeroDuration();
  EXPECT_THAT(std::string(PopularityIndex::Create(o).status().message()), HasSubstr("half_life"));
}

TEST(PopularityConcurrency, ReadersSeeSortedSnapshotsDuringUpdates) {
  PopularityOptions o;
  o.num_items = 500;
  o.num_categories = 5;
  o.item_categories.resize(500);
  for (size_t i = 0; i < 500; ++i) o.item_categories[i] = i % 5;
  o.num_segments = 2;
  o.top_n = 20;
  o.publish_every = 100;
  auto pop = Make(o);
  std::atomic<bool> done{false};
  std::atomic<int> failures{0};
  std::atomic<uint64_t> reads{0};
  auto reader = [&](CategoryIndex cat) {
    PopularitySource source("popular", *pop);
    std::vector<Candidate> out;
    uint64_t last = 0;
    while (!done.load(std::memory_order_acquire)) {
      const auto snap = pop->Snapshot();
      if (snap->version() < last) failures++;
      last = snap->version();
      const auto g = snap->Global();
      for (size_t k = 1; k < g.scores.size(); ++k) {
        if (g.scores[k] > g.scores[k - 1]) failures++;
      }
      out.clear();
      const CategoryIndex cats[] = {cat};
      RetrievalQuery q;
      q.categories = cats;
      if (!source.Retrieve(q, 10, 0, out).ok()) failures++;
      for (const Candidate& c : out) {
        if (c.item >= 500 || c.item % 5 != cat) failures++;
      }
      reads++;
      std::this_thread::yield();
    }
  };
  std::thread r1(reader, 1), r2(reader, 3);
  std::mt19937_64 rng(9);
  for (int k = 0; k < 20000; ++k) {
    ASSERT_TRUE(pop->Apply(Ev(static_cast<ItemIndex>(rng() % 500), kT0 + k * kSec),
                           static_cast<uint32_t>(rng() % 3))
                    .ok());
  }
  done.store(true, std::memory_order_release);
  r1.join();
  r2.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_GT(reads.load(), 0u);
  EXPECT_EQ(pop->Snapshot()->version(), 200u);
}

// ------------------------------------------------------------ event times

TEST(PopularityIndex, RefusesTimesThatAreNotTimesAndCountsNothing) {
  PopularityOptions o;
  o.num_items = 4;
  auto pop = Make(o);
  ASSERT_TRUE(pop->Apply(Ev(1, kT0)).ok());
  for (int64_t bad : {std::numeric_limits<int64_t>::min(), std::numeric_limits<int64_t>::max(),
                      int64_t{-3000000000} * kSec}) {
    absl::Status st = pop->Apply(Ev(2, bad));
    EXPECT_TRUE(absl::IsInvalidArgument(st)) << bad;
    EXPECT_THAT(st.message(), HasSubstr("item index 2")) << bad;
    EXPECT_THAT(st.message(), HasSubstr("outside [1900-01-01, 2400-01-01)")) << bad;
  }
  EXPECT_EQ(pop->Count(2, kT0), 0.0);
  // Queries at any int64 time stay finite or zero (no wrapped arithmetic).
  EXPECT_TRUE(std::isfinite(pop->Count(1, kT0 + kHour)));
  EXPECT_EQ(pop->Count(1, std::numeric_limits<int64_t>::max()), 0.0);
  EXPECT_FALSE(std::isnan(pop->Count(1, std::numeric_limits<int64_t>::min())));
  pop->Publish();
  for (float s : pop->Snapshot()->Global().scores) EXPECT_TRUE(std::isfinite(s));
}

TEST(PopularityIndex, WithAClockAFarFutureEventCountsAsOneEventNow) {
  FakeClock clock(absl::FromUnixMicros(kT0));
  PopularityOptions o;
  o.num_items = 3;
  o.clock = &clock;
  auto pop = Make(o);
  // Item 0: one event stamped 200 years ahead; item 1: two events now.
  ASSERT_TRUE(pop->Apply(Ev(0, kT0 + 200 * 8766 * kHour)).ok());
  ASSERT_TRUE(pop->Apply(Ev(1, kT0)).ok());
  ASSERT_TRUE(pop->Apply(Ev(1, kT0)).ok());
  EXPECT_EQ(pop->clamped_future(), 1u);
  EXPECT_NEAR(pop->Count(0, kT0), 1.0, 1e-9);
  EXPECT_NEAR(pop->Count(1, kT0), 2.0, 1e-9);
  pop->Publish();
  EXPECT_THAT(Items(pop->Snapshot()->Global()), ElementsAre(1, 0));
  // Time goes on: later events decay the clamped one like any other.
  clock.Advance(absl::Hours(48));
  ASSERT_TRUE(pop->Apply(Ev(2, kT0 + 48 * kHour)).ok());
  EXPECT_NEAR(pop->Count(0, kT0 + 48 * kHour), 0.25, 1e-9);  // two half-lives
  pop->Publish();
  EXPECT_THAT(Items(pop->Snapshot()->Global()), ElementsAre(2, 1, 0));
  // Within max_lead an event keeps its own time (clock skew).
  ASSERT_TRUE(pop->Apply(Ev(2, kT0 + 48 * kHour + 60 * kSec)).ok());
  EXPECT_EQ(pop->clamped_future(), 1u);
}

TEST(PopularityIndex, RejectsAnInfiniteOrNegativeMaxLead) {
  PopularityOptions o;
  o.num_items = 3;
  o.max_lead = -absl::Seconds(1);
  EXPECT_THAT(PopularityIndex::Create(o).status().message(), HasSubstr("max_lead"));
}

TEST(Popularity, AbsurdScopeCountsAreRejectedNamingTheOption) {
  PopularityOptions o;
  o.num_items = 10;
  o.num_segments = std::numeric_limits<uint32_t>::max();  // num_segments + 1 wrapped to 0
  auto p = PopularityIndex::Create(o);
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(p.status().message()),
              HasSubstr("PopularityOptions.num_segments must be in [0, 2^16], got 4294967295"));
  o.num_segments = 0;
  o.num_categories = size_t{1} << 40;
  p = PopularityIndex::Create(o);
  ASSERT_FALSE(p.ok());
  EXPECT_THAT(std::string(p.status().message()),
              HasSubstr("PopularityOptions.num_categories must be in [0, 2^24], got "
                        "1099511627776"));
}

TEST(Popularity, InsaneEventTimeIsRejectedNamingItem) {
  PopularityOptions o;
  o.num_items = 10;
  auto p = Make(o);
  Interaction e{.session = 1, .item = 4, .time_micros = std::numeric_limits<int64_t>::min()};
  const absl::Status s = p->Apply(e);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(s.message()),
              HasSubstr("popularity: event on item index 4: time INT64_MIN (no time) is outside"));
  EXPECT_EQ(p->Count(4, kT0), 0.0);
}

}  // namespace
}  // namespace aisle::retrieval
