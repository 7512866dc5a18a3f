// File: aisle/catalog/csv_reader.h
//
// CsvReader walks RFC 4180 CSV text held in memory, one record at a time,
// without copying: each field is an absl::string_view into the text, except
// quoted fields containing escaped quotes (""), which are unescaped into a
// scratch buffer owned by the reader. Fields stay valid until the next call
// to Next().
//
// Handles: quoted fields (with delimiters, newlines and "" inside), CRLF and
// LF line ends, a UTF-8 byte-order mark, blank lines (skipped), a missing
// final newline. A stray quote inside an unquoted field is kept literally.
// Errors (InvalidArgument, naming `what` and the line): an unterminated
// quoted field, a character other than a delimiter or line end after a
// closing quote.
//
//   aisle::catalog::CsvReader reader(text, "items.csv");
//   while (reader.Next()) {
//     absl::Span<const absl::string_view> f = reader.fields();
//     ... reader.line() ...
//   }
//   AISLE_RETURN_IF_ERROR(reader.status());
//
// Not thread-safe (one reader per thread); the text must outlive the reader.
#ifndef AISLE_CATALOG_CSV_READER_H_
#define AISLE_CATALOG_CSV_READER_H_

#include <cstddef>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"

namespace aisle::catalog {

struct CsvOptions {
  char delimiter = ',';
};

class CsvReader {
 public:
  // `what` names the text in error messages (usually its file path).
  CsvReader(absl::string_view text, absl::string_view what, CsvOptions options = {});

  CsvReader(const CsvReader&) = delete;
  CsvReader& operator=(const CsvReader&) = delete;

  // Reads the next record. False at the end of the text or on an error
  // (then status() says which).
  bool Next();

  absl::Span<const absl::string_view> fields() const { return fields_; }
  // 1-based line on which the current record starts.
  size_t line() const { return record_line_; }
  const absl::Status& status() const { return status_; }
  absl::string_view what() const { return what_; }

 private:
  struct Piece {
    size_t begin;
    size_t size;
    bool in_scratch;
  };
  bool Fail(size_t line, absl::string_view message);

  absl::string_view text_;
  std::string what_;
  CsvOptions options_;
  size_t pos_ = 0;
  size_t line_ = 1;
  size_t record_line_ = 0;
  std::vector<Piece> pieces_;
  std::vector<absl::string_view> fields_;
  std::string scratch_;
  absl::Status status_;
};

}  // namespace aisle::catalog

#endif  // AISLE_CATALOG_CSV_READER_H_
