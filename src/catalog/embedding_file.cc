#include "aisle/catalog/embedding_file.h"

#include <algorithm>
#include <bit>
#include <charconv>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <new>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "aisle/core/blob.h"
#include "aisle/core/external_id.h"
#include "aisle/core/file.h"
#include "aisle/core/status_macros.h"
#include "read_whole_file.h"

namespace aisle::catalog {
namespace {

static_assert(std::endian::native == std::endian::little,
              "aisle's embedding files are little-endian; add byte swapping for this host");

constexpr char kNpyMagic[] = "\x93NUMPY";
constexpr size_t kNpyMagicSize = 6;

template <typename T>
T LoadLe(const char* p) {
  T v;
  std::memcpy(&v, p, sizeof(T));
  return v;
}

template <typename T>
void AppendLe(std::string& out, T v) {
  char buf[sizeof(T)];
  std::memcpy(buf, &v, sizeof(T));
  out.append(buf, sizeof(T));
}

absl::Status Bad(absl::string_view what, absl::string_view message) {
  return absl::InvalidArgumentError(absl::StrCat(what, ": ", message));
}

// The value of `key` in a .npy header dict ("{'descr': '<f4', ...}"), up to
// the next top-level comma or closing brace; nullopt-like empty when absent.
bool NpyHeaderValue(absl::string_view header, absl::string_view key, absl::string_view& value) {
  const std::string quoted1 = absl::StrCat("'", key, "'");
  const std::string quoted2 = absl::StrCat("\"", key, "\"");
  size_t at = header.find(quoted1);
  size_t klen = quoted1.size();
  if (at == absl::string_view::npos) {
    at = header.find(quoted2);
    klen = quoted2.size();
  }
  if (at == absl::string_view::npos) return false;
  size_t p = header.find(':', at + klen);
  if (p == absl::string_view::npos) return false;
  ++p;
  int depth = 0;
  size_t end = p;
  for (; end < header.size(); ++end) {
    const char c = header[end];
    if (c == '(' || c == '[') ++depth;
    if (c == ')' || c == ']') --depth;
    if (depth == 0 && (c == ',' || c == '}')) break;
    if (depth < 0) break;
  }
  value = absl::StripAsciiWhitespace(header.substr(p, end - p));
  return true;
}

absl::StatusOr<EmbeddingMatrix> AllocMatrix(size_t rows, size_t dim, absl::string_view what) {
  EmbeddingMatrix m;
  m.rows = rows;
  m.dim = dim;
  try {
    m.data.resize(rows * dim);
  } catch (const std::bad_alloc&) {
    return absl::ResourceExhaustedError(
        absl::StrCat(what, ": cannot allocate ", rows, " x ", dim, " floats"));
  } catch (const std::length_error&) {
    return absl::ResourceExhaustedError(
        absl::StrCat(what, ": cannot allocate ", rows, " x ", dim, " floats"));
  }
  return m;
}

struct NpyHeader {
  uint64_t rows = 0;
  uint64_t dim = 0;
  size_t itemsize = 0;
  size_t data_start = 0;
  // Set when `bytes` (a prefix of the file) is too short to hold the header.
  size_t need_more = 0;
};

// Parses the header at the start of `bytes`, a prefix of a file of
// `file_size` bytes, and checks the data size against the shape.
absl::StatusOr<NpyHeader> ParseNpyHeader(absl::string_view bytes, size_t file_size,
                                         absl::string_view what) {
  if (bytes.size() < 10 || std::memcmp(bytes.data(), kNpyMagic, kNpyMagicSize) != 0) {
    return Bad(what, "not a .npy file (bad magic)");
  }
  const uint8_t major = static_cast<uint8_t>(bytes[6]);
  size_t header_len;
  size_t header_start;
  if (major == 1) {
    header_len = LoadLe<uint16_t>(bytes.data() + 8);
    header_start = 10;
  } else if (major == 2 || major == 3) {
    if (bytes.size() < 12) return Bad(what, "truncated .npy header");
    header_len = LoadLe<uint32_t>(bytes.data() + 8);
    header_start = 12;
  } else {
    return absl::UnimplementedError(
        absl::StrCat(what, ": unsupported .npy format version ", int{major}));
  }
  if (bytes.size() < header_start + header_len) {
    if (bytes.size() < file_size) return NpyHeader{.need_more = header_start + header_len};
    return Bad(what, absl::StrCat("truncated .npy header (needs ", header_start + header_len,
                                  " bytes, file has ", bytes.size(), ")"));
  }
  const absl::string_view header = bytes.substr(header_start, header_len);
  absl::string_view descr, fortran, shape;
  if (!NpyHeaderValue(header, "descr", descr) ||
      !NpyHeaderValue(header, "fortran_order", fortran) ||
      !NpyHeaderValue(header, "shape", shape)) {
    return Bad(what, absl::StrCat(".npy header lacks descr, fortran_order or shape: ", header));
  }
  if (descr.size() >= 2 && (descr.front() == '\'' || descr.front() == '"')) {
    descr = descr.substr(1, descr.size() - 2);
  }
  size_t itemsize;
  if (descr == "<f4") {
    itemsize = 4;
  } else if (descr == "<f8") {
    itemsize = 8;
  } else {
    return absl::UnimplementedError(absl::StrCat(what, ": unsupported .npy dtype '", descr,
                                                 "' (need little-endian float32 or float64)"));
  }
  if (fortran != "False") {
    return Bad(what, absl::StrCat(".npy array is in Fortran order (fortran_order: ", fortran,
                                  "); save it C-contiguous"));
  }
  // shape: "(rows, dim)" possibly with a trailing comma or spaces.
  if (shape.size() < 2 || shape.front() != '(' || shape.back() != ')') {
    return Bad(what, absl::StrCat("cannot read .npy shape ", shape));
  }
  std::vector<uint64_t> dims;
  absl::string_view inner = shape.substr(1, shape.size() - 2);
  while (true) {
    inner = absl::StripLeadingAsciiWhitespace(inner);
    if (inner.empty()) break;
    uint64_t v = 0;
    auto [ptr, ec] = std::from_chars(inner.data(), inner.data() + inner.size(), v);
    if (ec != std::errc()) return Bad(what, absl::StrCat("cannot read .npy shape ", shape));
    dims.push_back(v);
    inner.remove_prefix(ptr - inner.data());
    inner = absl::StripLeadingAsciiWhitespace(inner);
    if (!inner.empty() && inner.front() == ',') inner.remove_prefix(1);
  }
  if (dims.size() != 2) {
    return Bad(what, absl::StrCat(".npy array must be 2-D (rows x dim), shape is ", shape));
  }
  const uint64_t rows = dims[0], dim = dims[1];
  if (dim == 0) return Bad(what, ".npy header field 'shape' has dimension 0");
  if (dim > (uint64_t{1} << 31) || (rows != 0 && rows > (uint64_t{1} << 40) / dim)) {
    return Bad(what, absl::StrCat(".npy header field 'shape' is ", shape, ": rows ", rows,
                                  " x dim ", dim,
                                  " is outside the accepted range (dim <= 2^31, rows x dim <= "
                                  "2^40): corrupt header"));
  }
  NpyHeader h;
  h.rows = rows;
  h.dim = dim;
  h.itemsize = itemsize;
  h.data_start = header_start + header_len;
  const uint64_t need = rows * dim * itemsize;
  if (file_size < h.data_start || file_size - h.data_start != need) {
    const uint64_t have = file_size < h.data_start ? 0 : file_size - h.data_start;
    return Bad(what, absl::StrCat(".npy data is ", have, " bytes, header field 'shape' ", shape,
                                  " of ", descr, " needs ", need,
                                  have < need ? " (truncated file or corrupt header)" : ""));
  }
  return h;
}

}  // namespace

absl::StatusOr<EmbeddingMatrix> ParseNpy(absl::string_view bytes, absl::string_view what) {
  AISLE_ASSIGN_OR_RETURN(const NpyHeader h, ParseNpyHeader(bytes, bytes.size(), what));
  const uint64_t rows = h.rows, dim = h.dim, need = rows * dim * h.itemsize;
  const size_t itemsize = h.itemsize;
  const size_t data_start = h.data_start;
  AISLE_ASSIGN_OR_RETURN(EmbeddingMatrix m, AllocMatrix(rows, dim, what));
  const char* src = bytes.data() + data_start;
  if (itemsize == 4) {
    std::memcpy(m.data.data(), src, need);
  } else {
    for (size_t k = 0; k < m.data.size(); ++k) {
      m.data[k] = static_cast<float>(LoadLe<double>(src + 8 * k));
    }
  }
  return m;
}

absl::StatusOr<EmbeddingMatrix> ReadNpyFile(absl::string_view path) {
  // float32 data is read straight into the matrix: one copy, no staging buffer.
  size_t size = 0;
  AISLE_ASSIGN_OR_RETURN(std::FILE * f, internal::OpenForRead(path, &size));
  std::string prefix(std::min<size_t>(size, 1 << 16), '\0');
  absl::Status s = internal::ReadExactly(f, path, prefix.data(), prefix.size());
  absl::StatusOr<NpyHeader> h = s.ok() ? ParseNpyHeader(prefix, size, path) : s;
  if (!h.ok() || h->need_more > 0 || h->itemsize != 4) {
    std::fclose(f);
    if (!h.ok()) return h.status();
    AISLE_ASSIGN_OR_RETURN(std::string bytes, internal::ReadWholeFile(path));
    return ParseNpy(bytes, path);
  }
  absl::StatusOr<EmbeddingMatrix> m = AllocMatrix(h->rows, h->dim, path);
  if (m.ok()) {
    char* dst = reinterpret_cast<char*>(m->data.data());
    const size_t total = h->rows * h->dim * 4;
    const size_t in_prefix = std::min(total, prefix.size() - h->data_start);
    std::memcpy(dst, prefix.data() + h->data_start, in_prefix);
    s = internal::ReadExactly(f, path, dst + in_prefix, total - in_prefix);
  }
  std::fclose(f);
  if (!m.ok()) return m.status();
  if (!s.ok()) return s;
  return m;
}

std::string EncodeNpy(MatrixView m) {
  std::string header = absl::StrCat("{'descr': '<f4', 'fortran_order': False, 'shape': (", m.rows,
                                    ", ", m.cols, "), }");
  // Pad with spaces so that data starts on a 64-byte boundary; end with '\n'.
  const size_t prefix = 10;
  size_t total = prefix + header.size() + 1;
  const size_t padded = (total + 63) / 64 * 64;
  header.append(padded - total, ' ');
  header.push_back('\n');
  std::string out;
  out.reserve(prefix + header.size() + m.rows * m.cols * 4);
  out.append(kNpyMagic, kNpyMagicSize);
  out.push_back('\x01');
  out.push_back('\x00');
  AppendLe<uint16_t>(out, static_cast<uint16_t>(header.size()));
  out.append(header);
  out.append(reinterpret_cast<const char*>(m.data), m.rows * m.cols * sizeof(float));
  return out;
}

absl::Status WriteNpyFile(absl::string_view path, MatrixView m) {
  return WriteFileAtomically(path, EncodeNpy(m));
}

absl::StatusOr<std::string> EncodeEmbeddingBlob(MatrixView m,
                                                absl::Span<const absl::string_view> ids) {
  if (m.cols == 0 || m.cols > UINT32_MAX) {
    return absl::InvalidArgumentError(
        absl::StrCat("AISLEEMB: dimension ", m.cols, " must be in [1, 2^32)"));
  }
  if (m.rows > (uint64_t{1} << 40) / m.cols) {
    return absl::InvalidArgumentError(absl::StrCat("AISLEEMB: rows ", m.rows, " x dim ", m.cols,
                                                   " is outside the accepted range (<= 2^40)"));
  }
  if (!ids.empty() && ids.size() != m.rows) {
    return absl::InvalidArgumentError(
        absl::StrCat("AISLEEMB: ", ids.size(), " ids for ", m.rows, " rows"));
  }
  for (size_t r = 0; r < ids.size(); ++r) {
    AISLE_RETURN_IF_ERROR(CheckExternalId(ids[r], absl::StrCat("AISLEEMB row ", r, ": field 'id'")));
  }
  std::string payload;
  size_t id_bytes = 0;
  for (absl::string_view id : ids) id_bytes += 4 + id.size();
  payload.reserve(16 + id_bytes + m.rows * m.cols * 4);
  AppendLe<uint64_t>(payload, m.rows);
  AppendLe<uint32_t>(payload, static_cast<uint32_t>(m.cols));
  AppendLe<uint32_t>(payload, ids.empty() ? 0u : 1u);
  for (absl::string_view id : ids) {
    AppendLe<uint32_t>(payload, static_cast<uint32_t>(id.size()));
    payload.append(id.data(), id.size());
  }
  payload.append(reinterpret_cast<const char*>(m.data), m.rows * m.cols * sizeof(float));
  return WrapBlob(kEmbeddingBlobMagic, kEmbeddingBlobVersion, payload);
}

absl::Status WriteEmbeddingBlobFile(absl::string_view path, MatrixView m,
                                    absl::Span<const absl::string_view> ids) {
  AISLE_ASSIGN_OR_RETURN(std::string bytes, EncodeEmbeddingBlob(m, ids));
  return WriteFileAtomically(path, bytes);
}

absl::StatusOr<EmbeddingMatrix> ParseEmbeddingBlob(absl::string_view bytes,
                                                   absl::string_view what) {
  AISLE_ASSIGN_OR_RETURN(
      BlobContents blob,
      UnwrapBlob(bytes, kEmbeddingBlobMagic, kEmbeddingBlobVersion, kEmbeddingBlobVersion, what));
  absl::string_view p = blob.payload;
  if (p.size() < 16) return Bad(what, "AISLEEMB payload shorter than its 16-byte header");
  const uint64_t rows = LoadLe<uint64_t>(p.data());
  const uint32_t dim = LoadLe<uint32_t>(p.data() + 8);
  const uint32_t flags = LoadLe<uint32_t>(p.data() + 12);
  if (dim == 0) return Bad(what, "AISLEEMB dimension is 0");
  if ((flags & ~1u) != 0) return Bad(what, absl::StrCat("AISLEEMB unknown flags ", flags));
  p.remove_prefix(16);
  if (rows > (uint64_t{1} << 40) / dim) {
    return Bad(what, absl::StrCat("AISLEEMB header field 'rows' = ", rows, " x field 'dim' = ",
                                  dim, " is more than 2^40 values: corrupt header"));
  }
  std::vector<std::string> ids;
  if (flags & 1u) {
    // Each id takes at least its 4-byte length: more rows than that is a
    // corrupt header (checked before anything is sized from it).
    if (rows > p.size() / 4) {
      return Bad(what, absl::StrCat("AISLEEMB header field 'rows' = ", rows, ", but the ",
                                    p.size(), " payload bytes after the header hold at most ",
                                    p.size() / 4, " ids: corrupt header or truncated file"));
    }
    ids.reserve(rows);
    for (uint64_t r = 0; r < rows; ++r) {
      if (p.size() < 4) return Bad(what, absl::StrCat("AISLEEMB id of row ", r, " is truncated"));
      const uint32_t len = LoadLe<uint32_t>(p.data());
      p.remove_prefix(4);
      if (p.size() < len) {
        return Bad(what, absl::StrCat("AISLEEMB id of row ", r, " is truncated (length ", len,
                                      ", ", p.size(), " bytes left)"));
      }
      ids.emplace_back(p.substr(0, len));
      AISLE_RETURN_IF_ERROR(
          CheckExternalId(ids.back(), absl::StrCat(what, ": AISLEEMB row ", r, ": field 'id'")));
      p.remove_prefix(len);
    }
  }
  const uint64_t need = rows * dim * 4;
  if (p.size() != need) {
    return Bad(what, absl::StrCat("AISLEEMB float data is ", p.size(), " bytes, ", rows, " x ", dim,
                                  " needs ", need, " (header fields 'rows' x 'dim'): ",
                                  p.size() < need ? "truncated file or corrupt header"
                                                  : "trailing bytes or corrupt header"));
  }
  AISLE_ASSIGN_OR_RETURN(EmbeddingMatrix m, AllocMatrix(rows, dim, what));
  std::memcpy(m.data.data(), p.data(), need);
  m.ids = std::move(ids);
  return m;
}

absl::StatusOr<EmbeddingMatrix> ReadEmbeddingBlobFile(absl::string_view path) {
  AISLE_ASSIGN_OR_RETURN(std::string bytes, internal::ReadWholeFile(path));
  return ParseEmbeddingBlob(bytes, path);
}

absl::StatusOr<EmbeddingMatrix> ReadEmbeddingFile(absl::string_view path) {
  AISLE_ASSIGN_OR_RETURN(std::string bytes, internal::ReadWholeFile(path));
  if (bytes.size() >= kNpyMagicSize && std::memcmp(bytes.data(), kNpyMagic, kNpyMagicSize) == 0) {
    return ParseNpy(bytes, path);
  }
  if (bytes.size() >= 8 && std::memcmp(bytes.data(), kEmbeddingBlobMagic, 8) == 0) {
    return ParseEmbeddingBlob(bytes, path);
  }
  return Bad(path, "neither a .npy nor an AISLEEMB file (unknown magic)");
}

}  // namespace aisle::catalog
