#include "aisle/catalog/catalog.h"

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "aisle/catalog/catalog_builder.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace aisle::catalog {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

// A small storefront used by most tests:
//   0 sku-a  Electronics>Audio>Headphones   Acme   color=black
//   1 sku-b  Electronics>Audio>Speakers     Bolt   color=white size=L
//   2 sku-c  Electronics>Phones             Acme
//   3 sku-d  Home>Kitchen                   (none) color=black
//   4 sku-e  (no category)                  Bolt
Catalog SmallCatalog() {
  CatalogBuilder b({.embedding_dim = 2});
  const ItemAttribute a0[] = {{"color", "black"}};
  const ItemAttribute a1[] = {{"color", "white"}, {"size", "L"}};
  const ItemAttribute a3[] = {{"color", "black"}};
  const float e0[] = {1, 0}, e1[] = {0, 1}, e2[] = {1, 1}, e3[] = {-1, 0}, e4[] = {0, -1};
  EXPECT_TRUE(b.AddItem({.id = "sku-a",
                         .category = "Electronics>Audio>Headphones",
                         .brand = "Acme",
                         .title = "Headphones A",
                         .price = 99.5f,
                         .stock = 3,
                         .launch_time = absl::FromUnixSeconds(1700000000),
                         .attributes = a0,
                         .embedding = e0})
                  .ok());
  EXPECT_TRUE(b.AddItem({.id = "sku-b",
                         .category = " Electronics > Audio > Speakers ",
                         .brand = "Bolt",
                         .price = 49.0f,
                         .stock = 0,
                         .attributes = a1,
                         .embedding = e1})
                  .ok());
  const absl::string_view phones[] = {"Electronics", "Phones"};
  EXPECT_TRUE(b.AddItem({.id = "sku-c",
                         .category_path = phones,
                         .brand = "Acme",
                         .price = 599.0f,
                         .stock = 10,
                         .embedding = e2})
                  .ok());
  EXPECT_TRUE(b.AddItem({.id = "sku-d",
                         .category = "Home>Kitchen",
                         .price = 0.0f,
                         .stock = -2,
                         .attributes = a3,
                         .embedding = e3})
                  .ok());
  EXPECT_TRUE(
      b.AddItem({.id = "sku-e", .brand = "Bolt", .price = 5.0f, .stock = 1, .embedding = e4}).ok());
  absl::StatusOr<Catalog> c = b.Build();
  EXPECT_TRUE(c.ok()) << c.status();
  return std::move(c).value();
}

TEST(Catalog, FindMapsIdsToInsertionOrder) {
  Catalog c = SmallCatalog();
  ASSERT_EQ(c.size(), 5u);
  const char* ids[] = {"sku-a", "sku-b", "sku-c", "sku-d", "sku-e"};
  for (ItemIndex i = 0; i < 5; ++i) {
    absl::StatusOr<ItemIndex> found = c.Find(ids[i]);
    ASSERT_TRUE(found.ok());
    EXPECT_EQ(*found, i);
    EXPECT_EQ(c.id(i), ids[i]);
    EXPECT_EQ(c.FindOrInvalid(ids[i]), i);
  }
}

