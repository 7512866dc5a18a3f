#include "aisle/policy/mmr.h"

#include <cmath>
#include <limits>
#include <random>
#include <vector>

#include "aisle/core/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace aisle::policy {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

std::vector<ItemIndex> ItemsOf(const std::vector<Candidate>& c) {
  std::vector<ItemIndex> out;
  for (const Candidate& x : c) out.push_back(x.item);
  return out;
}

// Straightforward MMR in double precision, from the definition.
std::vector<ItemIndex> ReferenceMmr(const std::vector<Candidate>& c, const std::vector<float>& e,
                                    size_t dim, double lambda, size_t k) {
  const size_t n = c.size();
  double lo = 1e300, hi = -1e300;
  for (const Candidate& x : c) {
    lo = std::min<double>(lo, x.score);
    hi = std::max<double>(hi, x.score);
  }
  auto cos = [&](ItemIndex a, ItemIndex b) {
    double dot = 0, na = 0, nb = 0;
    for (size_t d = 0; d < dim; ++d) {
      dot += double(e[a * dim + d]) * e[b * dim + d];
      na += double(e[a * dim + d]) * e[a * dim + d];
      nb += double(e[b * dim + d]) * e[b * dim + d];
    }
    return dot / std::sqrt(na * nb);
  };
  std::vector<bool> taken(n, false);
  std::vector<ItemIndex> out;
  while (out.size() < std::min(k, n)) {
    size_t best = n;
    double best_val = -1e300;
    for (size_t i = 0; i < n; ++i) {
      if (taken[i]) continue;
      double max_sim = 0;
      if (!out.empty()) {
        max_sim = -1e300;
        for (ItemIndex s : out) max_sim = std::max(max_sim, cos(c[i].item, s));
      }
      const double rel = hi > lo ? (c[i].score - lo) / (hi - lo) : 1.0;
      const double v = lambda * rel - (1 - lambda) * max_sim;
      if (best == n || v > best_val) {
        best = i;
        best_val = v;
      }
    }
    taken[best] = true;
    out.push_back(c[best].item);
  }
  return out;
}

TEST(MmrDiversifier, LambdaOneKeepsRelevanceOrder) {
  std::vector<float> e = {1, 0, 1, 0, 0, 1, 1, 1};
  auto mmr = MmrDiversifier::Create(MatrixView(e.data(), 4, 2), 1.0f);
  ASSERT_TRUE(mmr.ok());
  std::vector<Candidate> c = {{2, 0.3f, 1}, {0, 0.9f, 1}, {3, 0.5f, 1}, {1, 0.8f, 1}};
  ASSERT_TRUE(mmr->Apply(c, 3).ok());
  EXPECT_THAT(ItemsOf(c), ElementsAre(0, 1, 3));
}

TEST(MmrDiversifier, NearDuplicateLosesToADifferentItem) {
  // Items 0 and 1 point the same way; item 2 is orthogonal.
  std::vector<float> e = {1, 0, 2, 0, 0, 1};
  auto mmr = MmrDiversifier::Create(MatrixView(e.data(), 3, 2), 0.5f);
  ASSERT_TRUE(mmr.ok());
  std::vector<Candidate> c = {{0, 1.0f, 1}, {1, 0.9f, 1}, {2, 0.5f, 1}};
  MmrReport report;
  ASSERT_TRUE(mmr->Apply(c, 3, Deadline(), &report).ok());
  // Step 2: item 1 scores 0.5*0.8 - 0.5*1 = -0.1, item 2 scores 0.
  EXPECT_THAT(ItemsOf(c), ElementsAre(0, 2, 1));
  EXPECT_FLOAT_EQ(c[1].score, 0.5f);  // scores are unchanged
  EXPECT_EQ(report.selected_by_mmr, 3u);
  EXPECT_FALSE(report.deadline_expired);
}

