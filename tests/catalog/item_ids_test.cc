// The id rule (docs/catalog.md, aisle/core/external_id.h) on every path that
// takes item ids or the names filters look up (brand, category levels,
// attribute keys and values): 1..1024 bytes of valid UTF-8 without control
// characters. An id with a NUL byte or invalid UTF-8 is refused where it
// enters, naming the file, line and field (or the item), never loaded to be
// unreachable through the C string API.
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "aisle/catalog/catalog.h"
#include "aisle/catalog/catalog_builder.h"
#include "aisle/catalog/embedding_file.h"
#include "aisle/catalog/item_file.h"
#include "aisle/core/blob.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace aisle::catalog {
namespace {

using ::testing::HasSubstr;

const std::string kNulId("sku\0x", 5);
const std::string kBadUtf8 = "sku-\xC3(";  // a lead byte without its continuation
const std::string kLongId(1025, 'a');

absl::Status AddCsv(absl::string_view text) {
  CatalogBuilder b;
  return AddItemsFromCsv(text, "items.csv", b);
}
absl::Status AddJsonl(absl::string_view text) {
  CatalogBuilder b;
  return AddItemsFromJsonl(text, "items.jsonl", b);
}

TEST(ItemIds, CsvIdWithNulIsRejectedNamingFileLineAndField) {
  const absl::Status s = AddCsv(absl::StrCat("id,price,stock\nok,1,1\n", kNulId, ",1,1\n"));
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("items.csv:3: field 'id': id 'sku\\x00x' has control "
                                     "character 0x00 (NUL) at byte 3"));
}

TEST(ItemIds, CsvIdWithInvalidUtf8IsRejectedNamingFileLineAndField) {
  const absl::Status s = AddCsv(absl::StrCat("id,price,stock\n", kBadUtf8, ",1,1\n"));
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("items.csv:2: field 'id': id 'sku-\\xC3(' is not valid "
                                     "UTF-8 (byte 0xC3 at byte 4)"));
}

TEST(ItemIds, CsvIdsThatAreTooLongOrHoldControlCharactersAreRejected) {
  EXPECT_THAT(AddCsv(absl::StrCat("id,price,stock\n", kLongId, ",1,1\n")).message(),
              HasSubstr("items.csv:2: field 'id': id '"));
  EXPECT_THAT(AddCsv(absl::StrCat("id,price,stock\n", kLongId, ",1,1\n")).message(),
              HasSubstr("is 1025 bytes long; at most 1024 are allowed"));
  // A quoted field may hold a newline or tab; an id may not.
  EXPECT_THAT(AddCsv("id,price,stock\n\"a\tb\",1,1\n").message(),
              HasSubstr("items.csv:2: field 'id': id 'a\\x09b' has control character 0x09"));
}

TEST(ItemIds, CsvAcceptsAnyPrintableUtf8Id) {
  CatalogBuilder b;
  ASSERT_TRUE(AddItemsFromCsv("id,price,stock\n\"caf\xC3\xA9 #1, large\",1,1\n\xE5\x95\x86\xE5\x93\x81,2,1\n",
                              "items.csv", b)
                  .ok());
  auto c = b.Build();
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_TRUE(c->Find("caf\xC3\xA9 #1, large").ok());
  EXPECT_TRUE(c->Find("\xE5\x95\x86\xE5\x93\x81").ok());
}

TEST(ItemIds, JsonlIdWithNulIsRejectedNamingFileLineAndField) {
  const absl::Status s = AddJsonl(
      "{\"id\": \"a\", \"price\": 1, \"stock\": 1}\n{\"id\": \"x\\u0000y\", \"price\": 1, "
      "\"stock\": 1}\n");
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(),
              HasSubstr("items.jsonl:2: field 'id': id 'x\\x00y' has control character 0x00"));
}

TEST(ItemIds, JsonlIdWithInvalidUtf8IsRejected) {
  // nlohmann refuses invalid UTF-8 inside a JSON string while parsing: the
  // error still names the file, line and column.
  const absl::Status s =
      AddJsonl(absl::StrCat("{\"id\": \"", kBadUtf8, "\", \"price\": 1, \"stock\": 1}\n"));
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("items.jsonl:1:"));
  EXPECT_THAT(s.message(), HasSubstr("id: malformed JSON"));
}

