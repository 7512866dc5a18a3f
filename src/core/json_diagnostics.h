// File: src/core/json_diagnostics.h (private; header-only, for the modules
// that parse JSON with nlohmann-json)
//
// Where in a JSON text something is wrong, in the text's own terms: the line
// and column, the byte offset and the JSON path of the value ("learner.
// learner_model_param.base_score", "trees[3].split_conditions[7]").
//
//  * DescribeJsonParseError: why `text` does not parse. nlohmann's own
//    exceptions give no position for a number that overflows a double
//    ("1e999"); this reruns the parse with a SAX handler that records the
//    position, the path and the offending token.
//  * LocateJsonValue: the byte offset where the value at a path starts, for
//    errors found after parsing (a NaN leaf, a float that overflows).
//
//   if (doc.is_discarded()) {
//     return absl::InvalidArgumentError(DescribeJsonParseError(text, "m.json"));
//     // "m.json:3:17 (byte 52): learner.learner_model_param.base_score:
//     //  number 1e999 overflows a double"
//   }
//
// Only the error paths use these (they parse the text once more).
// Thread-safety: pure functions; thread-safe.
#ifndef AISLE_SRC_CORE_JSON_DIAGNOSTICS_H_
#define AISLE_SRC_CORE_JSON_DIAGNOSTICS_H_

#include <algorithm>
#include <cstddef>
#include <iterator>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "nlohmann/json.hpp"

namespace aisle::internal {

// "<line>:<column>" of byte `offset` of `text` (1-based; the first line of
// `text` is `first_line`).
inline std::string JsonLineColumn(absl::string_view text, size_t offset, size_t first_line = 1) {
  if (offset > text.size()) offset = text.size();
  size_t line = first_line, line_start = 0;
  for (size_t i = 0; i < offset; ++i) {
    if (text[i] == '\n') {
      ++line;
      line_start = i + 1;
    }
  }
  return absl::StrCat(line, ":", offset - line_start + 1);
}

// The JSON token that starts at byte `offset` of `text` as written (a number,
// a literal, or a string with its quotes), cut to `max_bytes`.
inline std::string JsonTokenAt(absl::string_view text, size_t offset, size_t max_bytes = 40) {
  if (offset >= text.size()) return "";
  size_t end = offset;
  if (text[offset] == '"') {
    for (end = offset + 1; end < text.size() && text[end] != '"'; ++end) {
      if (text[end] == '\\') ++end;
    }
    end = end < text.size() ? end + 1 : text.size();
  } else {
    while (end < text.size() &&
           absl::string_view(",]}: \t\r\n").find(text[end]) == absl::string_view::npos) {
      ++end;
    }
  }
  return std::string(text.substr(offset, std::min(end - offset, max_bytes)));
}

// Appends one path step: ".key" (or "key" at the start) or "[index]".
inline void AppendJsonPathKey(std::string& path, absl::string_view key) {
  if (!path.empty()) path.push_back('.');
  path.append(key.data(), key.size());
}
inline void AppendJsonPathIndex(std::string& path, size_t index) {
  absl::StrAppend(&path, "[", index, "]");
}

namespace json_detail {

// A char iterator that publishes how far the parser has read.
struct CountingIterator {
  using iterator_category = std::forward_iterator_tag;
  using value_type = char;
  using difference_type = std::ptrdiff_t;
  using pointer = const char*;
  using reference = const char&;
  const char* p = nullptr;
  const char** cursor = nullptr;
  reference operator*() const { return *p; }
  CountingIterator& operator++() {
    ++p;
    if (cursor != nullptr && p > *cursor) *cursor = p;
    return *this;
  }
  CountingIterator operator++(int) {
    CountingIterator old = *this;
    ++*this;
    return old;
  }
  bool operator==(const CountingIterator& o) const { return p == o.p; }
  bool operator!=(const CountingIterator& o) const { return p != o.p; }
};

// Tracks the JSON path of the value being read; records a parse error, or
// stops at the value whose path is `target_` (when set).
class PathSax : public nlohmann::json_sax<nlohmann::json> {
 public:
  PathSax(const char* begin, const char** cursor, const std::string* target)
      : begin_(begin), cursor_(cursor), target_(target) {}

  bool null() override { return Scalar(); }
  bool boolean(bool) override { return Scalar(); }
  bool number_integer(number_integer_t) override { return Scalar(); }
  bool number_unsigned(number_unsigned_t) override { return Scalar(); }
  bool number_float(number_float_t, const string_t&) override { return Scalar(); }
  bool string(string_t&) override { return Scalar(); }
  bool binary(binary_t&) override { return Scalar(); }
  bool start_object(std::size_t) override { return Open(false); }
  bool start_array(std::size_t) override { return Open(true); }
  bool end_object() override { return Close(); }
  bool end_array() override { return Close(); }
  bool key(string_t& k) override {
    if (!stack_.empty()) {
      stack_.back().key = k;
      stack_.back().has_key = true;
    }
    Mark();
    return true;
  }
  bool parse_error(std::size_t position, const std::string& last_token,
                   const nlohmann::detail::exception& ex) override {
    failed = true;
    error_position = position;
    error_token = last_token;
    error_id = ex.id;
    error_message = ex.what();
    error_path = Path();
    return false;
  }

