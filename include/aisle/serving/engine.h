// File: aisle/serving/engine.h
//
// The Engine serves requests from the current Snapshot and applies the live
// updates that arrive between snapshots: interactions (views, clicks,
// add-to-cart, purchases) that feed popularity, co-visitation and user
// history; inventory changes; runtime switches. It holds the snapshot behind
// an atomically swapped pointer: a request sees one snapshot from start to
// end, swaps happen while requests are in flight, and the read path takes no
// lock.
//
//   AISLE_ASSIGN_OR_RETURN(std::unique_ptr<aisle::serving::Engine> engine,
//                          aisle::serving::Engine::Create(snapshot));
//   aisle::serving::Request req;
//   req.surface = "home";
//   req.user_id = "u-1";
//   AISLE_ASSIGN_OR_RETURN(aisle::serving::Response resp, engine->Recommend(req));
//
//   // a new bundle arrives: validated and compiled; on error the old one keeps serving
//   AISLE_RETURN_IF_ERROR(engine->Swap(next_snapshot));
//
// Per request the engine routes (experiments, cold-start tier), walks the
// surface's fallback ladder from the tier's start level, and at each level
// retrieves, filters, assembles features, ranks, applies rules, diversifies
// and explores, each stage inside its budget; a level that is switched off,
// shed, out of time, broken or empty hands over to the next, and the response
// names the level that served it and why. It never returns nothing while any
// level has items.
//
// Thread-safety: thread-safe. Recommend() may run from any number of threads
// concurrently with Swap(), the Apply*/Set* update calls and the switches.
#ifndef AISLE_SERVING_ENGINE_H_
#define AISLE_SERVING_ENGINE_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "aisle/core/clock.h"
#include "aisle/core/deadline.h"
#include "aisle/core/event_time.h"
#include "aisle/core/matrix.h"
#include "aisle/retrieval/interaction.h"
#include "aisle/routing/cold_start_tier.h"
#include "aisle/routing/experiment_kill_switch.h"
#include "aisle/serving/circuit_breaker.h"
#include "aisle/serving/request.h"
#include "aisle/serving/response.h"
#include "aisle/serving/runtime_switches.h"
#include "aisle/serving/snapshot.h"
#include "aisle/serving/stage_budget.h"

