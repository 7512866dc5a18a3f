#include "aisle/core/external_id.h"

#include <cstdint>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace aisle {

bool IsValidUtf8(absl::string_view s, size_t* bad_offset) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const size_t n = s.size();
  size_t i = 0;
  while (i < n) {
    const unsigned char c = p[i];
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t len = 0;
    uint32_t cp = 0, min = 0;
    if (c >= 0xC2 && c <= 0xDF) {
      len = 2, cp = c & 0x1F, min = 0x80;
    } else if (c >= 0xE0 && c <= 0xEF) {
      len = 3, cp = c & 0x0F, min = 0x800;
    } else if (c >= 0xF0 && c <= 0xF4) {
      len = 4, cp = c & 0x07, min = 0x10000;
    } else {
      if (bad_offset != nullptr) *bad_offset = i;
      return false;
    }
    if (i + len > n) {
      if (bad_offset != nullptr) *bad_offset = i;
      return false;
    }
    for (size_t k = 1; k < len; ++k) {
      if ((p[i + k] & 0xC0) != 0x80) {
        if (bad_offset != nullptr) *bad_offset = i;
        return false;
      }
      cp = (cp << 6) | (p[i + k] & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
      if (bad_offset != nullptr) *bad_offset = i;
      return false;
    }
    i += len;
  }
  return true;
}

std::string PrintableId(absl::string_view s) {
  std::string out;
  size_t bad = s.size();
  if (!IsValidUtf8(s, &bad)) {
    // Escape every non-ASCII byte: the string is not text.
    bad = 0;
  }
  for (size_t i = 0; i < s.size() && out.size() < 80; ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x20 || c == 0x7F || (c >= 0x80 && bad < s.size())) {
      absl::StrAppendFormat(&out, "\\x%02X", c);
    } else {
      out.push_back(static_cast<char>(c));
    }
  }
  if (out.size() >= 80 && s.size() > 80) out += "...";
  return out;
}

absl::Status CheckOptionalId(absl::string_view id, absl::string_view where) {
  if (id.size() > kMaxIdBytes) {
    return absl::InvalidArgumentError(absl::StrCat(where, ": id '", PrintableId(id), "' is ",
                                                   id.size(), " bytes long; at most ", kMaxIdBytes,
                                                   " are allowed"));
  }
  for (size_t i = 0; i < id.size(); ++i) {
    const auto c = static_cast<unsigned char>(id[i]);
    if (c < 0x20 || c == 0x7F) {
      return absl::InvalidArgumentError(
          absl::StrFormat("%s: id '%s' has control character 0x%02X%s at byte %d; ids are "
                          "UTF-8 text without control characters",
                          where, PrintableId(id), c, c == 0 ? " (NUL)" : "", i));
    }
  }
  size_t bad = 0;
  if (!IsValidUtf8(id, &bad)) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "%s: id '%s' is not valid UTF-8 (byte 0x%02X at byte %d); ids are UTF-8 text", where,
        PrintableId(id), static_cast<unsigned char>(id[bad]), bad));
  }
  return absl::OkStatus();
}

absl::Status CheckExternalId(absl::string_view id, absl::string_view where) {
  if (id.empty()) return absl::InvalidArgumentError(absl::StrCat(where, ": id is empty"));
  return CheckOptionalId(id, where);
}

}  // namespace aisle
