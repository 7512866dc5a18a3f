// File: aisle/policy/business_rules.h
//
// Business rules over a ranked list whose scores are already set: pin an item
// to a position; boost or bury by item, by category (with its subtree) or by
// an attribute set (an ItemBitset the caller resolves, e.g. "brand = Acme");
// and campaigns: named rule sets active only inside [start, end).
//
//   aisle::policy::RuleSetBuilder b(aisle::policy::RuleCatalog{
//       .num_items = n, .categories = view, .resolve_item = by_sku});
//   b.AddPin({.name = "hero", .item = aisle::policy::ItemRef::Id("sku-1"), .position = 0});
//   b.AddAdjust(aisle::policy::AdjustRule::Category("bury-refurb", refurb,
//                                                    aisle::policy::AdjustMode::kMultiply, 0.5f));
//   b.AddCampaign({.name = "black-friday", .start = bf_start, .end = bf_end,
//                  .adjust = {aisle::policy::AdjustRule::Attribute(
//                      "acme+", acme_items, aisle::policy::AdjustMode::kAdd, 0.2f)}});
//   absl::StatusOr<std::shared_ptr<const aisle::policy::RuleSet>> rules = std::move(b).Build();
//   // per request: boosts/buries, then diversify and explore, then pins last.
//   aisle::policy::RuleReport report;
//   (*rules)->ApplyAdjustments({.now = now}, candidates, &report);
//   ...
//   (*rules)->ApplyPins({.now = now, .inventory = &inv}, /*k=*/20, candidates, &report);
//
// Semantics (see docs/policy.md for the full table):
// - Adjustments: score' = score * (product of active multipliers) + (sum of
//   active additions); then the list is re-sorted by ByScoreDesc. Multipliers
//   must be finite and >= 0 (a bury is a multiplier < 1 or a negative
//   addition); with negative model scores prefer additive rules.
// - Precedence: active campaigns in the order they were added, then the base
//   rules. Adjustments all compose; pins conflict and the earlier scope wins.
// - Pins (0-based positions), applied last, truncating the list to k:
//   * position >= k: skipped (kPinSkippedBeyondK);
//   * position beyond the list but < k: the item goes to the end;
//   * the same item pinned twice, or two items on one slot: rejected at Build
//     when in the same scope; across scopes the higher-precedence pin wins and
//     the other is skipped (kPinSkippedOverridden);
//   * a pinned item not in the list (filtered out or never retrieved) is not
//     resurrected (kPinSkippedNotCandidate) unless the pin says `force` and a
//     LiveInventory is given and the item is in stock there (kForcedPin); a
//     forced item takes the score of the slot it lands on.
// - A rule naming an unknown item or category fails Build with NotFound
//   naming the rule and the item.
//
// RuleSetBuilder is not thread-safe. RuleSet is immutable: thread-safe.
#ifndef AISLE_POLICY_BUSINESS_RULES_H_
#define AISLE_POLICY_BUSINESS_RULES_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "aisle/core/candidate.h"
#include "aisle/core/ids.h"
#include "aisle/core/item_bitset.h"
#include "aisle/policy/category_view.h"
#include "aisle/policy/live_inventory.h"

namespace aisle::policy {

// An item named either by dense index or by external id (resolved at Build).
struct ItemRef {
  ItemIndex index = kInvalidItem;
  std::string id = {};
  static ItemRef Index(ItemIndex i) { return {i, {}}; }
  static ItemRef Id(std::string external_id) { return {kInvalidItem, std::move(external_id)}; }
};

// A category named either by dense index or by external id.
struct CategoryRef {
  CategoryIndex index = kInvalidCategory;
  std::string id = {};
  static CategoryRef Index(CategoryIndex c) { return {c, {}}; }
  static CategoryRef Id(std::string external_id) {
    return {kInvalidCategory, std::move(external_id)};
  }
};

// What the builder validates rules against.
struct RuleCatalog {
  size_t num_items = 0;
  // Needed for category rules; may be empty otherwise.
  CategoryView categories = {};
  // Needed for ItemRef::Id / CategoryRef::Id; nullopt = unknown id.
  std::function<std::optional<ItemIndex>(absl::string_view)> resolve_item = {};
  std::function<std::optional<CategoryIndex>(absl::string_view)> resolve_category = {};
};

enum class AdjustMode : uint8_t { kMultiply, kAdd };

struct PinRule {
  std::string name = {};  // empty: "pin#<rule id>"
  ItemRef item = {};
  uint32_t position = 0;  // 0-based
  bool force = false;     // resurrect when absent but in stock
};

struct AdjustRule {
  enum class Target : uint8_t { kItem, kCategory, kAttribute };
  std::string name = {};  // empty: "adjust#<rule id>"
  Target target = Target::kItem;
  ItemRef item = {};
  CategoryRef category = {};                         // whole subtree
  std::shared_ptr<const ItemBitset> attribute = {};  // size must equal num_items
  AdjustMode mode = AdjustMode::kMultiply;
  float value = 1.0f;

