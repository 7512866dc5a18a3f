#include "aisle/features/item_feature_store.h"

#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "aisle/core/blob.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace aisle::features {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();
const absl::Time kT0 = absl::FromUnixSeconds(1700000000);

std::shared_ptr<const ItemFeatureStore> MakeStore() {
  ItemFeatureStoreBuilder b(3);
  EXPECT_TRUE(b.AddColumn("price", std::vector<float>{9.5f, kNaN, 3.0f}, kT0).ok());
  EXPECT_TRUE(b.AddColumn("stock", std::vector<float>{1, 0, 7}, kT0 + absl::Hours(1)).ok());
  return *std::move(b).Build();
}

TEST(ItemFeatureStore, StoresColumnsByName) {
  auto store = MakeStore();
  EXPECT_EQ(store->num_items(), 3u);
  EXPECT_EQ(store->num_columns(), 2u);
  EXPECT_EQ(*store->ColumnOf("stock"), 1u);
  EXPECT_THAT(store->column(1), ElementsAre(1.0f, 0.0f, 7.0f));
  EXPECT_EQ(store->column(0)[0], 9.5f);
  EXPECT_TRUE(std::isnan(store->column(0)[1]));
  EXPECT_EQ(store->built_at(1), kT0 + absl::Hours(1));
  EXPECT_EQ(store->ColumnOf("color").status().code(), absl::StatusCode::kNotFound);
}

TEST(ItemFeatureStoreBuilder, RejectsWrongLengthDuplicateAndInfinite) {
  ItemFeatureStoreBuilder b(2);
  absl::Status s = b.AddColumn("price", std::vector<float>{1, 2, 3}, kT0);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("'price' has 3 values, expected one per item (2)"));
  ASSERT_TRUE(b.AddColumn("price", std::vector<float>{1, 2}, kT0).ok());
  s = b.AddColumn("price", std::vector<float>{1, 2}, kT0);
  EXPECT_THAT(s.message(), HasSubstr("'price' added twice"));
  s = b.AddColumn("age", std::vector<float>{1, std::numeric_limits<float>::infinity()}, kT0);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  // Without item ids the index is named as such (was "item 1").
  EXPECT_THAT(s.message(), HasSubstr("'age': item index 1 has an infinite value"));
  EXPECT_EQ(b.AddColumn("", std::vector<float>{1, 2}, kT0).code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(ItemFeatureStore, SerializeRoundTrips) {
  auto store = MakeStore();
  const std::string bytes = store->Serialize();
  absl::StatusOr<std::shared_ptr<const ItemFeatureStore>> back =
      ItemFeatureStore::Deserialize(bytes, "items.ifs");
  ASSERT_TRUE(back.ok()) << back.status();
  ASSERT_EQ((*back)->num_columns(), 2u);
  EXPECT_EQ((*back)->name(0), "price");
  EXPECT_EQ((*back)->built_at(1), kT0 + absl::Hours(1));
  EXPECT_THAT((*back)->column(1), ElementsAre(1.0f, 0.0f, 7.0f));
  EXPECT_TRUE(std::isnan((*back)->column(0)[1]));
}

// The item-major copy holds the same bits as the columns, after Build() and
// after a serialize round trip (NaN payloads included).
void ExpectRowsMatchColumns(const ItemFeatureStore& store) {
  for (size_t i = 0; i < store.num_items(); ++i) {
    ASSERT_EQ(store.row(i).size(), store.num_columns());
    for (size_t c = 0; c < store.num_columns(); ++c) {
      EXPECT_EQ(std::bit_cast<uint32_t>(store.row(i)[c]),
                std::bit_cast<uint32_t>(store.column(c)[i]))
          << "item " << i << " column " << c;
      EXPECT_EQ(store.row_data() + i * store.num_columns() + c, &store.row(i)[c]);
    }
  }
}

TEST(ItemFeatureStore, RowsAreTheColumnsTransposed) {
  const size_t kItems = 2500;  // more than one transpose block
  ItemFeatureStoreBuilder b(kItems);
  std::vector<float> col(kItems);
  const char* const names[] = {"f0", "f1", "f2", "f3", "f4", "f5", "f6"};
  for (size_t c = 0; c < 7; ++c) {
    for (size_t i = 0; i < kItems; ++i) {
      col[i] = (i * 7 + c) % 11 == 0 ? kNaN : static_cast<float>(i) + 0.25f * c;
    }
    ASSERT_TRUE(b.AddColumn(names[c], col, kT0).ok());
  }
  auto store = *std::move(b).Build();
  EXPECT_EQ(store->row(3)[2], 3.5f);
  ExpectRowsMatchColumns(*store);
  auto back = ItemFeatureStore::Deserialize(store->Serialize(), "items.ifs");
  ASSERT_TRUE(back.ok()) << back.status();
  ExpectRowsMatchColumns(**back);
  // An empty store has no rows to read but still builds.
  auto empty = *ItemFeatureStoreBuilder(0).Build();
  EXPECT_EQ(empty->num_items(), 0u);
}

TEST(ItemFeatureStore, DeserializeRejectsCorruptAndTruncatedBlobs) {
  std::string bytes = MakeStore()->Serialize();
  std::string flipped = bytes;
  flipped[flipped.size() - 3] ^= 0x10;
  absl::Status s = ItemFeatureStore::Deserialize(flipped, "items.ifs").status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("items.ifs"));
  s = ItemFeatureStore::Deserialize(bytes.substr(0, bytes.size() - 4), "items.ifs").status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("items.ifs"));
}