TEST(MmrDiversifier, MatchesReferenceOnRandomData) {
  constexpr size_t kItems = 400, kDim = 16;
  std::mt19937 rng(3);
  std::normal_distribution<float> g;
  std::vector<float> e(kItems * kDim);
  for (float& x : e) x = g(rng);
  std::vector<Candidate> c;
  std::uniform_real_distribution<float> u(-2.0f, 5.0f);
  for (ItemIndex i = 0; i < kItems; i += 2) c.push_back({i, u(rng), 1});
  for (float lambda : {0.0f, 0.3f, 0.7f, 1.0f}) {
    auto mmr = MmrDiversifier::Create(MatrixView(e.data(), kItems, kDim), lambda);
    ASSERT_TRUE(mmr.ok());
    std::vector<Candidate> got = c;
    ASSERT_TRUE(mmr->Apply(got, 25).ok());
    EXPECT_EQ(ItemsOf(got), ReferenceMmr(c, e, kDim, lambda, 25)) << "lambda " << lambda;
  }
}

TEST(MmrDiversifier, RejectsItemsWithoutEmbeddingLeavingListUnchanged) {
  std::vector<float> e = {1, 0, 0, 1};
  auto mmr = MmrDiversifier::Create(MatrixView(e.data(), 2, 2), 0.5f);
  ASSERT_TRUE(mmr.ok());
  std::vector<Candidate> c = {{0, 1.0f, 1}, {5, 0.9f, 1}};
  absl::Status s = mmr->Apply(c, 2);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("item index 5"));
  EXPECT_THAT(ItemsOf(c), ElementsAre(0, 5));
}

TEST(MmrDiversifier, RejectsLambdaOutsideUnitInterval) {
  std::vector<float> e = {1, 0};
  EXPECT_FALSE(MmrDiversifier::Create(MatrixView(e.data(), 1, 2), 1.5f).ok());
  EXPECT_FALSE(MmrDiversifier::Create(MatrixView(e.data(), 1, 2), -0.1f).ok());
  EXPECT_FALSE(MmrDiversifier::Create(MatrixView(e.data(), 1, 2), NAN).ok());
  EXPECT_FALSE(MmrDiversifier::Create(MatrixView(e.data(), 1, 0), 0.5f).ok());
}

TEST(MmrDiversifier, ExpiredDeadlineFillsTheRestByRelevance) {
  constexpr size_t kItems = 30, kDim = 4;
  std::vector<float> e(kItems * kDim);
  for (size_t i = 0; i < kItems; ++i) e[i * kDim + i % kDim] = 1.0f;  // 4 directions
  std::vector<Candidate> c;
  for (ItemIndex i = 0; i < kItems; ++i) c.push_back({i, 100.0f - float(i), 1});
  FakeClock clock;
  const Deadline expired = Deadline::In(absl::ZeroDuration(), clock);
  auto mmr = MmrDiversifier::Create(MatrixView(e.data(), kItems, kDim), 0.2f);
  ASSERT_TRUE(mmr.ok());
  std::vector<Candidate> got = c;
  MmrReport report;
  ASSERT_TRUE(mmr->Apply(got, 12, expired, &report).ok());
  EXPECT_TRUE(report.deadline_expired);
  EXPECT_EQ(report.selected_by_mmr, 8u);  // checked every 8 picks
  ASSERT_EQ(got.size(), 12u);
  const std::vector<ItemIndex> ref = ReferenceMmr(c, e, kDim, 0.2, 8);
  const std::vector<ItemIndex> items = ItemsOf(got);
  EXPECT_EQ(std::vector<ItemIndex>(items.begin(), items.begin() + 8), ref);
  for (size_t i = 9; i < 12; ++i) EXPECT_GT(got[i - 1].score, got[i].score);
}

TEST(MmrDiversifier, ZeroVectorsAndShortListsAreFine) {
  std::vector<float> e = {0, 0, 1, 0, 1, 0};
  auto mmr = MmrDiversifier::Create(MatrixView(e.data(), 3, 2), 0.5f);
  ASSERT_TRUE(mmr.ok());
  std::vector<Candidate> c = {{1, 0.9f, 1}, {2, 0.8f, 1}, {0, 0.1f, 1}};
  ASSERT_TRUE(mmr->Apply(c, 10).ok());
  // After item 1, item 2 is a duplicate (0.5*0.875-0.5) and item 0 has no
  // direction (0.5*0 - 0): item 0 goes second.
  EXPECT_THAT(ItemsOf(c), ElementsAre(1, 0, 2));
  std::vector<Candidate> empty;
  EXPECT_TRUE(mmr->Apply(empty, 5).ok());
}

}  // namespace
}  // namespace aisle::policy
