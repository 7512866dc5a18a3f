// Distance kernels for the ANN index, chosen once at run time from the CPU's
// features (AVX-512F, AVX2+FMA, or portable C++), so that a binary compiled
// for baseline x86-64 still uses the widest vector unit the machine has.
// hnswlib 0.6.2 picks its kernels at COMPILE time from __AVX__/__AVX512F__ and
// so runs its SSE code in aisle's baseline build.
//
// The kernels have hnswlib's DISTFUNC<float> signature: (a, b, param) where
// param points to the dimension as a size_t. ann_index.cc wraps them in
// hnswlib::SpaceInterface<float> subclasses; this header does not include
// hnswlib. Not part of the public API.
//
//   using namespace aisle::retrieval::internal;
//   const DistanceKernel k = ResolveDistanceKernel(DistanceKernel::kAuto);
//   const size_t dim = 64;
//   float d = InnerProductDistanceFn(k)(a, b, &dim);  // 1 - dot(a, b)
//
// Thread-safety: every function is thread-safe. The override is a process-wide
// atomic read when an index is built or loaded.
#ifndef AISLE_SRC_RETRIEVAL_ANN_SPACE_H_
#define AISLE_SRC_RETRIEVAL_ANN_SPACE_H_

#include <cstddef>
#include <cstdint>

#include "absl/strings/string_view.h"
#include "aisle/retrieval/metric.h"

namespace aisle::retrieval::internal {

// Same as hnswlib::DISTFUNC<float>.
using DistanceFn = float (*)(const void* a, const void* b, const void* dim_ptr);

enum class DistanceKernel : uint8_t {
  kAuto = 0,      // the best available: kAvx512, else kAvx2, else kPortable
  kPortable = 1,  // plain C++ (baseline x86-64 / any CPU)
  kAvx2 = 2,      // AVX2 + FMA, 8 floats per step
  kAvx512 = 3,    // AVX-512F, 16 floats per step, masked tail
  kHnswlib = 4,   // hnswlib's own spaces as compiled (SSE in aisle's build)
};

absl::string_view DistanceKernelName(DistanceKernel k);

// Whether this CPU can run `k` (kAuto, kPortable and kHnswlib: always).
bool DistanceKernelAvailable(DistanceKernel k);

// kAuto -> the best available kernel (decided once per process); any other
// value is returned as is.
DistanceKernel ResolveDistanceKernel(DistanceKernel k);

// The kernels of `k` (kPortable, kAvx2 or kAvx512, and available).
// Inner product distance is 1 - dot(a, b), as hnswlib's; L2 is the squared
// Euclidean distance.
DistanceFn InnerProductDistanceFn(DistanceKernel k);
DistanceFn L2SqrDistanceFn(DistanceKernel k);

// hnswlib's own kernel for `metric` (kCosine and kInnerProduct: its inner
// product space) at `dim`, as hnswlib's spaces pick it. Defined in
// ann_index.cc, the only translation unit that includes hnswlib.
DistanceFn HnswlibDistanceFn(Metric metric, size_t dim);

// Process-wide choice used by AnnIndex::Build and Load (kAuto by default).
// For benchmarks and tests that compare kernels in one binary; indexes built
// or loaded before the call keep their kernel. A kernel the CPU lacks falls
// back to kAuto.
void SetDistanceKernelOverride(DistanceKernel k);
DistanceKernel DistanceKernelOverride();

// ISA-specific kernels (ann_space_x86.cc). Call only when available.
float InnerProductDistanceAvx2(const void* a, const void* b, const void* dim_ptr);
float L2SqrDistanceAvx2(const void* a, const void* b, const void* dim_ptr);
float InnerProductDistanceAvx512(const void* a, const void* b, const void* dim_ptr);
float L2SqrDistanceAvx512(const void* a, const void* b, const void* dim_ptr);

}  // namespace aisle::retrieval::internal

#endif  // AISLE_SRC_RETRIEVAL_ANN_SPACE_H_
