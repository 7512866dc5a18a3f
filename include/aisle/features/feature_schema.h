// File: aisle/features/feature_schema.h
//
// The feature schema: every named float feature a ranker can see, the group
// it belongs to (user, session, item, context, retrieval), what to write when
// a value is missing or NaN (its declared default; a NaN default keeps the
// value missing for models that handle NaN natively, such as GBDTs), and, per
// group, how old values may be and what to do with older ones (the stale
// policy). The order of AddFeature() calls fixes the column order of the
// assembled feature matrix; names() is what a model binds to.
//
//   aisle::features::FeatureSchemaBuilder b;
//   b.AddGroup(FeatureGroup::kUser, {.max_age_seconds = 86400,
//                                     .stale_policy = StalePolicy::kUseDefault});
//   b.AddGroup(FeatureGroup::kItem, {.max_age_seconds = 6 * 3600,
//                                     .stale_policy = StalePolicy::kDropToFallback});
//   b.AddFeature({.name = "user_ctr_7d", .group = FeatureGroup::kUser, .default_value = 0.01f});
//   b.AddFeature({.name = "price", .group = FeatureGroup::kItem});  // NaN stays NaN
//   AISLE_ASSIGN_OR_RETURN(FeatureSchema schema, std::move(b).Build());
//   schema.names();  // {"user_ctr_7d", "price"}
//
// FeatureSchema is immutable after Build(): thread-safe.
// FeatureSchemaBuilder is thread-compatible.
#ifndef AISLE_FEATURES_FEATURE_SCHEMA_H_
#define AISLE_FEATURES_FEATURE_SCHEMA_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "absl/types/span.h"

namespace aisle::features {

// Where a feature's value comes from.
enum class FeatureGroup : uint8_t {
  kUser = 0,       // per user key, online store, updated by events
  kSession = 1,    // per session key, online store, updated by events
  kItem = 2,       // per item, columnar snapshot store
  kContext = 3,    // given with each request (hour of day, device, surface)
  kRetrieval = 4,  // per candidate, from the candidate sources (ANN score, source bits)
};
inline constexpr int kNumFeatureGroups = 5;

// "user", "session", "item", "context", "retrieval".
absl::string_view FeatureGroupName(FeatureGroup group);

// What assembly does with a value older than its group's max_age.
enum class StalePolicy : uint8_t {
  kUseValue = 0,        // keep the stale value (counted as stale in the report)
  kUseDefault = 1,      // write the feature's declared default instead
  kDropToFallback = 2,  // keep the value and ask the pipeline to drop to the
                        // next fallback level (FreshnessReport::drop_to_fallback)
};

absl::string_view StalePolicyName(StalePolicy policy);

struct GroupOptions {
  // Values older than this many seconds are stale. Must not be NaN nor
  // negative; +Inf (the default) means "never stale". Seconds as a double so
  // that configs and the C ABI can pass it as is.
  double max_age_seconds = std::numeric_limits<double>::infinity();
  StalePolicy stale_policy = StalePolicy::kUseValue;
};

struct FeatureSpec {
  std::string name;
  FeatureGroup group = FeatureGroup::kItem;
  // Written when the value is missing or NaN (and, under kUseDefault, when it
  // is stale). NaN means "leave missing values as NaN". Must not be +-Inf.
  float default_value = std::numeric_limits<float>::quiet_NaN();
  // kRetrieval only: when >= 0, the feature is 1.0 when the candidate's source
  // bitmask has this bit set and 0.0 otherwise, instead of a column of the
  // request's retrieval matrix. Must be < aisle::kMaxSources.
  int source_bit = -1;
};

class FeatureSchema {
 public:
  // Column order of the feature matrix.
  absl::Span<const std::string> names() const { return names_; }
  size_t size() const { return features_.size(); }
  const FeatureSpec& feature(size_t column) const { return features_[column]; }

  // Column of a feature, or NotFound naming it.
  absl::StatusOr<size_t> ColumnOf(absl::string_view name) const;

  bool HasGroup(FeatureGroup group) const { return group_options_[Index(group)].has_value(); }
  // The group's options; default options for a group never declared.
  const GroupOptions& group_options(FeatureGroup group) const;
  // The group's max age as a duration (InfiniteDuration when never stale).
  absl::Duration max_age(FeatureGroup group) const { return max_age_[Index(group)]; }

  // Matrix columns of a group's features, in matrix order.
  absl::Span<const size_t> columns(FeatureGroup group) const { return columns_[Index(group)]; }

  // kRetrieval features that read the request's retrieval matrix (not source
  // bits), in matrix order; position i reads retrieval-matrix column i.
  absl::Span<const size_t> retrieval_matrix_columns() const { return retrieval_matrix_columns_; }

 private:
  friend class FeatureSchemaBuilder;
  static size_t Index(FeatureGroup g) { return static_cast<size_t>(g); }

  std::vector<FeatureSpec> features_;
  std::vector<std::string> names_;
  absl::flat_hash_map<std::string, size_t> by_name_;
  std::array<std::optional<GroupOptions>, kNumFeatureGroups> group_options_;
  std::array<absl::Duration, kNumFeatureGroups> max_age_;
  std::array<std::vector<size_t>, kNumFeatureGroups> columns_;
  std::vector<size_t> retrieval_matrix_columns_;
};

class FeatureSchemaBuilder {
 public:
  // Declares a group. Every feature's group must be declared; declaring a
  // group twice is an error reported by Build().
  FeatureSchemaBuilder& AddGroup(FeatureGroup group, GroupOptions options);
  FeatureSchemaBuilder& AddFeature(FeatureSpec spec);

  // InvalidArgument naming the offender for: an empty or duplicate feature
  // name, a name that breaks the id rule (docs/catalog.md: UTF-8 text without
  // control characters, at most 1024 bytes), a feature of an undeclared group, a group declared twice, a group
  // declared without features, a NaN or negative max age, an infinite default, a
  // source bit out of range or outside the retrieval group, a schema with no
  // features.
  absl::StatusOr<FeatureSchema> Build() &&;

 private:
  std::vector<std::pair<FeatureGroup, GroupOptions>> groups_;
  std::vector<FeatureSpec> features_;
};

}  // namespace aisle::features

#endif  // AISLE_FEATURES_FEATURE_SCHEMA_H_
