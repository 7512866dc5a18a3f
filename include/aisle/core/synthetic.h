// File: aisle/core/synthetic.h
//
// Deterministic synthetic data for examples, tests and benchmarks: clustered
// float vectors that behave like real item embeddings (items of a category
// sit near each other), and a Zipf sampler for skewed popularity.
//
//   aisle::ClusteredVectors v = aisle::MakeClusteredVectors(
//       {.count = 100000, .dim = 64, .clusters = 256, .seed = 7});
//   // v.data is count x dim, row-major; v.cluster[i] is item i's cluster.
//
// Thread-safe (pure functions).
#ifndef AISLE_CORE_SYNTHETIC_H_
#define AISLE_CORE_SYNTHETIC_H_

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <random>
#include <vector>

namespace aisle {

struct ClusteredVectorsOptions {
  size_t count = 10000;
  size_t dim = 64;
  size_t clusters = 100;
  // Standard deviation of points around their cluster centre; centres are
  // drawn from a unit normal per dimension.
  float spread = 0.35f;
  bool normalize = false;  // scale each row to unit length
  uint64_t seed = 1;
};

struct ClusteredVectors {
  std::vector<float> data;        // count x dim, row-major
  std::vector<uint32_t> cluster;  // count
  size_t dim = 0;
};

inline ClusteredVectors MakeClusteredVectors(const ClusteredVectorsOptions& o) {
  std::mt19937_64 rng(o.seed);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<float> centres(o.clusters * o.dim);
  for (float& c : centres) c = normal(rng);
  ClusteredVectors out;
  out.dim = o.dim;
  out.data.resize(o.count * o.dim);
  out.cluster.resize(o.count);
  std::uniform_int_distribution<size_t> pick(0, o.clusters == 0 ? 0 : o.clusters - 1);
  for (size_t i = 0; i < o.count; ++i) {
    const size_t c = pick(rng);
    out.cluster[i] = static_cast<uint32_t>(c);
    float* row = &out.data[i * o.dim];
    double norm = 0;
    for (size_t d = 0; d < o.dim; ++d) {
      row[d] = centres[c * o.dim + d] + o.spread * normal(rng);
      norm += double(row[d]) * row[d];
    }
    if (o.normalize && norm > 0) {
      const float inv = static_cast<float>(1.0 / std::sqrt(norm));
      for (size_t d = 0; d < o.dim; ++d) row[d] *= inv;
    }
  }
  return out;
}

// Samples ranks 0..n-1 with P(r) proportional to 1 / (r + 1)^s.
class ZipfSampler {
 public:
  ZipfSampler(size_t n, double s) : cdf_(n) {
    double total = 0;
    for (size_t r = 0; r < n; ++r) {
      total += 1.0 / std::pow(double(r + 1), s);
      cdf_[r] = total;
    }
    for (double& c : cdf_) c /= total;
  }
  template <typename Rng>
  size_t operator()(Rng& rng) const {
    const double u = std::uniform_real_distribution<double>(0.0, 1.0)(rng);
    size_t lo = 0, hi = cdf_.size();
    while (lo < hi) {
      const size_t mid = (lo + hi) / 2;
      if (cdf_[mid] < u)
        lo = mid + 1;
      else
        hi = mid;
    }
    return lo < cdf_.size() ? lo : cdf_.size() - 1;
  }

 private:
  std::vector<double> cdf_;
};

}  // namespace aisle

#endif  // AISLE_CORE_SYNTHETIC_H_
