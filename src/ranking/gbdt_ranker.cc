#include "aisle/ranking/gbdt_ranker.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "aisle/core/status_macros.h"
#include "ranking/gbdt_kernel.h"

// Inference layout, and why.
//
// Each tree whose internal nodes are all "plain" numeric splits is padded to a
// perfect binary tree of its own depth D and stored breadth-first: node i has
// children 2i+1 / 2i+2, so a step is `i = 2*i + 1 + (x > t)` with no child
// pointers and no data-dependent branch. A leaf above depth D is replicated
// into every padded leaf below it (padded nodes compare anything; both sides
// lead to the same value). Every library's split rule is folded into one
// float comparison at compile time: XGBoost's float `x < t` becomes
// `x <= nextafter(t, -inf)`, LightGBM's `double(x) <= t` becomes
// `x <= largest float <= t`, and the NaN direction is one bit per node.
//
// Rows are scored in blocks of 64 (a block of a 50-feature matrix is 12.8 KB,
// it stays in L1 while every tree streams past it); within a block, groups of
// 8 rows walk the same tree in lockstep (VPred-style interleaving), giving
// the CPU 8 independent load->compare->index chains to overlap instead of one
// serial chain per row. A block with no NaN uses a kernel without the missing
// value test. Measured on this machine (benchmarks/ranking/gbdt_benchmark.cc),
// this beat a pointer-chasing node walk per row and 4-row groups; see
// docs/ranking.md for the figures.
//
// On CPUs with AVX-512 or AVX2 the flat trees are scored by a SIMD kernel
// instead (gbdt_kernel_avx512.cc / gbdt_kernel_avx2.cc, one lane per row,
// 16 or 8 rows per vector), chosen once at Create from a cached CPU check.
// They read a structure-of-arrays copy of the same nodes (GbdtSimdLayout:
// feature word with the NaN bit folded into bit 31, threshold) and add the
// same double leaves in the same tree order, so every kernel's scores are
// bit-identical to the portable one's.
//
// Trees with categorical splits, LightGBM zero-as-missing splits whose zero
// band straddles the threshold, or too deep to pad cheaply keep the exact
// per-node evaluator (GbdtFindLeaf), row by row.

