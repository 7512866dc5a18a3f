#include "aisle/features/online_feature_store.h"

#include <atomic>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace aisle::features {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

const absl::Time kT0 = absl::FromUnixSeconds(1700000000);

std::unique_ptr<OnlineFeatureStore> MakeStore(size_t width, size_t initial = 64) {
  std::vector<std::string> names;
  for (size_t i = 0; i < width; ++i) names.push_back(absl::StrCat("f", i));
  return *OnlineFeatureStore::Create(names, initial);
}

TEST(OnlineFeatureStore, ReadsWhatWasWrittenWithStamps) {
  auto store = MakeStore(3);
  std::vector<float> v(3);
  std::vector<int64_t> t(3);
  EXPECT_FALSE(store->Read(42, absl::MakeSpan(v), absl::MakeSpan(t)));
  ASSERT_TRUE(store->Update(42, {{1, 2.5f}}, kT0).ok());
  ASSERT_TRUE(store->Read(42, absl::MakeSpan(v), absl::MakeSpan(t)));
  EXPECT_TRUE(std::isnan(v[0]));
  EXPECT_EQ(v[1], 2.5f);
  EXPECT_TRUE(std::isnan(v[2]));
  EXPECT_THAT(t, ElementsAre(kNeverUpdated, absl::ToUnixNanos(kT0), kNeverUpdated));

  ASSERT_TRUE(store->Update(42, {{0, -1.0f}, {2, 4.0f}}, kT0 + absl::Seconds(5)).ok());
  ASSERT_TRUE(store->Read(42, absl::MakeSpan(v), absl::MakeSpan(t)));
  EXPECT_THAT(v, ElementsAre(-1.0f, 2.5f, 4.0f));
  const int64_t t5 = absl::ToUnixNanos(kT0 + absl::Seconds(5));
  EXPECT_THAT(t, ElementsAre(t5, absl::ToUnixNanos(kT0), t5));
  EXPECT_FALSE(store->Read(43, absl::MakeSpan(v), absl::MakeSpan(t)));
  EXPECT_EQ(store->size(), 1u);
}

TEST(OnlineFeatureStore, RejectsBadUpdatesWithoutApplyingThem) {
  auto store = MakeStore(2);
  absl::Status s = store->Update(7, {{0, 1.0f}, {2, 1.0f}}, kT0);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("column 2, width is 2"));
  s = store->Update(7, {{0, 1.0f}, {1, std::nanf("")}}, kT0);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("feature 'f1'"));
  std::vector<float> v(2);
  std::vector<int64_t> t(2);
  EXPECT_FALSE(store->Read(7, absl::MakeSpan(v), absl::MakeSpan(t)));
  EXPECT_EQ(store->Update(OnlineFeatureStore::kReservedKey, {{0, 1.0f}}, kT0).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(store->Put(7, std::vector<float>{1}, kT0).code(), absl::StatusCode::kInvalidArgument);
}

TEST(OnlineFeatureStore, CreateRejectsDuplicateNames) {
  absl::Status s = OnlineFeatureStore::Create({"a", "b", "a"}).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("'a'"));
  EXPECT_FALSE(OnlineFeatureStore::Create({}).ok());
}

TEST(OnlineFeatureStore, GrowsAndKeepsEveryKey) {
  auto store = MakeStore(2, /*initial=*/1);
  constexpr uint64_t kKeys = 5000;
  for (uint64_t k = 0; k < kKeys; ++k) {
    ASSERT_TRUE(store->Put(k, std::vector<float>{float(k), -float(k)}, kT0).ok());
  }
  EXPECT_EQ(store->size(), kKeys);
  std::vector<float> v(2);
  std::vector<int64_t> t(2);
  for (uint64_t k = 0; k < kKeys; ++k) {
    ASSERT_TRUE(store->Read(k, absl::MakeSpan(v), absl::MakeSpan(t))) << k;
    EXPECT_EQ(v[0], float(k));
    EXPECT_EQ(v[1], -float(k));
  }
  EXPECT_FALSE(store->Read(kKeys, absl::MakeSpan(v), absl::MakeSpan(t)));
}

TEST(OnlineFeatureStore, KeyOfIsStable) {
  EXPECT_EQ(OnlineFeatureStore::KeyOf("user-1"), OnlineFeatureStore::KeyOf("user-1"));
  EXPECT_NE(OnlineFeatureStore::KeyOf("user-1"), OnlineFeatureStore::KeyOf("user-2"));
}

