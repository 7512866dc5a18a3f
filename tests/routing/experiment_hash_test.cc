#include "aisle/routing/experiment_hash.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace aisle::routing {
namespace {

// Reference FNV-1a 32-bit values from the FNV specification's test suite.
TEST(Fnv32a, MatchesSpecVectors) {
  EXPECT_EQ(Fnv32a(""), 0x811c9dc5u);
  EXPECT_EQ(Fnv32a("a"), 0xe40c292cu);
  EXPECT_EQ(Fnv32a("foobar"), 0xbf9cf968u);
}

TEST(Fnv32a, UpdateIsConcatenation) {
  EXPECT_EQ(Fnv32aUpdate(Fnv32a("foo"), "bar"), Fnv32a("foobar"));
  EXPECT_EQ(Fnv32aUpdate(Fnv32a(""), ""), Fnv32a(""));
}

TEST(Fnv32a, HashesUtf16CodeUnitsLikeJavaScript) {
  // U+00E9 is one UTF-16 unit 0xE9: same as the Latin-1 byte 0xE9.
  const uint32_t e_acute = (kFnv32aOffsetBasis ^ 0xE9u) * kFnv32aPrime;
  EXPECT_EQ(Fnv32a("\xC3\xA9"), e_acute);
  // U+1F600 is the surrogate pair D83D DE00.
  const uint32_t pair = (((kFnv32aOffsetBasis ^ 0xD83Du) * kFnv32aPrime) ^ 0xDE00u) * kFnv32aPrime;
  EXPECT_EQ(Fnv32a("\xF0\x9F\x98\x80"), pair);
  // A stray continuation byte hashes as U+FFFD, like a JS decoder would give.
  const uint32_t replacement = (kFnv32aOffsetBasis ^ 0xFFFDu) * kFnv32aPrime;
  EXPECT_EQ(Fnv32a("\x80"), replacement);
  // Truncated sequence: one U+FFFD per byte consumed.
  EXPECT_EQ(Fnv32a("\xE6\x97"), (replacement ^ 0xFFFDu) * kFnv32aPrime);
}

TEST(ExperimentHash, V1IsValuePlusSeedModThousand) {
  const uint32_t h = Fnv32a("user-1exp");
  EXPECT_DOUBLE_EQ(HashV1("exp", "user-1"), (h % 1000) / 1000.0);
}

TEST(ExperimentHash, V2HashesDecimalOfInnerHash) {
  const uint32_t inner = Fnv32a("expuser-1");
  const uint32_t outer = Fnv32a(std::to_string(inner));
  EXPECT_DOUBLE_EQ(HashV2("exp", "user-1"), (outer % 10000) / 10000.0);
  EXPECT_DOUBLE_EQ(HashV2FromSeedState(Fnv32a("exp"), "user-1"), HashV2("exp", "user-1"));
}

TEST(ExperimentHash, UnknownVersionIsNull) {
  EXPECT_FALSE(GrowthBookHash("a", "b", 0).has_value());
  EXPECT_FALSE(GrowthBookHash("a", "b", 3).has_value());
  EXPECT_TRUE(GrowthBookHash("a", "b", 2).has_value());
}

TEST(ExperimentHash, StaysInUnitInterval) {
  for (int i = 0; i < 2000; ++i) {
    const std::string id = absl::StrCat("u", i);
    const double v1 = HashV1("s", id);
    const double v2 = HashV2("s", id);
    ASSERT_GE(v1, 0.0);
    ASSERT_LT(v1, 1.0);
    ASSERT_GE(v2, 0.0);
    ASSERT_LT(v2, 1.0);
  }
}

}  // namespace
}  // namespace aisle::routing
