#include "aisle/catalog/catalog_filters.h"

#include <vector>

#include "absl/status/status.h"
#include "aisle/catalog/catalog.h"
#include "aisle/catalog/catalog_builder.h"
#include "aisle/catalog/synthetic_catalog.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace aisle::catalog {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

std::vector<ItemIndex> Members(const ItemBitset& b) {
  std::vector<ItemIndex> out;
  b.ForEach([&out](ItemIndex i) { out.push_back(i); });
  return out;
}

Catalog Store() {
  CatalogBuilder b;
  const ItemAttribute black[] = {{"color", "black"}};
  const ItemAttribute white[] = {{"color", "white"}, {"size", "black"}};
  EXPECT_TRUE(
      b.AddItem({.id = "0", .category = "A>B>C", .brand = "Acme", .stock = 5, .attributes = black})
          .ok());
  EXPECT_TRUE(
      b.AddItem({.id = "1", .category = "A>B>D", .brand = "Bolt", .stock = 0, .attributes = white})
          .ok());
  EXPECT_TRUE(b.AddItem({.id = "2", .category = "A>E", .brand = "Acme", .stock = 2}).ok());
  EXPECT_TRUE(b.AddItem({.id = "3", .category = "F", .stock = -1, .attributes = black}).ok());
  EXPECT_TRUE(b.AddItem({.id = "4", .brand = "Bolt", .stock = 1}).ok());
  return *b.Build();
}

TEST(InStockItems, StockAboveReserve) {
  Catalog c = Store();
  ItemBitset in = InStockItems(c);
  EXPECT_EQ(in.Size(), 5u);
  EXPECT_THAT(Members(in), ElementsAre(0, 2, 4));
  EXPECT_THAT(Members(InStockItems(c, /*reserve=*/1)), ElementsAre(0, 2));
  EXPECT_THAT(Members(InStockItems(c, /*reserve=*/-1)), ElementsAre(0, 1, 2, 4));
}

TEST(ItemsInCategories, AnyAncestorMatches) {
  Catalog c = Store();
  const CategoryTree& t = c.categories();
  const CategoryIndex b = *t.Find("A>B"), f = *t.Find("F"), e = *t.Find("A>E");
  const CategoryIndex one[] = {b};
  EXPECT_THAT(Members(*ItemsInCategories(c, one)), ElementsAre(0, 1));
  const CategoryIndex two[] = {f, e};
  EXPECT_THAT(Members(*ItemsInCategories(c, two)), ElementsAre(2, 3));
  const CategoryIndex overlapping[] = {*t.Find("A"), b};
  absl::StatusOr<ItemBitset> r = ItemsInCategories(c, overlapping);
  EXPECT_THAT(Members(*r), ElementsAre(0, 1, 2));
  EXPECT_EQ(r->Count(), 3u);
  EXPECT_EQ(ItemsInCategories(c, {}).value().Count(), 0u);
}

TEST(ItemsInCategories, OutOfRangeIndexIsAnError) {
  Catalog c = Store();
  const CategoryIndex bad[] = {999};
  absl::StatusOr<ItemBitset> r = ItemsInCategories(c, bad);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(r.status().message(), HasSubstr("999"));
}

TEST(ItemsWithBrand, ByNameAndIndex) {
  Catalog c = Store();
  EXPECT_THAT(Members(ItemsWithBrand(c, "Acme")), ElementsAre(0, 2));
  EXPECT_THAT(Members(ItemsWithBrand(c, c.FindBrand("Bolt"))), ElementsAre(1, 4));
  EXPECT_EQ(ItemsWithBrand(c, "Nope").Count(), 0u);
  EXPECT_EQ(ItemsWithBrand(c, "Nope").Size(), 5u);
}

TEST(ItemsWithAttribute, MatchesKeyAndValueTogether) {
  Catalog c = Store();
  EXPECT_THAT(Members(ItemsWithAttribute(c, "color", "black")), ElementsAre(0, 3));
  // Item 1 has the value "black" under another key.
  EXPECT_THAT(Members(ItemsWithAttribute(c, "size", "black")), ElementsAre(1));
  EXPECT_EQ(ItemsWithAttribute(c, "color", "teal").Count(), 0u);
  EXPECT_EQ(ItemsWithAttribute(c, "weight", "black").Count(), 0u);
}

// The precomputed category lists agree with walking every item's ancestors.
TEST(ItemsInCategories, AgreesWithBruteForceOnSyntheticCatalog) {
  absl::StatusOr<Catalog> c = MakeSyntheticCatalog({.items = 20000, .dim = 0, .seed = 17});
  ASSERT_TRUE(c.ok());
  const CategoryTree& t = c->categories();
  for (CategoryIndex n = 0; n < t.size(); n += 7) {
    const CategoryIndex cats[] = {n};
    absl::StatusOr<ItemBitset> got = ItemsInCategories(*c, cats);
    ASSERT_TRUE(got.ok());
    size_t expected = 0;
    for (ItemIndex i = 0; i < c->size(); ++i) {
      bool under = false;
      for (CategoryIndex a : c->ancestors(i)) under |= (a == n);
      expected += under;
      ASSERT_EQ(got->Test(i), under) << "category " << t.path(n) << " item " << i;
    }
    EXPECT_EQ(got->Count(), expected);
  }
}

}  // namespace
}  // namespace aisle::catalog
