#include "aisle/retrieval/ann_source.h"

#include <memory>
#include <vector>

#include "aisle/core/synthetic.h"
#include "aisle/retrieval/exact_source.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace aisle::retrieval {
namespace {

using ::testing::HasSubstr;

class AnnSourceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    data_ = MakeClusteredVectors({.count = 2000, .dim = 8, .clusters = 20, .seed = 41});
    MatrixView m(data_.data.data(), 2000, 8);
    ann_ = std::shared_ptr<const AnnIndex>(
        std::move(*AnnIndex::Build(m, {.metric = Metric::kL2, .default_ef = 128})));
    exact_ = std::make_shared<const ExactIndex>(*ExactIndex::Build(m, Metric::kL2));
  }
  ClusteredVectors data_;
  std::shared_ptr<const AnnIndex> ann_;
  std::shared_ptr<const ExactIndex> exact_;
};

TEST_F(AnnSourceTest, TagsAppendsAndHonoursQuota) {
  AnnSource source(ann_, {.name = "ann_user"});
  EXPECT_EQ(source.name(), "ann_user");
  RetrievalQuery q;
  q.user_vector = {&data_.data[8 * 10], 8};
  std::vector<Candidate> out = {{.item = 1999, .score = 9.0f, .sources = 1}};
  ASSERT_TRUE(source.Retrieve(q, 25, /*id=*/3, out).ok());
  ASSERT_EQ(out.size(), 26u);
  EXPECT_EQ(out[0].item, 1999u);  // earlier content kept
  EXPECT_EQ(out[1].item, 10u);    // its own vector first
  for (size_t i = 1; i < out.size(); ++i) {
    EXPECT_EQ(out[i].sources, SourceBit(3));
    if (i > 1) {
      EXPECT_GE(out[i - 1].score, out[i].score);
    }
  }
}

TEST_F(AnnSourceTest, AgreesWithExactSourceOnSeedsFilterAndExclude) {
  AnnSource ann(ann_);
  ExactSource exact(exact_);
  ItemBitset filter(2000);
  for (ItemIndex i = 0; i < 2000; i += 2) filter.Set(i);
  const std::vector<ItemIndex> seeds = {4, 6};
  const std::vector<ItemIndex> exclude = {8, 10, 12};
  RetrievalQuery q;
  q.seeds = seeds;
  q.filter = &filter;
  q.exclude = exclude;
  std::vector<Candidate> a, e;
  SearchStats stats;
  ASSERT_TRUE(ann.RetrieveWithStats(q, 20, 0, a, &stats).ok());
  ASSERT_TRUE(exact.Retrieve(q, 20, 1, e).ok());
  ASSERT_EQ(a.size(), 20u);
  size_t hit = 0;
  for (const Candidate& c : a) {
    EXPECT_TRUE(filter.Test(c.item));
    for (ItemIndex x : seeds) EXPECT_NE(c.item, x);
    for (ItemIndex x : exclude) EXPECT_NE(c.item, x);
    for (const Candidate& t : e) hit += t.item == c.item;
  }
  EXPECT_GE(hit, 18u);
  EXPECT_NE(stats.strategy, SearchStrategy::kNone);
}

TEST_F(AnnSourceTest, NoInputGivesNothingAndBadInputNamesTheSource) {
  AnnSource source(ann_, {.name = "ann_seed"});
  std::vector<Candidate> out;
  EXPECT_TRUE(source.Retrieve({}, 10, 0, out).ok());
  EXPECT_TRUE(out.empty());
  RetrievalQuery q;
  const std::vector<float> short_vector = {1, 2, 3};
  q.user_vector = short_vector;
  const absl::Status s = source.Retrieve(q, 10, 0, out);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("ann_seed"));
  EXPECT_THAT(s.message(), HasSubstr("dimension 3"));
  q.user_vector = {&data_.data[0], 8};
  EXPECT_EQ(source.Retrieve(q, 10, kMaxSources, out).code(), absl::StatusCode::kInvalidArgument);
  AnnSource empty(nullptr);
  EXPECT_EQ(empty.Retrieve(q, 10, 0, out).code(), absl::StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace aisle::retrieval
