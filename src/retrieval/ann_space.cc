// Run-time choice of the ANN distance kernels and the portable kernels.
#include "retrieval/ann_space.h"

#include <atomic>

namespace aisle::retrieval::internal {
namespace {

// Eight independent partial sums: the compiler keeps them in two SSE
// registers at baseline x86-64 without reassociating anything.
float PortableDot(const float* a, const float* b, size_t n) {
  float acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    for (int j = 0; j < 8; ++j) acc[j] += a[i + j] * b[i + j];
  }
  float s = ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7]));
  for (; i < n; ++i) s += a[i] * b[i];
  return s;
}

float PortableL2(const float* a, const float* b, size_t n) {
  float acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    for (int j = 0; j < 8; ++j) {
      const float d = a[i + j] - b[i + j];
      acc[j] += d * d;
    }
  }
  float s = ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7]));
  for (; i < n; ++i) {
    const float d = a[i] - b[i];
    s += d * d;
  }
  return s;
}

float InnerProductDistancePortable(const void* a, const void* b, const void* dim_ptr) {
  return 1.0f - PortableDot(static_cast<const float*>(a), static_cast<const float*>(b),
                            *static_cast<const size_t*>(dim_ptr));
}

float L2SqrDistancePortable(const void* a, const void* b, const void* dim_ptr) {
  return PortableL2(static_cast<const float*>(a), static_cast<const float*>(b),
                    *static_cast<const size_t*>(dim_ptr));
}

bool CpuHasAvx512() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx512f");
#else
  return false;
#endif
}

bool CpuHasAvx2Fma() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#else
  return false;
#endif
}

DistanceKernel BestKernel() {
  static const DistanceKernel best = CpuHasAvx512()    ? DistanceKernel::kAvx512
                                     : CpuHasAvx2Fma() ? DistanceKernel::kAvx2
                                                       : DistanceKernel::kPortable;
  return best;
}

std::atomic<DistanceKernel> g_override{DistanceKernel::kAuto};

}  // namespace

absl::string_view DistanceKernelName(DistanceKernel k) {
  switch (k) {
    case DistanceKernel::kAuto:
      return "auto";
    case DistanceKernel::kPortable:
      return "portable";
    case DistanceKernel::kAvx2:
      return "avx2";
    case DistanceKernel::kAvx512:
      return "avx512";
    case DistanceKernel::kHnswlib:
      return "hnswlib";
  }
  return "unknown";
}

bool DistanceKernelAvailable(DistanceKernel k) {
  switch (k) {
    case DistanceKernel::kAvx512:
      return CpuHasAvx512();
    case DistanceKernel::kAvx2:
      return CpuHasAvx2Fma();
    default:
      return true;
  }
}

DistanceKernel ResolveDistanceKernel(DistanceKernel k) {
  return k == DistanceKernel::kAuto ? BestKernel() : k;
}

DistanceFn InnerProductDistanceFn(DistanceKernel k) {
  switch (ResolveDistanceKernel(k)) {
    case DistanceKernel::kAvx512:
      return InnerProductDistanceAvx512;
    case DistanceKernel::kAvx2:
      return InnerProductDistanceAvx2;
    default:
      return InnerProductDistancePortable;
  }
}

DistanceFn L2SqrDistanceFn(DistanceKernel k) {
  switch (ResolveDistanceKernel(k)) {
    case DistanceKernel::kAvx512:
      return L2SqrDistanceAvx512;
    case DistanceKernel::kAvx2:
      return L2SqrDistanceAvx2;
    default:
      return L2SqrDistancePortable;
  }
}

void SetDistanceKernelOverride(DistanceKernel k) {
  g_override.store(DistanceKernelAvailable(k) ? k : DistanceKernel::kAuto,
                   std::memory_order_relaxed);
}

DistanceKernel DistanceKernelOverride() { return g_override.load(std::memory_order_relaxed); }

}  // namespace aisle::retrieval::internal
