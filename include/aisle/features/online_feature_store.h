// File: aisle/features/online_feature_store.h
//
// User or session features updated online by the event path while requests
// read them: a fixed number of float features per key (the schema's user or
// session group), each value stamped with its update time.
//
//   auto store = OnlineFeatureStore::ForGroup(schema, FeatureGroup::kUser);
//   size_t ctr = *store->ColumnOf("user_ctr_7d");
//   store->Update("user-123", {{ctr, 0.031f}}, clock.Now());   // writer thread
//   float v[8]; int64_t t[8];
//   bool found = store->Read("user-123", absl::MakeSpan(v), absl::MakeSpan(t));  // reader
//
// Keys are external ids (user or session ids), stored as their 64-bit hash
// (KeyOf). Update/Put/Read take either the id itself, and then errors name
// it ("key 'user-123'"), or the hash a caller computed once with KeyOf, and
// then errors can only show the hash ("key 0x1f2e...; pass the id to see
// it"); both address the same entry.
//
// Design (why no lock on the read path): keys are spread over 64 shards by
// hash. A shard is an open-addressing table of fixed-width slots (key,
// sequence number, width floats, width timestamps) reached through an atomic
// pointer. Writers take the shard's mutex (writers of different shards never
// meet) and update a slot under a per-slot seqlock: the sequence is odd while
// the slot is written. Readers take no lock and write nothing shared: they
// probe the table, copy the slot and retry if the sequence was odd or changed
// meanwhile, so a reader never sees a torn vector (some elements old, some
// new) and never blocks a writer. Every shared word is a std::atomic accessed
// with relaxed loads and stores, ordered by the seqlock's fences, so there is
// no data race in the C++ sense. When a shard fills past 3/4 the writer
// copies it into a table twice the size and publishes that; the old table is
// kept (not freed) until the store is destroyed because a reader may still be
// inside it, which costs at most the size of the current tables again (the
// sizes double). Seqlock rather than RCU of per-key vectors because updates
// are far more frequent than new keys (every click updates a user), and a
// seqlock update is a few stores in place with no allocation and no deferred
// reclamation, while RCU would allocate and retire a vector per update.
// Keys are never removed (session expiry is left to replacing the store).
//
// OnlineFeatureStore is thread-safe: any number of concurrent readers and
// writers.
#ifndef AISLE_FEATURES_ONLINE_FEATURE_STORE_H_
#define AISLE_FEATURES_ONLINE_FEATURE_STORE_H_

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "aisle/features/feature_schema.h"

namespace aisle::features {

// A timestamp of a value never written.
inline constexpr int64_t kNeverUpdated = INT64_MIN;

// One value to write: a column of the store (0..width-1) and its value.
struct FeatureUpdate {
  size_t column = 0;
  float value = 0.0f;
};

class OnlineFeatureStore {
 public:
  // A store of `names.size()` features per key. InvalidArgument for no names,
  // a name that breaks the id rule (docs/catalog.md) or is repeated, more
  // than kMaxOnlineFeatures names, or initial_keys_per_shard above
  // kMaxInitialKeysPerShard; ResourceExhausted when the initial tables
  // (64 shards x slots x width) would exceed kMaxInitialBytes.
  static absl::StatusOr<std::unique_ptr<OnlineFeatureStore>> Create(
      std::vector<std::string> names, size_t initial_keys_per_shard = 64);
  static constexpr size_t kMaxOnlineFeatures = 65536;
  static constexpr size_t kMaxInitialKeysPerShard = size_t{1} << 24;
  static constexpr size_t kMaxInitialBytes = size_t{1} << 32;
  // A store for the features of one schema group (kUser or kSession), in
  // schema order. InvalidArgument when the group has no features.
  static absl::StatusOr<std::unique_ptr<OnlineFeatureStore>> ForGroup(const FeatureSchema& schema,
                                                                      FeatureGroup group);

  ~OnlineFeatureStore();
  OnlineFeatureStore(const OnlineFeatureStore&) = delete;
  OnlineFeatureStore& operator=(const OnlineFeatureStore&) = delete;

  // A stable 64-bit key for an external id (XXH64, seed 0).
  static uint64_t KeyOf(absl::string_view id);
  // The one key value that cannot be stored.
  static constexpr uint64_t kReservedKey = UINT64_MAX;

  size_t width() const { return names_.size(); }
  absl::Span<const std::string> names() const { return names_; }
  absl::StatusOr<size_t> ColumnOf(absl::string_view name) const;

  // Writes some columns of a key (others keep their values and stamps),
  // stamping each with `at`. InvalidArgument for the reserved key, a column
  // out of range, a non-finite value or a time outside [1900, 2400) (naming
  // the key, feature and value); the update is then not applied at all. A
  // key's first update creates it, its other columns NaN.
  absl::Status Update(absl::string_view id, absl::Span<const FeatureUpdate> updates,
                      absl::Time at);
  // The same for a key hashed beforehand with KeyOf (errors show the hash).
  absl::Status Update(uint64_t key, absl::Span<const FeatureUpdate> updates, absl::Time at);
  // Writes all `width()` columns of a key.
  absl::Status Put(absl::string_view id, absl::Span<const float> values, absl::Time at);
  absl::Status Put(uint64_t key, absl::Span<const float> values, absl::Time at);

  // Copies a key's values and stamps (unix nanoseconds, kNeverUpdated for a
  // column never written, whose value is NaN) into spans of width() entries.
  // Returns false, writing nothing, when the key is unknown. Lock-free;
  // allocates nothing.
  bool Read(absl::string_view id, absl::Span<float> values, absl::Span<int64_t> stamps) const {
    return Read(KeyOf(id), values, stamps);
  }
  bool Read(uint64_t key, absl::Span<float> values, absl::Span<int64_t> stamps) const;

  // Number of keys stored (approximate while writers run).
  size_t size() const;

 private:
  static constexpr size_t kNumShards = 64;
  struct Table;
  struct Shard {
    mutable absl::Mutex mu;
    std::atomic<Table*> table{nullptr};
    size_t count ABSL_GUARDED_BY(mu) = 0;
    std::vector<std::unique_ptr<Table>> tables ABSL_GUARDED_BY(mu);  // current and retired
  };

  explicit OnlineFeatureStore(std::vector<std::string> names, size_t initial_keys_per_shard);
  // `key_name` names the key in errors: "'user-123'" or "0x1f2e... (hash)".
  absl::Status UpdateNamed(uint64_t key, absl::string_view key_name,
                           absl::Span<const FeatureUpdate> updates, absl::Time at);
  absl::Status PutNamed(uint64_t key, absl::string_view key_name, absl::Span<const float> values,
                        absl::Time at);
  // Returns the slot of `key` in the shard's current table, inserting it
  // (and growing the table) when absent.
  size_t FindOrInsertLocked(Shard& shard, uint64_t key) ABSL_EXCLUSIVE_LOCKS_REQUIRED(shard.mu);
  void GrowLocked(Shard& shard) ABSL_EXCLUSIVE_LOCKS_REQUIRED(shard.mu);

  std::vector<std::string> names_;
  absl::flat_hash_map<std::string, size_t> by_name_;
  std::array<Shard, kNumShards> shards_;
};

}  // namespace aisle::features

#endif  // AISLE_FEATURES_ONLINE_FEATURE_STORE_H_
