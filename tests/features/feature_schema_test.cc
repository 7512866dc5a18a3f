#include "aisle/features/feature_schema.h"

#include <cmath>
#include <limits>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace aisle::features {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();

FeatureSchemaBuilder TwoGroups() {
  FeatureSchemaBuilder b;
  b.AddGroup(FeatureGroup::kUser, {.max_age_seconds = 60, .stale_policy = StalePolicy::kUseValue});
  b.AddGroup(FeatureGroup::kItem, {});
  return b;
}

TEST(FeatureSchema, ColumnsFollowDeclarationOrder) {
  FeatureSchemaBuilder b = TwoGroups();
  b.AddGroup(FeatureGroup::kRetrieval, {});
  b.AddFeature({.name = "price", .group = FeatureGroup::kItem});
  b.AddFeature({.name = "ann_score", .group = FeatureGroup::kRetrieval, .default_value = 0});
  b.AddFeature({.name = "user_ctr", .group = FeatureGroup::kUser, .default_value = 0.5f});
  b.AddFeature({.name = "from_covis", .group = FeatureGroup::kRetrieval, .source_bit = 3});
  b.AddFeature({.name = "stock", .group = FeatureGroup::kItem});
  absl::StatusOr<FeatureSchema> s = std::move(b).Build();
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_THAT(s->names(), ElementsAre("price", "ann_score", "user_ctr", "from_covis", "stock"));
  EXPECT_THAT(s->columns(FeatureGroup::kItem), ElementsAre(0u, 4u));
  EXPECT_THAT(s->columns(FeatureGroup::kUser), ElementsAre(2u));
  EXPECT_THAT(s->columns(FeatureGroup::kRetrieval), ElementsAre(1u, 3u));
  EXPECT_THAT(s->retrieval_matrix_columns(), ElementsAre(1u));
  EXPECT_TRUE(s->columns(FeatureGroup::kContext).empty());
  EXPECT_EQ(*s->ColumnOf("stock"), 4u);
  EXPECT_EQ(s->feature(2).default_value, 0.5f);
  EXPECT_TRUE(std::isnan(s->feature(0).default_value));
  EXPECT_EQ(s->max_age(FeatureGroup::kUser), absl::Seconds(60));
  EXPECT_EQ(s->max_age(FeatureGroup::kItem), absl::InfiniteDuration());
  EXPECT_TRUE(s->HasGroup(FeatureGroup::kUser));
  EXPECT_FALSE(s->HasGroup(FeatureGroup::kSession));
}

TEST(FeatureSchema, ColumnOfUnknownNameIsNotFound) {
  FeatureSchemaBuilder b = TwoGroups();
  b.AddFeature({.name = "price", .group = FeatureGroup::kItem});
  b.AddFeature({.name = "u", .group = FeatureGroup::kUser});
  absl::StatusOr<FeatureSchema> s = std::move(b).Build();
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->ColumnOf("prize").status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(s->ColumnOf("prize").status().message(), HasSubstr("prize"));
}

TEST(FeatureSchemaBuilder, RejectsDuplicateName) {
  FeatureSchemaBuilder b = TwoGroups();
  b.AddFeature({.name = "price", .group = FeatureGroup::kItem});
  b.AddFeature({.name = "u", .group = FeatureGroup::kUser});
  b.AddFeature({.name = "price", .group = FeatureGroup::kUser});
  absl::Status s = std::move(b).Build().status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("duplicate feature name 'price'"));
}

TEST(FeatureSchemaBuilder, RejectsEmptyGroup) {
  FeatureSchemaBuilder b = TwoGroups();
  b.AddFeature({.name = "price", .group = FeatureGroup::kItem});
  absl::Status s = std::move(b).Build().status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("'user' is declared but has no features"));
}

