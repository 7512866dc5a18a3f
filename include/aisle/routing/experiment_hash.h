// File: aisle/routing/experiment_hash.h
//
// Experiment hashing compatible with GrowthBook's SDKs (spec version 0.8.0,
// the `hash` section of GrowthBook's cross-SDK cases.json), so that every
// replica, every language binding and an existing GrowthBook setup put the same
// unit in the same bucket:
//
//   v1 = (fnv32a(value + seed) % 1000) / 1000          (biased; kept for compatibility)
//   v2 = (fnv32a(decimal(fnv32a(seed + value))) % 10000) / 10000
//
// fnv32a is 32-bit FNV-1a over the UTF-16 code units of the string, as the
// reference JavaScript SDK computes it (str.charCodeAt). For ASCII strings this
// is the same as hashing the bytes; for non-ASCII input aisle decodes UTF-8 and
// hashes UTF-16 code units (invalid UTF-8 bytes hash as U+FFFD). GrowthBook's
// SDKs do not all agree on non-ASCII ids, so keep unit ids ASCII when other
// SDKs must agree.
//
//   double h = aisle::routing::HashV2("exp-seed", "user-123");   // in [0, 1)
//   std::optional<double> g = aisle::routing::GrowthBookHash("", "a", 1);  // 0.22
//
// All functions are pure and allocation-free: thread-safe.
#ifndef AISLE_ROUTING_EXPERIMENT_HASH_H_
#define AISLE_ROUTING_EXPERIMENT_HASH_H_

#include <cstdint>
#include <optional>

#include "absl/strings/string_view.h"

namespace aisle::routing {

inline constexpr uint32_t kFnv32aOffsetBasis = 0x811c9dc5u;
inline constexpr uint32_t kFnv32aPrime = 0x01000193u;

// Continues a 32-bit FNV-1a hash with the UTF-16 code units of `utf8`.
// Fnv32aUpdate(Fnv32aUpdate(kFnv32aOffsetBasis, a), b) == Fnv32a(a + b).
uint32_t Fnv32aUpdate(uint32_t state, absl::string_view utf8);

// 32-bit FNV-1a of `utf8` (see the file comment for the code-unit rule).
inline uint32_t Fnv32a(absl::string_view utf8) { return Fnv32aUpdate(kFnv32aOffsetBasis, utf8); }

// GrowthBook hash version 1: (fnv32a(value + seed) % 1000) / 1000, in [0, 0.999].
double HashV1(absl::string_view seed, absl::string_view value);

// GrowthBook hash version 2: (fnv32a(decimal(fnv32a(seed + value))) % 10000) / 10000.
double HashV2(absl::string_view seed, absl::string_view value);

// v2 where the FNV state after `seed` was precomputed with
// Fnv32aUpdate(kFnv32aOffsetBasis, seed): saves rehashing a fixed seed.
double HashV2FromSeedState(uint32_t seed_state, absl::string_view value);

// GrowthBook's hash(seed, value, version): nullopt for a version other than 1 or 2.
std::optional<double> GrowthBookHash(absl::string_view seed, absl::string_view value, int version);

}  // namespace aisle::routing

#endif  // AISLE_ROUTING_EXPERIMENT_HASH_H_
