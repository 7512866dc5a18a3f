#include "aisle/catalog/embedding_file.h"

#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "aisle/core/blob.h"
#include "aisle/core/file.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace aisle::catalog {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

std::string Fixture(absl::string_view name) {
  return absl::StrCat(AISLE_SOURCE_DIR, "/tests/data/catalog/", name);
}

// The formula scripts/catalog/make_fixtures.py used: value[r][d] = r + d / 8.
void ExpectFormula(const EmbeddingMatrix& m, size_t rows, size_t dim) {
  ASSERT_EQ(m.rows, rows);
  ASSERT_EQ(m.dim, dim);
  ASSERT_EQ(m.data.size(), rows * dim);
  for (size_t r = 0; r < rows; ++r) {
    for (size_t d = 0; d < dim; ++d) {
      EXPECT_EQ(m.data[r * dim + d], float(r) + float(d) / 8.0f) << r << "," << d;
    }
  }
}

TEST(Npy, ReadsNumpyFloat32) {
  absl::StatusOr<EmbeddingMatrix> m = ReadNpyFile(Fixture("emb_4x3_f4.npy"));
  ASSERT_TRUE(m.ok()) << m.status();
  ExpectFormula(*m, 4, 3);
  EXPECT_TRUE(m->ids.empty());
}

TEST(Npy, ReadsNumpyFloat64AsFloat) {
  absl::StatusOr<EmbeddingMatrix> m = ReadNpyFile(Fixture("emb_4x3_f8.npy"));
  ASSERT_TRUE(m.ok()) << m.status();
  ExpectFormula(*m, 4, 3);
}

TEST(Npy, ReadsFormatVersion2) {
  absl::StatusOr<EmbeddingMatrix> m = ReadNpyFile(Fixture("emb_4x3_f4_v2.npy"));
  ASSERT_TRUE(m.ok()) << m.status();
  ExpectFormula(*m, 4, 3);
}

TEST(Npy, RejectsFortranOrder1dIntAndBigEndian) {
  struct Case {
    const char* file;
    absl::StatusCode code;
    const char* says;
  } cases[] = {
      {"bad_fortran.npy", absl::StatusCode::kInvalidArgument, "Fortran order"},
      {"bad_1d.npy", absl::StatusCode::kInvalidArgument, "must be 2-D"},
      {"bad_int32.npy", absl::StatusCode::kUnimplemented, "'<i4'"},
      {"bad_bigendian.npy", absl::StatusCode::kUnimplemented, "'>f4'"},
  };
  for (const Case& c : cases) {
    absl::StatusOr<EmbeddingMatrix> m = ReadNpyFile(Fixture(c.file));
    EXPECT_EQ(m.status().code(), c.code) << c.file << ": " << m.status();
    EXPECT_THAT(m.status().message(), HasSubstr(c.says)) << c.file;
    EXPECT_THAT(m.status().message(), HasSubstr(c.file));
  }
}

TEST(Npy, RoundTripsThroughWriter) {
  std::vector<float> data = {1.5f, -2.0f, 0.0f, 3.25f, 1e-7f, -1e7f};
  const std::string bytes = EncodeNpy(MatrixView(data.data(), 3, 2));
  // The writer pads the header so the data starts 64-byte aligned.
  EXPECT_EQ((bytes.size() - data.size() * 4) % 64, 0u);
  absl::StatusOr<EmbeddingMatrix> m = ParseNpy(bytes, "mem.npy");
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->rows, 3u);
  EXPECT_EQ(m->dim, 2u);
  EXPECT_EQ(m->data, data);
}

TEST(Npy, TruncatedFileSaysHowManyBytes) {
  const std::string full = *ReadFileToString(Fixture("emb_4x3_f4.npy"));
  absl::StatusOr<EmbeddingMatrix> m = ParseNpy(full.substr(0, full.size() - 4), "cut.npy");
  EXPECT_EQ(m.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(m.status().message(), HasSubstr("cut.npy"));
  EXPECT_THAT(m.status().message(), HasSubstr("44 bytes"));
  EXPECT_THAT(m.status().message(), HasSubstr("needs 48"));
  EXPECT_THAT(m.status().message(), HasSubstr("truncated"));
  // Cut inside the header.
  m = ParseNpy(full.substr(0, 30), "cut.npy");
  EXPECT_THAT(m.status().message(), HasSubstr("truncated .npy header"));
  // Not a .npy at all.
  m = ParseNpy("hello world", "text.npy");
  EXPECT_THAT(m.status().message(), HasSubstr("bad magic"));
}

TEST(EmbeddingBlob, RoundTripsWithoutIds) {
  std::vector<float> data = {1, 2, 3, 4, 5, 6};
  absl::StatusOr<std::string> bytes = EncodeEmbeddingBlob(MatrixView(data.data(), 2, 3));
  ASSERT_TRUE(bytes.ok());
  EXPECT_EQ(bytes->substr(0, 8), "AISLEEMB");
  absl::StatusOr<EmbeddingMatrix> m = ParseEmbeddingBlob(*bytes, "mem.aemb");
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->rows, 2u);
  EXPECT_EQ(m->dim, 3u);
  EXPECT_EQ(m->data, data);
  EXPECT_TRUE(m->ids.empty());
}