TEST(Catalog, FindUnknownIdIsNotFoundNamingId) {
  Catalog c = SmallCatalog();
  absl::StatusOr<ItemIndex> r = c.Find("sku-zzz");
  EXPECT_EQ(r.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(r.status().message(), HasSubstr("sku-zzz"));
  EXPECT_EQ(c.FindOrInvalid("sku-zzz"), kInvalidItem);
}

TEST(Catalog, ScalarColumns) {
  Catalog c = SmallCatalog();
  EXPECT_EQ(c.title(0), "Headphones A");
  EXPECT_EQ(c.title(1), "");
  EXPECT_FLOAT_EQ(c.price(0), 99.5f);
  EXPECT_FLOAT_EQ(c.price(3), 0.0f);
  EXPECT_EQ(c.stock(2), 10);
  EXPECT_EQ(c.stock(3), -2);
  EXPECT_EQ(c.launch_time(0), absl::FromUnixSeconds(1700000000));
  EXPECT_EQ(c.launch_time(1), absl::InfinitePast());
  EXPECT_EQ(c.launch_times_micros()[1], Catalog::kUnknownTime);
  EXPECT_THAT(c.stocks(), ElementsAre(3, 0, 10, -2, 1));
}

TEST(Catalog, BrandsAreInterned) {
  Catalog c = SmallCatalog();
  EXPECT_EQ(c.brand_count(), 2u);
  EXPECT_EQ(c.brand(0), "Acme");
  EXPECT_EQ(c.brand(1), "Bolt");
  EXPECT_EQ(c.brand(3), "");
  EXPECT_EQ(c.brand_index(3), kNoBrand);
  EXPECT_EQ(c.brand_index(0), c.brand_index(2));
  EXPECT_EQ(c.brand_index(1), c.brand_index(4));
  EXPECT_EQ(c.FindBrand("Acme"), c.brand_index(0));
  EXPECT_EQ(c.FindBrand("Nope"), kNoBrand);
  EXPECT_EQ(c.brand_name(c.FindBrand("Bolt")), "Bolt");
}

TEST(Catalog, AttributesLookUpByKey) {
  Catalog c = SmallCatalog();
  EXPECT_EQ(c.attribute(0, "color"), "black");
  EXPECT_EQ(c.attribute(1, "color"), "white");
  EXPECT_EQ(c.attribute(1, "size"), "L");
  EXPECT_EQ(c.attribute(0, "size"), std::nullopt);
  EXPECT_EQ(c.attribute(2, "color"), std::nullopt);
  EXPECT_EQ(c.attribute(0, "unknown-key"), std::nullopt);
  EXPECT_EQ(c.attributes(1).size(), 2u);
  // Interned: the same value string shares one index.
  EXPECT_EQ(c.attributes(0)[0].value, c.attributes(3)[0].value);
  EXPECT_EQ(c.attribute_key(c.attributes(1)[1].key), "size");
  EXPECT_EQ(c.attribute_key_count(), 2u);
}

TEST(Catalog, EmbeddingsAreOneRowMajorMatrix) {
  Catalog c = SmallCatalog();
  ASSERT_EQ(c.embedding_dim(), 2u);
  MatrixView m = c.embeddings();
  EXPECT_EQ(m.rows, 5u);
  EXPECT_EQ(m.cols, 2u);
  EXPECT_THAT(c.embedding(2), ElementsAre(1.0f, 1.0f));
  EXPECT_THAT(c.embedding(3), ElementsAre(-1.0f, 0.0f));
  EXPECT_EQ(m.Row(4), c.embedding(4).data());
  EXPECT_EQ(m.Row(1) - m.Row(0), 2);
}

TEST(CategoryTree, NodesHaveNameParentDepthAndPath) {
  Catalog c = SmallCatalog();
  const CategoryTree& t = c.categories();
  // Electronics, Audio, Headphones, Speakers, Phones, Home, Kitchen.
  ASSERT_EQ(t.size(), 7u);
  absl::StatusOr<CategoryIndex> headphones = t.Find("Electronics>Audio>Headphones");
  ASSERT_TRUE(headphones.ok());
  EXPECT_EQ(t.name(*headphones), "Headphones");
  EXPECT_EQ(t.depth(*headphones), 2u);
  EXPECT_EQ(t.path(*headphones), "Electronics>Audio>Headphones");
  const CategoryIndex audio = t.parent(*headphones);
  EXPECT_EQ(t.name(audio), "Audio");
  EXPECT_EQ(t.depth(audio), 1u);
  const CategoryIndex electronics = t.parent(audio);
  EXPECT_EQ(t.parent(electronics), kInvalidCategory);
  EXPECT_EQ(t.depth(electronics), 0u);
  EXPECT_THAT(t.Path(*headphones), ElementsAre(electronics, audio, *headphones));
  // Whitespace around levels is ignored on lookup and on insert.
  EXPECT_EQ(*t.Find(" Electronics > Audio > Speakers"), *t.Find("Electronics>Audio>Speakers"));
  EXPECT_EQ(t.roots().size(), 2u);
  EXPECT_EQ(t.name(t.roots()[0]), "Electronics");
  EXPECT_EQ(t.name(t.roots()[1]), "Home");
  ASSERT_EQ(t.children(electronics).size(), 2u);
  EXPECT_EQ(t.name(t.children(electronics)[0]), "Audio");
  EXPECT_EQ(t.name(t.children(electronics)[1]), "Phones");
  EXPECT_TRUE(t.IsLeaf(*headphones));
  EXPECT_FALSE(t.IsLeaf(audio));
}

TEST(CategoryTree, FindUnknownPathIsNotFound) {
  Catalog c = SmallCatalog();
  absl::StatusOr<CategoryIndex> r = c.categories().Find("Electronics>Cameras");
  EXPECT_EQ(r.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(r.status().message(), HasSubstr("Electronics>Cameras"));
}

TEST(CategoryTree, AncestorTestMatchesParentChain) {
  Catalog c = SmallCatalog();
  const CategoryTree& t = c.categories();
  for (CategoryIndex a = 0; a < t.size(); ++a) {
    for (CategoryIndex x = 0; x < t.size(); ++x) {
      bool expected = false;
      for (CategoryIndex y = x; y != kInvalidCategory; y = t.parent(y)) expected |= (y == a);
      EXPECT_EQ(t.IsAncestorOrSelf(a, x), expected) << a << " " << x;
    }
  }
}

TEST(Catalog, ItemsInCategoryIncludesDescendants) {
  Catalog c = SmallCatalog();
  const CategoryTree& t = c.categories();
  const CategoryIndex electronics = *t.Find("Electronics");
  const CategoryIndex audio = *t.Find("Electronics>Audio");
  const CategoryIndex kitchen = *t.Find("Home>Kitchen");
  EXPECT_THAT(c.ItemsInCategory(electronics), ElementsAre(0, 1, 2));
  EXPECT_THAT(c.ItemsInCategory(audio), ElementsAre(0, 1));
  EXPECT_THAT(c.ItemsInCategory(kitchen), ElementsAre(3));
  EXPECT_THAT(c.ItemsInCategory(*t.Find("Home")), ElementsAre(3));
  EXPECT_TRUE(c.ItemsDirectlyInCategory(audio).empty());
  EXPECT_THAT(c.ItemsDirectlyInCategory(*t.Find("Electronics>Phones")), ElementsAre(2));
}

TEST(Catalog, AncestorsOfItem) {
  Catalog c = SmallCatalog();
  const CategoryTree& t = c.categories();
  std::vector<std::string> names;
  for (CategoryIndex a : c.ancestors(1)) names.emplace_back(t.name(a));
  EXPECT_THAT(names, ElementsAre("Electronics", "Audio", "Speakers"));
  EXPECT_EQ(c.category(1), *t.Find("Electronics>Audio>Speakers"));
  EXPECT_EQ(c.category(4), kInvalidCategory);
  EXPECT_TRUE(c.ancestors(4).empty());
}

TEST(CatalogBuilder, EmptyCatalogIsAnError) {
  CatalogBuilder b;
  absl::StatusOr<Catalog> c = b.Build();
  EXPECT_EQ(c.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(c.status().message(), HasSubstr("empty"));
}

TEST(CatalogBuilder, RejectsDuplicateIdNamingIt) {
  CatalogBuilder b;
  ASSERT_TRUE(b.AddItem({.id = "x1", .price = 1}).ok());
  absl::Status s = b.AddItem({.id = "x1", .price = 2});
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("'x1'"));
  EXPECT_THAT(s.message(), HasSubstr("duplicate"));
  EXPECT_EQ(b.size(), 1u);
}

TEST(CatalogBuilder, RejectsEmptyId) {
  CatalogBuilder b;
  absl::Status s = b.AddItem({.id = "", .price = 2});
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("empty id"));
}

TEST(CatalogBuilder, RejectsBadPrices) {
  CatalogBuilder b;
  const float bad[] = {-1.0f, std::numeric_limits<float>::quiet_NaN(),
                       std::numeric_limits<float>::infinity()};
  const char* words[] = {"negative", "NaN", "Inf"};
  for (int k = 0; k < 3; ++k) {
    absl::Status s = b.AddItem({.id = "p1", .price = bad[k]});
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(s.message(), HasSubstr("'p1'"));
    EXPECT_THAT(s.message(), HasSubstr(words[k]));
  }
  EXPECT_EQ(b.size(), 0u);
}

TEST(CatalogBuilder, RejectsNanEmbeddingNamingItemAndDimension) {
  CatalogBuilder b({.embedding_dim = 3});
  const float e[] = {0.5f, std::nanf(""), 1.0f};
  absl::Status s = b.AddItem({.id = "nan-item", .embedding = e});
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("'nan-item'"));
  EXPECT_THAT(s.message(), HasSubstr("embedding[1] is NaN"));
  EXPECT_EQ(b.size(), 0u);
}

