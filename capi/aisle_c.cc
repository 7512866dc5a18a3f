// The implementation of capi/aisle.h. Every extern "C" body converts
// absl::Status to a code plus a thread-local message and catches everything
// that could throw underneath, so no exception crosses the ABI.
#include "aisle.h"

#include <string>

#include "absl/status/status.h"
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

}  // namespace aisle::capi

extern "C" {

const char* aisle_version(void) { return AISLE_VERSION_STRING; }

int32_t aisle_abi_version(void) { return AISLE_ABI_VERSION; }

const char* aisle_last_error_message(void) { return aisle::capi::LastError().c_str(); }

const char* aisle_status_name(int32_t code) {
  switch (code) {
    case AISLE_OK: return "OK";
    case AISLE_CANCELLED: return "CANCELLED";
    case AISLE_UNKNOWN: return "UNKNOWN";
    case AISLE_INVALID_ARGUMENT: return "INVALID_ARGUMENT";
    case AISLE_DEADLINE_EXCEEDED: return "DEADLINE_EXCEEDED";
    case AISLE_NOT_FOUND: return "NOT_FOUND";
    case AISLE_ALREADY_EXISTS: return "ALREADY_EXISTS";
    case AISLE_PERMISSION_DENIED: return "PERMISSION_DENIED";
    case AISLE_RESOURCE_EXHAUSTED: return "RESOURCE_EXHAUSTED";
    case AISLE_FAILED_PRECONDITION: return "FAILED_PRECONDITION";
    case AISLE_ABORTED: return "ABORTED";
    case AISLE_OUT_OF_RANGE: return "OUT_OF_RANGE";
    case AISLE_UNIMPLEMENTED: return "UNIMPLEMENTED";
    case AISLE_INTERNAL: return "INTERNAL";
    case AISLE_UNAVAILABLE: return "UNAVAILABLE";
    case AISLE_DATA_LOSS: return "DATA_LOSS";
    default: return "UNRECOGNIZED";
  }
}

}  // extern "C"
