#include "aisle/retrieval/ann_index.h"

#include <atomic>
#include <cmath>
#include <cstdio>
#include <limits>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "aisle/core/blob.h"
#include "aisle/core/clock.h"
#include "aisle/core/file.h"
#include "aisle/core/synthetic.h"
#include "aisle/retrieval/exact_index.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace aisle::retrieval {
namespace {

using ::testing::HasSubstr;

ClusteredVectors Data(size_t count, size_t dim, uint64_t seed, size_t clusters = 30) {
  return MakeClusteredVectors({.count = count, .dim = dim, .clusters = clusters, .seed = seed});
}

MatrixView View(const ClusteredVectors& v) {
  return MatrixView(v.data.data(), v.cluster.size(), v.dim);
}

double RecallAt(const std::vector<ScoredItem>& got, const std::vector<ScoredItem>& truth) {
  size_t hit = 0;
  for (const ScoredItem& t : truth) {
    for (const ScoredItem& g : got) hit += g.item == t.item;
  }
  return truth.empty() ? 1.0 : double(hit) / double(truth.size());
}

std::string TempPath(const std::string& name) {
  return absl::StrCat(::testing::TempDir(), "/", name, "_", getpid());
}

class AnnMetricTest : public ::testing::TestWithParam<Metric> {};

TEST_P(AnnMetricTest, RecallAgainstExactIsHigh) {
  const ClusteredVectors base = Data(3000, 16, 1);
  const ClusteredVectors queries = Data(40, 16, 99);
  auto ann = AnnIndex::Build(View(base), {.metric = GetParam(), .M = 16, .ef_construction = 200});
  ASSERT_TRUE(ann.ok()) << ann.status();
  auto exact = ExactIndex::Build(View(base), GetParam());
  ASSERT_TRUE(exact.ok()) << exact.status();
  double recall = 0;
  std::vector<ScoredItem> got, truth;
  for (size_t q = 0; q < 40; ++q) {
    absl::Span<const float> query(&queries.data[q * 16], 16);
    SearchStats stats;
    // Inner product is not a metric and HNSW needs a wider search for it.
    const size_t ef = GetParam() == Metric::kInnerProduct ? 256 : 64;
    ASSERT_TRUE((*ann)->Search(query, {.k = 10, .ef = ef}, got, &stats).ok());
    EXPECT_EQ(stats.strategy, SearchStrategy::kGraph);
    ASSERT_TRUE(exact->Search(query, {.k = 10}, truth).ok());
    ASSERT_EQ(got.size(), 10u);
    for (size_t i = 1; i < got.size(); ++i) EXPECT_GE(got[i - 1].score, got[i].score);
    recall += RecallAt(got, truth);
  }
  EXPECT_GE(recall / 40, 0.95) << MetricName(GetParam());
}

TEST_P(AnnMetricTest, ScoreFollowsTheMetricDefinition) {
  const ClusteredVectors base = Data(500, 8, 2);
  auto ann = AnnIndex::Build(View(base), {.metric = GetParam()});
  ASSERT_TRUE(ann.ok()) << ann.status();
  const std::vector<float> q = {0.3f, -1.0f, 0.5f, 2.0f, 0.0f, 1.0f, -0.5f, 0.25f};
  std::vector<ScoredItem> got;
  ASSERT_TRUE((*ann)->Search(q, {.k = 5}, got).ok());
  ASSERT_EQ(got.size(), 5u);
  double qn = 0;
  for (float x : q) qn += double(x) * x;
  for (const ScoredItem& s : got) {
    const float* row = &base.data[size_t{s.item} * 8];
    double dot = 0, rn = 0, l2 = 0;
    for (int d = 0; d < 8; ++d) {
      dot += double(row[d]) * q[d];
      rn += double(row[d]) * row[d];
      l2 += (double(row[d]) - q[d]) * (double(row[d]) - q[d]);
    }
    const double want = GetParam() == Metric::kInnerProduct ? dot
                        : GetParam() == Metric::kCosine     ? dot / std::sqrt(rn * qn)
                                                            : -l2;
    EXPECT_NEAR(s.score, want, 1e-4 * std::max(1.0, std::abs(want))) << "item " << s.item;
  }
}

INSTANTIATE_TEST_SUITE_P(Metrics, AnnMetricTest,
                         ::testing::Values(Metric::kInnerProduct, Metric::kCosine, Metric::kL2),
                         [](const auto& info) { return std::string(MetricName(info.param)); });

TEST(AnnIndex, MultiThreadedBuildReachesRecall) {
  const ClusteredVectors base = Data(3000, 16, 3);
  auto ann = AnnIndex::Build(View(base), {.metric = Metric::kL2, .threads = 2});
  ASSERT_TRUE(ann.ok()) << ann.status();
  EXPECT_EQ((*ann)->size(), 3000u);
  auto exact = ExactIndex::Build(View(base), Metric::kL2);
  std::vector<ScoredItem> got, truth;
  double recall = 0;
  for (ItemIndex i = 0; i < 3000; i += 100) {
    ASSERT_TRUE((*ann)->Search(exact->Row(i), {.k = 10}, got).ok());
    ASSERT_TRUE(exact->Search(exact->Row(i), {.k = 10}, truth).ok());
    recall += RecallAt(got, truth);
  }
  EXPECT_GE(recall / 30, 0.95);
}

TEST(AnnIndex, SaveLoadRoundTripGivesIdenticalResults) {
  const ClusteredVectors base = Data(1500, 16, 4);
  auto ann = AnnIndex::Build(View(base), {.metric = Metric::kCosine, .default_ef = 40});
  ASSERT_TRUE(ann.ok());
  const std::string path = TempPath("roundtrip.ann");
  ASSERT_TRUE((*ann)->Save(path).ok());
  auto loaded = AnnIndex::Load(path, {.expected_dim = 16, .expected_metric = Metric::kCosine});
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ((*loaded)->size(), 1500u);
  EXPECT_EQ((*loaded)->info().default_ef, 40u);
  const ClusteredVectors queries = Data(20, 16, 5);
  std::vector<ScoredItem> a, b;
  for (size_t q = 0; q < 20; ++q) {
    absl::Span<const float> query(&queries.data[q * 16], 16);
    ASSERT_TRUE((*ann)->Search(query, {.k = 10}, a).ok());
    ASSERT_TRUE((*loaded)->Search(query, {.k = 10}, b).ok());
    ASSERT_EQ(a.size(), b.size());
    for (size_t i = 0; i < a.size(); ++i) {
      EXPECT_EQ(a[i].item, b[i].item);
      EXPECT_EQ(a[i].score, b[i].score);
    }
  }
  std::remove(path.c_str());
}

// The golden file was written by this test's DISABLED_WriteGoldenV1 (see
// scripts/make_ann_golden.sh) and must load in every future build.
constexpr size_t kGoldenCount = 300, kGoldenDim = 8;
ClusteredVectors GoldenData() { return Data(kGoldenCount, kGoldenDim, 42, 10); }
const AnnIndexOptions kGoldenOptions = {
    .metric = Metric::kCosine, .M = 8, .ef_construction = 50, .default_ef = 32, .seed = 42};

TEST(AnnIndexGolden, DISABLED_WriteGoldenV1) {
  const ClusteredVectors base = GoldenData();
  auto ann = AnnIndex::Build(View(base), kGoldenOptions);
  ASSERT_TRUE(ann.ok());
  ASSERT_TRUE((*ann)->Save(AISLE_SOURCE_DIR "/tests/data/retrieval/ann_v1_golden.bin").ok());
}

TEST(AnnIndexGolden, Version1FileAlwaysLoads) {
  auto loaded = AnnIndex::Load(AISLE_SOURCE_DIR "/tests/data/retrieval/ann_v1_golden.bin",
                               {.expected_dim = kGoldenDim, .expected_count = kGoldenCount});
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  const AnnIndexInfo info = (*loaded)->info();
  EXPECT_EQ(info.metric, Metric::kCosine);
  EXPECT_EQ(info.M, 8u);
  EXPECT_EQ(info.ef_construction, 50u);
  EXPECT_EQ(info.default_ef, 32u);
  EXPECT_EQ(info.seed, 42u);
  // The stored vectors are the normalized source rows, and search agrees with
  // exact search over them.
  const ClusteredVectors base = GoldenData();
  auto exact = ExactIndex::Build(View(base), Metric::kCosine);
  std::vector<float> v;
  for (ItemIndex i = 0; i < kGoldenCount; ++i) {
    ASSERT_TRUE((*loaded)->GetVector(i, v).ok());
    for (size_t d = 0; d < kGoldenDim; ++d) ASSERT_NEAR(v[d], exact->Row(i)[d], 1e-6);
  }
  std::vector<ScoredItem> got, truth;
  double recall = 0;
  for (ItemIndex i = 0; i < kGoldenCount; i += 15) {
    ASSERT_TRUE((*loaded)->SearchBySeeds({&i, 1}, {.k = 5}, got).ok());
    ASSERT_TRUE(exact->SearchBySeeds({&i, 1}, {.k = 5}, truth).ok());
    recall += RecallAt(got, truth);
  }
  EXPECT_GE(recall / 20, 0.95);
}

class AnnFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    base_ = Data(200, 8, 6);
    auto ann = AnnIndex::Build(View(base_), {.metric = Metric::kL2, .M = 6});
    ASSERT_TRUE(ann.ok());
    auto bytes = (*ann)->Serialize();
    ASSERT_TRUE(bytes.ok()) << bytes.status();
    bytes_ = *bytes;
  }
  absl::Status Load(const std::string& bytes, AnnLoadOptions o = {}) {
    return AnnIndex::Deserialize(bytes, o, "items.ann").status();
  }
  // Re-wraps a modified payload with a valid checksum, as a buggy or hostile
  // writer would.
  std::string Rewrap(const std::string& payload) {
    return WrapBlob(kAnnIndexMagic, kAnnIndexFormatVersion, payload);
  }
  std::string Payload() const { return bytes_.substr(kBlobHeaderSize); }

  ClusteredVectors base_;
  std::string bytes_;
};

