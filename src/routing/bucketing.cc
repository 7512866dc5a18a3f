#include "aisle/routing/bucketing.h"

#include <cstddef>
#include <vector>

#include "aisle/routing/experiment_hash.h"

namespace aisle::routing {

std::vector<double> GetEqualWeights(int n) {
  if (n <= 0 || n > kMaxVariations) return {};
  return std::vector<double>(static_cast<size_t>(n), 1.0 / n);
}

std::vector<BucketRange> GetBucketRanges(int num_variations, double coverage,
                                         absl::Span<const double> weights) {
  if (num_variations <= 0 || num_variations > kMaxVariations) return {};
  // `!(coverage >= 0)` also maps NaN to 0.
  if (!(coverage >= 0.0)) {
    coverage = 0.0;
  } else if (coverage > 1.0) {
    coverage = 1.0;
  }
  std::vector<double> w;
  if (weights.size() == static_cast<size_t>(num_variations)) {
    double total = 0.0;
    for (double x : weights) total += x;
    if (total >= 0.99 && total <= 1.01) w.assign(weights.begin(), weights.end());
  }
  if (w.empty()) w = GetEqualWeights(num_variations);

  std::vector<BucketRange> ranges;
  ranges.reserve(w.size());
  double cumulative = 0.0;
  for (double x : w) {
    const double start = cumulative;
    cumulative += x;
    ranges.push_back({start, start + coverage * x});
  }
  return ranges;
}

int ChooseVariation(double n, absl::Span<const BucketRange> ranges) {
  for (size_t i = 0; i < ranges.size(); ++i) {
    if (ranges[i].Contains(n)) return static_cast<int>(i);
  }
  return -1;
}

bool InNamespace(absl::string_view unit_id, const Namespace& ns) {
  // hash("__" + id, unit, 1) = fnv32a(unit + "__" + id) % 1000 / 1000.
  uint32_t h = Fnv32aUpdate(kFnv32aOffsetBasis, unit_id);
  h = Fnv32aUpdate(h, "__");
  h = Fnv32aUpdate(h, ns.id);
  const double n = static_cast<double>(h % 1000) / 1000.0;
  return n >= ns.start && n < ns.end;
}

}  // namespace aisle::routing
