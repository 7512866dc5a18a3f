#include "aisle/catalog/synthetic_catalog.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "aisle/catalog/catalog_builder.h"
#include "aisle/core/event_time.h"
#include "aisle/core/status_macros.h"

namespace aisle::catalog {
namespace {

// xoshiro256** seeded through splitmix64: fast, and the same sequence on
// every platform (unlike std:: distributions).
class Rng {
 public:
  explicit Rng(uint64_t seed) {
    for (uint64_t& s : s_) {
      seed += 0x9E3779B97F4A7C15ull;
      uint64_t z = seed;
      z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
      z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
      s = z ^ (z >> 31);
    }
  }
  uint64_t Next() {
    const uint64_t result = Rotl(s_[1] * 5, 7) * 9;
    const uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = Rotl(s_[3], 45);
    return result;
  }
  // Uniform in [0, 1).
  double Uniform() { return double(Next() >> 11) * 0x1.0p-53; }
  // Uniform in [0, n).
  uint64_t Below(uint64_t n) { return uint64_t((unsigned __int128)Next() * n >> 64); }
  // Standard normal (Box-Muller).
  double Normal() {
    if (has_spare_) {
      has_spare_ = false;
      return spare_;
    }
    double u = Uniform();
    while (u <= 0.0) u = Uniform();
    const double v = Uniform();
    const double r = std::sqrt(-2.0 * std::log(u));
    spare_ = r * std::sin(2.0 * M_PI * v);
    has_spare_ = true;
    return r * std::cos(2.0 * M_PI * v);
  }
  // Approximately standard normal, cheap: the sum of four 16-bit uniforms
  // (Irwin-Hall, n = 4) scaled to unit variance. Used for embedding noise,
  // where tails beyond 3.5 sigma do not matter.
  float FastNormal() {
    const uint64_t x = Next();
    const uint32_t sum = uint32_t(x & 0xFFFF) + uint32_t((x >> 16) & 0xFFFF) +
                         uint32_t((x >> 32) & 0xFFFF) + uint32_t(x >> 48);
    // mean 4 * 32767.5, sd sqrt(4 * (65536^2 - 1) / 12)
    constexpr float kMean = 131070.0f;
    constexpr float kInvSd = 1.0f / 37837.23f;
    return (float(sum) - kMean) * kInvSd;
  }

 private:
  static uint64_t Rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  uint64_t s_[4];
  bool has_spare_ = false;
  double spare_ = 0;
};

// P(r) proportional to 1 / (r + 1)^s, drawn with Rng (platform-independent,
// unlike ZipfSampler's std::uniform_real_distribution).
class CdfSampler {
 public:
  CdfSampler(size_t n, double s) : cdf_(n) {
    double total = 0;
    for (size_t r = 0; r < n; ++r) cdf_[r] = (total += 1.0 / std::pow(double(r + 1), s));
    for (double& c : cdf_) c /= total;
  }
  size_t operator()(Rng& rng) const {
    const size_t r = std::upper_bound(cdf_.begin(), cdf_.end(), rng.Uniform()) - cdf_.begin();
    return r < cdf_.size() ? r : cdf_.size() - 1;
  }