namespace aisle::serving {
namespace internal {
class EngineCore;
}  // namespace internal

// A scorer the host provides (a remote model, say): one call per request with
// the candidates x features matrix, writing one score per row, and given the
// time by which it must answer (set the RPC timeout from it). It is called
// through a circuit breaker; see Engine::RegisterScorer.
using HostScorer = std::function<absl::Status(MatrixView features, absl::Span<float> scores,
                                              const Deadline& deadline)>;

// Bounds on EngineOptions (Create refuses values beyond them, naming the
// option, its value and the range).
inline constexpr uint32_t kMaxHistoryLength = 1024;
inline constexpr uint32_t kMaxSegments = 65536;

struct EngineOptions {
  const Clock* clock = &Clock::Real();
  // Recent items kept per session and user, used as seeds when a request
  // brings none: 0..kMaxHistoryLength.
  uint32_t history_length = 10;
  // User segments the live popularity counts (Request::segment and
  // ApplyInteraction's segment are 1..num_segments; 0 = none):
  // 0..kMaxSegments.
  uint32_t num_segments = 64;
  // Publish live popularity / co-visitation tables after this many events
  // (they are also published by PublishLiveState()).
  size_t publish_every = 256;
  // Surfaces and sources that runtime switches may name besides those of the
  // first snapshot.
  std::vector<std::string> extra_surfaces;
  std::vector<std::string> extra_sources;
  // Whether the engine may start threads of its own. Only surfaces that
  // isolate their ranker (PipelineBuilder::IsolateRanker) need them; a
  // snapshot with such a surface is rejected when this is false (edge hosts).
  bool allow_threads = true;
  // The isolation runner, created with the first snapshot that needs it:
  // worker threads, and calls outstanding at most (queued, running, or
  // abandoned at their deadline but still running) before further requests
  // fall back at once with reason "overload". Threads 1..256, outstanding
  // threads..65536 (see IsolatedRunner::Validate).
  size_t isolation_threads = 4;
  size_t isolation_max_outstanding = 64;
  // Shadow rankers (SurfaceConfig::shadow_rankers, or an experiment arm's
  // "shadow" parameter) score the served candidates on threads of their own,
  // apart from the isolation threads, so a stalled shadow never takes a slot
  // a served ranker needs: worker threads (1..256), calls outstanding at
  // most before further shadows are skipped (counted), and results kept for
  // DrainShadowResults() before the oldest are dropped (counted).
  size_t shadow_threads = 2;
  size_t shadow_max_outstanding = 16;
  size_t shadow_results_capacity = 4096;
  // The window live event times must fall in, around `clock` (see
  // aisle/core/event_time.h). Defaults: an event older than 7 days is
  // refused, one more than 5 minutes ahead is applied at the clock's now;
  // both are counted (EngineMetrics::events_*). Time-decayed tables are also
  // bounded by the clock, so no single event can move their time ahead of it.
  EventTimeWindow event_time;
};

// Counters for dashboards; all monotonic since Create().
struct EngineMetrics {
  uint64_t requests = 0;
  uint64_t errors = 0;           // Recommend() returned an error (bad request)
  uint64_t empty_responses = 0;  // every level was empty
  uint64_t served_by_level[kNumFallbackLevels] = {};
  uint64_t fallback_reasons[kNumFallbackReasons] = {};
  uint64_t unknown_items = 0;  // request ids not in the snapshot
  uint64_t events_applied = 0;
  uint64_t events_rejected = 0;  // unknown item, bad type: counted, never silent
  uint64_t swaps = 0;
  uint64_t swaps_rejected = 0;
  // Isolated ranker calls (PipelineBuilder::IsolateRanker): made, abandoned
  // at the rank deadline, refused because too many were outstanding, and
  // outstanding now.
  uint64_t isolated_calls = 0;
  uint64_t isolated_timeouts = 0;
  uint64_t isolated_rejected = 0;
  uint64_t isolated_outstanding = 0;
  // Live event times (ApplyInteraction, aisle/core/event_time.h): applied at
  // the window's edge (too old / too far ahead), refused (too old / too far
  // ahead / not a time at all), and applied at the clock's now because they
  // carried no time (absl::InfinitePast()). Refused ones also count in
  // events_rejected.
  uint64_t events_clamped_old = 0;
  uint64_t events_clamped_new = 0;
  uint64_t events_rejected_old = 0;
  uint64_t events_rejected_new = 0;
  uint64_t events_rejected_time = 0;
  uint64_t events_time_missing = 0;
  // Ids a request repeated within one of its lists (seed, cart, bought,
  // search candidates): each item is used once.
  uint64_t duplicate_request_items = 0;
  // Rollbacks to the previous snapshot (Engine::Rollback).
  uint64_t rollbacks = 0;
  // Requests by cold-start tier (routing::ColdStartTier).
  uint64_t served_by_tier[routing::kNumColdStartTiers] = {};
  // Per stage (Stage): runs, total time spent and failures (a failure hands
  // the request to the next fallback level).
  uint64_t stage_runs[kNumStages] = {};
  uint64_t stage_micros[kNumStages] = {};
  uint64_t stage_failures[kNumStages] = {};
  // Requests whose unit was in a holdout, and assignments sent to control by
  // a killed experiment.
  uint64_t holdout_requests = 0;
  uint64_t killed_assignments = 0;
  // Shadow rankers: calls started, failed (an error, a non-finite score, an
  // exception), skipped because too many were outstanding, and results
  // dropped because nobody drained them.
  uint64_t shadow_calls = 0;
  uint64_t shadow_failed = 0;
  uint64_t shadow_skipped = 0;
  uint64_t shadow_dropped = 0;
};

// One change of the serving snapshot (a swap or a rollback), for audit.
struct SnapshotChange {
  absl::Time at;
  std::string from_version;
  std::string to_version;
  bool rollback = false;
  std::string reason;  // a rollback's reason ("" for swaps)
  std::string actor;
};

// What a shadow ranker scored for one served response: the same candidates
// the served ranker scored, in the same order. Never served.
struct ShadowResult {
  std::string request_id;
  std::string surface;
  std::string ranker;  // the shadow's version
  std::vector<std::string> item_ids;
  std::vector<float> scores;  // empty when the call failed
  absl::Status status;
  absl::Duration latency;
};

// The feature matrix a surface's ranker sees, for training/serving parity.
struct FeatureMatrix {
  std::vector<std::string> feature_names;  // the schema's columns, in order
  std::vector<std::string> item_ids;       // one per row, as asked
  // Whether a candidate source proposed the item for this request (if not,
  // its retrieval features are missing, as they would be when serving).
  std::vector<uint8_t> retrieved;
  size_t rows = 0;
  size_t cols = 0;
  std::vector<float> values;  // rows x cols, row-major
};

class Engine {
 public:
  // Validates and compiles `snapshot`. InvalidArgument/NotFound naming the
  // surface, source, model, feature or item at fault.
  static absl::StatusOr<std::unique_ptr<Engine>> Create(std::shared_ptr<const Snapshot> snapshot,
                                                        EngineOptions options = {});
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // Serves one request. Errors only for a malformed request (unknown
  // surface, k beyond the surface's max_k, a user vector of the wrong
  // dimension or with NaN, a user, session or request id that breaks the id
  // rule of aisle/core/external_id.h); everything else degrades and says so.
  // Item ids the snapshot does not know are counted (unknown_items); an id
  // repeated within a list is used once (duplicate_request_items).
  absl::StatusOr<Response> Recommend(const Request& request) const;

