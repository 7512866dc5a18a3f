#include "aisle/features/feature_assembler.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <string>
#include <utility>

#include "absl/strings/str_format.h"

namespace aisle::features {
namespace {

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();

// Per-thread scratch: the broadcast row and the online stores' read buffers.
// Grows to the widest schema a thread has seen; never shrinks.
struct Scratch {
  std::vector<float> row;
  // Item bindings read per candidate on the item-major path.
  struct RowItem {
    uint32_t out_column;
    uint32_t store_column;
    float def;
    uint32_t missing;  // cells of the current block
    bool stale;
  };
  std::vector<RowItem> row_items;
  std::vector<float> values;
  std::vector<int64_t> stamps;
};

Scratch& ThreadScratch() {
  thread_local Scratch scratch;
  return scratch;
}

GroupFreshness& G(FreshnessReport* r, FeatureGroup g) { return r->groups[static_cast<size_t>(g)]; }

// Candidates ahead whose item rows are prefetched on the item-major path.
constexpr size_t kItemPrefetchDistance = 8;

inline void PrefetchRow(const float* row, size_t bytes) {
  const char* p = reinterpret_cast<const char*>(row);
  for (size_t b = 0; b < bytes; b += 64) __builtin_prefetch(p + b, 0, 3);
  __builtin_prefetch(p + bytes - 1, 0, 3);
}

}  // namespace

size_t FreshnessReport::TotalStale() const {
  size_t n = 0;
  for (const auto& g : groups) n += g.stale;
  return n;
}
size_t FreshnessReport::TotalDefaulted() const {
  size_t n = 0;
  for (const auto& g : groups) n += g.defaulted;
  return n;
}
size_t FreshnessReport::TotalMissing() const {
  size_t n = 0;
  for (const auto& g : groups) n += g.missing;
  return n;
}

absl::StatusOr<FeatureAssembler> FeatureAssembler::Create(
    FeatureSchema schema, std::shared_ptr<const ItemFeatureStore> items, AssemblerOptions options) {
  if (options.clock == nullptr) {
    return absl::InvalidArgumentError("feature assembler: options.clock is null");
  }
  FeatureAssembler a;
  for (size_t c : schema.columns(FeatureGroup::kItem)) {
    const std::string& name = schema.feature(c).name;
    int store_column = -1;
    if (items != nullptr) {
      absl::StatusOr<size_t> col = items->ColumnOf(name);
      if (col.ok()) store_column = static_cast<int>(*col);
    }
    if (store_column < 0 && !options.allow_missing_item_columns) {
      if (items == nullptr) {
        return absl::InvalidArgumentError(absl::StrFormat(
            "feature assembler: schema has item feature '%s' but no item feature store", name));
      }
      return absl::NotFoundError(absl::StrFormat(
          "feature assembler: item feature '%s' (column %d) has no column in the item feature "
          "store",
          name, c));
    }
    a.item_bindings_.push_back({c, store_column});
  }
  for (FeatureGroup g : {FeatureGroup::kUser, FeatureGroup::kSession}) {
    const OnlineFeatureStore* store =
        g == FeatureGroup::kUser ? options.user_store : options.session_store;
    auto& bindings = g == FeatureGroup::kUser ? a.user_bindings_ : a.session_bindings_;
    const std::string gname(FeatureGroupName(g));
    for (size_t c : schema.columns(g)) {
      const std::string& name = schema.feature(c).name;
      if (store == nullptr) {
        return absl::InvalidArgumentError(absl::StrFormat(
            "feature assembler: schema has %s feature '%s' but no %s store", gname, name, gname));
      }
      absl::StatusOr<size_t> col = store->ColumnOf(name);
      if (!col.ok()) {
        return absl::NotFoundError(absl::StrFormat(
            "feature assembler: %s feature '%s' (column %d) has no column in the %s store", gname,
            name, c, gname));
      }
      bindings.push_back({c, *col});
    }
  }
  a.schema_ = std::move(schema);
  a.items_ = std::move(items);
  a.options_ = options;
  return a;
}

absl::Status FeatureAssembler::FillOnline(FeatureGroup group, const OnlineFeatureStore* store,
                                          const std::vector<OnlineBinding>& bindings,
                                          std::optional<uint64_t> key, absl::Time now, size_t rows,
                                          float* row_template, FreshnessReport* report) const {
  if (bindings.empty()) return absl::OkStatus();
  Scratch& scratch = ThreadScratch();
  const size_t width = store->width();
  if (scratch.values.size() < width) {
    scratch.values.resize(width);
    scratch.stamps.resize(width);
  }
  const bool found = key.has_value() && store->Read(*key, absl::MakeSpan(scratch.values),
                                                    absl::MakeSpan(scratch.stamps));
  GroupFreshness& gf = G(report, group);
  const absl::Duration max_age = schema_.max_age(group);
  const StalePolicy policy = schema_.group_options(group).stale_policy;
  for (const OnlineBinding& b : bindings) {
    const float def = schema_.feature(b.out_column).default_value;
    float v = found ? scratch.values[b.store_column] : kNaN;
    const int64_t stamp = found ? scratch.stamps[b.store_column] : kNeverUpdated;
    gf.cells += rows;
    if (std::isnan(v) || stamp == kNeverUpdated) {
      v = def;
      gf.missing += rows;
      if (!std::isnan(def)) gf.defaulted += rows;
    } else {
      const absl::Duration age = now - absl::FromUnixNanos(stamp);
      gf.age = std::max(gf.age, age);
      if (age > max_age) {
        gf.stale += rows;
        if (policy == StalePolicy::kUseDefault) {
          v = def;
          gf.defaulted += rows;
        }
      }
    }
    row_template[b.out_column] = v;
  }
  return absl::OkStatus();
}

absl::Status FeatureAssembler::Assemble(const AssemblyRequest& request, MutableMatrixView out,
                                        FreshnessReport* report) const {
  const size_t n = request.items.size();
  const size_t cols = schema_.size();
  if (report == nullptr) return absl::InvalidArgumentError("feature assembly: report is null");
  if (out.rows != n || out.cols != cols) {
    return absl::InvalidArgumentError(
        absl::StrFormat("feature assembly: output is %d x %d, expected %d candidates x %d features",
                        out.rows, out.cols, n, cols));
  }
  if (n > 0 && out.data == nullptr) {
    return absl::InvalidArgumentError("feature assembly: output data is null");
  }
  const auto context_cols = schema_.columns(FeatureGroup::kContext);
  if (request.context.size() != context_cols.size()) {
    return absl::InvalidArgumentError(
        absl::StrFormat("feature assembly: request has %d context values, schema has %d context "
                        "features",
                        request.context.size(), context_cols.size()));
  }
  const auto retrieval_cols = schema_.retrieval_matrix_columns();
  if (!retrieval_cols.empty() &&
      (request.retrieval.rows != n || request.retrieval.cols != retrieval_cols.size() ||
       (n > 0 && request.retrieval.data == nullptr))) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "feature assembly: retrieval matrix is %d x %d, expected %d candidates x %d retrieval "
        "features (first: '%s')",
        request.retrieval.rows, request.retrieval.cols, n, retrieval_cols.size(),
        schema_.feature(retrieval_cols[0]).name));
  }
  const auto retrieval_all = schema_.columns(FeatureGroup::kRetrieval);
  const bool has_source_bits = retrieval_all.size() != retrieval_cols.size();
  if (has_source_bits && request.sources.size() != n) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "feature assembly: request has %d source bitmasks, expected one per candidate (%d)",
        request.sources.size(), n));
  }

  *report = FreshnessReport();
  const absl::Time now = options_.clock->Now();
  Scratch& scratch = ThreadScratch();
  if (scratch.row.size() < cols) scratch.row.resize(cols);
  float* row_template = scratch.row.data();
  std::fill(row_template, row_template + cols, kNaN);

  // Broadcast groups: one value per request, written into the template row.
  {
    GroupFreshness& gf = G(report, FeatureGroup::kContext);
    for (size_t j = 0; j < context_cols.size(); ++j) {
      const float def = schema_.feature(context_cols[j]).default_value;
      float v = request.context[j];
      gf.cells += n;
      if (std::isnan(v)) {
        v = def;
        gf.missing += n;
        if (!std::isnan(def)) gf.defaulted += n;
      }
      row_template[context_cols[j]] = v;
    }
  }
  absl::Status s = FillOnline(FeatureGroup::kUser, options_.user_store, user_bindings_,
                              request.user_key, now, n, row_template, report);
  if (!s.ok()) return s;
  s = FillOnline(FeatureGroup::kSession, options_.session_store, session_bindings_,
                 request.session_key, now, n, row_template, report);
  if (!s.ok()) return s;

  // Item columns: per column, its age decides stale handling once per request.
  GroupFreshness& item_gf = G(report, FeatureGroup::kItem);
  const absl::Duration item_max_age = schema_.max_age(FeatureGroup::kItem);
  const StalePolicy item_policy = schema_.group_options(FeatureGroup::kItem).stale_policy;
  const size_t num_items = items_ != nullptr ? items_->num_items() : 0;
  for (size_t r = 0; r < n; ++r) report->unknown_items += request.items[r] >= num_items;
  // Per item binding: stale? (decided once), and missing cells seen so far.
  constexpr size_t kMaxInlineItemColumns = 256;
  char column_stale_small[kMaxInlineItemColumns];
  std::vector<char> column_stale_big;
  char* column_stale = column_stale_small;
  if (item_bindings_.size() > kMaxInlineItemColumns) {
    column_stale_big.resize(item_bindings_.size());
    column_stale = column_stale_big.data();
  }
  for (size_t k = 0; k < item_bindings_.size(); ++k) {
    const ItemBinding& b = item_bindings_[k];
    column_stale[k] = 0;
    if (b.store_column < 0) continue;
    const absl::Duration age = now - items_->built_at(static_cast<size_t>(b.store_column));
    item_gf.age = std::max(item_gf.age, age);
    column_stale[k] = age > item_max_age;
  }

  // Item-major path: the bindings read per candidate from its row (columns the
  // store lacks and stale columns replaced by their default stay per column).
  const bool row_path =
      options_.item_read_path == ItemReadPath::kItemMajor && items_ != nullptr && num_items > 0;
  std::vector<Scratch::RowItem>& row_items = scratch.row_items;
  row_items.clear();
  if (row_path) {
    for (size_t k = 0; k < item_bindings_.size(); ++k) {
      const ItemBinding& b = item_bindings_[k];
      if (b.store_column < 0 || (column_stale[k] && item_policy == StalePolicy::kUseDefault)) {
        continue;
      }
      row_items.push_back({static_cast<uint32_t>(b.out_column),
                           static_cast<uint32_t>(b.store_column),
                           schema_.feature(b.out_column).default_value, 0, column_stale[k] != 0});
    }
  }
  const float* row_base = row_path ? items_->row_data() : nullptr;
  const size_t row_stride = row_path ? items_->num_columns() : 0;
  const size_t row_bytes = row_stride * sizeof(float);
  const size_t rcols = request.retrieval.cols;
  GroupFreshness& ret_gf = G(report, FeatureGroup::kRetrieval);
  for (size_t r0 = 0; r0 < n; r0 += kAssemblyBlockRows) {
    if (request.deadline.Expired()) {
      return absl::DeadlineExceededError(
          absl::StrFormat("feature assembly: deadline expired after %d of %d candidates", r0, n));
    }
    const size_t r1 = std::min(n, r0 + kAssemblyBlockRows);
    const size_t rows = r1 - r0;
    for (size_t r = r0; r < r1; ++r) {
      std::memcpy(out.data + r * cols, row_template, cols * sizeof(float));
    }
    for (size_t k = 0; k < item_bindings_.size(); ++k) {
      const ItemBinding& b = item_bindings_[k];
      if (row_path && b.store_column >= 0 &&
          !(column_stale[k] && item_policy == StalePolicy::kUseDefault)) {
        continue;  // read below, candidate by candidate
      }
      const float def = schema_.feature(b.out_column).default_value;
      float* o = out.data + b.out_column;
      item_gf.cells += rows;
      if (b.store_column < 0) {
        for (size_t r = r0; r < r1; ++r) o[r * cols] = def;
        item_gf.missing += rows;
        if (!std::isnan(def)) item_gf.defaulted += rows;
        continue;
      }
      if (column_stale[k] && item_policy == StalePolicy::kUseDefault) {
        for (size_t r = r0; r < r1; ++r) o[r * cols] = def;
        item_gf.stale += rows;
        item_gf.defaulted += rows;
        continue;
      }
      const float* col = items_->column(static_cast<size_t>(b.store_column)).data();
      size_t missing = 0;
      for (size_t r = r0; r < r1; ++r) {
        const ItemIndex idx = request.items[r];
        float v = idx < num_items ? col[idx] : kNaN;
        if (std::isnan(v)) {
          v = def;
          ++missing;
        }
        o[r * cols] = v;
      }
      item_gf.missing += missing;
      if (!std::isnan(def)) item_gf.defaulted += missing;
      if (column_stale[k]) item_gf.stale += rows - missing;
    }
    if (!row_items.empty()) {
      // Item-major: one candidate's features are adjacent in its row.
      for (Scratch::RowItem& it : row_items) it.missing = 0;
      for (size_t r = r0; r < r1; ++r) {
        if (r + kItemPrefetchDistance < n) {
          const ItemIndex ahead = request.items[r + kItemPrefetchDistance];
          if (ahead < num_items) PrefetchRow(row_base + ahead * row_stride, row_bytes);
        }
        const ItemIndex idx = request.items[r];
        float* o = out.data + r * cols;
        if (idx >= num_items) {
          for (Scratch::RowItem& it : row_items) {
            o[it.out_column] = it.def;
            ++it.missing;
          }
          continue;
        }
        const float* row = row_base + idx * row_stride;
        for (Scratch::RowItem& it : row_items) {
          float v = row[it.store_column];
          if (std::isnan(v)) {
            v = it.def;
            ++it.missing;
          }
          o[it.out_column] = v;
        }
      }
      for (const Scratch::RowItem& it : row_items) {
        item_gf.cells += rows;
        item_gf.missing += it.missing;
        if (!std::isnan(it.def)) item_gf.defaulted += it.missing;
        if (it.stale) item_gf.stale += rows - it.missing;
      }
    }
    for (size_t j = 0; j < retrieval_cols.size(); ++j) {
      const size_t c = retrieval_cols[j];
      const float def = schema_.feature(c).default_value;
      const float* in = request.retrieval.data + j;
      float* o = out.data + c;
      size_t missing = 0;
      for (size_t r = r0; r < r1; ++r) {
        float v = in[r * rcols];
        if (std::isnan(v)) {
          v = def;
          ++missing;
        }
        o[r * cols] = v;
      }
      ret_gf.cells += rows;
      ret_gf.missing += missing;
      if (!std::isnan(def)) ret_gf.defaulted += missing;
    }
    if (has_source_bits) {
      for (size_t c : retrieval_all) {
        const int bit = schema_.feature(c).source_bit;
        if (bit < 0) continue;
        float* o = out.data + c;
        for (size_t r = r0; r < r1; ++r) {
          o[r * cols] = static_cast<float>((request.sources[r] >> bit) & 1u);
        }
        ret_gf.cells += rows;
      }
    }
  }

  for (size_t g = 0; g < kNumFeatureGroups; ++g) {
    const FeatureGroup group = static_cast<FeatureGroup>(g);
    GroupFreshness& gf = report->groups[g];
    if (gf.stale > 0 && schema_.HasGroup(group) &&
        schema_.group_options(group).stale_policy == StalePolicy::kDropToFallback) {
      gf.drop_to_fallback = true;
      report->drop_to_fallback = true;
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<MatrixView> FeatureAssembler::Assemble(const AssemblyRequest& request,
                                                      std::vector<float>* buffer,
                                                      FreshnessReport* report) const {
  if (buffer == nullptr) return absl::InvalidArgumentError("feature assembly: buffer is null");
  const size_t n = request.items.size();
  const size_t cols = schema_.size();
  buffer->resize(n * cols);
  MutableMatrixView out(buffer->data(), n, cols);
  absl::Status s = Assemble(request, out, report);
  if (!s.ok()) return s;
  return MatrixView(out);
}

}  // namespace aisle::features
