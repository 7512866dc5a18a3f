#include "aisle/catalog/item_file.h"

#include <charconv>
#include <cmath>
#include <cstdint>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/time/time.h"
#include "aisle/catalog/csv_reader.h"
#include "aisle/catalog/embedding_file.h"
#include "aisle/core/event_time.h"
#include "aisle/core/external_id.h"
#include "aisle/core/file.h"
#include "aisle/core/status_macros.h"
#include "core/json_diagnostics.h"
#include "nlohmann/json.hpp"
#include "read_whole_file.h"

namespace aisle::catalog {
namespace {

using Json = nlohmann::json;

enum Column : int { kId, kCategory, kBrand, kTitle, kPrice, kStock, kLaunchTime, kNumKnown };
constexpr absl::string_view kColumnNames[kNumKnown] = {"id",    "category", "brand",      "title",
                                                       "price", "stock",    "launch_time"};

absl::Status FieldError(absl::string_view what, size_t line, absl::string_view field,
                        absl::string_view message) {
  return absl::InvalidArgumentError(
      absl::StrCat(what, ":", line, ": field '", field, "': ", message));
}

// Prefixes a builder error with file and line, keeping its code.
absl::Status AtLine(const absl::Status& s, absl::string_view what, size_t line) {
  return absl::Status(s.code(), absl::StrCat(what, ":", line, ": ", s.message()));
}

// Parses a whole cell as a float or int32; on failure `why` says whether the
// text is not a number or a number out of the type's range.
template <typename T>
bool ParseNumber(absl::string_view s, T& out, const char*& why) {
  s = absl::StripAsciiWhitespace(s);
  why = "not a number";
  if (s.empty()) return false;
  if (s.front() == '+') s.remove_prefix(1);
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  if (ec == std::errc::result_out_of_range && ptr == s.data() + s.size()) {
    why = std::is_same_v<T, float> ? "out of range for a float" : "out of range for int32";
    return false;
  }
  return ec == std::errc() && ptr == s.data() + s.size();
}

// Checks an id cell against the id rule (docs/catalog.md).
absl::Status CheckIdField(absl::string_view id, absl::string_view what, size_t line) {
  return CheckExternalId(id, absl::StrCat(what, ":", line, ": field 'id'"));
}

// A launch time read from a file: unknown, or a sane time.
absl::Status CheckLaunchTime(absl::Time t, absl::string_view text, absl::string_view what,
                             size_t line) {
  if (t == absl::InfinitePast()) return absl::OkStatus();
  absl::Status s = CheckTime(t, absl::StrCat(what, ":", line, ": field 'launch_time'"));
  if (s.ok()) return s;
  return absl::InvalidArgumentError(absl::StrCat(
      s.message(), " (written as '", text.substr(0, 40),
      "'; leave the field empty, or write -9223372036854775808, for an unknown launch time)"));
}

// INT64_MIN, aisle's "no time" value, as an integer in a file.
constexpr absl::string_view kUnknownTimeText = "-9223372036854775808";

// Unix seconds (integer or decimal) or RFC 3339. Empty (or INT64_MIN) = unknown.
bool ParseLaunchTime(absl::string_view s, absl::Time& out, std::string& err) {
  s = absl::StripAsciiWhitespace(s);
  if (s.empty() || s == kUnknownTimeText) {
    out = absl::InfinitePast();
    return true;
  }
  const bool numeric = s.find_first_not_of("+-0123456789.") == absl::string_view::npos;
  if (numeric) {
    absl::string_view t = s;
    if (t.front() == '+') t.remove_prefix(1);
    const size_t dot = t.find('.');
    int64_t secs = 0;
    const absl::string_view whole = t.substr(0, dot);
    auto [ptr, ec] = std::from_chars(whole.data(), whole.data() + whole.size(), secs);
    if (whole.empty() || ec != std::errc() || ptr != whole.data() + whole.size()) {
      err = "not a number of seconds";
      return false;
    }
    int64_t micros = 0;
    if (dot != absl::string_view::npos) {
      absl::string_view frac = t.substr(dot + 1);
      if (frac.empty() || frac.find_first_not_of("0123456789") != absl::string_view::npos) {
        err = "bad fraction";
        return false;
      }
      int64_t scale = 100000;
      for (size_t k = 0; k < frac.size() && scale > 0; ++k, scale /= 10) {
        micros += (frac[k] - '0') * scale;
      }
      if (whole.front() == '-') micros = -micros;
    }
    out = absl::FromUnixSeconds(secs) + absl::Microseconds(micros);
    return true;
  }
  return absl::ParseTime(absl::RFC3339_full, std::string(s), &out, &err);
}

// Narrows a JSON number to float; false when it is outside float's range
// (instead of undefined behaviour).
bool ToFloat(const Json& v, float& out) {
  const double d = v.get<double>();
  if (!(d >= -3.4028234663852886e38 && d <= 3.4028234663852886e38)) return false;
  out = static_cast<float>(d);
  return true;
}

}  // namespace

absl::Status AddItemsFromCsv(absl::string_view text, absl::string_view what,
                             CatalogBuilder& builder, const ItemFileOptions& options) {
  CsvReader reader(text, what, {.delimiter = options.delimiter});
  if (!reader.Next()) {
    AISLE_RETURN_IF_ERROR(reader.status());
    return absl::InvalidArgumentError(absl::StrCat(what, ": empty file, expected a header row"));
  }
  int known[kNumKnown];
  for (int& k : known) k = -1;
  std::vector<std::string> header;
  std::vector<std::pair<size_t, std::string>> attr_columns;
  for (size_t c = 0; c < reader.fields().size(); ++c) {
    const std::string name(absl::StripAsciiWhitespace(reader.fields()[c]));
    if (name.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat(what, ":", reader.line(), ": header column ", c + 1, " has no name"));
    }
    for (const std::string& h : header) {
      if (h == name) {
        return absl::InvalidArgumentError(
            absl::StrCat(what, ":", reader.line(), ": header repeats column '", name, "'"));
      }
    }
    header.push_back(name);
    bool is_known = false;
    for (int k = 0; k < kNumKnown; ++k) {
      if (name == kColumnNames[k]) {
        known[k] = static_cast<int>(c);
        is_known = true;
      }
    }
    if (!is_known) attr_columns.emplace_back(c, name);
  }
  for (int k : {kId, kPrice, kStock}) {
    if (known[k] < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat(what, ":", reader.line(), ": header has no '", kColumnNames[k], "' column"));
    }
  }
  const size_t columns = header.size();
  std::vector<ItemAttribute> attrs;
  attrs.reserve(attr_columns.size());
  std::string err;
  while (reader.Next()) {
    const absl::Span<const absl::string_view> f = reader.fields();
    const size_t line = reader.line();
    if (f.size() != columns) {
      return absl::InvalidArgumentError(absl::StrCat(what, ":", line, ": expected ", columns,
                                                     " fields as in the header, got ", f.size()));
    }
    ItemSpec item;
    item.id = f[known[kId]];
    AISLE_RETURN_IF_ERROR(CheckIdField(item.id, what, line));
    const char* why = "";
    if (!ParseNumber(f[known[kPrice]], item.price, why)) {
      return FieldError(what, line, "price",
                        absl::StrCat("cannot parse '", PrintableId(f[known[kPrice]]),
                                     "' as a number (", why, ")"));
    }
    if (!ParseNumber(f[known[kStock]], item.stock, why)) {
      return FieldError(what, line, "stock",
                        absl::StrCat("cannot parse '", PrintableId(f[known[kStock]]),
                                     "' as a 32-bit integer (", why, ")"));
    }
    if (known[kCategory] >= 0) item.category = f[known[kCategory]];
    if (known[kBrand] >= 0) item.brand = absl::StripAsciiWhitespace(f[known[kBrand]]);
    if (known[kTitle] >= 0) item.title = f[known[kTitle]];
    if (known[kLaunchTime] >= 0) {
      if (!ParseLaunchTime(f[known[kLaunchTime]], item.launch_time, err)) {
        return FieldError(what, line, "launch_time",
                          absl::StrCat("cannot parse '", PrintableId(f[known[kLaunchTime]]),
                                       "' as unix seconds or RFC 3339 (", err, ")"));
      }
      AISLE_RETURN_IF_ERROR(CheckLaunchTime(item.launch_time, f[known[kLaunchTime]], what, line));
    }
    attrs.clear();
    for (const auto& [c, name] : attr_columns) {
      if (!f[c].empty()) attrs.push_back({name, f[c]});
    }
    item.attributes = attrs;
    const absl::Status s = builder.AddItem(item);
    if (!s.ok()) return AtLine(s, what, line);
  }
  return reader.status();
}

