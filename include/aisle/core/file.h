// File: aisle/core/file.h
//
// Whole-file reads and atomic writes. Errors name the path and the OS reason.
//
//   AISLE_ASSIGN_OR_RETURN(std::string bytes, aisle::ReadFileToString(path));
//   AISLE_RETURN_IF_ERROR(aisle::WriteFileAtomically(path, bytes));
//
// Thread-safe (no shared state).
#ifndef AISLE_CORE_FILE_H_
#define AISLE_CORE_FILE_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace aisle {

// NotFound when the file is missing, Internal on a read error.
absl::StatusOr<std::string> ReadFileToString(absl::string_view path);

// Writes to a temporary file beside `path`, then renames it over `path`, so a
// reader never sees a half-written file.
absl::Status WriteFileAtomically(absl::string_view path, absl::string_view data);

}  // namespace aisle

#endif  // AISLE_CORE_FILE_H_
