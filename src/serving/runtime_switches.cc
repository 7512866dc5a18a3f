#include "aisle/serving/runtime_switches.h"

#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace aisle {
namespace serving {
namespace {

constexpr absl::string_view kFlagNames[kNumSwitchFlags] = {"personalization", "diversification",
                                                           "exploration", "shadow_scoring"};
constexpr absl::string_view kSourcePrefix = "source:";
constexpr absl::string_view kAllSurfaces = "*";
constexpr uint64_t kVersionMask = (uint64_t{1} << 24) - 1;

absl::Status CheckNames(const std::vector<std::string>& names, absl::string_view what,
                        absl::flat_hash_map<std::string, int>* index) {
  for (size_t i = 0; i < names.size(); ++i) {
    const std::string& n = names[i];
    if (n.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("runtime switches: ", what, " name at position ", i, " is empty"));
    }
    if (n == kAllSurfaces) {
      return absl::InvalidArgumentError(
          absl::StrCat("runtime switches: ", what, " name \"*\" is reserved (all surfaces)"));
    }
    if (!index->emplace(n, static_cast<int>(i)).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("runtime switches: duplicate ", what, " name \"", n, "\""));
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::string_view SwitchFlagName(SwitchFlag flag) {
  const int i = static_cast<int>(flag);
  return i < kNumSwitchFlags ? kFlagNames[i] : absl::string_view("unknown");
}

RuntimeSwitches::RuntimeSwitches(RuntimeSwitchesOptions options, const Clock& clock)
    : surfaces_(std::move(options.surfaces)),
      sources_(std::move(options.sources)),
      audit_capacity_(options.audit_capacity),
      clock_(clock),
      words_(new std::atomic<uint64_t>[surfaces_.size() > 0 ? surfaces_.size() : 1]) {
  for (size_t i = 0; i < surfaces_.size(); ++i) words_[i].store(0, std::memory_order_relaxed);
}

absl::StatusOr<std::unique_ptr<RuntimeSwitches>> RuntimeSwitches::Create(
    RuntimeSwitchesOptions options, const Clock& clock) {
  if (options.surfaces.empty()) {
    return absl::InvalidArgumentError("runtime switches: no surfaces given");
  }
  if (options.sources.size() > static_cast<size_t>(kMaxSources)) {
    return absl::InvalidArgumentError(absl::StrCat("runtime switches: ", options.sources.size(),
                                                   " sources given, at most ", kMaxSources));
  }
  std::unique_ptr<RuntimeSwitches> s(new RuntimeSwitches(std::move(options), clock));
  if (absl::Status st = CheckNames(s->surfaces_, "surface", &s->surface_index_); !st.ok()) {
    return st;
  }
  if (absl::Status st = CheckNames(s->sources_, "source", &s->source_index_); !st.ok()) {
    return st;
  }
  return s;
}

int RuntimeSwitches::SurfaceIndex(absl::string_view surface) const {
  auto it = surface_index_.find(surface);
  return it == surface_index_.end() ? -1 : it->second;
}

int RuntimeSwitches::SourceIndex(absl::string_view source) const {
  auto it = source_index_.find(source);
  return it == source_index_.end() ? -1 : it->second;
}

absl::StatusOr<SurfaceSwitches> RuntimeSwitches::Get(absl::string_view surface) const {
  const int i = SurfaceIndex(surface);
  if (i < 0) {
    return absl::NotFoundError(
        absl::StrCat("runtime switches: unknown surface \"", std::string(surface), "\""));
  }
  return Get(i);
}

absl::StatusOr<int> RuntimeSwitches::BitFor(absl::string_view name) const {
  if (absl::StartsWith(name, kSourcePrefix)) {
    const absl::string_view source = name.substr(kSourcePrefix.size());
    const int i = SourceIndex(source);
    if (i < 0) {
      return absl::NotFoundError(
          absl::StrCat("runtime switches: unknown source \"", std::string(source), "\""));
    }
    return i;
  }
  for (int f = 0; f < kNumSwitchFlags; ++f) {
    if (kFlagNames[f] == name) return SurfaceSwitches::kFlagShift + f;
  }
  return absl::NotFoundError(
      absl::StrCat("runtime switches: unknown switch \"", std::string(name),
                   "\"; expected personalization, diversification, exploration, shadow_scoring or "
                   "source:<name>"));
}

absl::Status RuntimeSwitches::SetFlag(absl::string_view surface, SwitchFlag flag, bool enabled,
                                      absl::string_view actor) {
  const SwitchChange change{std::string(SwitchFlagName(flag)), enabled};
  return Apply(surface, absl::MakeConstSpan(&change, 1), actor);
}

absl::Status RuntimeSwitches::SetSource(absl::string_view surface, absl::string_view source,
                                        bool enabled, absl::string_view actor) {
  const SwitchChange change{absl::StrCat(kSourcePrefix, std::string(source)), enabled};
  return Apply(surface, absl::MakeConstSpan(&change, 1), actor);
}

absl::Status RuntimeSwitches::Apply(absl::string_view surface,
                                    absl::Span<const SwitchChange> changes,
                                    absl::string_view actor) {
  int first = 0, last = num_surfaces();
  if (surface != kAllSurfaces) {
    first = SurfaceIndex(surface);
    if (first < 0) {
      return absl::NotFoundError(
          absl::StrCat("runtime switches: unknown surface \"", std::string(surface), "\""));
    }
    last = first + 1;
  }
  // Resolve every name before changing anything.
  std::vector<int> bits;
  bits.reserve(changes.size());
  for (const SwitchChange& c : changes) {
    absl::StatusOr<int> bit = BitFor(c.name);
    if (!bit.ok()) return bit.status();
    bits.push_back(*bit);
  }
  const absl::Time now = clock_.Now();
  absl::MutexLock lock(&mu_);
  for (int s = first; s < last; ++s) {
    const uint64_t old_word = words_[s].load(std::memory_order_relaxed);
    uint64_t word = old_word;
    for (size_t k = 0; k < changes.size(); ++k) {
      const uint64_t mask = uint64_t{1} << bits[k];
      word = changes[k].enabled ? (word & ~mask) : (word | mask);
    }
    const uint64_t payload_mask = (uint64_t{1} << SurfaceSwitches::kVersionShift) - 1;
    if ((word & payload_mask) == (old_word & payload_mask)) continue;  // nothing changed
    const uint64_t version = ((old_word >> SurfaceSwitches::kVersionShift) + 1) & kVersionMask;
    word = (word & payload_mask) | (version << SurfaceSwitches::kVersionShift);
    words_[s].store(word, std::memory_order_release);
    // Log each switch whose value moved (a name given twice logs its net change once).
    for (size_t k = 0; k < changes.size(); ++k) {
      const uint64_t mask = uint64_t{1} << bits[k];
      const bool was = (old_word & mask) == 0;
      const bool now_on = (word & mask) == 0;
      if (was == now_on) continue;
      bool seen = false;
      for (size_t j = 0; j < k; ++j) seen = seen || bits[j] == bits[k];
      if (seen) continue;
      if (audit_capacity_ == 0) {
        ++dropped_;
        continue;
      }
      if (audit_.size() >= audit_capacity_) {
        audit_.pop_front();
        ++dropped_;
      }
      audit_.push_back(SwitchAuditEntry{now, surfaces_[s], changes[k].name, was, now_on,
                                        std::string(actor), static_cast<uint32_t>(version)});
    }
  }
  return absl::OkStatus();
}

std::vector<SwitchAuditEntry> RuntimeSwitches::AuditLog() const {
  absl::MutexLock lock(&mu_);
  return std::vector<SwitchAuditEntry>(audit_.begin(), audit_.end());
}

uint64_t RuntimeSwitches::audit_dropped() const {
  absl::MutexLock lock(&mu_);
  return dropped_;
}

}  // namespace serving
}  // namespace aisle