absl::Status AddItemsFromCsvFile(absl::string_view path, CatalogBuilder& builder,
                                 const ItemFileOptions& options) {
  AISLE_ASSIGN_OR_RETURN(std::string text, internal::ReadWholeFile(path));
  return AddItemsFromCsv(text, path, builder, options);
}

absl::Status AddItemsFromJsonl(absl::string_view text, absl::string_view what,
                               CatalogBuilder& builder, const ItemFileOptions& options) {
  std::vector<absl::string_view> levels;
  std::vector<std::string> attr_strings;
  std::vector<ItemAttribute> attrs;
  std::vector<float> embedding;
  std::string id_string, err;
  size_t line = 0;
  size_t pos = 0;
  while (pos < text.size()) {
    ++line;
    size_t end = text.find('\n', pos);
    if (end == absl::string_view::npos) end = text.size();
    const absl::string_view whole = text.substr(pos, end - pos);
    const size_t line_start = pos;
    pos = end + 1;
    if (absl::StripAsciiWhitespace(whole).empty()) continue;
    Json obj = Json::parse(whole.begin(), whole.end(), nullptr, /*allow_exceptions=*/false);
    if (obj.is_discarded()) {
      // "items.jsonl:3:17 (byte 120): price: number 1e999 overflows a double"
      return absl::InvalidArgumentError(::aisle::internal::DescribeJsonParseError(
          whole, what, line, line_start));
    }
    if (!obj.is_object()) {
      return absl::InvalidArgumentError(
          absl::StrCat(what, ":", line, ": expected a JSON object, got ", obj.type_name()));
    }
    ItemSpec item;
    bool has_id = false, has_price = false, has_stock = false;
    std::string overflow_field;  // the first number too large for a float
    levels.clear();
    attr_strings.clear();
    attrs.clear();
    embedding.clear();
    for (auto it = obj.begin(); it != obj.end(); ++it) {
      const std::string& key = it.key();
      const Json& v = it.value();
      if (key == "id") {
        if (v.is_string()) {
          item.id = v.get_ref<const std::string&>();
          AISLE_RETURN_IF_ERROR(CheckIdField(item.id, what, line));
        } else if (v.is_number_integer()) {
          id_string = v.dump();
          item.id = id_string;
        } else {
          return FieldError(what, line, key,
                            absl::StrCat("expected a string or integer, got ", v.type_name()));
        }
        has_id = true;
      } else if (key == "price") {
        if (!v.is_number()) {
          return FieldError(what, line, key, absl::StrCat("expected a number, got ", v.dump()));
        }
        if (!ToFloat(v, item.price) && overflow_field.empty()) overflow_field = key;
        has_price = true;
      } else if (key == "stock") {
        if (!v.is_number_integer() || v.get<int64_t>() < INT32_MIN ||
            v.get<int64_t>() > INT32_MAX) {
          return FieldError(what, line, key,
                            absl::StrCat("expected a 32-bit integer, got ", v.dump()));
        }
        item.stock = static_cast<int32_t>(v.get<int64_t>());
        has_stock = true;
      } else if (key == "category") {
        if (v.is_string()) {
          item.category = v.get_ref<const std::string&>();
        } else if (v.is_array()) {
          for (const Json& level : v) {
            if (!level.is_string()) {
              return FieldError(
                  what, line, key,
                  absl::StrCat("category levels must be strings, got ", level.dump()));
            }
            levels.push_back(level.get_ref<const std::string&>());
          }
          item.category_path = levels;
        } else if (!v.is_null()) {
          return FieldError(what, line, key,
                            absl::StrCat("expected a string or an array, got ", v.type_name()));
        }
      } else if (key == "brand" || key == "title") {
        if (v.is_string()) {
          (key == "brand" ? item.brand : item.title) = v.get_ref<const std::string&>();
        } else if (!v.is_null()) {
          return FieldError(what, line, key,
                            absl::StrCat("expected a string, got ", v.type_name()));
        }
      } else if (key == "launch_time") {
        if (v.is_number_integer()) {
          // INT64_MIN is aisle's "no time" value: unknown, like null.
          item.launch_time = v.is_number_unsigned() || v.get<int64_t>() != INT64_MIN
                                 ? absl::FromUnixSeconds(v.get<int64_t>())
                                 : absl::InfinitePast();
          if (v.is_number_unsigned() && v.get<uint64_t>() > uint64_t{INT64_MAX}) {
            item.launch_time = absl::InfiniteFuture();
          }
        } else if (v.is_number()) {
          const double secs = v.get<double>();
          if (!(std::fabs(secs) < 9.2e12)) {
            return FieldError(what, line, key,
                              absl::StrCat("unix seconds ", v.dump(), " out of range"));
          }
          item.launch_time = absl::FromUnixMicros(std::llround(secs * 1e6));
        } else if (v.is_string()) {
          if (!ParseLaunchTime(v.get_ref<const std::string&>(), item.launch_time, err)) {
            return FieldError(what, line, key,
                              absl::StrCat("cannot parse ", v.dump(),
                                           " as unix seconds or RFC 3339 (", err, ")"));
          }
        } else if (!v.is_null()) {
          return FieldError(what, line, key,
                            absl::StrCat("expected a number or a string, got ", v.type_name()));
        }
        AISLE_RETURN_IF_ERROR(CheckLaunchTime(item.launch_time, v.dump(), what, line));
      } else if (key == "attributes") {
        if (v.is_null()) continue;
        if (!v.is_object()) {
          return FieldError(what, line, key,
                            absl::StrCat("expected an object, got ", v.type_name()));
        }
        // Convert first, then take views: attr_strings must not reallocate after.
        attr_strings.reserve(v.size());
        for (auto a = v.begin(); a != v.end(); ++a) {
          const Json& av = a.value();
          if (av.is_string()) {
            attr_strings.push_back(av.get<std::string>());
          } else if (av.is_number() || av.is_boolean()) {
            attr_strings.push_back(av.dump());
          } else if (av.is_null()) {
            attr_strings.emplace_back();
          } else {
            return FieldError(
                what, line, absl::StrCat("attributes.", a.key()),
                absl::StrCat("expected a string, number or boolean, got ", av.type_name()));
          }
        }
        size_t k = 0;
        for (auto a = v.begin(); a != v.end(); ++a, ++k) {
          if (!attr_strings[k].empty()) attrs.push_back({a.key(), attr_strings[k]});
        }
        item.attributes = attrs;
      } else if (key == "embedding") {
        if (v.is_null()) continue;
        if (!v.is_array()) {
          return FieldError(what, line, key,
                            absl::StrCat("expected an array of numbers, got ", v.type_name()));
        }
        embedding.reserve(v.size());
        for (size_t d = 0; d < v.size(); ++d) {
          if (!v[d].is_number()) {
            return FieldError(what, line, absl::StrCat("embedding[", d, "]"),
                              absl::StrCat("expected a number, got ", v[d].dump()));
          }
          float x = 0.0f;
          if (!ToFloat(v[d], x) && overflow_field.empty()) {
            overflow_field = absl::StrCat("embedding[", d, "]");
          }
          embedding.push_back(x);
        }
        item.embedding = embedding;
      } else if (!options.ignore_unknown_fields) {
        return FieldError(what, line, key, "unknown field (put extra fields under \"attributes\")");
      }
    }
    if (!has_id) return FieldError(what, line, "id", "missing");
    if (!has_price) return FieldError(what, line, "price", "missing");
    if (!has_stock) return FieldError(what, line, "stock", "missing");
    if (!overflow_field.empty()) {
      // Named once the item's id is known: "items.jsonl:3: item 'a': field
      // 'embedding[0]': 1e300 is out of range for a float".
      const size_t at = ::aisle::internal::LocateJsonValue(whole, overflow_field);
      return absl::InvalidArgumentError(absl::StrCat(
          what, ":", line, ": item '", item.id, "': field '", overflow_field, "': ",
          at == std::string::npos ? "value" : ::aisle::internal::JsonTokenAt(whole, at),
          " is out of range for a float"));
    }
    const absl::Status s = builder.AddItem(item);
    if (!s.ok()) return AtLine(s, what, line);
  }
  return absl::OkStatus();
}

