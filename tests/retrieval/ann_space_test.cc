// The run-time dispatched ANN distance kernels against a double-precision
// scalar reference, and AnnIndex built with each available kernel.
#include "retrieval/ann_space.h"

#include <cmath>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "aisle/core/synthetic.h"
#include "aisle/retrieval/ann_index.h"
#include "aisle/retrieval/exact_index.h"
#include "gtest/gtest.h"

namespace aisle::retrieval::internal {
namespace {

constexpr DistanceKernel kAllKernels[] = {DistanceKernel::kPortable, DistanceKernel::kAvx2,
                                          DistanceKernel::kAvx512};

std::vector<DistanceKernel> AvailableKernels() {
  std::vector<DistanceKernel> out;
  for (DistanceKernel k : kAllKernels) {
    if (DistanceKernelAvailable(k)) out.push_back(k);
  }
  return out;
}

double RefDot(const float* a, const float* b, size_t n, double* abs_sum) {
  double s = 0, m = 0;
  for (size_t i = 0; i < n; ++i) {
    s += double(a[i]) * double(b[i]);
    m += std::abs(double(a[i]) * double(b[i]));
  }
  *abs_sum = m;
  return s;
}

double RefL2(const float* a, const float* b, size_t n) {
  double s = 0;
  for (size_t i = 0; i < n; ++i) {
    const double d = double(a[i]) - double(b[i]);
    s += d * d;
  }
  return s;
}

// Each vector in its own exact-size heap block (ASan sees any read past the
// end), at every dimension 1..130, for every kernel this CPU can run and for
// hnswlib's own kernels. Relative error 1e-5: the dot product against the sum
// of |a_i b_i| (the scale its rounding error is relative to; the IP distance
// is 1 - dot, compared as 1 - distance), the squared L2 against itself.
TEST(AnnSpace, EveryKernelMatchesDoubleReferenceForDims1To130) {
  std::mt19937_64 rng(11);
  std::normal_distribution<float> g(0.0f, 1.0f);
  for (size_t dim = 1; dim <= 130; ++dim) {
    for (int trial = 0; trial < 4; ++trial) {
      auto a = std::make_unique<float[]>(dim);
      auto b = std::make_unique<float[]>(dim);
      for (size_t i = 0; i < dim; ++i) {
        a[i] = g(rng) * (trial == 3 ? 100.0f : 1.0f);
        b[i] = g(rng);
      }
      double abs_sum = 0;
      const double dot = RefDot(a.get(), b.get(), dim, &abs_sum);
      const double l2 = RefL2(a.get(), b.get(), dim);
      std::vector<std::pair<std::string, std::pair<DistanceFn, DistanceFn>>> fns;
      for (DistanceKernel k : AvailableKernels()) {
        fns.push_back(
            {std::string(DistanceKernelName(k)), {InnerProductDistanceFn(k), L2SqrDistanceFn(k)}});
      }
      fns.push_back(
          {"hnswlib",
           {HnswlibDistanceFn(Metric::kInnerProduct, dim), HnswlibDistanceFn(Metric::kL2, dim)}});
      for (const auto& [name, f] : fns) {
        SCOPED_TRACE(absl::StrCat(name, " dim ", dim, " trial ", trial));
        const float ip_dist = f.first(a.get(), b.get(), &dim);
        // 1 - dist recovers the dot up to the rounding of the subtraction,
        // which is within 1 ulp of max(1, |dot|).
        const double got_dot = 1.0 - double(ip_dist);
        EXPECT_NEAR(got_dot, dot, 1e-5 * std::max(1.0, abs_sum));
        const float l2_dist = f.second(a.get(), b.get(), &dim);
        EXPECT_NEAR(l2_dist, l2, 1e-5 * l2);
      }
    }
  }
}

TEST(AnnSpace, UnalignedInputsMatchReference) {
  std::mt19937_64 rng(5);
  std::uniform_real_distribution<float> u(-1, 1);
  std::vector<float> buf(300);
  for (float& v : buf) v = u(rng);
  for (DistanceKernel k : AvailableKernels()) {
    for (size_t dim : {7u, 16u, 33u, 64u, 100u, 128u}) {
      for (size_t off = 1; off < 4; ++off) {
        SCOPED_TRACE(absl::StrCat(DistanceKernelName(k), " dim ", dim, " offset ", off));
        const float* a = buf.data() + off;
        const float* b = buf.data() + 150 + 2 * off;
        double abs_sum = 0;
        const double dot = RefDot(a, b, dim, &abs_sum);
        EXPECT_NEAR(1.0 - double(InnerProductDistanceFn(k)(a, b, &dim)), dot,
                    1e-5 * std::max(1.0, abs_sum));
        const double l2 = RefL2(a, b, dim);
        EXPECT_NEAR(L2SqrDistanceFn(k)(a, b, &dim), l2, 1e-5 * l2);
      }
    }
  }
}

TEST(AnnSpace, AutoResolvesToTheWidestAvailableKernel) {
  const DistanceKernel best = ResolveDistanceKernel(DistanceKernel::kAuto);
  EXPECT_TRUE(DistanceKernelAvailable(best));
  EXPECT_NE(best, DistanceKernel::kAuto);
  EXPECT_NE(best, DistanceKernel::kHnswlib);
  if (DistanceKernelAvailable(DistanceKernel::kAvx512)) {
    EXPECT_EQ(best, DistanceKernel::kAvx512);
  } else if (DistanceKernelAvailable(DistanceKernel::kAvx2)) {
    EXPECT_EQ(best, DistanceKernel::kAvx2);
  } else {
    EXPECT_EQ(best, DistanceKernel::kPortable);
  }
  EXPECT_EQ(ResolveDistanceKernel(DistanceKernel::kPortable), DistanceKernel::kPortable);
  EXPECT_EQ(DistanceKernelName(DistanceKernel::kAvx2), "avx2");
}

TEST(AnnSpace, OverrideFallsBackToAutoForUnavailableKernels) {
  for (DistanceKernel k : {DistanceKernel::kPortable, DistanceKernel::kAvx2,
                           DistanceKernel::kAvx512, DistanceKernel::kHnswlib}) {
    SetDistanceKernelOverride(k);
    EXPECT_EQ(DistanceKernelOverride(), DistanceKernelAvailable(k) ? k : DistanceKernel::kAuto)
        << DistanceKernelName(k);
  }
  SetDistanceKernelOverride(DistanceKernel::kAuto);
  EXPECT_EQ(DistanceKernelOverride(), DistanceKernel::kAuto);
}

// An index built under every kernel answers like the exact
// index: same top item for an indexed vector, scores within float rounding.
TEST(AnnSpace, AnnIndexUnderEveryKernelAgreesWithExactSearch) {
  const size_t kCount = 600, kDim = 37;  // odd dim: every kernel's tail runs
  const ClusteredVectors base =
      MakeClusteredVectors({.count = kCount, .dim = kDim, .clusters = 12, .seed = 3});
  const MatrixView view(base.data.data(), kCount, kDim);
  std::vector<DistanceKernel> kernels = AvailableKernels();
  kernels.push_back(DistanceKernel::kHnswlib);
  for (Metric metric : {Metric::kCosine, Metric::kInnerProduct, Metric::kL2}) {
    auto exact = ExactIndex::Build(view, metric);
    ASSERT_TRUE(exact.ok()) << exact.status();
    for (DistanceKernel k : kernels) {
      SCOPED_TRACE(absl::StrCat(MetricName(metric), " ", DistanceKernelName(k)));
      SetDistanceKernelOverride(k);
      auto ann = AnnIndex::Build(view, {.metric = metric, .M = 16, .ef_construction = 100});
      SetDistanceKernelOverride(DistanceKernel::kAuto);
      ASSERT_TRUE(ann.ok()) << ann.status();
      std::vector<ScoredItem> got, want;
      double hits = 0;
      for (size_t q = 0; q < 30; ++q) {
        absl::Span<const float> query(&base.data[q * 17 * kDim], kDim);
        ASSERT_TRUE((*ann)->Search(query, {.k = 5, .ef = 200}, got).ok());
        ASSERT_TRUE(exact->Search(query, {.k = 5}, want).ok());
        ASSERT_FALSE(got.empty());
        hits += got[0].item == want[0].item;
        // The score of whatever item came back, recomputed in double.
        const float* item = &base.data[got[0].item * kDim];
        double abs_sum = 0;
        double want_score;
        if (metric == Metric::kL2) {
          want_score = -RefL2(query.data(), item, kDim);
          abs_sum = -want_score;
        } else if (metric == Metric::kInnerProduct) {
          want_score = RefDot(query.data(), item, kDim, &abs_sum);
        } else {
          double qq = 0, ii = 0;
          want_score = RefDot(query.data(), item, kDim, &abs_sum);
          RefDot(query.data(), query.data(), kDim, &qq);
          RefDot(item, item, kDim, &ii);
          want_score /= std::sqrt(qq * ii);
          abs_sum = 1;
        }
        EXPECT_NEAR(got[0].score, want_score, 1e-4 * std::max(1.0, abs_sum)) << "query " << q;
      }
      EXPECT_GE(hits / 30, 0.9);
    }
  }
}

}  // namespace
}  // namespace aisle::retrieval::internal