// --- hostile input: ids, sizes and times ---

TEST(ItemFeatureStoreBuilder, InfiniteValueNamesTheItemIdWhenIdsAreGiven) {
  const absl::string_view ids[] = {"sku-a", "sku-b"};
  ItemFeatureStoreBuilder b(2, ids);
  const absl::Status s =
      b.AddColumn("age", std::vector<float>{1, -std::numeric_limits<float>::infinity()}, kT0);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("item feature column 'age': item 'sku-b' (index 1) has an "
                                     "infinite value -inf"));
}

TEST(ItemFeatureStoreBuilder, ColumnNameFollowsTheIdRule) {
  ItemFeatureStoreBuilder b(1);
  const absl::Status s = b.AddColumn(std::string("pri\0ce", 6), std::vector<float>{1}, kT0);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("item feature column #0: name: id 'pri\\x00ce' has control "
                                     "character 0x00 (NUL) at byte 3"));
}

TEST(ItemFeatureStoreBuilder, BuiltAtMustBeASaneTime) {
  ItemFeatureStoreBuilder b(1);
  absl::Status s = b.AddColumn("price", std::vector<float>{1}, absl::InfiniteFuture());
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("item feature column 'price': built_at: time is "
                                     "infinite-future, not a point in time"));
  s = b.AddColumn("price", std::vector<float>{1}, absl::FromUnixSeconds(int64_t{1} << 40));
  EXPECT_THAT(s.message(), HasSubstr("is outside [1900-01-01, 2400-01-01)"));
}

TEST(ItemFeatureStoreBuilder, AbsurdItemCountIsRejectedNamingIt) {
  ItemFeatureStoreBuilder b(size_t{1} << 40);
  auto store = std::move(b).Build();
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(store.status().message(),
              HasSubstr("item feature store: num_items = 1099511627776 is outside [0, 2^32-1)"));
}

// An AISLEIFS payload: header, one column header, then the floats.
std::string Payload(uint64_t num_items, uint64_t num_columns, const std::string& name,
                    int64_t built_at_nanos, size_t float_bytes) {
  std::string p;
  auto put = [&p](const void* v, size_t n) { p.append(static_cast<const char*>(v), n); };
  put(&num_items, 8);
  put(&num_columns, 8);
  const uint32_t len = static_cast<uint32_t>(name.size());
  put(&len, 4);
  p += name;
  put(&built_at_nanos, 8);
  p.append(float_bytes, '\0');
  return p;
}

TEST(ItemFeatureStore, FileHeaderCountsThePayloadCannotBackAreCorrupt) {
  const int64_t t = absl::ToUnixNanos(kT0);
  auto back = ItemFeatureStore::Deserialize(
      WrapBlob("AISLEIFS", 1, Payload(uint64_t{1} << 40, 1, "price", t, 1024)), "items.ifs");
  ASSERT_FALSE(back.ok());
  EXPECT_THAT(back.status().message(),
              HasSubstr("items.ifs: item feature store header field 'num_items' = 1099511627776 "
                        "is outside [0, 2^32-1): corrupt header"));
  back = ItemFeatureStore::Deserialize(
      WrapBlob("AISLEIFS", 1, Payload(4, uint64_t{1} << 40, "price", t, 16)), "items.ifs");
  ASSERT_FALSE(back.ok());
  EXPECT_THAT(back.status().message(),
              HasSubstr("items.ifs: item feature store header field 'num_columns' = "
                        "1099511627776, but the 33 payload bytes left hold at most 2 column "
                        "headers: corrupt header or truncated file"));
  back = ItemFeatureStore::Deserialize(
      WrapBlob("AISLEIFS", 1, Payload(1000000, 1, "price", t, 16)), "items.ifs");
  ASSERT_FALSE(back.ok());
  EXPECT_THAT(back.status().message(),
              HasSubstr("items.ifs: column data is 16 bytes, expected 4000000 (header fields "
                        "'num_columns' = 1 x 'num_items' = 1000000): truncated file or corrupt "
                        "header"));
}

TEST(ItemFeatureStore, FileWithInsaneBuiltAtOrBadColumnNameIsRejected) {
  auto back = ItemFeatureStore::Deserialize(
      WrapBlob("AISLEIFS", 1, Payload(4, 1, "price", std::numeric_limits<int64_t>::min(), 16)),
      "items.ifs");
  ASSERT_FALSE(back.ok());
  EXPECT_EQ(back.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(back.status().message(),
              HasSubstr("items.ifs: column 0: item feature column 'price': built_at: time "));
  EXPECT_THAT(back.status().message(), HasSubstr("is outside [1900-01-01, 2400-01-01)"));
  back = ItemFeatureStore::Deserialize(
      WrapBlob("AISLEIFS", 1, Payload(4, 1, "pr\xFFice", absl::ToUnixNanos(kT0), 16)),
      "items.ifs");
  ASSERT_FALSE(back.ok());
  EXPECT_THAT(back.status().message(),
              HasSubstr("items.ifs: column 0: item feature column #0: name: id 'pr\\xFFice' is "
                        "not valid UTF-8"));
}

}  // namespace
}  // namespace aisle::features
