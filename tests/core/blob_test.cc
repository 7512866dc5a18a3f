#include "aisle/core/blob.h"

#include <string>

#include "absl/status/status.h"
#include "gtest/gtest.h"

namespace aisle {
namespace {

TEST(Blob, RoundTripsPayloadAndVersion) {
  const std::string payload = "hello, index";
  const std::string file = WrapBlob("AISLETST", 3, payload);
  ASSERT_EQ(file.size(), kBlobHeaderSize + payload.size());
  auto c = UnwrapBlob(file, "AISLETST", 1, 3, "x.bin");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->version, 3u);
  EXPECT_EQ(c->payload, payload);
}

TEST(Blob, RejectsWrongMagicNamingTheFile) {
  const std::string file = WrapBlob("AISLEXXX", 1, "p");
  auto c = UnwrapBlob(file, "AISLETST", 1, 1, "idx.bin");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(c.status().message().find("idx.bin"), absl::string_view::npos);
  EXPECT_NE(c.status().message().find("magic"), absl::string_view::npos);
}

TEST(Blob, RejectsUnsupportedVersion) {
  const std::string file = WrapBlob("AISLETST", 9, "p");
  auto c = UnwrapBlob(file, "AISLETST", 1, 2, "f");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(c.status().message().find("version 9"), absl::string_view::npos);
}

TEST(Blob, RejectsTruncationAtEveryLength) {
  const std::string file = WrapBlob("AISLETST", 1, std::string(100, 'a'));
  for (size_t n = 0; n < file.size(); ++n) {
    auto c = UnwrapBlob(absl::string_view(file).substr(0, n), "AISLETST", 1, 1, "f");
    EXPECT_FALSE(c.ok()) << "length " << n;
  }
}

TEST(Blob, DetectsASingleFlippedBit) {
  std::string file = WrapBlob("AISLETST", 1, std::string(1000, 'z'));
  file[kBlobHeaderSize + 500] ^= 0x10;
  auto c = UnwrapBlob(file, "AISLETST", 1, 1, "f");
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("checksum"), absl::string_view::npos);
}

}  // namespace
}  // namespace aisle
