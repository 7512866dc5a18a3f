// Every SIMD flat-tree kernel the CPU supports (AVX2, AVX-512, and whatever
// kAuto picks) against the portable kernel: scores must be bit-identical
// (EXPECT_EQ on floats) on random XGBoost-like models, NaN / Inf / at-threshold
// inputs, odd row counts, multi-output models, models mixing flat and exact
// (categorical) trees, and the committed XGBoost fixtures. Kernels this CPU
// lacks are skipped.
#include <cmath>
#include <cstdint>
#include <limits>
#include <memory>
#include <ostream>
#include <random>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "aisle/core/clock.h"
#include "aisle/core/deadline.h"
#include "aisle/ranking/gbdt_ranker.h"
#include "aisle/ranking/model_binding.h"
#include "aisle/ranking/xgboost_model.h"
#include "gtest/gtest.h"
#include "ranking/gbdt_test_util.h"

namespace aisle::ranking {

// Readable parameter names in gtest failure messages.
void PrintTo(GbdtKernel kernel, std::ostream* os) { *os << GbdtKernelName(kernel); }

namespace {

constexpr float kNan = std::numeric_limits<float>::quiet_NaN();
constexpr float kInf = std::numeric_limits<float>::infinity();

// Thresholds and inputs share this grid, so inputs often equal a threshold.
const std::vector<float>& Grid() {
  static const std::vector<float> g = {-2.5f, -1.0f, -0.25f, 0.0f, 0.125f, 0.5f, 1.0f, 3.0f};
  return g;
}

struct ModelSpec {
  uint32_t num_features = 12;
  uint32_t num_outputs = 1;
  int trees = 40;
  int min_depth = 1;
  int max_depth = 8;
  double leaf_early = 0.15;  // chance a non-root node above max depth is a leaf
  double categorical = 0.0;  // chance an internal node is an XGBoost categorical split
  GbdtTransform transform = GbdtTransform::kSigmoid;
  // Leaf values exactly representable as float (as XGBoost's are): the SIMD
  // kernels then read float leaves; otherwise double leaves.
  bool float_leaves = false;
};

// Appends a random subtree of at most `depth` levels; returns its node index.
int32_t AddNode(GbdtTree& t, int depth, bool force_full, const ModelSpec& spec, std::mt19937& rng) {
  std::uniform_real_distribution<double> u(0.0, 1.0);
  const int32_t idx = static_cast<int32_t>(t.nodes.size());
  t.nodes.emplace_back();
  if (depth == 0 || (!force_full && u(rng) < spec.leaf_early)) {
    t.nodes[idx].kind = GbdtNodeKind::kLeaf;
    t.nodes[idx].leaf_value = (u(rng) - 0.5) * 0.3;
    if (spec.float_leaves) {
      t.nodes[idx].leaf_value = static_cast<float>(t.nodes[idx].leaf_value);
    }
    return idx;
  }
  GbdtNode n;
  n.feature = static_cast<uint32_t>(rng() % spec.num_features);
  n.default_left = (rng() & 1) != 0;
  if (u(rng) < spec.categorical) {
    n.kind = GbdtNodeKind::kCategorical;
    n.category_rule = GbdtCategoryRule::kXgboost;
    n.category_begin = static_cast<uint32_t>(t.categories.size());
    for (uint32_t c = 0; c < 4; ++c) {
      if (rng() & 1) t.categories.push_back(c);
    }
    n.category_count = static_cast<uint32_t>(t.categories.size()) - n.category_begin;
  } else {
    n.kind = GbdtNodeKind::kNumeric;
    n.compare = GbdtCompare::kLessFloat;
    n.threshold = Grid()[rng() % Grid().size()];
  }
  t.nodes[idx] = n;
  // The first child of a full-depth path keeps the tree at its chosen depth.
  const int32_t l = AddNode(t, depth - 1, force_full, spec, rng);
  const int32_t r = AddNode(t, depth - 1, false, spec, rng);
  t.nodes[idx].left = l;
  t.nodes[idx].right = r;
  return idx;
}

GbdtModel RandomModel(const ModelSpec& spec, uint32_t seed) {
  std::mt19937 rng(seed);
  GbdtModel m;
  m.source = "test";
  m.objective = "test";
  m.num_features = spec.num_features;
  m.num_outputs = spec.num_outputs;
  m.transform = spec.transform;
  for (uint32_t k = 0; k < spec.num_outputs; ++k) m.base_margin.push_back(0.1 * k - 0.05);
  for (int i = 0; i < spec.trees; ++i) {
    GbdtTree t;
    const int depth =
        spec.min_depth + static_cast<int>(rng() % (spec.max_depth - spec.min_depth + 1));
    AddNode(t, depth, true, spec, rng);
    t.output_group = static_cast<int32_t>(i % spec.num_outputs);
    m.trees.push_back(std::move(t));
  }
  return m;
}

// Inputs from the threshold grid, random normals, NaN and +/-Inf.
std::vector<float> RandomRows(size_t rows, size_t cols, uint32_t seed, double nan_fraction) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0.0f, 1.5f);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  std::vector<float> x(rows * cols);
  for (float& v : x) {
    const double r = u(rng);
    if (r < nan_fraction) {
      v = kNan;
    } else if (r < nan_fraction + 0.03) {
      v = (rng() & 1) ? kInf : -kInf;
    } else if (r < 0.5) {
      v = Grid()[rng() % Grid().size()];
    } else {
      v = normal(rng);
    }
  }
  return x;
}