  // The path of the value being read ("" at the root).
  std::string Path() const {
    std::string path;
    for (const Level& l : stack_) {
      if (l.array) {
        AppendJsonPathIndex(path, l.index);
      } else if (l.has_key) {
        AppendJsonPathKey(path, l.key);
      }
    }
    return path;
  }

  bool failed = false;
  size_t error_position = 0;
  std::string error_token;
  int error_id = 0;
  std::string error_message;
  std::string error_path;
  // Set when the target path was found: where its value starts.
  bool found = false;
  size_t found_offset = 0;

 private:
  struct Level {
    bool array = false;
    size_t index = 0;
    bool has_key = false;
    std::string key;
  };

  // Where the parser was after the previous event; the next value starts at
  // the first byte after it that is not whitespace, ':' or ','.
  void Mark() { last_end_ = static_cast<size_t>(*cursor_ - begin_); }
  size_t ValueStart() const {
    size_t i = last_end_;
    const absl::string_view text(begin_, static_cast<size_t>(*cursor_ - begin_));
    while (i < text.size() && (text[i] == ' ' || text[i] == '\t' || text[i] == '\n' ||
                               text[i] == '\r' || text[i] == ':' || text[i] == ',')) {
      ++i;
    }
    return i;
  }
  // Returns false (stop) when this value is the target.
  bool AtValue() {
    if (target_ != nullptr && Path() == *target_) {
      found = true;
      found_offset = ValueStart();
      return false;
    }
    return true;
  }
  void Next() {
    if (!stack_.empty() && stack_.back().array) ++stack_.back().index;
    Mark();
  }
  bool Scalar() {
    if (!AtValue()) return false;
    Next();
    return true;
  }
  bool Open(bool array) {
    if (!AtValue()) return false;
    stack_.push_back(Level{array, 0, false, {}});
    Mark();
    return true;
  }
  bool Close() {
    if (!stack_.empty()) stack_.pop_back();
    Next();
    return true;
  }

  const char* begin_;
  const char** cursor_;
  const std::string* target_;
  std::vector<Level> stack_;
  size_t last_end_ = 0;
};

inline void RunSax(absl::string_view text, PathSax& sax, const char** cursor) {
  CountingIterator first{text.data(), cursor};
  CountingIterator last{text.data() + text.size(), nullptr};
  try {
    nlohmann::json::sax_parse(first, last, &sax);
  } catch (const std::exception&) {
    // A SAX parse reports errors through parse_error; anything else (out of
    // memory) leaves the handler without a position.
  }
}

// nlohmann's message without its "[json.exception.parse_error.101] parse
// error at line 1, column 5: " prefix (the position is given separately).
inline std::string Reason(const std::string& message) {
  absl::string_view m = message;
  if (m.substr(0, 1) == "[") {
    const size_t close = m.find("] ");
    if (close != absl::string_view::npos) m.remove_prefix(close + 2);
  }
  const size_t column = m.find(", column ");
  if (column != absl::string_view::npos) {
    const size_t colon = m.find(": ", column);
    if (colon != absl::string_view::npos) m.remove_prefix(colon + 2);
  }
  return std::string(m);
}

}  // namespace json_detail

// "<what>:<line>:<column> (byte <offset>): <path>: <reason>" for a text that
// does not parse (path omitted at the root). A number too large for a double
// is reported as "number <text> overflows a double".
// `first_line` and `first_byte` place `text` in a larger file (one line of
// a JSONL file).
inline std::string DescribeJsonParseError(absl::string_view text, absl::string_view what,
                                          size_t first_line = 1, size_t first_byte = 0) {
  const char* cursor = text.data();
  json_detail::PathSax sax(text.data(), &cursor, nullptr);
  json_detail::RunSax(text, sax, &cursor);
  if (!sax.failed) return absl::StrCat(what, ": malformed JSON");
  size_t at = sax.error_position;
  std::string reason;
  if (sax.error_id == 406) {
    // Number overflow: the position is the end of the number; point at its start.
    at = at >= sax.error_token.size() ? at - sax.error_token.size() : 0;
    reason = absl::StrCat("number ", sax.error_token, " overflows a double");
  } else {
    if (at > 0) --at;  // nlohmann counts the offending character as read
    reason = absl::StrCat("malformed JSON: ", json_detail::Reason(sax.error_message));
  }
  if (at > text.size()) at = text.size();
  return absl::StrCat(what, ":", JsonLineColumn(text, at, first_line), " (byte ",
                      first_byte + at, "): ",
                      sax.error_path.empty() ? "" : absl::StrCat(sax.error_path, ": "), reason);
}

// Byte offset where the value at `path` starts in `text`, or npos when the
// path is absent (or the text does not parse before it).
inline size_t LocateJsonValue(absl::string_view text, const std::string& path) {
  const char* cursor = text.data();
  json_detail::PathSax sax(text.data(), &cursor, &path);
  json_detail::RunSax(text, sax, &cursor);
  return sax.found ? sax.found_offset : std::string::npos;
}

}  // namespace aisle::internal

#endif  // AISLE_SRC_CORE_JSON_DIAGNOSTICS_H_
