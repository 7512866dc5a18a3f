// Catalog load throughput: items/s for CSV and JSONL item files, rows/s for
// .npy and AISLEEMB embedding files, and the synthetic 1M-item storefront.
// A naive std::getline/std::stringstream/std::stof CSV parse runs in the same
// binary as the peer for the fast CSV path.
//
// Input files are generated once per run under $TMPDIR (default /tmp) from
// the synthetic catalog (seed 1); generation is not timed.
//
//   ./build/benchmarks/catalog/catalog_load_benchmark --benchmark_repetitions=3
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/time.h"
#include "aisle/catalog/catalog.h"
#include "aisle/catalog/catalog_builder.h"
#include "aisle/catalog/csv_reader.h"
#include "aisle/catalog/embedding_file.h"
#include "aisle/catalog/item_file.h"
#include "aisle/catalog/synthetic_catalog.h"
#include "aisle/core/file.h"
#include "benchmark/benchmark.h"

namespace aisle::catalog {
namespace {

constexpr size_t kDim = 64;

std::string BenchDir() {
  const char* tmp = std::getenv("TMPDIR");
  std::string dir = absl::StrCat(tmp && *tmp ? tmp : "/tmp", "/aisle_catalog_bench");
  std::filesystem::create_directories(dir);
  return dir;
}

const Catalog& Source(size_t items) {
  static auto* cache = new std::vector<std::pair<size_t, Catalog>>();
  for (auto& [n, c] : *cache) {
    if (n == items) return c;
  }
  absl::StatusOr<Catalog> c = MakeSyntheticCatalog({.items = items, .dim = kDim, .seed = 1});
  if (!c.ok()) std::abort();
  cache->emplace_back(items, std::move(*c));
  return cache->back().second;
}

std::string CsvText(const Catalog& c) {
  std::string out = "id,title,category,brand,price,stock,launch_time,color,size\n";
  out.reserve(c.size() * 110);
  for (ItemIndex i = 0; i < c.size(); ++i) {
    absl::StrAppendFormat(&out, "%s,%s,%s,%s,%.2f,%d,%d,%s,%s\n", c.id(i), c.title(i),
                          c.categories().path(c.category(i)), c.brand(i), c.price(i), c.stock(i),
                          absl::ToUnixSeconds(c.launch_time(i)),
                          c.attribute(i, "color").value_or(""),
                          c.attribute(i, "size").value_or(""));
  }
  return out;
}

std::string JsonlText(const Catalog& c) {
  std::string out;
  out.reserve(c.size() * 220);
  for (ItemIndex i = 0; i < c.size(); ++i) {
    absl::StrAppendFormat(&out,
                          "{\"id\": \"%s\", \"title\": \"%s\", \"category\": \"%s\", "
                          "\"brand\": \"%s\", \"price\": %.2f, \"stock\": %d, "
                          "\"launch_time\": %d, \"attributes\": {\"color\": \"%s\"",
                          c.id(i), c.title(i), c.categories().path(c.category(i)), c.brand(i),
                          c.price(i), c.stock(i), absl::ToUnixSeconds(c.launch_time(i)),
                          c.attribute(i, "color").value_or(""));
    if (auto size = c.attribute(i, "size"))
      absl::StrAppendFormat(&out, ", \"size\": \"%s\"", *size);
    out += "}}\n";
  }
  return out;
}

// Writes the file once per process; returns its path and size.
std::string EnsureFile(absl::string_view kind, size_t items, std::string (*make)(const Catalog&)) {
  const std::string path = absl::StrCat(BenchDir(), "/items_", items, ".", kind);
  if (!std::filesystem::exists(path)) {
    if (!WriteFileAtomically(path, make(Source(items))).ok()) std::abort();
  }
  return path;
}

std::string EnsureEmbeddings(absl::string_view kind, size_t items) {
  const std::string path = absl::StrCat(BenchDir(), "/emb_", items, "x", kDim, ".", kind);
  if (!std::filesystem::exists(path)) {
    const Catalog& c = Source(items);
    const absl::Status s = kind == "npy" ? WriteNpyFile(path, c.embeddings())
                                         : WriteEmbeddingBlobFile(path, c.embeddings());
    if (!s.ok()) std::abort();
  }
  return path;
}

void SetCounters(benchmark::State& state, size_t items, size_t bytes) {
  state.counters["items_per_s"] =
      benchmark::Counter(double(items), benchmark::Counter::kIsIterationInvariantRate);
  state.SetBytesProcessed(int64_t(state.iterations()) * int64_t(bytes));
}

void BM_CatalogLoad_Csv(benchmark::State& state) {
  const size_t items = size_t(state.range(0));
  const std::string path = EnsureFile("csv", items, CsvText);
  for (auto _ : state) {
    absl::StatusOr<Catalog> c = LoadCatalog(path, {.builder = {.expected_items = items}});
    if (!c.ok()) state.SkipWithError(std::string(c.status().message()).c_str());
    benchmark::DoNotOptimize(c);
  }
  SetCounters(state, items, std::filesystem::file_size(path));
}
BENCHMARK(BM_CatalogLoad_Csv)->Arg(100000)->Arg(1000000)->Unit(benchmark::kMillisecond);

void BM_CatalogLoad_Jsonl(benchmark::State& state) {
  const size_t items = size_t(state.range(0));
  const std::string path = EnsureFile("jsonl", items, JsonlText);
  for (auto _ : state) {
    absl::StatusOr<Catalog> c = LoadCatalog(path, {.builder = {.expected_items = items}});
    if (!c.ok()) state.SkipWithError(std::string(c.status().message()).c_str());
    benchmark::DoNotOptimize(c);
  }
  SetCounters(state, items, std::filesystem::file_size(path));
}
BENCHMARK(BM_CatalogLoad_Jsonl)->Arg(100000)->Arg(1000000)->Unit(benchmark::kMillisecond);

void BM_EmbeddingLoad_Npy(benchmark::State& state) {
  const size_t items = size_t(state.range(0));
  const std::string path = EnsureEmbeddings("npy", items);
  for (auto _ : state) {
    absl::StatusOr<EmbeddingMatrix> m = ReadNpyFile(path);
    if (!m.ok()) state.SkipWithError(std::string(m.status().message()).c_str());
    benchmark::DoNotOptimize(m);
  }
  SetCounters(state, items, std::filesystem::file_size(path));
}
BENCHMARK(BM_EmbeddingLoad_Npy)->Arg(1000000)->Unit(benchmark::kMillisecond);

void BM_EmbeddingLoad_AisleEmb(benchmark::State& state) {
  const size_t items = size_t(state.range(0));
  const std::string path = EnsureEmbeddings("aemb", items);
  for (auto _ : state) {
    absl::StatusOr<EmbeddingMatrix> m = ReadEmbeddingBlobFile(path);
    if (!m.ok()) state.SkipWithError(std::string(m.status().message()).c_str());
    benchmark::DoNotOptimize(m);
  }
  SetCounters(state, items, std::filesystem::file_size(path));
}
BENCHMARK(BM_EmbeddingLoad_AisleEmb)->Arg(1000000)->Unit(benchmark::kMillisecond);

// Items from CSV plus 1M x 64 embeddings from .npy, validated and attached.
void BM_CatalogLoad_CsvWithNpy(benchmark::State& state) {
  const size_t items = size_t(state.range(0));
  const std::string csv = EnsureFile("csv", items, CsvText);
  const std::string npy = EnsureEmbeddings("npy", items);
  for (auto _ : state) {
    absl::StatusOr<Catalog> c =
        LoadCatalog(csv, {.builder = {.expected_items = items}, .embeddings_path = npy});
    if (!c.ok()) state.SkipWithError(std::string(c.status().message()).c_str());
    benchmark::DoNotOptimize(c);
  }
  SetCounters(state, items, std::filesystem::file_size(csv) + std::filesystem::file_size(npy));
}
BENCHMARK(BM_CatalogLoad_CsvWithNpy)->Arg(1000000)->Unit(benchmark::kMillisecond);

void BM_SyntheticCatalog_Build(benchmark::State& state) {
  const size_t items = size_t(state.range(0));
  const size_t dim = size_t(state.range(1));
  for (auto _ : state) {
    absl::StatusOr<Catalog> c = MakeSyntheticCatalog({.items = items, .dim = dim, .seed = 1});
    if (!c.ok()) state.SkipWithError(std::string(c.status().message()).c_str());
    benchmark::DoNotOptimize(c);
  }
  SetCounters(state, items, 0);
}
BENCHMARK(BM_SyntheticCatalog_Build)
    ->Args({1000000, 0})
    ->Args({1000000, 64})
    ->Unit(benchmark::kMillisecond);

// Parse-only comparison on the same in-memory CSV text: aisle's CsvReader +
// from_chars versus the common getline/stringstream/stof idiom (which,
// unlike CsvReader, does not even handle quoted fields).
const std::string& CsvInMemory() {
  static const std::string* text = [] {
    return new std::string(*ReadFileToString(EnsureFile("csv", 1000000, CsvText)));
  }();
  return *text;
}

void BM_CsvParse_AisleReader(benchmark::State& state) {
  const std::string& text = CsvInMemory();
  for (auto _ : state) {
    CsvReader r(text, "mem");
    double sum = 0;
    size_t rows = 0;
    r.Next();
    while (r.Next()) {
      float price = 0;
      std::from_chars(r.fields()[4].data(), r.fields()[4].data() + r.fields()[4].size(), price);
      sum += price;
      ++rows;
    }
    benchmark::DoNotOptimize(sum);
    benchmark::DoNotOptimize(rows);
  }
  SetCounters(state, 1000000, text.size());
}
BENCHMARK(BM_CsvParse_AisleReader)->Unit(benchmark::kMillisecond);

void BM_CsvParse_NaiveStringstream(benchmark::State& state) {
  const std::string& text = CsvInMemory();
  for (auto _ : state) {
    std::istringstream in(text);
    std::string line, field;
    std::getline(in, line);
    double sum = 0;
    size_t rows = 0;
    std::vector<std::string> fields;
    while (std::getline(in, line)) {
      fields.clear();
      std::stringstream ls(line);
      while (std::getline(ls, field, ',')) fields.push_back(field);
      sum += std::stof(fields[4]);
      ++rows;
    }
    benchmark::DoNotOptimize(sum);
    benchmark::DoNotOptimize(rows);
  }
  SetCounters(state, 1000000, text.size());
}
BENCHMARK(BM_CsvParse_NaiveStringstream)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace aisle::catalog

BENCHMARK_MAIN();
