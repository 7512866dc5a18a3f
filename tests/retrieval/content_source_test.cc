#include "aisle/retrieval/content_source.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "aisle/catalog/catalog_builder.h"
#include "aisle/catalog/synthetic_catalog.h"
#include "aisle/core/clock.h"
#include "aisle/core/deadline.h"
#include "aisle/core/item_bitset.h"
#include "aisle/retrieval/ann_index.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace aisle::retrieval {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::UnorderedElementsAre;

struct TestItem {
  std::string id{};
  std::string category{};
  std::string brand{};
  std::vector<std::pair<std::string, std::string>> attrs{};
  std::vector<float> embedding{};
  int64_t launch_seconds = 0;  // 0 = unknown
};

std::shared_ptr<const catalog::Catalog> MakeCatalog(const std::vector<TestItem>& items) {
  catalog::CatalogBuilder builder;
  for (const TestItem& t : items) {
    std::vector<catalog::ItemAttribute> attrs;
    for (const auto& [k, v] : t.attrs) attrs.push_back({k, v});
    const absl::Status s = builder.AddItem(
        {.id = t.id,
         .category = t.category,
         .brand = t.brand,
         .launch_time =
             t.launch_seconds == 0 ? absl::InfinitePast() : absl::FromUnixSeconds(t.launch_seconds),
         .attributes = attrs,
         .embedding = t.embedding});
    EXPECT_TRUE(s.ok()) << s;
  }
  absl::StatusOr<catalog::Catalog> built = builder.Build();
  EXPECT_TRUE(built.ok()) << built.status();
  return std::make_shared<const catalog::Catalog>(std::move(built).value());
}

std::unique_ptr<ContentSource> MakeSource(std::shared_ptr<const catalog::Catalog> cat,
                                          ContentSourceOptions o = {},
                                          std::shared_ptr<const AnnIndex> ann = nullptr) {
  auto source = ContentSource::Create(std::move(cat), std::move(ann), std::move(o));
  EXPECT_TRUE(source.ok()) << source.status();
  return std::move(source).value();
}

std::vector<ItemIndex> Items(const std::vector<Candidate>& c) {
  std::vector<ItemIndex> out;
  for (const Candidate& x : c) out.push_back(x.item);
  return out;
}

std::vector<Candidate> Fetch(const ContentSource& source, const RetrievalQuery& q, size_t quota,
                             ContentSourceStats* stats = nullptr) {
  std::vector<Candidate> out;
  const absl::Status s = source.RetrieveWithStats(q, quota, /*id=*/2, out, stats);
  EXPECT_TRUE(s.ok()) << s;
  return out;
}

ContentSourceOptions EmbeddingOnly() {
  ContentSourceOptions o;
  o.category_weight = o.brand_weight = o.attribute_weight = 0.0f;
  return o;
}

// Two-dimensional vectors at known angles to the seed (1, 0).
std::vector<TestItem> Geometry() {
  return {{.id = "seed", .embedding = {1.0f, 0.0f}},
          {.id = "near", .embedding = {0.95f, 0.1f}},
          {.id = "mid", .embedding = {0.6f, 0.8f}},
          {.id = "far", .embedding = {0.0f, 1.0f}},
          {.id = "opposite", .embedding = {-1.0f, 0.0f}}};
}

// The attribute fixture: what each item shares with item 0 is in its id.
std::vector<TestItem> Shoes(bool with_embeddings) {
  std::vector<TestItem> items = {
      {"seed", "Shoes>Running", "Acme", {{"color", "red"}, {"size", "42"}}},
      {"cat_brand_color_size", "Shoes>Running", "Acme", {{"color", "red"}, {"size", "42"}}},
      {"cat_brand", "Shoes>Running", "Acme", {{"color", "blue"}}},
      {"cat_color", "Shoes>Running", "Zeta", {{"color", "red"}}},
      {"cat", "Shoes>Running", "Zeta", {}},
      {"brand", "Shoes>Trail", "Acme", {}},
      {"color_size", "Bags", "Other", {{"color", "red"}, {"size", "42"}}},
      {"size", "Bags", "Other2", {{"size", "42"}}},
      {"nothing", "Bags", "Other", {{"color", "green"}}},
  };
  for (size_t i = 0; i < items.size(); ++i) {
    if (with_embeddings) {
      const float a = 0.3f * static_cast<float>(i);
      items[i].embedding = {std::cos(a), std::sin(a)};
    }
  }
  return items;
}

