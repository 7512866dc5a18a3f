// The implementation of capi/aisle.h: library-wide functions and the helpers
// declared in capi/internal.h. Every extern "C" body converts absl::Status to
// a code plus a thread-local message and catches everything that could throw
// underneath, so no exception crosses the ABI.
#include <array>
#include <string>

#include "absl/status/status.h"
#include "aisle.h"
#include "aisle/core/status_macros.h"
#include "aisle/routing/cold_start_tier.h"
#include "aisle/serving/fallback.h"
#include "capi/internal.h"

#ifndef AISLE_VERSION_STRING
#define AISLE_VERSION_STRING "0.0.0"
#endif

namespace aisle::capi {

std::string& LastError() {
  thread_local std::string message;
  return message;
}

int32_t SetError(const absl::Status& status) {
  if (status.ok()) return AISLE_OK;
  LastError() = std::string(status.message());
  return static_cast<int32_t>(status.code());
}

absl::StatusOr<std::vector<retrieval::Interaction>> ToInteractions(
    absl::string_view fn, const uint64_t* sessions, const uint32_t* items, const int64_t* times,
    const int32_t* types, size_t count) {
  AISLE_RETURN_IF_ERROR(CheckRange(fn, "count", count, 0, AISLE_MAX_ITEMS));
  if (count > 0 && (items == nullptr || times == nullptr || types == nullptr)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "interactions: items, times and types must be non-NULL for ", count, " events"));
  }
  std::vector<retrieval::Interaction> out(count);
  for (size_t i = 0; i < count; ++i) {
    if (types[i] < 0 || types[i] >= retrieval::kNumInteractionTypes) {
      return absl::InvalidArgumentError(absl::StrCat("interactions[", i, "]: type ", types[i],
                                                     " is not an AISLE_INTERACTION_* value"));
    }
    out[i].session = sessions == nullptr ? 0 : sessions[i];
    out[i].item = items[i];
    out[i].time_micros = times[i];
    out[i].type = static_cast<retrieval::InteractionType>(types[i]);
  }
  return out;
}

absl::StatusOr<std::vector<std::string>> ToStrings(absl::string_view fn, const char* const* ids,
                                                   size_t count, absl::string_view what,
                                                   bool check_ids) {
  AISLE_RETURN_IF_ERROR(CheckCount(fn, ids, count, what, "count"));
  std::vector<std::string> out;
  // Grown as the entries are read, so that a count larger than the caller's
  // array is not paid for up front.
  out.reserve(count < 1024 ? count : 1024);
  for (size_t i = 0; i < count; ++i) {
    if (ids[i] == nullptr) return NullError(absl::StrCat(what, "[", i, "]"));
    // The message (and its place) is built only for a bad entry.
    if (check_ids && !CheckExternalId(ids[i], what).ok()) {
      return CheckStoredId(fn, ids[i], absl::StrCat(what, "[", i, "]"));
    }
    out.emplace_back(ids[i]);
  }
  return out;
}

namespace {

// Copies names from the C++ name functions once (they return string_views;
// the C ABI promises NUL-terminated static strings).
template <int N, typename Fn>
const char* NameOf(int32_t value, Fn name_of) {
  static const std::array<std::string, N + 1> names = [&] {
    std::array<std::string, N + 1> a;
    for (int i = 0; i < N; ++i) a[i] = std::string(name_of(i));
    a[N] = "unknown";
    return a;
  }();
  return names[value >= 0 && value < N ? value : N].c_str();
}

}  // namespace
}  // namespace aisle::capi

extern "C" {

const char* aisle_version(void) { return AISLE_VERSION_STRING; }

int32_t aisle_abi_version(void) { return AISLE_ABI_VERSION; }

const char* aisle_last_error_message(void) { return aisle::capi::LastError().c_str(); }

const char* aisle_status_name(int32_t code) {
  switch (code) {
    case AISLE_OK:
      return "OK";
    case AISLE_CANCELLED:
      return "CANCELLED";
    case AISLE_UNKNOWN:
      return "UNKNOWN";
    case AISLE_INVALID_ARGUMENT:
      return "INVALID_ARGUMENT";
    case AISLE_DEADLINE_EXCEEDED:
      return "DEADLINE_EXCEEDED";
    case AISLE_NOT_FOUND:
      return "NOT_FOUND";
    case AISLE_ALREADY_EXISTS:
      return "ALREADY_EXISTS";
    case AISLE_PERMISSION_DENIED:
      return "PERMISSION_DENIED";
    case AISLE_RESOURCE_EXHAUSTED:
      return "RESOURCE_EXHAUSTED";
    case AISLE_FAILED_PRECONDITION:
      return "FAILED_PRECONDITION";
    case AISLE_ABORTED:
      return "ABORTED";
    case AISLE_OUT_OF_RANGE:
      return "OUT_OF_RANGE";
    case AISLE_UNIMPLEMENTED:
      return "UNIMPLEMENTED";
    case AISLE_INTERNAL:
      return "INTERNAL";
    case AISLE_UNAVAILABLE:
      return "UNAVAILABLE";
    case AISLE_DATA_LOSS:
      return "DATA_LOSS";
    default:
      return "UNRECOGNIZED";
  }
}

const char* aisle_fallback_level_name(int32_t level) {
  return aisle::capi::NameOf<aisle::serving::kNumFallbackLevels>(level, [](int i) {
    return aisle::serving::FallbackLevelName(static_cast<aisle::serving::FallbackLevel>(i));
  });
}

const char* aisle_fallback_reason_name(int32_t reason) {
  return aisle::capi::NameOf<aisle::serving::kNumFallbackReasons>(reason, [](int i) {
    return aisle::serving::FallbackReasonName(static_cast<aisle::serving::FallbackReason>(i));
  });
}

const char* aisle_tier_name(int32_t tier) {
  return aisle::capi::NameOf<static_cast<int>(aisle::routing::kNumColdStartTiers)>(tier, [](int i) {
    return aisle::routing::ColdStartTierName(static_cast<aisle::routing::ColdStartTier>(i));
  });
}

}  // extern "C"
