#include "aisle/retrieval/merge.h"

#include <cmath>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace aisle::retrieval {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

std::vector<Candidate> List(SourceId id, std::vector<std::pair<ItemIndex, float>> items) {
  std::vector<Candidate> out;
  for (const auto& [i, s] : items) out.push_back({.item = i, .score = s, .sources = SourceBit(id)});
  return out;
}

std::vector<ItemIndex> Items(const MergedCandidates& m) {
  std::vector<ItemIndex> v;
  for (const Candidate& c : m.candidates) v.push_back(c.item);
  return v;
}

TEST(CandidateMerger, QuotasDedupTagsAndPerSourceScores) {
  const auto a = List(0, {{1, 0.9f}, {2, 0.8f}, {3, 0.7f}});
  const auto b = List(1, {{2, 5.0f}, {4, 4.0f}, {1, 3.0f}});
  const SourceCandidates lists[] = {{.name = "a", .candidates = a, .quota = 2},
                                    {.name = "b", .candidates = b, .quota = 3}};
  CandidateMerger merger(10);
  MergedCandidates m;
  ASSERT_TRUE(merger.Merge(lists, 100, m).ok());
  EXPECT_THAT(Items(m), ElementsAre(1, 2, 4));  // 3 is beyond a's quota
  EXPECT_THAT(m.source_names, ElementsAre("a", "b"));
  ASSERT_EQ(m.source_scores.size(), 3u * 2u);
  // Item 1: proposed by both.
  EXPECT_EQ(m.candidates[0].sources, SourceBit(0) | SourceBit(1));
  EXPECT_FLOAT_EQ(m.candidates[0].score, 3.0f);
  EXPECT_FLOAT_EQ(m.SourceScore(0, 0), 0.9f);
  EXPECT_FLOAT_EQ(m.SourceScore(0, 1), 3.0f);
  // Item 2: both; item 4: only b.
  EXPECT_EQ(m.candidates[1].sources, SourceBit(0) | SourceBit(1));
  EXPECT_FLOAT_EQ(m.SourceScore(1, 0), 0.8f);
  EXPECT_FLOAT_EQ(m.SourceScore(1, 1), 5.0f);
  EXPECT_EQ(m.candidates[2].sources, SourceBit(1));
  EXPECT_TRUE(std::isnan(m.SourceScore(2, 0)));
  EXPECT_FLOAT_EQ(m.SourceScore(2, 1), 4.0f);
  const MatrixView view = m.SourceScoreMatrix();
  EXPECT_EQ(view.rows, 3u);
  EXPECT_EQ(view.cols, 2u);
}

TEST(CandidateMerger, BoundInterleavesSourcesByRank) {
  std::vector<std::vector<Candidate>> src;
  for (SourceId s = 0; s < 3; ++s) {
    std::vector<std::pair<ItemIndex, float>> items;
    for (ItemIndex r = 0; r < 10; ++r) items.push_back({s * 100 + r, 100.0f * (3 - s) - r});
    src.push_back(List(s, items));
  }
  const SourceCandidates lists[] = {{.name = "x", .candidates = src[0], .quota = 10},
                                    {.name = "y", .candidates = src[1], .quota = 10},
                                    {.name = "z", .candidates = src[2], .quota = 1}};
  CandidateMerger merger(1000);
  MergedCandidates m;
  ASSERT_TRUE(merger.Merge(lists, 6, m).ok());
  // Rank 0 of x, y, z; rank 1 of x, y (z's quota is 1); rank 2 of x.
  EXPECT_THAT(Items(m), ElementsAre(0, 100, 200, 1, 101, 2));
}

TEST(CandidateMerger, DuplicatesMergeEvenAfterTheBoundIsReached) {
  const auto a = List(0, {{1, 1.0f}, {2, 0.9f}, {3, 0.8f}});
  const auto b = List(3, {{9, 7.0f}, {8, 6.0f}, {1, 5.0f}});
  const SourceCandidates lists[] = {{.name = "a", .candidates = a, .quota = 3},
                                    {.name = "b", .candidates = b, .quota = 3}};
  CandidateMerger merger(10);
  MergedCandidates m;
  ASSERT_TRUE(merger.Merge(lists, 4, m).ok());
  EXPECT_THAT(Items(m), ElementsAre(1, 9, 2, 8));
  EXPECT_EQ(m.candidates[0].sources, SourceBit(0) | SourceBit(3));
  EXPECT_FLOAT_EQ(m.SourceScore(0, 1), 5.0f);
  EXPECT_FLOAT_EQ(m.candidates[0].score, 5.0f);
}

TEST(CandidateMerger, RepeatedItemInOneSourceKeepsItsBestScore) {
  const auto a = List(0, {{1, 0.5f}, {1, 0.7f}});
  const SourceCandidates lists[] = {{.name = "a", .candidates = a, .quota = 5}};
  CandidateMerger merger(10);
  MergedCandidates m;
  ASSERT_TRUE(merger.Merge(lists, 10, m).ok());
  ASSERT_EQ(m.size(), 1u);
  EXPECT_FLOAT_EQ(m.SourceScore(0, 0), 0.7f);
}

