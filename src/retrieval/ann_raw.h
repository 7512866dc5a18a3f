// Raw hnswlib calls on an AnnIndex's own graph, for benchmarks that measure
// aisle against hnswlib itself (same index, same parameters, same binary).
// hnswlib stays confined to ann_index.cc. Not part of the public API.
//
// Not thread-safe: SetEf changes hnswlib's one global search breadth, which
// races with concurrent searches; use from a single benchmark thread.
#ifndef AISLE_SRC_RETRIEVAL_ANN_RAW_H_
#define AISLE_SRC_RETRIEVAL_ANN_RAW_H_

#include <cstddef>

#include "aisle/core/ids.h"
#include "aisle/retrieval/ann_index.h"

namespace aisle::retrieval::internal {

class AnnIndexRawAccess {
 public:
  // hnswlib's setEf.
  static void SetEf(const AnnIndex& index, size_t ef);
  // hnswlib's searchKnn(query, k) (query already normalized for kCosine);
  // writes up to k labels to out, best first, and returns how many.
  static size_t SearchKnn(const AnnIndex& index, const float* query, size_t k, ItemIndex* out);
};

}  // namespace aisle::retrieval::internal

#endif  // AISLE_SRC_RETRIEVAL_ANN_RAW_H_