namespace aisle::ranking {

namespace internal {

struct GbdtSimdLayout {
  std::vector<uint32_t> feature;
  std::vector<float> threshold;
  std::vector<float> leaves_f;  // empty unless every leaf is exactly a float
  std::vector<GbdtFlatTreeRef> trees;
  std::vector<uint32_t> columns;  // layout columns the flat trees read
  GbdtFlatModelRef ref{};
  GbdtFlatKernelFn fn = nullptr;
};

#if defined(__x86_64__) || defined(__i386__)
bool GbdtCpuHasAvx512() {
  static const bool has = [] {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") != 0;
  }();
  return has;
}
bool GbdtCpuHasAvx2() {
  static const bool has = [] {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") != 0;
  }();
  return has;
}
#else
bool GbdtCpuHasAvx512() { return false; }
bool GbdtCpuHasAvx2() { return false; }
#endif

}  // namespace internal

namespace {

using internal::kGbdtBlockRows;
constexpr size_t kBlockRows = kGbdtBlockRows;
// Columns of the SIMD kernels' column-major block kept on the stack.
constexpr size_t kSmallBlockColumns = 64;
constexpr size_t kGroup = 8;
constexpr uint32_t kMaxFlatDepth = 10;
constexpr uint32_t kNanRight = 0x80000000u;
constexpr double kLightgbmZero = static_cast<double>(1e-35f);

void ApplyTransform(GbdtTransform transform, double alpha, double* v, size_t n) {
  switch (transform) {
    case GbdtTransform::kIdentity:
      return;
    case GbdtTransform::kSigmoid:
      for (size_t i = 0; i < n; ++i) v[i] = 1.0 / (1.0 + std::exp(-alpha * v[i]));
      return;
    case GbdtTransform::kExp:
      for (size_t i = 0; i < n; ++i) v[i] = std::exp(v[i]);
      return;
    case GbdtTransform::kSoftmax: {
      double mx = -std::numeric_limits<double>::infinity();
      for (size_t i = 0; i < n; ++i) mx = std::max(mx, v[i]);
      double sum = 0;
      for (size_t i = 0; i < n; ++i) {
        v[i] = std::exp(v[i] - mx);
        sum += v[i];
      }
      for (size_t i = 0; i < n; ++i) v[i] /= sum;
      return;
    }
  }
}

// Largest float f with double(f) <= t.
float FloatAtOrBelow(double t) {
  float f = static_cast<float>(t);
  if (static_cast<double>(f) > t) f = std::nextafter(f, -std::numeric_limits<float>::infinity());
  return f;
}

// Folds a numeric node into "go right iff x > threshold; NaN right iff flag".
// Returns false when the node cannot be expressed that way.
bool FoldNumeric(const GbdtNode& n, float* threshold, bool* nan_right) {
  if (n.kind != GbdtNodeKind::kNumeric) return false;
  if (n.compare == GbdtCompare::kLessFloat) {
    const float t = static_cast<float>(n.threshold);
    *threshold =
        std::isinf(t) && t < 0 ? t : std::nextafter(t, -std::numeric_limits<float>::infinity());
    *nan_right = !n.default_left;
    return true;
  }
  *threshold = FloatAtOrBelow(n.threshold);
  switch (n.missing) {
    case GbdtMissing::kNan:
      *nan_right = !n.default_left;
      return true;
    case GbdtMissing::kNone:
      *nan_right = !(0.0 <= n.threshold);
      return true;
    case GbdtMissing::kZero:
      // Equivalent only if the whole zero band goes the default way anyway.
      if (n.default_left ? (kLightgbmZero <= n.threshold) : (-kLightgbmZero > n.threshold)) {
        *nan_right = !n.default_left;
        return true;
      }
      return false;
  }
  return false;
}

uint32_t Depth(const GbdtTree& t, int32_t i) {
  const GbdtNode& n = t.nodes[i];
  if (n.kind == GbdtNodeKind::kLeaf) return 0;
  return 1 + std::max(Depth(t, n.left), Depth(t, n.right));
}

bool AllFoldable(const GbdtTree& t) {
  float th;
  bool nr;
  for (const GbdtNode& n : t.nodes) {
    if (n.kind != GbdtNodeKind::kLeaf && !FoldNumeric(n, &th, &nr)) return false;
  }
  return true;
}

void Fill(const GbdtTree& t, int32_t orig, uint32_t pos, uint32_t level, uint32_t depth,
          const FeatureBinding& b, GbdtRanker::FlatNode* nodes, uint8_t* nan_right_out,
          double* leaves) {
  const uint32_t first_leaf = (1u << depth) - 1;
  const GbdtNode& n = t.nodes[orig];
  if (level == depth) {
    leaves[pos - first_leaf] = n.leaf_value;
    return;
  }
  if (n.kind == GbdtNodeKind::kLeaf) {
    nodes[pos] = {std::numeric_limits<float>::infinity(), 0u};  // either side: same leaf
    nan_right_out[pos] = 0;
    Fill(t, orig, 2 * pos + 1, level + 1, depth, b, nodes, nan_right_out, leaves);
    Fill(t, orig, 2 * pos + 2, level + 1, depth, b, nodes, nan_right_out, leaves);
    return;
  }
  float th = 0;
  bool nan_right = false;
  FoldNumeric(n, &th, &nan_right);
  const uint32_t col = static_cast<uint32_t>(b.layout_column[n.feature]);
  nodes[pos] = {th, col};
  nan_right_out[pos] = nan_right ? 1 : 0;
  Fill(t, n.left, 2 * pos + 1, level + 1, depth, b, nodes, nan_right_out, leaves);
  Fill(t, n.right, 2 * pos + 2, level + 1, depth, b, nodes, nan_right_out, leaves);
}

// One tree, kGroup rows in lockstep. acc[j] points at row j's accumulators.
// kDepth > 0 fixes the depth at compile time (fully unrolled levels);
// kDepth == 0 reads it at run time. The NaN flag lives in its own byte array,
// read only by the kHasNan kernel, so the common kernel does no masking.
template <bool kHasNan, uint32_t kDepth>
inline void WalkGroup(const GbdtRanker::FlatNode* __restrict nodes,
                      const uint8_t* __restrict nan_right, const double* __restrict leaves,
                      uint32_t depth, const float* const* __restrict rows, double* const* acc,
                      uint32_t output) {
  if constexpr (kDepth > 0) depth = kDepth;
  uint32_t idx[kGroup] = {};
#pragma GCC unroll 10
  for (uint32_t d = 0; d < depth; ++d) {
#pragma GCC unroll 8
    for (size_t j = 0; j < kGroup; ++j) {
      const GbdtRanker::FlatNode n = nodes[idx[j]];
      const float x = rows[j][n.feature];
      uint32_t right = x > n.threshold;
      if constexpr (kHasNan) right |= static_cast<uint32_t>(x != x) & nan_right[idx[j]];
      idx[j] = 2 * idx[j] + 1 + right;
    }
  }
  const uint32_t first_leaf = (1u << depth) - 1;
#pragma GCC unroll 8
  for (size_t j = 0; j < kGroup; ++j) acc[j][output] += leaves[idx[j] - first_leaf];
}

template <bool kHasNan>
void WalkTree(const GbdtRanker::FlatNode* nodes, const uint8_t* nan_right, const double* leaves,
              uint32_t depth, const float* const* rows, double* const* acc, uint32_t output,
              size_t padded) {
  switch (depth) {
#define AISLE_GBDT_DEPTH_CASE(D)                                                         \
  case D:                                                                                \
    for (size_t g = 0; g < padded; g += kGroup) {                                        \
      WalkGroup<kHasNan, D>(nodes, nan_right, leaves, depth, rows + g, acc + g, output); \
    }                                                                                    \
    return;
    AISLE_GBDT_DEPTH_CASE(1)
    AISLE_GBDT_DEPTH_CASE(2)
    AISLE_GBDT_DEPTH_CASE(3)
    AISLE_GBDT_DEPTH_CASE(4)
    AISLE_GBDT_DEPTH_CASE(5)
    AISLE_GBDT_DEPTH_CASE(6)
    AISLE_GBDT_DEPTH_CASE(7)
    AISLE_GBDT_DEPTH_CASE(8)
#undef AISLE_GBDT_DEPTH_CASE
    default:
      for (size_t g = 0; g < padded; g += kGroup) {
        WalkGroup<kHasNan, 0>(nodes, nan_right, leaves, depth, rows + g, acc + g, output);
      }
  }
}

}  // namespace

absl::string_view GbdtKernelName(GbdtKernel kernel) {
  switch (kernel) {
    case GbdtKernel::kAuto:
      return "auto";
    case GbdtKernel::kPortable:
      return "portable";
    case GbdtKernel::kAvx2:
      return "avx2";
    case GbdtKernel::kAvx512:
      return "avx512";
  }
  return "unknown";
}

bool GbdtKernelSupported(GbdtKernel kernel) {
  switch (kernel) {
    case GbdtKernel::kAuto:
    case GbdtKernel::kPortable:
      return true;
    case GbdtKernel::kAvx2:
      return internal::GbdtCpuHasAvx2();
    case GbdtKernel::kAvx512:
      return internal::GbdtCpuHasAvx512();
  }
  return false;
}

GbdtRanker::~GbdtRanker() = default;

std::vector<uint8_t> GbdtRanker::NeededFeatures(const GbdtModel& model) {
  std::vector<uint8_t> needed(model.num_features, 0);
  for (const GbdtTree& t : model.trees) {
    for (const GbdtNode& n : t.nodes) {
      if (n.kind != GbdtNodeKind::kLeaf && n.feature < needed.size()) needed[n.feature] = 1;
    }
  }
  return needed;
}

absl::StatusOr<std::unique_ptr<GbdtRanker>> GbdtRanker::Create(const GbdtModel& model,
                                                               const FeatureBinding& binding,
                                                               GbdtRankerOptions options) {
  AISLE_RETURN_IF_ERROR(model.Validate());
  if (binding.layout_column.size() != model.num_features) {
    return absl::InvalidArgumentError(
        absl::StrCat("GBDT binding has ", binding.layout_column.size(),
                     " entries for a model with ", model.num_features, " features"));
  }
  if (binding.layout_size >= kNanRight) {
    return absl::InvalidArgumentError("GBDT binding: layout too wide");
  }
  const std::vector<uint8_t> needed = NeededFeatures(model);
  for (size_t i = 0; i < needed.size(); ++i) {
    const int32_t c = binding.layout_column[i];
    if (needed[i] && (c < 0 || static_cast<size_t>(c) >= binding.layout_size)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "GBDT binding: model feature ", i,
          (model.feature_names.empty() ? std::string()
                                       : absl::StrCat(" \"", model.feature_names[i], "\"")),
          " is read by the model but bound to column ", c, " of a ", binding.layout_size,
          "-column layout"));
    }
  }
  if (model.num_outputs > 1 && options.output != GbdtOutput::kMargin &&
      options.score_output >= static_cast<int32_t>(model.num_outputs)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "GBDT ranker: score_output ", options.score_output, " >= ", model.num_outputs, " outputs"));
  }
  // The SIMD kernels address a block's values with 32-bit offsets.
  const bool simd_fits = binding.layout_size < (size_t{1} << 31) / kBlockRows;
  GbdtKernel kernel = options.kernel;
  if (kernel == GbdtKernel::kAuto) {
    kernel = !simd_fits                     ? GbdtKernel::kPortable
             : internal::GbdtCpuHasAvx512() ? GbdtKernel::kAvx512
             : internal::GbdtCpuHasAvx2()   ? GbdtKernel::kAvx2
                                            : GbdtKernel::kPortable;
  } else if (!GbdtKernelSupported(kernel)) {
    return absl::FailedPreconditionError(
        absl::StrCat("GBDT ranker: kernel \"", GbdtKernelName(kernel),
                     "\" was requested but this CPU does not support it; use GbdtKernel::kAuto "
                     "or kPortable"));
  } else if (kernel != GbdtKernel::kPortable && !simd_fits) {
    return absl::InvalidArgumentError(absl::StrCat(
        "GBDT ranker: kernel \"", GbdtKernelName(kernel), "\" needs a layout narrower than ",
        (size_t{1} << 31) / kBlockRows, " columns; this one has ", binding.layout_size));
  }
  auto r = std::unique_ptr<GbdtRanker>(new GbdtRanker());
  r->kernel_ = kernel;
  r->layout_size_ = binding.layout_size;
  r->num_outputs_ = model.num_outputs;
  r->options_ = options;
  r->transform_ = model.transform;
  r->sigmoid_alpha_ = model.sigmoid_alpha;
  r->bias_.assign(model.num_outputs, 0.0);
  for (size_t k = 0; k < model.base_margin.size(); ++k) r->bias_[k] = model.base_margin[k];
  for (const GbdtTree& t : model.trees) {
    const uint32_t depth = Depth(t, 0);
    if (depth == 0) {
      r->bias_[t.output_group] += t.nodes[0].leaf_value;
      continue;
    }
    size_t leaves = 0;
    for (const GbdtNode& n : t.nodes) leaves += n.kind == GbdtNodeKind::kLeaf;
    if (depth <= kMaxFlatDepth && (depth <= 6 || (size_t{1} << depth) <= 32 * leaves) &&
        AllFoldable(t)) {
      FlatTree ft;
      ft.depth = depth;
      ft.output = static_cast<uint32_t>(t.output_group);
      ft.node_offset = static_cast<uint32_t>(r->nodes_.size());
      ft.leaf_offset = static_cast<uint32_t>(r->leaves_.size());
      r->nodes_.resize(r->nodes_.size() + (size_t{1} << depth) - 1);
      r->nan_right_.resize(r->nodes_.size());
      r->leaves_.resize(r->leaves_.size() + (size_t{1} << depth));
      Fill(t, 0, 0, 0, depth, binding, r->nodes_.data() + ft.node_offset,
           r->nan_right_.data() + ft.node_offset, r->leaves_.data() + ft.leaf_offset);
      r->flat_trees_.push_back(ft);
    } else {
      GbdtTree copy = t;
      for (GbdtNode& n : copy.nodes) {
        if (n.kind != GbdtNodeKind::kLeaf)
          n.feature = static_cast<uint32_t>(binding.layout_column[n.feature]);
      }
      r->exact_trees_.push_back(std::move(copy));
    }
  }
  if (kernel != GbdtKernel::kPortable) {
    auto simd = std::make_unique<internal::GbdtSimdLayout>();
    const size_t nn = r->nodes_.size();
    simd->feature.assign(nn + internal::kGbdtNodePadding, 0u);
    simd->threshold.assign(nn + internal::kGbdtNodePadding, std::numeric_limits<float>::infinity());
    // The kernels work on a column-major copy of the columns real nodes read
    // (padding nodes, threshold +inf, read the first one: any value goes left,
    // and their NaN bit is clear).
    absl::flat_hash_map<uint32_t, uint32_t> slot;  // layout column -> block column
    for (size_t i = 0; i < nn; ++i) {
      const FlatNode& node = r->nodes_[i];
      uint32_t word = 0;
      if (!std::isinf(node.threshold)) {
        auto [it, inserted] =
            slot.try_emplace(node.feature, static_cast<uint32_t>(simd->columns.size()));
        if (inserted) simd->columns.push_back(node.feature);
        word = it->second * static_cast<uint32_t>(kBlockRows);
      }
      simd->feature[i] = word | (r->nan_right_[i] ? internal::kGbdtNanRightBit : 0u);
      simd->threshold[i] = node.threshold;
    }
    for (const FlatTree& ft : r->flat_trees_) {
      simd->trees.push_back({ft.node_offset, ft.leaf_offset, ft.depth, ft.output});
    }
    simd->fn =
        kernel == GbdtKernel::kAvx512 ? internal::GbdtScoreFlatAvx512 : internal::GbdtScoreFlatAvx2;
    // Float leaves (one vector per 16 / 8 lanes instead of two) when every
    // leaf is a float: widening back to double is exact, so the sums match.
    bool float_leaves = true;
    for (double v : r->leaves_) {
      float_leaves &= static_cast<double>(static_cast<float>(v)) == v;
    }
    if (float_leaves) {
      simd->leaves_f.assign(r->leaves_.size() + internal::kGbdtNodePadding, 0.0f);
      for (size_t i = 0; i < r->leaves_.size(); ++i) {
        simd->leaves_f[i] = static_cast<float>(r->leaves_[i]);
      }
    }
    simd->ref = {simd->feature.data(), simd->threshold.data(),
                 r->leaves_.data(),    float_leaves ? simd->leaves_f.data() : nullptr,
                 simd->trees.data(),   simd->trees.size(),
                 simd->columns.data(), simd->columns.size()};
    // The portable layout is not read by a SIMD ranker.
    r->nodes_ = {};
    r->nan_right_ = {};
    r->simd_ = std::move(simd);
  }
  r->version_ = absl::StrFormat("gbdt:%s:%s:trees=%d:sha=%016x",
                                options.name.empty() ? model.source : options.name, model.objective,
                                model.trees.size(), model.content_hash);
  return r;
}