TEST(CatalogBuilder, RejectsWrongEmbeddingDimension) {
  CatalogBuilder b({.embedding_dim = 3});
  const float e[] = {0.5f, 1.0f};
  absl::Status s = b.AddItem({.id = "short", .embedding = e});
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("'short'"));
  EXPECT_THAT(s.message(), HasSubstr("has 2 values"));
  EXPECT_THAT(s.message(), HasSubstr("dimension is 3"));
}

TEST(CatalogBuilder, FirstItemFixesDimensionWhenNotGiven) {
  CatalogBuilder b;
  const float e3[] = {1, 2, 3}, e2[] = {1, 2};
  ASSERT_TRUE(b.AddItem({.id = "a", .embedding = e3}).ok());
  EXPECT_EQ(b.embedding_dim(), 3);
  EXPECT_FALSE(b.AddItem({.id = "b", .embedding = e2}).ok());
  ASSERT_TRUE(b.AddItem({.id = "c", .embedding = e3}).ok());
  absl::StatusOr<Catalog> c = b.Build();
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->embedding_dim(), 3u);
  EXPECT_EQ(c->size(), 2u);
}

TEST(CatalogBuilder, NoEmbeddingsMeansDimZero) {
  CatalogBuilder b;
  ASSERT_TRUE(b.AddItem({.id = "a"}).ok());
  const float e[] = {1};
  absl::Status s = b.AddItem({.id = "b", .embedding = e});
  EXPECT_THAT(s.message(), HasSubstr("dimension is 0"));
  absl::StatusOr<Catalog> c = b.Build();
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->embedding_dim(), 0u);
  EXPECT_TRUE(c->embedding(0).empty());
  EXPECT_TRUE(c->embeddings().empty());
}

