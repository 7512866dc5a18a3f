// Policy stages on the real Instacart sample catalog (department > aisle
// tree). Expected results are computed from the CSV columns directly, not
// through the category tree the stages use.
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "aisle/policy/category_cap.h"
#include "aisle/policy/policy_filter.h"
#include "gtest/gtest.h"

namespace aisle::policy {
namespace {

constexpr CategoryIndex kDepartments = 21;

struct Instacart {
  std::vector<int> aisle, department;  // per item, 1-based as in the CSV
  std::vector<CategoryIndex> parent, item_category;
  CategoryView view() const { return {item_category, parent}; }
};

// products.csv rows: "id","name",aisle_id,department_id (names may hold
// commas, so the last two fields are read from the end).
bool Load(Instacart& d) {
  std::ifstream in(std::string(AISLE_SHARED_DATA_DIR) + "/instacart/products.csv");
  if (!in) return false;
  std::string line;
  std::getline(in, line);
  d.parent.assign(kDepartments + 134, kInvalidCategory);
  while (std::getline(in, line)) {
    const size_t c2 = line.rfind(',');
    const size_t c1 = line.rfind(',', c2 - 1);
    const int a = std::stoi(line.substr(c1 + 1, c2 - c1 - 1));
    const int dep = std::stoi(line.substr(c2 + 1));
    d.aisle.push_back(a);
    d.department.push_back(dep);
    d.parent[kDepartments + a - 1] = static_cast<CategoryIndex>(dep - 1);
    d.item_category.push_back(kDepartments + static_cast<CategoryIndex>(a - 1));
  }
  return !d.aisle.empty();
}

TEST(InstacartPolicy, BlockingADepartmentRemovesExactlyItsProducts) {
  Instacart d;
  if (!Load(d)) GTEST_SKIP() << "instacart/products.csv not found under " AISLE_SHARED_DATA_DIR;
  ASSERT_TRUE(d.view().Validate().ok());
  const int kAlcohol = 5;  // departments.csv: 5 = "alcohol"
  auto f =
      PolicyFilter::Create(d.view(), {}, {{1, PolicyRules{.blocked_categories = {kAlcohol - 1}}}});
  ASSERT_TRUE(f.ok()) << f.status();
  std::vector<Candidate> all;
  size_t expected_removed = 0;
  for (ItemIndex i = 0; i < d.aisle.size(); ++i) {
    all.push_back({i, 1.0f, 1});
    expected_removed += d.department[i] == kAlcohol ? 1 : 0;
  }
  ASSERT_GT(expected_removed, 0u);
  std::vector<Candidate> c = all;
  EXPECT_EQ((*f)->Apply({.surface = 0}, c), 0u);  // rule is for surface 1 only
  EXPECT_EQ((*f)->Apply({.surface = 1}, c), expected_removed);
  for (const Candidate& x : c) EXPECT_NE(d.department[x.item], kAlcohol);
}

TEST(InstacartPolicy, DepartmentCapHoldsInTheTopM) {
  Instacart d;
  if (!Load(d)) GTEST_SKIP() << "instacart/products.csv not found under " AISLE_SHARED_DATA_DIR;
  auto caps =
      CategoryCapDiversifier::Create(d.view(), {.max_per_category = 2, .top_m = 20, .depth = 0});
  ASSERT_TRUE(caps.ok());
  std::vector<Candidate> c;
  for (ItemIndex i = 0; i < 400; ++i) c.push_back({i, 1000.0f - float(i), 1});
  caps->Apply(c, 50);
  ASSERT_EQ(c.size(), 50u);
  std::map<int, int> per_department;
  for (size_t i = 0; i < 20; ++i) ++per_department[d.department[c[i].item]];
  for (const auto& [dep, n] : per_department) EXPECT_LE(n, 2) << "department " << dep;
  EXPECT_GE(per_department.size(), 10u);
}

}  // namespace
}  // namespace aisle::policy
