// capi/aisle.h: candidate sources on their own (ANN index, co-visitation,
// popularity).
#include <memory>
#include <string>
#include <vector>

#include "aisle.h"
#include "aisle/core/candidate.h"
#include "aisle/core/item_bitset.h"
#include "aisle/core/status_macros.h"
#include "capi/internal.h"

using aisle::capi::CheckArray;
using aisle::capi::CheckCount;
using aisle::capi::CheckRange;
using aisle::capi::Guard;
using aisle::capi::GuardCreate;
using aisle::capi::NullError;
using aisle::capi::ReadSized;

namespace {

// A query's allowed set and exclude list, checked against `num_items`.
struct Filter {
  std::optional<aisle::ItemBitset> allowed;
  absl::Span<const aisle::ItemIndex> exclude;
  size_t ef = 0;
};

absl::StatusOr<Filter> ToFilter(absl::string_view fn, const aisle_search_params* in,
                                size_t num_items) {
  AISLE_ASSIGN_OR_RETURN(aisle_search_params p, ReadSized(in, "aisle_search_params"));
  AISLE_RETURN_IF_ERROR(CheckRange(fn, "aisle_search_params.ef", p.ef, 0, AISLE_MAX_EF));
  AISLE_RETURN_IF_ERROR(CheckCount(fn, p.allowed, p.allowed_count, "aisle_search_params.allowed",
                                   "aisle_search_params.allowed_count"));
  AISLE_RETURN_IF_ERROR(CheckCount(fn, p.exclude, p.exclude_count, "aisle_search_params.exclude",
                                   "aisle_search_params.exclude_count"));
  Filter f;
  f.ef = p.ef;
  if (p.allowed != nullptr) {
    f.allowed.emplace(num_items, false);
    for (size_t i = 0; i < p.allowed_count; ++i) {
      if (p.allowed[i] >= num_items) {
        return absl::InvalidArgumentError(absl::StrCat("aisle_search_params.allowed[", i,
                                                       "] = ", p.allowed[i], " is outside the ",
                                                       num_items, " items"));
      }
      f.allowed->Set(p.allowed[i]);
    }
  }
  for (size_t i = 0; i < p.exclude_count; ++i) {
    if (p.exclude[i] >= num_items) {
      return absl::InvalidArgumentError(absl::StrCat("aisle_search_params.exclude[", i,
                                                     "] = ", p.exclude[i], " is outside the ",
                                                     num_items, " items"));
    }
  }
  if (p.exclude_count > 0) f.exclude = absl::MakeConstSpan(p.exclude, p.exclude_count);
  return f;
}

absl::Status CheckOut(uint32_t* items, size_t* count, size_t k) {
  if (count == nullptr) return NullError("out_count");
  if (items == nullptr && k > 0) return NullError("out_items");
  return absl::OkStatus();
}

template <typename T>
void Write(const std::vector<T>& found, size_t k, uint32_t* items, float* scores, size_t* count) {
  const size_t n = found.size() < k ? found.size() : k;
  for (size_t i = 0; i < n; ++i) {
    items[i] = found[i].item;
    if (scores != nullptr) scores[i] = found[i].score;
  }
  *count = n;
}

absl::StatusOr<aisle::retrieval::AnnIndexOptions> ToAnnOptions(absl::string_view fn,
                                                               const aisle_ann_options* in) {
  AISLE_ASSIGN_OR_RETURN(aisle_ann_options o, ReadSized(in, "aisle_ann_options"));
  AISLE_RETURN_IF_ERROR(
      CheckRange(fn, "aisle_ann_options.threads", o.threads, 0, AISLE_MAX_THREADS));
  AISLE_RETURN_IF_ERROR(CheckRange(fn, "aisle_ann_options.m", o.m, 0, AISLE_MAX_ANN_M));
  AISLE_RETURN_IF_ERROR(
      CheckRange(fn, "aisle_ann_options.ef_construction", o.ef_construction, 0, AISLE_MAX_EF));
  AISLE_RETURN_IF_ERROR(
      CheckRange(fn, "aisle_ann_options.default_ef", o.default_ef, 0, AISLE_MAX_EF));
  aisle::retrieval::AnnIndexOptions a;
  if (o.metric < AISLE_METRIC_INNER_PRODUCT || o.metric > AISLE_METRIC_L2) {
    return absl::InvalidArgumentError(
        absl::StrCat("aisle_ann_options.metric ", o.metric, " is not an AISLE_METRIC_* value"));
  }
  a.metric = static_cast<aisle::retrieval::Metric>(o.metric);
  if (o.threads > 0) a.threads = o.threads;
  if (o.m > 0) a.M = o.m;
  if (o.ef_construction > 0) a.ef_construction = o.ef_construction;
  if (o.default_ef > 0) a.default_ef = o.default_ef;
  if (o.seed > 0) a.seed = o.seed;
  return a;
}

std::unique_ptr<aisle_ann_index> Wrap(std::unique_ptr<aisle::retrieval::AnnIndex> index) {
  auto h = std::make_unique<aisle_ann_index>();
  h->index = std::move(index);
  return h;
}

}  // namespace