absl::StatusOr<std::unique_ptr<GbdtRanker>> GbdtRanker::BindByName(
    const GbdtModel& model, absl::Span<const std::string> layout_names, GbdtRankerOptions options) {
  AISLE_RETURN_IF_ERROR(model.Validate());  // bounds num_features before it sizes the mask
  if (model.feature_names.empty()) {
    return absl::FailedPreconditionError(
        absl::StrCat("GBDT model (", model.source, ") carries no feature names; bind it by index"));
  }
  AISLE_ASSIGN_OR_RETURN(
      FeatureBinding b,
      BindFeaturesByName(model.feature_names, NeededFeatures(model), layout_names, model.source));
  return Create(model, b, std::move(options));
}

absl::StatusOr<std::unique_ptr<GbdtRanker>> GbdtRanker::BindIdentity(const GbdtModel& model,
                                                                     GbdtRankerOptions options) {
  AISLE_RETURN_IF_ERROR(model.Validate());  // bounds num_features before it sizes the binding
  return Create(model, IdentityBinding(model.num_features), std::move(options));
}

void GbdtRanker::ScoreBlock(MatrixView features, size_t r0, size_t n, double* acc, double* scratch,
                            float* block) const {
  const size_t k = num_outputs_;
  const size_t cols = features.cols;
  if (simd_ != nullptr) {
    // The kernel accumulates column-major (per output, one slot per block row).
    for (size_t o = 0; o < k; ++o) {
      std::fill(scratch + o * kBlockRows, scratch + (o + 1) * kBlockRows, bias_[o]);
    }
    if (!simd_->trees.empty()) simd_->fn(simd_->ref, features.Row(r0), cols, n, block, scratch);
    for (size_t i = 0; i < n; ++i) {
      for (size_t o = 0; o < k; ++o) acc[i * k + o] = scratch[o * kBlockRows + i];
    }
  } else {
    const float* rows[kBlockRows];
    bool has_nan = false;
    for (size_t i = 0; i < n; ++i) {
      rows[i] = features.Row(r0 + i);
      for (size_t c = 0; c < cols; ++c) has_nan |= rows[i][c] != rows[i][c];
    }
    for (size_t i = 0; i < n; ++i) {
      for (size_t o = 0; o < k; ++o) acc[i * k + o] = bias_[o];
    }
    // Lanes of a partial last group re-read the last row and accumulate into
    // the spare slots of `acc` (it holds kBlockRows rows and padded <= kBlockRows).
    double* lane_acc[kBlockRows];
    const float* lane_rows[kBlockRows];
    const size_t padded = (n + kGroup - 1) / kGroup * kGroup;
    for (size_t i = 0; i < padded; ++i) {
      lane_acc[i] = acc + i * k;
      lane_rows[i] = rows[std::min(i, n - 1)];
    }
    const FlatNode* nodes = nodes_.data();
    const uint8_t* nan_right = nan_right_.data();
    const double* leaves = leaves_.data();
    for (const FlatTree& ft : flat_trees_) {
      const FlatNode* tn = nodes + ft.node_offset;
      const uint8_t* tr = nan_right + ft.node_offset;
      const double* tl = leaves + ft.leaf_offset;
      if (has_nan) {
        WalkTree<true>(tn, tr, tl, ft.depth, lane_rows, lane_acc, ft.output, padded);
      } else {
        WalkTree<false>(tn, tr, tl, ft.depth, lane_rows, lane_acc, ft.output, padded);
      }
    }
  }
  for (const GbdtTree& t : exact_trees_) {
    for (size_t i = 0; i < n; ++i) {
      const int32_t leaf = GbdtFindLeaf(t, features.RowSpan(r0 + i));
      acc[i * k + t.output_group] += t.nodes[leaf].leaf_value;
    }
  }
}

