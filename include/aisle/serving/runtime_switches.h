// File: aisle/serving/runtime_switches.h
//
// RuntimeSwitches are the peak-event flags: per surface, the host turns
// personalization, the optional stages (diversification, exploration, shadow
// scoring) and individual candidate sources off and on at run time, without
// a new snapshot. Every change is recorded in a bounded audit log with its
// time, surface, switch, old and new value and who made it.
//
// Surface and source names are fixed at construction; setting an unknown
// one is an error (NotFound naming it), never an auto-creation. The surface
// name "*" in a setter means every surface. Everything is on initially.
//
//   AISLE_ASSIGN_OR_RETURN(auto switches, aisle::serving::RuntimeSwitches::Create(
//       {.surfaces = {"home", "pdp", "search"}, .sources = {"ann", "covisit", "popular"}}));
//   switches->SetFlag("*", SwitchFlag::kPersonalization, false, "oncall:ana");   // Black Friday
//   // request path: resolve the surface index once, then one atomic load
//   const int home = switches->SurfaceIndex("home");
//   aisle::serving::SurfaceSwitches s = switches->Get(home);
//   if (!s.personalization()) cursor.SkipTo(FallbackLevel::kSegment, FallbackReason::kSwitchedOff);
//   uint32_t sources = s.enabled_sources();   // bitmask over source indices
//
// Thread-safe. Readers take no lock: a surface's switches are packed into
// one 64-bit word (source bits, flag bits and a per-surface version), so
// Get() is a single acquire load and always returns a consistent immutable
// snapshot of that surface, even when several switches change in one
// Apply(). Setters and AuditLog() serialize on a mutex.
#ifndef AISLE_SERVING_RUNTIME_SWITCHES_H_
#define AISLE_SERVING_RUNTIME_SWITCHES_H_

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
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "aisle/core/clock.h"
#include "aisle/core/ids.h"

namespace aisle {
namespace serving {

// A per-surface on/off switch for a stage.
enum class SwitchFlag : uint8_t {
  kPersonalization = 0,
  kDiversification = 1,
  kExploration = 2,
  kShadowScoring = 3,
};
inline constexpr int kNumSwitchFlags = 4;
// "personalization", "diversification", "exploration", "shadow_scoring".
absl::string_view SwitchFlagName(SwitchFlag flag);

// One surface's switches at one moment: an immutable value (thread-safe).
class SurfaceSwitches {
 public:
  SurfaceSwitches() = default;
  bool enabled(SwitchFlag flag) const {
    return ((word_ >> (kFlagShift + static_cast<int>(flag))) & 1) == 0;
  }
  bool personalization() const { return enabled(SwitchFlag::kPersonalization); }
  bool diversification() const { return enabled(SwitchFlag::kDiversification); }
  bool exploration() const { return enabled(SwitchFlag::kExploration); }
  bool shadow_scoring() const { return enabled(SwitchFlag::kShadowScoring); }
  // Source index as given by RuntimeSwitches::SourceIndex().
  bool source_enabled(SourceId source) const { return ((enabled_sources() >> source) & 1) != 0; }
  // Bit i set when source i is enabled.
  uint32_t enabled_sources() const { return ~static_cast<uint32_t>(word_); }
  // Bumped by every change to this surface (wraps at 2^24).
  uint32_t version() const { return static_cast<uint32_t>(word_ >> kVersionShift); }

 private:
  friend class RuntimeSwitches;
  // [31:0] disabled sources | [35:32] disabled flags | [63:40] version.
  static constexpr int kFlagShift = 32;
  static constexpr int kVersionShift = 40;
  explicit SurfaceSwitches(uint64_t word) : word_(word) {}
  uint64_t word_ = 0;
};

// One change for RuntimeSwitches::Apply: `name` is a flag name
// ("personalization", ...) or "source:<source name>".
struct SwitchChange {
  std::string name;
  bool enabled;
};

// One audit log entry.
struct SwitchAuditEntry {
  absl::Time at;  // wall clock
  std::string surface;
  std::string name;  // flag name or "source:<name>"
  bool old_value;
  bool new_value;
  std::string actor;  // free-form: "oncall:ana", "peak-playbook"
  uint32_t version;   // the surface's version after the change
};

struct RuntimeSwitchesOptions {
  // Known surface names (unique, non-empty, not "*").
  std::vector<std::string> surfaces = {};
  // Known candidate source names (unique, non-empty, at most kMaxSources);
  // a source's index is its position here.
  std::vector<std::string> sources = {};
  // Audit entries kept; older ones are dropped (and counted).
  size_t audit_capacity = 1024;
};

class RuntimeSwitches {
 public:
  // InvalidArgument naming a duplicate, empty or reserved name.
  static absl::StatusOr<std::unique_ptr<RuntimeSwitches>> Create(
      RuntimeSwitchesOptions options, const Clock& clock = Clock::Real());
  RuntimeSwitches(const RuntimeSwitches&) = delete;
  RuntimeSwitches& operator=(const RuntimeSwitches&) = delete;

  // -1 when unknown. Resolve once, outside the request path.
  int SurfaceIndex(absl::string_view surface) const;
  int SourceIndex(absl::string_view source) const;
  int num_surfaces() const { return static_cast<int>(surfaces_.size()); }
  const std::vector<std::string>& surfaces() const { return surfaces_; }
  const std::vector<std::string>& sources() const { return sources_; }

  // One acquire load. `surface_index` must be in [0, num_surfaces()).
  SurfaceSwitches Get(int surface_index) const {
    return SurfaceSwitches(words_[surface_index].load(std::memory_order_acquire));
  }
  // NotFound naming the surface.
  absl::StatusOr<SurfaceSwitches> Get(absl::string_view surface) const;

  // Setters. `surface` is a known surface or "*". Changes that do not change
  // a value are not logged. NotFound for an unknown surface, flag or source;
  // nothing changes then.
  absl::Status SetFlag(absl::string_view surface, SwitchFlag flag, bool enabled,
                       absl::string_view actor);
  absl::Status SetSource(absl::string_view surface, absl::string_view source, bool enabled,
                         absl::string_view actor);
  // Applies all `changes` to the surface (or every surface) at once: a
  // reader sees all of them or none.
  absl::Status Apply(absl::string_view surface, absl::Span<const SwitchChange> changes,
                     absl::string_view actor);

  // Recorded changes, oldest first.
  std::vector<SwitchAuditEntry> AuditLog() const;
  // Entries dropped from the front of the log to respect audit_capacity.
  uint64_t audit_dropped() const;

 private:
  RuntimeSwitches(RuntimeSwitchesOptions options, const Clock& clock);
  // Resolves `name` to a bit in the packed word.
  absl::StatusOr<int> BitFor(absl::string_view name) const;

  const std::vector<std::string> surfaces_;
  const std::vector<std::string> sources_;
  const size_t audit_capacity_;
  const Clock& clock_;
  absl::flat_hash_map<std::string, int> surface_index_;
  absl::flat_hash_map<std::string, int> source_index_;
  std::unique_ptr<std::atomic<uint64_t>[]> words_;

  mutable absl::Mutex mu_;
  std::deque<SwitchAuditEntry> audit_ ABSL_GUARDED_BY(mu_);
  uint64_t dropped_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace serving
}  // namespace aisle

#endif  // AISLE_SERVING_RUNTIME_SWITCHES_H_