TEST(ItemIds, BuilderRejectsBadIdNamingThePosition) {
  CatalogBuilder b;
  ASSERT_TRUE(b.AddItem({.id = "a", .price = 1}).ok());
  const absl::Status s = b.AddItem({.id = kNulId, .price = 1});
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("item #1: field 'id': id 'sku\\x00x' has control character"));
  EXPECT_EQ(b.size(), 1u);  // unchanged
}

TEST(ItemIds, NamesThatFiltersLookUpFollowTheRule) {
  CatalogBuilder b;
  const ItemAttribute bad_key[] = {{kNulId, "v"}};
  const ItemAttribute bad_value[] = {{"color", kBadUtf8}};
  EXPECT_THAT(b.AddItem({.id = "a", .brand = kNulId, .price = 1}).message(),
              HasSubstr("item 'a': field 'brand': id 'sku\\x00x' has control character"));
  EXPECT_THAT(b.AddItem({.id = "a", .category = "Home>\x01Kitchen", .price = 1}).message(),
              HasSubstr("item 'a': field 'category' level 2: id '\\x01Kitchen' has control"));
  const absl::string_view path[] = {"Home", kBadUtf8};
  EXPECT_THAT(b.AddItem({.id = "a", .category_path = path, .price = 1}).message(),
              HasSubstr("item 'a': field 'category' level 2: id 'sku-\\xC3(' is not valid UTF-8"));
  EXPECT_THAT(b.AddItem({.id = "a", .price = 1, .attributes = bad_key}).message(),
              HasSubstr("item 'a': attribute #0 key: id 'sku\\x00x'"));
  EXPECT_THAT(b.AddItem({.id = "a", .price = 1, .attributes = bad_value}).message(),
              HasSubstr("item 'a': attribute 'color' value: id 'sku-\\xC3(' is not valid UTF-8"));
  EXPECT_EQ(b.size(), 0u);
}

TEST(ItemIds, CsvBrandAndAttributeErrorsNameFileAndLine) {
  const absl::Status s = AddCsv("id,price,stock,brand\na,1,1,\"Ac\nme\"\n");
  EXPECT_THAT(s.message(), HasSubstr("items.csv:2: item 'a': field 'brand': id 'Ac\\x0Ame' has "
                                     "control character 0x0A"));
}

TEST(ItemIds, AttachedEmbeddingIdsFollowTheRule) {
  CatalogBuilder b;
  ASSERT_TRUE(b.AddItem({.id = "a", .price = 1}).ok());
  EmbeddingMatrix m{.rows = 1, .dim = 1, .data = {1.0f}, .ids = {kNulId}};
  const absl::Status s = b.AttachEmbeddings(std::move(m));
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("embedding matrix row 0: field 'id': id 'sku\\x00x'"));
}

TEST(ItemIds, AisleEmbIdsAreCheckedWhenWrittenAndWhenRead) {
  std::vector<float> data = {1, 2};
  const absl::string_view bad[] = {"a", kNulId};
  auto encoded = EncodeEmbeddingBlob(MatrixView(data.data(), 2, 1), bad);
  ASSERT_FALSE(encoded.ok());
  EXPECT_THAT(encoded.status().message(), HasSubstr("AISLEEMB row 1: field 'id': id 'sku\\x00x'"));

  // A file written by another tool: the id is refused at load, naming the file.
  std::string payload;
  const uint64_t rows = 1;
  const uint32_t dim = 1, flags = 1, len = static_cast<uint32_t>(kNulId.size());
  payload.append(reinterpret_cast<const char*>(&rows), 8);
  payload.append(reinterpret_cast<const char*>(&dim), 4);
  payload.append(reinterpret_cast<const char*>(&flags), 4);
  payload.append(reinterpret_cast<const char*>(&len), 4);
  payload += kNulId;
  const float value = 0.5f;
  payload.append(reinterpret_cast<const char*>(&value), 4);
  auto m = ParseEmbeddingBlob(WrapBlob(kEmbeddingBlobMagic, kEmbeddingBlobVersion, payload),
                              "emb.aemb");
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(m.status().message(),
              HasSubstr("emb.aemb: AISLEEMB row 0: field 'id': id 'sku\\x00x' has control"));
}

}  // namespace
}  // namespace aisle::catalog
