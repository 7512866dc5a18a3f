// Private helpers shared by the C ABI's implementation files: the structs
// behind the opaque handles of aisle.h, argument checks, and Guard(), which
// turns absl::Status and anything thrown underneath into a status code plus
// this thread's last error message.
//
// Not part of the ABI; thread-safety as stated per handle in aisle.h.
#ifndef AISLE_CAPI_INTERNAL_H_
#define AISLE_CAPI_INTERNAL_H_

#include <cstdint>
#include <cstring>
#include <exception>
#include <memory>
#include <new>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "aisle.h"
#include "aisle/catalog/catalog.h"
#include "aisle/catalog/catalog_builder.h"
#include "aisle/core/external_id.h"
#include "aisle/features/feature_schema.h"
#include "aisle/features/item_feature_store.h"
#include "aisle/features/online_feature_store.h"
#include "aisle/ranking/gbdt_model.h"
#include "aisle/ranking/gbdt_ranker.h"
#include "aisle/ranking/linear_model.h"
#include "aisle/ranking/linear_ranker.h"
#include "aisle/retrieval/ann_index.h"
#include "aisle/retrieval/covisitation.h"
#include "aisle/retrieval/interaction.h"
#include "aisle/retrieval/popularity.h"
#include "aisle/serving/engine.h"
#include "aisle/serving/pipeline_config.h"
#include "aisle/serving/request.h"
#include "aisle/serving/response.h"
#include "aisle/serving/snapshot.h"

// ----------------------------------------------------------------- handles

struct aisle_catalog_builder {
  explicit aisle_catalog_builder(aisle::catalog::CatalogBuilderOptions o) : builder(o) {}
  aisle::catalog::CatalogBuilder builder;
};
struct aisle_catalog {
  std::shared_ptr<const aisle::catalog::Catalog> catalog;
};
struct aisle_ann_index {
  std::shared_ptr<const aisle::retrieval::AnnIndex> index;
};
struct aisle_covisitation {
  std::unique_ptr<aisle::retrieval::CoVisitationIndex> index;
};
struct aisle_popularity {
  std::unique_ptr<aisle::retrieval::PopularityIndex> index;
};
struct aisle_feature_schema_builder {
  aisle::features::FeatureSchemaBuilder builder;
};
struct aisle_feature_schema {
  aisle::features::FeatureSchema schema;
};
struct aisle_item_feature_store_builder {
  explicit aisle_item_feature_store_builder(size_t n) : num_items(n), builder(n) {}
  size_t num_items;
  aisle::features::ItemFeatureStoreBuilder builder;
};
struct aisle_item_feature_store {
  std::shared_ptr<const aisle::features::ItemFeatureStore> store;
};
struct aisle_online_feature_store {
  std::unique_ptr<aisle::features::OnlineFeatureStore> store;
};
struct aisle_model {
  // Exactly one of the two is set.
  std::optional<aisle::ranking::GbdtModel> gbdt;
  std::optional<aisle::ranking::LinearModel> linear;
  // Prediction over the model's own column order.
  std::unique_ptr<aisle::ranking::GbdtRanker> gbdt_ranker;
  std::unique_ptr<aisle::ranking::LinearRanker> linear_transformed;
  std::unique_ptr<aisle::ranking::LinearRanker> linear_margin;
  std::vector<std::string> feature_names;  // one per column ("" when unnamed)
  size_t num_features = 0;
  size_t num_outputs = 1;
  std::string version;
};
struct aisle_pipeline_builder {
  explicit aisle_pipeline_builder(std::string surface) : builder(std::move(surface)) {}
  aisle::serving::PipelineBuilder builder;
};
struct aisle_snapshot {
  aisle::serving::Snapshot snapshot;
};
struct aisle_engine {
  std::unique_ptr<aisle::serving::Engine> engine;
};
struct aisle_request {
  aisle::serving::Request request;
};
struct aisle_feature_matrix {
  aisle::serving::FeatureMatrix matrix;
};
struct aisle_shadow_result {
  aisle::serving::ShadowResult result;
  std::string status_message;  // NUL-terminated copy of result.status.message()
};
struct aisle_response {
  aisle::serving::Response response;
  // Columns and NUL-terminated strings built once when the response is made.
  std::vector<uint32_t> indices;
  std::vector<float> scores;
  std::vector<uint32_t> sources;
  std::string strings;               // ids, reasons and source names, each NUL-terminated
  std::vector<uint32_t> id_offsets;  // into strings, one per item
  std::vector<uint32_t> reason_offsets;
  std::vector<uint32_t> source_offsets;
};

namespace aisle::capi {

// This thread's last error message.
std::string& LastError();

// Records `status` as this thread's last error and returns its code.
int32_t SetError(const absl::Status& status);

// Runs `fn` (returning absl::Status) and converts anything it throws.
template <typename Fn>
int32_t Guard(Fn&& fn) noexcept {
  try {
    return SetError(fn());
  } catch (const std::bad_alloc&) {
    return SetError(absl::ResourceExhaustedError("out of memory"));
  } catch (const std::exception& e) {
    return SetError(absl::InternalError(std::string("unexpected exception: ") + e.what()));
  } catch (...) {
    return SetError(absl::InternalError("unexpected exception"));
  }
}

// Runs `fn` (returning absl::StatusOr<std::unique_ptr<T>>) and hands the
// handle to *out; *out is NULL on every failure.
template <typename T, typename Fn>
int32_t GuardCreate(T** out, Fn&& fn) noexcept {
  if (out == nullptr) return SetError(absl::InvalidArgumentError("out is NULL"));
  *out = nullptr;
  return Guard([&]() -> absl::Status {
    absl::StatusOr<std::unique_ptr<T>> made = fn();
    if (!made.ok()) return made.status();
    *out = made->release();
    return absl::OkStatus();
  });
}

// InvalidArgument "<what> is NULL".
inline absl::Status NullError(absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat(what, " is NULL"));
}