TEST(ContentSource, RanksByEmbeddingSimilarityExactly) {
  auto source = MakeSource(MakeCatalog(Geometry()), EmbeddingOnly());
  const ItemIndex seeds[] = {0};
  RetrievalQuery q;
  q.seeds = seeds;
  ContentSourceStats stats;
  const std::vector<Candidate> out = Fetch(*source, q, 10, &stats);
  ASSERT_THAT(Items(out), ElementsAre(1, 2, 3, 4));
  EXPECT_NEAR(out[0].score, 0.95 / std::hypot(0.95, 0.1), 1e-6);
  EXPECT_NEAR(out[1].score, 0.6, 1e-6);
  EXPECT_NEAR(out[2].score, 0.0, 1e-6);
  EXPECT_NEAR(out[3].score, -1.0, 1e-6);
  for (const Candidate& c : out) EXPECT_EQ(c.sources, SourceBit(2));
  EXPECT_FALSE(stats.used_ann);
  EXPECT_EQ(stats.embedding_candidates, 4u);
  EXPECT_EQ(stats.seeds_used, 1u);
}

TEST(ContentSource, AnnIndexGivesTheSameNeighbours) {
  auto cat = MakeCatalog(Geometry());
  auto ann = AnnIndex::Build(cat->embeddings(), {.metric = Metric::kCosine});
  ASSERT_TRUE(ann.ok()) << ann.status();
  auto source = MakeSource(cat, EmbeddingOnly(), std::shared_ptr<const AnnIndex>(std::move(*ann)));
  const ItemIndex seeds[] = {0};
  RetrievalQuery q;
  q.seeds = seeds;
  ContentSourceStats stats;
  const std::vector<Candidate> out = Fetch(*source, q, 2, &stats);
  EXPECT_THAT(Items(out), ElementsAre(1, 2));
  EXPECT_NEAR(out[1].score, 0.6, 1e-6);
  EXPECT_TRUE(stats.used_ann);
}

TEST(ContentSource, InnerProductScoresRawDotProducts) {
  ContentSourceOptions o = EmbeddingOnly();
  o.metric = Metric::kInnerProduct;
  auto source = MakeSource(MakeCatalog({{.id = "s", .embedding = {2.0f, 0.0f}},
                                        {.id = "a", .embedding = {3.0f, 1.0f}},
                                        {.id = "b", .embedding = {1.0f, 5.0f}}}),
                           o);
  const ItemIndex seeds[] = {0};
  RetrievalQuery q;
  q.seeds = seeds;
  const std::vector<Candidate> out = Fetch(*source, q, 10);
  ASSERT_THAT(Items(out), ElementsAre(1, 2));
  EXPECT_FLOAT_EQ(out[0].score, 6.0f);
  EXPECT_FLOAT_EQ(out[1].score, 2.0f);
}

TEST(ContentSource, RanksBySharedCategoryBrandAndAttributes) {
  // Catalog without embeddings: attributes only, default weights
  // (category 0.5, brand 0.3, attributes 0.2 x share of the seed's pairs).
  auto source = MakeSource(MakeCatalog(Shoes(false)));
  const ItemIndex seeds[] = {0};
  RetrievalQuery q;
  q.seeds = seeds;
  ContentSourceStats stats;
  const std::vector<Candidate> out = Fetch(*source, q, 20, &stats);
  ASSERT_THAT(Items(out), ElementsAre(1, 2, 3, 4, 5, 6, 7));  // never 0 (seed) or 8
  const float expected[] = {1.0f, 0.8f, 0.6f, 0.5f, 0.3f, 0.2f, 0.1f};
  for (size_t r = 0; r < out.size(); ++r) EXPECT_NEAR(out[r].score, expected[r], 1e-6) << r;
  EXPECT_EQ(stats.embedding_candidates, 0u);
  EXPECT_FALSE(stats.used_ann);
}

