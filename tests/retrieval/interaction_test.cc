#include "aisle/retrieval/interaction.h"

#include <string>

#include "absl/status/status.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace aisle::retrieval {
namespace {

using ::testing::HasSubstr;

TEST(YoochooseTsv, ParsesRowsAndAssignsDenseIndices) {
  ItemIdMap ids;
  auto log = ParseYoochooseTsv(
      "SessionId\tItemId\tTime\n7\t214536502\t1396860669.277\n7\t99\t1396860886.9\n"
      "8\t214536502\t1396860900\n",
      "mem", ids);
  ASSERT_TRUE(log.ok()) << log.status();
  ASSERT_EQ(log->size(), 3u);
  EXPECT_EQ((*log)[0].session, 7u);
  EXPECT_EQ((*log)[0].item, 0u);
  EXPECT_EQ((*log)[1].item, 1u);
  EXPECT_EQ((*log)[2].item, 0u);
  EXPECT_EQ((*log)[0].time_micros, int64_t{1396860669277000});
  EXPECT_EQ((*log)[1].time_micros, int64_t{1396860886900000});
  EXPECT_EQ((*log)[2].time_micros, int64_t{1396860900000000});
  EXPECT_EQ((*log)[0].type, InteractionType::kClick);
  EXPECT_EQ(ids.size(), 2u);
  EXPECT_EQ(ids.ExternalId(1), "99");
  EXPECT_EQ(ids.Find("214536502"), 0u);
  EXPECT_EQ(ids.Find("nope"), kInvalidItem);
}

TEST(YoochooseTsv, MalformedLineNamesFileAndLine) {
  ItemIdMap ids;
  auto log = ParseYoochooseTsv("SessionId\tItemId\tTime\n1\t5\t10.5\n1\t5\n", "clicks.tsv", ids);
  ASSERT_FALSE(log.ok());
  EXPECT_EQ(log.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(log.status().message()), HasSubstr("clicks.tsv:3:"));

  log = ParseYoochooseTsv("1\t5\t10.5\nx\t5\t11\n", "f", ids);
  EXPECT_THAT(std::string(log.status().message()), HasSubstr("f:2: SessionId \"x\""));
  log = ParseYoochooseTsv("1\t5\t-3\n", "f", ids);
  EXPECT_THAT(std::string(log.status().message()), HasSubstr("f:1: Time \"-3\""));
  log = ParseYoochooseTsv("1\t5\t1.\n", "f", ids);
  EXPECT_FALSE(log.ok());
  log = ParseYoochooseTsv("1\t\t1\n", "f", ids);
  EXPECT_THAT(std::string(log.status().message()), HasSubstr("empty ItemId"));
  log = ParseYoochooseTsv("1\t2\t3\t4\n", "f", ids);
  EXPECT_THAT(std::string(log.status().message()), HasSubstr("3 tab-separated fields"));
}

TEST(YoochooseTsv, UnknownItemWithFixedMapIsNotFound) {
  ItemIdMap ids;
  ids.Add("5");
  auto log = ParseYoochooseTsv("1\t5\t1\n1\t6\t2\n", "f", ids, {.add_unknown_items = false});
  EXPECT_EQ(log.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(log.status().message()), HasSubstr("f:2: unknown ItemId \"6\""));
  EXPECT_EQ(ids.size(), 1u);
}

TEST(YoochooseTsv, MissingFileIsNotFound) {
  ItemIdMap ids;
  EXPECT_EQ(ReadYoochooseTsv("/nonexistent/clicks.tsv", ids).status().code(),
            absl::StatusCode::kNotFound);
}

TEST(YoochooseTsv, ReadsSharedTrainFull) {
  const std::string path =
      std::string(AISLE_SHARED_DATA_DIR) + "/yoochoose/yoochoose-clicks-100k_train_full.txt";
  ItemIdMap ids;
  auto log = ReadYoochooseTsv(path, ids);
  if (absl::IsNotFound(log.status())) GTEST_SKIP() << "shared data absent: " << path;
  ASSERT_TRUE(log.ok()) << log.status();
  // Figures from shared/data/README.md.
  EXPECT_EQ(log->size(), 70278u);
  EXPECT_EQ(ids.size(), 2933u);
  EXPECT_EQ(InteractionTypeName((*log)[0].type), "click");
}

TEST(YoochooseTsv, ItemIdBreakingTheIdRuleNamesFileLineAndField) {
  ItemIdMap ids;
  auto log = ParseYoochooseTsv(std::string("1\t5\t10.5\n1\t6\x01\t11\n", 18), "clicks.tsv", ids);
  ASSERT_FALSE(log.ok());
  EXPECT_EQ(log.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(log.status().message(),
              HasSubstr("clicks.tsv:2: field 'ItemId': id '6\\x01' has control character 0x01"));
  log = ParseYoochooseTsv("1\t\xFF\t10.5\n", "clicks.tsv", ids);
  ASSERT_FALSE(log.ok());
  EXPECT_THAT(log.status().message(),
              HasSubstr("clicks.tsv:1: field 'ItemId': id '\\xFF' is not valid UTF-8"));
}

TEST(YoochooseTsv, TimeOutsideTheSaneRangeNamesFileLineFieldAndValue) {
  ItemIdMap ids;
  auto log = ParseYoochooseTsv("1\t5\t10.5\n1\t5\t99999999999\n", "clicks.tsv", ids);
  ASSERT_FALSE(log.ok());
  EXPECT_EQ(log.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(log.status().message(),
              HasSubstr("clicks.tsv:2: field 'Time' (\"99999999999\"): time 99999999999000000 is "
                        "outside [1900-01-01, 2400-01-01)"));
}

}  // namespace
}  // namespace aisle::retrieval
