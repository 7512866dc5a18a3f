#include "aisle/features/online_feature_store.h"

#include <bit>
#include <cmath>
#include <cstring>
#include <limits>
#include <new>
#include <string>
#include <thread>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "aisle/core/blob.h"
#include "aisle/core/event_time.h"
#include "aisle/core/external_id.h"
#include "aisle/core/status_macros.h"

namespace aisle::features {
namespace {

// splitmix64's finalizer: spreads user ids (often sequential) over shards
// and slots.
inline uint64_t Mix(uint64_t x) {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebULL;
  x ^= x >> 31;
  return x;
}

// Slots per shard for a number of keys (at most 3/4 full); keys <= 2^24.
size_t InitialCapacity(size_t keys) { return std::bit_ceil(std::max<size_t>(8, keys * 4 / 3 + 1)); }

std::string HashName(uint64_t key) {
  return absl::StrFormat("0x%016x (a KeyOf hash; pass the id itself to see it)", key);
}

inline uint32_t FloatBits(float f) { return std::bit_cast<uint32_t>(f); }
inline float BitsFloat(uint32_t u) { return std::bit_cast<float>(u); }

}  // namespace

// One open-addressing table: `capacity` slots (a power of two) of `width`
// values each. An empty slot holds kReservedKey. Every field is atomic so that
// readers racing with the shard's writer are well defined.
struct OnlineFeatureStore::Table {
  Table(size_t cap, size_t w)
      : capacity(cap),
        width(w),
        keys(new std::atomic<uint64_t>[cap]),
        seqs(new std::atomic<uint32_t>[cap]),
        values(new std::atomic<uint32_t>[cap * w]),
        stamps(new std::atomic<int64_t>[cap * w]) {
    const uint32_t nan = FloatBits(std::numeric_limits<float>::quiet_NaN());
    for (size_t i = 0; i < cap; ++i) {
      keys[i].store(kReservedKey, std::memory_order_relaxed);
      seqs[i].store(0, std::memory_order_relaxed);
    }
    for (size_t i = 0; i < cap * w; ++i) {
      values[i].store(nan, std::memory_order_relaxed);
      stamps[i].store(kNeverUpdated, std::memory_order_relaxed);
    }
  }

  // Slot of `key`, or of the empty slot where it would go.
  size_t Probe(uint64_t key, uint64_t hash) const {
    const size_t mask = capacity - 1;
    for (size_t i = hash & mask;; i = (i + 1) & mask) {
      const uint64_t k = keys[i].load(std::memory_order_acquire);
      if (k == key || k == kReservedKey) return i;
    }
  }

  const size_t capacity;
  const size_t width;
  std::unique_ptr<std::atomic<uint64_t>[]> keys;
  std::unique_ptr<std::atomic<uint32_t>[]> seqs;
  std::unique_ptr<std::atomic<uint32_t>[]> values;
  std::unique_ptr<std::atomic<int64_t>[]> stamps;
};

OnlineFeatureStore::OnlineFeatureStore(std::vector<std::string> names,
                                       size_t initial_keys_per_shard)
    : names_(std::move(names)) {
  for (size_t i = 0; i < names_.size(); ++i) by_name_.emplace(names_[i], i);
  const size_t cap = InitialCapacity(initial_keys_per_shard);
  for (Shard& shard : shards_) {
    absl::MutexLock lock(&shard.mu);
    shard.tables.push_back(std::make_unique<Table>(cap, names_.size()));
    shard.table.store(shard.tables.back().get(), std::memory_order_release);
  }
}

OnlineFeatureStore::~OnlineFeatureStore() = default;

absl::StatusOr<std::unique_ptr<OnlineFeatureStore>> OnlineFeatureStore::Create(
    std::vector<std::string> names, size_t initial_keys_per_shard) {
  if (names.empty()) return absl::InvalidArgumentError("online feature store has no features");
  if (names.size() > kMaxOnlineFeatures) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "online feature store: %d features is outside [1, %d]", names.size(), kMaxOnlineFeatures));
  }
  absl::flat_hash_map<std::string, size_t> seen;
  for (size_t i = 0; i < names.size(); ++i) {
    if (names[i].empty()) {
      return absl::InvalidArgumentError(
          absl::StrFormat("online feature store: feature #%d has an empty name", i));
    }
    AISLE_RETURN_IF_ERROR(
        CheckExternalId(names[i], absl::StrFormat("online feature store: feature #%d name", i)));
    if (!seen.emplace(names[i], i).second) {
      return absl::InvalidArgumentError(
          absl::StrFormat("online feature store: duplicate feature name '%s'", names[i]));
    }
  }
  if (initial_keys_per_shard > kMaxInitialKeysPerShard) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "online feature store: initial_keys_per_shard = %d is outside [0, 2^24]",
        initial_keys_per_shard));
  }
  // What the constructor allocates up front: per shard, `cap` slots of a key,
  // a sequence number and width values and stamps.
  const size_t cap = InitialCapacity(initial_keys_per_shard);
  const size_t bytes = kNumShards * cap * (12 + 12 * names.size());
  if (bytes > kMaxInitialBytes) {
    return absl::ResourceExhaustedError(absl::StrFormat(
        "online feature store: initial_keys_per_shard = %d x %d features needs %d bytes up "
        "front, more than the %d allowed; start smaller (tables double as keys arrive)",
        initial_keys_per_shard, names.size(), bytes, kMaxInitialBytes));
  }
  try {
    return std::unique_ptr<OnlineFeatureStore>(
        new OnlineFeatureStore(std::move(names), initial_keys_per_shard));
  } catch (const std::bad_alloc&) {
    return absl::ResourceExhaustedError(absl::StrFormat(
        "online feature store: out of memory for %d initial keys per shard",
        initial_keys_per_shard));
  }
}