TEST(ContentSource, BlendedScoreFollowsTheDocumentedFormula) {
  ContentSourceOptions o;
  o.embedding_weight = 2.0f;
  o.category_weight = 0.7f;
  o.brand_weight = 0.11f;
  o.attribute_weight = 0.05f;
  o.recency_decay = 0.5f;
  auto cat = MakeCatalog(Shoes(true));
  auto source = MakeSource(cat, o);
  // Seeds: 1 (most recent), then 6; weights 1 and 0.5 -> w = 2/3, 1/3.
  const ItemIndex seeds[] = {1, 6};
  RetrievalQuery q;
  q.seeds = seeds;
  auto cosine = [&](ItemIndex a, ItemIndex b) {
    const auto x = cat->embedding(a), y = cat->embedding(b);
    return (x[0] * y[0] + x[1] * y[1]) / (std::hypot(x[0], x[1]) * std::hypot(y[0], y[1]));
  };
  const double w0 = 2.0 / 3.0, w1 = 1.0 / 3.0;
  // Item 3 ("cat_color": Shoes>Running, Zeta, color red) shares category
  // and color with seed 1 (2 pairs), color with seed 6 (2 pairs).
  const double e3 = w0 * cosine(1, 3) + w1 * cosine(6, 3);
  const double expected3 = 2.0 * e3 + 0.7 * w0 + 0.05 * (w0 * 1 / 2 + w1 * 1 / 2);
  absl::StatusOr<float> got = source->Score(q, 3);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_NEAR(*got, expected3, 1e-5);
  // Item 7 ("size": Bags, Other2, size 42) shares size with both seeds and
  // its category with seed 6.
  const double e7 = w0 * cosine(1, 7) + w1 * cosine(6, 7);
  const double expected7 = 2.0 * e7 + 0.7 * w1 + 0.05 * (w0 * 1 / 2 + w1 * 1 / 2);
  got = source->Score(q, 7);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_NEAR(*got, expected7, 1e-5);
  // Retrieve reports the same scores.
  for (const Candidate& c : Fetch(*source, q, 20)) {
    EXPECT_NEAR(c.score, *source->Score(q, c.item), 1e-5) << c.item;
  }
}

// Two clusters: items 0-4 around (1, 0) in category A, 5-9 around (0, 1) in B.
std::vector<TestItem> TwoClusters() {
  std::vector<TestItem> items;
  for (int i = 0; i < 10; ++i) {
    const bool a = i < 5;
    const float jitter = 0.05f * static_cast<float>(i % 5);
    items.push_back(
        {.id = absl::StrCat("item", i),
         .category = a ? "A" : "B",
         .embedding = a ? std::vector<float>{1.0f, jitter} : std::vector<float>{jitter, 1.0f}});
  }
  return items;
}

TEST(ContentSource, MostRecentSeedDominates) {
  auto source = MakeSource(MakeCatalog(TwoClusters()));
  const ItemIndex a_first[] = {0, 5};
  RetrievalQuery q;
  q.seeds = a_first;
  EXPECT_THAT(Items(Fetch(*source, q, 4)), UnorderedElementsAre(1, 2, 3, 4));
  const ItemIndex b_first[] = {5, 0};
  q.seeds = b_first;
  EXPECT_THAT(Items(Fetch(*source, q, 4)), UnorderedElementsAre(6, 7, 8, 9));
}

