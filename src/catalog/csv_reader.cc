#include "aisle/catalog/csv_reader.h"

#include <cstring>

#include "absl/strings/str_cat.h"

namespace aisle::catalog {

CsvReader::CsvReader(absl::string_view text, absl::string_view what, CsvOptions options)
    : text_(text), what_(what), options_(options) {
  if (text_.size() >= 3 && std::memcmp(text_.data(), "\xEF\xBB\xBF", 3) == 0) pos_ = 3;
}

bool CsvReader::Fail(size_t line, absl::string_view message) {
  status_ = absl::InvalidArgumentError(absl::StrCat(what_, ":", line, ": ", message));
  fields_.clear();
  pos_ = text_.size();
  return false;
}

bool CsvReader::Next() {
  if (!status_.ok()) return false;
  const char* const data = text_.data();
  const size_t n = text_.size();
  const char delim = options_.delimiter;
  // Skip blank lines.
  while (pos_ < n) {
    if (data[pos_] == '\n') {
      ++pos_;
      ++line_;
    } else if (data[pos_] == '\r' && (pos_ + 1 == n || data[pos_ + 1] == '\n')) {
      ++pos_;
    } else {
      break;
    }
  }
  if (pos_ >= n) {
    fields_.clear();
    return false;
  }
  record_line_ = line_;
  pieces_.clear();
  scratch_.clear();
  while (true) {
    if (pos_ < n && data[pos_] == '"') {
      // Quoted field.
      const size_t open_line = line_;
      ++pos_;
      size_t start = pos_;
      bool escaped = false;
      size_t scratch_begin = scratch_.size();
      while (true) {
        const void* q = std::memchr(data + pos_, '"', n - pos_);
        if (q == nullptr) {
          return Fail(open_line, "unterminated quoted field");
        }
        const size_t qpos = static_cast<const char*>(q) - data;
        for (size_t k = pos_; k < qpos; ++k) line_ += data[k] == '\n';
        if (qpos + 1 < n && data[qpos + 1] == '"') {
          // Escaped quote: copy up to and including one quote.
          if (!escaped) {
            escaped = true;
            scratch_begin = scratch_.size();
          }
          scratch_.append(data + start, qpos + 1 - start);
          pos_ = qpos + 2;
          start = pos_;
          continue;
        }
        if (escaped) {
          scratch_.append(data + start, qpos - start);
          pieces_.push_back({scratch_begin, scratch_.size() - scratch_begin, true});
        } else {
          pieces_.push_back({start, qpos - start, false});
        }
        pos_ = qpos + 1;
        break;
      }
      if (pos_ >= n) break;
      const char c = data[pos_];
      if (c == delim) {
        ++pos_;
        continue;
      }
      if (c == '\n') {
        ++pos_;
        ++line_;
        break;
      }
      if (c == '\r' && (pos_ + 1 == n || data[pos_ + 1] == '\n')) {
        pos_ += (pos_ + 1 == n) ? 1 : 2;
        ++line_;
        break;
      }
      return Fail(line_,
                  absl::StrCat("field ", pieces_.size(), ": unexpected character '",
                               absl::string_view(&data[pos_], 1), "' after a closing quote"));
    }
    // Unquoted field.
    const size_t start = pos_;
    while (pos_ < n) {
      const char c = data[pos_];
      if (c == delim || c == '\n') break;
      if (c == '\r' && (pos_ + 1 == n || data[pos_ + 1] == '\n')) break;
      ++pos_;
    }
    pieces_.push_back({start, pos_ - start, false});
    if (pos_ >= n) break;
    const char c = data[pos_];
    if (c == delim) {
      ++pos_;
      if (pos_ >= n) {  // a trailing delimiter at the end of the text: one more empty field
        pieces_.push_back({pos_, 0, false});
        break;
      }
      continue;
    }
    pos_ += (c == '\r') ? ((pos_ + 1 == n) ? 1 : 2) : 1;
    ++line_;
    break;
  }
  fields_.resize(pieces_.size());
  for (size_t i = 0; i < pieces_.size(); ++i) {
    const Piece& p = pieces_[i];
    fields_[i] = p.in_scratch ? absl::string_view(scratch_.data() + p.begin, p.size)
                              : absl::string_view(data + p.begin, p.size);
  }
  return true;
}

}  // namespace aisle::catalog