// Writers write vectors whose elements (and stamps) are all equal; readers
// check that every vector they see is uniform. A torn read (part old, part
// new) fails. One writer also inserts fresh keys so tables grow under the
// readers.
TEST(OnlineFeatureStore, ConcurrentReadersNeverSeeTornVectors) {
  constexpr size_t kWidth = 16;
  constexpr uint64_t kHotKeys = 8;
  constexpr int kWritesPerWriter = 20000;
  auto store = MakeStore(kWidth, /*initial=*/1);
  std::atomic<bool> done{false};
  std::atomic<int64_t> reads{0};
  std::atomic<int64_t> torn{0};

  auto writer = [&](int id) {
    std::vector<float> v(kWidth);
    for (int i = 1; i <= kWritesPerWriter; ++i) {
      const float value = static_cast<float>(id * 1000000 + i);
      std::fill(v.begin(), v.end(), value);
      const uint64_t key = static_cast<uint64_t>(i) % kHotKeys;
      ASSERT_TRUE(store->Put(key, v, absl::FromUnixNanos(int64_t(value))).ok());
      if (id == 1) {  // fresh keys: forces growth while readers run
        ASSERT_TRUE(store->Put(1000 + i, v, absl::FromUnixNanos(int64_t(value))).ok());
      }
    }
  };
  auto reader = [&] {
    std::vector<float> v(kWidth);
    std::vector<int64_t> t(kWidth);
    uint64_t k = 0;
    while (!done.load(std::memory_order_relaxed)) {
      const uint64_t key = (k++ % 3 == 0) ? 1000 + (k % 20000) : k % kHotKeys;
      if (!store->Read(key, absl::MakeSpan(v), absl::MakeSpan(t))) continue;
      reads.fetch_add(1, std::memory_order_relaxed);
      for (size_t c = 1; c < kWidth; ++c) {
        if (v[c] != v[0] || t[c] != t[0] || t[0] != int64_t(v[0])) {
          torn.fetch_add(1, std::memory_order_relaxed);
          break;
        }
      }
    }
  };
  std::vector<std::thread> readers;
  for (int i = 0; i < 2; ++i) readers.emplace_back(reader);
  std::thread w1(writer, 1), w2(writer, 2);
  w1.join();
  w2.join();
  done = true;
  for (auto& r : readers) r.join();
  EXPECT_EQ(torn.load(), 0);
  EXPECT_GT(reads.load(), 0);
  EXPECT_EQ(store->size(), kHotKeys + kWritesPerWriter);
}

// --- hostile input: errors name the key the caller passed, not its hash ---

TEST(OnlineFeatureStore, ErrorsNameTheKeyPassedNotItsHash) {
  auto store = MakeStore(2);
  absl::Status s = store->Update("user-123", {{1, std::nanf("")}}, kT0);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("update of key 'user-123' sets feature 'f1' to nan"));
  s = store->Update("user-123", {{7, 1.0f}}, kT0);
  EXPECT_THAT(s.message(), HasSubstr("update of key 'user-123' names column 7, width is 2"));
  s = store->Put("user-123", std::vector<float>{1.0f}, kT0);
  EXPECT_THAT(s.message(), HasSubstr("Put of key 'user-123' has 1 values, width is 2"));
  // A caller that hashed the key itself gets the hash, said to be one.
  s = store->Put(OnlineFeatureStore::KeyOf("user-123"), std::vector<float>{1.0f}, kT0);
  EXPECT_THAT(s.message(), HasSubstr("(a KeyOf hash; pass the id itself to see it)"));
  // Unprintable bytes in a key are escaped in the message.
  s = store->Put(std::string("u\0v", 3), std::vector<float>{1.0f}, kT0);
  EXPECT_THAT(s.message(), HasSubstr("Put of key 'u\\x00v'"));
}

TEST(OnlineFeatureStore, IdAndHashAddressTheSameEntry) {
  auto store = MakeStore(2);
  ASSERT_TRUE(store->Put("user-9", std::vector<float>{1.0f, 2.0f}, kT0).ok());
  std::vector<float> v(2);
  std::vector<int64_t> t(2);
  ASSERT_TRUE(store->Read(OnlineFeatureStore::KeyOf("user-9"), absl::MakeSpan(v), absl::MakeSpan(t)));
  EXPECT_THAT(v, ElementsAre(1.0f, 2.0f));
  ASSERT_TRUE(store->Update(OnlineFeatureStore::KeyOf("user-9"), {{0, 5.0f}}, kT0).ok());
  ASSERT_TRUE(store->Read("user-9", absl::MakeSpan(v), absl::MakeSpan(t)));
  EXPECT_THAT(v, ElementsAre(5.0f, 2.0f));
}

TEST(OnlineFeatureStore, InsaneUpdateTimeIsRejectedNamingTheKey) {
  auto store = MakeStore(1);
  absl::Status s = store->Put("user-1", std::vector<float>{1.0f}, absl::InfinitePast());
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("update of key 'user-1': time is infinite-past"));
  // INT64_MIN microseconds (the C API's unknown time) would have been stored
  // as kNeverUpdated.
  s = store->Put("user-1", std::vector<float>{1.0f},
                 absl::FromUnixMicros(std::numeric_limits<int64_t>::min()));
  EXPECT_THAT(s.message(), HasSubstr("update of key 'user-1': time "));
  std::vector<float> v(1);
  std::vector<int64_t> t(1);
  EXPECT_FALSE(store->Read("user-1", absl::MakeSpan(v), absl::MakeSpan(t)));
}

TEST(OnlineFeatureStore, AbsurdSizesAreRejectedBeforeAllocating) {
  auto s = OnlineFeatureStore::Create({"a"}, size_t{1} << 40);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(s.status().message(),
              HasSubstr("initial_keys_per_shard = 1099511627776 is outside [0, 2^24]"));
  std::vector<std::string> many;
  for (int i = 0; i < 1000; ++i) many.push_back(absl::StrCat("f", i));
  s = OnlineFeatureStore::Create(many, size_t{1} << 20);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(s.status().message(), HasSubstr("initial_keys_per_shard = 1048576 x 1000 features"));
}

TEST(OnlineFeatureStore, FeatureNamesFollowTheIdRule) {
  auto s = OnlineFeatureStore::Create({"ok", "bad\nname"});
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(s.status().message(),
              HasSubstr("online feature store: feature #1 name: id 'bad\\x0Aname' has control "
                        "character 0x0A"));
}

}  // namespace
}  // namespace aisle::features