TEST(ContentSource, SeedWeightsOutweighRecency) {
  auto source = MakeSource(MakeCatalog(TwoClusters()));
  const ItemIndex seeds[] = {0, 5};      // 0 viewed just now, 5 carted before
  const float weights[] = {1.0f, 3.0f};  // the cart counts 3x
  RetrievalQuery q;
  q.seeds = seeds;
  q.seed_weights = weights;
  EXPECT_THAT(Items(Fetch(*source, q, 4)), UnorderedElementsAre(6, 7, 8, 9));
  // A zero weight drops the seed from the score; it is still never returned.
  const float zero[] = {0.0f, 1.0f};
  q.seed_weights = zero;
  ContentSourceStats stats;
  const std::vector<ItemIndex> out = Items(Fetch(*source, q, 10, &stats));
  EXPECT_EQ(stats.seeds_used, 1u);
  EXPECT_FALSE(out.empty());
  EXPECT_EQ(std::count(out.begin(), out.end(), ItemIndex{0}), 0);
}

TEST(ContentSource, NeverReturnsSeedsAndHonoursExcludeFilterAndQuota) {
  auto source = MakeSource(MakeCatalog(Shoes(false)));
  const ItemIndex seeds[] = {0, 1};
  const ItemIndex exclude[] = {3, 100};  // out-of-range exclusions are ignored
  ItemBitset filter(9, true);
  filter.Reset(4);
  RetrievalQuery q;
  q.seeds = seeds;
  q.exclude = exclude;
  q.filter = &filter;
  const std::vector<Candidate> all = Fetch(*source, q, 20);
  EXPECT_THAT(Items(all), UnorderedElementsAre(2, 5, 6, 7));  // not 0, 1 (seeds), 3, 4
  const std::vector<Candidate> top = Fetch(*source, q, 2);
  ASSERT_EQ(top.size(), 2u);
  EXPECT_EQ(top[0].item, all[0].item);
  EXPECT_EQ(top[1].item, all[1].item);
  EXPECT_TRUE(Fetch(*source, q, 0).empty());
}

TEST(ContentSource, AnnSearchHonoursExcludeAndFilter) {
  auto cat = MakeCatalog(Geometry());
  auto ann = AnnIndex::Build(cat->embeddings(), {.metric = Metric::kCosine});
  ASSERT_TRUE(ann.ok());
  auto source = MakeSource(cat, EmbeddingOnly(), std::shared_ptr<const AnnIndex>(std::move(*ann)));
  const ItemIndex seeds[] = {0};
  const ItemIndex exclude[] = {1};
  ItemBitset filter(5, true);
  filter.Reset(3);
  RetrievalQuery q;
  q.seeds = seeds;
  q.exclude = exclude;
  q.filter = &filter;
  EXPECT_THAT(Items(Fetch(*source, q, 10)), ElementsAre(2, 4));
}

TEST(ContentSource, WorksWithoutEmbeddingsAndRefusesAnIndexThen) {
  auto cat = MakeCatalog(Shoes(false));
  ASSERT_EQ(cat->embedding_dim(), 0u);
  auto source = MakeSource(cat);
  const ItemIndex seeds[] = {2};
  RetrievalQuery q;
  q.seeds = seeds;
  EXPECT_FALSE(Fetch(*source, q, 5).empty());

  auto other = MakeCatalog(Geometry());
  auto ann = AnnIndex::Build(other->embeddings(), {.metric = Metric::kCosine});
  ASSERT_TRUE(ann.ok());
  auto bad = ContentSource::Create(cat, std::shared_ptr<const AnnIndex>(std::move(*ann)), {});
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(bad.status().message(), HasSubstr("has no embeddings"));
}

TEST(ContentSource, IgnoresSeedsOutsideTheCatalog) {
  auto source = MakeSource(MakeCatalog(Shoes(false)));
  const ItemIndex only_valid[] = {0};
  const ItemIndex with_invalid[] = {1000, 0, kInvalidItem};
  RetrievalQuery q;
  q.seeds = only_valid;
  const std::vector<Candidate> expected = Fetch(*source, q, 20);
  q.seeds = with_invalid;
  ContentSourceStats stats;
  const std::vector<Candidate> got = Fetch(*source, q, 20, &stats);
  EXPECT_EQ(Items(got), Items(expected));
  EXPECT_EQ(stats.seeds_used, 1u);
  const ItemIndex none_valid[] = {1000};
  q.seeds = none_valid;
  EXPECT_TRUE(Fetch(*source, q, 20).empty());
  q.seeds = {};
  EXPECT_TRUE(Fetch(*source, q, 20).empty());
}