absl::StatusOr<std::unique_ptr<OnlineFeatureStore>> OnlineFeatureStore::ForGroup(
    const FeatureSchema& schema, FeatureGroup group) {
  std::vector<std::string> names;
  for (size_t c : schema.columns(group)) names.push_back(schema.feature(c).name);
  if (names.empty()) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "feature schema has no features in group '%s'", std::string(FeatureGroupName(group))));
  }
  return Create(std::move(names));
}

uint64_t OnlineFeatureStore::KeyOf(absl::string_view id) {
  const uint64_t h = Checksum64(id);
  return h == kReservedKey ? 0 : h;
}

absl::StatusOr<size_t> OnlineFeatureStore::ColumnOf(absl::string_view name) const {
  auto it = by_name_.find(std::string(name));
  if (it == by_name_.end()) {
    return absl::NotFoundError(
        absl::StrFormat("online feature store has no feature named '%s'", std::string(name)));
  }
  return it->second;
}

void OnlineFeatureStore::GrowLocked(Shard& shard) {
  const Table& old = *shard.table.load(std::memory_order_relaxed);
  auto grown = std::make_unique<Table>(old.capacity * 2, old.width);
  for (size_t i = 0; i < old.capacity; ++i) {
    const uint64_t key = old.keys[i].load(std::memory_order_relaxed);
    if (key == kReservedKey) continue;
    const size_t j = grown->Probe(key, Mix(key));
    for (size_t c = 0; c < old.width; ++c) {
      grown->values[j * old.width + c].store(
          old.values[i * old.width + c].load(std::memory_order_relaxed), std::memory_order_relaxed);
      grown->stamps[j * old.width + c].store(
          old.stamps[i * old.width + c].load(std::memory_order_relaxed), std::memory_order_relaxed);
    }
    grown->keys[j].store(key, std::memory_order_relaxed);
  }
  // Release: a reader that sees the new table sees its contents.
  shard.table.store(grown.get(), std::memory_order_release);
  shard.tables.push_back(std::move(grown));
}

size_t OnlineFeatureStore::FindOrInsertLocked(Shard& shard, uint64_t key) {
  const uint64_t hash = Mix(key);
  Table* t = shard.table.load(std::memory_order_relaxed);
  size_t slot = t->Probe(key, hash);
  if (t->keys[slot].load(std::memory_order_relaxed) == key) return slot;
  if ((shard.count + 1) * 4 > t->capacity * 3) {
    GrowLocked(shard);
    t = shard.table.load(std::memory_order_relaxed);
    slot = t->Probe(key, hash);
  }
  // The slot's values are NaN and its stamps kNeverUpdated since the table
  // was made. Its sequence is made odd before the key is published (release),
  // so a reader that finds the new key waits for the caller's first write
  // instead of reading the empty slot.
  t->seqs[slot].store(1, std::memory_order_relaxed);
  t->keys[slot].store(key, std::memory_order_release);
  ++shard.count;
  return slot;
}

absl::Status OnlineFeatureStore::Update(absl::string_view id,
                                        absl::Span<const FeatureUpdate> updates, absl::Time at) {
  return UpdateNamed(KeyOf(id), absl::StrCat("'", PrintableId(id), "'"), updates, at);
}

absl::Status OnlineFeatureStore::Update(uint64_t key, absl::Span<const FeatureUpdate> updates,
                                        absl::Time at) {
  return UpdateNamed(key, HashName(key), updates, at);
}