  static AdjustRule Item(std::string name, ItemRef item, AdjustMode mode, float value);
  static AdjustRule Category(std::string name, CategoryRef category, AdjustMode mode, float value);
  static AdjustRule Attribute(std::string name, std::shared_ptr<const ItemBitset> items,
                              AdjustMode mode, float value);
};

struct Campaign {
  std::string name = {};
  absl::Time start = {};  // inclusive
  absl::Time end = {};    // exclusive
  std::vector<PinRule> pins = {};
  std::vector<AdjustRule> adjust = {};
};

enum class RuleEffect : uint8_t {
  kAdjusted,                // count = candidates whose score the rule changed
  kPinned,                  // count = 1
  kForcedPin,               // resurrected and pinned
  kPinSkippedBeyondK,       // position >= k
  kPinSkippedNotCandidate,  // not in the list and not forced
  kPinSkippedOutOfStock,    // forced but not in stock (or no inventory given)
  kPinSkippedOverridden,    // item or slot taken by a higher-precedence pin
};

struct RuleFiring {
  uint32_t rule = 0;  // RuleSet::rule_name(rule)
  RuleEffect effect = RuleEffect::kAdjusted;
  uint32_t count = 0;
};

// Which rules fired in one request. Reuse across requests (Clear keeps
// capacity).
struct RuleReport {
  std::vector<RuleFiring> fired = {};
  void Clear() { fired.clear(); }
};

struct RuleContext {
  absl::Time now = absl::UnixEpoch();
  // For forced pins; nullptr = forced pins are never resurrected.
  const LiveInventory* inventory = nullptr;
  int32_t reserve = 0;
};

class RuleSet {
 public:
  // Boosts and buries of the base rules and every campaign active at
  // context.now, then a re-sort by ByScoreDesc (only if a score changed).
  // Appends kAdjusted firings to *report (if not null).
  void ApplyAdjustments(const RuleContext& context, std::vector<Candidate>& ranked,
                        RuleReport* report) const;

  // Places the active pins, then truncates the list to k. Appends one firing
  // per active pin to *report (if not null).
  void ApplyPins(const RuleContext& context, size_t k, std::vector<Candidate>& ranked,
                 RuleReport* report) const;

  // ApplyAdjustments then ApplyPins, for pipelines without diversification.
  void Apply(const RuleContext& context, size_t k, std::vector<Candidate>& ranked,
             RuleReport* report) const {
    ApplyAdjustments(context, ranked, report);
    ApplyPins(context, k, ranked, report);
  }

  size_t num_rules() const { return names_.size(); }
  absl::string_view rule_name(uint32_t rule) const { return names_[rule]; }
  // Names of the campaigns active at `now`, in precedence order.
  std::vector<std::string> ActiveCampaigns(absl::Time now) const;

 private:
  friend class RuleSetBuilder;
  struct Scope {
    std::string name;  // "" for the base rules
    absl::Time start = absl::InfinitePast();
    absl::Time end = absl::InfiniteFuture();
    bool Active(absl::Time now) const { return start <= now && now < end; }
  };
  struct CompiledAdjust {
    uint32_t rule;
    uint32_t scope;
    AdjustRule::Target target;
    ItemIndex item;
    ItemBitset category_closure;  // over categories
    std::shared_ptr<const ItemBitset> attribute;
    AdjustMode mode;
    float value;
  };
  struct CompiledPin {
    uint32_t rule;
    uint32_t scope;
    ItemIndex item;
    uint32_t position;
    bool force;
  };

  CategoryView categories_;
  std::vector<std::string> names_;
  std::vector<Scope> scopes_;           // precedence order: campaigns, then base (last)
  std::vector<CompiledAdjust> adjust_;  // non-item adjustments
  std::vector<CompiledAdjust> item_adjust_;
  absl::flat_hash_map<ItemIndex, std::vector<uint32_t>> item_adjust_by_item_;  // -> item_adjust_
  std::vector<CompiledPin> pins_;  // sorted by scope precedence, then declaration
};

class RuleSetBuilder {
 public:
  explicit RuleSetBuilder(RuleCatalog catalog) : catalog_(std::move(catalog)) {}

  RuleSetBuilder& AddPin(PinRule pin);
  RuleSetBuilder& AddAdjust(AdjustRule rule);
  RuleSetBuilder& AddCampaign(Campaign campaign);

  // NotFound for an unknown item/category (naming the rule and the id or
  // index), InvalidArgument for a non-finite or negative multiplier, an empty
  // or inverted campaign window, a missing or mis-sized attribute set,
  // duplicate pins within one scope, or duplicate campaign names.
  absl::StatusOr<std::shared_ptr<const RuleSet>> Build() &&;

 private:
  RuleCatalog catalog_;
  std::vector<PinRule> pins_;
  std::vector<AdjustRule> adjust_;
  std::vector<Campaign> campaigns_;
};

}  // namespace aisle::policy

#endif  // AISLE_POLICY_BUSINESS_RULES_H_