TEST(ContentSource, OnlyTheFirstMaxSeedsCount) {
  ContentSourceOptions o;
  o.max_seeds = 1;
  auto source = MakeSource(MakeCatalog(TwoClusters()), o);
  const ItemIndex seeds[] = {5, 0, 1, 2};
  const float weights[] = {1.0f, 100.0f, 100.0f, 100.0f};
  RetrievalQuery q;
  q.seeds = seeds;
  q.seed_weights = weights;
  ContentSourceStats stats;
  const std::vector<Candidate> out = Fetch(*source, q, 3, &stats);
  EXPECT_THAT(Items(out), ElementsAre(6, 7, 8));
  EXPECT_EQ(stats.seeds_used, 1u);
}

TEST(ContentSource, CutGroupsVisitTheNewestItemsFirst) {
  // The seed is the newest, so it is one of the visits.
  std::vector<TestItem> items = {{.id = "seed", .category = "C", .launch_seconds = 1800000000}};
  for (int i = 1; i <= 8; ++i) {
    // Items 1..6 launched at increasing times, 7 and 8 unknown.
    items.push_back({.id = absl::StrCat("i", i),
                     .category = "C",
                     .launch_seconds = i <= 6 ? 1700000000 + i : 0});
  }
  ContentSourceOptions o;
  o.max_group_items = 4;
  auto source = MakeSource(MakeCatalog(items), o);
  const ItemIndex seeds[] = {0};
  RetrievalQuery q;
  q.seeds = seeds;
  EXPECT_THAT(Items(Fetch(*source, q, 10)), ElementsAre(4, 5, 6));
  o.max_group_items = 100;
  source = MakeSource(MakeCatalog(items), o);
  // Equal scores: ties go to the lower item index.
  EXPECT_THAT(Items(Fetch(*source, q, 10)), ElementsAre(1, 2, 3, 4, 5, 6, 7, 8));
}

TEST(ContentSource, ExpiredDeadlineReturnsNothingAndSaysSo) {
  FakeClock clock;
  auto source = MakeSource(MakeCatalog(Shoes(true)));
  const ItemIndex seeds[] = {0};
  RetrievalQuery q;
  q.seeds = seeds;
  q.deadline = Deadline::In(absl::ZeroDuration(), clock);
  ContentSourceStats stats;
  EXPECT_TRUE(Fetch(*source, q, 10, &stats).empty());
  EXPECT_TRUE(stats.deadline_expired);
}

// Every reading of the clock moves it 1 ms on.
class SteppingClock final : public Clock {
 public:
  absl::Time Now() const override { return absl::UnixEpoch(); }
  int64_t MonotonicNanos() const override { return nanos_.fetch_add(1000000); }
  int reads() const { return static_cast<int>(nanos_.load() / 1000000); }

 private:
  mutable std::atomic<int64_t> nanos_{0};
};

std::shared_ptr<const catalog::Catalog> Synthetic(size_t items, size_t dim) {
  auto built = catalog::MakeSyntheticCatalog({.items = items, .dim = dim, .seed = 3});
  EXPECT_TRUE(built.ok()) << built.status();
  return std::make_shared<const catalog::Catalog>(std::move(built).value());
}