absl::Status OnlineFeatureStore::UpdateNamed(uint64_t key, absl::string_view key_name,
                                             absl::Span<const FeatureUpdate> updates,
                                             absl::Time at) {
  if (key == kReservedKey) {
    return absl::InvalidArgumentError("online feature store: key 0xffffffffffffffff is reserved");
  }
  for (const FeatureUpdate& u : updates) {
    if (u.column >= width()) {
      return absl::InvalidArgumentError(
          absl::StrFormat("online feature store: update of key %s names column %d, width is %d",
                          key_name, u.column, width()));
    }
    if (!std::isfinite(u.value)) {
      return absl::InvalidArgumentError(
          absl::StrFormat("online feature store: update of key %s sets feature '%s' to %f",
                          key_name, names_[u.column], u.value));
    }
  }
  AISLE_RETURN_IF_ERROR(
      CheckTime(at, absl::StrFormat("online feature store: update of key %s", key_name)));
  const int64_t stamp = absl::ToUnixNanos(at);
  Shard& shard = shards_[Mix(key) >> 58];
  absl::MutexLock lock(&shard.mu);
  const size_t slot = FindOrInsertLocked(shard, key);
  Table& t = *shard.table.load(std::memory_order_relaxed);
  uint32_t seq = t.seqs[slot].load(std::memory_order_relaxed);
  if ((seq & 1) == 0) {  // odd already for a slot just inserted
    ++seq;
    t.seqs[slot].store(seq, std::memory_order_relaxed);  // odd: being written
    std::atomic_thread_fence(std::memory_order_release);
  }
  for (const FeatureUpdate& u : updates) {
    t.values[slot * t.width + u.column].store(FloatBits(u.value), std::memory_order_relaxed);
    t.stamps[slot * t.width + u.column].store(stamp, std::memory_order_relaxed);
  }
  t.seqs[slot].store(seq + 1, std::memory_order_release);  // even: done
  return absl::OkStatus();
}

absl::Status OnlineFeatureStore::Put(absl::string_view id, absl::Span<const float> values,
                                     absl::Time at) {
  return PutNamed(KeyOf(id), absl::StrCat("'", PrintableId(id), "'"), values, at);
}

absl::Status OnlineFeatureStore::Put(uint64_t key, absl::Span<const float> values, absl::Time at) {
  return PutNamed(key, HashName(key), values, at);
}

absl::Status OnlineFeatureStore::PutNamed(uint64_t key, absl::string_view key_name,
                                          absl::Span<const float> values, absl::Time at) {
  if (values.size() != width()) {
    return absl::InvalidArgumentError(
        absl::StrFormat("online feature store: Put of key %s has %d values, width is %d",
                        key_name, values.size(), width()));
  }
  // The write path (event application) may allocate; the read path never does.
  std::vector<FeatureUpdate> updates(values.size());
  for (size_t c = 0; c < values.size(); ++c) updates[c] = {c, values[c]};
  return UpdateNamed(key, key_name, updates, at);
}

bool OnlineFeatureStore::Read(uint64_t key, absl::Span<float> values,
                              absl::Span<int64_t> stamps) const {
  if (key == kReservedKey || values.size() < width() || stamps.size() < width()) return false;
  const uint64_t hash = Mix(key);
  const Table& t = *shards_[hash >> 58].table.load(std::memory_order_acquire);
  const size_t slot = t.Probe(key, hash);
  if (t.keys[slot].load(std::memory_order_acquire) != key) return false;
  const size_t w = t.width;
  const std::atomic<uint32_t>* v = &t.values[slot * w];
  const std::atomic<int64_t>* s = &t.stamps[slot * w];
  for (int attempt = 1;; ++attempt) {
    // A writer preempted inside its few stores would make us spin: yield the
    // core now and then (rare: only when a read races a write of this key).
    if ((attempt & 63) == 0) std::this_thread::yield();
    const uint32_t before = t.seqs[slot].load(std::memory_order_acquire);
    if (before & 1) continue;  // a writer is inside
    for (size_t c = 0; c < w; ++c) {
      values[c] = BitsFloat(v[c].load(std::memory_order_relaxed));
      stamps[c] = s[c].load(std::memory_order_relaxed);
    }
    std::atomic_thread_fence(std::memory_order_acquire);
    if (t.seqs[slot].load(std::memory_order_relaxed) == before) return true;
  }
}

size_t OnlineFeatureStore::size() const {
  size_t n = 0;
  for (const Shard& shard : shards_) {
    absl::MutexLock lock(&shard.mu);
    n += shard.count;
  }
  return n;
}

}  // namespace aisle::features
