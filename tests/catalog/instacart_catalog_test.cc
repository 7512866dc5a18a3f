// Builds a real catalog from the Instacart sample in /work/shared/data
// (department>aisle as the category path). Expected figures were computed
// with Python's csv module, independently of aisle's reader.
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "aisle/catalog/catalog.h"
#include "aisle/catalog/catalog_builder.h"
#include "aisle/catalog/csv_reader.h"
#include "aisle/core/file.h"
#include "gtest/gtest.h"

namespace aisle::catalog {
namespace {

std::string DataPath(absl::string_view name) {
  return absl::StrCat(AISLE_SHARED_DATA_DIR, "/instacart/", name);
}

// id -> name from a two-column CSV with a header.
absl::flat_hash_map<std::string, std::string> ReadNames(const std::string& text,
                                                        absl::string_view what) {
  absl::flat_hash_map<std::string, std::string> out;
  CsvReader r(text, what);
  EXPECT_TRUE(r.Next());  // header
  while (r.Next()) {
    EXPECT_EQ(r.fields().size(), 2u) << what << ":" << r.line();
    out[std::string(r.fields()[0])] = std::string(r.fields()[1]);
  }
  EXPECT_TRUE(r.status().ok()) << r.status();
  return out;
}

TEST(InstacartCatalog, DepartmentAisleTree) {
  absl::StatusOr<std::string> products = ReadFileToString(DataPath("products.csv"));
  absl::StatusOr<std::string> aisles = ReadFileToString(DataPath("aisles.csv"));
  absl::StatusOr<std::string> departments = ReadFileToString(DataPath("departments.csv"));
  if (!products.ok() || !aisles.ok() || !departments.ok()) {
    GTEST_SKIP() << "Instacart sample not found under " << AISLE_SHARED_DATA_DIR
                 << "/instacart; skipping the real-catalog test";
  }
  const auto aisle = ReadNames(*aisles, "aisles.csv");
  const auto department = ReadNames(*departments, "departments.csv");
  ASSERT_EQ(aisle.size(), 134u);
  ASSERT_EQ(department.size(), 21u);

  CatalogBuilder builder;
  CsvReader r(*products, "products.csv");
  ASSERT_TRUE(r.Next());
  ASSERT_EQ(r.fields().size(), 4u);
  EXPECT_EQ(r.fields()[0], "product_id");
  while (r.Next()) {
    ASSERT_EQ(r.fields().size(), 4u) << "products.csv:" << r.line();
    auto a = aisle.find(std::string(r.fields()[2]));
    auto d = department.find(std::string(r.fields()[3]));
    ASSERT_TRUE(a != aisle.end() && d != department.end()) << "products.csv:" << r.line();
    const absl::string_view path[] = {d->second, a->second};
    ASSERT_TRUE(builder
                    .AddItem({.id = r.fields()[0],
                              .category_path = path,
                              .title = r.fields()[1],
                              .price = 0.0f,
                              .stock = 1})
                    .ok());
  }
  ASSERT_TRUE(r.status().ok()) << r.status();
  absl::StatusOr<Catalog> c = builder.Build();
  ASSERT_TRUE(c.ok()) << c.status();

  EXPECT_EQ(c->size(), 9288u);
  EXPECT_EQ(c->categories().size(), 21u + 134u);
  EXPECT_EQ(c->categories().roots().size(), 21u);
  const ItemIndex cookies = *c->Find("1");
  EXPECT_EQ(c->title(cookies), "Chocolate Sandwich Cookies");
  EXPECT_EQ(c->categories().path(c->category(cookies)), "snacks>cookies cakes");
  // A name with escaped quotes, as Python's csv module reads it.
  EXPECT_EQ(c->title(*c->Find("483")),
            "\\\"Constant Comment\\\"\" Decaffeinated Black Tea Blend\"");
  const CategoryIndex snacks = *c->categories().Find("snacks");
  EXPECT_EQ(c->ItemsInCategory(snacks).size(), 1233u);
  size_t total = 0;
  for (CategoryIndex root : c->categories().roots()) total += c->ItemsInCategory(root).size();
  EXPECT_EQ(total, c->size());
}

}  // namespace
}  // namespace aisle::catalog