 private:
  std::vector<double> cdf_;
};

constexpr const char* kTopNames[] = {"Electronics", "Home",    "Fashion", "Beauty", "Sports",
                                     "Toys",        "Grocery", "Books",   "Garden", "Automotive"};
constexpr const char* kColors[] = {"black", "white", "grey", "red",   "blue",
                                   "green", "beige", "pink", "brown", "yellow"};
constexpr const char* kSizes[] = {"XS", "S", "M", "L", "XL"};

// Writes "sku-" and i zero-padded to 7 digits into buf; returns the length.
size_t FormatSku(size_t i, char* buf) {
  char digits[24];
  size_t n = 0;
  do {
    digits[n++] = char('0' + i % 10);
    i /= 10;
  } while (i > 0);
  size_t len = 0;
  for (const char c : {'s', 'k', 'u', '-'}) buf[len++] = c;
  for (size_t pad = n; pad < 7; ++pad) buf[len++] = '0';
  while (n > 0) buf[len++] = digits[--n];
  return len;
}

std::vector<ItemIndex> PopularityOrder(size_t items, uint64_t seed) {
  std::vector<ItemIndex> order(items);
  for (size_t i = 0; i < items; ++i) order[i] = static_cast<ItemIndex>(i);
  Rng rng(seed ^ 0x5050505050505050ull);
  for (size_t i = items; i > 1; --i) std::swap(order[i - 1], order[rng.Below(i)]);
  return order;
}

// Every size is checked before anything is allocated from it.
absl::Status ValidateOptions(const SyntheticCatalogOptions& o) {
  auto out_of_range = [](absl::string_view field, auto value, absl::string_view range) {
    return absl::InvalidArgumentError(absl::StrCat("synthetic catalog: SyntheticCatalogOptions.",
                                                   field, " = ", value, " is outside ", range));
  };
  if (o.items == 0 || o.items >= size_t{kInvalidItem}) {
    return out_of_range("items", o.items, "[1, 2^32-1)");
  }
  if (o.dim > kMaxSyntheticDim) return out_of_range("dim", o.dim, "[0, 65536]");
  if (o.dim > 0 && o.items > kMaxSyntheticFloats / o.dim) {
    return out_of_range("items x dim", absl::StrCat(o.items, " x ", o.dim), "[0, 2^34] floats");
  }
  const std::pair<absl::string_view, size_t> levels[] = {{"top_categories", o.top_categories},
                                                         {"mid_categories", o.mid_categories},
                                                         {"leaf_categories", o.leaf_categories}};
  for (const auto& [name, n] : levels) {
    if (n == 0 || n > 4096) return out_of_range(name, n, "[1, 4096]");
  }
  const size_t leaves = o.top_categories * o.mid_categories * o.leaf_categories;
  if (leaves > (size_t{1} << 20)) {
    return out_of_range("top x mid x leaf categories", leaves, "[1, 2^20]");
  }
  if (o.dim > 0 && leaves > kMaxSyntheticFloats / o.dim) {
    return out_of_range("leaf categories x dim", absl::StrCat(leaves, " x ", o.dim),
                        "[0, 2^34] floats");
  }
  if (o.brands > (size_t{1} << 24)) return out_of_range("brands", o.brands, "[0, 2^24]");
  const std::pair<absl::string_view, double> fractions[] = {
      {"sold_out_fraction", o.sold_out_fraction}, {"new_item_fraction", o.new_item_fraction}};
  for (const auto& [name, f] : fractions) {
    if (!(f >= 0.0 && f <= 1.0)) return out_of_range(name, f, "[0, 1]");
  }
  const std::pair<absl::string_view, double> finite[] = {{"price_log_mean", o.price_log_mean},
                                                         {"price_log_sigma", o.price_log_sigma},
                                                         {"cluster_spread", o.cluster_spread},
                                                         {"zipf_exponent", o.zipf_exponent}};
  for (const auto& [name, v] : finite) {
    if (!std::isfinite(v)) return out_of_range(name, v, "the finite numbers");
  }
  const std::pair<absl::string_view, absl::Duration> spans[] = {
      {"new_item_window", o.new_item_window}, {"launch_span", o.launch_span}};
  for (const auto& [name, d] : spans) {
    if (d < absl::ZeroDuration() || d > absl::Hours(24 * 365 * 100)) {
      return out_of_range(name, absl::FormatDuration(d), "[0, 100 years]");
    }
  }
  // Launch times are drawn in [now - launch_span, now]: all of them must be sane.
  AISLE_RETURN_IF_ERROR(CheckTime(o.now, "synthetic catalog: SyntheticCatalogOptions.now"));
  AISLE_RETURN_IF_ERROR(CheckTime(o.now - std::max(o.launch_span, o.new_item_window),
                                  "synthetic catalog: SyntheticCatalogOptions.now - launch_span"));
  return absl::OkStatus();
}

}  // namespace

absl::Status ValidateSyntheticCatalogOptions(const SyntheticCatalogOptions& options) {
  return ValidateOptions(options);
}

SyntheticPopularity::SyntheticPopularity(std::vector<ItemIndex> by_rank, double exponent)
    : by_rank_(std::move(by_rank)), sampler_(by_rank_.size(), exponent) {
  weights_.assign(by_rank_.size(), 0.0);
  double total = 0;
  for (size_t r = 0; r < by_rank_.size(); ++r) total += 1.0 / std::pow(double(r + 1), exponent);
  for (size_t r = 0; r < by_rank_.size(); ++r) {
    weights_[by_rank_[r]] = 1.0 / std::pow(double(r + 1), exponent) / total;
  }
}

SyntheticPopularity MakeSyntheticPopularity(const SyntheticCatalogOptions& options) {
  // Options MakeSyntheticCatalog would refuse give an empty popularity
  // (Sample() then returns kInvalidItem) rather than an unbounded allocation.
  if (!ValidateOptions(options).ok()) return SyntheticPopularity({}, 1.0);
  return SyntheticPopularity(PopularityOrder(options.items, options.seed), options.zipf_exponent);
}

absl::StatusOr<Catalog> MakeSyntheticCatalog(const SyntheticCatalogOptions& o) {
  AISLE_RETURN_IF_ERROR(ValidateOptions(o));
  const size_t leaves = o.top_categories * o.mid_categories * o.leaf_categories;
  const size_t brands = std::max<size_t>(o.brands, 1);
  Rng rng(o.seed);

  // Category paths, one per leaf: leaf = (top * mid + m) * leaf + l.
  std::vector<std::string> leaf_path(leaves);
  for (size_t t = 0; t < o.top_categories; ++t) {
    const std::string top =
        t < std::size(kTopNames) ? std::string(kTopNames[t]) : absl::StrCat("Department ", t + 1);
    for (size_t m = 0; m < o.mid_categories; ++m) {
      for (size_t l = 0; l < o.leaf_categories; ++l) {
        leaf_path[(t * o.mid_categories + m) * o.leaf_categories + l] =
            absl::StrCat(top, ">Aisle ", m + 1, ">Shelf ", l + 1);
      }
    }
  }
  std::vector<std::string> brand_name(brands);
  for (size_t b = 0; b < brands; ++b) brand_name[b] = absl::StrFormat("Brand %04d", b);

  // Leaf sizes are skewed: leaves in a seeded order, Zipf(0.6) over them.
  const std::vector<ItemIndex> leaf_order = PopularityOrder(leaves, o.seed ^ 0x1eafull);
  const CdfSampler leaf_pick(leaves, 0.6);
  const CdfSampler brand_pick(12, 1.1);

  // Embedding centres: top ~ N(0, 1), mid = top + 0.6 N, leaf = mid + 0.4 N.
  const size_t dim = o.dim;
  std::vector<float> centre(leaves * dim);
  if (dim > 0) {
    std::vector<float> top_c(dim), mid_c(dim);
    for (size_t t = 0; t < o.top_categories; ++t) {
      for (float& v : top_c) v = float(rng.Normal());
      for (size_t m = 0; m < o.mid_categories; ++m) {
        for (size_t d = 0; d < dim; ++d) mid_c[d] = top_c[d] + 0.6f * float(rng.Normal());
        for (size_t l = 0; l < o.leaf_categories; ++l) {
          float* c = &centre[((t * o.mid_categories + m) * o.leaf_categories + l) * dim];
          for (size_t d = 0; d < dim; ++d) c[d] = mid_c[d] + 0.4f * float(rng.Normal());
        }
      }
    }
  }

  CatalogBuilder builder({.embedding_dim = 0, .expected_items = o.items});
  std::vector<float> emb(o.items * dim);
  const int64_t now_s = absl::ToUnixSeconds(o.now);
  const double span_s = absl::ToDoubleSeconds(o.launch_span);
  const double new_s = absl::ToDoubleSeconds(o.new_item_window);
  char sku[32];
  std::string title;
  for (size_t i = 0; i < o.items; ++i) {
    const size_t leaf = leaf_order[leaf_pick(rng)];
    const size_t top = leaf / (o.mid_categories * o.leaf_categories);
    // Brands: most items pick among ~12 brands of their leaf, 3% none.
    absl::string_view brand;
    if (rng.Uniform() >= 0.03) {
      brand = brand_name[(leaf * 7 + brand_pick(rng)) % brands];
    }
    const double mu = o.price_log_mean + 0.4 * (double(top % 5) - 2.0);
    double price = std::exp(mu + o.price_log_sigma * rng.Normal());
    price = std::max(0.49, std::round(price * 100.0) / 100.0);
    int32_t stock = 0;
    if (rng.Uniform() >= o.sold_out_fraction) {
      stock = static_cast<int32_t>(std::min(10000.0, 1.0 + std::exp(2.5 + rng.Normal())));
    }
    const bool is_new = rng.Uniform() < o.new_item_fraction;
    const double age_s = rng.Uniform() * (is_new ? new_s : span_s);
    const absl::Time launch = absl::FromUnixSeconds(now_s - static_cast<int64_t>(age_s));
    ItemAttribute attrs[2];
    size_t n_attrs = 0;
    attrs[n_attrs++] = {"color", kColors[rng.Below(std::size(kColors))]};
    if (rng.Uniform() < 0.33) attrs[n_attrs++] = {"size", kSizes[rng.Below(std::size(kSizes))]};

    const size_t sku_len = FormatSku(i, sku);
    title.clear();
    absl::StrAppend(&title, brand.empty() ? "Generic" : brand, " item ",
                    absl::string_view(sku + 4, sku_len - 4));
    AISLE_RETURN_IF_ERROR(builder.AddItem({
        .id = absl::string_view(sku, sku_len),
        .category = leaf_path[leaf],
        .brand = brand,
        .title = title,
        .price = static_cast<float>(price),
        .stock = stock,
        .launch_time = launch,
        .attributes = absl::Span<const ItemAttribute>(attrs, n_attrs),
    }));
    if (dim > 0) {
      float* row = &emb[i * dim];
      const float* c = &centre[leaf * dim];
      double norm = 0;
      for (size_t d = 0; d < dim; ++d) {
        row[d] = c[d] + o.cluster_spread * rng.FastNormal();
        norm += double(row[d]) * row[d];
      }
      if (o.normalize && norm > 0) {
        const float inv = static_cast<float>(1.0 / std::sqrt(norm));
        for (size_t d = 0; d < dim; ++d) row[d] *= inv;
      }
    }
  }
  if (dim > 0) {
    AISLE_RETURN_IF_ERROR(
        builder.AttachEmbeddings({.rows = o.items, .dim = dim, .data = std::move(emb)}));
  }
  return builder.Build();
}

}  // namespace aisle::catalog
