#include "aisle/features/feature_schema.h"

#include <cmath>
#include <string>
#include <utility>

#include "absl/strings/str_format.h"
#include "aisle/core/external_id.h"
#include "aisle/core/ids.h"
#include "aisle/core/status_macros.h"

namespace aisle::features {

absl::string_view FeatureGroupName(FeatureGroup group) {
  switch (group) {
    case FeatureGroup::kUser:
      return "user";
    case FeatureGroup::kSession:
      return "session";
    case FeatureGroup::kItem:
      return "item";
    case FeatureGroup::kContext:
      return "context";
    case FeatureGroup::kRetrieval:
      return "retrieval";
  }
  return "unknown";
}

absl::string_view StalePolicyName(StalePolicy policy) {
  switch (policy) {
    case StalePolicy::kUseValue:
      return "use_value";
    case StalePolicy::kUseDefault:
      return "use_default";
    case StalePolicy::kDropToFallback:
      return "drop_to_fallback";
  }
  return "unknown";
}

absl::StatusOr<size_t> FeatureSchema::ColumnOf(absl::string_view name) const {
  auto it = by_name_.find(std::string(name));
  if (it == by_name_.end()) {
    return absl::NotFoundError(
        absl::StrFormat("feature schema has no feature named '%s'", std::string(name)));
  }
  return it->second;
}

const GroupOptions& FeatureSchema::group_options(FeatureGroup group) const {
  static const GroupOptions kDefault;
  const auto& o = group_options_[Index(group)];
  return o.has_value() ? *o : kDefault;
}

FeatureSchemaBuilder& FeatureSchemaBuilder::AddGroup(FeatureGroup group, GroupOptions options) {
  groups_.emplace_back(group, options);
  return *this;
}

FeatureSchemaBuilder& FeatureSchemaBuilder::AddFeature(FeatureSpec spec) {
  features_.push_back(std::move(spec));
  return *this;
}

absl::StatusOr<FeatureSchema> FeatureSchemaBuilder::Build() && {
  FeatureSchema schema;
  for (auto& d : schema.max_age_) d = absl::InfiniteDuration();
  for (const auto& [group, options] : groups_) {
    const size_t g = static_cast<size_t>(group);
    if (g >= kNumFeatureGroups) {
      return absl::InvalidArgumentError(absl::StrFormat("unknown feature group %d", g));
    }
    const std::string gname(FeatureGroupName(group));
    if (schema.group_options_[g].has_value()) {
      return absl::InvalidArgumentError(
          absl::StrFormat("feature group '%s' is declared twice", gname));
    }
    if (std::isnan(options.max_age_seconds)) {
      return absl::InvalidArgumentError(
          absl::StrFormat("feature group '%s': max age is NaN", gname));
    }
    if (options.max_age_seconds < 0) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "feature group '%s': max age %g s is negative", gname, options.max_age_seconds));
    }
    const int policy = static_cast<int>(options.stale_policy);
    if (policy < 0 || policy > static_cast<int>(StalePolicy::kDropToFallback)) {
      return absl::InvalidArgumentError(
          absl::StrFormat("feature group '%s': unknown stale policy %d", gname, policy));
    }
    schema.group_options_[g] = options;
    schema.max_age_[g] = std::isinf(options.max_age_seconds)
                             ? absl::InfiniteDuration()
                             : absl::Seconds(options.max_age_seconds);
  }
  if (features_.empty()) {
    return absl::InvalidArgumentError("feature schema has no features");
  }
  for (size_t i = 0; i < features_.size(); ++i) {
    FeatureSpec& f = features_[i];
    if (f.name.empty()) {
      return absl::InvalidArgumentError(absl::StrFormat("feature #%d has an empty name", i));
    }
    // Models bind to these names and the C API passes them as C strings.
    AISLE_RETURN_IF_ERROR(CheckExternalId(f.name, absl::StrFormat("feature #%d: name", i)));
    const size_t g = static_cast<size_t>(f.group);
    if (g >= kNumFeatureGroups) {
      return absl::InvalidArgumentError(
          absl::StrFormat("feature '%s': unknown feature group %d", f.name, g));
    }
    if (!schema.group_options_[g].has_value()) {
      return absl::InvalidArgumentError(
          absl::StrFormat("feature '%s' belongs to group '%s', which is not declared", f.name,
                          std::string(FeatureGroupName(f.group))));
    }
    if (std::isinf(f.default_value)) {
      return absl::InvalidArgumentError(
          absl::StrFormat("feature '%s': default value %f is infinite", f.name, f.default_value));
    }
    if (f.source_bit >= 0) {
      if (f.group != FeatureGroup::kRetrieval) {
        return absl::InvalidArgumentError(
            absl::StrFormat("feature '%s': source_bit %d is only allowed in the retrieval group",
                            f.name, f.source_bit));
      }
      if (f.source_bit >= kMaxSources) {
        return absl::InvalidArgumentError(
            absl::StrFormat("feature '%s': source_bit %d is out of range [0, %d)", f.name,
                            f.source_bit, kMaxSources));
      }
    } else if (f.source_bit != -1) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "feature '%s': source_bit %d is negative (use -1 for none)", f.name, f.source_bit));
    }
    if (!schema.by_name_.emplace(f.name, i).second) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "duplicate feature name '%s' (columns %d and %d)", f.name, schema.by_name_[f.name], i));
    }
    schema.columns_[g].push_back(i);
    if (f.group == FeatureGroup::kRetrieval && f.source_bit < 0) {
      schema.retrieval_matrix_columns_.push_back(i);
    }
  }
  for (size_t g = 0; g < kNumFeatureGroups; ++g) {
    if (schema.group_options_[g].has_value() && schema.columns_[g].empty()) {
      return absl::InvalidArgumentError(
          absl::StrFormat("feature group '%s' is declared but has no features",
                          std::string(FeatureGroupName(static_cast<FeatureGroup>(g)))));
    }
  }
  schema.features_ = std::move(features_);
  schema.names_.reserve(schema.features_.size());
  for (const auto& f : schema.features_) schema.names_.push_back(f.name);
  return schema;
}

}  // namespace aisle::features
