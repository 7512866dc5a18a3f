// capi/aisle.h: feature schemas, item feature stores and online stores.
#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "aisle.h"
#include "aisle/core/status_macros.h"
#include "capi/internal.h"

using aisle::capi::CheckArray;
using aisle::capi::CheckRange;
using aisle::capi::CheckStoredId;
using aisle::capi::Guard;
using aisle::capi::GuardCreate;
using aisle::capi::NullError;

namespace {
absl::Status CheckGroup(int32_t group) {
  if (group < 0 || group >= aisle::features::kNumFeatureGroups) {
    return absl::InvalidArgumentError(
        absl::StrCat("group ", group, " is not an AISLE_FEATURE_GROUP_* value"));
  }
  return absl::OkStatus();
}
}  // namespace

extern "C" {

int32_t aisle_feature_schema_builder_create(aisle_feature_schema_builder** out) {
  return GuardCreate(out, [&]() -> absl::StatusOr<std::unique_ptr<aisle_feature_schema_builder>> {
    return std::make_unique<aisle_feature_schema_builder>();
  });
}

void aisle_feature_schema_builder_destroy(aisle_feature_schema_builder* builder) { delete builder; }

int32_t aisle_feature_schema_builder_add_group(aisle_feature_schema_builder* builder, int32_t group,
                                               double max_age_seconds, int32_t stale_policy) {
  return Guard([&]() -> absl::Status {
    if (builder == nullptr) return NullError("builder");
    AISLE_RETURN_IF_ERROR(CheckGroup(group));
    if (stale_policy < AISLE_STALE_USE_VALUE || stale_policy > AISLE_STALE_DROP_TO_FALLBACK) {
      return absl::InvalidArgumentError(
          absl::StrCat("stale_policy ", stale_policy, " is not an AISLE_STALE_* value"));
    }
    aisle::features::GroupOptions o;
    o.max_age_seconds = max_age_seconds;
    o.stale_policy = static_cast<aisle::features::StalePolicy>(stale_policy);
    builder->builder.AddGroup(static_cast<aisle::features::FeatureGroup>(group), o);
    return absl::OkStatus();
  });
}

int32_t aisle_feature_schema_builder_add_feature(aisle_feature_schema_builder* builder,
                                                 const char* name, int32_t group,
                                                 float default_value, int32_t source_bit) {
  const absl::string_view fn = __func__;
  return Guard([&]() -> absl::Status {
    if (builder == nullptr) return NullError("builder");
    AISLE_RETURN_IF_ERROR(CheckStoredId(fn, name, "name"));
    AISLE_RETURN_IF_ERROR(CheckGroup(group));
    aisle::features::FeatureSpec s;
    s.name = name;
    s.group = static_cast<aisle::features::FeatureGroup>(group);
    s.default_value = default_value;
    s.source_bit = source_bit;
    builder->builder.AddFeature(std::move(s));
    return absl::OkStatus();
  });
}

int32_t aisle_feature_schema_builder_build(aisle_feature_schema_builder* builder,
                                           aisle_feature_schema** out) {
  return GuardCreate(out, [&]() -> absl::StatusOr<std::unique_ptr<aisle_feature_schema>> {
    if (builder == nullptr) return NullError("builder");
    aisle::features::FeatureSchemaBuilder b = std::move(builder->builder);
    builder->builder = aisle::features::FeatureSchemaBuilder();
    AISLE_ASSIGN_OR_RETURN(aisle::features::FeatureSchema s, std::move(b).Build());
    auto h = std::make_unique<aisle_feature_schema>();
    h->schema = std::move(s);
    return h;
  });
}

void aisle_feature_schema_destroy(aisle_feature_schema* schema) { delete schema; }

int32_t aisle_feature_schema_size(const aisle_feature_schema* schema, size_t* out) {
  return Guard([&]() -> absl::Status {
    if (schema == nullptr) return NullError("schema");
    if (out == nullptr) return NullError("out");
    *out = schema->schema.size();
    return absl::OkStatus();
  });
}

int32_t aisle_feature_schema_column_of(const aisle_feature_schema* schema, const char* name,
                                       size_t* out) {
  return Guard([&]() -> absl::Status {
    if (schema == nullptr) return NullError("schema");
    if (name == nullptr) return NullError("name");
    if (out == nullptr) return NullError("out");
    AISLE_ASSIGN_OR_RETURN(*out, schema->schema.ColumnOf(name));
    return absl::OkStatus();
  });
}

int32_t aisle_feature_schema_name(const aisle_feature_schema* schema, size_t column,
                                  const char** out) {
  return Guard([&]() -> absl::Status {
    if (schema == nullptr) return NullError("schema");
    if (out == nullptr) return NullError("out");
    if (column >= schema->schema.size()) {
      return absl::OutOfRangeError(absl::StrCat("column ", column, " is outside the schema (",
                                                schema->schema.size(), " features)"));
    }
    *out = schema->schema.names()[column].c_str();
    return absl::OkStatus();
  });
}

int32_t aisle_item_feature_store_builder_create(size_t num_items,
                                                aisle_item_feature_store_builder** out) {
  const absl::string_view fn = __func__;
  return GuardCreate(
      out, [&]() -> absl::StatusOr<std::unique_ptr<aisle_item_feature_store_builder>> {
        AISLE_RETURN_IF_ERROR(CheckRange(fn, "num_items", num_items, 0, AISLE_MAX_ITEMS));
        return std::make_unique<aisle_item_feature_store_builder>(num_items);
      });
}

void aisle_item_feature_store_builder_destroy(aisle_item_feature_store_builder* builder) {
  delete builder;
}

int32_t aisle_item_feature_store_builder_add_column(aisle_item_feature_store_builder* builder,
                                                    const char* name, const float* values,
                                                    size_t count, int64_t built_at_micros) {
  const absl::string_view fn = __func__;
  return Guard([&]() -> absl::Status {
    if (builder == nullptr) return NullError("builder");
    AISLE_RETURN_IF_ERROR(CheckStoredId(fn, name, "name"));
    AISLE_RETURN_IF_ERROR(CheckArray(values, count, "values"));
    return builder->builder.AddColumn(name, absl::MakeConstSpan(values, count),
                                      absl::FromUnixMicros(built_at_micros));
  });
}

int32_t aisle_item_feature_store_builder_build(aisle_item_feature_store_builder* builder,
                                               aisle_item_feature_store** out) {
  return GuardCreate(out, [&]() -> absl::StatusOr<std::unique_ptr<aisle_item_feature_store>> {
    if (builder == nullptr) return NullError("builder");
    aisle::features::ItemFeatureStoreBuilder b = std::move(builder->builder);
    builder->builder = aisle::features::ItemFeatureStoreBuilder(builder->num_items);
    AISLE_ASSIGN_OR_RETURN(auto store, std::move(b).Build());
    auto h = std::make_unique<aisle_item_feature_store>();
    h->store = std::move(store);
    return h;
  });
}

void aisle_item_feature_store_destroy(aisle_item_feature_store* store) { delete store; }

int32_t aisle_item_feature_store_num_items(const aisle_item_feature_store* store, size_t* out) {
  return Guard([&]() -> absl::Status {
    if (store == nullptr) return NullError("store");
    if (out == nullptr) return NullError("out");
    *out = store->store->num_items();
    return absl::OkStatus();
  });
}

int32_t aisle_item_feature_store_num_columns(const aisle_item_feature_store* store, size_t* out) {
  return Guard([&]() -> absl::Status {
    if (store == nullptr) return NullError("store");
    if (out == nullptr) return NullError("out");
    *out = store->store->num_columns();
    return absl::OkStatus();
  });
}

int32_t aisle_item_feature_store_column(const aisle_item_feature_store* store, const char* name,
                                        const float** out_data, size_t* out_len) {
  return Guard([&]() -> absl::Status {
    if (store == nullptr) return NullError("store");
    if (name == nullptr) return NullError("name");
    if (out_data == nullptr) return NullError("out_data");
    if (out_len == nullptr) return NullError("out_len");
    AISLE_ASSIGN_OR_RETURN(size_t c, store->store->ColumnOf(name));
    const absl::Span<const float> col = store->store->column(c);
    *out_data = col.data();
    *out_len = col.size();
    return absl::OkStatus();
  });
}

int32_t aisle_online_feature_store_create(const aisle_feature_schema* schema, int32_t group,
                                          aisle_online_feature_store** out) {
  return GuardCreate(out, [&]() -> absl::StatusOr<std::unique_ptr<aisle_online_feature_store>> {
    if (schema == nullptr) return NullError("schema");
    if (group != AISLE_FEATURE_GROUP_USER && group != AISLE_FEATURE_GROUP_SESSION) {
      return absl::InvalidArgumentError(
          absl::StrCat("group ", group, ": online stores hold the user or session group only"));
    }
    AISLE_ASSIGN_OR_RETURN(auto store,
                           aisle::features::OnlineFeatureStore::ForGroup(
                               schema->schema, static_cast<aisle::features::FeatureGroup>(group)));
    auto h = std::make_unique<aisle_online_feature_store>();
    h->store = std::move(store);
    return h;
  });
}

void aisle_online_feature_store_destroy(aisle_online_feature_store* store) { delete store; }

int32_t aisle_online_feature_store_width(const aisle_online_feature_store* store, size_t* out) {
  return Guard([&]() -> absl::Status {
    if (store == nullptr) return NullError("store");
    if (out == nullptr) return NullError("out");
    *out = store->store->width();
    return absl::OkStatus();
  });
}

int32_t aisle_online_feature_store_put(aisle_online_feature_store* store, const char* key,
                                       const float* values, size_t count, int64_t at_micros) {
  const absl::string_view fn = __func__;
  return Guard([&]() -> absl::Status {
    if (store == nullptr) return NullError("store");
    AISLE_RETURN_IF_ERROR(CheckStoredId(fn, key, "key"));
    if (values == nullptr) return NullError("values");
    if (count != store->store->width()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "key '", key, "': ", count, " values for a store of width ", store->store->width()));
    }
    return store->store->Put(absl::string_view(key), absl::MakeConstSpan(values, count),
                             absl::FromUnixMicros(at_micros));
  });
}