absl::Status GbdtRanker::ScoreAll(MatrixView features, MutableMatrixView out,
                                  GbdtOutput output) const {
  if (out.rows != features.rows || out.cols != num_outputs_) {
    return absl::InvalidArgumentError(absl::StrCat("GBDT ScoreAll: output is ", out.rows, "x",
                                                   out.cols, ", expected ", features.rows, "x",
                                                   num_outputs_));
  }
  if (features.cols != layout_size_) {
    return absl::InvalidArgumentError(absl::StrCat("GBDT ScoreAll: matrix has ", features.cols,
                                                   " columns, the ranker's layout has ",
                                                   layout_size_));
  }
  if (features.rows > 0 && (features.data == nullptr || out.data == nullptr)) {
    return absl::InvalidArgumentError("GBDT ScoreAll: null matrix data");
  }
  const size_t k = num_outputs_;
  double acc_small[2 * kBlockRows * 8];
  std::vector<double> acc_big;
  double* acc = acc_small;
  if (k > 8) {
    acc_big.resize(2 * kBlockRows * k);  // only for models with more than 8 outputs
    acc = acc_big.data();
  }
  double* scratch = acc + kBlockRows * k;
  float block_small[kBlockRows * kSmallBlockColumns];
  std::vector<float> block_big;
  float* block = block_small;
  if (simd_ != nullptr && simd_->columns.size() > kSmallBlockColumns) {
    block_big.resize(kBlockRows * simd_->columns.size());  // models reading > 64 columns
    block = block_big.data();
  }
  for (size_t r0 = 0; r0 < features.rows; r0 += kBlockRows) {
    const size_t n = std::min(kBlockRows, features.rows - r0);
    ScoreBlock(features, r0, n, acc, scratch, block);
    for (size_t i = 0; i < n; ++i) {
      double* m = acc + i * k;
      if (output == GbdtOutput::kTransformed) ApplyTransform(transform_, sigmoid_alpha_, m, k);
      float* o = out.Row(r0 + i);
      for (size_t j = 0; j < k; ++j) o[j] = static_cast<float>(m[j]);
    }
  }
  return absl::OkStatus();
}

