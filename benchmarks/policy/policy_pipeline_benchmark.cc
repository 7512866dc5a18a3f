// The policy stages as a request runs them: filter chain (live inventory,
// policy, exclusions) -> rule adjustments -> category caps -> MMR -> pins,
// over 500 ranked candidates, k = 50, 64-d embeddings; and each stage alone.
//
// Catalog: the Instacart sample's products with their real two-level
// category tree (department > aisle) when /work/shared/data is present,
// otherwise a synthetic 10k-item, 21 x 134 tree. Embeddings are synthetic
// clustered vectors. Peers for BM_Mmr: BM_Mmr_Naive, the textbook loop that
// recomputes max similarity to every selected item at every step (O(k^2 n d));
// BM_Mmr_ScalarIncremental, the same O(k n d) algorithm as MmrDiversifier in
// plain scalar code over scattered rows.
#include <algorithm>
#include <cmath>
#include <fstream>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "aisle/core/synthetic.h"
#include "aisle/policy/business_rules.h"
#include "aisle/policy/category_cap.h"
#include "aisle/policy/exclusion_filter.h"
#include "aisle/policy/filter_chain.h"
#include "aisle/policy/inventory_filter.h"
#include "aisle/policy/mmr.h"
#include "aisle/policy/policy_filter.h"
#include "benchmark/benchmark.h"

namespace aisle::policy {
namespace {

constexpr size_t kDim = 64;
constexpr CategoryIndex kDepartments = 21;

struct World {
  std::vector<CategoryIndex> parent;
  std::vector<CategoryIndex> item_category;
  std::vector<float> embeddings;
  size_t dim = kDim;
  std::unique_ptr<LiveInventory> inventory;
  FilterChain chain;
  std::shared_ptr<const RuleSet> rules;
  std::unique_ptr<CategoryCapDiversifier> caps;
  std::unique_ptr<MmrDiversifier> mmr;
  std::vector<ItemIndex> bought, cart, seeds;
  bool real_catalog = false;

