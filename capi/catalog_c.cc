// capi/aisle.h: catalogs (builder, files, synthetic) and their accessors.
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "aisle.h"
#include "aisle/catalog/embedding_file.h"
#include "aisle/catalog/item_file.h"
#include "aisle/catalog/synthetic_catalog.h"
#include "aisle/core/status_macros.h"
#include "capi/internal.h"

using aisle::capi::CheckArray;
using aisle::capi::CheckCount;
using aisle::capi::CheckRange;
using aisle::capi::Guard;
using aisle::capi::GuardCreate;
using aisle::capi::NullError;
using aisle::capi::Str;

extern "C" {

int32_t aisle_catalog_builder_create(int32_t embedding_dim, aisle_catalog_builder** out) {
  const absl::string_view fn = __func__;
  return GuardCreate(out, [&]() -> absl::StatusOr<std::unique_ptr<aisle_catalog_builder>> {
    // -1: from the first item, 0: none, else the dimension.
    AISLE_RETURN_IF_ERROR(CheckRange(fn, "embedding_dim", embedding_dim, -1, AISLE_MAX_DIM));
    aisle::catalog::CatalogBuilderOptions o;
    o.embedding_dim = embedding_dim;
    return std::make_unique<aisle_catalog_builder>(o);
  });
}

void aisle_catalog_builder_destroy(aisle_catalog_builder* builder) { delete builder; }

int32_t aisle_catalog_builder_add_item(aisle_catalog_builder* builder,
                                       const aisle_item_spec* item) {
  const absl::string_view fn = __func__;
  return Guard([&]() -> absl::Status {
    if (builder == nullptr) return NullError("builder");
    AISLE_ASSIGN_OR_RETURN(aisle_item_spec s, aisle::capi::ReadSized(item, "aisle_item_spec"));
    AISLE_RETURN_IF_ERROR(aisle::capi::CheckStoredId(fn, s.id, "aisle_item_spec.id"));
    AISLE_RETURN_IF_ERROR(CheckCount(fn, s.attribute_keys, s.attribute_count,
                                     "aisle_item_spec.attribute_keys",
                                     "aisle_item_spec.attribute_count"));
    AISLE_RETURN_IF_ERROR(
        CheckArray(s.attribute_values, s.attribute_count, "aisle_item_spec.attribute_values"));
    AISLE_RETURN_IF_ERROR(
        CheckRange(fn, "aisle_item_spec.embedding_len", s.embedding_len, 0, AISLE_MAX_DIM));
    AISLE_RETURN_IF_ERROR(CheckArray(s.embedding, s.embedding_len, "aisle_item_spec.embedding"));
    std::vector<aisle::catalog::ItemAttribute> attrs(s.attribute_count);
    for (size_t i = 0; i < s.attribute_count; ++i) {
      if (s.attribute_keys[i] == nullptr || s.attribute_values[i] == nullptr) {
        return absl::InvalidArgumentError(
            absl::StrCat("item '", s.id, "': attribute ", i, " has a NULL key or value"));
      }
      attrs[i] = {s.attribute_keys[i], s.attribute_values[i]};
    }
    aisle::catalog::ItemSpec spec;
    spec.id = s.id;
    spec.category = Str(s.category);
    spec.brand = Str(s.brand);
    spec.title = Str(s.title);
    spec.price = s.price;
    spec.stock = s.stock;
    spec.launch_time = s.launch_time_micros == AISLE_UNKNOWN_TIME
                           ? absl::InfinitePast()
                           : absl::FromUnixMicros(s.launch_time_micros);
    spec.attributes = attrs;
    if (s.embedding_len > 0) spec.embedding = absl::MakeConstSpan(s.embedding, s.embedding_len);
    return builder->builder.AddItem(spec);
  });
}

int32_t aisle_catalog_builder_add_file(aisle_catalog_builder* builder, const char* path) {
  return Guard([&]() -> absl::Status {
    if (builder == nullptr) return NullError("builder");
    if (path == nullptr) return NullError("path");
    const absl::string_view p(path);
    if (absl::EndsWith(p, ".csv")) return aisle::catalog::AddItemsFromCsvFile(p, builder->builder);
    if (absl::EndsWith(p, ".jsonl") || absl::EndsWith(p, ".ndjson")) {
      return aisle::catalog::AddItemsFromJsonlFile(p, builder->builder);
    }
    return absl::InvalidArgumentError(
        absl::StrCat(p, ": unknown item file extension (want .csv, .jsonl or .ndjson)"));
  });
}

int32_t aisle_catalog_builder_attach_embeddings_file(aisle_catalog_builder* builder,
                                                     const char* path) {
  return Guard([&]() -> absl::Status {
    if (builder == nullptr) return NullError("builder");
    if (path == nullptr) return NullError("path");
    AISLE_ASSIGN_OR_RETURN(aisle::catalog::EmbeddingMatrix m,
                           aisle::catalog::ReadEmbeddingFile(path));
    return builder->builder.AttachEmbeddings(std::move(m));
  });
}

int32_t aisle_catalog_builder_size(const aisle_catalog_builder* builder, size_t* out) {
  return Guard([&]() -> absl::Status {
    if (builder == nullptr) return NullError("builder");
    if (out == nullptr) return NullError("out");
    *out = builder->builder.size();
    return absl::OkStatus();
  });
}

int32_t aisle_catalog_builder_build(aisle_catalog_builder* builder, aisle_catalog** out) {
  return GuardCreate(out, [&]() -> absl::StatusOr<std::unique_ptr<aisle_catalog>> {
    if (builder == nullptr) return NullError("builder");
    AISLE_ASSIGN_OR_RETURN(aisle::catalog::Catalog c, builder->builder.Build());
    auto h = std::make_unique<aisle_catalog>();
    h->catalog = std::make_shared<const aisle::catalog::Catalog>(std::move(c));
    return h;
  });
}

int32_t aisle_catalog_load(const char* items_path, const char* embeddings_path,
                           aisle_catalog** out) {
  return GuardCreate(out, [&]() -> absl::StatusOr<std::unique_ptr<aisle_catalog>> {
    if (items_path == nullptr) return NullError("items_path");
    aisle::catalog::ItemFileOptions o;
    o.embeddings_path = std::string(Str(embeddings_path));
    AISLE_ASSIGN_OR_RETURN(aisle::catalog::Catalog c, aisle::catalog::LoadCatalog(items_path, o));
    auto h = std::make_unique<aisle_catalog>();
    h->catalog = std::make_shared<const aisle::catalog::Catalog>(std::move(c));
    return h;
  });
}

int32_t aisle_catalog_create_synthetic(size_t items, size_t dim, uint64_t seed,
                                       aisle_catalog** out) {
  const absl::string_view fn = __func__;
  return GuardCreate(out, [&]() -> absl::StatusOr<std::unique_ptr<aisle_catalog>> {
    AISLE_RETURN_IF_ERROR(CheckRange(fn, "items", items, 1, AISLE_MAX_ITEMS));
    AISLE_RETURN_IF_ERROR(CheckRange(fn, "dim", dim, 0, AISLE_MAX_DIM));
    aisle::catalog::SyntheticCatalogOptions o;
    o.items = items;
    o.dim = dim;
    o.seed = seed;
    AISLE_ASSIGN_OR_RETURN(aisle::catalog::Catalog c, aisle::catalog::MakeSyntheticCatalog(o));
    auto h = std::make_unique<aisle_catalog>();
    h->catalog = std::make_shared<const aisle::catalog::Catalog>(std::move(c));
    return h;
  });
}

void aisle_catalog_destroy(aisle_catalog* catalog) { delete catalog; }

int32_t aisle_catalog_size(const aisle_catalog* catalog, size_t* out) {
  return Guard([&]() -> absl::Status {
    if (catalog == nullptr) return NullError("catalog");
    if (out == nullptr) return NullError("out");
    *out = catalog->catalog->size();
    return absl::OkStatus();
  });
}

int32_t aisle_catalog_embedding_dim(const aisle_catalog* catalog, size_t* out) {
  return Guard([&]() -> absl::Status {
    if (catalog == nullptr) return NullError("catalog");
    if (out == nullptr) return NullError("out");
    *out = catalog->catalog->embedding_dim();
    return absl::OkStatus();
  });
}

int32_t aisle_catalog_find(const aisle_catalog* catalog, const char* id, uint32_t* out_index) {
  return Guard([&]() -> absl::Status {
    if (catalog == nullptr) return NullError("catalog");
    if (id == nullptr) return NullError("id");
    if (out_index == nullptr) return NullError("out_index");
    AISLE_ASSIGN_OR_RETURN(*out_index, catalog->catalog->Find(id));
    return absl::OkStatus();
  });
}

namespace {
absl::Status CheckIndex(const aisle::catalog::Catalog& c, uint32_t index) {
  if (index >= c.size()) {
    return absl::OutOfRangeError(
        absl::StrCat("item index ", index, " is outside the catalog (", c.size(), " items)"));
  }
  return absl::OkStatus();
}
}  // namespace

int32_t aisle_catalog_item_id(const aisle_catalog* catalog, uint32_t index, const char** out_data,
                              size_t* out_len) {
  return Guard([&]() -> absl::Status {
    if (catalog == nullptr) return NullError("catalog");
    if (out_data == nullptr) return NullError("out_data");
    if (out_len == nullptr) return NullError("out_len");
    AISLE_RETURN_IF_ERROR(CheckIndex(*catalog->catalog, index));
    const absl::string_view id = catalog->catalog->id(index);
    *out_data = id.data();
    *out_len = id.size();
    return absl::OkStatus();
  });
}

int32_t aisle_catalog_item_embedding(const aisle_catalog* catalog, uint32_t index,
                                     const float** out_data, size_t* out_len) {
  return Guard([&]() -> absl::Status {
    if (catalog == nullptr) return NullError("catalog");
    if (out_data == nullptr) return NullError("out_data");
    if (out_len == nullptr) return NullError("out_len");
    AISLE_RETURN_IF_ERROR(CheckIndex(*catalog->catalog, index));
    if (catalog->catalog->embedding_dim() == 0) {
      return absl::FailedPreconditionError("the catalog has no embeddings");
    }
    const absl::Span<const float> e = catalog->catalog->embedding(index);
    *out_data = e.data();
    *out_len = e.size();
    return absl::OkStatus();
  });
}

}  // extern "C"