TEST_F(AnnFileTest, IntactBytesLoad) { EXPECT_TRUE(Load(bytes_).ok()); }

TEST_F(AnnFileTest, RejectsFlippedBitByChecksum) {
  std::string b = bytes_;
  b[b.size() / 2] ^= 0x10;
  const absl::Status s = Load(b);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("checksum"));
  EXPECT_THAT(s.message(), HasSubstr("items.ann"));
}

TEST_F(AnnFileTest, RejectsEveryTruncation) {
  for (size_t n : {size_t{0}, size_t{10}, kBlobHeaderSize, kBlobHeaderSize + 30, bytes_.size() / 2,
                   bytes_.size() - 1}) {
    const absl::Status s = Load(bytes_.substr(0, n));
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << n;
    EXPECT_THAT(s.message(), HasSubstr("items.ann")) << n;
  }
}

TEST_F(AnnFileTest, RejectsWrongMagic) {
  std::string b = bytes_;
  b.replace(0, 8, "AISLEBUN");
  const absl::Status s = Load(b);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("magic"));
}

TEST_F(AnnFileTest, RejectsUnknownVersion) {
  const absl::Status s = Load(WrapBlob(kAnnIndexMagic, 2, Payload()));
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(s.message(), HasSubstr("version 2"));
}

