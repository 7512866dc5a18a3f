// File: aisle/core/blob.h
//
// The envelope around every binary blob aisle writes (ANN indexes, bundles):
// a fixed 32-byte header, then the payload.
//
//   offset  size  field
//        0     8  magic, e.g. "AISLEANN" (names what the payload is)
//        8     4  format version, little-endian uint32
//       12     4  reserved, zero
//       16     8  payload length in bytes, little-endian uint64
//       24     8  XXH64 (seed 0) of the payload, little-endian uint64
//       32     -  payload
//
// Unwrapping checks every field and names the one that is wrong, so a
// truncated download, a file of another kind or a bit flip is an error at
// load rather than a crash at serve time.
//
//   std::string file = aisle::WrapBlob("AISLEANN", 1, payload);
//   AISLE_ASSIGN_OR_RETURN(aisle::BlobContents c,
//                          aisle::UnwrapBlob(file, "AISLEANN", 1, 1, path));
//
// Thread-safe (pure functions).
#ifndef AISLE_CORE_BLOB_H_
#define AISLE_CORE_BLOB_H_

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace aisle {

inline constexpr size_t kBlobHeaderSize = 32;
inline constexpr size_t kBlobMagicSize = 8;

struct BlobContents {
  uint32_t version = 0;
  absl::string_view payload;  // points into the unwrapped buffer
};

// `magic` must be exactly kBlobMagicSize bytes.
std::string WrapBlob(absl::string_view magic, uint32_t version, absl::string_view payload);

// Checks magic, version in [min_version, max_version], length and checksum.
// `what` names the blob in error messages (usually the file path).
// InvalidArgument for a wrong magic, length or checksum; FailedPrecondition for
// an unsupported version.
absl::StatusOr<BlobContents> UnwrapBlob(absl::string_view bytes, absl::string_view magic,
                                        uint32_t min_version, uint32_t max_version,
                                        absl::string_view what);

// XXH64 of `data` with seed 0.
uint64_t Checksum64(absl::string_view data);

}  // namespace aisle

#endif  // AISLE_CORE_BLOB_H_
