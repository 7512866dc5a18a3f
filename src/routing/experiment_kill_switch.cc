#include "aisle/routing/experiment_kill_switch.h"

#include <algorithm>
#include <atomic>
#include <deque>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "aisle/core/external_id.h"

namespace aisle::routing {

namespace {

// One experiment key. The flag is read without a lock by Assign(); the rest
// is guarded by State::mu.
struct Slot {
  std::atomic<bool> killed{false};
  std::string key;
  absl::Time since;
  std::string reason;
  std::string actor;
};

}  // namespace

struct ExperimentKillSwitch::State {
  mutable absl::Mutex mu;
  // A deque never moves its elements, so the flags handed to routers stay put.
  std::deque<Slot> slots ABSL_GUARDED_BY(mu);
  absl::flat_hash_map<std::string, Slot*> by_key ABSL_GUARDED_BY(mu);
  std::deque<KillSwitchEvent> audit ABSL_GUARDED_BY(mu);
  uint64_t dropped ABSL_GUARDED_BY(mu) = 0;
};

absl::string_view KillActionName(KillAction action) {
  switch (action) {
    case KillAction::kKill:
      return "kill";
    case KillAction::kRevive:
      return "revive";
  }
  return "unknown";
}

ExperimentKillSwitch::ExperimentKillSwitch(const Clock* clock)
    : clock_(clock), state_(std::make_shared<State>()) {}

ExperimentKillSwitch::~ExperimentKillSwitch() = default;

const std::atomic<bool>* ExperimentKillSwitch::Register(absl::string_view experiment) {
  absl::MutexLock lock(&state_->mu);
  auto it = state_->by_key.find(experiment);
  if (it != state_->by_key.end()) return &it->second->killed;
  Slot& slot = state_->slots.emplace_back();
  slot.key = std::string(experiment);
  state_->by_key.emplace(slot.key, &slot);
  return &slot.killed;
}

std::shared_ptr<const void> ExperimentKillSwitch::SharedState() const { return state_; }

absl::Status ExperimentKillSwitch::Set(absl::string_view experiment, bool killed,
                                       absl::string_view reason, absl::string_view actor) {
  const char* what = killed ? "kill" : "revive";
  if (absl::Status s = CheckExternalId(reason, absl::StrCat("kill switch: ", what, ": reason"));
      !s.ok()) {
    return s;
  }
  if (absl::Status s = CheckExternalId(actor, absl::StrCat("kill switch: ", what, ": actor"));
      !s.ok()) {
    return s;
  }
  const absl::Time now = clock_->Now();
  absl::MutexLock lock(&state_->mu);
  auto it = state_->by_key.find(experiment);
  if (it == state_->by_key.end()) {
    return absl::NotFoundError(
        absl::StrCat("kill switch: ", what, ": experiment '", PrintableId(experiment),
                     "' is in no experiment config routed with this switch"));
  }
  Slot& slot = *it->second;
  const bool was = slot.killed.load(std::memory_order_relaxed);
  if (killed && !was) slot.since = now;
  if (killed) {
    slot.reason = std::string(reason);
    slot.actor = std::string(actor);
  }
  // Relaxed: the next Assign() on any thread sees it (no other data hangs on
  // the flag: a killed assignment needs nothing but the flag).
  slot.killed.store(killed, std::memory_order_relaxed);
  KillSwitchEvent event;
  event.time = now;
  event.action = killed ? KillAction::kKill : KillAction::kRevive;
  event.experiment = slot.key;
  event.reason = std::string(reason);
  event.actor = std::string(actor);
  event.changed = was != killed;
  state_->audit.push_back(std::move(event));
  while (state_->audit.size() > kMaxKillSwitchAuditEvents) {
    state_->audit.pop_front();
    ++state_->dropped;
  }
  return absl::OkStatus();
}

absl::Status ExperimentKillSwitch::Kill(absl::string_view experiment, absl::string_view reason,
                                        absl::string_view actor) {
  return Set(experiment, true, reason, actor);
}

absl::Status ExperimentKillSwitch::Revive(absl::string_view experiment, absl::string_view reason,
                                          absl::string_view actor) {
  return Set(experiment, false, reason, actor);
}

bool ExperimentKillSwitch::IsKilled(absl::string_view experiment) const {
  absl::MutexLock lock(&state_->mu);
  auto it = state_->by_key.find(experiment);
  return it != state_->by_key.end() && it->second->killed.load(std::memory_order_relaxed);
}

std::vector<KilledExperiment> ExperimentKillSwitch::Killed() const {
  std::vector<KilledExperiment> out;
  {
    absl::MutexLock lock(&state_->mu);
    for (const Slot& slot : state_->slots) {
      if (!slot.killed.load(std::memory_order_relaxed)) continue;
      out.push_back({slot.key, slot.since, slot.reason, slot.actor});
    }
  }
  std::sort(out.begin(), out.end(), [](const KilledExperiment& a, const KilledExperiment& b) {
    return a.experiment < b.experiment;
  });
  return out;
}

std::vector<KillSwitchEvent> ExperimentKillSwitch::AuditLog() const {
  absl::MutexLock lock(&state_->mu);
  return std::vector<KillSwitchEvent>(state_->audit.begin(), state_->audit.end());
}

uint64_t ExperimentKillSwitch::audit_dropped() const {
  absl::MutexLock lock(&state_->mu);
  return state_->dropped;
}

std::vector<std::string> ExperimentKillSwitch::KnownExperiments() const {
  std::vector<std::string> out;
  {
    absl::MutexLock lock(&state_->mu);
    for (const Slot& slot : state_->slots) out.push_back(slot.key);
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace aisle::routing
