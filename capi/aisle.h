/* File: capi/aisle.h
 *
 * The stable C ABI of aisle, an embeddable recommendation and reranking
 * serving library. Everything a host needs is reachable through this header;
 * the Python package binds to it with ctypes.
 *
 * Contract
 * --------
 * - Handles are typed and opaque (e.g. `aisle_engine*`). Each is created by an
 *   `aisle_<noun>_create` (or `_load`) function and destroyed by the matching
 *   `aisle_<noun>_destroy`, which accepts NULL.
 * - Every fallible function returns an `int32_t` status equal to the canonical
 *   absl::StatusCode (`AISLE_OK == 0`) and writes its results through trailing
 *   out pointers. On failure `*out` is set to NULL (never half-built) and a
 *   message naming the problem is readable from this thread with
 *   `aisle_last_error_message()` until the next failing call on this thread.
 * - A NULL argument where a value is required returns
 *   AISLE_INVALID_ARGUMENT; it never crashes. No C++ exception crosses this
 *   boundary.
 * - Strings are NUL-terminated UTF-8 unless a (pointer, length) pair is given.
 *   Borrowed pointers returned by accessors live until their owner is
 *   destroyed.
 * - A released signature never changes; new behaviour gets a new `_v2`
 *   function. Structs passed in start with a `size` field and only grow at the
 *   end. Bindings check `aisle_abi_version()` at load.
 *
 * Thread-safety is stated on every function.
 */
#ifndef AISLE_CAPI_AISLE_H_
#define AISLE_CAPI_AISLE_H_

#include <stddef.h>
#include <stdint.h>

#if defined(_WIN32)
#define AISLE_API __declspec(dllexport)
#else
#define AISLE_API __attribute__((visibility("default")))
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* Status codes: equal to absl::StatusCode. */
#define AISLE_OK 0
#define AISLE_CANCELLED 1
#define AISLE_UNKNOWN 2
#define AISLE_INVALID_ARGUMENT 3
#define AISLE_DEADLINE_EXCEEDED 4
#define AISLE_NOT_FOUND 5
#define AISLE_ALREADY_EXISTS 6
#define AISLE_PERMISSION_DENIED 7
#define AISLE_RESOURCE_EXHAUSTED 8
#define AISLE_FAILED_PRECONDITION 9
#define AISLE_ABORTED 10
#define AISLE_OUT_OF_RANGE 11
#define AISLE_UNIMPLEMENTED 12
#define AISLE_INTERNAL 13
#define AISLE_UNAVAILABLE 14
#define AISLE_DATA_LOSS 15

/* The ABI version this header describes. Incremented only on an incompatible
 * change (which aisle avoids); bindings compare it with aisle_abi_version(). */
#define AISLE_ABI_VERSION 1

/* The library's version, e.g. "0.1.0". The string is static.
 * Thread-safety: thread-safe. */
AISLE_API const char* aisle_version(void);

/* The ABI version of the loaded library (AISLE_ABI_VERSION it was built with).
 * Thread-safety: thread-safe. */
AISLE_API int32_t aisle_abi_version(void);

/* The message of the last failing call on this thread, or "" if none. The
 * pointer is valid until the next aisle call on this thread.
 * Thread-safety: thread-safe (the message is thread-local). */
AISLE_API const char* aisle_last_error_message(void);

/* A short name for a status code ("OK", "INVALID_ARGUMENT", ...); static.
 * Thread-safety: thread-safe. */
AISLE_API const char* aisle_status_name(int32_t code);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* AISLE_CAPI_AISLE_H_ */
