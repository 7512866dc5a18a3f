#include "aisle/retrieval/interaction.h"

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "aisle/core/event_time.h"
#include "aisle/core/external_id.h"
#include "aisle/core/file.h"
#include "aisle/core/status_macros.h"

namespace aisle::retrieval {

absl::string_view InteractionTypeName(InteractionType type) {
  switch (type) {
    case InteractionType::kView:
      return "view";
    case InteractionType::kClick:
      return "click";
    case InteractionType::kAddToCart:
      return "add_to_cart";
    case InteractionType::kPurchase:
      return "purchase";
  }
  return "unknown";
}

ItemIndex ItemIdMap::Add(absl::string_view external_id) {
  auto [it, inserted] =
      index_.try_emplace(std::string(external_id), static_cast<ItemIndex>(external_.size()));
  if (inserted) external_.emplace_back(external_id);
  return it->second;
}

ItemIndex ItemIdMap::Find(absl::string_view external_id) const {
  auto it = index_.find(external_id);
  return it == index_.end() ? kInvalidItem : it->second;
}

absl::string_view ItemIdMap::ExternalId(ItemIndex index) const {
  return index < external_.size() ? absl::string_view(external_[index]) : absl::string_view();
}

namespace {

// Parses "<digits>[.<digits>]" seconds into microseconds without going through
// a double, so 1396860669.277 is exactly 1396860669277000.
bool ParseEpochSecondsToMicros(absl::string_view s, int64_t& out) {
  if (s.empty()) return false;
  int64_t secs = 0;
  size_t i = 0;
  for (; i < s.size() && s[i] != '.'; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    if (secs > (int64_t{1} << 40)) return false;  // absurdly far future: overflow guard
    secs = secs * 10 + (s[i] - '0');
  }
  if (i == 0) return false;
  int64_t frac = 0;
  int digits = 0;
  if (i < s.size()) {  // s[i] == '.'
    ++i;
    if (i == s.size()) return false;
    for (; i < s.size(); ++i) {
      if (s[i] < '0' || s[i] > '9') return false;
      if (digits < 6) {
        frac = frac * 10 + (s[i] - '0');
        ++digits;
      }
    }
  }
  for (; digits < 6; ++digits) frac *= 10;
  out = secs * 1000000 + frac;
  return true;
}

}  // namespace

absl::StatusOr<std::vector<Interaction>> ParseYoochooseTsv(absl::string_view text,
                                                           absl::string_view what, ItemIdMap& ids,
                                                           const YoochooseReadOptions& options) {
  std::vector<Interaction> out;
  out.reserve(text.size() / 32);
  size_t pos = 0;
  size_t line_no = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == absl::string_view::npos) end = text.size();
    absl::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) continue;
    if (line_no == 1 && line.substr(0, 9) == "SessionId") continue;

    const size_t t1 = line.find('\t');
    const size_t t2 = t1 == absl::string_view::npos ? t1 : line.find('\t', t1 + 1);
    if (t2 == absl::string_view::npos || line.find('\t', t2 + 1) != absl::string_view::npos) {
      return absl::InvalidArgumentError(
          absl::StrCat(what, ":", line_no, ": expected 3 tab-separated fields ",
                       "(SessionId, ItemId, Time), got \"", line.substr(0, 80), "\""));
    }
    const absl::string_view session_s = line.substr(0, t1);
    const absl::string_view item_s = line.substr(t1 + 1, t2 - t1 - 1);
    const absl::string_view time_s = line.substr(t2 + 1);
    Interaction rec;
    rec.type = options.type;
    if (!absl::SimpleAtoi(session_s, &rec.session)) {
      return absl::InvalidArgumentError(absl::StrCat(what, ":", line_no, ": SessionId \"",
                                                     PrintableId(session_s),
                                                     "\" is not an unsigned integer"));
    }
    if (item_s.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(what, ":", line_no, ": empty ItemId"));
    }
    // Item ids follow the catalog's id rule (docs/catalog.md).
    AISLE_RETURN_IF_ERROR(
        CheckExternalId(item_s, absl::StrCat(what, ":", line_no, ": field 'ItemId'")));
    if (!ParseEpochSecondsToMicros(time_s, rec.time_micros)) {
      return absl::InvalidArgumentError(
          absl::StrCat(what, ":", line_no, ": Time \"", PrintableId(time_s),
                       "\" is not non-negative epoch seconds (e.g. 1396860669.277)"));
    }
    AISLE_RETURN_IF_ERROR(CheckTimeMicros(
        rec.time_micros, absl::StrCat(what, ":", line_no, ": field 'Time' (\"", time_s, "\")")));
    if (options.add_unknown_items) {
      if (ids.size() >= size_t{kInvalidItem} && ids.Find(item_s) == kInvalidItem) {
        return absl::ResourceExhaustedError(
            absl::StrCat(what, ":", line_no, ": ItemId \"", item_s,
                         "\" would be item index 2^32-1, past the ItemIndex range"));
      }
      rec.item = ids.Add(item_s);
    } else {
      rec.item = ids.Find(item_s);
      if (rec.item == kInvalidItem) {
        return absl::NotFoundError(
            absl::StrCat(what, ":", line_no, ": unknown ItemId \"", item_s, "\""));
      }
    }
    out.push_back(rec);
  }
  return out;
}

absl::StatusOr<std::vector<Interaction>> ReadYoochooseTsv(absl::string_view path, ItemIdMap& ids,
                                                          const YoochooseReadOptions& options) {
  AISLE_ASSIGN_OR_RETURN(std::string text, ReadFileToString(path));
  return ParseYoochooseTsv(text, path, ids, options);
}

}  // namespace aisle::retrieval