TEST(CatalogBuilder, MissingEmbeddingFailsBuildNamingFirstItem) {
  CatalogBuilder b({.embedding_dim = 2});
  const float e[] = {1, 2};
  ASSERT_TRUE(b.AddItem({.id = "has", .embedding = e}).ok());
  ASSERT_TRUE(b.AddItem({.id = "lacks"}).ok());
  absl::StatusOr<Catalog> c = b.Build();
  EXPECT_EQ(c.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(c.status().message(), HasSubstr("'lacks'"));
}

TEST(CatalogBuilder, RejectsEmptyCategoryLevel) {
  CatalogBuilder b;
  absl::Status s = b.AddItem({.id = "c1", .category = "A>>B"});
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("'c1'"));
  EXPECT_THAT(s.message(), HasSubstr("empty level 2"));
  ASSERT_TRUE(b.AddItem({.id = "c2", .category = "A>B"}).ok());
  // The failed id was not kept: it can be added again.
  ASSERT_TRUE(b.AddItem({.id = "c1", .category = "A"}).ok());
  absl::StatusOr<Catalog> c = b.Build();
  ASSERT_TRUE(c.ok());
  // The failed item interned nothing.
  EXPECT_EQ(c->categories().size(), 2u);
}

TEST(CatalogBuilder, RejectsRepeatedAttributeKey) {
  CatalogBuilder b;
  const ItemAttribute a[] = {{"color", "red"}, {"color", "blue"}};
  absl::Status s = b.AddItem({.id = "r1", .attributes = a});
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("'color'"));
}

TEST(CatalogBuilder, AttachedEmbeddingsAlignedByRow) {
  CatalogBuilder b;
  ASSERT_TRUE(b.AddItem({.id = "a"}).ok());
  ASSERT_TRUE(b.AddItem({.id = "b"}).ok());
  ASSERT_TRUE(b.AttachEmbeddings({.rows = 2, .dim = 2, .data = {1, 2, 3, 4}}).ok());
  absl::StatusOr<Catalog> c = b.Build();
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_THAT(c->embedding(1), ElementsAre(3.0f, 4.0f));
}

