// File: aisle/serving/last_known_good.h
//
// LastKnownGood<K, V> remembers the most recent good result per key (a
// user's remote-model scores, a segment's ranked list) so that a caller can
// still answer while the dependency behind a circuit breaker is open. It is
// bounded: `capacity` entries in total, split over shards, each shard evicts
// its least recently used entry. Entries older than `max_age` are not served.
//
//   aisle::serving::LastKnownGood<std::string, std::vector<float>> lkg(
//       {.capacity = 10000, .max_age = absl::Minutes(10)});
//   lkg.Put("user-42", scores);
//   if (auto hit = lkg.Get("user-42")) Use(*hit.value, hit.age);
//
// Values are held as std::shared_ptr<const V>: Get() copies a pointer, not
// the value, so a hit costs one shard lock, one hash lookup and a list splice.
//
// Thread-safe: every shard has its own mutex (the cache is read on the
// degraded path, not on the healthy hot path).
#ifndef AISLE_SERVING_LAST_KNOWN_GOOD_H_
#define AISLE_SERVING_LAST_KNOWN_GOOD_H_

#include <algorithm>
#include <cstddef>
#include <list>
#include <memory>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/hash/hash.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "aisle/core/clock.h"

namespace aisle {
namespace serving {

struct LastKnownGoodOptions {
  // Total entries kept (at least one per shard).
  size_t capacity = 4096;
  // Shards, each with its own lock and LRU list.
  size_t shards = 16;
  // Entries older than this are neither served nor kept.
  absl::Duration max_age = absl::InfiniteDuration();
};

template <typename K, typename V>
class LastKnownGood {
 public:
  struct Hit {
    std::shared_ptr<const V> value;  // null on a miss
    absl::Duration age;              // how old the value is
    explicit operator bool() const { return value != nullptr; }
  };

  // `clock` must outlive the cache.
  explicit LastKnownGood(LastKnownGoodOptions options = {}, const Clock& clock = Clock::Real())
      : options_(options),
        clock_(clock),
        num_shards_(std::max<size_t>(1, options.shards)),
        per_shard_(std::max<size_t>(1, (options.capacity + num_shards_ - 1) / num_shards_)),
        shards_(new Shard[num_shards_]) {}
  LastKnownGood(const LastKnownGood&) = delete;
  LastKnownGood& operator=(const LastKnownGood&) = delete;

  // Stores `value` as the newest good result for `key`.
  void Put(const K& key, V value) { Put(key, std::make_shared<const V>(std::move(value))); }
  void Put(const K& key, std::shared_ptr<const V> value) {
    const int64_t now = clock_.MonotonicNanos();
    Shard& s = ShardFor(key);
    absl::MutexLock lock(&s.mu);
    auto it = s.index.find(key);
    if (it != s.index.end()) {
      it->second->value = std::move(value);
      it->second->stored_nanos = now;
      s.lru.splice(s.lru.begin(), s.lru, it->second);
      return;
    }
    if (s.lru.size() >= per_shard_) {
      s.index.erase(s.lru.back().key);
      s.lru.pop_back();
      s.evictions++;
    }
    s.lru.push_front(Node{key, std::move(value), now});
    s.index.emplace(key, s.lru.begin());
  }

  // The newest good value for `key` if there is one younger than max_age.
  Hit Get(const K& key) {
    const int64_t now = clock_.MonotonicNanos();
    Shard& s = ShardFor(key);
    absl::MutexLock lock(&s.mu);
    auto it = s.index.find(key);
    if (it == s.index.end()) return Hit{nullptr, absl::ZeroDuration()};
    const absl::Duration age = absl::Nanoseconds(now - it->second->stored_nanos);
    if (age > options_.max_age) {
      s.lru.erase(it->second);
      s.index.erase(it);
      return Hit{nullptr, absl::ZeroDuration()};
    }
    s.lru.splice(s.lru.begin(), s.lru, it->second);
    return Hit{it->second->value, age};
  }

  void Erase(const K& key) {
    Shard& s = ShardFor(key);
    absl::MutexLock lock(&s.mu);
    auto it = s.index.find(key);
    if (it == s.index.end()) return;
    s.lru.erase(it->second);
    s.index.erase(it);
  }

  // Entries held now (may include expired ones not yet dropped).
  size_t size() const {
    size_t n = 0;
    for (size_t i = 0; i < num_shards_; ++i) {
      absl::MutexLock lock(&shards_[i].mu);
      n += shards_[i].lru.size();
    }
    return n;
  }
  // Entries evicted to stay within capacity, since construction.
  size_t evictions() const {
    size_t n = 0;
    for (size_t i = 0; i < num_shards_; ++i) {
      absl::MutexLock lock(&shards_[i].mu);
      n += shards_[i].evictions;
    }
    return n;
  }
  size_t capacity() const { return per_shard_ * num_shards_; }

 private:
  struct Node {
    K key;
    std::shared_ptr<const V> value;
    int64_t stored_nanos;
  };
  struct Shard {
    mutable absl::Mutex mu;
    std::list<Node> lru ABSL_GUARDED_BY(mu);  // most recent first
    absl::flat_hash_map<K, typename std::list<Node>::iterator> index ABSL_GUARDED_BY(mu);
    size_t evictions ABSL_GUARDED_BY(mu) = 0;
  };

  Shard& ShardFor(const K& key) const {
    // Mix the hash again so that shard choice and the map's own bucket
    // choice do not correlate.
    const size_t h = absl::Hash<K>{}(key);
    return shards_[((h ^ (h >> 29)) * 0x9E3779B97F4A7C15ull >> 32) % num_shards_];
  }

  const LastKnownGoodOptions options_;
  const Clock& clock_;
  const size_t num_shards_;
  const size_t per_shard_;
  std::unique_ptr<Shard[]> shards_;
};

}  // namespace serving
}  // namespace aisle

#endif  // AISLE_SERVING_LAST_KNOWN_GOOD_H_