  // The exact feature matrix the surface's ranker would score for
  // `item_ids` in this request, from the current snapshot and live state:
  // the same retrieval (its per-source scores feed the retrieval features),
  // the same assembly code, missing values and defaults. Use it to log
  // training rows that match serving. NotFound names an unknown surface or
  // item id.
  absl::StatusOr<FeatureMatrix> AssembleFeatures(const Request& request,
                                                 absl::Span<const std::string> item_ids) const;

  // Validates and compiles `next`, then swaps it in atomically. On error the
  // current snapshot keeps serving. Live state (inventory, popularity,
  // co-visitation, user history) carries over when the catalog is the same
  // object or has the same item ids in the same order; otherwise inventory is
  // carried over by id and the rest restarts from next->warm_interactions.
  absl::Status Swap(std::shared_ptr<const Snapshot> next);

  // The version of the snapshot new requests see.
  std::string snapshot_version() const;

  // Serves the previous snapshot again, at once: it stays compiled and warm
  // after a swap, so nothing is recompiled. The rolled-back-from snapshot
  // becomes the previous one (a second Rollback undoes the first). Recorded
  // in SnapshotLog() with `reason` and `actor`. FailedPrecondition when there
  // is no previous snapshot.
  absl::Status Rollback(absl::string_view reason, absl::string_view actor = "");
  // Swaps and rollbacks, oldest first (the last 256).
  std::vector<SnapshotChange> SnapshotLog() const;

  // Shadow rankers' results, oldest first, at most `max` (they are removed).
  std::vector<ShadowResult> DrainShadowResults(size_t max = 1024);

  // The kill switch: from the next request on, every unit of `experiment`
  // gets its control variant (no parameters), whatever its hash or forced
  // variant, in this and every later snapshot until revived. Recorded with
  // the time, `reason` and `actor` (both required). NotFound for a key no
  // snapshot's experiments know.
  absl::Status KillExperiment(absl::string_view experiment, absl::string_view reason,
                              absl::string_view actor);
  absl::Status ReviveExperiment(absl::string_view experiment, absl::string_view reason,
                                absl::string_view actor);
  std::vector<routing::KilledExperiment> KilledExperiments() const;
  std::vector<routing::KillSwitchEvent> ExperimentAuditLog() const;

  // Live updates. Unknown item ids are counted (events_rejected) and
  // returned as NotFound naming the id; nothing else changes.
  //
  // `at` is the event's time, judged against EngineOptions::event_time:
  // outside the window it is refused (InvalidArgument naming the item, the
  // time and the window) or applied at the window's edge, and counted either
  // way. absl::InfinitePast() means "no time": the event is applied at the
  // clock's now (counted as events_time_missing).
  absl::Status ApplyInteraction(absl::string_view user_id, absl::string_view session_id,
                                absl::string_view item_id, retrieval::InteractionType type,
                                absl::Time at, uint32_t segment = 0);
  // Stock is a signed count of units on hand: negative means oversold
  // (backorders), and is never in stock. AddStock rejects a result outside
  // int32 (OutOfRange naming the item id).
  absl::Status SetStock(absl::string_view item_id, int32_t stock);
  absl::Status AddStock(absl::string_view item_id, int32_t delta);
  // Makes the live popularity and co-visitation tables visible now.
  void PublishLiveState();

  // Registers a host scorer under a model name that surfaces can use as
  // their ranker (the snapshot's models take precedence). It is called
  // through a circuit breaker configured by `breaker`; while the breaker is
  // open the surface serves the user's last known good result, else its next
  // fallback level, with reason breaker_open.
  absl::Status RegisterScorer(absl::string_view name, HostScorer scorer,
                              CircuitBreakerOptions breaker = {});
  // The breaker of a registered scorer (nullptr when unknown).
  const CircuitBreaker* scorer_breaker(absl::string_view name) const;

  // Runtime switches (peak-event flags), per surface.
  RuntimeSwitches& switches();
  const RuntimeSwitches& switches() const;

  EngineMetrics metrics() const;
  // The overload controller's current quality factor for `surface` (1 when
  // unknown).
  double quality(absl::string_view surface) const;

 private:
  explicit Engine(std::unique_ptr<internal::EngineCore> core);
  std::unique_ptr<internal::EngineCore> core_;
};

}  // namespace aisle::serving

#endif  // AISLE_SERVING_ENGINE_H_
