#include "aisle/catalog/item_file.h"

#include <cstdio>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "aisle/catalog/catalog.h"
#include "aisle/catalog/catalog_builder.h"
#include "aisle/catalog/embedding_file.h"
#include "aisle/core/file.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace aisle::catalog {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

absl::StatusOr<Catalog> FromCsv(absl::string_view text, CatalogBuilderOptions o = {}) {
  CatalogBuilder b(o);
  absl::Status s = AddItemsFromCsv(text, "items.csv", b);
  if (!s.ok()) return s;
  return b.Build();
}

absl::StatusOr<Catalog> FromJsonl(absl::string_view text, ItemFileOptions o = {}) {
  CatalogBuilder b(o.builder);
  absl::Status s = AddItemsFromJsonl(text, "items.jsonl", b, o);
  if (!s.ok()) return s;
  return b.Build();
}

constexpr absl::string_view kCsv =
    "id,title,category,brand,price,stock,launch_time,color,size\r\n"
    "sku-1,\"Headphones, wireless\",Electronics>Audio>Headphones,Acme,129.5,12,1700000000,"
    "black,\r\n"
    "sku-2,\"The \"\"Best\"\" Speaker\",Electronics>Audio>Speakers,,49,0,"
    "2024-03-01T12:00:00Z,,L\r\n"
    "sku-3,,Home,Bolt,0,-1,,,\r\n";

TEST(ItemCsv, LoadsEveryColumn) {
  absl::StatusOr<Catalog> c = FromCsv(kCsv);
  ASSERT_TRUE(c.ok()) << c.status();
  ASSERT_EQ(c->size(), 3u);
  EXPECT_EQ(*c->Find("sku-2"), 1u);
  EXPECT_EQ(c->title(0), "Headphones, wireless");
  EXPECT_EQ(c->title(1), "The \"Best\" Speaker");
  EXPECT_EQ(c->categories().path(c->category(0)), "Electronics>Audio>Headphones");
  EXPECT_EQ(c->categories().path(c->category(2)), "Home");
  EXPECT_EQ(c->brand(0), "Acme");
  EXPECT_EQ(c->brand(1), "");
  EXPECT_FLOAT_EQ(c->price(0), 129.5f);
  EXPECT_EQ(c->stock(2), -1);
  EXPECT_EQ(c->launch_time(0), absl::FromUnixSeconds(1700000000));
  EXPECT_EQ(c->launch_time(1),
            absl::FromCivil(absl::CivilSecond(2024, 3, 1, 12, 0, 0), absl::UTCTimeZone()));
  EXPECT_EQ(c->launch_time(2), absl::InfinitePast());
  // Extra columns are attributes; empty cells are absent attributes.
  EXPECT_EQ(c->attribute(0, "color"), "black");
  EXPECT_EQ(c->attribute(0, "size"), std::nullopt);
  EXPECT_EQ(c->attribute(1, "size"), "L");
  EXPECT_EQ(c->attribute(2, "color"), std::nullopt);
}

TEST(ItemCsv, FractionalUnixSeconds) {
  absl::StatusOr<Catalog> c =
      FromCsv("id,price,stock,launch_time\na,1,1,1700000000.25\nb,1,1,-1.5\n");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->launch_time(0), absl::FromUnixMillis(1700000000250));
  EXPECT_EQ(c->launch_time(1), absl::FromUnixMillis(-1500));
}

