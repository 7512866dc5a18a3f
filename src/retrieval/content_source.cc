#include "aisle/retrieval/content_source.h"

#include <Eigen/Core>
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <memory>
#include <numeric>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "aisle/core/item_bitset.h"
#include "aisle/core/status_macros.h"
#include "retrieval/ann_internal.h"

namespace aisle::retrieval {
namespace {

constexpr uint32_t kNoGroup = std::numeric_limits<uint32_t>::max();
// Rows of the exact scan, group members and pool items handled between two
// deadline checks.
constexpr size_t kScanBlock = 4096;
constexpr size_t kWalkBlock = 256;
constexpr size_t kScoreBlock = 1024;

using RowMatrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

// The query's allowed-item filter is read here and nowhere else in this file
// (Allowed() for single items, IndexFilter() for the ANN search), so a change
// of the filter's type touches these two lines.
inline bool Allowed(const RetrievalQuery& q, ItemIndex i) {
  return q.filter == nullptr || q.filter->Test(i);
}
inline const ItemFilter* IndexFilter(const RetrievalQuery& q) { return q.filter; }

bool FiniteNonNegative(float w) { return w >= 0.0f && std::isfinite(w); }

// Adds `term` to the entry of `key` (few entries: a linear search).
void AddTerm(std::vector<std::pair<uint32_t, float>>& terms, uint32_t key, float term) {
  for (auto& [k, t] : terms) {
    if (k == key) {
      t += term;
      return;
    }
  }
  terms.emplace_back(key, term);
}

float FindTerm(const std::vector<std::pair<uint32_t, float>>& terms, uint32_t key) {
  for (const auto& [k, t] : terms) {
    if (k == key) return t;
  }
  return 0.0f;
}

inline void PrefetchRead(const void* p) { __builtin_prefetch(p, 0, 3); }

}  // namespace

struct ContentSource::SeedInfo {
  ItemIndex item = kInvalidItem;
  float weight = 0.0f;  // r_j, then w_j
  uint32_t category_brand = kNoGroup;
};

// score(c) - embedding_weight * E(c) = sum over c's category, brand and
// attribute pairs of the seeds' summed terms:
//   category[x]  = category_weight  * sum_{j: category(s_j) = x} w_j
//   brand[x]     = brand_weight     * sum_{j: brand(s_j) = x} w_j
//   attribute[g] = attribute_weight * sum_{j: g in attrs(s_j)} w_j / |attrs(s_j)|
struct ContentSource::Terms {
  std::vector<std::pair<uint32_t, float>> category;
  std::vector<std::pair<uint32_t, float>> brand;
  std::vector<std::pair<uint32_t, float>> attribute;  // sorted by group
};

// Per-thread buffers of one request. An item's stamp is `gen` while it is in
// the pool and `gen + 1` while it is blocked (a seed or excluded); any other
// value means neither, so starting a request is O(1).
struct ContentSource::Scratch {
  std::vector<uint32_t> stamp;
  uint32_t gen = 0;
  std::vector<ItemIndex> pool;
  std::vector<Candidate> candidates;
  std::vector<SeedInfo> seeds;
  Terms terms;
  std::vector<float> query;
  std::vector<float> block;
  std::vector<ScoredItem> heap;
  std::vector<ScoredItem> found;
  std::vector<ItemIndex> ann_exclude;

