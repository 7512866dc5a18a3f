#include "aisle/core/blob.h"

#include <cstring>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "xxhash.h"

namespace aisle {
namespace {

void PutLe(std::string& out, uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

uint64_t GetLe(const char* p, int bytes) {
  uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) v |= uint64_t{static_cast<unsigned char>(p[i])} << (8 * i);
  return v;
}

}  // namespace

uint64_t Checksum64(absl::string_view data) { return XXH64(data.data(), data.size(), 0); }

std::string WrapBlob(absl::string_view magic, uint32_t version, absl::string_view payload) {
  std::string out;
  out.reserve(kBlobHeaderSize + payload.size());
  std::string m(magic.substr(0, kBlobMagicSize));
  m.resize(kBlobMagicSize, '\0');
  out.append(m);
  PutLe(out, version, 4);
  PutLe(out, 0, 4);
  PutLe(out, payload.size(), 8);
  PutLe(out, Checksum64(payload), 8);
  out.append(payload.data(), payload.size());
  return out;
}

absl::StatusOr<BlobContents> UnwrapBlob(absl::string_view bytes, absl::string_view magic,
                                        uint32_t min_version, uint32_t max_version,
                                        absl::string_view what) {
  if (bytes.size() < kBlobHeaderSize) {
    return absl::InvalidArgumentError(absl::StrCat(what, ": truncated: ", bytes.size(),
                                                   " bytes is shorter than the ", kBlobHeaderSize,
                                                   "-byte header"));
  }
  if (bytes.substr(0, kBlobMagicSize) != magic) {
    return absl::InvalidArgumentError(absl::StrCat(
        what, ": wrong magic '", absl::CHexEscape(bytes.substr(0, kBlobMagicSize)), "', expected '",
        absl::CHexEscape(magic), "' (not an aisle file of this kind)"));
  }
  const uint32_t version = static_cast<uint32_t>(GetLe(bytes.data() + 8, 4));
  if (version < min_version || version > max_version) {
    return absl::FailedPreconditionError(absl::StrCat(what, ": format version ", version,
                                                      " is not supported (this build reads ",
                                                      min_version, " to ", max_version, ")"));
  }
  const uint64_t length = GetLe(bytes.data() + 16, 8);
  const uint64_t available = bytes.size() - kBlobHeaderSize;
  if (length != available) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, ": header says the payload is ", length, " bytes but ", available,
                     " follow it (", length > available ? "truncated" : "trailing bytes", ")"));
  }
  const absl::string_view payload = bytes.substr(kBlobHeaderSize);
  const uint64_t want = GetLe(bytes.data() + 24, 8);
  const uint64_t got = Checksum64(payload);
  if (want != got) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, ": checksum mismatch (header ", absl::Hex(want, absl::kZeroPad16),
                     ", payload ", absl::Hex(got, absl::kZeroPad16), "): the file is corrupt"));
  }
  return BlobContents{version, payload};
}

}  // namespace aisle
