// A small, hand-built storefront for engine tests: 4 leaf categories of 10
// items each, 8-d embeddings clustered by category, an ANN index, warm
// interactions that make item popularity known, and a snapshot with a
// "home" surface (ANN + co-visitation + popularity, linear ranker), a
// "product_page" surface and a "search" rerank surface.
#ifndef AISLE_TESTS_SERVING_TEST_STOREFRONT_H_
#define AISLE_TESTS_SERVING_TEST_STOREFRONT_H_

#include <memory>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "aisle/catalog/catalog_builder.h"
#include "aisle/retrieval/ann_index.h"
#include "aisle/serving/snapshot.h"

namespace aisle::serving::testing {

inline constexpr int kCategories = 4;
inline constexpr int kPerCategory = 10;
inline constexpr int kDim = 8;
inline const absl::Time kNow = absl::FromUnixSeconds(1767225600);  // 2026-01-01

inline std::string ItemId(absl::string_view prefix, int i) { return absl::StrCat(prefix, i); }
inline std::string CategoryPath(int c) { return absl::StrCat("Shop>Dept", c % 2, ">Cat", c); }

// Items prefix0 .. prefix39; item i is in category i / 10. Items 38 and 39
// launched one day before kNow (new); the rest a year before.
inline std::shared_ptr<const catalog::Catalog> MakeCatalog(absl::string_view prefix = "sku-") {
  catalog::CatalogBuilder b({.embedding_dim = kDim});
  std::mt19937 rng(7);
  std::normal_distribution<float> noise(0.0f, 0.1f);
  for (int i = 0; i < kCategories * kPerCategory; ++i) {
    const int c = i / kPerCategory;
    std::vector<float> e(kDim, 0.0f);
    e[c] = 1.0f;
    for (float& x : e) x += noise(rng);
    const std::string id = ItemId(prefix, i);
    const std::string path = CategoryPath(c);
    catalog::ItemSpec s;
    s.id = id;
    s.category = path;
    s.brand = c % 2 ? "acme" : "globex";
    s.price = 10.0f + i;
    s.stock = 5;
    s.launch_time = i >= 38 ? kNow - absl::Hours(24) : kNow - absl::Hours(24 * 365);
    s.embedding = e;
    auto st = b.AddItem(s);
    if (!st.ok()) std::abort();
  }
  auto cat = b.Build();
  if (!cat.ok()) std::abort();
  return std::make_shared<const catalog::Catalog>(std::move(*cat));
}

// Popularity: item i gets (40 - i) views, so lower indices are more popular.
// Sessions pair items 0 and 1 (co-visitation).
inline std::vector<retrieval::Interaction> WarmInteractions() {
  std::vector<retrieval::Interaction> out;
  int64_t t = absl::ToUnixMicros(kNow - absl::Hours(2));
  uint64_t session = 1;
  for (int i = 0; i < kCategories * kPerCategory; ++i) {
    for (int n = 0; n < 40 - i; ++n) {
      out.push_back({session++, static_cast<ItemIndex>(i), t, retrieval::InteractionType::kView});
      t += 1000;
    }
  }
  for (int n = 0; n < 20; ++n) {
    out.push_back({session, 0, t, retrieval::InteractionType::kView});
    out.push_back({session, 1, t + 1000, retrieval::InteractionType::kView});
    ++session;
    t += 5000;
  }
  return out;
}

inline ranking::LinearModel PriceModel(float price_weight = -1.0f) {
  ranking::LinearModel m;
  m.name = "price";
  m.terms = {{"ann_score", 10.0f, 0.0f}, {"price", price_weight * 0.01f, 0.0f}};
  return m;
}

// The default test snapshot. `prefix` names the items (a swap test uses two
// catalogs with different prefixes).
inline std::shared_ptr<Snapshot> MakeSnapshot(absl::string_view version,
                                              absl::string_view prefix = "sku-") {
  auto s = std::make_shared<Snapshot>();
  s->version = std::string(version);
  s->catalog = MakeCatalog(prefix);
  retrieval::AnnIndexOptions ao;
  ao.metric = retrieval::Metric::kCosine;
  auto ann = retrieval::AnnIndex::Build(s->catalog->embeddings(), ao);
  if (!ann.ok()) std::abort();
  s->ann = std::move(*ann);
  s->warm_interactions = WarmInteractions();
  s->models["price"] = ModelFactory::Linear(PriceModel());
  s->campaign_sets["black_friday"] = {ItemId(prefix, 30), ItemId(prefix, 31)};

  PipelineBuilder home("home");
  home.Source("ann", SourceKind::kAnn, 20)
      .Source("covis", SourceKind::kCoVisitation, 10)
      .Source("popular", SourceKind::kPopular, 10)
      .MaxCandidates(30)
      .Ranker("price")
      .CampaignSet("black_friday")
      .DefaultK(5)
      .Budget(absl::Seconds(5));
  (void)s->pipeline.Add(std::move(home));

  PipelineBuilder product("product_page");
  product.Source("ann", SourceKind::kAnn, 20)
      .Source("covis", SourceKind::kCoVisitation, 10)
      .MaxCandidates(30)
      .DefaultK(5)
      .Budget(absl::Seconds(5));
  (void)s->pipeline.Add(std::move(product));

  PipelineBuilder search("search");
  search.Kind(SurfaceKind::kSearchRerank).Ranker("price").DefaultK(5).Budget(absl::Seconds(5));
  (void)s->pipeline.Add(std::move(search));
  return s;
}

}  // namespace aisle::serving::testing

#endif  // AISLE_TESTS_SERVING_TEST_STOREFRONT_H_
