// File: aisle/retrieval/metric.h
//
// The similarity metrics of aisle's vector indexes (ANN and exact). Every
// index reports a score where higher is better:
//
//   kInnerProduct  score = dot(item, query)
//   kCosine        score = dot(item / |item|, query / |query|)  (vectors are
//                  normalized at build and at query time)
//   kL2            score = -|item - query|^2  (negated squared distance)
//
//   aisle::retrieval::Metric m = aisle::retrieval::Metric::kCosine;
//   absl::string_view name = aisle::retrieval::MetricName(m);  // "cosine"
//
// Pure functions and values: thread-safe.
#ifndef AISLE_RETRIEVAL_METRIC_H_
#define AISLE_RETRIEVAL_METRIC_H_

#include <cstdint>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace aisle::retrieval {

// Stored as a byte in index files: values are never renumbered.
enum class Metric : uint8_t {
  kInnerProduct = 0,
  kCosine = 1,
  kL2 = 2,
};

// "inner_product", "cosine", "l2"; "unknown" for a value outside the enum.
absl::string_view MetricName(Metric metric);

// Parses the names MetricName returns. InvalidArgument names the bad value.
absl::StatusOr<Metric> ParseMetric(absl::string_view name);

}  // namespace aisle::retrieval

#endif  // AISLE_RETRIEVAL_METRIC_H_