TEST(Npy, FileRoundTripLargerThanReadPrefix) {
  // 300 x 100 floats = 120 KB: the reader copies part from its header
  // prefix and reads the rest straight into the matrix.
  std::vector<float> data(300 * 100);
  for (size_t k = 0; k < data.size(); ++k) data[k] = float(k) * 0.5f - 7.0f;
  const std::string path = absl::StrCat(::testing::TempDir(), "/emb_large.npy");
  ASSERT_TRUE(WriteNpyFile(path, MatrixView(data.data(), 300, 100)).ok());
  absl::StatusOr<EmbeddingMatrix> m = ReadNpyFile(path);
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->rows, 300u);
  EXPECT_EQ(m->dim, 100u);
  EXPECT_EQ(m->data, data);

  // The same file cut short is rejected before any data is read.
  const std::string bytes = *ReadFileToString(path);
  const std::string cut = absl::StrCat(::testing::TempDir(), "/emb_large_cut.npy");
  ASSERT_TRUE(WriteFileAtomically(cut, bytes.substr(0, bytes.size() - 100)).ok());
  m = ReadNpyFile(cut);
  EXPECT_EQ(m.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(m.status().message(), HasSubstr("emb_large_cut.npy"));
  EXPECT_THAT(m.status().message(), HasSubstr("truncated"));
  // And so is a file whose header alone is cut.
  ASSERT_TRUE(WriteFileAtomically(cut, bytes.substr(0, 40)).ok());
  m = ReadNpyFile(cut);
  EXPECT_THAT(m.status().message(), HasSubstr("truncated .npy header"));
}

TEST(EmbeddingBlob, RoundTripsWithIdsThroughFile) {
  std::vector<float> data = {1, 2, 3, 4};
  // Ids follow the catalog's id rule (non-empty UTF-8 text), so they round trip.
  const absl::string_view ids[] = {"sku-b", "sku-\xC3\xA9t\xC3\xA9"};
  const std::string path = absl::StrCat(::testing::TempDir(), "/emb_roundtrip.aemb");
  ASSERT_TRUE(WriteEmbeddingBlobFile(path, MatrixView(data.data(), 2, 2), ids).ok());
  absl::StatusOr<EmbeddingMatrix> m = ReadEmbeddingFile(path);
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_THAT(m->ids, ElementsAre("sku-b", "sku-\xC3\xA9t\xC3\xA9"));
  EXPECT_EQ(m->data, data);
}

TEST(EmbeddingBlob, PayloadLayoutIsAsDocumented) {
  // Build a blob by hand from the documented layout and read it.
  std::string payload;
  auto put = [&payload](const void* p, size_t n) {
    payload.append(static_cast<const char*>(p), n);
  };
  const uint64_t rows = 1;
  const uint32_t dim = 2, flags = 1, len = 3;
  const float values[] = {0.5f, -0.5f};
  put(&rows, 8);
  put(&dim, 4);
  put(&flags, 4);
  put(&len, 4);
  put("abc", 3);
  put(values, 8);
  absl::StatusOr<EmbeddingMatrix> m = ParseEmbeddingBlob(WrapBlob("AISLEEMB", 1, payload), "x");
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_THAT(m->ids, ElementsAre("abc"));
  EXPECT_THAT(m->data, ElementsAre(0.5f, -0.5f));
}

