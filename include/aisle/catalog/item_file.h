// File: aisle/catalog/item_file.h
//
// Reading items from CSV and JSONL files into a CatalogBuilder, and loading
// a whole Catalog (items plus an optional embeddings file) in one call.
//
// CSV: a header row, then one item per row (RFC 4180; see csv_reader.h).
//   id           required  external item id (the id rule: docs/catalog.md)
//   price        required  float >= 0
//   stock        required  int32
//   category     optional  "Electronics>Audio>Headphones"; empty = none
//   brand        optional  empty = none
//   title        optional
//   launch_time  optional  unix seconds ("1700000000", "1700000000.25") or
//                          RFC 3339 ("2024-03-01T12:00:00Z") in [1900, 2400);
//                          empty or -9223372036854775808 = unknown
//   any other column is an attribute named after the column; an empty cell
//   means the item does not have that attribute.
//
// JSONL: one JSON object per line (blank lines skipped), keys as above plus
//   "category" may also be an array of levels ["Electronics", "Audio"],
//   "attributes": {"color": "black", "size": 42} (strings, numbers, booleans),
//   "embedding": [0.1, 0.2, ...] (optional; the builder's dimension).
//   "id" may be a string or an integer. Unknown keys are errors unless
//   ItemFileOptions::ignore_unknown_fields.
//
// Every error is InvalidArgument (NotFound for a missing file) and names the
// file, the line and the field: "items.csv:7: field 'price': cannot parse
// 'abc' as a number (not a number)", "items.csv:9: field 'id': id 'a\x00b'
// has control character 0x00 (NUL) at byte 1; ...". JSONL syntax errors give
// line:column and the byte offset in the file. Errors from the builder
// (duplicate id, ...) are prefixed with file and line.
//
//   aisle::catalog::CatalogBuilder builder;
//   AISLE_RETURN_IF_ERROR(aisle::catalog::AddItemsFromCsvFile("items.csv", builder));
//   // or, items and embeddings in one go:
//   AISLE_ASSIGN_OR_RETURN(aisle::catalog::Catalog catalog,
//                          aisle::catalog::LoadCatalog("items.csv", {.embeddings_path =
//                                                                        "items.npy"}));
//
// Thread-safe (no shared state); the builder passed in is not.
#ifndef AISLE_CATALOG_ITEM_FILE_H_
#define AISLE_CATALOG_ITEM_FILE_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "aisle/catalog/catalog.h"
#include "aisle/catalog/catalog_builder.h"

namespace aisle::catalog {

struct ItemFileOptions {
  // CSV field delimiter.
  char delimiter = ',';
  // JSONL: skip keys this reader does not know instead of failing.
  bool ignore_unknown_fields = false;
  // LoadCatalog only: the builder's options.
  CatalogBuilderOptions builder{};
  // LoadCatalog only: a .npy or AISLEEMB file (see embedding_file.h) whose
  // rows are attached to the items; empty = none (or embeddings in JSONL).
  std::string embeddings_path{};
};

// Parses CSV `text` (named `what` in errors) and adds every row.
absl::Status AddItemsFromCsv(absl::string_view text, absl::string_view what,
                             CatalogBuilder& builder, const ItemFileOptions& options = {});
absl::Status AddItemsFromCsvFile(absl::string_view path, CatalogBuilder& builder,
                                 const ItemFileOptions& options = {});

// Parses JSONL `text` (named `what` in errors) and adds every line.
absl::Status AddItemsFromJsonl(absl::string_view text, absl::string_view what,
                               CatalogBuilder& builder, const ItemFileOptions& options = {});
absl::Status AddItemsFromJsonlFile(absl::string_view path, CatalogBuilder& builder,
                                   const ItemFileOptions& options = {});

// Items from `items_path` (".csv", or ".jsonl"/".ndjson"), embeddings from
// options.embeddings_path when set, then Build(). InvalidArgument for an
// unknown extension.
absl::StatusOr<Catalog> LoadCatalog(absl::string_view items_path,
                                    const ItemFileOptions& options = {});

}  // namespace aisle::catalog

#endif  // AISLE_CATALOG_ITEM_FILE_H_