absl::Status GbdtRanker::Score(MatrixView features, absl::Span<float> scores) const {
  return Score(features, scores, Deadline::Infinite());
}

absl::Status GbdtRanker::Score(MatrixView features, absl::Span<float> scores,
                               const Deadline& deadline) const {
  if (scores.size() != features.rows) {
    return absl::InvalidArgumentError(
        absl::StrCat("GBDT Score: ", scores.size(), " scores for ", features.rows, " rows"));
  }
  if (features.cols != layout_size_) {
    return absl::InvalidArgumentError(absl::StrCat("GBDT Score: matrix has ", features.cols,
                                                   " columns, the ranker's layout has ",
                                                   layout_size_));
  }
  if (features.rows > 0 && features.data == nullptr) {
    return absl::InvalidArgumentError("GBDT Score: null matrix data");
  }
  const size_t k = num_outputs_;
  int32_t pick = 0;
  if (k > 1) {
    pick = options_.score_output;
    if (pick < 0 || static_cast<size_t>(pick) >= k) {
      return absl::FailedPreconditionError(
          absl::StrCat("GBDT Score: the model has ", k,
                       " outputs; set GbdtRankerOptions::score_output or use ScoreAll()"));
    }
  }
  double acc_small[2 * kBlockRows * 8];
  std::vector<double> acc_big;
  double* acc = acc_small;
  if (k > 8) {
    acc_big.resize(2 * kBlockRows * k);  // only for models with more than 8 outputs
    acc = acc_big.data();
  }
  double* scratch = acc + kBlockRows * k;
  float block_small[kBlockRows * kSmallBlockColumns];
  std::vector<float> block_big;
  float* block = block_small;
  if (simd_ != nullptr && simd_->columns.size() > kSmallBlockColumns) {
    block_big.resize(kBlockRows * simd_->columns.size());  // models reading > 64 columns
    block = block_big.data();
  }
  for (size_t r0 = 0; r0 < features.rows; r0 += kBlockRows) {
    if (r0 > 0 && deadline.Expired()) {
      return absl::DeadlineExceededError(
          absl::StrCat("GBDT Score: deadline expired after ", r0, " of ", features.rows, " rows"));
    }
    const size_t n = std::min(kBlockRows, features.rows - r0);
    ScoreBlock(features, r0, n, acc, scratch, block);
    for (size_t i = 0; i < n; ++i) {
      double* m = acc + i * k;
      if (options_.output == GbdtOutput::kTransformed) {
        ApplyTransform(transform_, sigmoid_alpha_, m, k);
      }
      scores[r0 + i] = static_cast<float>(m[pick]);
    }
  }
  return absl::OkStatus();
}

}  // namespace aisle::ranking