TEST(CatalogBuilder, AttachedEmbeddingsReorderedByIds) {
  CatalogBuilder b;
  ASSERT_TRUE(b.AddItem({.id = "a"}).ok());
  ASSERT_TRUE(b.AddItem({.id = "b"}).ok());
  ASSERT_TRUE(
      b.AttachEmbeddings({.rows = 2, .dim = 2, .data = {1, 2, 3, 4}, .ids = {"b", "a"}}).ok());
  absl::StatusOr<Catalog> c = b.Build();
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_THAT(c->embedding(0), ElementsAre(3.0f, 4.0f));
  EXPECT_THAT(c->embedding(1), ElementsAre(1.0f, 2.0f));
}

TEST(CatalogBuilder, AttachedEmbeddingsRowCountMustMatch) {
  CatalogBuilder b;
  ASSERT_TRUE(b.AddItem({.id = "a"}).ok());
  ASSERT_TRUE(b.AttachEmbeddings({.rows = 2, .dim = 1, .data = {1, 2}}).ok());
  absl::StatusOr<Catalog> c = b.Build();
  EXPECT_EQ(c.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(c.status().message(), HasSubstr("2 rows, catalog has 1 items"));
  // The builder is unchanged after a failed Build: fix and retry.
  ASSERT_TRUE(b.AddItem({.id = "b"}).ok());
  EXPECT_TRUE(b.Build().ok());
}

TEST(CatalogBuilder, AttachedEmbeddingsRejectUnknownIdAndNan) {
  {
    CatalogBuilder b;
    ASSERT_TRUE(b.AddItem({.id = "a"}).ok());
    ASSERT_TRUE(b.AttachEmbeddings({.rows = 1, .dim = 1, .data = {1}, .ids = {"zz"}}).ok());
    absl::StatusOr<Catalog> c = b.Build();
    EXPECT_EQ(c.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(c.status().message(), HasSubstr("unknown item 'zz'"));
  }
  {
    CatalogBuilder b;
    ASSERT_TRUE(b.AddItem({.id = "a"}).ok());
    ASSERT_TRUE(b.AttachEmbeddings({.rows = 1, .dim = 2, .data = {1, INFINITY}}).ok());
    absl::StatusOr<Catalog> c = b.Build();
    EXPECT_EQ(c.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(c.status().message(), HasSubstr("item 'a'"));
    EXPECT_THAT(c.status().message(), HasSubstr("[1] is Inf"));
  }
}

TEST(CatalogBuilder, IsReusableAfterBuild) {
  CatalogBuilder b;
  ASSERT_TRUE(b.AddItem({.id = "a", .category = "X>Y"}).ok());
  absl::StatusOr<Catalog> first = b.Build();
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(b.size(), 0u);
  ASSERT_TRUE(b.AddItem({.id = "a", .category = "Z"}).ok());
  absl::StatusOr<Catalog> second = b.Build();
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->categories().size(), 1u);
  // The first catalog is independent and still valid.
  EXPECT_EQ(first->categories().path(first->category(0)), "X>Y");
}

TEST(Catalog, SurvivesMove) {
  Catalog a = SmallCatalog();
  Catalog b = std::move(a);
  EXPECT_EQ(*b.Find("sku-d"), 3u);
  EXPECT_EQ(*b.categories().Find("Home>Kitchen"), b.category(3));
  EXPECT_EQ(b.attribute(1, "size"), "L");
}

TEST(CatalogBuilder, AttachedMatrixWhoseShapeOverflowsIsRejected) {
  CatalogBuilder b;
  ASSERT_TRUE(b.AddItem({.id = "a", .price = 1}).ok());
  // rows x dim wraps around to the 2 floats given.
  EmbeddingMatrix m{.rows = (size_t{1} << 63) + 1, .dim = 2, .data = {1.0f, 2.0f}};
  const absl::Status s = b.AttachEmbeddings(std::move(m));
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("embedding matrix: rows = 9223372036854775809 x dim = 2 "
                                     "does not match the 2 floats given"));
}

TEST(CatalogBuilder, AbsurdExpectedItemsIsOnlyAHint) {
  CatalogBuilder b({.embedding_dim = 4, .expected_items = size_t{1} << 62});
  ASSERT_TRUE(b.AddItem({.id = "a", .price = 1, .embedding = std::vector<float>{1, 2, 3, 4}}).ok());
  auto c = b.Build();
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->size(), 1u);
}

}  // namespace
}  // namespace aisle::catalog