absl::Status AddItemsFromJsonlFile(absl::string_view path, CatalogBuilder& builder,
                                   const ItemFileOptions& options) {
  AISLE_ASSIGN_OR_RETURN(std::string text, internal::ReadWholeFile(path));
  return AddItemsFromJsonl(text, path, builder, options);
}

absl::StatusOr<Catalog> LoadCatalog(absl::string_view items_path, const ItemFileOptions& options) {
  CatalogBuilder builder(options.builder);
  if (absl::EndsWith(items_path, ".csv")) {
    AISLE_RETURN_IF_ERROR(AddItemsFromCsvFile(items_path, builder, options));
  } else if (absl::EndsWith(items_path, ".jsonl") || absl::EndsWith(items_path, ".ndjson")) {
    AISLE_RETURN_IF_ERROR(AddItemsFromJsonlFile(items_path, builder, options));
  } else {
    return absl::InvalidArgumentError(
        absl::StrCat(items_path, ": unknown items file type (expected .csv, .jsonl or .ndjson)"));
  }
  if (!options.embeddings_path.empty()) {
    AISLE_ASSIGN_OR_RETURN(EmbeddingMatrix m, ReadEmbeddingFile(options.embeddings_path));
    const absl::Status s = builder.AttachEmbeddings(std::move(m));
    if (!s.ok()) {
      return absl::Status(s.code(), absl::StrCat(options.embeddings_path, ": ", s.message()));
    }
  }
  absl::StatusOr<Catalog> catalog = builder.Build();
  if (!catalog.ok() && !options.embeddings_path.empty()) {
    return absl::Status(
        catalog.status().code(),
        absl::StrCat(items_path, " + ", options.embeddings_path, ": ", catalog.status().message()));
  }
  return catalog;
}

}  // namespace aisle::catalog