  void Begin(size_t n) {
    if (stamp.size() < n) stamp.resize(n, 0);
    if (gen >= std::numeric_limits<uint32_t>::max() - 3) {
      std::fill(stamp.begin(), stamp.end(), 0);
      gen = 0;
    }
    gen += 2;
    pool.clear();
    candidates.clear();
  }
  void Block(ItemIndex i) { stamp[i] = gen + 1; }
  bool IsBlocked(ItemIndex i) const { return stamp[i] == gen + 1; }
  // In the pool or blocked.
  bool Seen(ItemIndex i) const { return stamp[i] - gen <= 1; }
  // Adds i to the pool unless it is there or blocked; true when added.
  bool Add(ItemIndex i) {
    if (Seen(i)) return false;
    stamp[i] = gen;
    pool.push_back(i);
    return true;
  }
};

ContentSource::Scratch& ContentSource::LocalScratch() {
  thread_local Scratch scratch;
  return scratch;
}

absl::StatusOr<std::unique_ptr<ContentSource>> ContentSource::Create(
    std::shared_ptr<const catalog::Catalog> catalog, std::shared_ptr<const AnnIndex> ann,
    ContentSourceOptions options) {
  const std::string who = absl::StrCat("content source '", options.name, "'");
  if (catalog == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat(who, ": no catalog"));
  }
  const std::pair<const char*, float> weights[] = {{"embedding_weight", options.embedding_weight},
                                                   {"category_weight", options.category_weight},
                                                   {"brand_weight", options.brand_weight},
                                                   {"attribute_weight", options.attribute_weight}};
  for (const auto& [field, w] : weights) {
    if (!FiniteNonNegative(w)) {
      return absl::InvalidArgumentError(
          absl::StrCat(who, ": ContentSourceOptions.", field, " must be finite and >= 0, got ", w));
    }
  }
  if (!(options.recency_decay > 0.0f && options.recency_decay <= 1.0f)) {
    return absl::InvalidArgumentError(
        absl::StrCat(who, ": ContentSourceOptions.recency_decay must be in (0, 1], got ",
                     options.recency_decay));
  }
  const std::pair<const char*, size_t> bounds[] = {
      {"max_seeds", options.max_seeds},
      {"max_group_items", options.max_group_items},
      {"max_attribute_visits", options.max_attribute_visits},
      {"min_visits_per_seed", options.min_visits_per_seed}};
  for (const auto& [field, v] : bounds) {
    if (v == 0) {
      return absl::InvalidArgumentError(
          absl::StrCat(who, ": ContentSourceOptions.", field, " must be >= 1, got 0"));
    }
  }
  if (options.metric != Metric::kCosine && options.metric != Metric::kInnerProduct) {
    return absl::InvalidArgumentError(
        absl::StrCat(who, ": ContentSourceOptions.metric must be cosine or inner_product, got ",
                     MetricName(options.metric)));
  }
  if (ann != nullptr) {
    if (catalog->embedding_dim() == 0) {
      return absl::InvalidArgumentError(
          absl::StrCat(who, ": an ANN index was given but the catalog has no embeddings"));
    }
    if (ann->dim() != catalog->embedding_dim()) {
      return absl::InvalidArgumentError(absl::StrCat(who, ": the ANN index has dimension ",
                                                     ann->dim(), ", the catalog's embeddings ",
                                                     catalog->embedding_dim()));
    }
    if (ann->metric() != options.metric) {
      return absl::InvalidArgumentError(
          absl::StrCat(who, ": the ANN index uses metric ", MetricName(ann->metric()),
                       ", ContentSourceOptions.metric is ", MetricName(options.metric)));
    }
  }
  std::unique_ptr<ContentSource> source(
      new ContentSource(std::move(catalog), std::move(ann), std::move(options)));
  try {
    source->BuildGroups();
  } catch (const std::bad_alloc&) {
    return absl::ResourceExhaustedError(
        absl::StrCat(who, ": out of memory while grouping the catalog's items"));
  }
  return source;
}

ContentSource::ContentSource(std::shared_ptr<const catalog::Catalog> catalog,
                             std::shared_ptr<const AnnIndex> ann, ContentSourceOptions options)
    : catalog_(std::move(catalog)), ann_(std::move(ann)), options_(std::move(options)) {
  use_embeddings_ = catalog_->embedding_dim() > 0 && options_.embedding_weight > 0.0f;
}

