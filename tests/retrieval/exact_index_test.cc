#include "aisle/retrieval/exact_index.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <vector>

#include "aisle/core/synthetic.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace aisle::retrieval {
namespace {

using ::testing::HasSubstr;

// Independent reference: double-precision scores, full sort.
std::vector<ItemIndex> Reference(const std::vector<float>& data, size_t dim, Metric metric,
                                 const std::vector<float>& q, size_t k, const ItemBitset* filter) {
  const size_t n = data.size() / dim;
  std::vector<std::pair<double, ItemIndex>> all;
  double qn = 0;
  for (float x : q) qn += double(x) * x;
  for (size_t i = 0; i < n; ++i) {
    if (filter && !filter->Test(static_cast<ItemIndex>(i))) continue;
    double dot = 0, rn = 0, l2 = 0;
    for (size_t d = 0; d < dim; ++d) {
      const double a = data[i * dim + d];
      dot += a * q[d];
      rn += a * a;
      l2 += (a - q[d]) * (a - q[d]);
    }
    const double s = metric == Metric::kInnerProduct ? dot
                     : metric == Metric::kCosine     ? dot / std::sqrt(rn * qn)
                                                     : -l2;
    all.push_back({-s, static_cast<ItemIndex>(i)});
  }
  std::sort(all.begin(), all.end());
  std::vector<ItemIndex> out;
  for (size_t i = 0; i < std::min(k, all.size()); ++i) out.push_back(all[i].second);
  return out;
}

class ExactMetricTest : public ::testing::TestWithParam<Metric> {};

TEST_P(ExactMetricTest, MatchesReferenceWithAndWithoutFilters) {
  const size_t n = 2500, dim = 12;  // more than two blocks
  const ClusteredVectors v =
      MakeClusteredVectors({.count = n, .dim = dim, .clusters = 20, .seed = 31});
  auto index = ExactIndex::Build(MatrixView(v.data.data(), n, dim), GetParam());
  ASSERT_TRUE(index.ok()) << index.status();
  std::mt19937_64 rng(5);
  std::normal_distribution<float> normal;
  ItemBitset dense(n), sparse(n);
  for (ItemIndex i = 0; i < n; ++i) {
    if (i % 3 != 0) dense.Set(i);
    if (i % 17 == 0) sparse.Set(i);
  }
  for (int t = 0; t < 10; ++t) {
    std::vector<float> q(dim);
    for (float& x : q) x = normal(rng);
    for (const ItemBitset* f : std::vector<const ItemBitset*>{nullptr, &dense, &sparse}) {
      std::vector<ScoredItem> got;
      SearchStats stats;
      ASSERT_TRUE(index->Search(q, {.k = 15, .filter = f}, got, &stats).ok());
      EXPECT_EQ(stats.strategy, SearchStrategy::kExact);
      const std::vector<ItemIndex> want = Reference(v.data, dim, GetParam(), q, 15, f);
      ASSERT_EQ(got.size(), want.size());
      for (size_t i = 0; i < want.size(); ++i) EXPECT_EQ(got[i].item, want[i]) << i;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Metrics, ExactMetricTest,
                         ::testing::Values(Metric::kInnerProduct, Metric::kCosine, Metric::kL2),
                         [](const auto& info) { return std::string(MetricName(info.param)); });

TEST(ExactIndex, SeedsExcludedAndValidated) {
  const ClusteredVectors v =
      MakeClusteredVectors({.count = 300, .dim = 6, .clusters = 5, .seed = 32});
  auto index = ExactIndex::Build(MatrixView(v.data.data(), 300, 6), Metric::kL2);
  ASSERT_TRUE(index.ok());
  std::vector<ScoredItem> got;
  const std::vector<ItemIndex> seeds = {7};
  ASSERT_TRUE(index->SearchBySeeds(seeds, {.k = 299}, got).ok());
  EXPECT_EQ(got.size(), 299u);
  for (const ScoredItem& s : got) EXPECT_NE(s.item, 7u);
  const std::vector<ItemIndex> bad = {300};
  EXPECT_THAT(index->SearchBySeeds(bad, {}, got).message(), HasSubstr("seed item index 300"));
}

TEST(ExactIndex, RejectsBadInput) {
  std::vector<float> data = {1, 0, 0, 0, 0, 0};
  EXPECT_THAT(ExactIndex::Build(MatrixView(data.data(), 2, 3), Metric::kCosine).status().message(),
              HasSubstr("item index 1 is zero"));
  data[4] = std::numeric_limits<float>::infinity();
  EXPECT_THAT(ExactIndex::Build(MatrixView(data.data(), 2, 3), Metric::kL2).status().message(),
              HasSubstr("item index 1 component 1"));
  data[4] = 1;
  auto index = ExactIndex::Build(MatrixView(data.data(), 2, 3), Metric::kL2);
  ASSERT_TRUE(index.ok());
  std::vector<ScoredItem> out;
  EXPECT_THAT(index->Search(std::vector<float>{1, 2}, {}, out).message(), HasSubstr("dimension 2"));
  EXPECT_THAT(
      index->Search(std::vector<float>{1, std::numeric_limits<float>::quiet_NaN(), 0}, {}, out)
          .message(),
      HasSubstr("component 1"));
}

}  // namespace
}  // namespace aisle::retrieval
