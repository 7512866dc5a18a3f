// File: aisle/ranking/gbdt_ranker.h
//
// GbdtRanker: a Ranker over a GBDT ensemble (XGBoost or LightGBM), bound at
// load to a feature layout and compiled into a flat, cache-friendly layout
// for batch scoring. It reproduces the source library's predictions (split
// comparisons, missing values, categorical splits, base score, output
// transform). NaN inputs follow the model's missing rules; Inf compares as a
// number; nothing at serve time fails on values.
//
//   AISLE_ASSIGN_OR_RETURN(GbdtModel model, LoadXgboostModelFile("ctr.json"));
//   std::vector<std::string> layout = {"price", "ctr_7d", "age_days"};
//   AISLE_ASSIGN_OR_RETURN(std::unique_ptr<GbdtRanker> ranker,
//                          GbdtRanker::BindByName(model, layout));
//   std::vector<float> scores(matrix.rows);
//   AISLE_RETURN_IF_ERROR(ranker->Score(matrix, absl::MakeSpan(scores)));
//
// Flat trees are scored by the fastest kernel the CPU supports (AVX-512,
// AVX2, or the portable C++ one), chosen once at Create; all kernels give
// bit-identical scores. GbdtRankerOptions::kernel forces one, and
// kernel_name() says which one runs:
//
//   GbdtRankerOptions opts;
//   opts.kernel = GbdtKernel::kPortable;  // e.g. to compare, or to rule out SIMD
//   AISLE_ASSIGN_OR_RETURN(auto portable, GbdtRanker::BindIdentity(model, opts));
//   portable->kernel_name();  // "portable"
//
// GbdtRanker is immutable after Create: thread-safe (concurrent Score() calls
// share nothing mutable; scratch lives on the caller's stack, or on the heap
// per call for models with more than 8 outputs or SIMD-scored trees reading
// more than 64 distinct columns).
#ifndef AISLE_RANKING_GBDT_RANKER_H_
#define AISLE_RANKING_GBDT_RANKER_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "aisle/core/deadline.h"
#include "aisle/core/matrix.h"
#include "aisle/ranking/gbdt_model.h"
#include "aisle/ranking/model_binding.h"
#include "aisle/ranking/ranker.h"

namespace aisle::ranking {

enum class GbdtOutput : uint8_t {
  kTransformed = 0,  // probability / response scale, as XGBoost predict() and LightGBM predict()
  kMargin = 1,       // raw margin (output_margin=True / raw_score=True)
};

// Which flat-tree scoring kernel a GbdtRanker uses. Every kernel produces
// bit-identical scores; they differ only in speed.
enum class GbdtKernel : uint8_t {
  kAuto = 0,      // the fastest the CPU supports: AVX-512, else AVX2, else portable
  kPortable = 1,  // plain C++ (8 rows in lockstep), any CPU
  kAvx2 = 2,      // 8 rows per vector; FailedPrecondition at Create without AVX2
  kAvx512 = 3,    // 16 rows per vector; FailedPrecondition at Create without AVX-512F
};

// "auto", "portable", "avx2", "avx512".
absl::string_view GbdtKernelName(GbdtKernel kernel);
// Whether this CPU (and OS) can run `kernel` (kAuto and kPortable: always).
bool GbdtKernelSupported(GbdtKernel kernel);

struct GbdtRankerOptions {
  // What Score() writes.
  GbdtOutput output = GbdtOutput::kTransformed;
  // For multi-output models Score() writes this output (class); required
  // there, ignored otherwise.
  int32_t score_output = -1;
  // Model name placed in version(), e.g. "ctr-2026-11-20". Empty: the source.
  std::string name;
  // Flat-tree kernel; kAuto picks the fastest supported one.
  GbdtKernel kernel = GbdtKernel::kAuto;
};

namespace internal {
struct GbdtSimdLayout;
}  // namespace internal

class GbdtRanker final : public Ranker {
 public:
  ~GbdtRanker() override;