TEST(ContentSource, DeadlineStopsTheScanAtABlockBoundary) {
  auto cat = Synthetic(40000, 8);
  auto source = MakeSource(cat);
  const ItemIndex seeds[] = {7, 70, 700};
  RetrievalQuery q;
  q.seeds = seeds;
  ContentSourceStats full;
  const std::vector<Candidate> complete = Fetch(*source, q, 50, &full);
  ASSERT_EQ(complete.size(), 50u);
  EXPECT_FALSE(full.deadline_expired);

  SteppingClock clock;
  q.deadline = Deadline::In(absl::Milliseconds(3), clock);  // expires at the 3rd check
  ContentSourceStats cut;
  const std::vector<Candidate> partial = Fetch(*source, q, 50, &cut);
  EXPECT_TRUE(cut.deadline_expired);
  EXPECT_FALSE(partial.empty());
  EXPECT_LE(partial.size(), 50u);
  EXPECT_LT(cut.scored, full.scored);
  EXPECT_EQ(cut.attribute_visits, 0u);
  EXPECT_LE(clock.reads(), 6);  // a handful of checks, not one per item
}

TEST(ContentSource, MatchesBruteForceWhenThePoolCoversTheCatalog) {
  auto cat = Synthetic(3000, 16);
  ContentSourceOptions o;
  o.embedding_candidates = cat->size();
  o.max_group_items = cat->size();
  o.max_attribute_visits = 100 * cat->size();
  o.min_visits_per_seed = 100 * cat->size();
  auto source = MakeSource(cat, o);
  const ItemIndex seeds[] = {11, 1200, 2999};
  const float weights[] = {1.0f, 2.0f, 0.5f};
  RetrievalQuery q;
  q.seeds = seeds;
  q.seed_weights = weights;
  std::vector<Candidate> truth;
  for (ItemIndex i = 0; i < cat->size(); ++i) {
    if (i == 11 || i == 1200 || i == 2999) continue;
    truth.push_back({.item = i, .score = *source->Score(q, i)});
  }
  std::sort(truth.begin(), truth.end(), ByScoreDesc());
  truth.resize(60);
  const std::vector<Candidate> got = Fetch(*source, q, 60);
  ASSERT_EQ(got.size(), 60u);
  for (size_t r = 0; r < got.size(); ++r) {
    EXPECT_EQ(got[r].item, truth[r].item) << r;
    EXPECT_FLOAT_EQ(got[r].score, truth[r].score) << r;
  }
}

TEST(ContentSource, AnnAndExactAgreeOnASyntheticCatalog) {
  auto cat = Synthetic(5000, 16);
  auto ann = AnnIndex::Build(cat->embeddings(), {.metric = Metric::kCosine, .threads = 1});
  ASSERT_TRUE(ann.ok());
  auto exact = MakeSource(cat);
  auto approx = MakeSource(cat, {}, std::shared_ptr<const AnnIndex>(std::move(*ann)));
  size_t same = 0, total = 0;
  for (ItemIndex seed = 0; seed < 5000; seed += 250) {
    const ItemIndex seeds[] = {seed, static_cast<ItemIndex>((seed * 7 + 1) % 5000)};
    RetrievalQuery q;
    q.seeds = seeds;
    const std::vector<ItemIndex> a = Items(Fetch(*exact, q, 20));
    const std::vector<ItemIndex> b = Items(Fetch(*approx, q, 20));
    for (ItemIndex x : b) same += std::count(a.begin(), a.end(), x);
    total += a.size();
  }
  EXPECT_GE(double(same) / double(total), 0.9);
}

