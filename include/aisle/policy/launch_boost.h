// File: aisle/policy/launch_boost.h
//
// LaunchBoost: a Reorderer (stage kRules) that lifts recently launched items
// for a while after launch. The boost is `boost` at the moment of launch and
// falls linearly to 0 at the end of the launch window (72 hours by default),
// so a launch gets a head start that fades as the ranker learns about it.
//
//   auto lb = aisle::policy::LaunchBoost::Create(catalog.launch_times_micros(),
//       {.window = absl::Hours(48), .boost = 0.2f,
//        .mode = aisle::policy::LaunchBoostMode::kAdd});
//   // per request, in the rules stage:
//   AISLE_RETURN_IF_ERROR((*lb)->Apply(reorder_context, ranked));
//
// Exact semantics, with age = now - launch (now = ReorderContext::now) and W
// the window:
//   w(age) = boost * (1 - age / W)   for 0 <= age < W,  0 otherwise
//   kAdd:       score' = score + w(age)
//   kMultiply:  score' = score * (1 + w(age))
// An item with an unknown launch time (INT64_MIN, the catalog's
// kUnknownTime), an item outside the launch column, or an item launched after
// `now` gets nothing.
// When any score changed, the list is re-sorted by descending score, stably
// (equal scores keep their order; a NaN score sorts last). With negative
// model scores use kAdd (kMultiply would push a negative score further
// down). Nothing is truncated.
//
// Reports: ReorderReport::launch_boosted (candidates boosted in the request)
// when ReorderContext::report is set; totals() since construction.
//
// Thread-safe (immutable after Create; relaxed counters; per-thread scratch
// for the sort). The launch column is borrowed: it must outlive the boost
// (tie both to the catalog snapshot).
#ifndef AISLE_POLICY_LAUNCH_BOOST_H_
#define AISLE_POLICY_LAUNCH_BOOST_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "aisle/policy/reorderer.h"

namespace aisle::policy {

enum class LaunchBoostMode : uint8_t {
  kAdd,       // score + w
  kMultiply,  // score * (1 + w)
};

struct LaunchBoostOptions {
  // How long after launch an item is boosted; finite and > 0.
  absl::Duration window = absl::Hours(72);
  // The boost at launch; finite and >= 0.
  float boost = 0.1f;
  LaunchBoostMode mode = LaunchBoostMode::kAdd;
};

class LaunchBoost final : public Reorderer {
 public:
  struct Totals {
    uint64_t requests = 0;  // Apply calls
    uint64_t boosted = 0;   // candidates given a boost > 0
  };

  // launch_micros[i] = item i's launch time in unix microseconds, or
  // INT64_MIN when unknown (the catalog's launch_times_micros()). Borrowed.
  // InvalidArgument for a window that is not finite and positive, or a boost
  // that is negative or not finite.
  static absl::StatusOr<std::unique_ptr<LaunchBoost>> Create(
      absl::Span<const int64_t> launch_micros, LaunchBoostOptions options);

  absl::string_view name() const override { return "launch_boost"; }
  ReorderStage stage() const override { return ReorderStage::kRules; }
  absl::Status Apply(const ReorderContext& context, std::vector<Candidate>& list) const override;

  // w(now - launch) for one item: the amount kAdd adds.
  float BoostAt(ItemIndex item, absl::Time now) const;

  const LaunchBoostOptions& options() const { return options_; }
  Totals totals() const {
    return {requests_.load(std::memory_order_relaxed), boosted_.load(std::memory_order_relaxed)};
  }

 private:
  LaunchBoost(absl::Span<const int64_t> launch, LaunchBoostOptions options)
      : launch_(launch), options_(options) {}
  // The boost for a launch time at now_us (unix microseconds).
  float BoostFor(int64_t launch_us, int64_t now_us) const;

  absl::Span<const int64_t> launch_;
  LaunchBoostOptions options_;
  int64_t window_us_ = 0;
  mutable std::atomic<uint64_t> requests_{0};
  mutable std::atomic<uint64_t> boosted_{0};
};

}  // namespace aisle::policy

#endif  // AISLE_POLICY_LAUNCH_BOOST_H_