  // Compiles `model` for matrices laid out as `binding` says. InvalidArgument
  // if the binding does not cover the features the model reads.
  static absl::StatusOr<std::unique_ptr<GbdtRanker>> Create(const GbdtModel& model,
                                                            const FeatureBinding& binding,
                                                            GbdtRankerOptions options = {});
  // Binds by feature name (the model must carry names). A feature the model
  // reads that the layout lacks is NotFound naming the feature.
  static absl::StatusOr<std::unique_ptr<GbdtRanker>> BindByName(
      const GbdtModel& model, absl::Span<const std::string> layout_names,
      GbdtRankerOptions options = {});
  // Binds model feature i to column i (matrices have model.num_features columns).
  static absl::StatusOr<std::unique_ptr<GbdtRanker>> BindIdentity(const GbdtModel& model,
                                                                  GbdtRankerOptions options = {});

  // "gbdt:<name or source>:<objective>:trees=<n>:sha=<16 hex of XXH64>".
  absl::string_view version() const override { return version_; }
  size_t num_features() const override { return layout_size_; }
  size_t num_outputs() const { return num_outputs_; }
  // The kernel chosen at Create: "portable", "avx2" or "avx512" (never "auto").
  absl::string_view kernel_name() const { return GbdtKernelName(kernel_); }
  GbdtKernel kernel() const { return kernel_; }

  // One score per row (see GbdtRankerOptions).
  absl::Status Score(MatrixView features, absl::Span<float> scores) const override;
  // As Score(), checking `deadline` every block of rows; DeadlineExceeded
  // when it expires (scores of finished blocks are written).
  absl::Status Score(MatrixView features, absl::Span<float> scores, const Deadline& deadline) const;
  // All outputs: out is rows x num_outputs().
  absl::Status ScoreAll(MatrixView features, MutableMatrixView out, GbdtOutput output) const;

  // Model features the model reads (1) or never reads (0).
  static std::vector<uint8_t> NeededFeatures(const GbdtModel& model);

  // Internal compiled layout; public so the .cc helpers can name it.
  struct FlatNode {
    float threshold;   // go right when x > threshold
    uint32_t feature;  // layout column
  };
  struct FlatTree {
    uint32_t node_offset;  // into nodes_: 2^depth - 1 nodes in breadth-first order
    uint32_t leaf_offset;  // into leaves_: 2^depth leaves
    uint32_t depth;
    uint32_t output;
  };

 private:
  GbdtRanker() = default;
  // Scores rows [r0, r0 + n) of `features` into acc (n x num_outputs,
  // row-major); scratch holds kBlockRows * num_outputs doubles and block the
  // SIMD kernels' column-major copy (kBlockRows floats per column read).
  void ScoreBlock(MatrixView features, size_t r0, size_t n, double* acc, double* scratch,
                  float* block) const;

  std::string version_;
  size_t layout_size_ = 0;
  uint32_t num_outputs_ = 1;
  GbdtRankerOptions options_;
  GbdtTransform transform_ = GbdtTransform::kIdentity;
  double sigmoid_alpha_ = 1.0;
  std::vector<double> bias_;  // base margin + single-leaf trees, per output
  std::vector<FlatNode> nodes_;
  std::vector<uint8_t> nan_right_;  // per node of nodes_: NaN goes right
  std::vector<double> leaves_;
  std::vector<FlatTree> flat_trees_;
  // Trees that keep the exact per-node path (categorical splits, LightGBM
  // zero-as-missing nodes, or too deep to pad): features remapped to columns.
  std::vector<GbdtTree> exact_trees_;
  GbdtKernel kernel_ = GbdtKernel::kPortable;
  // Structure-of-arrays copy of the flat trees for the SIMD kernels (null
  // for the portable kernel).
  std::unique_ptr<const internal::GbdtSimdLayout> simd_;
};

}  // namespace aisle::ranking

#endif  // AISLE_RANKING_GBDT_RANKER_H_
