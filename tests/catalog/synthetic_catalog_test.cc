#include "aisle/catalog/synthetic_catalog.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "aisle/catalog/catalog.h"
#include "gtest/gtest.h"

namespace aisle::catalog {
namespace {

double Dot(absl::Span<const float> a, absl::Span<const float> b) {
  double s = 0;
  for (size_t d = 0; d < a.size(); ++d) s += double(a[d]) * b[d];
  return s;
}

TEST(SyntheticCatalog, SameSeedSameCatalog) {
  const SyntheticCatalogOptions o{.items = 3000, .dim = 8, .seed = 42};
  absl::StatusOr<Catalog> a = MakeSyntheticCatalog(o);
  absl::StatusOr<Catalog> b = MakeSyntheticCatalog(o);
  ASSERT_TRUE(a.ok() && b.ok());
  ASSERT_EQ(a->size(), b->size());
  for (ItemIndex i = 0; i < a->size(); ++i) {
    ASSERT_EQ(a->id(i), b->id(i));
    ASSERT_EQ(a->category(i), b->category(i));
    ASSERT_EQ(a->price(i), b->price(i));
    ASSERT_EQ(a->stock(i), b->stock(i));
    ASSERT_EQ(a->brand(i), b->brand(i));
    ASSERT_EQ(a->launch_time(i), b->launch_time(i));
    ASSERT_TRUE(
        std::equal(a->embedding(i).begin(), a->embedding(i).end(), b->embedding(i).begin()));
  }
  absl::StatusOr<Catalog> c = MakeSyntheticCatalog({.items = 3000, .dim = 8, .seed = 43});
  ASSERT_TRUE(c.ok());
  size_t same_price = 0;
  for (ItemIndex i = 0; i < a->size(); ++i) same_price += a->price(i) == c->price(i);
  EXPECT_LT(same_price, a->size() / 10);
}

TEST(SyntheticCatalog, ThreeLevelTreeEveryItemOnALeaf) {
  absl::StatusOr<Catalog> c = MakeSyntheticCatalog({.items = 50000, .dim = 0, .seed = 3});
  ASSERT_TRUE(c.ok()) << c.status();
  const CategoryTree& t = c->categories();
  // 10 + 10*8 + 10*8*6 nodes (50k items fill every leaf with near certainty).
  EXPECT_EQ(t.size(), 10u + 80u + 480u);
  EXPECT_EQ(t.roots().size(), 10u);
  for (ItemIndex i = 0; i < c->size(); ++i) {
    ASSERT_NE(c->category(i), kInvalidCategory);
    ASSERT_EQ(t.depth(c->category(i)), 2u);
  }
  EXPECT_EQ(c->embedding_dim(), 0u);
  EXPECT_TRUE(t.Find("Electronics>Aisle 1>Shelf 1").ok());
  // Skewed: the biggest leaf is several times the smallest.
  size_t lo = c->size(), hi = 0;
  for (CategoryIndex n = 0; n < t.size(); ++n) {
    if (!t.IsLeaf(n)) continue;
    lo = std::min(lo, c->ItemsInCategory(n).size());
    hi = std::max(hi, c->ItemsInCategory(n).size());
  }
  EXPECT_GT(hi, 4 * lo);
}

TEST(SyntheticCatalog, PricesStockAndLaunchTimesLookLikeAStore) {
  const SyntheticCatalogOptions o{.items = 40000, .dim = 0, .seed = 5};
  absl::StatusOr<Catalog> c = MakeSyntheticCatalog(o);
  ASSERT_TRUE(c.ok());
  size_t sold_out = 0, recent = 0, with_size = 0, no_brand = 0;
  std::vector<float> prices(c->prices().begin(), c->prices().end());
  for (ItemIndex i = 0; i < c->size(); ++i) {
    ASSERT_GT(c->price(i), 0.0f);
    ASSERT_GE(c->stock(i), 0);
    sold_out += c->stock(i) == 0;
    const absl::Time t = c->launch_time(i);
    ASSERT_LE(t, o.now);
    ASSERT_GE(t, o.now - o.launch_span);
    recent += t > o.now - o.new_item_window;
    with_size += c->attribute(i, "size").has_value();
    ASSERT_TRUE(c->attribute(i, "color").has_value());
    no_brand += c->brand_index(i) == kNoBrand;
  }
  const double n = double(c->size());
  EXPECT_NEAR(sold_out / n, 0.03, 0.006);
  // 2% launched in the last 72h, plus the share of the uniform year there.
  EXPECT_NEAR(recent / n, 0.02 + 0.98 * 3.0 / 365.0, 0.006);
  EXPECT_NEAR(with_size / n, 0.33, 0.02);
  EXPECT_NEAR(no_brand / n, 0.03, 0.006);
  std::nth_element(prices.begin(), prices.begin() + prices.size() / 2, prices.end());
  const float median = prices[prices.size() / 2];
  EXPECT_GT(median, std::exp(3.0) / 2);
  EXPECT_LT(median, std::exp(3.0) * 2);
  EXPECT_GT(c->brand_count(), 100u);
}

TEST(SyntheticCatalog, EmbeddingsClusterByLeafCategory) {
  absl::StatusOr<Catalog> c = MakeSyntheticCatalog({.items = 5000, .dim = 32, .seed = 9});
  ASSERT_TRUE(c.ok());
  ASSERT_EQ(c->embedding_dim(), 32u);
  std::mt19937_64 rng(1);
  std::uniform_int_distribution<ItemIndex> pick(0, ItemIndex(c->size() - 1));
  double same_leaf = 0, other_top = 0;
  int n_same = 0, n_other = 0;
  for (int k = 0; k < 20000 && (n_same < 500 || n_other < 500); ++k) {
    const ItemIndex a = pick(rng), b = pick(rng);
    if (a == b) continue;
    EXPECT_NEAR(Dot(c->embedding(a), c->embedding(a)), 1.0, 1e-4);  // normalized
    if (c->category(a) == c->category(b)) {
      same_leaf += Dot(c->embedding(a), c->embedding(b));
      ++n_same;
    } else if (c->ancestors(a)[0] != c->ancestors(b)[0]) {
      other_top += Dot(c->embedding(a), c->embedding(b));
      ++n_other;
    }
  }
  ASSERT_GT(n_same, 10);
  ASSERT_GT(n_other, 10);
  EXPECT_GT(same_leaf / n_same, other_top / n_other + 0.3);
}

TEST(SyntheticPopularity, ZipfWeightsAndSampling) {
  const SyntheticCatalogOptions o{.items = 1000, .seed = 11, .zipf_exponent = 1.0};
  SyntheticPopularity p = MakeSyntheticPopularity(o);
  ASSERT_EQ(p.weights().size(), 1000u);
  ASSERT_EQ(p.by_rank().size(), 1000u);
  double total = 0;
  for (double w : p.weights()) total += w;
  EXPECT_NEAR(total, 1.0, 1e-9);
  // by_rank is a permutation with weights 1/(r+1) normalized.
  std::vector<ItemIndex> sorted = p.by_rank();
  std::sort(sorted.begin(), sorted.end());
  for (size_t i = 0; i < sorted.size(); ++i) ASSERT_EQ(sorted[i], i);
  EXPECT_NEAR(p.weights()[p.by_rank()[0]] / p.weights()[p.by_rank()[9]], 10.0, 1e-9);
  EXPECT_NE(p.by_rank()[0], 0u);  // permuted, not item order (for this seed)
  // Sampling frequency of the head item matches its weight.
  std::mt19937_64 rng(2);
  const int draws = 200000;
  int head = 0;
  for (int k = 0; k < draws; ++k) head += p.Sample(rng) == p.by_rank()[0];
  const double w0 = p.weights()[p.by_rank()[0]];
  EXPECT_NEAR(head / double(draws), w0, 5 * std::sqrt(w0 / draws));
  // Same options, same order.
  EXPECT_EQ(MakeSyntheticPopularity(o).by_rank(), p.by_rank());
}

TEST(SyntheticCatalog, RejectsZeroItemsAndEmptyLevel) {
  EXPECT_FALSE(MakeSyntheticCatalog({.items = 0}).ok());
  EXPECT_FALSE(MakeSyntheticCatalog({.items = 10, .mid_categories = 0}).ok());
}

TEST(SyntheticCatalog, AbsurdSizesAreRejectedNamingFieldValueAndRange) {
  auto c = MakeSyntheticCatalog({.items = size_t{1} << 40});
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(c.status().message().find(
                "SyntheticCatalogOptions.items = 1099511627776 is outside [1, 2^32-1)"),
            std::string::npos)
      << c.status();
  c = MakeSyntheticCatalog({.items = 1000000, .dim = 1000000});
  EXPECT_NE(c.status().message().find("SyntheticCatalogOptions.dim = 1000000 is outside"),
            std::string::npos)
      << c.status();
  c = MakeSyntheticCatalog({.items = 1 << 30, .dim = 64});
  EXPECT_NE(c.status().message().find("items x dim = 1073741824 x 64 is outside [0, 2^34]"),
            std::string::npos)
      << c.status();
  c = MakeSyntheticCatalog({.items = 10, .top_categories = size_t{1} << 40});
  EXPECT_NE(c.status().message().find("top_categories = 1099511627776 is outside [1, 4096]"),
            std::string::npos)
      << c.status();
  c = MakeSyntheticCatalog({.items = 10, .brands = size_t{1} << 40});
  EXPECT_NE(c.status().message().find("brands = 1099511627776 is outside [0, 2^24]"),
            std::string::npos)
      << c.status();
  c = MakeSyntheticCatalog({.items = 10, .launch_span = absl::InfiniteDuration()});
  EXPECT_NE(c.status().message().find("launch_span = inf is outside [0, 100 years]"),
            std::string::npos)
      << c.status();
  c = MakeSyntheticCatalog({.items = 10, .now = absl::FromUnixSeconds(int64_t{1} << 40)});
  EXPECT_NE(c.status().message().find("SyntheticCatalogOptions.now: time "), std::string::npos)
      << c.status();
  // The popularity for refused options is empty instead of an unbounded allocation.
  const SyntheticPopularity p = MakeSyntheticPopularity({.items = size_t{1} << 62});
  EXPECT_TRUE(p.by_rank().empty());
  std::mt19937_64 rng(1);
  EXPECT_EQ(p.Sample(rng), kInvalidItem);
}

}  // namespace
}  // namespace aisle::catalog