TEST(EmbeddingBlob, RejectsCorruptTruncatedAndWrongVersion) {
  std::vector<float> data = {1, 2, 3, 4};
  const absl::string_view ids[] = {"a", "b"};
  const std::string good = *EncodeEmbeddingBlob(MatrixView(data.data(), 2, 2), ids);

  std::string flipped = good;
  flipped[flipped.size() - 3] ^= 0x10;
  absl::StatusOr<EmbeddingMatrix> m = ParseEmbeddingBlob(flipped, "flip.aemb");
  EXPECT_EQ(m.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(m.status().message(), HasSubstr("flip.aemb"));

  m = ParseEmbeddingBlob(good.substr(0, good.size() - 5), "cut.aemb");
  EXPECT_EQ(m.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(m.status().message(), HasSubstr("cut.aemb"));

  m = ParseEmbeddingBlob(WrapBlob("AISLEEMB", 2, "x"), "v2.aemb");
  EXPECT_EQ(m.status().code(), absl::StatusCode::kFailedPrecondition);

  m = ParseEmbeddingBlob(WrapBlob("AISLEANN", 1, "x"), "ann.bin");
  EXPECT_EQ(m.status().code(), absl::StatusCode::kInvalidArgument);

  // A valid envelope around a payload whose ids run past its end.
  std::string payload(16, '\0');
  const uint64_t rows = 1;
  const uint32_t dim = 1, flags = 1, len = 1000;
  std::memcpy(&payload[0], &rows, 8);
  std::memcpy(&payload[8], &dim, 4);
  std::memcpy(&payload[12], &flags, 4);
  payload.append(reinterpret_cast<const char*>(&len), 4);
  m = ParseEmbeddingBlob(WrapBlob("AISLEEMB", 1, payload), "ids.aemb");
  EXPECT_EQ(m.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(m.status().message(), HasSubstr("id of row 0 is truncated"));

  // Float data shorter than rows x dim.
  payload.assign(16, '\0');
  const uint32_t no_ids = 0;
  const uint64_t rows2 = 3;
  std::memcpy(&payload[0], &rows2, 8);
  std::memcpy(&payload[8], &dim, 4);
  std::memcpy(&payload[12], &no_ids, 4);
  payload.append(8, '\0');
  m = ParseEmbeddingBlob(WrapBlob("AISLEEMB", 1, payload), "short.aemb");
  EXPECT_THAT(m.status().message(), HasSubstr("8 bytes, 3 x 1 needs 12"));
}

TEST(EmbeddingBlob, EncodeRejectsIdCountMismatch) {
  std::vector<float> data = {1, 2};
  const absl::string_view ids[] = {"only-one", "two", "three"};
  EXPECT_FALSE(EncodeEmbeddingBlob(MatrixView(data.data(), 2, 1), ids).ok());
}

TEST(EmbeddingFile, UnknownMagicAndMissingFile) {
  const std::string path = absl::StrCat(::testing::TempDir(), "/emb_garbage.bin");
  ASSERT_TRUE(WriteFileAtomically(path, "garbage!garbage!").ok());
  absl::StatusOr<EmbeddingMatrix> m = ReadEmbeddingFile(path);
  EXPECT_EQ(m.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(m.status().message(), HasSubstr("unknown magic"));
  m = ReadEmbeddingFile("/nonexistent/emb.npy");
  EXPECT_EQ(m.status().code(), absl::StatusCode::kNotFound);
}

TEST(Npy, HeaderClaimingAbsurdShapeIsCorruptNamingFileAndField) {
  const std::string header = "{'descr': '<f4', 'fortran_order': False, 'shape': (1099511627776, 4), }";
  std::string bytes = "\x93NUMPY\x01";
  bytes.push_back('\0');
  const uint16_t len = static_cast<uint16_t>(header.size());
  bytes.append(reinterpret_cast<const char*>(&len), 2);
  bytes += header;
  bytes.append(1024, '\0');
  absl::StatusOr<EmbeddingMatrix> m = ParseNpy(bytes, "big.npy");
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(m.status().message(),
              HasSubstr("big.npy: .npy header field 'shape' is (1099511627776, 4): rows "
                        "1099511627776 x dim 4 is outside the accepted range"));
  // Within the range but not backed by the file.
  bytes.replace(bytes.find("1099511627776"), 13, "1000000000   ");
  m = ParseNpy(bytes, "big.npy");
  ASSERT_FALSE(m.ok());
  EXPECT_THAT(m.status().message(),
              HasSubstr("big.npy: .npy data is 1024 bytes, header field 'shape' (1000000000   , "
                        "4) of <f4 needs 16000000000 (truncated file or corrupt header)"));
}

TEST(EmbeddingBlob, HeaderClaimingAbsurdRowCountIsCorruptNamingFileAndField) {
  std::string payload(16, '\0');
  const uint64_t rows = uint64_t{1} << 40;
  const uint32_t dim = 1, flags = 1;
  std::memcpy(&payload[0], &rows, 8);
  std::memcpy(&payload[8], &dim, 4);
  std::memcpy(&payload[12], &flags, 4);
  payload.append(1024, '\0');
  auto m = ParseEmbeddingBlob(WrapBlob("AISLEEMB", 1, payload), "big.aemb");
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(m.status().message(),
              HasSubstr("big.aemb: AISLEEMB header field 'rows' = 1099511627776, but the 1024 "
                        "payload bytes after the header hold at most 256 ids: corrupt header or "
                        "truncated file"));
  const uint64_t huge = uint64_t{1} << 41;
  std::memcpy(&payload[0], &huge, 8);
  m = ParseEmbeddingBlob(WrapBlob("AISLEEMB", 1, payload), "big.aemb");
  EXPECT_THAT(m.status().message(),
              HasSubstr("big.aemb: AISLEEMB header field 'rows' = 2199023255552 x field 'dim' = "
                        "1 is more than 2^40 values: corrupt header"));
}

}  // namespace
}  // namespace aisle::catalog