int32_t aisle_online_feature_store_read(const aisle_online_feature_store* store, const char* key,
                                        float* out_values, int64_t* out_stamps_micros, size_t count,
                                        uint8_t* out_found) {
  return Guard([&]() -> absl::Status {
    if (store == nullptr) return NullError("store");
    if (key == nullptr) return NullError("key");
    if (out_values == nullptr) return NullError("out_values");
    if (out_found == nullptr) return NullError("out_found");
    const size_t w = store->store->width();
    if (count != w) {
      return absl::InvalidArgumentError(
          absl::StrCat("key '", key, "': room for ", count, " values, the store's width is ", w));
    }
    thread_local std::vector<int64_t> stamps;
    stamps.resize(w);
    const bool found =
        store->store->Read(aisle::features::OnlineFeatureStore::KeyOf(key),
                           absl::MakeSpan(out_values, count), absl::MakeSpan(stamps));
    *out_found = found ? 1 : 0;
    if (found && out_stamps_micros != nullptr) {
      for (size_t i = 0; i < w; ++i) {
        out_stamps_micros[i] = stamps[i] == aisle::features::kNeverUpdated
                                   ? AISLE_UNKNOWN_TIME
                                   : stamps[i] / 1000;  // nanoseconds -> microseconds
      }
    }
    return absl::OkStatus();
  });
}

}  // extern "C"
