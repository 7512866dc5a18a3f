// File: aisle/catalog/embedding_file.h
//
// Reading and writing item embeddings as whole files.
//
// NumPy .npy (format versions 1.0, 2.0, 3.0): a 2-D array, C order, dtype
// little-endian float32 ('<f4') or float64 ('<f8', narrowed to float). Row r
// belongs to ItemIndex r. Written as version 1.0 '<f4'.
//
// AISLEEMB, aisle's own format: the aisle::WrapBlob envelope (magic
// "AISLEEMB", version 1, length, XXH64; see aisle/core/blob.h) around
//   offset  size        field (all little-endian)
//        0     8        rows (uint64)
//        8     4        dim (uint32, > 0)
//       12     4        flags (uint32): bit 0 = ids present; other bits 0
//       16     -        if ids present: rows x { uint32 length, bytes } ids
//        -     rows*dim*4  float32 values, row-major
// With ids, rows are matched to items by external id (any order); without,
// row r belongs to ItemIndex r.
//
//   AISLE_RETURN_IF_ERROR(aisle::catalog::WriteEmbeddingBlobFile("emb.aemb",
//                                                                catalog.embeddings()));
//   AISLE_ASSIGN_OR_RETURN(aisle::catalog::EmbeddingMatrix m,
//                          aisle::catalog::ReadEmbeddingFile("emb.npy"));
//   AISLE_RETURN_IF_ERROR(builder.AttachEmbeddings(std::move(m)));
//
// Every error names the file (`what`) and what is wrong with it: bad magic,
// unsupported dtype or version, not 2-D, Fortran order, truncated data
// (expected vs actual bytes), checksum mismatch, a header field ('shape',
// 'rows') the file cannot back (a corrupt header), an id that breaks the id
// rule (docs/catalog.md; checked when AISLEEMB ids are written and read). InvalidArgument, except
// Unimplemented for a valid .npy this reader does not support (big-endian,
// other dtypes) and FailedPrecondition for an unsupported AISLEEMB version.
// Values are not checked here; NaN/Inf rows are rejected when attached.
//
// Thread-safe (pure functions).
#ifndef AISLE_CATALOG_EMBEDDING_FILE_H_
#define AISLE_CATALOG_EMBEDDING_FILE_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "aisle/catalog/embedding_matrix.h"
#include "aisle/core/matrix.h"

namespace aisle::catalog {

inline constexpr char kEmbeddingBlobMagic[] = "AISLEEMB";
inline constexpr uint32_t kEmbeddingBlobVersion = 1;

// .npy
absl::StatusOr<EmbeddingMatrix> ParseNpy(absl::string_view bytes, absl::string_view what);
absl::StatusOr<EmbeddingMatrix> ReadNpyFile(absl::string_view path);
std::string EncodeNpy(MatrixView m);
absl::Status WriteNpyFile(absl::string_view path, MatrixView m);

// AISLEEMB. `ids` is empty, or one id per row.
absl::StatusOr<EmbeddingMatrix> ParseEmbeddingBlob(absl::string_view bytes, absl::string_view what);
absl::StatusOr<EmbeddingMatrix> ReadEmbeddingBlobFile(absl::string_view path);
absl::StatusOr<std::string> EncodeEmbeddingBlob(MatrixView m,
                                                absl::Span<const absl::string_view> ids = {});
absl::Status WriteEmbeddingBlobFile(absl::string_view path, MatrixView m,
                                    absl::Span<const absl::string_view> ids = {});

// Either format, told apart by the file's first bytes.
absl::StatusOr<EmbeddingMatrix> ReadEmbeddingFile(absl::string_view path);

}  // namespace aisle::catalog

#endif  // AISLE_CATALOG_EMBEDDING_FILE_H_
