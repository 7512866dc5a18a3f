#include "aisle/routing/experiment_kill_switch.h"

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "aisle/core/clock.h"
#include "aisle/routing/experiment_config.h"
#include "aisle/routing/experiment_router.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace aisle::routing {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr int kUnits = 20000;

std::string Unit(int i) { return absl::StrCat("user-", i); }

// Two layers: "ranking" with experiment "gbdt-v8" (control / v8 with a
// ranker), "ui" with experiment "banner".
ExperimentConfig TwoLayers() {
  ExperimentConfig c;
  LayerSpec& ranking = c.layers.emplace_back();
  ranking.key = ranking.salt = "ranking";
  ExperimentSpec& e = ranking.experiments.emplace_back();
  e.key = "gbdt-v8";
  e.variants = {{"control", 0.5, {}}, {"v8", 0.5, {{"ranker", "gbdt_v8"}}}};
  LayerSpec& ui = c.layers.emplace_back();
  ui.key = ui.salt = "ui";
  ExperimentSpec& b = ui.experiments.emplace_back();
  b.key = "banner";
  b.variants = {{"off", 0.5, {}}, {"on", 0.5, {{"custom.banner", "on"}}}};
  return c;
}

ExperimentRouter MustCreate(const ExperimentConfig& c, ExperimentKillSwitch* kills) {
  absl::StatusOr<ExperimentRouter> r = ExperimentRouter::Create(c, kills);
  EXPECT_TRUE(r.ok()) << r.status();
  return *std::move(r);
}

TEST(ExperimentKillSwitch, KillSendsEveryUnitToControlAndReviveRestoresThem) {
  FakeClock clock(absl::FromUnixSeconds(1700000000));
  ExperimentKillSwitch kills(&clock);
  const ExperimentRouter router = MustCreate(TwoLayers(), &kills);
  const ExperimentRouter reference = MustCreate(TwoLayers(), nullptr);

  ASSERT_TRUE(kills.Kill("gbdt-v8", "CTR -30% on home", "alice").ok());
  EXPECT_TRUE(kills.IsKilled("gbdt-v8"));
  EXPECT_FALSE(kills.IsKilled("banner"));
  std::vector<Assignment> out, ref;
  int was_treated = 0;
  for (int i = 0; i < kUnits; ++i) {
    router.Assign(Unit(i), "home", &out);
    reference.Assign(Unit(i), "home", &ref);
    ASSERT_EQ(out.size(), 2u);
    // Killed: control, flagged, not exposed, no params.
    EXPECT_TRUE(out[0].killed);
    EXPECT_EQ(out[0].variant_index, 0);
    EXPECT_EQ(out[0].variant, "control");
    EXPECT_FALSE(out[0].in_experiment);
    EXPECT_TRUE(out[0].params.empty());
    EXPECT_EQ(MergeParams(out).ranker, nullptr);
    was_treated += ref[0].variant_index == 1;
    // The other experiment is untouched.
    EXPECT_FALSE(out[1].killed);
    EXPECT_EQ(out[1].variant_index, ref[1].variant_index);
    EXPECT_EQ(out[1].in_experiment, ref[1].in_experiment);
  }
  EXPECT_GT(was_treated, kUnits / 3);  // the kill did move units

  clock.Advance(absl::Minutes(5));
  ASSERT_TRUE(kills.Revive("gbdt-v8", "fixed feature pipeline", "bob").ok());
  EXPECT_FALSE(kills.IsKilled("gbdt-v8"));
  for (int i = 0; i < kUnits; ++i) {
    router.Assign(Unit(i), "home", &out);
    reference.Assign(Unit(i), "home", &ref);
    EXPECT_FALSE(out[0].killed);
    EXPECT_EQ(out[0].variant_index, ref[0].variant_index) << Unit(i);
    EXPECT_EQ(out[0].in_experiment, ref[0].in_experiment) << Unit(i);
  }
}

