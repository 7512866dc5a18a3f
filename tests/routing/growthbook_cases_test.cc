// Runs GrowthBook's cross-SDK vectors (hash, getBucketRange, chooseVariation,
// inNamespace, getEqualWeights) against aisle's implementation: every case of
// the shared cases.json when present, and always the committed subset under
// tests/data/routing/.
#include <cmath>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "aisle/routing/bucketing.h"
#include "aisle/routing/experiment_hash.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace aisle::routing {
namespace {

using nlohmann::json;

constexpr double kTol = 1e-9;

std::optional<json> LoadJson(const std::string& path) {
  std::ifstream in(path);
  if (!in) return std::nullopt;
  std::stringstream ss;
  ss << in.rdbuf();
  return json::parse(ss.str());
}

std::string SharedCasesPath() {
  return std::string(AISLE_SHARED_DATA_DIR) + "/growthbook/cases.json";
}
std::string SubsetPath() {
  return std::string(AISLE_SOURCE_DIR) + "/tests/data/routing/growthbook_subset.json";
}

// Each checker returns the number of cases it ran.
int CheckHash(const json& cases, const char* section) {
  int n = 0;
  for (const json& c : cases.at(section)) {
    const std::string seed = c.at(0).get<std::string>();
    const std::string value = c.at(1).get<std::string>();
    const int version = c.at(2).get<int>();
    const std::optional<double> got = GrowthBookHash(seed, value, version);
    SCOPED_TRACE(::testing::Message() << section << " seed='" << seed << "' value='" << value
                                      << "' version=" << version);
    if (c.at(3).is_null()) {
      EXPECT_FALSE(got.has_value());
    } else {
      EXPECT_TRUE(got.has_value());
      if (got.has_value()) {
        EXPECT_NEAR(*got, c.at(3).get<double>(), kTol);
      }
    }
    ++n;
  }
  return n;
}

int CheckBucketRanges(const json& cases) {
  int n = 0;
  for (const json& c : cases.at("getBucketRange")) {
    SCOPED_TRACE(c.at(0).get<std::string>());
    const json& args = c.at(1);
    std::vector<double> weights;
    if (!args.at(2).is_null()) weights = args.at(2).get<std::vector<double>>();
    const std::vector<BucketRange> got =
        GetBucketRanges(args.at(0).get<int>(), args.at(1).get<double>(), weights);
    const json& want = c.at(2);
    EXPECT_EQ(got.size(), want.size());
    for (size_t i = 0; i < got.size() && i < want.size(); ++i) {
      EXPECT_NEAR(got[i].start, want[i].at(0).get<double>(), kTol) << "range " << i;
      EXPECT_NEAR(got[i].end, want[i].at(1).get<double>(), kTol) << "range " << i;
    }
    ++n;
  }
  return n;
}

int CheckChooseVariation(const json& cases) {
  int n = 0;
  for (const json& c : cases.at("chooseVariation")) {
    SCOPED_TRACE(c.at(0).get<std::string>());
    std::vector<BucketRange> ranges;
    for (const json& r : c.at(2)) ranges.push_back({r.at(0).get<double>(), r.at(1).get<double>()});
    EXPECT_EQ(ChooseVariation(c.at(1).get<double>(), ranges), c.at(3).get<int>());
    ++n;
  }
  return n;
}

int CheckInNamespace(const json& cases) {
  int n = 0;
  for (const json& c : cases.at("inNamespace")) {
    SCOPED_TRACE(c.at(0).get<std::string>());
    const std::string unit = c.at(1).get<std::string>();
    const std::string id = c.at(2).at(0).get<std::string>();
    const Namespace ns{id, c.at(2).at(1).get<double>(), c.at(2).at(2).get<double>()};
    EXPECT_EQ(InNamespace(unit, ns), c.at(3).get<bool>());
    ++n;
  }
  return n;
}

int CheckEqualWeights(const json& cases) {
  int n = 0;
  for (const json& c : cases.at("getEqualWeights")) {
    const int count = c.at(0).get<int>();
    SCOPED_TRACE(::testing::Message() << "n=" << count);
    const std::vector<double> got = GetEqualWeights(count);
    const std::vector<double> want = c.at(1).get<std::vector<double>>();
    EXPECT_EQ(got.size(), want.size());
    // The published values are rounded to 8 decimals.
    for (size_t i = 0; i < got.size() && i < want.size(); ++i) EXPECT_NEAR(got[i], want[i], 1e-8);
    ++n;
  }
  return n;
}

TEST(GrowthBookCases, AllSharedVectorsMatch) {
  const std::optional<json> cases = LoadJson(SharedCasesPath());
  if (!cases) GTEST_SKIP() << "GrowthBook cases.json not found at " << SharedCasesPath();
  ASSERT_EQ(cases->at("specVersion").get<std::string>(), "0.8.0");
  // Every case of every section, and the section sizes the data README states.
  EXPECT_EQ(CheckHash(*cases, "hash"), 15);
  EXPECT_EQ(CheckBucketRanges(*cases), 13);
  EXPECT_EQ(CheckChooseVariation(*cases), 13);
  EXPECT_EQ(CheckInNamespace(*cases), 16);
  EXPECT_EQ(CheckEqualWeights(*cases), 6);
}

TEST(GrowthBookCases, CommittedSubsetMatches) {
  const std::optional<json> cases = LoadJson(SubsetPath());
  ASSERT_TRUE(cases.has_value()) << "missing " << SubsetPath();
  EXPECT_GT(CheckHash(*cases, "hash"), 0);
  EXPECT_GT(CheckHash(*cases, "extraHash"), 0);
  EXPECT_GT(CheckBucketRanges(*cases), 0);
  EXPECT_GT(CheckChooseVariation(*cases), 0);
  EXPECT_GT(CheckInNamespace(*cases), 0);
  EXPECT_GT(CheckEqualWeights(*cases), 0);
}

}  // namespace
}  // namespace aisle::routing
