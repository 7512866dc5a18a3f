// File: aisle/catalog/synthetic_catalog.h
//
// A synthetic storefront for examples, tests, benchmarks and simulations,
// deterministic for a seed (on one platform) and fast at 1M items:
//   - a 3-level category tree, top x mid x leaf (default 10 x 8 x 6 = 480
//     leaves) with readable names ("Electronics>Aisle 3>Shelf 2"); items are
//     spread over leaves with a mild skew (some shelves are bigger);
//   - brands that are mostly specific to a leaf ("Brand 0042"), a few
//     percent of items without a brand;
//   - log-normal prices (a different median per top-level category),
//     rounded to cents;
//   - stock: a few percent sold out (0), the rest log-normal;
//   - launch times spread uniformly over the past year before `now`, with a
//     small share launched in the last few days;
//   - attributes "color" (every item) and "size" (about a third);
//   - embeddings clustered by leaf category, hierarchically (leaf centres
//     sit near their mid-level centre, which sits near its top-level
//     centre), optionally unit-normalized;
//   - Zipf popularity over a seeded permutation of the items, exposed so
//     simulations can draw realistic traffic.
//
//   aisle::catalog::SyntheticCatalogOptions o{.items = 1000000, .dim = 64, .seed = 7};
//   AISLE_ASSIGN_OR_RETURN(aisle::catalog::Catalog catalog,
//                          aisle::catalog::MakeSyntheticCatalog(o));
//   aisle::catalog::SyntheticPopularity pop = aisle::catalog::MakeSyntheticPopularity(o);
//   std::mt19937_64 rng(1);
//   aisle::ItemIndex viewed = pop.Sample(rng);  // the head items come up most
//
// Thread-safe (pure functions); SyntheticPopularity is immutable after
// construction and Sample() is const: thread-safe with one rng per thread.
#ifndef AISLE_CATALOG_SYNTHETIC_CATALOG_H_
#define AISLE_CATALOG_SYNTHETIC_CATALOG_H_

#include <cstddef>
#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "aisle/catalog/catalog.h"
#include "aisle/core/ids.h"
#include "aisle/core/synthetic.h"

namespace aisle::catalog {

struct SyntheticCatalogOptions {
  size_t items = 10000;
  // Embedding dimension; 0 = no embeddings.
  size_t dim = 64;
  uint64_t seed = 1;
  // Category tree shape: children per node at each level.
  size_t top_categories = 10;
  size_t mid_categories = 8;
  size_t leaf_categories = 6;
  size_t brands = 500;
  // Median price is exp(price_log_mean) (about 20), shifted per top category.
  double price_log_mean = 3.0;
  double price_log_sigma = 0.8;
  double sold_out_fraction = 0.03;
  // Share launched within `new_item_window` before `now`; the rest over
  // `launch_span` before `now`.
  double new_item_fraction = 0.02;
  absl::Duration new_item_window = absl::Hours(72);
  absl::Duration launch_span = absl::Hours(24 * 365);
  // Fixed by default so that a seed always gives the same catalog.
  absl::Time now = absl::FromUnixSeconds(1717200000);  // 2024-06-01T00:00:00Z
  // Embedding noise around the leaf centre, and unit-normalization.
  float cluster_spread = 0.35f;
  bool normalize = true;
  // Popularity: P(rank r) proportional to 1 / (r + 1)^zipf_exponent.
  double zipf_exponent = 1.0;
};

// Zipf popularity over the items of a synthetic catalog.
class SyntheticPopularity {
 public:
  SyntheticPopularity(std::vector<ItemIndex> by_rank, double exponent);

  // Items, most popular first.
  const std::vector<ItemIndex>& by_rank() const { return by_rank_; }
  // Probability of each item (indexed by ItemIndex); sums to 1.
  const std::vector<double>& weights() const { return weights_; }

  // Draws one item with probability weights()[item].
  // kInvalidItem when the popularity is empty.
  template <typename Rng>
  ItemIndex Sample(Rng& rng) const {
    return by_rank_.empty() ? kInvalidItem : by_rank_[sampler_(rng)];
  }

 private:
  std::vector<ItemIndex> by_rank_;
  std::vector<double> weights_;
  ZipfSampler sampler_;
};

// Limits on the sizes in SyntheticCatalogOptions.
inline constexpr size_t kMaxSyntheticDim = 65536;
inline constexpr size_t kMaxSyntheticFloats = size_t{1} << 34;  // items x dim

// InvalidArgument naming the field, its value and the accepted range when an
// option is out of range: items in [1, 2^32-1), dim <= 65536, items x dim <=
// 2^34, each category level in [1, 4096] and their product <= 2^20, brands
// <= 2^24, fractions in [0, 1], finite price/spread/zipf parameters, spans in
// [0, 100 years], and launch times (now - launch_span .. now) in
// [1900, 2400).
absl::Status ValidateSyntheticCatalogOptions(const SyntheticCatalogOptions& options);

// InvalidArgument as ValidateSyntheticCatalogOptions.
absl::StatusOr<Catalog> MakeSyntheticCatalog(const SyntheticCatalogOptions& options);

// The popularity that goes with MakeSyntheticCatalog(options): depends only
// on options.items, options.seed and options.zipf_exponent. Empty (Sample()
// returns kInvalidItem) for options ValidateSyntheticCatalogOptions refuses.
SyntheticPopularity MakeSyntheticPopularity(const SyntheticCatalogOptions& options);

}  // namespace aisle::catalog

#endif  // AISLE_CATALOG_SYNTHETIC_CATALOG_H_
