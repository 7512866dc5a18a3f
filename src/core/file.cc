#include "aisle/core/file.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>

#include "absl/strings/str_cat.h"

namespace aisle {

absl::StatusOr<std::string> ReadFileToString(absl::string_view path) {
  const std::string p(path);
  std::FILE* f = std::fopen(p.c_str(), "rb");
  if (f == nullptr) {
    const int err = errno;
    const std::string msg = absl::StrCat("cannot open '", p, "': ", std::strerror(err));
    return err == ENOENT ? absl::NotFoundError(msg) : absl::PermissionDeniedError(msg);
  }
  std::string out;
  char buf[1 << 16];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof(buf), f)) > 0) out.append(buf, n);
  const bool failed = std::ferror(f) != 0;
  std::fclose(f);
  if (failed) return absl::InternalError(absl::StrCat("error reading '", p, "'"));
  return out;
}

absl::Status WriteFileAtomically(absl::string_view path, absl::string_view data) {
  const std::string p(path);
  const std::string tmp = absl::StrCat(p, ".tmp.", reinterpret_cast<uintptr_t>(&data));
  std::FILE* f = std::fopen(tmp.c_str(), "wb");
  if (f == nullptr) {
    return absl::PermissionDeniedError(
        absl::StrCat("cannot create '", tmp, "': ", std::strerror(errno)));
  }
  const bool wrote = std::fwrite(data.data(), 1, data.size(), f) == data.size();
  const bool closed = std::fclose(f) == 0;
  if (!wrote || !closed) {
    std::remove(tmp.c_str());
    return absl::InternalError(absl::StrCat("error writing '", tmp, "'"));
  }
  if (std::rename(tmp.c_str(), p.c_str()) != 0) {
    const int err = errno;
    std::remove(tmp.c_str());
    return absl::InternalError(
        absl::StrCat("cannot rename '", tmp, "' to '", p, "': ", std::strerror(err)));
  }
  return absl::OkStatus();
}

}  // namespace aisle
