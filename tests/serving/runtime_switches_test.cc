#include "aisle/serving/runtime_switches.h"

#include <atomic>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace aisle {
namespace serving {
namespace {

using ::testing::HasSubstr;

std::unique_ptr<RuntimeSwitches> Make(const Clock& clock, size_t audit_capacity = 1024) {
  auto s = RuntimeSwitches::Create({.surfaces = {"home", "pdp", "search"},
                                    .sources = {"ann", "covisit", "popular"},
                                    .audit_capacity = audit_capacity},
                                   clock);
  EXPECT_TRUE(s.ok()) << s.status();
  return *std::move(s);
}

TEST(RuntimeSwitches, EverythingIsOnInitially) {
  FakeClock clock;
  auto sw = Make(clock);
  for (int i = 0; i < sw->num_surfaces(); ++i) {
    SurfaceSwitches s = sw->Get(i);
    EXPECT_TRUE(s.personalization());
    EXPECT_TRUE(s.diversification());
    EXPECT_TRUE(s.exploration());
    EXPECT_TRUE(s.shadow_scoring());
    for (SourceId src = 0; src < 3; ++src) EXPECT_TRUE(s.source_enabled(src));
    EXPECT_EQ(s.version(), 0u);
  }
  EXPECT_TRUE(sw->AuditLog().empty());
}

TEST(RuntimeSwitches, SetFlagChangesOnlyThatSurfaceAndBumpsItsVersion) {
  FakeClock clock;
  auto sw = Make(clock);
  ASSERT_TRUE(sw->SetFlag("pdp", SwitchFlag::kDiversification, false, "oncall:ana").ok());
  SurfaceSwitches pdp = *sw->Get("pdp");
  EXPECT_FALSE(pdp.diversification());
  EXPECT_TRUE(pdp.personalization());
  EXPECT_EQ(pdp.version(), 1u);
  EXPECT_TRUE(sw->Get(sw->SurfaceIndex("home")).diversification());
  EXPECT_EQ(sw->Get(sw->SurfaceIndex("home")).version(), 0u);
  ASSERT_TRUE(sw->SetFlag("pdp", SwitchFlag::kDiversification, true, "oncall:ana").ok());
  EXPECT_TRUE(sw->Get("pdp")->diversification());
  EXPECT_EQ(sw->Get("pdp")->version(), 2u);
}

TEST(RuntimeSwitches, SourcesAreSwitchedByName) {
  FakeClock clock;
  auto sw = Make(clock);
  ASSERT_TRUE(sw->SetSource("home", "covisit", false, "peak-playbook").ok());
  SurfaceSwitches home = *sw->Get("home");
  const int covisit = sw->SourceIndex("covisit");
  ASSERT_EQ(covisit, 1);
  EXPECT_FALSE(home.source_enabled(static_cast<SourceId>(covisit)));
  EXPECT_TRUE(home.source_enabled(0));
  EXPECT_TRUE(home.source_enabled(2));
  EXPECT_EQ(home.enabled_sources() & 0b111u, 0b101u);
}

TEST(RuntimeSwitches, StarAppliesToEverySurface) {
  FakeClock clock;
  auto sw = Make(clock);
  ASSERT_TRUE(sw->SetFlag("*", SwitchFlag::kPersonalization, false, "black-friday").ok());
  for (int i = 0; i < sw->num_surfaces(); ++i) EXPECT_FALSE(sw->Get(i).personalization());
  auto log = sw->AuditLog();
  ASSERT_EQ(log.size(), 3u);
  EXPECT_EQ(log[0].surface, "home");
  EXPECT_EQ(log[1].surface, "pdp");
  EXPECT_EQ(log[2].surface, "search");
}

TEST(RuntimeSwitches, UnknownNamesAreNotFoundAndChangeNothing) {
  FakeClock clock;
  auto sw = Make(clock);
  absl::Status s = sw->SetFlag("checkout", SwitchFlag::kExploration, false, "x");
  EXPECT_EQ(s.code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(s.message(), HasSubstr("\"checkout\""));
  s = sw->SetSource("home", "trending", false, "x");
  EXPECT_EQ(s.code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(s.message(), HasSubstr("\"trending\""));
  // A batch with one bad name applies none of its changes.
  std::vector<SwitchChange> batch = {{"exploration", false}, {"source:nope", false}};
  EXPECT_FALSE(sw->Apply("home", batch, "x").ok());
  std::vector<SwitchChange> bad_flag = {{"personalisation", false}};
  EXPECT_THAT(sw->Apply("home", bad_flag, "x").message(), HasSubstr("\"personalisation\""));
  EXPECT_TRUE(sw->Get("home")->exploration());
  EXPECT_EQ(sw->Get("home")->version(), 0u);
  EXPECT_TRUE(sw->AuditLog().empty());
  EXPECT_FALSE(sw->Get("checkout").ok());
  EXPECT_EQ(sw->SurfaceIndex("checkout"), -1);
}

TEST(RuntimeSwitches, AuditLogRecordsTimeSurfaceSwitchValuesAndActor) {
  FakeClock clock(absl::FromUnixSeconds(1732838400));  // Black Friday 2024
  auto sw = Make(clock);
  ASSERT_TRUE(sw->SetFlag("home", SwitchFlag::kShadowScoring, false, "oncall:ana").ok());
  clock.Advance(absl::Minutes(5));
  ASSERT_TRUE(sw->SetSource("search", "ann", false, "oncall:bo").ok());
  // No-op: already off; not logged.
  ASSERT_TRUE(sw->SetSource("search", "ann", false, "oncall:bo").ok());
  auto log = sw->AuditLog();
  ASSERT_EQ(log.size(), 2u);
  EXPECT_EQ(log[0].at, absl::FromUnixSeconds(1732838400));
  EXPECT_EQ(log[0].surface, "home");
  EXPECT_EQ(log[0].name, "shadow_scoring");
  EXPECT_TRUE(log[0].old_value);
  EXPECT_FALSE(log[0].new_value);
  EXPECT_EQ(log[0].actor, "oncall:ana");
  EXPECT_EQ(log[0].version, 1u);
  EXPECT_EQ(log[1].at, absl::FromUnixSeconds(1732838400) + absl::Minutes(5));
  EXPECT_EQ(log[1].surface, "search");
  EXPECT_EQ(log[1].name, "source:ann");
  EXPECT_EQ(log[1].actor, "oncall:bo");
  EXPECT_EQ(sw->Get("search")->version(), 1u);
}

TEST(RuntimeSwitches, AuditLogIsBoundedAndCountsDrops) {
  FakeClock clock;
  auto sw = Make(clock, /*audit_capacity=*/3);
  for (int i = 0; i < 10; ++i) {
    ASSERT_TRUE(sw->SetFlag("home", SwitchFlag::kExploration, i % 2 == 1, "bot").ok());
  }
  auto log = sw->AuditLog();
  ASSERT_EQ(log.size(), 3u);
  EXPECT_EQ(sw->audit_dropped(), 7u);
  EXPECT_EQ(log.back().version, 10u);  // the newest entries are kept
  EXPECT_TRUE(log.back().new_value);
}

TEST(RuntimeSwitches, CreateRejectsBadNames) {
  FakeClock clock;
  auto dup = RuntimeSwitches::Create({.surfaces = {"home", "home"}, .sources = {}}, clock);
  ASSERT_FALSE(dup.ok());
  EXPECT_THAT(dup.status().message(), HasSubstr("duplicate surface name \"home\""));
  EXPECT_FALSE(RuntimeSwitches::Create({.surfaces = {"*"}, .sources = {}}, clock).ok());
  EXPECT_FALSE(RuntimeSwitches::Create({.surfaces = {""}, .sources = {}}, clock).ok());
  EXPECT_FALSE(RuntimeSwitches::Create({.surfaces = {}, .sources = {}}, clock).ok());
  EXPECT_FALSE(RuntimeSwitches::Create({.surfaces = {"a"}, .sources = {"x", "x"}}, clock).ok());
  std::vector<std::string> many;
  for (int i = 0; i < 33; ++i) many.push_back(absl::StrCat("s", i));
  auto too_many = RuntimeSwitches::Create({.surfaces = {"a"}, .sources = many}, clock);
  ASSERT_FALSE(too_many.ok());
  EXPECT_THAT(too_many.status().message(), HasSubstr("33 sources"));
}

TEST(RuntimeSwitches, AllThirtyTwoSourcesAreIndependent) {
  FakeClock clock;
  std::vector<std::string> sources;
  for (int i = 0; i < 32; ++i) sources.push_back(absl::StrCat("s", i));
  auto sw = *RuntimeSwitches::Create({.surfaces = {"a"}, .sources = sources}, clock);
  ASSERT_TRUE(sw->SetSource("a", "s31", false, "t").ok());
  ASSERT_TRUE(sw->SetSource("a", "s0", false, "t").ok());
  SurfaceSwitches s = sw->Get(0);
  EXPECT_EQ(s.enabled_sources(), 0x7FFFFFFEu);
  EXPECT_TRUE(s.personalization());  // source bits do not bleed into flags
}

// A writer flips personalization and diversification together with Apply();
// readers must never see one changed without the other.
TEST(RuntimeSwitches, ReadersSeeBatchedChangesAllOrNothing) {
  auto sw = Make(Clock::Real());
  const int home = sw->SurfaceIndex("home");
  std::atomic<bool> stop{false};
  std::atomic<int> torn{0};
  std::atomic<uint64_t> reads{0};
  std::vector<std::thread> readers;
  for (int r = 0; r < 2; ++r) {
    readers.emplace_back([&] {
      while (!stop.load(std::memory_order_relaxed)) {
        SurfaceSwitches s = sw->Get(home);
        if (s.personalization() != s.diversification() ||
            s.personalization() != s.source_enabled(2)) {
          torn.fetch_add(1);
        }
        reads.fetch_add(1, std::memory_order_relaxed);
      }
    });
  }
  // Start writing only once both readers are reading (the machine is busy).
  while (reads.load() < 1000) std::this_thread::yield();
  for (int i = 0; i < 5000; ++i) {
    const bool on = i % 2 == 1;
    std::vector<SwitchChange> batch = {
        {"personalization", on}, {"diversification", on}, {"source:popular", on}};
    ASSERT_TRUE(sw->Apply("home", batch, "flipper").ok());
  }
  stop = true;
  for (auto& t : readers) t.join();
  EXPECT_EQ(torn.load(), 0);
  EXPECT_GE(reads.load(), 1000u);
  EXPECT_EQ(sw->Get(home).version(), 5000u);
}

TEST(SwitchFlagName, IsStable) {
  EXPECT_EQ(SwitchFlagName(SwitchFlag::kPersonalization), "personalization");
  EXPECT_EQ(SwitchFlagName(SwitchFlag::kDiversification), "diversification");
  EXPECT_EQ(SwitchFlagName(SwitchFlag::kExploration), "exploration");
  EXPECT_EQ(SwitchFlagName(SwitchFlag::kShadowScoring), "shadow_scoring");
}

}  // namespace
}  // namespace serving
}  // namespace aisle