// A C string as a view ("" for NULL).
inline absl::string_view Str(const char* s) { return s == nullptr ? absl::string_view() : s; }

// Checks that an array argument is non-NULL unless its count is 0.
inline absl::Status CheckArray(const void* p, size_t count, absl::string_view what) {
  if (p == nullptr && count > 0) {
    return absl::InvalidArgumentError(absl::StrCat(what, " is NULL but its count is ", count));
  }
  return absl::OkStatus();
}

// InvalidArgument "<fn>: <name> = <value> is outside [<lo>, <hi>]" unless
// lo <= value <= hi (compared as integers, whatever their signedness).
template <typename T, typename L, typename H>
absl::Status CheckRange(absl::string_view fn, absl::string_view name, T value, L lo, H hi) {
  static_assert(std::is_integral_v<T> && std::is_integral_v<L> && std::is_integral_v<H>);
  if (std::cmp_less(value, lo) || std::cmp_greater(value, hi)) {
    return absl::InvalidArgumentError(
        absl::StrCat(fn, ": ", name, " = ", value, " is outside [", lo, ", ", hi, "]"));
  }
  return absl::OkStatus();
}

// The count of an array passed in: at most AISLE_MAX_ITEMS entries, and a
// non-NULL pointer unless the count is 0.
inline absl::Status CheckCount(absl::string_view fn, const void* p, size_t count,
                               absl::string_view what, absl::string_view count_name) {
  if (absl::Status s = CheckRange(fn, count_name, count, 0, AISLE_MAX_ITEMS); !s.ok()) return s;
  if (p == nullptr && count > 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(fn, ": ", what, " is NULL but ", count_name, " is ", count));
  }
  return absl::OkStatus();
}

// An id or name the library stores: the rule of aisle/core/external_id.h,
// reported as "<fn>: <what>: id '...' ...". NULL is "<what> is NULL".
inline absl::Status CheckStoredId(absl::string_view fn, const char* id, absl::string_view what) {
  if (id == nullptr) return NullError(what);
  return CheckExternalId(id, absl::StrCat(fn, ": ", what));
}

// As CheckStoredId for an optional id: NULL and "" are allowed.
inline absl::Status CheckStoredOptionalId(absl::string_view fn, const char* id,
                                          absl::string_view what) {
  if (id == nullptr) return absl::OkStatus();
  return aisle::CheckOptionalId(id, absl::StrCat(fn, ": ", what));
}

// Copies a caller's size-prefixed struct: fields beyond the caller's size
// keep their zero defaults. NULL gives all defaults.
template <typename S>
absl::StatusOr<S> ReadSized(const S* in, absl::string_view what) {
  static_assert(std::is_trivially_copyable_v<S>);
  S s;
  std::memset(&s, 0, sizeof(S));
  if (in != nullptr) {
    if (in->size < sizeof(size_t)) {
      return absl::InvalidArgumentError(
          absl::StrCat(what, ".size is ", in->size, "; set it to sizeof(", what, ")"));
    }
    std::memcpy(&s, in, in->size < sizeof(S) ? in->size : sizeof(S));
  }
  s.size = sizeof(S);
  return s;
}

// Writes `value` into a caller's size-prefixed out struct, up to its size.
template <typename S>
absl::Status WriteSized(const S& value, S* out, absl::string_view what) {
  static_assert(std::is_trivially_copyable_v<S>);
  if (out == nullptr) return NullError(what);
  const size_t n = out->size;
  if (n < sizeof(size_t)) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, "->size is ", n, "; set it to sizeof(the struct)"));
  }
  std::memcpy(reinterpret_cast<char*>(out) + sizeof(size_t),
              reinterpret_cast<const char*>(&value) + sizeof(size_t),
              (n < sizeof(S) ? n : sizeof(S)) - sizeof(size_t));
  return absl::OkStatus();
}

// Interaction columns -> records. Validates the count (at most
// AISLE_MAX_ITEMS), the arrays and the types; `fn` names the caller.
absl::StatusOr<std::vector<retrieval::Interaction>> ToInteractions(
    absl::string_view fn, const uint64_t* sessions, const uint32_t* items, const int64_t* times,
    const int32_t* types, size_t count);

// A list of strings (every entry must be non-NULL; at most AISLE_MAX_ITEMS
// of them). With `check_ids`, every entry must also follow the id rule
// (CheckStoredId). `what` names the array parameter; its count is `count`.
absl::StatusOr<std::vector<std::string>> ToStrings(absl::string_view fn, const char* const* ids,
                                                   size_t count, absl::string_view what,
                                                   bool check_ids);

// Microseconds -> absl::Duration.
inline absl::Duration Micros(int64_t us) { return absl::Microseconds(us); }

// Copies `text` into a caller's buffer the way aisle_engine_snapshot_version
// does: NUL-terminated, truncated to buf_len bytes (`buf` may be NULL when
// buf_len is 0); *out_len gets the full length.
inline absl::Status CopyOut(absl::string_view text, char* buf, size_t buf_len, size_t* out_len) {
  if (out_len == nullptr) return NullError("out_len");
  if (buf == nullptr && buf_len > 0) return NullError("buf");
  *out_len = text.size();
  if (buf_len > 0) {
    const size_t n = text.size() < buf_len - 1 ? text.size() : buf_len - 1;
    std::memcpy(buf, text.data(), n);
    buf[n] = '\0';
  }
  return absl::OkStatus();
}

}  // namespace aisle::capi

#endif  // AISLE_CAPI_INTERNAL_H_
