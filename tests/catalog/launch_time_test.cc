// Item launch times from CSV, JSONL and CatalogBuilder: unknown stays allowed
// (an empty cell, null, INT64_MIN, absl::InfinitePast()); any other time
// outside [1900-01-01, 2400-01-01) is refused, naming the file, line and
// field (or the item) and the value.
#include <cstdint>
#include <limits>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "aisle/catalog/catalog.h"
#include "aisle/catalog/catalog_builder.h"
#include "aisle/catalog/item_file.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace aisle::catalog {
namespace {

using ::testing::HasSubstr;

absl::StatusOr<Catalog> FromCsv(absl::string_view text) {
  CatalogBuilder b;
  absl::Status s = AddItemsFromCsv(text, "items.csv", b);
  if (!s.ok()) return s;
  return b.Build();
}

absl::StatusOr<Catalog> FromJsonl(absl::string_view text) {
  CatalogBuilder b;
  absl::Status s = AddItemsFromJsonl(text, "items.jsonl", b);
  if (!s.ok()) return s;
  return b.Build();
}

TEST(LaunchTime, CsvTimeOutsideTheSaneRangeIsRejectedNamingFileLineFieldAndValue) {
  auto c = FromCsv("id,price,stock,launch_time\na,1,1,1700000000\nb,1,1,99999999999999\n");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(c.status().message(),
              HasSubstr("items.csv:3: field 'launch_time': time 9223372036854775807 is outside "
                        "[1900-01-01, 2400-01-01)"));
  EXPECT_THAT(c.status().message(), HasSubstr("written as '99999999999999'"));

  c = FromCsv("id,price,stock,launch_time\na,1,1,0001-01-01T00:00:00Z\n");
  ASSERT_FALSE(c.ok());
  EXPECT_THAT(c.status().message(), HasSubstr("items.csv:2: field 'launch_time': time "));
  EXPECT_THAT(c.status().message(), HasSubstr("written as '0001-01-01T00:00:00Z'"));
}

TEST(LaunchTime, CsvUnknownStaysAllowed) {
  auto c = FromCsv("id,price,stock,launch_time\na,1,1,\nb,1,1,-9223372036854775808\n");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->launch_time(0), absl::InfinitePast());
  EXPECT_EQ(c->launch_time(1), absl::InfinitePast());
  EXPECT_EQ(c->launch_times_micros()[1], Catalog::kUnknownTime);
}

TEST(LaunchTime, CsvEdgesOfTheSaneRange) {
  auto c = FromCsv(
      "id,price,stock,launch_time\na,1,1,-2208988800\nb,1,1,2399-12-31T23:59:59Z\n");
  ASSERT_TRUE(c.ok()) << c.status();
  c = FromCsv("id,price,stock,launch_time\na,1,1,-2208988801\n");
  ASSERT_FALSE(c.ok());
  EXPECT_THAT(c.status().message(), HasSubstr("items.csv:2: field 'launch_time'"));
  c = FromCsv("id,price,stock,launch_time\na,1,1,2400-01-01T00:00:00Z\n");
  ASSERT_FALSE(c.ok());
}

TEST(LaunchTime, JsonlTimeOutsideTheSaneRangeIsRejectedNamingFileLineFieldAndValue) {
  auto c = FromJsonl(
      "{\"id\": \"a\", \"price\": 1, \"stock\": 1, \"launch_time\": 1700000000}\n"
      "{\"id\": \"b\", \"price\": 1, \"stock\": 1, \"launch_time\": 9e12}\n");
  ASSERT_FALSE(c.ok());
  EXPECT_THAT(c.status().message(),
              HasSubstr("items.jsonl:2: field 'launch_time': time 9000000000000000000 is outside "
                        "[1900-01-01, 2400-01-01)"));
  c = FromJsonl("{\"id\": \"a\", \"price\": 1, \"stock\": 1, \"launch_time\": -9223372036854775807}\n");
  ASSERT_FALSE(c.ok());
  EXPECT_THAT(c.status().message(), HasSubstr("items.jsonl:1: field 'launch_time'"));
  EXPECT_THAT(c.status().message(), HasSubstr("written as '-9223372036854775807'"));
  c = FromJsonl("{\"id\": \"a\", \"price\": 1, \"stock\": 1, \"launch_time\": 18446744073709551615}\n");
  ASSERT_FALSE(c.ok());
  EXPECT_THAT(c.status().message(), HasSubstr("items.jsonl:1: field 'launch_time'"));
}

TEST(LaunchTime, JsonlUnknownStaysAllowed) {
  auto c = FromJsonl(
      "{\"id\": \"a\", \"price\": 1, \"stock\": 1, \"launch_time\": null}\n"
      "{\"id\": \"b\", \"price\": 1, \"stock\": 1, \"launch_time\": -9223372036854775808}\n"
      "{\"id\": \"c\", \"price\": 1, \"stock\": 1, \"launch_time\": \"\"}\n");
  ASSERT_TRUE(c.ok()) << c.status();
  for (ItemIndex i = 0; i < 3; ++i) EXPECT_EQ(c->launch_time(i), absl::InfinitePast()) << i;
}

TEST(LaunchTime, BuilderRejectsInsaneTimeNamingItemAndField) {
  CatalogBuilder b;
  absl::Status s = b.AddItem({.id = "a", .price = 1, .launch_time = absl::InfiniteFuture()});
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("item 'a': field 'launch_time': time is infinite-future"));
  s = b.AddItem({.id = "a", .price = 1, .launch_time = absl::FromUnixSeconds(int64_t{1} << 40)});
  EXPECT_THAT(s.message(), HasSubstr("item 'a': field 'launch_time': time "));
  EXPECT_THAT(s.message(), HasSubstr("is outside [1900-01-01, 2400-01-01)"));
  EXPECT_EQ(b.size(), 0u);
  // Unknown, written either way, is allowed.
  EXPECT_TRUE(b.AddItem({.id = "a", .price = 1, .launch_time = absl::InfinitePast()}).ok());
  EXPECT_TRUE(b.AddItem({.id = "b",
                         .price = 1,
                         .launch_time = absl::FromUnixMicros(std::numeric_limits<int64_t>::min())})
                  .ok());
  auto c = b.Build();
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->launch_times_micros()[1], Catalog::kUnknownTime);
}

}  // namespace
}  // namespace aisle::catalog