TEST(ContentSource, ConcurrentRequestsGetTheSingleThreadedAnswers) {
  auto cat = Synthetic(5000, 16);
  auto source = MakeSource(cat);
  std::vector<std::vector<ItemIndex>> expected(64);
  auto query_for = [](size_t r, ItemIndex* seeds) {
    seeds[0] = static_cast<ItemIndex>(r * 71 % 5000);
    seeds[1] = static_cast<ItemIndex>(r * 13 % 5000);
  };
  for (size_t r = 0; r < expected.size(); ++r) {
    ItemIndex seeds[2];
    query_for(r, seeds);
    RetrievalQuery q;
    q.seeds = seeds;
    expected[r] = Items(Fetch(*source, q, 30));
  }
  std::atomic<int> mismatches{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int round = 0; round < 5; ++round) {
        for (size_t r = t; r < expected.size(); r += 2) {
          ItemIndex seeds[2];
          query_for(r, seeds);
          RetrievalQuery q;
          q.seeds = seeds;
          std::vector<Candidate> out;
          if (!source->Retrieve(q, 30, 0, out).ok() || Items(out) != expected[r]) ++mismatches;
        }
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(mismatches.load(), 0);
}

TEST(ContentSource, RejectsBadQueries) {
  auto source = MakeSource(MakeCatalog(Shoes(false)));
  const ItemIndex seeds[] = {0, 1};
  RetrievalQuery q;
  q.seeds = seeds;
  std::vector<Candidate> out;
  const float short_weights[] = {1.0f};
  q.seed_weights = short_weights;
  absl::Status s = source->Retrieve(q, 5, 0, out);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("seed_weights has 1 entries for 2 seeds"));
  const float negative[] = {1.0f, -2.0f};
  q.seed_weights = negative;
  s = source->Retrieve(q, 5, 0, out);
  EXPECT_THAT(s.message(), HasSubstr("seed_weights[1] is -2"));
  const float nan[] = {std::nanf(""), 1.0f};
  q.seed_weights = nan;
  EXPECT_EQ(source->Retrieve(q, 5, 0, out).code(), absl::StatusCode::kInvalidArgument);
  q.seed_weights = {};
  EXPECT_EQ(source->Retrieve(q, 5, kMaxSources, out).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(out.empty());
  EXPECT_EQ(source->Score(q, 9).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(ContentSource, RejectsBadOptions) {
  auto cat = MakeCatalog(Geometry());
  auto error = [&](ContentSourceOptions o) {
    return std::string(ContentSource::Create(cat, nullptr, std::move(o)).status().message());
  };
  ContentSourceOptions o;
  o.brand_weight = -1.0f;
  EXPECT_THAT(error(o), HasSubstr("ContentSourceOptions.brand_weight must be finite and >= 0"));
  o = {};
  o.embedding_weight = std::nanf("");
  EXPECT_THAT(error(o), HasSubstr("embedding_weight"));
  o = {};
  o.recency_decay = 0.0f;
  EXPECT_THAT(error(o), HasSubstr("recency_decay must be in (0, 1]"));
  o = {};
  o.max_seeds = 0;
  EXPECT_THAT(error(o), HasSubstr("max_seeds must be >= 1"));
  o = {};
  o.max_group_items = 0;
  EXPECT_THAT(error(o), HasSubstr("max_group_items must be >= 1"));
  o = {};
  o.metric = Metric::kL2;
  EXPECT_THAT(error(o), HasSubstr("must be cosine or inner_product, got l2"));
  EXPECT_THAT(std::string(ContentSource::Create(nullptr, nullptr, {}).status().message()),
              HasSubstr("no catalog"));

  auto ip = AnnIndex::Build(cat->embeddings(), {.metric = Metric::kInnerProduct});
  ASSERT_TRUE(ip.ok());
  auto mismatch = ContentSource::Create(cat, std::shared_ptr<const AnnIndex>(std::move(*ip)), {});
  EXPECT_THAT(std::string(mismatch.status().message()),
              HasSubstr("the ANN index uses metric inner_product, ContentSourceOptions.metric is "
                        "cosine"));
  const float wide[] = {1, 0, 0, 0, 1, 0};
  auto three = AnnIndex::Build(MatrixView(wide, 2, 3), {.metric = Metric::kCosine});
  ASSERT_TRUE(three.ok());
  auto dims = ContentSource::Create(cat, std::shared_ptr<const AnnIndex>(std::move(*three)), {});
  EXPECT_THAT(std::string(dims.status().message()),
              HasSubstr("the ANN index has dimension 3, the catalog's embeddings 2"));
}

}  // namespace
}  // namespace aisle::retrieval