TEST(ExperimentKillSwitch, AuditLogRecordsTimeExperimentReasonAndActor) {
  FakeClock clock(absl::FromUnixSeconds(1700000000));
  ExperimentKillSwitch kills(&clock);
  const ExperimentRouter router = MustCreate(TwoLayers(), &kills);
  ASSERT_TRUE(kills.Kill("gbdt-v8", "CTR -30% on home", "alice").ok());
  clock.Advance(absl::Seconds(30));
  ASSERT_TRUE(kills.Kill("gbdt-v8", "still bad", "pager-bot").ok());  // repeated: recorded
  clock.Advance(absl::Minutes(10));
  ASSERT_TRUE(kills.Revive("gbdt-v8", "fixed", "bob").ok());
  ASSERT_TRUE(kills.Revive("banner", "no-op", "bob").ok());  // live already: recorded

  const std::vector<KillSwitchEvent> log = kills.AuditLog();
  ASSERT_EQ(log.size(), 4u);
  EXPECT_EQ(log[0].time, absl::FromUnixSeconds(1700000000));
  EXPECT_EQ(log[0].action, KillAction::kKill);
  EXPECT_EQ(log[0].experiment, "gbdt-v8");
  EXPECT_EQ(log[0].reason, "CTR -30% on home");
  EXPECT_EQ(log[0].actor, "alice");
  EXPECT_TRUE(log[0].changed);
  EXPECT_EQ(log[1].time, absl::FromUnixSeconds(1700000030));
  EXPECT_EQ(log[1].actor, "pager-bot");
  EXPECT_FALSE(log[1].changed);
  EXPECT_EQ(log[2].action, KillAction::kRevive);
  EXPECT_EQ(log[2].time, absl::FromUnixSeconds(1700000630));
  EXPECT_EQ(log[2].reason, "fixed");
  EXPECT_TRUE(log[2].changed);
  EXPECT_EQ(log[3].experiment, "banner");
  EXPECT_FALSE(log[3].changed);
  EXPECT_EQ(KillActionName(KillAction::kKill), "kill");
  EXPECT_EQ(KillActionName(KillAction::kRevive), "revive");
  EXPECT_EQ(kills.audit_dropped(), 0u);
}

TEST(ExperimentKillSwitch, KilledListsTheCurrentStateWithTheFirstKillTime) {
  FakeClock clock(absl::FromUnixSeconds(100));
  ExperimentKillSwitch kills(&clock);
  const ExperimentRouter router = MustCreate(TwoLayers(), &kills);
  EXPECT_TRUE(kills.Killed().empty());
  ASSERT_TRUE(kills.Kill("gbdt-v8", "bad", "alice").ok());
  clock.Advance(absl::Seconds(7));
  ASSERT_TRUE(kills.Kill("gbdt-v8", "worse", "carol").ok());
  ASSERT_TRUE(kills.Kill("banner", "layout bug", "dave").ok());
  const std::vector<KilledExperiment> killed = kills.Killed();
  ASSERT_EQ(killed.size(), 2u);
  EXPECT_EQ(killed[0].experiment, "banner");
  EXPECT_EQ(killed[1].experiment, "gbdt-v8");
  EXPECT_EQ(killed[1].since, absl::FromUnixSeconds(100));  // killed since the first kill
  EXPECT_EQ(killed[1].reason, "worse");                    // the latest word
  EXPECT_EQ(killed[1].actor, "carol");
  EXPECT_THAT(kills.KnownExperiments(), ElementsAre("banner", "gbdt-v8"));
}

TEST(ExperimentKillSwitch, RejectsUnknownExperimentsAndMissingReasonOrActor) {
  FakeClock clock;
  ExperimentKillSwitch kills(&clock);
  absl::Status s = kills.Kill("gbdt-v8", "bad", "alice");
  EXPECT_EQ(s.code(), absl::StatusCode::kNotFound);  // no router has registered it yet
  const ExperimentRouter router = MustCreate(TwoLayers(), &kills);
  s = kills.Kill("gbdt-v9", "bad", "alice");
  EXPECT_EQ(s.code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(s.message(), HasSubstr("kill switch: kill: experiment 'gbdt-v9' is in no "
                                     "experiment config routed with this switch"));
  s = kills.Kill("gbdt-v8", "", "alice");
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("kill switch: kill: reason"));
  s = kills.Revive("gbdt-v8", "ok", "");
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("kill switch: revive: actor"));
  s = kills.Kill("gbdt-v8", std::string(kMaxKillSwitchTextBytes + 1, 'x'), "alice");
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(kills.AuditLog().empty());  // refused calls are not recorded
  EXPECT_FALSE(kills.IsKilled("gbdt-v8"));
}

// The switch is keyed by experiment key: a kill survives a snapshot swap (a
// new router built from a new config), and applies to the new router's
// experiment of that key wherever it sits now.
TEST(ExperimentKillSwitch, KillSurvivesSnapshotSwaps) {
  FakeClock clock;
  ExperimentKillSwitch kills(&clock);
  auto old_router = std::make_unique<ExperimentRouter>(MustCreate(TwoLayers(), &kills));
  ASSERT_TRUE(kills.Kill("banner", "layout bug", "dave").ok());

  // The next snapshot reorders layers and adds an experiment.
  ExperimentConfig next = TwoLayers();
  std::swap(next.layers[0], next.layers[1]);
  next.layers[0].experiments[0].range_end = 0.5;
  ExperimentSpec& extra = next.layers[0].experiments.emplace_back();
  extra.key = "footer";
  extra.range_start = 0.5;
  extra.variants = {{"a", 0.5, {}}, {"b", 0.5, {}}};
  const ExperimentRouter new_router = MustCreate(next, &kills);
  old_router.reset();  // the old snapshot is released

  std::vector<Assignment> out;
  int banner = 0;
  for (int i = 0; i < 2000; ++i) {
    new_router.Assign(Unit(i), "home", &out);
    for (const Assignment& a : out) {
      EXPECT_EQ(a.killed, a.experiment == "banner") << a.experiment;
      if (a.experiment == "banner") {
        ++banner;
        EXPECT_EQ(a.variant, "off");
      }
    }
  }
  EXPECT_GT(banner, 0);
  EXPECT_TRUE(kills.IsKilled("banner"));
}

