#include "aisle/core/external_id.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace aisle {
namespace {

using ::testing::HasSubstr;

TEST(ExternalId, AcceptsTextInAnyScript) {
  EXPECT_TRUE(CheckExternalId("sku-123", "x").ok());
  EXPECT_TRUE(CheckExternalId("chaussure d'été 42", "x").ok());
  EXPECT_TRUE(CheckExternalId("\xE5\x95\x86\xE5\x93\x81", "x").ok());  // 商品
  EXPECT_TRUE(CheckExternalId("\xF0\x9F\x9B\x92", "x").ok());          // U+1F6D2
  EXPECT_TRUE(CheckExternalId(std::string(kMaxIdBytes, 'a'), "x").ok());
}

TEST(ExternalId, RejectsEmptyLongControlAndNul) {
  EXPECT_THAT(CheckExternalId("", "items.csv:3: field 'id'").message(),
              HasSubstr("items.csv:3: field 'id': id is empty"));
  EXPECT_TRUE(CheckOptionalId("", "user_id").ok());
  EXPECT_THAT(CheckExternalId(std::string(kMaxIdBytes + 1, 'a'), "x").message(),
              HasSubstr("1025 bytes long"));
  const std::string nul("ab\0c", 4);
  absl::Status s = CheckExternalId(nul, "items.jsonl:9");
  EXPECT_TRUE(absl::IsInvalidArgument(s));
  EXPECT_THAT(s.message(), HasSubstr("items.jsonl:9"));
  EXPECT_THAT(s.message(), HasSubstr("0x00 (NUL) at byte 2"));
  EXPECT_THAT(s.message(), HasSubstr("ab\\x00c"));
  EXPECT_THAT(CheckExternalId("a\tb", "x").message(), HasSubstr("0x09"));
  EXPECT_THAT(CheckExternalId("a\x7f", "x").message(), HasSubstr("0x7F"));
}

TEST(ExternalId, RejectsInvalidUtf8) {
  for (const char* bad :
       {"\xC3", "a\xC3(", "\xC0\xAF", "\xED\xA0\x80", "\xF4\x90\x80\x80", "\xFF", "\xE2\x82"}) {
    absl::Status s = CheckExternalId(bad, "seed_items[0]");
    EXPECT_TRUE(absl::IsInvalidArgument(s)) << bad;
    EXPECT_THAT(s.message(), HasSubstr("not valid UTF-8")) << bad;
    EXPECT_THAT(s.message(), HasSubstr("seed_items[0]")) << bad;
  }
  size_t off = 99;
  EXPECT_FALSE(IsValidUtf8("ok\xC3(", &off));
  EXPECT_EQ(off, 2u);
  EXPECT_EQ(PrintableId("ok\xC3("), "ok\\xC3(");
}

}  // namespace
}  // namespace aisle
