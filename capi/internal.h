// Private helpers shared by the C ABI's implementation files.
#ifndef AISLE_CAPI_INTERNAL_H_
#define AISLE_CAPI_INTERNAL_H_

#include <cstdint>
#include <exception>
#include <new>
#include <string>

#include "absl/status/status.h"

namespace aisle::capi {

// This thread's last error message.
std::string& LastError();

// Records `status` as this thread's last error and returns its code.
int32_t SetError(const absl::Status& status);

// Runs `fn` (returning absl::Status) and converts anything it throws.
template <typename Fn>
int32_t Guard(Fn&& fn) noexcept {
  try {
    return SetError(fn());
  } catch (const std::bad_alloc&) {
    return SetError(absl::ResourceExhaustedError("out of memory"));
  } catch (const std::exception& e) {
    return SetError(absl::InternalError(std::string("unexpected exception: ") + e.what()));
  } catch (...) {
    return SetError(absl::InternalError("unexpected exception"));
  }
}

}  // namespace aisle::capi

#endif  // AISLE_CAPI_INTERNAL_H_
