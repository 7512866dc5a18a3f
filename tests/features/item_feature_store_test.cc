#include "aisle/features/item_feature_store.h"

#include <cmath>
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
