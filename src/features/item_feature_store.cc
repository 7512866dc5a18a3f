#include "aisle/features/item_feature_store.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <new>
#include <string>
#include <utility>

#include "absl/strings/str_format.h"
#include "aisle/core/blob.h"
#include "aisle/core/event_time.h"
#include "aisle/core/external_id.h"
#include "aisle/core/status_macros.h"

namespace aisle::features {
namespace {

constexpr absl::string_view kMagic = "AISLEIFS";
constexpr uint32_t kVersion = 1;

template <typename T>
void Put(std::string* out, T v) {
  char buf[sizeof(T)];
  std::memcpy(buf, &v, sizeof(T));  // little-endian hosts only (x86-64, arm64)
  out->append(buf, sizeof(T));
}

// Reads fixed-size values from a payload, naming the blob and field on error.
class Reader {
 public:
  Reader(absl::string_view data, absl::string_view what) : data_(data), what_(what) {}
  template <typename T>
  absl::Status Get(T* v, absl::string_view field) {
    if (data_.size() - pos_ < sizeof(T)) return Truncated(field);
    std::memcpy(v, data_.data() + pos_, sizeof(T));
    pos_ += sizeof(T);
    return absl::OkStatus();
  }
  absl::Status GetBytes(size_t n, absl::string_view* v, absl::string_view field) {
    if (data_.size() - pos_ < n) return Truncated(field);
    *v = data_.substr(pos_, n);
    pos_ += n;
    return absl::OkStatus();
  }
  size_t remaining() const { return data_.size() - pos_; }

 private:
  absl::Status Truncated(absl::string_view field) const {
    return absl::InvalidArgumentError(
        absl::StrFormat("%s: item feature store is truncated at byte %d while reading %s",
                        std::string(what_), pos_, std::string(field)));
  }
  absl::string_view data_;
  absl::string_view what_;
  size_t pos_ = 0;
};

}  // namespace

absl::StatusOr<size_t> ItemFeatureStore::ColumnOf(absl::string_view name) const {
  auto it = by_name_.find(std::string(name));
  if (it == by_name_.end()) {
    return absl::NotFoundError(
        absl::StrFormat("item feature store has no column named '%s'", std::string(name)));
  }
  return it->second;
}

std::string ItemFeatureStore::Serialize() const {
  std::string payload;
  Put<uint64_t>(&payload, num_items_);
  Put<uint64_t>(&payload, names_.size());
  for (size_t c = 0; c < names_.size(); ++c) {
    Put<uint32_t>(&payload, static_cast<uint32_t>(names_[c].size()));
    payload.append(names_[c]);
    Put<int64_t>(&payload, absl::ToUnixNanos(built_at_[c]));
  }
  payload.append(reinterpret_cast<const char*>(data_.data()), data_.size() * sizeof(float));
  return WrapBlob(kMagic, kVersion, payload);
}

absl::StatusOr<std::shared_ptr<const ItemFeatureStore>> ItemFeatureStore::Deserialize(
    absl::string_view bytes, absl::string_view what) {
  AISLE_ASSIGN_OR_RETURN(BlobContents blob, UnwrapBlob(bytes, kMagic, kVersion, kVersion, what));
  Reader r(blob.payload, what);
  uint64_t num_items = 0, num_columns = 0;
  AISLE_RETURN_IF_ERROR(r.Get(&num_items, "num_items"));
  AISLE_RETURN_IF_ERROR(r.Get(&num_columns, "num_columns"));
  if (num_items > kMaxItemFeatureStoreItems) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "%s: item feature store header field 'num_items' = %d is outside [0, 2^32-1): corrupt "
        "header",
        std::string(what), num_items));
  }
  // Each column needs at least its header (12 bytes): bounds num_columns by
  // the payload before anything is allocated.
  if (num_columns > r.remaining() / 12) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "%s: item feature store header field 'num_columns' = %d, but the %d payload bytes left "
        "hold at most %d column headers: corrupt header or truncated file",
        std::string(what), num_columns, r.remaining(), r.remaining() / 12));
  }
  ItemFeatureStoreBuilder builder(num_items);
  std::vector<std::pair<std::string, absl::Time>> headers;
  for (uint64_t c = 0; c < num_columns; ++c) {
    uint32_t len = 0;
    absl::string_view name;
    int64_t nanos = 0;
    const std::string field = absl::StrFormat("column %d header", c);
    AISLE_RETURN_IF_ERROR(r.Get(&len, field));
    AISLE_RETURN_IF_ERROR(r.GetBytes(len, &name, field));
    AISLE_RETURN_IF_ERROR(r.Get(&nanos, field));
    headers.emplace_back(std::string(name), absl::FromUnixNanos(nanos));
  }
  if (num_items != 0 && num_columns > std::numeric_limits<size_t>::max() / num_items / 4) {
    return absl::InvalidArgumentError(absl::StrFormat("%s: %d columns x %d items overflows",
                                                      std::string(what), num_columns, num_items));
  }
  const size_t want = num_columns * num_items * sizeof(float);
  if (r.remaining() != want) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "%s: column data is %d bytes, expected %d (header fields 'num_columns' = %d x "
        "'num_items' = %d): truncated file or corrupt header",
        std::string(what), r.remaining(), want, num_columns, num_items));
  }
  absl::string_view data;
  AISLE_RETURN_IF_ERROR(r.GetBytes(want, &data, "column data"));
  std::vector<float> column(num_columns == 0 ? 0 : num_items);
  for (uint64_t c = 0; c < num_columns; ++c) {
    std::memcpy(column.data(), data.data() + c * num_items * sizeof(float),
                num_items * sizeof(float));
    absl::Status s = builder.AddColumn(headers[c].first, column, headers[c].second);
    if (!s.ok()) {
      return absl::InvalidArgumentError(
          absl::StrFormat("%s: column %d: %s", std::string(what), c, s.message()));
    }
  }
  return std::move(builder).Build();
}

