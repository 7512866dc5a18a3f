// File: aisle/core/external_id.h
//
// The one rule for the string ids that come from outside: item ids in
// catalogs, feature files, pins, blocks and campaign sets; user, session and
// request ids; surface, source and model names.
//
// An id is 1 to kMaxIdBytes bytes of valid UTF-8 (no overlong forms, no
// surrogates) with no control characters: no NUL (which the C string API
// could never pass back), no other C0 control (tab, newline, ...) and no DEL.
// Anything else (spaces, punctuation, any script) is allowed. Ids that break
// the rule are refused where they enter, naming where they came from and
// the first offending byte; a lookup by such an id simply finds nothing.
//
//   AISLE_RETURN_IF_ERROR(aisle::CheckExternalId(id, "items.csv:17: field 'id'"));
//
// Thread-safety: pure functions; thread-safe.
#ifndef AISLE_CORE_EXTERNAL_ID_H_
#define AISLE_CORE_EXTERNAL_ID_H_

#include <cstddef>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace aisle {

inline constexpr size_t kMaxIdBytes = 1024;

// True when `s` is valid UTF-8 (RFC 3629: no overlongs, no surrogates, at
// most U+10FFFF). Sets *bad_offset to the first invalid byte otherwise.
bool IsValidUtf8(absl::string_view s, size_t* bad_offset = nullptr);

// OK, or InvalidArgument "<where>: id '<printable form>' <what is wrong> at
// byte <n>".
absl::Status CheckExternalId(absl::string_view id, absl::string_view where);

// Like CheckExternalId, but an empty string is allowed (optional ids such as
// a request without a user).
absl::Status CheckOptionalId(absl::string_view id, absl::string_view where);

// `s` with control characters and invalid bytes shown as \xNN, cut to 80
// characters: safe to put in an error message.
std::string PrintableId(absl::string_view s);

}  // namespace aisle

#endif  // AISLE_CORE_EXTERNAL_ID_H_
