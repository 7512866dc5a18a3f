// File: aisle/routing/experiment_kill_switch.h
//
// The runtime kill switch of experiments: one call sends every unit of an
// experiment to its control (variant 0, no parameters) from the next request,
// and records who did it, when and why. It is state of the running process,
// separate from the immutable experiment config: it is keyed by experiment
// key, so a kill outlives snapshot swaps (a new snapshot's router that still
// has the experiment serves it killed) until Revive().
//
//   aisle::routing::ExperimentKillSwitch kills(&clock);   // lives as long as the engine
//   // On every snapshot compile:
//   AISLE_ASSIGN_OR_RETURN(ExperimentRouter router, ExperimentRouter::Create(config, &kills));
//   // From an operator's console, any thread:
//   AISLE_RETURN_IF_ERROR(kills.Kill("gbdt-v8-challenger", "CTR -30% on home", "alice"));
//   // Assign() now reports every unit of it with killed = true, variant 0.
//   for (const KillSwitchEvent& e : kills.AuditLog()) dashboard.Add(e);
//
// How the router consults it: ExperimentRouter::Create(config, &kill_switch)
// registers every experiment key of the config with the switch and keeps, per
// experiment, a pointer to that key's flag (an atomic that the switch never
// frees; routers share ownership of the flags, so they stay valid even if the
// switch is destroyed first). Assign() does one relaxed atomic load per
// experiment it assigns: no lock, no allocation, no lookup by string.
//
// Kill and Revive accept only keys that some router created with this switch
// has registered (so a typo is an error, not a silent no-op). The audit log
// keeps the last kMaxKillSwitchAuditEvents events.
//
// Thread-safe: Kill, Revive and the readers may run concurrently with each
// other and with Assign() on any number of threads.
#ifndef AISLE_ROUTING_EXPERIMENT_KILL_SWITCH_H_
#define AISLE_ROUTING_EXPERIMENT_KILL_SWITCH_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "aisle/core/clock.h"

namespace aisle::routing {

inline constexpr size_t kMaxKillSwitchAuditEvents = 4096;
// Longest reason or actor accepted, in bytes.
inline constexpr size_t kMaxKillSwitchTextBytes = 1024;

enum class KillAction : uint8_t { kKill = 0, kRevive = 1 };

// "kill", "revive".
absl::string_view KillActionName(KillAction action);

// One accepted Kill or Revive call.
struct KillSwitchEvent {
  absl::Time time;  // from the switch's clock
  KillAction action = KillAction::kKill;
  std::string experiment;
  std::string reason;
  std::string actor;
  // False when the experiment already was in the requested state (the call
  // is recorded all the same).
  bool changed = false;
};

// An experiment that is killed now, as the last Kill() left it.
struct KilledExperiment {
  std::string experiment;
  absl::Time since;  // the Kill() that killed it (a repeated Kill keeps it)
  std::string reason;
  std::string actor;
};

class ExperimentRouter;

class ExperimentKillSwitch {
 public:
  // `clock` stamps the audit log and must outlive the switch.
  explicit ExperimentKillSwitch(const Clock* clock = &Clock::Real());
  ~ExperimentKillSwitch();

  ExperimentKillSwitch(const ExperimentKillSwitch&) = delete;
  ExperimentKillSwitch& operator=(const ExperimentKillSwitch&) = delete;

  // Sends every unit of `experiment` to control from the next request.
  // NotFound if no router created with this switch has the key;
  // InvalidArgument if `reason` or `actor` is empty, longer than
  // kMaxKillSwitchTextBytes, or not text (aisle/core/external_id.h rules).
  // Killing a killed experiment is accepted and recorded (changed = false).
  absl::Status Kill(absl::string_view experiment, absl::string_view reason,
                    absl::string_view actor);

  // Undoes Kill(): units get their hashed or forced variants again. Same
  // errors; reviving a live experiment is accepted and recorded
  // (changed = false).
  absl::Status Revive(absl::string_view experiment, absl::string_view reason,
                      absl::string_view actor);

  // Whether `experiment` is killed now (false for an unknown key). Takes a
  // lock: for dashboards and tests, not the request path.
  bool IsKilled(absl::string_view experiment) const;

  // The experiments killed now, by key.
  std::vector<KilledExperiment> Killed() const;

  // Accepted calls, oldest first; at most kMaxKillSwitchAuditEvents (the
  // oldest are dropped first; audit_dropped() counts them).
  std::vector<KillSwitchEvent> AuditLog() const;
  uint64_t audit_dropped() const;

  // Every experiment key registered by a router so far, sorted.
  std::vector<std::string> KnownExperiments() const;

 private:
  friend class ExperimentRouter;
  struct State;

  // Registers `experiment` (if new) and returns its flag; the flag lives as
  // long as the returned owner does.
  const std::atomic<bool>* Register(absl::string_view experiment);
  std::shared_ptr<const void> SharedState() const;

  absl::Status Set(absl::string_view experiment, bool killed, absl::string_view reason,
                   absl::string_view actor);

  const Clock* clock_;
  std::shared_ptr<State> state_;
};

}  // namespace aisle::routing

#endif  // AISLE_ROUTING_EXPERIMENT_KILL_SWITCH_H_
