#include "read_whole_file.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "aisle/core/file.h"
#include "aisle/core/status_macros.h"

namespace aisle::catalog::internal {

absl::StatusOr<std::FILE*> OpenForRead(absl::string_view path, size_t* size) {
  const std::string p(path);
  std::FILE* f = std::fopen(p.c_str(), "rb");
  if (f == nullptr) {
    const int err = errno;
    const std::string msg = absl::StrCat("cannot open '", p, "': ", std::strerror(err));
    return err == ENOENT ? absl::NotFoundError(msg) : absl::PermissionDeniedError(msg);
  }
  struct stat st;
  if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
    std::fclose(f);
    return absl::InvalidArgumentError(absl::StrCat("'", p, "' is not a regular file"));
  }
  *size = static_cast<size_t>(st.st_size);
  return f;
}

absl::Status ReadExactly(std::FILE* f, absl::string_view path, char* dst, size_t n) {
  const size_t got = std::fread(dst, 1, n, f);
  if (got == n) return absl::OkStatus();
  if (std::ferror(f)) return absl::InternalError(absl::StrCat("error reading '", path, "'"));
  return absl::InvalidArgumentError(
      absl::StrCat("'", path, "' ended after ", got, " of ", n, " expected bytes"));
}

absl::StatusOr<std::string> ReadWholeFile(absl::string_view path) {
  size_t size = 0;
  AISLE_ASSIGN_OR_RETURN(std::FILE * f, OpenForRead(path, &size));
  std::string out;
  out.resize(size);
  const absl::Status s = ReadExactly(f, path, out.data(), size);
  // A file that grew while being read: fall back to the general reader.
  const bool more = s.ok() && std::fgetc(f) != EOF;
  std::fclose(f);
  if (!s.ok()) return s;
  if (more) return ReadFileToString(path);
  return out;
}

}  // namespace aisle::catalog::internal
