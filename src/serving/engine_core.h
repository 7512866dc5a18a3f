// Private to the serving engine: the state behind aisle::serving::Engine (the
// current and previous compiled snapshots, registries, counters, the
// isolation runner and the shadow results) and the request path's entry
// points. The request path itself is split by concern:
//
//   route.cc     Request -> Plan (experiments, holdout, cold-start tier)
//   levels.cc    the fallback levels, a table of level servers
//   stages.cc    the typed stages a level runs, in the order the framework fixes
//   compile.cc   Snapshot -> Compiled (everything a request needs, resolved)
#ifndef AISLE_SRC_SERVING_ENGINE_CORE_H_
#define AISLE_SRC_SERVING_ENGINE_CORE_H_

#include <atomic>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "aisle/core/candidate.h"
#include "aisle/core/event_time.h"
#include "aisle/routing/experiment_kill_switch.h"
#include "aisle/serving/engine.h"
#include "aisle/serving/isolated_runner.h"
#include "aisle/serving/last_known_good.h"
#include "aisle/serving/runtime_switches.h"
#include "serving/compiled.h"
#include "serving/host_scorer.h"
#include "serving/request_state.h"

namespace aisle::serving::internal {

// A last-known-good list and the live state (catalog numbering) it indexes.
struct LkgEntry {
  uint64_t live_id = 0;
  std::vector<Candidate> list;
};

class EngineCore final : public CompileEnvironment {
 public:
  explicit EngineCore(EngineOptions options);
  ~EngineCore() override;
  // The runtime switches know the first snapshot's surfaces and sources.
  absl::Status InitSwitches(const Snapshot& snapshot);

  // ------------------------------------------------------------ snapshots
  // The compiled snapshot new requests see. Lock-free: a thread-local weak
  // reference and one relaxed generation load; the shared_ptr is taken only
  // for the request (a replaced snapshot is not kept alive by idle threads).
  std::shared_ptr<const Compiled> Current() const;
  absl::Status Install(std::shared_ptr<const Snapshot> next);
  absl::Status Rollback(absl::string_view reason, absl::string_view actor);
  std::vector<SnapshotChange> SnapshotLog() const;

  // ------------------------------------------------------------ requests
  absl::Status Recommend(const Request& req, Response& resp) const;
  absl::StatusOr<FeatureMatrix> AssembleFeatures(const Request& req,
                                                 absl::Span<const std::string> item_ids) const;

  // ------------------------------------------------------------ events
  absl::Status ApplyInteraction(absl::string_view user_id, absl::string_view session_id,
                                absl::string_view item_id, retrieval::InteractionType type,
                                absl::Time at, uint32_t segment);
  absl::Status SetStock(absl::string_view item_id, int32_t stock);
  absl::Status AddStock(absl::string_view item_id, int32_t delta);
  void PublishLiveState();

  // ------------------------------------------------------------ registry
  absl::Status RegisterScorer(absl::string_view name, HostScorer scorer,
                              CircuitBreakerOptions breaker);
  const CircuitBreaker* scorer_breaker(absl::string_view name) const;
  RuntimeSwitches& switches() const { return *switches_; }
  EngineMetrics metrics() const;
  double quality(absl::string_view surface) const;
  std::vector<ShadowResult> DrainShadowResults(size_t max);
  routing::ExperimentKillSwitch& kill_switch() { return kill_switch_; }
  const routing::ExperimentKillSwitch& kill_switch() const { return kill_switch_; }

  // ------------------------------------------------------------ CompileEnvironment
  std::shared_ptr<const ranking::Ranker> HostRanker(absl::string_view name) const override;
  absl::StatusOr<OverloadController*> Overload(const SurfaceConfig& s) override;
  int SwitchSurface(absl::string_view s) const override;
  int SwitchSource(absl::string_view s) const override;
  absl::StatusOr<IsolatedRunner*> Isolation(absl::string_view surface) override;
  absl::StatusOr<IsolatedRunner*> Shadows(absl::string_view surface) override;
  routing::ExperimentKillSwitch* KillSwitch() override { return &kill_switch_; }
  uint32_t history_length() const override { return options_.history_length; }
  uint32_t num_segments() const override { return options_.num_segments; }
  absl::Duration max_event_lead() const override { return options_.event_time.max_lead; }
  const Clock& clock() const override { return clk_; }