extern "C" {

int32_t aisle_ann_index_build(const float* data, size_t rows, size_t dim,
                              const aisle_ann_options* options, aisle_ann_index** out) {
  const absl::string_view fn = __func__;
  return GuardCreate(out, [&]() -> absl::StatusOr<std::unique_ptr<aisle_ann_index>> {
    AISLE_RETURN_IF_ERROR(CheckRange(fn, "rows", rows, 0, AISLE_MAX_ITEMS));
    AISLE_RETURN_IF_ERROR(CheckRange(fn, "dim", dim, 1, AISLE_MAX_DIM));
    AISLE_RETURN_IF_ERROR(CheckArray(data, rows * dim, "data"));
    AISLE_ASSIGN_OR_RETURN(auto o, ToAnnOptions(fn, options));
    AISLE_ASSIGN_OR_RETURN(
        auto index, aisle::retrieval::AnnIndex::Build(aisle::MatrixView(data, rows, dim), o));
    return Wrap(std::move(index));
  });
}

int32_t aisle_ann_index_build_from_catalog(const aisle_catalog* catalog,
                                           const aisle_ann_options* options,
                                           aisle_ann_index** out) {
  const absl::string_view fn = __func__;
  return GuardCreate(out, [&]() -> absl::StatusOr<std::unique_ptr<aisle_ann_index>> {
    if (catalog == nullptr) return NullError("catalog");
    if (catalog->catalog->embedding_dim() == 0) {
      return absl::FailedPreconditionError("the catalog has no embeddings to index");
    }
    AISLE_ASSIGN_OR_RETURN(auto o, ToAnnOptions(fn, options));
    AISLE_ASSIGN_OR_RETURN(auto index,
                           aisle::retrieval::AnnIndex::Build(catalog->catalog->embeddings(), o));
    return Wrap(std::move(index));
  });
}

int32_t aisle_ann_index_save(const aisle_ann_index* index, const char* path) {
  return Guard([&]() -> absl::Status {
    if (index == nullptr) return NullError("index");
    if (path == nullptr) return NullError("path");
    return index->index->Save(path);
  });
}

int32_t aisle_ann_index_load(const char* path, size_t expected_dim, aisle_ann_index** out) {
  const absl::string_view fn = __func__;
  return GuardCreate(out, [&]() -> absl::StatusOr<std::unique_ptr<aisle_ann_index>> {
    if (path == nullptr) return NullError("path");
    AISLE_RETURN_IF_ERROR(CheckRange(fn, "expected_dim", expected_dim, 0, AISLE_MAX_DIM));
    aisle::retrieval::AnnLoadOptions o;
    o.expected_dim = expected_dim;
    AISLE_ASSIGN_OR_RETURN(auto index, aisle::retrieval::AnnIndex::Load(path, o));
    return Wrap(std::move(index));
  });
}

void aisle_ann_index_destroy(aisle_ann_index* index) { delete index; }

int32_t aisle_ann_index_size(const aisle_ann_index* index, size_t* out) {
  return Guard([&]() -> absl::Status {
    if (index == nullptr) return NullError("index");
    if (out == nullptr) return NullError("out");
    *out = index->index->size();
    return absl::OkStatus();
  });
}

int32_t aisle_ann_index_dim(const aisle_ann_index* index, size_t* out) {
  return Guard([&]() -> absl::Status {
    if (index == nullptr) return NullError("index");
    if (out == nullptr) return NullError("out");
    *out = index->index->dim();
    return absl::OkStatus();
  });
}

int32_t aisle_ann_index_search(const aisle_ann_index* index, const float* query, size_t query_len,
                               size_t k, const aisle_search_params* params, uint32_t* out_items,
                               float* out_scores, size_t* out_count) {
  const absl::string_view fn = __func__;
  return Guard([&]() -> absl::Status {
    if (index == nullptr) return NullError("index");
    if (query == nullptr) return NullError("query");
    AISLE_RETURN_IF_ERROR(CheckRange(fn, "k", k, 0, AISLE_MAX_K));
    AISLE_RETURN_IF_ERROR(CheckOut(out_items, out_count, k));
    AISLE_ASSIGN_OR_RETURN(Filter f, ToFilter(fn, params, index->index->size()));
    aisle::retrieval::VectorSearchParams p;
    p.k = k;
    p.ef = f.ef;
    p.filter = f.allowed ? &*f.allowed : nullptr;
    p.exclude = f.exclude;
    thread_local std::vector<aisle::retrieval::ScoredItem> found;
    AISLE_RETURN_IF_ERROR(index->index->Search(absl::MakeConstSpan(query, query_len), p, found));
    Write(found, k, out_items, out_scores, out_count);
    return absl::OkStatus();
  });
}

int32_t aisle_ann_index_search_by_seeds(const aisle_ann_index* index, const uint32_t* seeds,
                                        size_t seed_count, size_t k,
                                        const aisle_search_params* params, uint32_t* out_items,
                                        float* out_scores, size_t* out_count) {
  const absl::string_view fn = __func__;
  return Guard([&]() -> absl::Status {
    if (index == nullptr) return NullError("index");
    if (seeds == nullptr) return NullError("seeds");
    AISLE_RETURN_IF_ERROR(CheckCount(fn, seeds, seed_count, "seeds", "seed_count"));
    AISLE_RETURN_IF_ERROR(CheckRange(fn, "k", k, 0, AISLE_MAX_K));
    AISLE_RETURN_IF_ERROR(CheckOut(out_items, out_count, k));
    AISLE_ASSIGN_OR_RETURN(Filter f, ToFilter(fn, params, index->index->size()));
    aisle::retrieval::VectorSearchParams p;
    p.k = k;
    p.ef = f.ef;
    p.filter = f.allowed ? &*f.allowed : nullptr;
    p.exclude = f.exclude;
    thread_local std::vector<aisle::retrieval::ScoredItem> found;
    AISLE_RETURN_IF_ERROR(
        index->index->SearchBySeeds(absl::MakeConstSpan(seeds, seed_count), p, found));
    Write(found, k, out_items, out_scores, out_count);
    return absl::OkStatus();
  });
}

// ------------------------------------------------------------ co-visitation

int32_t aisle_covisitation_create(const aisle_covisitation_options* options,
                                  aisle_covisitation** out) {
  const absl::string_view fn = __func__;
  return GuardCreate(out, [&]() -> absl::StatusOr<std::unique_ptr<aisle_covisitation>> {
    if (options == nullptr) return NullError("options");
    AISLE_ASSIGN_OR_RETURN(aisle_covisitation_options o,
                           ReadSized(options, "aisle_covisitation_options"));
    AISLE_RETURN_IF_ERROR(
        CheckRange(fn, "aisle_covisitation_options.num_items", o.num_items, 1, AISLE_MAX_ITEMS));
    AISLE_RETURN_IF_ERROR(CheckRange(fn, "aisle_covisitation_options.max_distance", o.max_distance,
                                     0, AISLE_MAX_COVISITATION_DISTANCE));
    AISLE_RETURN_IF_ERROR(
        CheckRange(fn, "aisle_covisitation_options.top_n", o.top_n, 0, AISLE_MAX_QUOTA));
    aisle::retrieval::CoVisitationOptions c;
    c.num_items = o.num_items;
    if (o.max_distance != 0) c.max_distance = o.max_distance;
    if (o.window_micros < 0) c.window = absl::InfiniteDuration();
    if (o.window_micros > 0) c.window = absl::Microseconds(o.window_micros);
    if (o.top_n > 0) c.top_n = o.top_n;
    AISLE_ASSIGN_OR_RETURN(auto index, aisle::retrieval::CoVisitationIndex::Create(c));
    auto h = std::make_unique<aisle_covisitation>();
    h->index = std::move(index);
    return h;
  });
}

void aisle_covisitation_destroy(aisle_covisitation* covisitation) { delete covisitation; }

int32_t aisle_covisitation_add_log(aisle_covisitation* covisitation, const uint64_t* sessions,
                                   const uint32_t* items, const int64_t* times_micros,
                                   const int32_t* types, size_t count) {
  const absl::string_view fn = __func__;
  return Guard([&]() -> absl::Status {
    if (covisitation == nullptr) return NullError("covisitation");
    AISLE_ASSIGN_OR_RETURN(
        auto log, aisle::capi::ToInteractions(fn, sessions, items, times_micros, types, count));
    return covisitation->index->AddLog(log);
  });
}

int32_t aisle_covisitation_publish(aisle_covisitation* covisitation, uint64_t* out_version) {
  return Guard([&]() -> absl::Status {
    if (covisitation == nullptr) return NullError("covisitation");
    const uint64_t v = covisitation->index->Publish();
    if (out_version != nullptr) *out_version = v;
    return absl::OkStatus();
  });
}

int32_t aisle_covisitation_retrieve(const aisle_covisitation* covisitation, const uint32_t* seeds,
                                    size_t seed_count, size_t quota,
                                    const aisle_search_params* params, uint32_t* out_items,
                                    float* out_scores, size_t* out_count) {
  const absl::string_view fn = __func__;
  return Guard([&]() -> absl::Status {
    if (covisitation == nullptr) return NullError("covisitation");
    AISLE_RETURN_IF_ERROR(CheckCount(fn, seeds, seed_count, "seeds", "seed_count"));
    AISLE_RETURN_IF_ERROR(CheckRange(fn, "quota", quota, 0, AISLE_MAX_QUOTA));
    AISLE_RETURN_IF_ERROR(CheckOut(out_items, out_count, quota));
    std::shared_ptr<const aisle::retrieval::CoVisitationTable> table =
        covisitation->index->Snapshot();
    AISLE_ASSIGN_OR_RETURN(Filter f,
                           ToFilter(fn, params, covisitation->index->options().num_items));
    aisle::retrieval::RetrievalQuery q;
    q.seeds = absl::MakeConstSpan(seeds, seed_count);
    q.filter = f.allowed ? &*f.allowed : nullptr;
    q.exclude = f.exclude;
    thread_local std::vector<aisle::Candidate> found;
    found.clear();
    AISLE_RETURN_IF_ERROR(
        aisle::retrieval::CoVisitationSource::RetrieveFromTable(*table, {}, q, quota, 0, found));
    Write(found, quota, out_items, out_scores, out_count);
    return absl::OkStatus();
  });
}

// --------------------------------------------------------------- popularity

namespace {
absl::StatusOr<std::unique_ptr<aisle_popularity>> MakePopularity(
    absl::string_view fn, const aisle_popularity_options* options,
    const aisle::catalog::Catalog* catalog) {
  if (options == nullptr && catalog == nullptr) return NullError("options");
  AISLE_ASSIGN_OR_RETURN(aisle_popularity_options o,
                         ReadSized(options, "aisle_popularity_options"));
  if (catalog == nullptr) {  // else these come from the catalog
    AISLE_RETURN_IF_ERROR(
        CheckRange(fn, "aisle_popularity_options.num_items", o.num_items, 1, AISLE_MAX_ITEMS));
    AISLE_RETURN_IF_ERROR(CheckRange(fn, "aisle_popularity_options.num_categories",
                                     o.num_categories, 0, AISLE_MAX_ITEMS));
  }
  AISLE_RETURN_IF_ERROR(CheckRange(fn, "aisle_popularity_options.num_segments", o.num_segments, 0,
                                   AISLE_MAX_SEGMENTS));
  AISLE_RETURN_IF_ERROR(
      CheckRange(fn, "aisle_popularity_options.top_n", o.top_n, 0, AISLE_MAX_QUOTA));
  aisle::retrieval::PopularityOptions p;
  if (catalog != nullptr) {
    p.num_items = catalog->size();
    const auto cats = catalog->item_categories();
    p.item_categories.assign(cats.begin(), cats.end());
    p.num_categories = catalog->categories().size();
  } else {
    AISLE_RETURN_IF_ERROR(CheckArray(o.item_categories, o.item_categories ? o.num_items : 0,
                                     "aisle_popularity_options.item_categories"));
    p.num_items = o.num_items;
    if (o.item_categories != nullptr) {
      p.item_categories.assign(o.item_categories, o.item_categories + o.num_items);
    }
    p.num_categories = o.num_categories;
  }
  p.num_segments = o.num_segments;
  if (o.half_life_micros != 0) p.half_life = absl::Microseconds(o.half_life_micros);
  if (o.top_n > 0) p.top_n = o.top_n;
  AISLE_ASSIGN_OR_RETURN(auto index, aisle::retrieval::PopularityIndex::Create(std::move(p)));
  auto h = std::make_unique<aisle_popularity>();
  h->index = std::move(index);
  return h;
}
}  // namespace

int32_t aisle_popularity_create(const aisle_popularity_options* options, aisle_popularity** out) {
  const absl::string_view fn = __func__;
  return GuardCreate(out, [&] { return MakePopularity(fn, options, nullptr); });
}

int32_t aisle_popularity_create_for_catalog(const aisle_catalog* catalog,
                                            const aisle_popularity_options* options,
                                            aisle_popularity** out) {
  const absl::string_view fn = __func__;
  return GuardCreate(out, [&]() -> absl::StatusOr<std::unique_ptr<aisle_popularity>> {
    if (catalog == nullptr) return NullError("catalog");
    return MakePopularity(fn, options, catalog->catalog.get());
  });
}

void aisle_popularity_destroy(aisle_popularity* popularity) { delete popularity; }

int32_t aisle_popularity_apply(aisle_popularity* popularity, const uint64_t* sessions,
                               const uint32_t* items, const int64_t* times_micros,
                               const int32_t* types, size_t count, uint32_t segment) {
  const absl::string_view fn = __func__;
  return Guard([&]() -> absl::Status {
    if (popularity == nullptr) return NullError("popularity");
    AISLE_RETURN_IF_ERROR(CheckRange(fn, "segment", segment, 0, AISLE_MAX_SEGMENTS));
    AISLE_ASSIGN_OR_RETURN(
        auto events, aisle::capi::ToInteractions(fn, sessions, items, times_micros, types, count));
    return popularity->index->ApplyAll(events, segment);
  });
}

int32_t aisle_popularity_publish(aisle_popularity* popularity, uint64_t* out_version) {
  return Guard([&]() -> absl::Status {
    if (popularity == nullptr) return NullError("popularity");
    const uint64_t v = popularity->index->Publish();
    if (out_version != nullptr) *out_version = v;
    return absl::OkStatus();
  });
}

int32_t aisle_popularity_retrieve(const aisle_popularity* popularity, int32_t mode,
                                  const uint32_t* categories, size_t category_count,
                                  uint32_t segment, size_t quota, const aisle_search_params* params,
                                  uint32_t* out_items, float* out_scores, size_t* out_count) {
  const absl::string_view fn = __func__;
  return Guard([&]() -> absl::Status {
    if (popularity == nullptr) return NullError("popularity");
    if (mode != AISLE_POPULARITY_POPULAR && mode != AISLE_POPULARITY_TRENDING) {
      return absl::InvalidArgumentError(
          absl::StrCat("mode ", mode, " is not an AISLE_POPULARITY_* value"));
    }
    AISLE_RETURN_IF_ERROR(
        CheckCount(fn, categories, category_count, "categories", "category_count"));
    AISLE_RETURN_IF_ERROR(CheckRange(fn, "segment", segment, 0, AISLE_MAX_SEGMENTS));
    AISLE_RETURN_IF_ERROR(CheckRange(fn, "quota", quota, 0, AISLE_MAX_QUOTA));
    AISLE_RETURN_IF_ERROR(CheckOut(out_items, out_count, quota));
    AISLE_ASSIGN_OR_RETURN(Filter f, ToFilter(fn, params, popularity->index->options().num_items));
    aisle::retrieval::PopularitySourceOptions so;
    so.mode = mode == AISLE_POPULARITY_TRENDING
                  ? aisle::retrieval::PopularitySourceOptions::Mode::kTrending
                  : aisle::retrieval::PopularitySourceOptions::Mode::kPopular;
    const aisle::retrieval::PopularitySource source("popularity", *popularity->index, so);
    aisle::retrieval::RetrievalQuery q;
    q.categories = absl::MakeConstSpan(categories, category_count);
    q.segment = segment;
    q.filter = f.allowed ? &*f.allowed : nullptr;
    q.exclude = f.exclude;
    thread_local std::vector<aisle::Candidate> found;
    found.clear();
    AISLE_RETURN_IF_ERROR(source.Retrieve(q, quota, 0, found));
    Write(found, quota, out_items, out_scores, out_count);
    return absl::OkStatus();
  });
}

}  // extern "C"
