#include "aisle/ranking/gbdt_ranker.h"

#include <cmath>
#include <limits>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "aisle/core/clock.h"
#include "aisle/core/deadline.h"
#include "gtest/gtest.h"

namespace aisle::ranking {
namespace {

constexpr float kNan = std::numeric_limits<float>::quiet_NaN();
constexpr float kInf = std::numeric_limits<float>::infinity();

GbdtNode Leaf(double v) {
  GbdtNode n;
  n.kind = GbdtNodeKind::kLeaf;
  n.leaf_value = v;
  return n;
}

GbdtNode Split(uint32_t feature, double threshold, int32_t left, int32_t right, bool default_left,
               GbdtCompare compare = GbdtCompare::kLessFloat,
               GbdtMissing missing = GbdtMissing::kNan) {
  GbdtNode n;
  n.kind = GbdtNodeKind::kNumeric;
  n.feature = feature;
  n.threshold = threshold;
  n.left = left;
  n.right = right;
  n.default_left = default_left;
  n.compare = compare;
  n.missing = missing;
  return n;
}

// One stump on feature 0: left leaf 1.0, right leaf 2.0.
GbdtModel Stump(double threshold, bool default_left, GbdtCompare compare = GbdtCompare::kLessFloat,
                GbdtMissing missing = GbdtMissing::kNan) {
  GbdtModel m;
  m.source = "test";
  m.objective = "reg:squarederror";
  m.num_features = 2;
  m.feature_names = {"a", "b"};
  m.base_margin = {0.0};
  GbdtTree t;
  t.nodes = {Split(0, threshold, 1, 2, default_left, compare, missing), Leaf(1.0), Leaf(2.0)};
  m.trees.push_back(t);
  return m;
}

std::vector<float> ScoreColumn(const GbdtModel& m, const std::vector<float>& xs) {
  auto r = GbdtRanker::BindIdentity(m);
  EXPECT_TRUE(r.ok()) << r.status();
  std::vector<float> x;
  for (float v : xs) {
    x.push_back(v);
    x.push_back(0.0f);
  }
  std::vector<float> s(xs.size());
  EXPECT_TRUE((*r)->Score(MatrixView(x.data(), xs.size(), 2), absl::MakeSpan(s)).ok());
  return s;
}

TEST(GbdtRanker, XgboostSplitIsStrictLessInFloat32) {
  const float t = 0.3f;
  const auto s = ScoreColumn(Stump(t, true), {std::nextafter(t, -1.0f), t, 0.3000001f});
  EXPECT_EQ(s[0], 1.0f);
  EXPECT_EQ(s[1], 2.0f);  // x == threshold goes right
  EXPECT_EQ(s[2], 2.0f);
}

TEST(GbdtRanker, LightgbmSplitIsLessEqualOnDoubleThreshold) {
  // 0.1f is slightly above the double 0.1, so it goes right; the float just
  // below 0.1 goes left; a float equal to a double threshold goes left.
  const auto s = ScoreColumn(Stump(0.1, true, GbdtCompare::kLessEqualDouble),
                             {0.1f, std::nextafter(0.1f, 0.0f)});
  EXPECT_EQ(s[0], 2.0f);
  EXPECT_EQ(s[1], 1.0f);
  const auto e = ScoreColumn(Stump(0.5, false, GbdtCompare::kLessEqualDouble), {0.5f});
  EXPECT_EQ(e[0], 1.0f);
}

TEST(GbdtRanker, NanFollowsDefaultDirection) {
  EXPECT_EQ(ScoreColumn(Stump(0.5, true), {kNan})[0], 1.0f);
  EXPECT_EQ(ScoreColumn(Stump(0.5, false), {kNan})[0], 2.0f);
}

TEST(GbdtRanker, LightgbmMissingTypeNoneTreatsNanAsZero) {
  // default_left is ignored: NaN becomes 0, and 0 <= 0.5 goes left.
  EXPECT_EQ(
      ScoreColumn(Stump(0.5, false, GbdtCompare::kLessEqualDouble, GbdtMissing::kNone), {kNan})[0],
      1.0f);
  EXPECT_EQ(
      ScoreColumn(Stump(-0.5, true, GbdtCompare::kLessEqualDouble, GbdtMissing::kNone), {kNan})[0],
      2.0f);
}

TEST(GbdtRanker, LightgbmMissingTypeZeroSendsZeroAndNanToDefault) {
  // Threshold 0.5 with default right: 0, tiny values and NaN go right,
  // although 0 <= 0.5; 0.25 compares normally.
  const auto s = ScoreColumn(Stump(0.5, false, GbdtCompare::kLessEqualDouble, GbdtMissing::kZero),
                             {0.0f, 1e-36f, -1e-36f, kNan, 0.25f, 0.75f});
  EXPECT_EQ(s, (std::vector<float>{2, 2, 2, 2, 1, 2}));
}

TEST(GbdtRanker, InfinitiesCompareAsNumbers) {
  const auto s = ScoreColumn(Stump(0.5, false), {kInf, -kInf});
  EXPECT_EQ(s[0], 2.0f);
  EXPECT_EQ(s[1], 1.0f);
}

TEST(GbdtRanker, XgboostCategoricalSendsListedCategoriesRight) {
  GbdtModel m = Stump(0, true);
  GbdtNode& n = m.trees[0].nodes[0];
  n.kind = GbdtNodeKind::kCategorical;
  n.category_rule = GbdtCategoryRule::kXgboost;
  m.trees[0].categories = {1, 3};
  n.category_begin = 0;
  n.category_count = 2;
  const auto s = ScoreColumn(m, {0, 1, 2, 3, 3.7f, 100, -1, kNan});
  // 3.7 truncates to 3 (listed); -1 is an invalid category (left); NaN default left.
  EXPECT_EQ(s, (std::vector<float>{1, 2, 1, 2, 2, 1, 1, 1}));
}

TEST(GbdtRanker, LightgbmCategoricalSendsListedCategoriesLeftAndNanRight) {
  GbdtModel m = Stump(0, true);
  GbdtNode& n = m.trees[0].nodes[0];
  n.kind = GbdtNodeKind::kCategorical;
  n.category_rule = GbdtCategoryRule::kLightgbm;
  m.trees[0].categories = {0, 2, 40};
  n.category_begin = 0;
  n.category_count = 3;
  const auto s = ScoreColumn(m, {0, 1, 2, 40, 41, -0.5f, -1, kNan});
  // -0.5 truncates to 0 (listed, left); -1 is negative (right); NaN right.
  EXPECT_EQ(s, (std::vector<float>{1, 2, 1, 1, 2, 1, 2, 2}));
}

// Random trees of mixed semantics: the compiled layout must agree with the
// reference evaluator on every row, NaN and Inf included.
GbdtTree RandomTree(std::mt19937& rng, uint32_t num_features, int max_depth) {
  GbdtTree t;
  std::uniform_real_distribution<double> u(-1.0, 1.0);
  std::function<int32_t(int)> grow = [&](int depth) -> int32_t {
    const int32_t id = static_cast<int32_t>(t.nodes.size());
    t.nodes.emplace_back();
    if (depth == max_depth || (depth > 1 && rng() % 4 == 0)) {
      t.nodes[id] = Leaf(u(rng));
      return id;
    }
    const auto compare = rng() % 2 ? GbdtCompare::kLessFloat : GbdtCompare::kLessEqualDouble;
    auto missing = GbdtMissing::kNan;
    if (compare == GbdtCompare::kLessEqualDouble) {
      missing = static_cast<GbdtMissing>(rng() % 3);
    }
    double thr = std::round(u(rng) * 8) / 8;  // coincide with inputs often
    if (rng() % 5 == 0) thr = 0.0;
    const GbdtNode split =
        Split(static_cast<uint32_t>(rng() % num_features), thr, 0, 0, rng() % 2, compare, missing);
    t.nodes[id] = split;
    const int32_t l = grow(depth + 1);
    const int32_t r = grow(depth + 1);
    t.nodes[id].left = l;
    t.nodes[id].right = r;
    return id;
  };
  grow(0);
  return t;
}

TEST(GbdtRanker, CompiledLayoutMatchesReferenceOnRandomTrees) {
  std::mt19937 rng(42);
  GbdtModel m;
  m.source = "random";
  m.num_features = 7;
  m.num_outputs = 3;
  m.base_margin = {0.5, -0.25, 0.0};
  m.transform = GbdtTransform::kSoftmax;
  for (int i = 0; i < 60; ++i) {
    GbdtTree t = RandomTree(rng, m.num_features, 1 + i % 12);  // depths 1..12
    t.output_group = i % 3;
    m.trees.push_back(std::move(t));
  }
  ASSERT_TRUE(m.Validate().ok()) << m.Validate();
  const size_t rows = 203;  // not a multiple of the block or group size
  std::vector<float> x(rows * m.num_features);
  const float specials[] = {kNan, kInf, -kInf, 0.0f, -0.0f, 1e-36f, 0.125f, -0.5f};
  for (size_t i = 0; i < x.size(); ++i) {
    x[i] = rng() % 4 == 0 ? specials[rng() % 8]
                          : static_cast<float>(std::round((rng() % 33) - 16) / 8.0);
  }
  // Half the rows without NaN, so that both kernels run.
  for (size_t i = 0; i < 64 * m.num_features; ++i) {
    if (std::isnan(x[i])) x[i] = 0.375f;
  }
  auto ranker = GbdtRanker::BindIdentity(m);
  ASSERT_TRUE(ranker.ok()) << ranker.status();
  for (GbdtOutput output : {GbdtOutput::kMargin, GbdtOutput::kTransformed}) {
    std::vector<float> out(rows * 3);
    ASSERT_TRUE((*ranker)
                    ->ScoreAll(MatrixView(x.data(), rows, m.num_features),
                               MutableMatrixView(out.data(), rows, 3), output)
                    .ok());
    std::vector<double> ref(3);
    for (size_t r = 0; r < rows; ++r) {
      m.PredictMargin(absl::MakeConstSpan(x.data() + r * m.num_features, m.num_features),
                      absl::MakeSpan(ref));
      if (output == GbdtOutput::kTransformed) m.Transform(absl::MakeSpan(ref));
      for (size_t k = 0; k < 3; ++k) {
        ASSERT_NEAR(out[r * 3 + k], ref[k], 1e-5) << "row " << r << " output " << k;
      }
    }
  }
}

TEST(GbdtRanker, BindByNameFailsNamingTheMissingFeature) {
  GbdtModel m = Stump(0.5, true);
  const std::vector<std::string> layout = {"b", "c"};
  auto r = GbdtRanker::BindByName(m, layout);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kNotFound);
  EXPECT_NE(r.status().message().find("\"a\""), std::string::npos) << r.status();
}

TEST(GbdtRanker, BindByNameIgnoresFeaturesTheModelNeverReads) {
  GbdtModel m = Stump(0.5, true);  // reads "a" only
  const std::vector<std::string> layout = {"x", "a"};
  auto r = GbdtRanker::BindByName(m, layout);
  ASSERT_TRUE(r.ok()) << r.status();
  const float x[] = {9.0f, 0.25f, 9.0f, 0.75f};
  std::vector<float> s(2);
  ASSERT_TRUE((*r)->Score(MatrixView(x, 2, 2), absl::MakeSpan(s)).ok());
  EXPECT_EQ(s, (std::vector<float>{1, 2}));
}

TEST(GbdtRanker, BindByIndexRejectsColumnOutsideLayout) {
  GbdtModel m = Stump(0.5, true);
  const int32_t map[] = {5, -1};
  auto b = BindFeaturesByIndex(map, 3, GbdtRanker::NeededFeatures(m));
  ASSERT_FALSE(b.ok());
  EXPECT_NE(b.status().message().find("model feature 0"), std::string::npos) << b.status();
  const int32_t ok_map[] = {2, -1};
  auto b2 = BindFeaturesByIndex(ok_map, 3, GbdtRanker::NeededFeatures(m));
  ASSERT_TRUE(b2.ok()) << b2.status();
  auto r = GbdtRanker::Create(m, *b2);
  ASSERT_TRUE(r.ok()) << r.status();
  const float x[] = {0, 0, 0.25f};
  std::vector<float> s(1);
  ASSERT_TRUE((*r)->Score(MatrixView(x, 1, 3), absl::MakeSpan(s)).ok());
  EXPECT_EQ(s[0], 1.0f);
}

TEST(GbdtRanker, RejectsWrongMatrixShape) {
  auto r = GbdtRanker::BindIdentity(Stump(0.5, true));
  ASSERT_TRUE(r.ok());
  const float x[6] = {};
  std::vector<float> s(2);
  EXPECT_EQ((*r)->Score(MatrixView(x, 2, 3), absl::MakeSpan(s)).code(),
            absl::StatusCode::kInvalidArgument);
  std::vector<float> s3(3);
  EXPECT_EQ((*r)->Score(MatrixView(x, 2, 2), absl::MakeSpan(s3)).code(),
            absl::StatusCode::kInvalidArgument);
  std::vector<float> none;
  EXPECT_TRUE((*r)->Score(MatrixView(nullptr, 0, 2), absl::MakeSpan(none)).ok());
}

TEST(GbdtRanker, MulticlassScoreNeedsAnOutputChoice) {
  GbdtModel m = Stump(0.5, true);
  m.num_outputs = 2;
  m.base_margin = {0.0, 0.0};
  m.transform = GbdtTransform::kSoftmax;
  auto r = GbdtRanker::BindIdentity(m);
  ASSERT_TRUE(r.ok());
  const float x[] = {0.25f, 0.0f};
  std::vector<float> s(1);
  EXPECT_EQ((*r)->Score(MatrixView(x, 1, 2), absl::MakeSpan(s)).code(),
            absl::StatusCode::kFailedPrecondition);
  GbdtRankerOptions opts;
  opts.score_output = 1;
  auto r1 = GbdtRanker::BindIdentity(m, opts);
  ASSERT_TRUE(r1.ok());
  ASSERT_TRUE((*r1)->Score(MatrixView(x, 1, 2), absl::MakeSpan(s)).ok());
  // Margins (1, 0): softmax output 1 = 1 / (1 + e).
  EXPECT_NEAR(s[0], 1.0 / (1.0 + std::exp(1.0)), 1e-6);
}

TEST(GbdtRanker, ExpiredDeadlineStopsAtABlockBoundary) {
  auto r = GbdtRanker::BindIdentity(Stump(0.5, true));
  ASSERT_TRUE(r.ok());
  FakeClock clock;
  const Deadline d = Deadline::In(absl::Milliseconds(1), clock);
  std::vector<float> x(1000 * 2, 0.25f);
  std::vector<float> s(1000, -1.0f);
  EXPECT_TRUE((*r)->Score(MatrixView(x.data(), 1000, 2), absl::MakeSpan(s), d).ok());
  clock.Advance(absl::Milliseconds(2));
  std::fill(s.begin(), s.end(), -1.0f);
  EXPECT_EQ((*r)->Score(MatrixView(x.data(), 1000, 2), absl::MakeSpan(s), d).code(),
            absl::StatusCode::kDeadlineExceeded);
  EXPECT_EQ(s[0], 1.0f);     // the first block is always scored
  EXPECT_EQ(s[999], -1.0f);  // later blocks were not
}

TEST(GbdtRanker, VersionNamesModelObjectiveTreesAndHash) {
  GbdtModel m = Stump(0.5, true);
  m.content_hash = 0x1a2b3c4d;
  GbdtRankerOptions opts;
  opts.name = "ctr-2026-11-20";
  auto r = GbdtRanker::BindIdentity(m, opts);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ((*r)->version(), "gbdt:ctr-2026-11-20:reg:squarederror:trees=1:sha=000000001a2b3c4d");
}

TEST(GbdtRanker, RejectsNanThreshold) {
  GbdtModel m = Stump(std::nan(""), true);
  auto r = GbdtRanker::BindIdentity(m);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("tree 0 node 0"), std::string::npos) << r.status();
}

TEST(GbdtRanker, RejectsCycleNamingTreeAndNode) {
  GbdtModel m = Stump(0.5, true);
  m.trees[0].nodes[2] = Split(1, 0.5, 0, 1, true);  // node 2 points back at the root
  const absl::Status s = m.Validate();
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("tree 0 node 2"), std::string::npos) << s;
}

TEST(GbdtRanker, AbsurdFeatureCountIsRejectedBeforeAnyTableIsSized) {
  // A model built in code (or read from a corrupt file) claiming 2^32 - 1
  // features: binding it by index would size a 16 GB table.
  GbdtModel m = Stump(0.5, true);
  m.feature_names.clear();
  m.num_features = 0xFFFFFFFFu;
  for (const auto& r : {GbdtRanker::BindIdentity(m), GbdtRanker::BindByName(m, {"a"})}) {
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_NE(r.status().message().find("num_features 4294967295 is outside [0, 2^30)"),
              std::string::npos)
        << r.status();
  }
  m.num_features = 2;
  m.num_outputs = 1u << 20;
  const auto r = GbdtRanker::BindIdentity(m);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("num_outputs 1048576 is outside [1, 65536)"),
            std::string::npos)
      << r.status();
}

}  // namespace
}  // namespace aisle::ranking