void ContentSource::BuildGroups() {
  const catalog::Catalog& cat = *catalog_;
  const size_t n = cat.size();

  // Visiting order inside every group: newest launch first, unknown launch
  // times (INT64_MIN) last, then by item index.
  std::vector<ItemIndex> order(n);
  std::iota(order.begin(), order.end(), ItemIndex{0});
  const absl::Span<const int64_t> launch = cat.launch_times_micros();
  std::stable_sort(order.begin(), order.end(),
                   [&](ItemIndex a, ItemIndex b) { return launch[a] > launch[b]; });

  // Fills `t` with a counting sort of `order` by group; group_of(item, emit)
  // calls emit(g) for each group (< num_groups) of the item.
  auto build = [&](GroupTable& t, size_t num_groups, auto group_of) {
    t.offsets.assign(num_groups + 1, 0);
    for (ItemIndex i : order) group_of(i, [&](uint32_t g) { ++t.offsets[g + 1]; });
    for (size_t g = 0; g < num_groups; ++g) t.offsets[g + 1] += t.offsets[g];
    t.members.resize(t.offsets[num_groups]);
    std::vector<uint32_t> next(t.offsets.begin(), t.offsets.end() - 1);
    for (ItemIndex i : order) group_of(i, [&](uint32_t g) { t.members[next[g]++] = i; });
  };

  build(by_category_, cat.categories().size(), [&](ItemIndex i, auto emit) {
    if (cat.category(i) != kInvalidCategory) emit(cat.category(i));
  });
  build(by_brand_, cat.brand_count(), [&](ItemIndex i, auto emit) {
    if (cat.brand_index(i) != catalog::kNoBrand) emit(cat.brand_index(i));
  });

  // (category, brand) pairs that occur, interned in item order.
  category_brand_.assign(n, kNoGroup);
  {
    absl::flat_hash_map<uint64_t, uint32_t> ids;
    for (ItemIndex i = 0; i < n; ++i) {
      if (cat.category(i) == kInvalidCategory || cat.brand_index(i) == catalog::kNoBrand) continue;
      const uint64_t key = (uint64_t{cat.category(i)} << 32) | cat.brand_index(i);
      category_brand_[i] = ids.try_emplace(key, static_cast<uint32_t>(ids.size())).first->second;
    }
    build(by_category_brand_, ids.size(), [&](ItemIndex i, auto emit) {
      if (category_brand_[i] != kNoGroup) emit(category_brand_[i]);
    });
  }

  // (key, value) attribute pairs that occur; per item, its pairs' ids sorted.
  content_.assign(n, ItemContent{});
  attr_groups_.clear();
  {
    absl::flat_hash_map<uint64_t, uint32_t> ids;
    for (ItemIndex i = 0; i < n; ++i) {
      const size_t begin = attr_groups_.size();
      for (const catalog::AttributePair& p : cat.attributes(i)) {
        const uint64_t key = (uint64_t{p.key} << 32) | p.value;
        attr_groups_.push_back(
            ids.try_emplace(key, static_cast<uint32_t>(ids.size())).first->second);
      }
      std::sort(attr_groups_.begin() + begin, attr_groups_.end());
      attr_groups_.erase(std::unique(attr_groups_.begin() + begin, attr_groups_.end()),
                         attr_groups_.end());
      content_[i] = ItemContent{.category = cat.category(i),
                                .brand = cat.brand_index(i),
                                .attr_begin = static_cast<uint32_t>(begin),
                                .attr_count = static_cast<uint32_t>(attr_groups_.size() - begin)};
    }
    build(by_attribute_, ids.size(), [&](ItemIndex i, auto emit) {
      for (uint32_t g : AttributeGroups(i)) emit(g);
    });
  }

  inv_norms_.clear();
  if (cat.embedding_dim() > 0) {
    inv_norms_.resize(n);
    const MatrixView m = cat.embeddings();
    for (size_t i = 0; i < n; ++i) {
      const float* row = m.Row(i);
      double sq = 0;
      for (size_t d = 0; d < m.cols; ++d) sq += double(row[d]) * row[d];
      inv_norms_[i] = sq > 0 ? static_cast<float>(1.0 / std::sqrt(sq)) : 0.0f;
    }
  }
}

