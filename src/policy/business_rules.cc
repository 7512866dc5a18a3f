#include "aisle/policy/business_rules.h"

#include <algorithm>
#include <cmath>
#include <string>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "aisle/core/external_id.h"

namespace aisle::policy {

AdjustRule AdjustRule::Item(std::string name, ItemRef item, AdjustMode mode, float value) {
  AdjustRule r;
  r.name = std::move(name);
  r.target = Target::kItem;
  r.item = std::move(item);
  r.mode = mode;
  r.value = value;
  return r;
}

AdjustRule AdjustRule::Category(std::string name, CategoryRef category, AdjustMode mode,
                                float value) {
  AdjustRule r;
  r.name = std::move(name);
  r.target = Target::kCategory;
  r.category = std::move(category);
  r.mode = mode;
  r.value = value;
  return r;
}

AdjustRule AdjustRule::Attribute(std::string name, std::shared_ptr<const ItemBitset> items,
                                 AdjustMode mode, float value) {
  AdjustRule r;
  r.name = std::move(name);
  r.target = Target::kAttribute;
  r.attribute = std::move(items);
  r.mode = mode;
  r.value = value;
  return r;
}

RuleSetBuilder& RuleSetBuilder::AddPin(PinRule pin) {
  pins_.push_back(std::move(pin));
  return *this;
}
RuleSetBuilder& RuleSetBuilder::AddAdjust(AdjustRule rule) {
  adjust_.push_back(std::move(rule));
  return *this;
}
RuleSetBuilder& RuleSetBuilder::AddCampaign(Campaign campaign) {
  campaigns_.push_back(std::move(campaign));
  return *this;
}

namespace {

// The item as the rule named it: "item 'sku-2'" or "item index 2".
std::string RefLabel(const ItemRef& ref) {
  if (!ref.id.empty()) return absl::StrCat("item '", PrintableId(ref.id), "'");
  return absl::StrCat("item index ", ref.index == kInvalidItem ? int64_t{-1} : int64_t{ref.index});
}

std::string ScopeLabel(const std::string& campaign) {
  return campaign.empty() ? std::string("base rules") : absl::StrCat("campaign '", campaign, "'");
}

absl::StatusOr<ItemIndex> ResolveItem(const RuleCatalog& cat, const ItemRef& ref,
                                      const std::string& rule) {
  if (!ref.id.empty()) {
    if (!cat.resolve_item) {
      return absl::InvalidArgumentError(absl::StrCat("rule '", rule, "' names item '",
                                                     PrintableId(ref.id),
                                                     "' but no item resolver was given"));
    }
    std::optional<ItemIndex> i = cat.resolve_item(ref.id);
    if (!i.has_value() || *i >= cat.num_items) {
      return absl::NotFoundError(
          absl::StrCat("rule '", rule, "': item '", PrintableId(ref.id), "' is not in the catalog"));
    }
    return *i;
  }
  if (ref.index >= cat.num_items) {
    return absl::NotFoundError(
        absl::StrCat("rule '", rule, "': item index ",
                     ref.index == kInvalidItem ? int64_t{-1} : int64_t{ref.index},
                     " is not in the catalog (", cat.num_items, " items)"));
  }
  return ref.index;
}

absl::StatusOr<CategoryIndex> ResolveCategory(const RuleCatalog& cat, const CategoryRef& ref,
                                              const std::string& rule) {
  const size_t n = cat.categories.num_categories();
  if (!ref.id.empty()) {
    if (!cat.resolve_category) {
      return absl::InvalidArgumentError(absl::StrCat("rule '", rule, "' names category '",
                                                     PrintableId(ref.id),
                                                     "' but no category resolver was given"));
    }
    std::optional<CategoryIndex> c = cat.resolve_category(ref.id);
    if (!c.has_value() || *c >= n) {
      return absl::NotFoundError(
          absl::StrCat("rule '", rule, "': category '", PrintableId(ref.id),
                       "' is not in the category tree"));
    }
    return *c;
  }
  if (ref.index >= n) {
    return absl::NotFoundError(
        absl::StrCat("rule '", rule, "': category index ",
                     ref.index == kInvalidCategory ? int64_t{-1} : int64_t{ref.index},
                     " is not in the category tree (", n, " categories)"));
  }
  return ref.index;
}

}  // namespace

absl::StatusOr<std::shared_ptr<const RuleSet>> RuleSetBuilder::Build() && {
  auto set = std::shared_ptr<RuleSet>(new RuleSet());
  RuleSet& rs = *set;
  rs.categories_ = catalog_.categories;
  bool view_checked = false;

  // Scopes in precedence order: campaigns as added, then the base rules.
  absl::flat_hash_set<std::string> campaign_names;
  for (const Campaign& c : campaigns_) {
    if (c.name.empty()) return absl::InvalidArgumentError("a campaign has an empty name");
    if (!campaign_names.insert(c.name).second) {
      return absl::InvalidArgumentError(absl::StrCat("campaign '", c.name, "' is defined twice"));
    }
    if (!(c.start < c.end)) {
      return absl::InvalidArgumentError(absl::StrCat("campaign '", c.name, "': validity window [",
                                                     absl::FormatTime(c.start), ", ",
                                                     absl::FormatTime(c.end), ") is empty"));
    }
    rs.scopes_.push_back({c.name, c.start, c.end});
  }
  rs.scopes_.push_back({});  // base

  auto add_pins = [&](const std::vector<PinRule>& pins, uint32_t scope) -> absl::Status {
    absl::flat_hash_map<ItemIndex, std::pair<std::string, std::string>> by_item;  // name, label
    absl::flat_hash_map<uint32_t, std::string> by_slot;
    for (const PinRule& p : pins) {
      const uint32_t id = static_cast<uint32_t>(rs.names_.size());
      std::string name = p.name.empty() ? absl::StrCat("pin#", id) : p.name;
      absl::StatusOr<ItemIndex> item = ResolveItem(catalog_, p.item, name);
      if (!item.ok()) return item.status();
      const std::string where = ScopeLabel(rs.scopes_[scope].name);
      if (auto [it, fresh] = by_item.emplace(*item, std::make_pair(name, RefLabel(p.item)));
          !fresh) {
        // Named as each rule named the item (its id when it gave one).
        return absl::InvalidArgumentError(absl::StrCat(
            "pins '", it->second.first, "' (", it->second.second, ") and '", name, "' (",
            RefLabel(p.item), ") pin the same item (item index ", *item, ") in ", where));
      }
      if (auto [it, fresh] = by_slot.emplace(p.position, name); !fresh) {
        return absl::InvalidArgumentError(absl::StrCat("pins '", it->second, "' and '", name,
                                                       "' both use position ", p.position, " in ",
                                                       where));
      }
      rs.pins_.push_back({id, scope, *item, p.position, p.force});
      rs.names_.push_back(std::move(name));
    }
    return absl::OkStatus();
  };

  auto add_adjust = [&](const std::vector<AdjustRule>& rules, uint32_t scope) -> absl::Status {
    for (const AdjustRule& r : rules) {
      const uint32_t id = static_cast<uint32_t>(rs.names_.size());
      std::string name = r.name.empty() ? absl::StrCat("adjust#", id) : r.name;
      if (!std::isfinite(r.value)) {
        return absl::InvalidArgumentError(
            absl::StrCat("rule '", name, "': value ", r.value, " is not finite"));
      }
      if (r.mode == AdjustMode::kMultiply && r.value < 0.0f) {
        return absl::InvalidArgumentError(absl::StrCat("rule '", name, "': multiplier ", r.value,
                                                       " is negative (use kAdd to bury)"));
      }
      RuleSet::CompiledAdjust c{id, scope, r.target, kInvalidItem, {}, nullptr, r.mode, r.value};
      switch (r.target) {
        case AdjustRule::Target::kItem: {
          absl::StatusOr<ItemIndex> item = ResolveItem(catalog_, r.item, name);
          if (!item.ok()) return item.status();
          c.item = *item;
          break;
        }
        case AdjustRule::Target::kCategory: {
          if (!view_checked) {
            if (absl::Status s = catalog_.categories.Validate(); !s.ok()) return s;
            view_checked = true;
          }
          absl::StatusOr<CategoryIndex> cat = ResolveCategory(catalog_, r.category, name);
          if (!cat.ok()) return cat.status();
          const CategoryIndex roots[1] = {*cat};
          c.category_closure = SubtreeClosure(catalog_.categories, roots);
          break;
        }
        case AdjustRule::Target::kAttribute:
          if (r.attribute == nullptr) {
            return absl::InvalidArgumentError(
                absl::StrCat("rule '", name, "': attribute item set is null"));
          }
          if (r.attribute->Size() != catalog_.num_items) {
            return absl::InvalidArgumentError(
                absl::StrCat("rule '", name, "': attribute item set has size ", r.attribute->Size(),
                             ", the catalog has ", catalog_.num_items, " items"));
          }
          c.attribute = r.attribute;
          break;
      }
      if (c.target == AdjustRule::Target::kItem) {
        rs.item_adjust_by_item_[c.item].push_back(static_cast<uint32_t>(rs.item_adjust_.size()));
        rs.item_adjust_.push_back(std::move(c));
      } else {
        rs.adjust_.push_back(std::move(c));
      }
      rs.names_.push_back(std::move(name));
    }
    return absl::OkStatus();
  };

  const uint32_t base = static_cast<uint32_t>(campaigns_.size());
  for (uint32_t s = 0; s < campaigns_.size(); ++s) {
    if (absl::Status st = add_pins(campaigns_[s].pins, s); !st.ok()) return st;
    if (absl::Status st = add_adjust(campaigns_[s].adjust, s); !st.ok()) return st;
  }
  if (absl::Status st = add_pins(pins_, base); !st.ok()) return st;
  if (absl::Status st = add_adjust(adjust_, base); !st.ok()) return st;
  // pins_ were appended in scope order already (campaigns, then base).
  return std::shared_ptr<const RuleSet>(std::move(set));
}

std::vector<std::string> RuleSet::ActiveCampaigns(absl::Time now) const {
  std::vector<std::string> out;
  for (size_t s = 0; s + 1 < scopes_.size(); ++s) {
    if (scopes_[s].Active(now)) out.push_back(scopes_[s].name);
  }
  return out;
}

void RuleSet::ApplyAdjustments(const RuleContext& context, std::vector<Candidate>& ranked,
                               RuleReport* report) const {
  if (adjust_.empty() && item_adjust_.empty()) return;
  thread_local std::vector<uint8_t> active;
  thread_local std::vector<uint32_t> live;  // indices into adjust_ that are active
  thread_local std::vector<uint32_t> hits;  // per rule id
  active.assign(scopes_.size(), 0);
  bool any = false;
  for (size_t s = 0; s < scopes_.size(); ++s) {
    active[s] = scopes_[s].Active(context.now) ? 1 : 0;
  }
  live.clear();
  for (uint32_t i = 0; i < adjust_.size(); ++i) {
    if (active[adjust_[i].scope]) live.push_back(i);
  }
  for (const CompiledAdjust& a : item_adjust_) any = any || active[a.scope];
  if (live.empty() && !any) return;
  hits.assign(names_.size(), 0);

  bool changed = false;
  for (Candidate& c : ranked) {
    float mult = 1.0f;
    float add = 0.0f;
    bool touched = false;
    auto apply = [&](const CompiledAdjust& a) {
      if (a.mode == AdjustMode::kMultiply) {
        mult *= a.value;
      } else {
        add += a.value;
      }
      ++hits[a.rule];
      touched = true;
    };
    if (any) {
      if (auto it = item_adjust_by_item_.find(c.item); it != item_adjust_by_item_.end()) {
        for (uint32_t idx : it->second) {
          if (active[item_adjust_[idx].scope]) apply(item_adjust_[idx]);
        }
      }
    }
    if (!live.empty()) {
      const CategoryIndex cat = categories_.CategoryOf(c.item);
      for (uint32_t idx : live) {
        const CompiledAdjust& a = adjust_[idx];
        const bool match = a.target == AdjustRule::Target::kCategory
                               ? cat != kInvalidCategory && a.category_closure.Test(cat)
                               : a.attribute->Test(c.item);
        if (match) apply(a);
      }
    }
    if (touched) {
      const float next = c.score * mult + add;
      changed = changed || next != c.score;
      c.score = next;
    }
  }
  if (report != nullptr) {
    for (uint32_t r = 0; r < hits.size(); ++r) {
      if (hits[r] > 0) report->fired.push_back({r, RuleEffect::kAdjusted, hits[r]});
    }
  }
  if (changed) std::sort(ranked.begin(), ranked.end(), ByScoreDesc());
}

void RuleSet::ApplyPins(const RuleContext& context, size_t k, std::vector<Candidate>& ranked,
                        RuleReport* report) const {
  struct Accepted {
    uint32_t position;
    Candidate candidate;
    bool forced;
  };
  thread_local std::vector<Accepted> accepted;
  accepted.clear();
  auto fire = [&](uint32_t rule, RuleEffect e) {
    if (report != nullptr) report->fired.push_back({rule, e, 1});
  };
  for (const CompiledPin& p : pins_) {
    if (!scopes_[p.scope].Active(context.now)) continue;
    if (p.position >= k) {
      fire(p.rule, RuleEffect::kPinSkippedBeyondK);
      continue;
    }
    bool taken = false;
    for (const Accepted& a : accepted) {
      taken = taken || a.candidate.item == p.item || a.position == p.position;
    }
    if (taken) {
      fire(p.rule, RuleEffect::kPinSkippedOverridden);
      continue;
    }
    const auto it = std::find_if(ranked.begin(), ranked.end(),
                                 [&](const Candidate& c) { return c.item == p.item; });
    if (it != ranked.end()) {
      accepted.push_back({p.position, *it, false});
      fire(p.rule, RuleEffect::kPinned);
    } else if (!p.force) {
      fire(p.rule, RuleEffect::kPinSkippedNotCandidate);
    } else if (context.inventory != nullptr &&
               context.inventory->InStock(p.item, context.reserve)) {
      accepted.push_back({p.position, Candidate{p.item, 0.0f, 0}, true});
      fire(p.rule, RuleEffect::kForcedPin);
    } else {
      fire(p.rule, RuleEffect::kPinSkippedOutOfStock);
    }
  }
  if (!accepted.empty()) {
    // Take the pinned items out, then insert them by ascending position.
    size_t out = 0;
    for (size_t i = 0; i < ranked.size(); ++i) {
      bool pinned = false;
      for (const Accepted& a : accepted) pinned = pinned || a.candidate.item == ranked[i].item;
      ranked[out] = ranked[i];
      out += pinned ? 0 : 1;
    }
    ranked.resize(out);
    std::sort(accepted.begin(), accepted.end(),
              [](const Accepted& a, const Accepted& b) { return a.position < b.position; });
    for (Accepted& a : accepted) {
      const size_t at = std::min<size_t>(a.position, ranked.size());
      if (a.forced) {
        a.candidate.score = at < ranked.size() ? ranked[at].score
                            : ranked.empty()   ? 0.0f
                                               : ranked.back().score;
      }
      ranked.insert(ranked.begin() + static_cast<ptrdiff_t>(at), a.candidate);
    }
  }
  if (ranked.size() > k) ranked.resize(k);
}

}  // namespace aisle::policy
