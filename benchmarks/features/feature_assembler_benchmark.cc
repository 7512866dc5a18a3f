// Feature assembly of N candidates x 50 features per request (10 user, 30
// item, 5 context, 3 retrieval scores, 2 source bits) against a 100,000-item
// columnar store and a 10,000-user online store. Candidates are uniform over
// the catalogue (zipf=0, the worst case: every item gather misses cache) or
// Zipf(1.0) by popularity (zipf=1, closer to production traffic), 256
// different candidate lists in rotation.
//
// BM_FeatureAssembler_Assemble: aisle's assembly (item features read from
//   the store's item-major rows, the default).
// BM_FeatureAssembler_Serving1M: the serving shape of issue 4, a 1,000,000-item
//   store, 500 candidates x 51 features (34 item, 10 user, 2 context, 3
//   retrieval scores, 2 source bits), the item-major path (path=0) and the
//   older column-at-a-time gather (path=1) side by side in one run.
// BM_FeatureAssembler_NaiveRowAtATime: the peer, a straightforward
//   per-candidate, per-feature loop with a switch on the feature's group (same
//   bound column pointers, same missing-value handling), in the same binary so
//   the ratio is meaningful.
// BM_OnlineFeatureStore_Read: one user read (10 features) while idle.
//
// Counters: time_per_value = CPU time per matrix cell; values_per_s.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "aisle/core/synthetic.h"
#include "aisle/features/feature_assembler.h"
#include "benchmark/benchmark.h"