TEST(ExperimentKillSwitch, RoutersOutliveTheSwitch) {
  FakeClock clock;
  auto kills = std::make_unique<ExperimentKillSwitch>(&clock);
  const ExperimentRouter router = MustCreate(TwoLayers(), kills.get());
  ASSERT_TRUE(kills->Kill("gbdt-v8", "bad", "alice").ok());
  kills.reset();
  std::vector<Assignment> out;
  router.Assign("user-1", "home", &out);  // reads flags the router co-owns
  ASSERT_EQ(out.size(), 2u);
  EXPECT_TRUE(out[0].killed);
}

TEST(ExperimentKillSwitch, AuditLogKeepsTheLatestEvents) {
  FakeClock clock;
  ExperimentKillSwitch kills(&clock);
  const ExperimentRouter router = MustCreate(TwoLayers(), &kills);
  const size_t calls = kMaxKillSwitchAuditEvents + 10;
  for (size_t i = 0; i < calls; ++i) {
    clock.Advance(absl::Seconds(1));
    ASSERT_TRUE(kills.Kill("gbdt-v8", absl::StrCat("call ", i), "bot").ok());
  }
  const std::vector<KillSwitchEvent> log = kills.AuditLog();
  ASSERT_EQ(log.size(), kMaxKillSwitchAuditEvents);
  EXPECT_EQ(log.front().reason, "call 10");
  EXPECT_EQ(log.back().reason, absl::StrCat("call ", calls - 1));
  EXPECT_EQ(kills.audit_dropped(), 10u);
}

// Readers assign on several threads while a writer kills and revives. Every
// assignment is consistent (killed means control with no params), and the
// first assignment a reader makes after it has seen that a Kill (or Revive)
// returned reflects it: the flag needs no lock to be seen.
TEST(ExperimentKillSwitch, ConcurrentReadersSeeKillsAndRevivesWithoutLocks) {
  FakeClock clock;
  ExperimentKillSwitch kills(&clock);
  const ExperimentRouter router = MustCreate(TwoLayers(), &kills);
  constexpr int kReaders = 3;
  constexpr int kPhases = 40;  // odd phase: killed; even: live
  std::atomic<int> phase{0};
  std::atomic<bool> stop{false};
  std::vector<std::atomic<int>> acked(kReaders);
  for (auto& a : acked) a.store(0);
  std::atomic<int> inconsistent{0}, stale{0};

  std::vector<std::thread> readers;
  for (int r = 0; r < kReaders; ++r) {
    readers.emplace_back([&, r] {
      std::vector<Assignment> out;
      out.reserve(2);
      int seen = 0;
      for (int i = 0; !stop.load(std::memory_order_acquire); ++i) {
        const int p = phase.load(std::memory_order_acquire);
        router.Assign(Unit(i % 5000), "home", &out);
        const Assignment& a = out[0];
        if (a.killed && (a.variant_index != 0 || a.in_experiment || !a.params.empty())) {
          inconsistent.fetch_add(1);
        }
        if (p != seen) {
          // The writer changes state only after every reader acked the phase.
          if (a.killed != (p % 2 == 1)) stale.fetch_add(1);
          seen = p;
          acked[static_cast<size_t>(r)].store(p, std::memory_order_release);
        }
      }
    });
  }
  for (int p = 1; p <= kPhases; ++p) {
    const absl::Status s = p % 2 == 1 ? kills.Kill("gbdt-v8", "flapping", "test")
                                      : kills.Revive("gbdt-v8", "flapping", "test");
    ASSERT_TRUE(s.ok()) << s;
    phase.store(p, std::memory_order_release);
    for (auto& a : acked) {
      while (a.load(std::memory_order_acquire) != p) std::this_thread::yield();
    }
  }
  stop.store(true, std::memory_order_release);
  for (std::thread& t : readers) t.join();
  EXPECT_EQ(inconsistent.load(), 0);
  EXPECT_EQ(stale.load(), 0);
  EXPECT_EQ(kills.AuditLog().size(), static_cast<size_t>(kPhases));
}

}  // namespace
}  // namespace aisle::routing
