// Instruction-count comparison of aisle's ANN search against raw hnswlib on
// the same graph, for machines too noisy to resolve a few percent in time.
// Run each mode under callgrind; the "none" mode builds the same index and
// queries without searching, so its count is the baseline to subtract:
//
//   for m in none aisle raw; do
//     valgrind --tool=callgrind --callgrind-out-file=/tmp/cg.$m
//         build/benchmarks/retrieval/ann_overhead_benchmark $m 2>&1 | grep refs
//   done
//   overhead = (Ir(aisle) - Ir(none)) / (Ir(raw) - Ir(none)) - 1
//
// The index is built with one thread and a fixed seed, so every mode builds
// the same graph and executes the same instructions outside the searches.
//
// Like with like: "raw" calls hnswlib's searchKnn on the AnnIndex's own
// hnswlib object, so both modes compute distances with the same space. Since
// AnnIndex picks its distance kernel at run time (AVX-512F / AVX2 / portable,
// retrieval/ann_space.h) both modes use that kernel, and the overhead is now
// relative to a search whose distances are cheaper than hnswlib's SSE ones.
// The optional second argument forces the kernel of both modes:
// auto (default) | hnswlib (hnswlib's own SSE spaces, the figure before
// run-time dispatch) | portable | avx2 | avx512. Compare runs with the same
// kernel only; its name is printed.
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "aisle/core/synthetic.h"
#include "aisle/retrieval/ann_index.h"
#include "retrieval/ann_raw.h"
#include "retrieval/ann_space.h"

int main(int argc, char** argv) {
  const std::string mode = argc > 1 ? argv[1] : "aisle";
  if (mode != "none" && mode != "aisle" && mode != "raw") {
    std::fprintf(stderr, "usage: %s none|aisle|raw [auto|hnswlib|portable|avx2|avx512]\n", argv[0]);
    return 2;
  }
  using aisle::retrieval::internal::DistanceKernel;
  const std::string kernel_name = argc > 2 ? argv[2] : "auto";
  bool known = false;
  for (DistanceKernel k :
       {DistanceKernel::kAuto, DistanceKernel::kHnswlib, DistanceKernel::kPortable,
        DistanceKernel::kAvx2, DistanceKernel::kAvx512}) {
    if (aisle::retrieval::internal::DistanceKernelName(k) != kernel_name) continue;
    if (!aisle::retrieval::internal::DistanceKernelAvailable(k)) {
      std::fprintf(stderr, "kernel %s is not available on this CPU\n", kernel_name.c_str());
      return 2;
    }
    aisle::retrieval::internal::SetDistanceKernelOverride(k);
    known = true;
  }
  if (!known) {
    std::fprintf(stderr, "unknown kernel '%s'\n", kernel_name.c_str());
    return 2;
  }
  constexpr size_t kItems = 10000, kDim = 64, kQueries = 2000, kK = 10, kEf = 64;
  aisle::ClusteredVectors base = aisle::MakeClusteredVectors(
      {.count = kItems, .dim = kDim, .clusters = 100, .normalize = true, .seed = 11});
  aisle::ClusteredVectors queries = aisle::MakeClusteredVectors(
      {.count = kQueries, .dim = kDim, .clusters = 100, .normalize = true, .seed = 11});
  aisle::retrieval::AnnIndexOptions o;
  o.metric = aisle::retrieval::Metric::kCosine;
  o.M = 16;
  o.ef_construction = 100;
  o.default_ef = kEf;
  o.threads = 1;
  auto index =
      aisle::retrieval::AnnIndex::Build(aisle::MatrixView(base.data.data(), kItems, kDim), o);
  if (!index.ok()) {
    std::fprintf(stderr, "%s\n", std::string(index.status().message()).c_str());
    return 1;
  }
  aisle::retrieval::internal::AnnIndexRawAccess::SetEf(**index, kEf);
  std::vector<aisle::retrieval::ScoredItem> out;
  aisle::ItemIndex raw_out[kK];
  size_t checksum = 0;
  for (size_t q = 0; q < kQueries; ++q) {
    const float* query = queries.data.data() + q * kDim;
    if (mode == "aisle") {
      aisle::retrieval::VectorSearchParams p;
      p.k = kK;
      p.ef = kEf;
      if (!(*index)->Search(absl::MakeConstSpan(query, kDim), p, out).ok()) return 1;
      for (const auto& s : out) checksum += s.item;
    } else if (mode == "raw") {
      const size_t n =
          aisle::retrieval::internal::AnnIndexRawAccess::SearchKnn(**index, query, kK, raw_out);
      for (size_t i = 0; i < n; ++i) checksum += raw_out[i];
    }
  }
  std::printf("mode=%s kernel=%s queries=%zu checksum=%zu\n", mode.c_str(),
              std::string(aisle::retrieval::internal::DistanceKernelName(
                              aisle::retrieval::internal::ResolveDistanceKernel(
                                  aisle::retrieval::internal::DistanceKernelOverride())))
                  .c_str(),
              kQueries, checksum);
  return 0;
}