  // ------------------------------------------------------------ for the request path
  // Counters, all relaxed atomics, aggregated by metrics().
  struct Counters {
    std::atomic<uint64_t> requests{0}, errors{0}, empty{0}, unknown_items{0};
    std::atomic<uint64_t> events_applied{0}, events_rejected{0}, swaps{0}, swaps_rejected{0};
    std::atomic<uint64_t> rollbacks{0};
    std::atomic<uint64_t> duplicate_items{0}, time_missing{0};
    std::atomic<uint64_t> time_verdicts[kNumTimeVerdicts] = {};
    std::atomic<uint64_t> by_level[kNumFallbackLevels] = {};
    std::atomic<uint64_t> by_reason[kNumFallbackReasons] = {};
    std::atomic<uint64_t> by_tier[routing::kNumColdStartTiers] = {};
    std::atomic<uint64_t> stage_nanos[kNumStages] = {};
    std::atomic<uint64_t> stage_runs[kNumStages] = {};
    std::atomic<uint64_t> stage_failures[kNumStages] = {};
    std::atomic<uint64_t> holdouts{0}, killed{0};
    std::atomic<uint64_t> shadow_calls{0}, shadow_failed{0}, shadow_rejected{0};
    std::atomic<uint64_t> shadow_dropped{0};
  };
  Counters& counters() const { return counters_; }
  const EngineOptions& options() const { return options_; }
  const Clock& clk() const { return clk_; }
  LastKnownGood<std::string, LkgEntry>& lkg() const { return *lkg_; }
  // Starts the plan's shadow rankers on the isolation threads over a copy of
  // the served candidates and their features; returns how many started.
  uint32_t StartShadows(const RequestState& st, MatrixView features,
                        absl::Span<const Candidate> candidates) const;

 private:
  absl::StatusOr<ItemIndex> EventItem(const Compiled& c, absl::string_view item_id) const;
  absl::Status CountStock(absl::string_view item_id, absl::Status st) const;
  void UpdateHistory(LiveState& live, features::OnlineFeatureStore& store, absl::string_view key,
                     ItemIndex item, bool purchase, absl::Time at);
  void RecordShadow(ShadowResult r) const;

  EngineOptions options_;
  const Clock& clk_;
  std::unique_ptr<RuntimeSwitches> switches_;
  // Kills experiments across snapshot swaps (routers of every snapshot
  // consult it).
  routing::ExperimentKillSwitch kill_switch_;

  // The current compiled snapshot (and the previous one, kept warm for
  // Rollback). Readers load generation_ and take current_ only when it
  // changed; writers serialize on swap_mu_.
  std::atomic<std::shared_ptr<const Compiled>> current_;
  std::atomic<uint64_t> generation_{0};
  mutable absl::Mutex swap_mu_;
  std::shared_ptr<const Compiled> previous_ ABSL_GUARDED_BY(swap_mu_);
  std::vector<SnapshotChange> snapshot_log_ ABSL_GUARDED_BY(swap_mu_);

  mutable absl::Mutex registry_mu_;
  absl::flat_hash_map<std::string, std::shared_ptr<HostScorerRanker>> host_rankers_
      ABSL_GUARDED_BY(registry_mu_);
  absl::flat_hash_map<std::string, std::unique_ptr<OverloadController>> overload_
      ABSL_GUARDED_BY(registry_mu_);

  // Last known good personalized lists per (surface, user), served while a
  // host scorer's breaker is open.
  std::unique_ptr<LastKnownGood<std::string, LkgEntry>> lkg_;

  mutable Counters counters_;

  // Shadow results waiting to be drained (bounded; drops are counted).
  mutable absl::Mutex shadow_mu_;
  mutable std::deque<ShadowResult> shadow_results_ ABSL_GUARDED_BY(shadow_mu_);

  // Created by the first snapshot that isolates a ranker or runs shadows;
  // declared last so it is destroyed (joined) first, before anything a
  // running call may touch. Guarded by registry_mu_ for creation; never
  // replaced once set.
  std::unique_ptr<IsolatedRunner> isolation_;
  std::unique_ptr<IsolatedRunner> shadow_runner_;

 public:
  // Process-unique: thread-local caches are keyed by it, never by address
  // (a new engine may reuse a destroyed one's address).
  const uint64_t id;
};

}  // namespace aisle::serving::internal

#endif  // AISLE_SRC_SERVING_ENGINE_CORE_H_