TEST(FeatureSchemaBuilder, RejectsNanMaxAge) {
  FeatureSchemaBuilder b;
  b.AddGroup(FeatureGroup::kSession, {.max_age_seconds = std::numeric_limits<double>::quiet_NaN()});
  b.AddFeature({.name = "s", .group = FeatureGroup::kSession});
  absl::Status s = std::move(b).Build().status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("'session': max age is NaN"));
}

TEST(FeatureSchemaBuilder, RejectsNegativeMaxAge) {
  FeatureSchemaBuilder b;
  b.AddGroup(FeatureGroup::kItem, {.max_age_seconds = -1});
  b.AddFeature({.name = "price", .group = FeatureGroup::kItem});
  absl::Status s = std::move(b).Build().status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("negative"));
}

TEST(FeatureSchemaBuilder, RejectsFeatureOfUndeclaredGroup) {
  FeatureSchemaBuilder b;
  b.AddGroup(FeatureGroup::kItem, {});
  b.AddFeature({.name = "price", .group = FeatureGroup::kItem});
  b.AddFeature({.name = "hour", .group = FeatureGroup::kContext});
  absl::Status s = std::move(b).Build().status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("'hour' belongs to group 'context', which is not declared"));
}

TEST(FeatureSchemaBuilder, RejectsGroupDeclaredTwice) {
  FeatureSchemaBuilder b;
  b.AddGroup(FeatureGroup::kItem, {});
  b.AddGroup(FeatureGroup::kItem, {.max_age_seconds = 5});
  b.AddFeature({.name = "price", .group = FeatureGroup::kItem});
  absl::Status s = std::move(b).Build().status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("'item' is declared twice"));
}

TEST(FeatureSchemaBuilder, RejectsInfiniteDefault) {
  FeatureSchemaBuilder b;
  b.AddGroup(FeatureGroup::kItem, {});
  b.AddFeature({.name = "price",
                .group = FeatureGroup::kItem,
                .default_value = std::numeric_limits<float>::infinity()});
  absl::Status s = std::move(b).Build().status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("'price': default value inf is infinite"));
}

TEST(FeatureSchemaBuilder, RejectsSourceBitOutsideRetrievalOrOutOfRange) {
  {
    FeatureSchemaBuilder b;
    b.AddGroup(FeatureGroup::kItem, {});
    b.AddFeature({.name = "price", .group = FeatureGroup::kItem, .source_bit = 1});
    absl::Status s = std::move(b).Build().status();
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(s.message(), HasSubstr("'price': source_bit 1 is only allowed"));
  }
  {
    FeatureSchemaBuilder b;
    b.AddGroup(FeatureGroup::kRetrieval, {});
    b.AddFeature({.name = "src32", .group = FeatureGroup::kRetrieval, .source_bit = 32});
    absl::Status s = std::move(b).Build().status();
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(s.message(), HasSubstr("'src32': source_bit 32 is out of range"));
  }
}

TEST(FeatureSchemaBuilder, RejectsEmptySchemaAndEmptyName) {
  EXPECT_EQ(FeatureSchemaBuilder().Build().status().code(), absl::StatusCode::kInvalidArgument);
  FeatureSchemaBuilder b;
  b.AddGroup(FeatureGroup::kItem, {});
  b.AddFeature({.name = "", .group = FeatureGroup::kItem, .default_value = kNaN});
  absl::Status s = std::move(b).Build().status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("feature #0 has an empty name"));
}

TEST(FeatureSchema, FeatureNameFollowsTheIdRule) {
  FeatureSchemaBuilder b;
  b.AddGroup(FeatureGroup::kItem, {});
  b.AddFeature({.name = "price", .group = FeatureGroup::kItem});
  b.AddFeature({.name = "\xC0\xAFprice", .group = FeatureGroup::kItem});  // an overlong '/'
  auto s = std::move(b).Build();
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(s.status().message(),
              HasSubstr("feature #1: name: id '\\xC0\\xAFprice' is not valid UTF-8 (byte 0xC0 at "
                        "byte 0)"));
}

}  // namespace
}  // namespace aisle::features