std::unique_ptr<GbdtRanker> Make(const GbdtModel& m, GbdtKernel kernel,
                                 GbdtOutput output = GbdtOutput::kMargin,
                                 int32_t score_output = -1) {
  GbdtRankerOptions opts;
  opts.kernel = kernel;
  opts.output = output;
  opts.score_output = score_output;
  auto r = GbdtRanker::BindIdentity(m, opts);
  EXPECT_TRUE(r.ok()) << r.status();
  return r.ok() ? *std::move(r) : nullptr;
}

// ScoreAll with both outputs, and Score (first output), of `kernel` vs the
// portable kernel on `x`: bit-identical.
void ExpectSameAsPortable(const GbdtModel& m, GbdtKernel kernel, const std::vector<float>& x,
                          size_t rows, const std::string& what) {
  const size_t cols = m.num_features;
  const size_t k = m.num_outputs;
  const MatrixView view(x.data(), rows, cols);
  for (GbdtOutput output : {GbdtOutput::kMargin, GbdtOutput::kTransformed}) {
    auto portable = Make(m, GbdtKernel::kPortable, output, k > 1 ? 0 : -1);
    auto simd = Make(m, kernel, output, k > 1 ? 0 : -1);
    ASSERT_NE(portable, nullptr);
    ASSERT_NE(simd, nullptr);
    ASSERT_EQ(portable->kernel_name(), "portable");
    std::vector<float> want(rows * k, -7.0f);
    std::vector<float> got(rows * k, 7.0f);
    ASSERT_TRUE(portable->ScoreAll(view, MutableMatrixView(want.data(), rows, k), output).ok());
    ASSERT_TRUE(simd->ScoreAll(view, MutableMatrixView(got.data(), rows, k), output).ok());
    for (size_t i = 0; i < want.size(); ++i) {
      ASSERT_EQ(got[i], want[i]) << what << " kernel " << simd->kernel_name() << " row " << i / k
                                 << " output " << i % k
                                 << (output == GbdtOutput::kMargin ? " margin" : " transformed");
    }
    std::vector<float> s_want(rows, -7.0f);
    std::vector<float> s_got(rows, 7.0f);
    ASSERT_TRUE(portable->Score(view, absl::MakeSpan(s_want)).ok());
    ASSERT_TRUE(simd->Score(view, absl::MakeSpan(s_got)).ok());
    for (size_t i = 0; i < rows; ++i) {
      ASSERT_EQ(s_got[i], s_want[i]) << what << " Score() row " << i;
    }
  }
}

class GbdtKernelTest : public ::testing::TestWithParam<GbdtKernel> {
 protected:
  void SetUp() override {
    if (!GbdtKernelSupported(GetParam())) {
      GTEST_SKIP() << "this CPU does not support the " << GbdtKernelName(GetParam()) << " kernel";
    }
  }
};

TEST_P(GbdtKernelTest, RandomModelsOfEveryDepthMatchPortable) {
  for (bool float_leaves : {false, true}) {
    for (int depth = 1; depth <= 10; ++depth) {
      ModelSpec spec;
      spec.min_depth = depth;
      spec.max_depth = depth;
      spec.trees = depth <= 8 ? 30 : 6;
      spec.float_leaves = float_leaves;
      const GbdtModel m = RandomModel(spec, 100 + depth);
      ASSERT_TRUE(m.Validate().ok()) << m.Validate();
      const std::vector<float> x = RandomRows(200, spec.num_features, 7 + depth, 0.1);
      ExpectSameAsPortable(
          m, GetParam(), x, 200,
          "depth " + std::to_string(depth) + (float_leaves ? " float leaves" : " double leaves"));
    }
  }
}

