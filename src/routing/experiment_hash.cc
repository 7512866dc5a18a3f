#include "aisle/routing/experiment_hash.h"

#include <cstddef>
#include <cstdint>

namespace aisle::routing {
namespace {

inline uint32_t Step(uint32_t h, uint32_t code_unit) { return (h ^ code_unit) * kFnv32aPrime; }

// Decodes one UTF-8 sequence starting at s[i] (s[i] >= 0x80). Returns the code
// point and advances *i; an invalid or truncated sequence yields U+FFFD and
// consumes one byte.
uint32_t DecodeNonAscii(absl::string_view s, size_t* i) {
  const auto byte = [&](size_t k) { return static_cast<uint8_t>(s[k]); };
  const uint8_t b0 = byte(*i);
  int len = 0;
  uint32_t cp = 0;
  uint32_t min = 0;
  if ((b0 & 0xE0) == 0xC0) {
    len = 2, cp = b0 & 0x1F, min = 0x80;
  } else if ((b0 & 0xF0) == 0xE0) {
    len = 3, cp = b0 & 0x0F, min = 0x800;
  } else if ((b0 & 0xF8) == 0xF0) {
    len = 4, cp = b0 & 0x07, min = 0x10000;
  } else {
    ++*i;
    return 0xFFFD;
  }
  if (*i + len > s.size()) {
    ++*i;
    return 0xFFFD;
  }
  for (int k = 1; k < len; ++k) {
    const uint8_t b = byte(*i + k);
    if ((b & 0xC0) != 0x80) {
      ++*i;
      return 0xFFFD;
    }
    cp = (cp << 6) | (b & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
    ++*i;
    return 0xFFFD;
  }
  *i += len;
  return cp;
}

// Writes the decimal form of v into buf (at least 10 chars); returns the length.
inline size_t ToDecimal(uint32_t v, char* buf) {
  char tmp[10];
  size_t n = 0;
  do {
    tmp[n++] = static_cast<char>('0' + v % 10);
    v /= 10;
  } while (v != 0);
  for (size_t k = 0; k < n; ++k) buf[k] = tmp[n - 1 - k];
  return n;
}

}  // namespace

uint32_t Fnv32aUpdate(uint32_t h, absl::string_view s) {
  size_t i = 0;
  const size_t n = s.size();
  while (i < n) {
    const uint8_t b = static_cast<uint8_t>(s[i]);
    if (b < 0x80) {
      h = Step(h, b);
      ++i;
      continue;
    }
    const uint32_t cp = DecodeNonAscii(s, &i);
    if (cp >= 0x10000) {
      const uint32_t v = cp - 0x10000;
      h = Step(h, 0xD800 + (v >> 10));
      h = Step(h, 0xDC00 + (v & 0x3FF));
    } else {
      h = Step(h, cp);
    }
  }
  return h;
}

double HashV1(absl::string_view seed, absl::string_view value) {
  const uint32_t h = Fnv32aUpdate(Fnv32aUpdate(kFnv32aOffsetBasis, value), seed);
  return static_cast<double>(h % 1000) / 1000.0;
}

double HashV2FromSeedState(uint32_t seed_state, absl::string_view value) {
  const uint32_t inner = Fnv32aUpdate(seed_state, value);
  char buf[10];
  const size_t len = ToDecimal(inner, buf);
  uint32_t h = kFnv32aOffsetBasis;
  for (size_t k = 0; k < len; ++k) h = Step(h, static_cast<uint8_t>(buf[k]));
  return static_cast<double>(h % 10000) / 10000.0;
}

double HashV2(absl::string_view seed, absl::string_view value) {
  return HashV2FromSeedState(Fnv32aUpdate(kFnv32aOffsetBasis, seed), value);
}

std::optional<double> GrowthBookHash(absl::string_view seed, absl::string_view value, int version) {
  if (version == 1) return HashV1(seed, value);
  if (version == 2) return HashV2(seed, value);
  return std::nullopt;
}

}  // namespace aisle::routing
