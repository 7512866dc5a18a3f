// Internal to the catalog module: reads a whole file with one allocation of
// its exact size (stat, then fread), so multi-hundred-megabyte item and
// embedding files are not copied through a growing buffer.
//
// Thread-safe (no shared state).
#ifndef AISLE_SRC_CATALOG_READ_WHOLE_FILE_H_
#define AISLE_SRC_CATALOG_READ_WHOLE_FILE_H_

#include <cstddef>
#include <cstdio>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace aisle::catalog::internal {

// Opens `path` for reading; NotFound / PermissionDenied naming the path.
absl::StatusOr<std::FILE*> OpenForRead(absl::string_view path, size_t* size);

// Reads exactly `n` bytes into `dst`; InvalidArgument naming the path when
// the file ends early, Internal on a read error.
absl::Status ReadExactly(std::FILE* f, absl::string_view path, char* dst, size_t n);

// The whole file in one exactly-sized string.
absl::StatusOr<std::string> ReadWholeFile(absl::string_view path);

}  // namespace aisle::catalog::internal

#endif  // AISLE_SRC_CATALOG_READ_WHOLE_FILE_H_