absl::Status ContentSource::PrepareSeeds(const RetrievalQuery& query,
                                         std::vector<SeedInfo>& seeds) const {
  seeds.clear();
  const absl::Span<const ItemIndex> given = query.seeds;
  const absl::Span<const float> given_weights = query.seed_weights;
  if (!given_weights.empty() && given_weights.size() != given.size()) {
    return absl::InvalidArgumentError(absl::StrCat("content source '", options_.name,
                                                   "': seed_weights has ", given_weights.size(),
                                                   " entries for ", given.size(), " seeds"));
  }
  for (size_t j = 0; j < given_weights.size(); ++j) {
    if (!FiniteNonNegative(given_weights[j])) {
      return absl::InvalidArgumentError(
          absl::StrCat("content source '", options_.name, "': seed_weights[", j, "] is ",
                       given_weights[j], ", must be finite and >= 0"));
    }
  }
  const size_t n = catalog_->size();
  double total = 0;
  float decay = 1.0f;  // recency_decay^j
  size_t counted = 0;
  for (size_t j = 0; j < given.size() && counted < options_.max_seeds;
       ++j, decay *= options_.recency_decay) {
    const ItemIndex item = given[j];
    if (item >= n) continue;
    ++counted;
    const float r = (given_weights.empty() ? 1.0f : given_weights[j]) * decay;
    if (!(r > 0.0f)) continue;
    seeds.push_back(SeedInfo{.item = item, .weight = r, .category_brand = category_brand_[item]});
    total += r;
  }
  if (!(total > 0) || !std::isfinite(total)) {
    seeds.clear();
    return absl::OkStatus();
  }
  for (SeedInfo& s : seeds) s.weight = static_cast<float>(s.weight / total);
  return absl::OkStatus();
}

void ContentSource::BuildTerms(absl::Span<const SeedInfo> seeds, Terms& terms) const {
  terms.category.clear();
  terms.brand.clear();
  terms.attribute.clear();
  for (const SeedInfo& s : seeds) {
    const ItemContent& x = content_[s.item];
    if (options_.category_weight > 0.0f && x.category != kInvalidCategory) {
      AddTerm(terms.category, x.category, s.weight * options_.category_weight);
    }
    if (options_.brand_weight > 0.0f && x.brand != catalog::kNoBrand) {
      AddTerm(terms.brand, x.brand, s.weight * options_.brand_weight);
    }
    if (options_.attribute_weight > 0.0f && x.attr_count > 0) {
      const float t = s.weight * options_.attribute_weight / static_cast<float>(x.attr_count);
      for (uint32_t g : AttributeGroups(s.item)) AddTerm(terms.attribute, g, t);
    }
  }
  std::sort(terms.attribute.begin(), terms.attribute.end());
}

bool ContentSource::BuildQuery(absl::Span<const SeedInfo> seeds, std::vector<float>& q) const {
  const MatrixView m = catalog_->embeddings();
  q.assign(m.cols, 0.0f);
  const bool cosine = options_.metric == Metric::kCosine;
  for (const SeedInfo& s : seeds) {
    const float f = cosine ? s.weight * inv_norms_[s.item] : s.weight;
    const float* row = m.Row(s.item);
    for (size_t d = 0; d < m.cols; ++d) q[d] += f * row[d];
  }
  double sq = 0;
  for (float x : q) sq += double(x) * x;
  return sq > 0 && std::isfinite(sq);
}

void ContentSource::Prefetch(ItemIndex c, bool embedding) const {
  PrefetchRead(&content_[c]);
  if (embedding) {
    const size_t dim = catalog_->embedding_dim();
    const char* row = reinterpret_cast<const char*>(catalog_->embedding(c).data());
    for (size_t byte = 0; byte < dim * sizeof(float); byte += 64) PrefetchRead(row + byte);
    PrefetchRead(&inv_norms_[c]);
  }
}

float ContentSource::ScoreItem(ItemIndex c, const float* q, const Terms& terms) const {
  float total = 0.0f;
  if (q != nullptr) {
    const size_t dim = catalog_->embedding_dim();
    const float dot = Eigen::Map<const Eigen::VectorXf>(catalog_->embedding(c).data(), dim)
                          .dot(Eigen::Map<const Eigen::VectorXf>(q, dim));
    const float e = options_.metric == Metric::kCosine ? dot * inv_norms_[c] : dot;
    total += options_.embedding_weight * e;
  }
  const ItemContent& x = content_[c];
  if (!terms.category.empty() && x.category != kInvalidCategory) {
    total += FindTerm(terms.category, x.category);
  }
  if (!terms.brand.empty() && x.brand != catalog::kNoBrand) {
    total += FindTerm(terms.brand, x.brand);
  }
  if (!terms.attribute.empty()) {
    for (uint32_t g : AttributeGroups(c)) {
      const auto it = std::lower_bound(
          terms.attribute.begin(), terms.attribute.end(), g,
          [](const std::pair<uint32_t, float>& t, uint32_t key) { return t.first < key; });
      if (it != terms.attribute.end() && it->first == g) total += it->second;
    }
  }
  return total;
}