TEST_F(AnnFileTest, RejectsDimensionMismatchNamingBoth) {
  const absl::Status s = Load(bytes_, {.expected_dim = 64});
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("dimension mismatch"));
  EXPECT_THAT(s.message(), HasSubstr("dim 8"));
  EXPECT_THAT(s.message(), HasSubstr("64"));
}

TEST_F(AnnFileTest, RejectsMetricAndCountMismatch) {
  EXPECT_THAT(Load(bytes_, {.expected_metric = Metric::kCosine}).message(),
              HasSubstr("metric mismatch"));
  EXPECT_THAT(Load(bytes_, {.expected_count = 201}).message(), HasSubstr("count mismatch"));
}

TEST_F(AnnFileTest, RejectsHeaderThatDisagreesWithHnswSection) {
  std::string p = Payload();
  p[4] = 9;  // dim 8 -> 9
  const absl::Status s = Load(Rewrap(p));
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("hnswlib section"));
}

TEST_F(AnnFileTest, RejectsOutOfRangeLinkEvenWithValidChecksum) {
  std::string p = Payload();
  // First link of element 0 in level 0: aisle header (64) + hnswlib header (96)
  // + list count (4).
  const size_t at = 64 + 96 + 4;
  p[at] = p[at + 1] = p[at + 2] = p[at + 3] = static_cast<char>(0x7f);
  const absl::Status s = Load(Rewrap(p));
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("element 0 links to"));
}

TEST_F(AnnFileTest, RejectsUnknownMetricByte) {
  std::string p = Payload();
  p[0] = 7;
  EXPECT_THAT(Load(Rewrap(p)).message(), HasSubstr("'metric' has unknown value 7"));
}

TEST_F(AnnFileTest, MissingFileIsNotFound) {
  EXPECT_EQ(AnnIndex::Load("/nonexistent/dir/x.ann").status().code(), absl::StatusCode::kNotFound);
}