namespace aisle::features {
namespace {

constexpr size_t kUsers = 10000;
constexpr size_t kUserFeatures = 10;
constexpr size_t kRetrievalScores = 3, kSourceBits = 2;
constexpr size_t kLists = 256;
constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();

// Catalogue size and feature counts of one benchmark world.
struct Shape {
  size_t items = 100000;
  size_t item_features = 30;
  size_t context_features = 5;
  bool operator==(const Shape&) const = default;
};

struct World {
  Shape shape;
  FeatureSchema schema;
  std::shared_ptr<const ItemFeatureStore> items;
  std::unique_ptr<OnlineFeatureStore> users;
  std::unique_ptr<FeatureAssembler> assembler;         // item-major (default)
  std::unique_ptr<FeatureAssembler> column_assembler;  // ItemReadPath::kColumnMajor
  FakeClock clock{absl::FromUnixSeconds(1700000000)};
  std::vector<std::vector<ItemIndex>> lists;  // per request
  std::vector<std::vector<float>> retrieval;
  std::vector<std::vector<uint32_t>> sources;
  std::vector<float> context;
};

World* MakeWorld(Shape shape, size_t candidates, bool zipf) {
  auto* w = new World();
  w->shape = shape;
  const size_t kItems = shape.items, kItemFeatures = shape.item_features,
               kContextFeatures = shape.context_features;
  FeatureSchemaBuilder b;
  b.AddGroup(FeatureGroup::kUser, {.max_age_seconds = 86400});
  b.AddGroup(FeatureGroup::kItem, {.max_age_seconds = 6 * 3600});
  b.AddGroup(FeatureGroup::kContext, {});
  b.AddGroup(FeatureGroup::kRetrieval, {});
  // Interleave groups so columns of a group are not contiguous (realistic).
  for (size_t i = 0; i < kItemFeatures; ++i) {
    b.AddFeature(
        {.name = absl::StrCat("item_", i), .group = FeatureGroup::kItem, .default_value = 0});
    if (i < kUserFeatures) {
      b.AddFeature(
          {.name = absl::StrCat("user_", i), .group = FeatureGroup::kUser, .default_value = 0});
    }
    if (i < kContextFeatures) {
      b.AddFeature({.name = absl::StrCat("ctx_", i), .group = FeatureGroup::kContext});
    }
    if (i < kRetrievalScores) {
      b.AddFeature({.name = absl::StrCat("score_", i),
                    .group = FeatureGroup::kRetrieval,
                    .default_value = 0});
    }
    if (i < kSourceBits) {
      b.AddFeature({.name = absl::StrCat("src_", i),
                    .group = FeatureGroup::kRetrieval,
                    .source_bit = static_cast<int>(i)});
    }
  }
  w->schema = *std::move(b).Build();
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<float> u(0, 1);
  ItemFeatureStoreBuilder ib(kItems);
  std::vector<float> col(kItems);
  for (size_t i = 0; i < kItemFeatures; ++i) {
    for (float& v : col) v = u(rng) < 0.02f ? kNaN : u(rng);  // 2% missing
    (void)ib.AddColumn(absl::StrCat("item_", i), col, w->clock.Now());
  }
  w->items = *std::move(ib).Build();
  w->users = *OnlineFeatureStore::ForGroup(w->schema, FeatureGroup::kUser);
  std::vector<float> uv(kUserFeatures);
  for (uint64_t k = 0; k < kUsers; ++k) {
    for (float& v : uv) v = u(rng);
    (void)w->users->Put(k, uv, w->clock.Now());
  }
  w->clock.Advance(absl::Minutes(5));
  w->assembler = std::make_unique<FeatureAssembler>(*FeatureAssembler::Create(
      w->schema, w->items, {.user_store = w->users.get(), .clock = &w->clock}));
  w->column_assembler = std::make_unique<FeatureAssembler>(
      *FeatureAssembler::Create(w->schema, w->items,
                                {.user_store = w->users.get(),
                                 .clock = &w->clock,
                                 .item_read_path = ItemReadPath::kColumnMajor}));
  std::uniform_int_distribution<ItemIndex> item(0, kItems - 1);
  // Zipf(1.0) over popularity ranks, scattered over the index space by a
  // permutation (popular items are not neighbours in the store).
  ZipfSampler popular(kItems, 1.0);
  std::vector<ItemIndex> perm(kItems);
  for (size_t i = 0; i < kItems; ++i) perm[i] = static_cast<ItemIndex>(i);
  std::shuffle(perm.begin(), perm.end(), rng);
  for (size_t l = 0; l < kLists; ++l) {
    std::vector<ItemIndex> list(candidates);
    std::vector<float> scores(candidates * kRetrievalScores);
    std::vector<uint32_t> src(candidates);
    for (size_t r = 0; r < candidates; ++r) {
      list[r] = zipf ? perm[popular(rng)] : item(rng);
      src[r] = static_cast<uint32_t>(rng() & 3u);
      for (size_t j = 0; j < kRetrievalScores; ++j) {
        scores[r * kRetrievalScores + j] = u(rng) < 0.5f ? kNaN : u(rng);
      }
    }
    w->lists.push_back(std::move(list));
    w->retrieval.push_back(std::move(scores));
    w->sources.push_back(std::move(src));
  }
  w->context.assign(kContextFeatures, 0.5f);
  return w;
}

World& GetWorld(size_t candidates, bool zipf = false, Shape shape = {}) {
  static std::vector<std::pair<size_t, World*>> worlds;
  const size_t key = candidates * 2 + (zipf ? 1 : 0);
  for (auto& [k, w] : worlds) {
    if (k == key && w->shape == shape) return *w;
  }
  // One world at a time: the 1M-item store is ~270 MB.
  for (auto& [k, w] : worlds) delete w;
  worlds.clear();
  worlds.emplace_back(key, MakeWorld(shape, candidates, zipf));
  return *worlds.back().second;
}

AssemblyRequest RequestFor(const World& w, size_t i) {
  const size_t l = i % kLists;
  AssemblyRequest r;
  r.user_key = i % kUsers;
  r.context = w.context;
  r.items = w.lists[l];
  r.retrieval = MatrixView(w.retrieval[l].data(), w.lists[l].size(), kRetrievalScores);
  r.sources = w.sources[l];
  return r;
}

void SetCounters(benchmark::State& state, size_t cells) {
  state.counters["time_per_value"] =
      benchmark::Counter(static_cast<double>(cells), benchmark::Counter::kIsIterationInvariantRate |
                                                         benchmark::Counter::kInvert);
  state.counters["values_per_s"] =
      benchmark::Counter(static_cast<double>(cells), benchmark::Counter::kIsIterationInvariantRate);
}

void BM_FeatureAssembler_Assemble(benchmark::State& state) {
  const size_t n = static_cast<size_t>(state.range(0));
  World& w = GetWorld(n, state.range(1) != 0);
  std::vector<float> buffer;
  FreshnessReport report;
  size_t i = 0;
  for (auto _ : state) {
    absl::StatusOr<MatrixView> m = w.assembler->Assemble(RequestFor(w, i++), &buffer, &report);
    if (!m.ok()) state.SkipWithError(std::string(m.status().message()).c_str());
    benchmark::DoNotOptimize(buffer.data());
    benchmark::ClobberMemory();
  }
  SetCounters(state, n * w.schema.size());
}
// Args: candidates, zipf (0 = uniform over the catalogue, 1 = Zipf(1.0) popular).
BENCHMARK(BM_FeatureAssembler_Assemble)
    ->ArgsProduct({{100, 500, 2000}, {0, 1}})
    ->ArgNames({"n", "zipf"});

void BM_FeatureAssembler_Serving1M(benchmark::State& state) {
  const size_t n = 500;
  const bool column_path = state.range(0) != 0;
  World& w = GetWorld(n, state.range(1) != 0,
                      {.items = 1000000, .item_features = 34, .context_features = 2});
  const FeatureAssembler& a = column_path ? *w.column_assembler : *w.assembler;
  std::vector<float> buffer;
  FreshnessReport report;
  size_t i = 0;
  for (auto _ : state) {
    absl::StatusOr<MatrixView> m = a.Assemble(RequestFor(w, i++), &buffer, &report);
    if (!m.ok()) state.SkipWithError(std::string(m.status().message()).c_str());
    benchmark::DoNotOptimize(buffer.data());
    benchmark::ClobberMemory();
  }
  SetCounters(state, n * w.schema.size());
  state.counters["features"] = static_cast<double>(w.schema.size());
}
// Args: path (0 = item-major rows, 1 = column gather), zipf. The first
// argument varies fastest: the two paths of one world run back to back.
BENCHMARK(BM_FeatureAssembler_Serving1M)->ArgsProduct({{0, 1}, {0, 1}})->ArgNames({"path", "zipf"});

// The peer: row at a time, a switch per cell.
void BM_FeatureAssembler_NaiveRowAtATime(benchmark::State& state) {
  const size_t n = static_cast<size_t>(state.range(0));
  World& w = GetWorld(n, state.range(1) != 0);
  const FeatureSchema& s = w.schema;
  const size_t cols = s.size();
  // Bind once, as the real assembler does.
  struct Cell {
    FeatureGroup group;
    const float* item_column;
    size_t index;  // user column / context index / retrieval column / bit
    bool bit;
    float def;
  };
  std::vector<Cell> cells(cols);
  size_t ctx = 0, ret = 0, usr = 0;
  for (size_t c = 0; c < cols; ++c) {
    const FeatureSpec& f = s.feature(c);
    Cell cell{f.group, nullptr, 0, false, f.default_value};
    switch (f.group) {
      case FeatureGroup::kItem:
        cell.item_column = w.items->column(*w.items->ColumnOf(f.name)).data();
        break;
      case FeatureGroup::kUser:
        cell.index = usr++;
        break;
      case FeatureGroup::kContext:
        cell.index = ctx++;
        break;
      case FeatureGroup::kRetrieval:
        cell.bit = f.source_bit >= 0;
        cell.index = cell.bit ? static_cast<size_t>(f.source_bit) : ret++;
        break;
      default:
        break;
    }
    cells[c] = cell;
  }
  std::vector<float> out(n * cols), uv(kUserFeatures);
  std::vector<int64_t> ut(kUserFeatures);
  size_t i = 0;
  for (auto _ : state) {
    const AssemblyRequest req = RequestFor(w, i++);
    const bool found = w.users->Read(*req.user_key, absl::MakeSpan(uv), absl::MakeSpan(ut));
    for (size_t r = 0; r < n; ++r) {
      const ItemIndex idx = req.items[r];
      float* o = &out[r * cols];
      for (size_t c = 0; c < cols; ++c) {
        const Cell& cell = cells[c];
        float v = kNaN;
        switch (cell.group) {
          case FeatureGroup::kItem:
            v = idx < w.shape.items ? cell.item_column[idx] : kNaN;
            break;
          case FeatureGroup::kUser:
            v = found ? uv[cell.index] : kNaN;
            break;
          case FeatureGroup::kContext:
            v = req.context[cell.index];
            break;
          case FeatureGroup::kRetrieval:
            v = cell.bit ? static_cast<float>((req.sources[r] >> cell.index) & 1u)
                         : req.retrieval.Row(r)[cell.index];
            break;
          default:
            break;
        }
        o[c] = std::isnan(v) ? cell.def : v;
      }
    }
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  SetCounters(state, n * cols);
}
BENCHMARK(BM_FeatureAssembler_NaiveRowAtATime)
    ->ArgsProduct({{100, 500, 2000}, {0, 1}})
    ->ArgNames({"n", "zipf"});

void BM_OnlineFeatureStore_Read(benchmark::State& state) {
  World& w = GetWorld(500);
  std::vector<float> v(kUserFeatures);
  std::vector<int64_t> t(kUserFeatures);
  uint64_t k = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(w.users->Read(k++ % kUsers, absl::MakeSpan(v), absl::MakeSpan(t)));
  }
}
BENCHMARK(BM_OnlineFeatureStore_Read);

}  // namespace
}  // namespace aisle::features

BENCHMARK_MAIN();
