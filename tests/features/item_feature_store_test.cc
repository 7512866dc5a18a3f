#include "aisle/features/item_feature_store.h"

#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

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
  EXPECT_THAT(s.message(), HasSubstr("'age': item 1 has an infinite value"));
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

}  // namespace
}  // namespace aisle::features
