// File: aisle/retrieval/interaction.h
//
// Defines the interaction record that co-visitation and popularity learn from
// (one user or session event on one item), an ItemIdMap from external item ids
// to dense ItemIndex values, and a reader for the YooChoose click TSV
// (`SessionId<TAB>ItemId<TAB>Time`, Time in Unix epoch seconds with a
// fraction).
//
//   aisle::retrieval::ItemIdMap ids;  // empty: the reader assigns indices
//   AISLE_ASSIGN_OR_RETURN(
//       std::vector<aisle::retrieval::Interaction> log,
//       aisle::retrieval::ReadYoochooseTsv(path, ids, {.add_unknown_items = true}));
//   // log[k].item is a dense index; ids.ExternalId(log[k].item) is "214536502".
//
// Interaction is a plain value type (thread-compatible). ItemIdMap is
// thread-compatible: concurrent const lookups are safe, Add() needs exclusion.
// The reader functions are thread-safe when each call gets its own map.
#ifndef AISLE_RETRIEVAL_INTERACTION_H_
#define AISLE_RETRIEVAL_INTERACTION_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "aisle/core/ids.h"

namespace aisle::retrieval {

// What the user did. The numeric values index per-type weight tables.
enum class InteractionType : uint8_t {
  kView = 0,
  kClick = 1,
  kAddToCart = 2,
  kPurchase = 3,
};
inline constexpr int kNumInteractionTypes = 4;

// Stable lowercase name ("view", "click", "add_to_cart", "purchase").
absl::string_view InteractionTypeName(InteractionType type);

// One event. `session` is whatever key groups events for co-visitation: a
// session id, or a user id for user-level co-occurrence.
struct Interaction {
  uint64_t session = 0;
  ItemIndex item = kInvalidItem;
  int64_t time_micros = 0;  // Unix epoch microseconds
  InteractionType type = InteractionType::kClick;
};

// External item id (string) <-> dense ItemIndex. Indices are assigned in
// insertion order, 0..size()-1.
//
// Thread-compatible.
class ItemIdMap {
 public:
  ItemIdMap() = default;

  // Index of `external_id`, adding it when new.
  ItemIndex Add(absl::string_view external_id);
  // kInvalidItem when unknown.
  ItemIndex Find(absl::string_view external_id) const;
  // The external id of `index`; empty when out of range.
  absl::string_view ExternalId(ItemIndex index) const;
  size_t size() const { return external_.size(); }

 private:
  absl::flat_hash_map<std::string, ItemIndex> index_;
  std::vector<std::string> external_;
};

struct YoochooseReadOptions {
  // When true, unseen item ids are added to the map; when false an unseen
  // item id is a NotFound error naming the file, line and id (use this with a
  // map built from the catalog).
  bool add_unknown_items = true;
  // Type given to every row (YooChoose clicks carry no type).
  InteractionType type = InteractionType::kClick;
};

// Parses YooChoose TSV text. A first line starting with "SessionId" is a
// header and skipped; blank lines are skipped (a trailing newline is fine).
// A malformed line (wrong number of fields, non-numeric session or time,
// empty item id, negative time) is InvalidArgument "<what>:<line>: ...". An
// ItemId that breaks the id rule (docs/catalog.md: UTF-8 text without control
// characters, at most 1024 bytes) or a Time outside [1900, 2400) is
// InvalidArgument "<what>:<line>: field 'ItemId'" / "field 'Time'".
absl::StatusOr<std::vector<Interaction>> ParseYoochooseTsv(
    absl::string_view text, absl::string_view what, ItemIdMap& ids,
    const YoochooseReadOptions& options = {});

// Reads and parses the file at `path` (NotFound when it is missing).
absl::StatusOr<std::vector<Interaction>> ReadYoochooseTsv(absl::string_view path, ItemIdMap& ids,
                                                          const YoochooseReadOptions& options = {});

}  // namespace aisle::retrieval

#endif  // AISLE_RETRIEVAL_INTERACTION_H_