TEST_P(GbdtKernelTest, MixedDepthsAndPaddedTreesMatchPortable) {
  ModelSpec spec;
  spec.trees = 120;
  spec.leaf_early = 0.35;  // lopsided trees: padded leaves and padded nodes
  const std::vector<float> x = RandomRows(500, spec.num_features, 9, 0.05);
  ExpectSameAsPortable(RandomModel(spec, 5), GetParam(), x, 500, "mixed depths");
  spec.float_leaves = true;
  ExpectSameAsPortable(RandomModel(spec, 6), GetParam(), x, 500, "mixed depths, float leaves");
}

TEST_P(GbdtKernelTest, EveryRowCountMatchesPortable) {
  ModelSpec spec;
  spec.trees = 25;
  const GbdtModel m = RandomModel(spec, 11);
  const std::vector<float> x = RandomRows(500, spec.num_features, 13, 0.1);
  for (size_t rows : {0, 1, 7, 8, 15, 16, 17, 31, 32, 33, 63, 64, 65, 127, 129, 500}) {
    ExpectSameAsPortable(m, GetParam(), x, rows, "rows " + std::to_string(rows));
  }
}

TEST_P(GbdtKernelTest, NanFollowsBothDefaultDirections) {
  // One split on feature 0; NaN must go to the default side, whichever it is.
  for (bool default_left : {true, false}) {
    GbdtModel m;
    m.source = "test";
    m.num_features = 2;
    m.base_margin = {0.0};
    GbdtTree t;
    t.nodes.resize(3);
    t.nodes[0].kind = GbdtNodeKind::kNumeric;
    t.nodes[0].feature = 1;
    t.nodes[0].threshold = 0.5;
    t.nodes[0].default_left = default_left;
    t.nodes[0].left = 1;
    t.nodes[0].right = 2;
    t.nodes[1].leaf_value = -1.0;
    t.nodes[2].leaf_value = 2.0;
    m.trees.push_back(t);
    ASSERT_TRUE(m.Validate().ok());
    // Rows: NaN, below, equal (XGBoost: x < t goes left, so 0.5 goes right),
    // above, +Inf, -Inf; repeated to fill partial and full vectors.
    const std::vector<float> vals = {kNan, 0.0f, 0.5f, 0.75f, kInf, -kInf};
    const std::vector<float> expect = {default_left ? -1.0f : 2.0f, -1.0f, 2.0f, 2.0f, 2.0f, -1.0f};
    const size_t rows = 70;
    std::vector<float> x(rows * 2, 0.0f);
    for (size_t r = 0; r < rows; ++r) x[r * 2 + 1] = vals[r % vals.size()];
    auto ranker = Make(m, GetParam());
    ASSERT_NE(ranker, nullptr);
    std::vector<float> s(rows);
    ASSERT_TRUE(ranker->Score(MatrixView(x.data(), rows, 2), absl::MakeSpan(s)).ok());
    for (size_t r = 0; r < rows; ++r) {
      EXPECT_EQ(s[r], expect[r % vals.size()]) << "row " << r << " default_left " << default_left;
    }
    ExpectSameAsPortable(m, GetParam(), x, rows, "single split");
  }
}

TEST_P(GbdtKernelTest, AllNanAndAllInfRowsMatchPortable) {
  ModelSpec spec;
  spec.trees = 30;
  const GbdtModel m = RandomModel(spec, 21);
  for (float v : {kNan, kInf, -kInf}) {
    const std::vector<float> x(65 * spec.num_features, v);
    ExpectSameAsPortable(m, GetParam(), x, 65, "constant " + std::to_string(v));
  }
}

TEST_P(GbdtKernelTest, MultiOutputModelsMatchPortable) {
  ModelSpec spec;
  spec.num_outputs = 3;
  spec.trees = 60;
  spec.transform = GbdtTransform::kSoftmax;
  const GbdtModel m = RandomModel(spec, 31);
  const std::vector<float> x = RandomRows(130, spec.num_features, 33, 0.1);
  ExpectSameAsPortable(m, GetParam(), x, 130, "3 outputs");
  spec.num_outputs = 11;  // more than the 8 outputs kept on the stack
  spec.trees = 44;
  const GbdtModel big = RandomModel(spec, 32);
  ExpectSameAsPortable(big, GetParam(), x, 130, "11 outputs");
}

