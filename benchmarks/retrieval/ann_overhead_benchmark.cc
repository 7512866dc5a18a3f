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
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "aisle/core/synthetic.h"
#include "aisle/retrieval/ann_index.h"
#include "retrieval/ann_raw.h"

int main(int argc, char** argv) {
  const std::string mode = argc > 1 ? argv[1] : "aisle";
  if (mode != "none" && mode != "aisle" && mode != "raw") {
    std::fprintf(stderr, "usage: %s none|aisle|raw\n", argv[0]);
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
  std::printf("mode=%s queries=%zu checksum=%zu\n", mode.c_str(), kQueries, checksum);
  return 0;
}