namespace {

absl::Status CheckNumItems(size_t num_items) {
  if (num_items > kMaxItemFeatureStoreItems) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "item feature store: num_items = %d is outside [0, 2^32-1)", num_items));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ItemFeatureStoreBuilder::AddColumn(absl::string_view name,
                                                absl::Span<const float> values,
                                                absl::Time built_at) {
  AISLE_RETURN_IF_ERROR(CheckNumItems(num_items_));
  const std::string n(name);
  if (n.empty()) return absl::InvalidArgumentError("item feature column has an empty name");
  AISLE_RETURN_IF_ERROR(CheckExternalId(
      name, absl::StrFormat("item feature column #%d: name", store_->names_.size())));
  if (values.size() != num_items_) {
    return absl::InvalidArgumentError(
        absl::StrFormat("item feature column '%s' has %d values, expected one per item (%d)", n,
                        values.size(), num_items_));
  }
  AISLE_RETURN_IF_ERROR(
      CheckTime(built_at, absl::StrFormat("item feature column '%s': built_at", n)));
  if (!item_ids_.empty() && item_ids_.size() != num_items_) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "item feature store: %d item ids given for %d items", item_ids_.size(), num_items_));
  }
  for (size_t i = 0; i < values.size(); ++i) {
    if (std::isinf(values[i])) {
      const std::string item =
          item_ids_.empty() ? absl::StrFormat("item index %d", i)
                            : absl::StrFormat("item '%s' (index %d)", PrintableId(item_ids_[i]), i);
      return absl::InvalidArgumentError(absl::StrFormat(
          "item feature column '%s': %s has an infinite value %f", n, item, values[i]));
    }
  }
  if (!store_->by_name_.emplace(n, store_->names_.size()).second) {
    return absl::InvalidArgumentError(absl::StrFormat("item feature column '%s' added twice", n));
  }
  try {
    store_->data_.insert(store_->data_.end(), values.begin(), values.end());
  } catch (const std::bad_alloc&) {
    store_->by_name_.erase(n);
    return absl::ResourceExhaustedError(absl::StrFormat(
        "item feature column '%s': cannot allocate %d more values", n, values.size()));
  }
  store_->names_.push_back(n);
  store_->built_at_.push_back(built_at);
  return absl::OkStatus();
}

absl::StatusOr<std::shared_ptr<const ItemFeatureStore>> ItemFeatureStoreBuilder::Build() && {
  AISLE_RETURN_IF_ERROR(CheckNumItems(num_items_));
  store_->num_items_ = num_items_;
  // The item-major copy, transposed in blocks of items so both sides stay in
  // cache.
  const size_t num_columns = store_->names_.size();
  try {
    store_->rows_.resize(num_items_ * num_columns);
  } catch (const std::bad_alloc&) {
    return absl::ResourceExhaustedError(absl::StrFormat(
        "item feature store: cannot allocate the item-major copy (%d items x %d columns)",
        num_items_, num_columns));
  }
  constexpr size_t kBlock = 1024;
  const float* cols = store_->data_.data();
  float* rows = store_->rows_.data();
  for (size_t i0 = 0; i0 < num_items_; i0 += kBlock) {
    const size_t i1 = std::min(num_items_, i0 + kBlock);
    for (size_t c = 0; c < num_columns; ++c) {
      const float* col = cols + c * num_items_;
      for (size_t i = i0; i < i1; ++i) rows[i * num_columns + c] = col[i];
    }
  }
  return std::shared_ptr<const ItemFeatureStore>(std::move(store_));
}

}  // namespace aisle::features