TEST(CandidateMerger, ScratchIsResetBetweenRequests) {
  CandidateMerger merger(10);
  MergedCandidates m;
  const auto first = List(0, {{1, 1.0f}, {2, 1.0f}});
  const SourceCandidates l1[] = {{.name = "a", .candidates = first, .quota = 5}};
  ASSERT_TRUE(merger.Merge(l1, 10, m).ok());
  const auto second = List(1, {{2, 3.0f}, {5, 2.0f}});
  const SourceCandidates l2[] = {{.name = "b", .candidates = second, .quota = 5}};
  ASSERT_TRUE(merger.Merge(l2, 10, m).ok());
  EXPECT_THAT(Items(m), ElementsAre(2, 5));
  EXPECT_EQ(m.candidates[0].sources, SourceBit(1));
  EXPECT_THAT(m.source_names, ElementsAre("b"));
}

TEST(CandidateMerger, RejectsBadInputAndClearsOutput) {
  CandidateMerger merger(10);
  MergedCandidates m;
  const auto good = List(0, {{1, 1.0f}});
  const SourceCandidates ok_lists[] = {{.name = "a", .candidates = good, .quota = 5}};
  ASSERT_TRUE(merger.Merge(ok_lists, 10, m).ok());

  const auto bad_item = List(1, {{3, 1.0f}, {10, 1.0f}});
  const SourceCandidates l1[] = {{.name = "a", .candidates = good, .quota = 5},
                                 {.name = "covis", .candidates = bad_item, .quota = 5}};
  absl::Status s = merger.Merge(l1, 10, m);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(s.message()), HasSubstr("source 'covis' rank 1: item index 10"));
  EXPECT_TRUE(m.candidates.empty());
  EXPECT_TRUE(m.source_scores.empty());

  const auto nan = List(0, {{2, std::numeric_limits<float>::quiet_NaN()}});
  const SourceCandidates l2[] = {{.name = "ann", .candidates = nan, .quota = 5}};
  s = merger.Merge(l2, 10, m);
  EXPECT_THAT(std::string(s.message()), HasSubstr("item index 2 has a NaN score"));  // was "item 2"

  std::vector<SourceCandidates> many(kMaxSources + 1, ok_lists[0]);
  EXPECT_EQ(merger.Merge(many, 10, m).code(), absl::StatusCode::kInvalidArgument);
}

class FixedSource final : public CandidateSource {
 public:
  FixedSource(std::string name, std::vector<ItemIndex> items, absl::Status status = {})
      : name_(std::move(name)), items_(std::move(items)), status_(std::move(status)) {}
  absl::string_view name() const override { return name_; }
  absl::Status Retrieve(const RetrievalQuery&, size_t quota, SourceId id,
                        std::vector<Candidate>& out) const override {
    if (!status_.ok()) return status_;
    for (size_t r = 0; r < items_.size() && r < quota; ++r) {
      out.push_back({.item = items_[r], .score = 1.0f / float(r + 1), .sources = SourceBit(id)});
    }
    return absl::OkStatus();
  }

 private:
  std::string name_;
  std::vector<ItemIndex> items_;
  absl::Status status_;
};

TEST(CandidateMerger, RetrieveAndMergeRunsSources) {
  FixedSource ann("ann", {5, 6, 7});
  FixedSource covis("covis", {6, 8});
  const SourceSpec specs[] = {{.source = &ann, .quota = 2, .id = 0},
                              {.source = &covis, .quota = 5, .id = 1}};
  CandidateMerger merger(10);
  MergedCandidates m;
  ASSERT_TRUE(merger.RetrieveAndMerge(specs, RetrievalQuery(), 10, m).ok());
  EXPECT_THAT(Items(m), ElementsAre(5, 6, 8));
  EXPECT_THAT(m.source_names, ElementsAre("ann", "covis"));
  EXPECT_EQ(m.candidates[1].sources, SourceBit(0) | SourceBit(1));

  FixedSource broken("broken", {}, absl::InvalidArgumentError("bad vector"));
  const SourceSpec bad[] = {{.source = &ann, .quota = 2, .id = 0},
                            {.source = &broken, .quota = 2, .id = 1}};
  absl::Status s = merger.RetrieveAndMerge(bad, RetrievalQuery(), 10, m);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(s.message()), HasSubstr("broken: bad vector"));
}

TEST(CandidateMerger, AbsurdItemCountIsRejectedNotAllocated) {
  CandidateMerger merger(size_t{1} << 40);
  MergedCandidates out;
  const absl::Status s = merger.Merge({}, 10, out);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(s.message()),
              HasSubstr("merge: CandidateMerger num_items = 1099511627776 is outside [0, 2^32-1)"));
}

}  // namespace
}  // namespace aisle::retrieval