TEST_P(GbdtKernelTest, FlatAndExactTreesMixedMatchPortable) {
  ModelSpec spec;
  spec.trees = 60;
  spec.categorical = 0.1;  // trees with a categorical split keep the exact evaluator
  spec.max_depth = 12;     // and so do trees deeper than the flat limit
  const GbdtModel m = RandomModel(spec, 41);
  ASSERT_TRUE(m.Validate().ok()) << m.Validate();
  std::vector<float> x = RandomRows(150, spec.num_features, 43, 0.1);
  for (size_t i = 0; i < x.size(); i += 3) x[i] = static_cast<float>(i % 5);  // category ids
  ExpectSameAsPortable(m, GetParam(), x, 150, "flat + exact");
}

TEST_P(GbdtKernelTest, WideAndPermutedLayoutsMatchPortable) {
  // 90 model features spread over a 200-column layout (more than the 64
  // columns the SIMD block keeps on the stack), in reverse order.
  ModelSpec spec;
  spec.num_features = 90;
  spec.trees = 200;
  const GbdtModel m = RandomModel(spec, 71);
  FeatureBinding b;
  b.layout_size = 200;
  for (uint32_t i = 0; i < spec.num_features; ++i) {
    b.layout_column.push_back(static_cast<int32_t>(199 - 2 * i));
  }
  const size_t rows = 77;
  const std::vector<float> model_rows = RandomRows(rows, spec.num_features, 73, 0.1);
  std::vector<float> x(rows * b.layout_size, kNan);  // unread columns: NaN
  for (size_t r = 0; r < rows; ++r) {
    for (uint32_t i = 0; i < spec.num_features; ++i) {
      x[r * b.layout_size + b.layout_column[i]] = model_rows[r * spec.num_features + i];
    }
  }
  GbdtRankerOptions simd_opts;
  simd_opts.kernel = GetParam();
  GbdtRankerOptions portable_opts;
  portable_opts.kernel = GbdtKernel::kPortable;
  auto simd = GbdtRanker::Create(m, b, simd_opts);
  auto portable = GbdtRanker::Create(m, b, portable_opts);
  auto identity = GbdtRanker::BindIdentity(m, portable_opts);
  ASSERT_TRUE(simd.ok()) << simd.status();
  ASSERT_TRUE(portable.ok()) << portable.status();
  ASSERT_TRUE(identity.ok()) << identity.status();
  std::vector<float> got(rows), want(rows), unpermuted(rows);
  ASSERT_TRUE((*simd)->Score(MatrixView(x.data(), rows, b.layout_size), absl::MakeSpan(got)).ok());
  ASSERT_TRUE(
      (*portable)->Score(MatrixView(x.data(), rows, b.layout_size), absl::MakeSpan(want)).ok());
  ASSERT_TRUE((*identity)
                  ->Score(MatrixView(model_rows.data(), rows, spec.num_features),
                          absl::MakeSpan(unpermuted))
                  .ok());
  for (size_t r = 0; r < rows; ++r) {
    ASSERT_EQ(got[r], want[r]) << "row " << r;
    ASSERT_EQ(got[r], unpermuted[r]) << "row " << r;
  }
}

TEST_P(GbdtKernelTest, SingleLeafTreesAndNoFlatTrees) {
  GbdtModel m;
  m.source = "test";
  m.num_features = 3;
  m.base_margin = {0.25};
  GbdtTree leaf;
  leaf.nodes.resize(1);
  leaf.nodes[0].leaf_value = 0.5;
  m.trees.push_back(leaf);
  const std::vector<float> x = RandomRows(20, 3, 3, 0.1);
  auto ranker = Make(m, GetParam());
  ASSERT_NE(ranker, nullptr);
  std::vector<float> s(20);
  ASSERT_TRUE(ranker->Score(MatrixView(x.data(), 20, 3), absl::MakeSpan(s)).ok());
  for (float v : s) EXPECT_EQ(v, 0.75f);
}

TEST_P(GbdtKernelTest, AgreesWithTheReferenceEvaluator) {
  ModelSpec spec;
  spec.trees = 50;
  spec.transform = GbdtTransform::kIdentity;
  const GbdtModel m = RandomModel(spec, 51);
  const std::vector<float> x = RandomRows(100, spec.num_features, 53, 0.1);
  auto ranker = Make(m, GetParam());
  ASSERT_NE(ranker, nullptr);
  std::vector<float> s(100);
  ASSERT_TRUE(ranker->Score(MatrixView(x.data(), 100, spec.num_features), absl::MakeSpan(s)).ok());
  std::vector<double> ref(1);
  for (size_t r = 0; r < 100; ++r) {
    m.PredictMargin(absl::MakeConstSpan(&x[r * spec.num_features], spec.num_features),
                    absl::MakeSpan(ref));
    EXPECT_EQ(s[r], static_cast<float>(ref[0])) << "row " << r;
  }
}