  CategoryView view() const { return {item_category, parent}; }
  size_t num_items() const { return item_category.size(); }
};

// Instacart products.csv: "id","name",aisle_id,department_id. Categories
// 0..20 are departments, 21.. are aisles (parent = their department).
bool LoadInstacart(World& w) {
  std::ifstream in(std::string(AISLE_SHARED_DATA_DIR) + "/instacart/products.csv");
  if (!in) return false;
  std::string line;
  std::getline(in, line);
  w.parent.assign(kDepartments + 134, kInvalidCategory);
  while (std::getline(in, line)) {
    const size_t c2 = line.rfind(',');
    const size_t c1 = line.rfind(',', c2 - 1);
    if (c1 == std::string::npos || c2 == std::string::npos) return false;
    const int aisle = std::stoi(line.substr(c1 + 1, c2 - c1 - 1));
    const int dept = std::stoi(line.substr(c2 + 1));
    if (aisle < 1 || aisle > 134 || dept < 1 || dept > 21) return false;
    const CategoryIndex a = kDepartments + static_cast<CategoryIndex>(aisle - 1);
    w.parent[a] = static_cast<CategoryIndex>(dept - 1);
    w.item_category.push_back(a);
  }
  return !w.item_category.empty();
}

void MakeSyntheticCatalog(World& w) {
  std::mt19937 rng(5);
  w.parent.assign(kDepartments + 134, kInvalidCategory);
  for (CategoryIndex a = 0; a < 134; ++a) w.parent[kDepartments + a] = a % kDepartments;
  w.item_category.resize(10000);
  for (auto& c : w.item_category) c = kDepartments + rng() % 134;
}

World& GetWorld() {
  static World* w = [] {
    auto* w = new World();
    w->real_catalog = LoadInstacart(*w);
    if (!w->real_catalog) MakeSyntheticCatalog(*w);
    const size_t n = w->num_items();
    w->embeddings =
        MakeClusteredVectors({.count = n, .dim = kDim, .clusters = 134, .seed = 9}).data;

    std::mt19937 rng(1);
    std::vector<int32_t> stock(n);
    for (auto& s : stock) s = (rng() % 10 == 0) ? 0 : 1 + rng() % 50;  // 10% sold out
    w->inventory = std::move(LiveInventory::FromStock(stock)).value();
    w->chain.Add(
        std::make_shared<InventoryFilter>(w->inventory.get(), 0, std::vector<int32_t>{0, 2}));
    w->chain.Add(std::shared_ptr<const Filter>(
        PolicyFilter::Create(
            w->view(), {.blocked_items = {3, 17, 99}, .blocked_categories = {5}})  // one department
            .value()));
    w->chain.Add(std::make_shared<ExclusionFilter>());
    for (int i = 0; i < 30; ++i) w->bought.push_back(rng() % n);
    for (int i = 0; i < 4; ++i) w->cart.push_back(rng() % n);
    w->seeds.push_back(rng() % n);

    auto brand = std::make_shared<ItemBitset>(n);
    for (size_t i = 0; i < n; i += 7) brand->Set(static_cast<ItemIndex>(i));
    RuleSetBuilder b(RuleCatalog{.num_items = n, .categories = w->view()});
    b.AddPin({.name = "hero", .item = ItemRef::Index(11), .position = 0, .force = true});
    b.AddPin({.name = "second", .item = ItemRef::Index(42), .position = 4});
    for (ItemIndex i = 0; i < 20; ++i) {
      b.AddAdjust(AdjustRule::Item("", ItemRef::Index(i * 37 % n), AdjustMode::kMultiply, 1.5f));
    }
    b.AddAdjust(AdjustRule::Category("bury-dept3", CategoryRef::Index(3), AdjustMode::kAdd, -0.2f));
    b.AddAdjust(AdjustRule::Attribute("brand", brand, AdjustMode::kMultiply, 1.1f));
    b.AddCampaign({.name = "bf",
                   .start = absl::InfinitePast(),
                   .end = absl::InfiniteFuture(),
                   .pins = {{.name = "bf-pin", .item = ItemRef::Index(77), .position = 2}},
                   .adjust = {AdjustRule::Category("bf-dept7", CategoryRef::Index(7),
                                                   AdjustMode::kAdd, 0.3f)}});
    w->rules = std::move(b).Build().value();
    w->caps = std::make_unique<CategoryCapDiversifier>(
        CategoryCapDiversifier::Create(w->view(), {.max_per_category = 3, .top_m = 50}).value());
    w->mmr = std::make_unique<MmrDiversifier>(
        MmrDiversifier::Create(MatrixView(w->embeddings.data(), n, kDim), 0.7f).value());
    return w;
  }();
  return *w;
}

// n distinct random items with descending scores in (0, 1].
std::vector<Candidate> MakeCandidates(size_t n, uint32_t seed) {
  const World& w = GetWorld();
  std::mt19937 rng(seed);
  std::vector<ItemIndex> items(w.num_items());
  for (size_t i = 0; i < items.size(); ++i) items[i] = static_cast<ItemIndex>(i);
  std::shuffle(items.begin(), items.end(), rng);
  std::vector<Candidate> out;
  for (size_t i = 0; i < n && i < items.size(); ++i) {
    out.push_back({items[i], 1.0f - float(i) / float(n), 1});
  }
  return out;
}

void SetPerCandidate(benchmark::State& state, size_t n) {
  state.counters["ns/cand"] =
      benchmark::Counter(double(n) * double(state.iterations()),
                         benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
  state.counters["rps"] =
      benchmark::Counter(double(state.iterations()), benchmark::Counter::kIsRate);
}

void BM_PolicyPipeline_Full(benchmark::State& state) {
  World& w = GetWorld();
  const size_t n = static_cast<size_t>(state.range(0));
  const size_t k = 50;
  const std::vector<Candidate> input = MakeCandidates(n, 2);
  std::vector<Candidate> c;
  c.reserve(n + 8);
  FilterReport freport;
  RuleReport rreport;
  const FilterContext ctx{.surface = 1, .bought = w.bought, .cart = w.cart, .seeds = w.seeds};
  const RuleContext rctx{.now = absl::FromUnixSeconds(1700000000), .inventory = w.inventory.get()};
  size_t kept = 0;
  for (auto _ : state) {
    c.assign(input.begin(), input.end());
    rreport.Clear();
    w.chain.Run(ctx, c, &freport);
    w.rules->ApplyAdjustments(rctx, c, &rreport);
    w.caps->Apply(c, c.size());
    if (!w.mmr->Apply(c, k).ok()) state.SkipWithError("mmr");
    w.rules->ApplyPins(rctx, k, c, &rreport);
    kept = c.size();
    benchmark::DoNotOptimize(c.data());
  }
  SetPerCandidate(state, n);
  state.counters["returned"] = double(kept);
  state.counters["filtered"] = double(freport.total_removed);
  state.SetLabel(w.real_catalog ? "instacart catalog" : "synthetic catalog");
}
BENCHMARK(BM_PolicyPipeline_Full)->Arg(500)->Arg(1000)->Unit(benchmark::kMicrosecond);

void BM_FilterChain_Run(benchmark::State& state) {
  World& w = GetWorld();
  const size_t n = static_cast<size_t>(state.range(0));
  const std::vector<Candidate> input = MakeCandidates(n, 3);
  std::vector<Candidate> c;
  c.reserve(n);
  FilterReport report;
  const FilterContext ctx{.surface = 1, .bought = w.bought, .cart = w.cart, .seeds = w.seeds};
  for (auto _ : state) {
    c.assign(input.begin(), input.end());
    w.chain.Run(ctx, c, &report);
    benchmark::DoNotOptimize(c.data());
  }
  SetPerCandidate(state, n);
  state.counters["removed"] = double(report.total_removed);
}
BENCHMARK(BM_FilterChain_Run)->Arg(500)->Arg(5000);

void BM_RuleSet_Adjust(benchmark::State& state) {
  World& w = GetWorld();
  const size_t n = static_cast<size_t>(state.range(0));
  const std::vector<Candidate> input = MakeCandidates(n, 4);
  std::vector<Candidate> c;
  c.reserve(n);
  RuleReport report;
  const RuleContext rctx{.now = absl::FromUnixSeconds(1700000000)};
  for (auto _ : state) {
    c.assign(input.begin(), input.end());
    report.Clear();
    w.rules->ApplyAdjustments(rctx, c, &report);
    benchmark::DoNotOptimize(c.data());
  }
  SetPerCandidate(state, n);
}
BENCHMARK(BM_RuleSet_Adjust)->Arg(500);

void BM_CategoryCap_Apply(benchmark::State& state) {
  World& w = GetWorld();
  const size_t n = static_cast<size_t>(state.range(0));
  const std::vector<Candidate> input = MakeCandidates(n, 5);
  std::vector<Candidate> c;
  c.reserve(n);
  size_t deferred = 0;
  for (auto _ : state) {
    c.assign(input.begin(), input.end());
    deferred = w.caps->Apply(c, c.size()).deferred;
    benchmark::DoNotOptimize(c.data());
  }
  SetPerCandidate(state, n);
  state.counters["deferred"] = double(deferred);
}
BENCHMARK(BM_CategoryCap_Apply)->Arg(500);

void BM_Mmr(benchmark::State& state) {
  World& w = GetWorld();
  const size_t n = static_cast<size_t>(state.range(0));
  const size_t k = static_cast<size_t>(state.range(1));
  const std::vector<Candidate> input = MakeCandidates(n, 6);
  std::vector<Candidate> c;
  c.reserve(n);
  for (auto _ : state) {
    c.assign(input.begin(), input.end());
    if (!w.mmr->Apply(c, k).ok()) state.SkipWithError("mmr");
    benchmark::DoNotOptimize(c.data());
  }
  SetPerCandidate(state, n);
}
BENCHMARK(BM_Mmr)
    ->Args({500, 50})
    ->Args({1000, 50})
    ->Args({500, 10})
    ->Unit(benchmark::kMicrosecond);

// The textbook MMR: per pair, cosine from scattered rows with both norms
// recomputed; same selection rule and normalization as MmrDiversifier.
void NaiveMmr(const std::vector<float>& e, size_t dim, float lambda, std::vector<Candidate>& c,
              size_t k) {
  const size_t n = c.size();
  float lo = c.empty() ? 0 : c[0].score, hi = lo;
  for (const Candidate& x : c) {
    lo = std::min(lo, x.score);
    hi = std::max(hi, x.score);
  }
  auto cosine = [&](ItemIndex a, ItemIndex b) {
    float dot = 0, na = 0, nb = 0;
    const float* ra = &e[size_t{a} * dim];
    const float* rb = &e[size_t{b} * dim];
    for (size_t d = 0; d < dim; ++d) {
      dot += ra[d] * rb[d];
      na += ra[d] * ra[d];
      nb += rb[d] * rb[d];
    }
    return dot / std::sqrt(na * nb);
  };
  std::vector<char> taken(n, 0);
  std::vector<Candidate> out;
  while (out.size() < std::min(k, n)) {
    size_t best = n;
    float best_val = 0;
    for (size_t i = 0; i < n; ++i) {
      if (taken[i]) continue;
      float max_sim = 0;
      if (!out.empty()) {
        max_sim = -2;
        for (const Candidate& s : out) max_sim = std::max(max_sim, cosine(c[i].item, s.item));
      }
      const float rel = hi > lo ? (c[i].score - lo) / (hi - lo) : 1.0f;
      const float v = lambda * rel - (1 - lambda) * max_sim;
      if (best == n || v > best_val) {
        best = i;
        best_val = v;
      }
    }
    taken[best] = 1;
    out.push_back(c[best]);
  }
  c = out;
}

void BM_Mmr_Naive(benchmark::State& state) {
  World& w = GetWorld();
  const size_t n = static_cast<size_t>(state.range(0));
  const size_t k = static_cast<size_t>(state.range(1));
  const std::vector<Candidate> input = MakeCandidates(n, 6);
  std::vector<Candidate> c;
  for (auto _ : state) {
    c.assign(input.begin(), input.end());
    NaiveMmr(w.embeddings, w.dim, 0.7f, c, k);
    benchmark::DoNotOptimize(c.data());
  }
  SetPerCandidate(state, n);
}
BENCHMARK(BM_Mmr_Naive)->Args({500, 50})->Args({500, 10})->Unit(benchmark::kMicrosecond);

// Same incremental algorithm as MmrDiversifier (running max similarity per
// candidate, one new row compared per step) in plain scalar C++ without the
// gathered, pre-normalized matrix: isolates the constant factor.
void ScalarIncrementalMmr(const std::vector<float>& e, size_t dim, float lambda,
                          std::vector<Candidate>& c, size_t k) {
  const size_t n = c.size();
  float lo = c.empty() ? 0 : c[0].score, hi = lo;
  for (const Candidate& x : c) {
    lo = std::min(lo, x.score);
    hi = std::max(hi, x.score);
  }
  std::vector<float> max_sim(n, -2.0f);
  std::vector<char> taken(n, 0);
  std::vector<Candidate> out;
  while (out.size() < std::min(k, n)) {
    size_t best = n;
    float best_val = 0;
    for (size_t i = 0; i < n; ++i) {
      if (taken[i]) continue;
      const float rel = hi > lo ? (c[i].score - lo) / (hi - lo) : 1.0f;
      const float v = lambda * rel - (1 - lambda) * (out.empty() ? 0.0f : max_sim[i]);
      if (best == n || v > best_val) {
        best = i;
        best_val = v;
      }
    }
    taken[best] = 1;
    out.push_back(c[best]);
    const float* rb = &e[size_t{c[best].item} * dim];
    for (size_t i = 0; i < n; ++i) {
      const float* ra = &e[size_t{c[i].item} * dim];
      float dot = 0, na = 0, nb = 0;
      for (size_t d = 0; d < dim; ++d) {
        dot += ra[d] * rb[d];
        na += ra[d] * ra[d];
        nb += rb[d] * rb[d];
      }
      max_sim[i] = std::max(max_sim[i], dot / std::sqrt(na * nb));
    }
  }
  c = out;
}

void BM_Mmr_ScalarIncremental(benchmark::State& state) {
  World& w = GetWorld();
  const size_t n = static_cast<size_t>(state.range(0));
  const size_t k = static_cast<size_t>(state.range(1));
  const std::vector<Candidate> input = MakeCandidates(n, 6);
  std::vector<Candidate> c;
  for (auto _ : state) {
    c.assign(input.begin(), input.end());
    ScalarIncrementalMmr(w.embeddings, w.dim, 0.7f, c, k);
    benchmark::DoNotOptimize(c.data());
  }
  SetPerCandidate(state, n);
}
BENCHMARK(BM_Mmr_ScalarIncremental)
    ->Args({500, 50})
    ->Args({500, 10})
    ->Unit(benchmark::kMicrosecond);

void BM_LiveInventory_FilterInStock(benchmark::State& state) {
  World& w = GetWorld();
  const size_t n = static_cast<size_t>(state.range(0));
  const std::vector<Candidate> input = MakeCandidates(n, 7);
  std::vector<Candidate> c;
  c.reserve(n);
  for (auto _ : state) {
    c.assign(input.begin(), input.end());
    w.inventory->FilterInStock(c, 0);
    benchmark::DoNotOptimize(c.data());
  }
  SetPerCandidate(state, n);
}
BENCHMARK(BM_LiveInventory_FilterInStock)->Arg(500);

}  // namespace
}  // namespace aisle::policy

BENCHMARK_MAIN();