TEST(ItemCsv, MissingRequiredColumnNamesIt) {
  absl::StatusOr<Catalog> c = FromCsv("id,price,category\na,1,X\n");
  EXPECT_EQ(c.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(c.status().message(), HasSubstr("items.csv:1"));
  EXPECT_THAT(c.status().message(), HasSubstr("'stock'"));
}

TEST(ItemCsv, BadNumberNamesFileLineAndField) {
  absl::StatusOr<Catalog> c = FromCsv("id,price,stock\na,1,1\n\"b\",\"1,5\",2\nc,2,2\n");
  EXPECT_EQ(c.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(c.status().message(), HasSubstr("items.csv:3"));
  EXPECT_THAT(c.status().message(), HasSubstr("field 'price'"));
  EXPECT_THAT(c.status().message(), HasSubstr("'1,5'"));
  c = FromCsv("id,price,stock\na,1,1\nb,2,3.5\n");
  EXPECT_THAT(c.status().message(), HasSubstr("items.csv:3: field 'stock'"));
  c = FromCsv("id,price,stock\na,1,99999999999\n");
  EXPECT_THAT(c.status().message(), HasSubstr("items.csv:2: field 'stock'"));
}

TEST(ItemCsv, EmptyRequiredNumberIsAnError) {
  absl::StatusOr<Catalog> c = FromCsv("id,price,stock\na,,1\n");
  EXPECT_THAT(c.status().message(), HasSubstr("items.csv:2: field 'price'"));
}

TEST(ItemCsv, BadLaunchTimeNamesField) {
  absl::StatusOr<Catalog> c = FromCsv("id,price,stock,launch_time\na,1,1,yesterday\n");
  EXPECT_EQ(c.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(c.status().message(), HasSubstr("items.csv:2: field 'launch_time'"));
  EXPECT_THAT(c.status().message(), HasSubstr("'yesterday'"));
}

TEST(ItemCsv, WrongFieldCountNamesLine) {
  absl::StatusOr<Catalog> c = FromCsv("id,price,stock\na,1,1\nb,2\n");
  EXPECT_EQ(c.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(c.status().message(), HasSubstr("items.csv:3"));
  EXPECT_THAT(c.status().message(), HasSubstr("expected 3 fields"));
}

TEST(ItemCsv, BuilderErrorsCarryLineAndItem) {
  absl::StatusOr<Catalog> c = FromCsv("id,price,stock\na,1,1\nb,2,2\na,3,3\n");
  EXPECT_EQ(c.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(c.status().message(), HasSubstr("items.csv:4: item 'a': duplicate id"));
  c = FromCsv("id,price,stock\na,-4,1\n");
  EXPECT_THAT(c.status().message(), HasSubstr("items.csv:2: item 'a': negative price"));
  c = FromCsv("id,price,stock\na,nan,1\n");
  EXPECT_THAT(c.status().message(), HasSubstr("items.csv:2: item 'a': price is NaN"));
}

TEST(ItemCsv, HeaderOnlyGivesEmptyCatalogError) {
  absl::StatusOr<Catalog> c = FromCsv("id,price,stock\n");
  EXPECT_EQ(c.status().code(), absl::StatusCode::kFailedPrecondition);
  c = FromCsv("");
  EXPECT_EQ(c.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(c.status().message(), HasSubstr("header"));
}

TEST(ItemCsv, RepeatedHeaderColumnIsAnError) {
  absl::StatusOr<Catalog> c = FromCsv("id,price,stock,price\na,1,1,2\n");
  EXPECT_THAT(c.status().message(), HasSubstr("repeats column 'price'"));
}

TEST(ItemJsonl, LoadsEveryField) {
  absl::StatusOr<Catalog> c = FromJsonl(
      "{\"id\": \"a\", \"category\": \"X>Y\", \"brand\": \"B\", \"title\": \"T\", "
      "\"price\": 2.5, \"stock\": 4, \"launch_time\": \"2024-01-02T00:00:00+01:00\", "
      "\"attributes\": {\"color\": \"red\", \"size\": 42, \"eco\": true, \"gone\": null}, "
      "\"embedding\": [1, 2.5]}\n"
      "\n"
      "{\"id\": 17, \"category\": [\"X\", \"Z\"], \"price\": 3, \"stock\": 0, "
      "\"launch_time\": 1700000000.5, \"embedding\": [0, -1]}\r\n");
  ASSERT_TRUE(c.ok()) << c.status();
  ASSERT_EQ(c->size(), 2u);
  EXPECT_EQ(c->id(1), "17");
  EXPECT_EQ(c->categories().path(c->category(0)), "X>Y");
  EXPECT_EQ(c->categories().path(c->category(1)), "X>Z");
  EXPECT_EQ(c->brand(0), "B");
  EXPECT_EQ(c->title(0), "T");
  EXPECT_FLOAT_EQ(c->price(0), 2.5f);
  EXPECT_EQ(c->stock(0), 4);
  EXPECT_EQ(c->launch_time(0),
            absl::FromCivil(absl::CivilSecond(2024, 1, 1, 23, 0, 0), absl::UTCTimeZone()));
  EXPECT_EQ(c->launch_time(1), absl::FromUnixMillis(1700000000500));
  EXPECT_EQ(c->attribute(0, "color"), "red");
  EXPECT_EQ(c->attribute(0, "size"), "42");
  EXPECT_EQ(c->attribute(0, "eco"), "true");
  EXPECT_EQ(c->attribute(0, "gone"), std::nullopt);
  ASSERT_EQ(c->embedding_dim(), 2u);
  EXPECT_THAT(c->embedding(0), ElementsAre(1.0f, 2.5f));
  EXPECT_THAT(c->embedding(1), ElementsAre(0.0f, -1.0f));
}

TEST(ItemJsonl, InvalidJsonNamesLine) {
  absl::StatusOr<Catalog> c =
      FromJsonl("{\"id\": \"a\", \"price\": 1, \"stock\": 1}\n{\"id\": \"b\", \"price\": }\n");
  EXPECT_EQ(c.status().code(), absl::StatusCode::kInvalidArgument);
  // Line, column and byte offset in the file, the field being read, and why.
  EXPECT_THAT(c.status().message(),
              HasSubstr("items.jsonl:2:22 (byte 57): price: malformed JSON: syntax error"));
}

TEST(ItemJsonl, WrongTypesNameField) {
  auto c = FromJsonl("{\"id\": \"a\", \"price\": \"cheap\", \"stock\": 1}\n");
  EXPECT_THAT(c.status().message(), HasSubstr("items.jsonl:1: field 'price'"));
  c = FromJsonl("{\"id\": \"a\", \"price\": 1, \"stock\": 1.5}\n");
  EXPECT_THAT(c.status().message(), HasSubstr("items.jsonl:1: field 'stock'"));
  c = FromJsonl("{\"id\": [1], \"price\": 1, \"stock\": 1}\n");
  EXPECT_THAT(c.status().message(), HasSubstr("items.jsonl:1: field 'id'"));
  c = FromJsonl("{\"id\": \"a\", \"price\": 1, \"stock\": 1, \"embedding\": [1, \"x\"]}\n");
  EXPECT_THAT(c.status().message(), HasSubstr("items.jsonl:1: field 'embedding[1]'"));
  c = FromJsonl("{\"id\": \"a\", \"price\": 1, \"stock\": 1, \"attributes\": {\"k\": [1]}}\n");
  EXPECT_THAT(c.status().message(), HasSubstr("field 'attributes.k'"));
  c = FromJsonl("[1, 2]\n");
  EXPECT_THAT(c.status().message(), HasSubstr("items.jsonl:1: expected a JSON object"));
}

TEST(ItemJsonl, MissingRequiredFieldNamesIt) {
  auto c = FromJsonl("{\"id\": \"a\", \"price\": 1}\n");
  EXPECT_THAT(c.status().message(), HasSubstr("items.jsonl:1: field 'stock': missing"));
}

TEST(ItemJsonl, UnknownFieldsFailUnlessIgnored) {
  const absl::string_view text = "{\"id\": \"a\", \"prize\": 1, \"price\": 1, \"stock\": 1}\n";
  auto c = FromJsonl(text);
  EXPECT_THAT(c.status().message(), HasSubstr("field 'prize': unknown field"));
  c = FromJsonl(text, {.ignore_unknown_fields = true});
  EXPECT_TRUE(c.ok()) << c.status();
}

TEST(ItemJsonl, EmbeddingErrorsNameLineAndItem) {
  auto c = FromJsonl(
      "{\"id\": \"a\", \"price\": 1, \"stock\": 1, \"embedding\": [1, 2]}\n"
      "{\"id\": \"b\", \"price\": 1, \"stock\": 1, \"embedding\": [1, 2, 3]}\n");
  EXPECT_THAT(c.status().message(), HasSubstr("items.jsonl:2: item 'b': embedding has 3 values"));
  c = FromJsonl("{\"id\": \"a\", \"price\": 1, \"stock\": 1, \"embedding\": [1e300]}\n");
  // The value as written, its field and the item (was "item 'a': embedding[0] is Inf").
  EXPECT_THAT(c.status().message(),
              HasSubstr("items.jsonl:1: item 'a': field 'embedding[0]': 1e300 is out of range "
                        "for a float"));
}

TEST(LoadCatalog, CsvWithNpyEmbeddings) {
  const std::string dir = ::testing::TempDir();
  const std::string items = absl::StrCat(dir, "/load_catalog_items.csv");
  const std::string npy = absl::StrCat(dir, "/load_catalog_emb.npy");
  ASSERT_TRUE(WriteFileAtomically(items, "id,price,stock\na,1,1\nb,2,0\n").ok());
  const float data[] = {1, 2, 3, 4, 5, 6};
  ASSERT_TRUE(WriteNpyFile(npy, MatrixView(data, 2, 3)).ok());
  absl::StatusOr<Catalog> c = LoadCatalog(items, {.embeddings_path = npy});
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->embedding_dim(), 3u);
  EXPECT_THAT(c->embedding(1), ElementsAre(4.0f, 5.0f, 6.0f));

  // Row count mismatch names both files.
  ASSERT_TRUE(WriteNpyFile(npy, MatrixView(data, 3, 2)).ok());
  c = LoadCatalog(items, {.embeddings_path = npy});
  EXPECT_EQ(c.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(c.status().message(), HasSubstr("3 rows, catalog has 2 items"));
  EXPECT_THAT(c.status().message(), HasSubstr("load_catalog_emb.npy"));
}

TEST(LoadCatalog, MissingFileAndUnknownExtension) {
  auto c = LoadCatalog("/nonexistent/items.csv");
  EXPECT_EQ(c.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(c.status().message(), HasSubstr("/nonexistent/items.csv"));
  c = LoadCatalog("items.parquet");
  EXPECT_EQ(c.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(LoadCatalog, ProjectFixturesLoad) {
  const std::string dir = absl::StrCat(AISLE_SOURCE_DIR, "/tests/data/catalog");
  absl::StatusOr<Catalog> csv = LoadCatalog(absl::StrCat(dir, "/items.csv"));
  ASSERT_TRUE(csv.ok()) << csv.status();
  absl::StatusOr<Catalog> jsonl = LoadCatalog(absl::StrCat(dir, "/items.jsonl"));
  ASSERT_TRUE(jsonl.ok()) << jsonl.status();
  // The two fixtures describe the same items.
  ASSERT_EQ(csv->size(), jsonl->size());
  for (ItemIndex i = 0; i < csv->size(); ++i) {
    EXPECT_EQ(csv->id(i), jsonl->id(i));
    EXPECT_EQ(csv->price(i), jsonl->price(i));
    EXPECT_EQ(csv->stock(i), jsonl->stock(i));
    EXPECT_EQ(csv->brand(i), jsonl->brand(i));
    EXPECT_EQ(csv->launch_time(i), jsonl->launch_time(i));
    EXPECT_EQ(csv->categories().path(csv->category(i)),
              jsonl->categories().path(jsonl->category(i)));
    EXPECT_EQ(csv->attribute(i, "color"), jsonl->attribute(i, "color"));
  }
}

}  // namespace
}  // namespace aisle::catalog