TEST_P(GbdtKernelTest, ExpiredDeadlineStopsAfterTheFirstBlock) {
  ModelSpec spec;
  spec.trees = 20;
  const GbdtModel m = RandomModel(spec, 61);
  const std::vector<float> x = RandomRows(200, spec.num_features, 63, 0.0);
  auto ranker = Make(m, GetParam());
  auto portable = Make(m, GbdtKernel::kPortable);
  ASSERT_NE(ranker, nullptr);
  FakeClock clock;
  const Deadline d = Deadline::In(absl::Milliseconds(1), clock);
  clock.Advance(absl::Milliseconds(2));
  std::vector<float> s(200, -1.0f);
  std::vector<float> want(200);
  const MatrixView view(x.data(), 200, spec.num_features);
  EXPECT_EQ(ranker->Score(view, absl::MakeSpan(s), d).code(), absl::StatusCode::kDeadlineExceeded);
  ASSERT_TRUE(portable->Score(view, absl::MakeSpan(want)).ok());
  for (size_t r = 0; r < 64; ++r) EXPECT_EQ(s[r], want[r]) << "row " << r;
  for (size_t r = 64; r < 200; ++r) EXPECT_EQ(s[r], -1.0f) << "row " << r;
}

TEST_P(GbdtKernelTest, XgboostFixturesMatchPortable) {
  for (const char* name :
       {"binary_logistic", "reg_logistic", "binary_logitraw", "reg_squarederror", "count_poisson",
        "categorical", "multi_softprob", "rank_ndcg", "rank_pairwise"}) {
    const std::string base = testing::RankingFixture(std::string("xgb_") + name);
    auto m = LoadXgboostModelFile(base + ".json");
    ASSERT_TRUE(m.ok()) << m.status();
    const testing::Dense x = testing::ReadTable(base + ".inputs.tsv");
    ASSERT_EQ(x.cols, m->num_features) << name;
    ASSERT_GT(x.rows, 0u) << name;
    ExpectSameAsPortable(*m, GetParam(), x.data, x.rows, name);
  }
}

INSTANTIATE_TEST_SUITE_P(Kernels, GbdtKernelTest,
                         ::testing::Values(GbdtKernel::kAvx2, GbdtKernel::kAvx512,
                                           GbdtKernel::kAuto),
                         [](const ::testing::TestParamInfo<GbdtKernel>& info) {
                           return std::string(GbdtKernelName(info.param));
                         });

TEST(GbdtKernel, AutoPicksTheWidestSupportedKernel) {
  ModelSpec spec;
  spec.trees = 3;
  auto r = Make(RandomModel(spec, 1), GbdtKernel::kAuto);
  ASSERT_NE(r, nullptr);
  const char* want = GbdtKernelSupported(GbdtKernel::kAvx512) ? "avx512"
                     : GbdtKernelSupported(GbdtKernel::kAvx2) ? "avx2"
                                                              : "portable";
  EXPECT_EQ(r->kernel_name(), want);
  EXPECT_NE(r->kernel(), GbdtKernel::kAuto);
}

TEST(GbdtKernel, ForcedKernelIsUsedOrRejectedAsUnsupported) {
  ModelSpec spec;
  spec.trees = 3;
  const GbdtModel m = RandomModel(spec, 2);
  for (GbdtKernel k : {GbdtKernel::kPortable, GbdtKernel::kAvx2, GbdtKernel::kAvx512}) {
    GbdtRankerOptions opts;
    opts.kernel = k;
    auto r = GbdtRanker::BindIdentity(m, opts);
    if (GbdtKernelSupported(k)) {
      ASSERT_TRUE(r.ok()) << r.status();
      EXPECT_EQ((*r)->kernel(), k);
      EXPECT_EQ((*r)->kernel_name(), GbdtKernelName(k));
    } else {
      ASSERT_EQ(r.status().code(), absl::StatusCode::kFailedPrecondition);
      EXPECT_NE(r.status().message().find(std::string(GbdtKernelName(k))), std::string::npos)
          << r.status();
    }
  }
  EXPECT_TRUE(GbdtKernelSupported(GbdtKernel::kPortable));
}

TEST(GbdtKernel, NamesAreStable) {
  EXPECT_EQ(GbdtKernelName(GbdtKernel::kAuto), "auto");
  EXPECT_EQ(GbdtKernelName(GbdtKernel::kPortable), "portable");
  EXPECT_EQ(GbdtKernelName(GbdtKernel::kAvx2), "avx2");
  EXPECT_EQ(GbdtKernelName(GbdtKernel::kAvx512), "avx512");
}

}  // namespace
}  // namespace aisle::ranking
