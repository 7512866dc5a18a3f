#include "aisle/catalog/csv_reader.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace aisle::catalog {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

// Reads every record; each record as a vector of strings.
std::vector<std::vector<std::string>> ReadAll(absl::string_view text, absl::Status* status,
                                              std::vector<size_t>* lines = nullptr,
                                              CsvOptions options = {}) {
  CsvReader reader(text, "t.csv", options);
  std::vector<std::vector<std::string>> out;
  while (reader.Next()) {
    out.emplace_back(reader.fields().begin(), reader.fields().end());
    if (lines) lines->push_back(reader.line());
  }
  *status = reader.status();
  return out;
}

TEST(CsvReader, PlainRecords) {
  absl::Status s;
  auto r = ReadAll("a,b,c\n1,2,3\n", &s);
  ASSERT_TRUE(s.ok()) << s;
  ASSERT_EQ(r.size(), 2u);
  EXPECT_THAT(r[0], ElementsAre("a", "b", "c"));
  EXPECT_THAT(r[1], ElementsAre("1", "2", "3"));
}

TEST(CsvReader, QuotedFieldsWithDelimiterNewlineAndEscapedQuotes) {
  absl::Status s;
  std::vector<size_t> lines;
  auto r =
      ReadAll("id,title\n1,\"a, b\"\n2,\"say \"\"hi\"\"\"\n3,\"two\nlines\"\n4,x\n", &s, &lines);
  ASSERT_TRUE(s.ok()) << s;
  ASSERT_EQ(r.size(), 5u);
  EXPECT_THAT(r[1], ElementsAre("1", "a, b"));
  EXPECT_THAT(r[2], ElementsAre("2", "say \"hi\""));
  EXPECT_THAT(r[3], ElementsAre("3", "two\nlines"));
  EXPECT_THAT(r[4], ElementsAre("4", "x"));
  // The record after a quoted newline starts one physical line later.
  EXPECT_THAT(lines, ElementsAre(1, 2, 3, 4, 6));
}

TEST(CsvReader, SeveralEscapedFieldsInOneRecordStayValid) {
  absl::Status s;
  auto r = ReadAll("\"a\"\"1\",\"b\"\"2\",plain,\"c\"\"3\"\n", &s);
  ASSERT_TRUE(s.ok()) << s;
  ASSERT_EQ(r.size(), 1u);
  EXPECT_THAT(r[0], ElementsAre("a\"1", "b\"2", "plain", "c\"3"));
}

TEST(CsvReader, CrlfLineEnds) {
  absl::Status s;
  std::vector<size_t> lines;
  auto r = ReadAll("a,b\r\n1,\"q\"\r\n2,3\r\n", &s, &lines);
  ASSERT_TRUE(s.ok()) << s;
  ASSERT_EQ(r.size(), 3u);
  EXPECT_THAT(r[1], ElementsAre("1", "q"));
  EXPECT_THAT(r[2], ElementsAre("2", "3"));
  EXPECT_THAT(lines, ElementsAre(1, 2, 3));
}

TEST(CsvReader, EmptyFieldsAndMissingFinalNewline) {
  absl::Status s;
  auto r = ReadAll("a,,c\n,,\n\"\",x,", &s);
  ASSERT_TRUE(s.ok()) << s;
  ASSERT_EQ(r.size(), 3u);
  EXPECT_THAT(r[0], ElementsAre("a", "", "c"));
  EXPECT_THAT(r[1], ElementsAre("", "", ""));
  EXPECT_THAT(r[2], ElementsAre("", "x", ""));
}

TEST(CsvReader, SkipsBlankLinesAndBom) {
  absl::Status s;
  std::vector<size_t> lines;
  auto r = ReadAll("\xEF\xBB\xBFh1,h2\n\n\r\n1,2\n\n", &s, &lines);
  ASSERT_TRUE(s.ok()) << s;
  ASSERT_EQ(r.size(), 2u);
  EXPECT_THAT(r[0], ElementsAre("h1", "h2"));
  EXPECT_THAT(lines, ElementsAre(1, 4));
}

TEST(CsvReader, OtherDelimiter) {
  absl::Status s;
  auto r = ReadAll("a\tb,c\n", &s, nullptr, {.delimiter = '\t'});
  ASSERT_TRUE(s.ok());
  EXPECT_THAT(r[0], ElementsAre("a", "b,c"));
}

TEST(CsvReader, UnterminatedQuoteNamesLine) {
  absl::Status s;
  ReadAll("a,b\n1,2\n3,\"open\n4,5\n", &s);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("t.csv:3"));
  EXPECT_THAT(s.message(), HasSubstr("unterminated"));
}

TEST(CsvReader, GarbageAfterClosingQuoteIsAnError) {
  absl::Status s;
  ReadAll("a,b\n\"x\"y,2\n", &s);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("t.csv:2"));
  EXPECT_THAT(s.message(), HasSubstr("after a closing quote"));
}

TEST(CsvReader, EmptyTextHasNoRecords) {
  absl::Status s;
  EXPECT_TRUE(ReadAll("", &s).empty());
  EXPECT_TRUE(s.ok());
}

}  // namespace
}  // namespace aisle::catalog
