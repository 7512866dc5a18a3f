// File: aisle/routing/bucketing.h
//
// GrowthBook-compatible bucketing (spec 0.8.0): equal weights, bucket ranges
// from coverage and weights (getBucketRanges), choosing a variation from a
// hash (chooseVariation), and namespace membership (inNamespace). These are the
// building blocks of ExperimentRouter; they are exposed so that tests and
// tooling can check parity with GrowthBook's SDKs.
//
//   std::vector<BucketRange> r = GetBucketRanges(2, /*coverage=*/0.5, {});
//   // r == {[0, 0.25), [0.5, 0.75)}
//   int v = ChooseVariation(HashV2("exp", "user-1"), r);   // -1: not covered
//   bool in = InNamespace("user-1", {"layer-a", 0.0, 0.4});
//
// All functions are pure: thread-safe.
#ifndef AISLE_ROUTING_BUCKETING_H_
#define AISLE_ROUTING_BUCKETING_H_

#include <vector>

#include "absl/strings/string_view.h"
#include "absl/types/span.h"

namespace aisle::routing {

// A half-open interval [start, end) of the unit hash space [0, 1).
struct BucketRange {
  double start = 0.0;
  double end = 0.0;

  bool Contains(double n) const { return n >= start && n < end; }
};

// GrowthBook namespace: units whose v1 hash with seed "__" + id falls in
// [start, end).
struct Namespace {
  absl::string_view id;
  double start = 0.0;
  double end = 1.0;
};

// Most variations one experiment may have (ExperimentConfig validation
// enforces it; the functions below return no ranges above it rather than
// allocating for an absurd count).
inline constexpr int kMaxVariations = 1 << 16;

// n equal weights 1/n; empty for n <= 0 or n > kMaxVariations.
std::vector<double> GetEqualWeights(int n);

// One range per variation, laid out left to right by cumulative weight, each
// shortened to coverage * weight. Follows GrowthBook exactly, including its
// lenient input handling: coverage is clamped to [0, 1]; weights whose size is
// not num_variations, or whose sum is outside [0.99, 1.01], are replaced by
// equal weights (an empty span also means equal weights). Validation of
// configs (which rejects such input instead) is ExperimentConfig's job. Empty
// for num_variations <= 0 or > kMaxVariations.
std::vector<BucketRange> GetBucketRanges(int num_variations, double coverage,
                                         absl::Span<const double> weights);

// Index of the first range containing n, or -1 if none does.
int ChooseVariation(double n, absl::Span<const BucketRange> ranges);

// GrowthBook inNamespace(hashValue, [id, start, end]).
bool InNamespace(absl::string_view unit_id, const Namespace& ns);

}  // namespace aisle::routing

#endif  // AISLE_ROUTING_BUCKETING_H_