TEST(AnnIndex, RejectsBadQueries) {
  const ClusteredVectors base = Data(100, 4, 7);
  auto ann = AnnIndex::Build(View(base), {.metric = Metric::kCosine});
  ASSERT_TRUE(ann.ok());
  std::vector<ScoredItem> out;
  const float nan = std::numeric_limits<float>::quiet_NaN();
  absl::Status s = (*ann)->Search(std::vector<float>{1, nan, 0, 0}, {}, out);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("component 1"));
  s = (*ann)->Search(std::vector<float>{1, 2, 3}, {}, out);
  EXPECT_THAT(s.message(), HasSubstr("dimension 3"));
  s = (*ann)->Search(std::vector<float>{0, 0, 0, 0}, {}, out);
  EXPECT_THAT(s.message(), HasSubstr("zero"));
  s = (*ann)->Search(std::vector<float>{1, std::numeric_limits<float>::infinity(), 0, 0}, {}, out);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
}

TEST(AnnIndex, BuildRejectsNonFiniteEmbeddingNamingItem) {
  ClusteredVectors base = Data(50, 4, 8);
  base.data[17 * 4 + 2] = std::numeric_limits<float>::quiet_NaN();
  auto ann = AnnIndex::Build(View(base), {});
  EXPECT_EQ(ann.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(ann.status().message(), HasSubstr("item index 17 component 2"));
  EXPECT_FALSE(AnnIndex::Build(View(Data(10, 4, 8)), {.M = 1}).ok());
}

TEST(AnnIndex, SeedsAreExcludedAndUnknownSeedsRejected) {
  const ClusteredVectors base = Data(1000, 8, 9);
  auto ann = AnnIndex::Build(View(base), {.metric = Metric::kL2});
  ASSERT_TRUE(ann.ok());
  auto exact = ExactIndex::Build(View(base), Metric::kL2);
  const std::vector<ItemIndex> seeds = {3, 4, 500};
  std::vector<ScoredItem> got, truth;
  ASSERT_TRUE((*ann)->SearchBySeeds(seeds, {.k = 20}, got).ok());
  ASSERT_TRUE(exact->SearchBySeeds(seeds, {.k = 20}, truth).ok());
  ASSERT_EQ(got.size(), 20u);
  for (const ScoredItem& s : got) {
    for (ItemIndex seed : seeds) EXPECT_NE(s.item, seed);
  }
  EXPECT_GE(RecallAt(got, truth), 0.9);
  const std::vector<ItemIndex> bad = {3, 1000};
  const absl::Status s = (*ann)->SearchBySeeds(bad, {}, got);
  EXPECT_EQ(s.code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(s.message(), HasSubstr("seed item index 1000"));
  EXPECT_EQ((*ann)->SearchBySeeds({}, {}, got).code(), absl::StatusCode::kInvalidArgument);
}

TEST(AnnIndex, ExcludeListIsHonoured) {
  const ClusteredVectors base = Data(800, 8, 10);
  auto ann = AnnIndex::Build(View(base), {.metric = Metric::kL2});
  ASSERT_TRUE(ann.ok());
  std::vector<ScoredItem> first, second;
  absl::Span<const float> q(&base.data[0], 8);
  ASSERT_TRUE((*ann)->Search(q, {.k = 10}, first).ok());
  ASSERT_EQ(first[0].item, 0u);  // its own vector, distance 0
  std::vector<ItemIndex> exclude;
  for (const ScoredItem& s : first) exclude.push_back(s.item);
  ASSERT_TRUE((*ann)->Search(q, {.k = 10, .exclude = exclude}, second).ok());
  ASSERT_EQ(second.size(), 10u);
  for (const ScoredItem& s : second) {
    for (ItemIndex e : exclude) EXPECT_NE(s.item, e);
    EXPECT_LE(s.score, first.back().score);
  }
}

TEST(AnnIndex, AddMakesItemsFindableAndRejectsDuplicates) {
  const ClusteredVectors base = Data(600, 8, 11);
  auto ann = AnnIndex::Build(MatrixView(base.data.data(), 300, 8), {.metric = Metric::kL2});
  ASSERT_TRUE(ann.ok());
  for (ItemIndex i = 300; i < 600; ++i) {
    ASSERT_TRUE((*ann)->Add(i, {&base.data[i * 8], 8}).ok());
  }
  EXPECT_EQ((*ann)->size(), 600u);
  const absl::Status dup = (*ann)->Add(5, {&base.data[0], 8});
  EXPECT_EQ(dup.code(), absl::StatusCode::kAlreadyExists);
  EXPECT_THAT(dup.message(), HasSubstr("item index 5"));
  std::vector<ScoredItem> got;
  for (ItemIndex i = 300; i < 600; i += 7) {
    ASSERT_TRUE((*ann)->Search({&base.data[i * 8], 8}, {.k = 1}, got).ok());
    ASSERT_EQ(got.size(), 1u);
    EXPECT_EQ(got[0].score, 0.0f) << i;  // itself (or an exact duplicate)
  }
}

// Searches run while another thread adds items. Run under ASan in CI; the
// guard must keep hnswlib's unsynchronized reads away from insertions.
TEST(AnnIndex, ConcurrentSearchesWithConcurrentAdds) {
  const ClusteredVectors base = Data(2000, 8, 12);
  auto built = AnnIndex::Build(MatrixView(base.data.data(), 500, 8),
                               {.metric = Metric::kL2, .M = 8, .ef_construction = 40});
  ASSERT_TRUE(built.ok());
  AnnIndex& ann = **built;
  std::atomic<bool> done{false};
  std::atomic<int> bad{0};
  std::atomic<int> searches{0};
  auto reader = [&](size_t offset) {
    std::vector<ScoredItem> out;
    size_t q = offset;
    while (!done.load()) {
      const absl::Status s = ann.Search({&base.data[(q % 2000) * 8], 8}, {.k = 5}, out);
      if (!s.ok() || out.empty()) ++bad;
      for (const ScoredItem& r : out) {
        if (r.item >= 2000) ++bad;
      }
      ++searches;
      q += 13;
    }
  };
  std::thread r1(reader, 0), r2(reader, 7);
  for (ItemIndex i = 500; i < 2000; ++i) ASSERT_TRUE(ann.Add(i, {&base.data[i * 8], 8}).ok());
  while (searches.load() < 50) std::this_thread::yield();
  done = true;
  r1.join();
  r2.join();
  EXPECT_EQ(bad.load(), 0);
  EXPECT_EQ(ann.size(), 2000u);
  std::vector<ScoredItem> got;
  ASSERT_TRUE(ann.Search({&base.data[1999 * 8], 8}, {.k = 1}, got).ok());
  EXPECT_EQ(got[0].score, 0.0f);
}

TEST(AnnIndex, ExpiredDeadlineReturnsNothingWithoutError) {
  const ClusteredVectors base = Data(300, 8, 13);
  auto ann = AnnIndex::Build(View(base), {});
  ASSERT_TRUE(ann.ok());
  FakeClock clock;
  VectorSearchParams p;
  p.deadline = Deadline::In(absl::ZeroDuration(), clock);
  std::vector<ScoredItem> out;
  SearchStats stats;
  ASSERT_TRUE((*ann)->Search({&base.data[0], 8}, p, out, &stats).ok());
  EXPECT_TRUE(out.empty());
  EXPECT_TRUE(stats.deadline_expired);
}

TEST(AnnIndex, EmptyIndexAndZeroK) {
  std::vector<float> none;
  auto ann = AnnIndex::Build(MatrixView(none.data(), 0, 4), {});
  ASSERT_TRUE(ann.ok()) << ann.status();
  std::vector<ScoredItem> out;
  EXPECT_TRUE((*ann)->Search(std::vector<float>{1, 2, 3, 4}, {}, out).ok());
  EXPECT_TRUE(out.empty());
  auto bytes = (*ann)->Serialize();
  ASSERT_TRUE(bytes.ok());
  auto loaded = AnnIndex::Deserialize(*bytes, {}, "empty");
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  ASSERT_TRUE((*loaded)->Add(0, std::vector<float>{1, 2, 3, 4}).ok());
  ASSERT_TRUE((*loaded)->Search(std::vector<float>{1, 2, 3, 4}, {.k = 0}, out).ok());
  EXPECT_TRUE(out.empty());
  ASSERT_TRUE((*loaded)->Search(std::vector<float>{1, 2, 3, 4}, {.k = 3}, out).ok());
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].item, 0u);
}

TEST(AnnIndexSizes, AbsurdCapacityIsRejectedBeforeHnswlibSizesTables) {
  const std::vector<float> data = {1, 0, 0, 1};
  auto ann = AnnIndex::Build(MatrixView(data.data(), 2, 2), {.capacity = size_t{1} << 62});
  ASSERT_FALSE(ann.ok());
  EXPECT_EQ(ann.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(ann.status().message(),
              HasSubstr("option capacity = 4611686018427387904 is outside [0, 2^32-1)"));
  auto good = AnnIndex::Build(MatrixView(data.data(), 2, 2), {});
  ASSERT_TRUE(good.ok()) << good.status();
  auto bytes = (*good)->Serialize();
  ASSERT_TRUE(bytes.ok());
  auto loaded = AnnIndex::Deserialize(*bytes, {.capacity = size_t{1} << 62}, "items.ann");
  ASSERT_FALSE(loaded.ok());
  EXPECT_THAT(loaded.status().message(),
              HasSubstr("items.ann: load option capacity = 4611686018427387904 is outside"));
}

}  // namespace
}  // namespace aisle::retrieval