absl::Status ContentSource::Retrieve(const RetrievalQuery& query, size_t quota, SourceId id,
                                     std::vector<Candidate>& out) const {
  return RetrieveWithStats(query, quota, id, out, nullptr);
}

absl::Status ContentSource::RetrieveWithStats(const RetrievalQuery& query, size_t quota,
                                              SourceId id, std::vector<Candidate>& out,
                                              ContentSourceStats* stats) const {
  ContentSourceStats local;
  ContentSourceStats& st = stats != nullptr ? *stats : local;
  st = ContentSourceStats{};
  if (id >= kMaxSources) {
    return absl::InvalidArgumentError(absl::StrCat("content source '", options_.name,
                                                   "': source id ", int{id}, " >= ", kMaxSources));
  }
  Scratch& s = LocalScratch();
  AISLE_RETURN_IF_ERROR(PrepareSeeds(query, s.seeds));
  st.seeds_used = s.seeds.size();
  if (quota == 0 || s.seeds.empty()) return absl::OkStatus();
  BuildTerms(s.seeds, s.terms);

  const catalog::Catalog& cat = *catalog_;
  const size_t n = cat.size();
  const Deadline& deadline = query.deadline;
  s.Begin(n);
  for (ItemIndex seed : query.seeds) {
    if (seed < n) s.Block(seed);
  }
  for (ItemIndex x : query.exclude) {
    if (x < n) s.Block(x);
  }

  // (1) The best items by E: an ANN search with q, or an exact scan.
  const bool have_query = use_embeddings_ && BuildQuery(s.seeds, s.query);
  if (have_query) {
    const size_t k = options_.embedding_candidates != 0 ? options_.embedding_candidates : 2 * quota;
    s.found.clear();
    if (ann_ != nullptr) {
      st.used_ann = true;
      s.ann_exclude.assign(query.seeds.begin(), query.seeds.end());
      s.ann_exclude.insert(s.ann_exclude.end(), query.exclude.begin(), query.exclude.end());
      VectorSearchParams params;
      params.k = k;
      params.ef = options_.ef;
      params.filter = IndexFilter(query);
      params.exclude = s.ann_exclude;
      params.deadline = deadline;
      SearchStats search;
      const absl::Status status = ann_->Search(s.query, params, s.found, &search);
      if (!status.ok()) {
        return absl::Status(status.code(), absl::StrCat("content source '", options_.name,
                                                        "': ", status.message()));
      }
      st.deadline_expired = st.deadline_expired || search.deadline_expired;
    } else {
      const MatrixView m = cat.embeddings();
      const bool cosine = options_.metric == Metric::kCosine;
      const Eigen::Map<const Eigen::VectorXf> qv(s.query.data(), m.cols);
      s.block.resize(std::min(kScanBlock, n));
      internal::TopK top(k, s.heap);
      for (size_t b = 0; b < n; b += kScanBlock) {
        if (deadline.Expired()) {
          st.deadline_expired = true;
          break;
        }
        const size_t rows = std::min(kScanBlock, n - b);
        Eigen::Map<Eigen::VectorXf> scores(s.block.data(), rows);
        scores.noalias() = Eigen::Map<const RowMatrix>(m.Row(b), rows, m.cols) * qv;
        for (size_t r = 0; r < rows; ++r) {
          const ItemIndex item = static_cast<ItemIndex>(b + r);
          const float e = cosine ? s.block[r] * inv_norms_[item] : s.block[r];
          if (top.Full() && !internal::Better(ScoredItem{item, e}, top.Worst())) continue;
          if (s.IsBlocked(item) || !Allowed(query, item)) continue;
          top.Push(item, e);
        }
      }
      top.Drain(s.found);
    }
    for (const ScoredItem& f : s.found) {
      if (f.item < n && s.Add(f.item)) ++st.embedding_candidates;
    }
  }

  // (2) Items sharing attributes with the seeds, through the groups.
  const bool walk_category = options_.category_weight > 0.0f;
  const bool walk_brand = options_.brand_weight > 0.0f;
  const bool walk_attributes = options_.attribute_weight > 0.0f;
  size_t since_check = 0;
  constexpr size_t kWalkAhead = 16;  // members prefetched ahead
  for (const SeedInfo& seed : s.seeds) {
    if (st.deadline_expired || deadline.Expired()) {
      st.deadline_expired = true;
      break;
    }
    const ItemContent& x = content_[seed.item];
    size_t budget = std::max(
        options_.min_visits_per_seed,
        static_cast<size_t>(std::ceil(double(options_.max_attribute_visits) * seed.weight)));
    // Visits up to max_group_items members of one group; false when the
    // deadline passed.
    auto walk = [&](absl::Span<const ItemIndex> members) {
      const size_t take = std::min({members.size(), options_.max_group_items, budget});
      for (size_t k = 0; k < take; ++k) {
        if (k + kWalkAhead < take) PrefetchRead(&s.stamp[members[k + kWalkAhead]]);
        if (++since_check == kWalkBlock) {
          since_check = 0;
          if (deadline.Expired()) {
            st.deadline_expired = true;
            return false;
          }
        }
        const ItemIndex item = members[k];
        if (!s.Seen(item) && Allowed(query, item)) s.Add(item);
      }
      budget -= take;
      st.attribute_visits += take;
      return true;
    };
    if ((walk_category || walk_brand) && seed.category_brand != kNoGroup &&
        !walk(by_category_brand_.Members(seed.category_brand))) {
      break;
    }
    if (walk_category && x.category != kInvalidCategory &&
        !walk(by_category_.Members(x.category))) {
      break;
    }
    if (walk_brand && x.brand != catalog::kNoBrand && !walk(by_brand_.Members(x.brand))) {
      break;
    }
    if (walk_attributes) {
      bool expired = false;
      for (uint32_t g : AttributeGroups(seed.item)) {
        if (!walk(by_attribute_.Members(g))) {
          expired = true;
          break;
        }
      }
      if (expired) break;
    }
  }

  // Score the pool, loading kScoreAhead items ahead (scoring is bound by
  // the latency of those loads). The first block is scored even when the
  // deadline has passed, so what the embedding search found is returned.
  constexpr size_t kScoreAhead = 16;
  const float* q = have_query ? s.query.data() : nullptr;
  const uint32_t bit = SourceBit(id);
  const size_t m = s.pool.size();
  for (size_t k = 0; k < std::min(kScoreAhead, m); ++k) Prefetch(s.pool[k], q != nullptr);
  for (size_t k = 0; k < m; ++k) {
    if (k > 0 && k % kScoreBlock == 0 && deadline.Expired()) {
      st.deadline_expired = true;
      break;
    }
    if (k + kScoreAhead < m) Prefetch(s.pool[k + kScoreAhead], q != nullptr);
    if (k + kScoreAhead / 2 < m) {
      PrefetchRead(attr_groups_.data() + content_[s.pool[k + kScoreAhead / 2]].attr_begin);
    }
    const ItemIndex item = s.pool[k];
    s.candidates.push_back(
        Candidate{.item = item, .score = ScoreItem(item, q, s.terms), .sources = bit});
  }
  std::vector<Candidate>& c = s.candidates;
  st.scored = c.size();
  const size_t keep = std::min(quota, c.size());
  if (keep < c.size()) std::nth_element(c.begin(), c.begin() + keep, c.end(), ByScoreDesc());
  std::sort(c.begin(), c.begin() + keep, ByScoreDesc());
  out.insert(out.end(), c.begin(), c.begin() + keep);
  return absl::OkStatus();
}

absl::StatusOr<float> ContentSource::Score(const RetrievalQuery& query, ItemIndex item) const {
  if (item >= catalog_->size()) {
    return absl::InvalidArgumentError(
        absl::StrCat("content source '", options_.name, "': item index ", item,
                     " is outside the catalog of ", catalog_->size(), " items"));
  }
  std::vector<SeedInfo> seeds;
  AISLE_RETURN_IF_ERROR(PrepareSeeds(query, seeds));
  if (seeds.empty()) return 0.0f;
  Terms terms;
  BuildTerms(seeds, terms);
  std::vector<float> q;
  const bool have_query = use_embeddings_ && BuildQuery(seeds, q);
  return ScoreItem(item, have_query ? q.data() : nullptr, terms);
}

}  // namespace aisle::retrieval
