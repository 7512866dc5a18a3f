// PolicyFilter, ExclusionFilter and FilterChain.
#include <algorithm>

#include "absl/strings/str_cat.h"
#include "aisle/policy/exclusion_filter.h"
#include "aisle/policy/filter_chain.h"
#include "aisle/policy/policy_filter.h"

namespace aisle::policy {
namespace {

absl::Status CheckRules(const CategoryView& view, const PolicyRules& rules, const char* scope,
                        SurfaceIndex surface) {
  const std::string where =
      scope != nullptr ? std::string(scope) : absl::StrCat("surface ", surface);
  for (ItemIndex i : rules.blocked_items) {
    if (i >= view.num_items()) {
      return absl::NotFoundError(absl::StrCat("policy rules (", where, "): blocked item index ", i,
                                              " is not in the catalog (", view.num_items(),
                                              " items)"));
    }
  }
  for (CategoryIndex c : rules.blocked_categories) {
    if (c >= view.num_categories()) {
      return absl::NotFoundError(absl::StrCat("policy rules (", where, "): blocked category ", c,
                                              " is not in the category tree (",
                                              view.num_categories(), " categories)"));
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::unique_ptr<PolicyFilter>> PolicyFilter::Create(
    const CategoryView& view, const PolicyRules& all_surfaces,
    const std::vector<std::pair<SurfaceIndex, PolicyRules>>& per_surface) {
  if (absl::Status s = view.Validate(); !s.ok()) return s;
  auto compile = [&view](const PolicyRules& r) {
    Compiled c;
    c.items = ItemBitset(view.num_items());
    for (ItemIndex i : r.blocked_items) c.items.Set(i);
    c.categories = SubtreeClosure(view, r.blocked_categories);
    c.empty = r.blocked_items.empty() && r.blocked_categories.empty();
    return c;
  };
  if (absl::Status s = CheckRules(view, all_surfaces, "all surfaces", 0); !s.ok()) return s;
  std::unique_ptr<PolicyFilter> f(new PolicyFilter());
  f->view_ = view;
  f->all_ = compile(all_surfaces);
  for (const auto& [surface, rules] : per_surface) {
    if (absl::Status s = CheckRules(view, rules, nullptr, surface); !s.ok()) return s;
    if (surface >= f->per_surface_.size()) f->per_surface_.resize(size_t{surface} + 1);
    Compiled c = compile(rules);
    Compiled& slot = f->per_surface_[surface];
    if (slot.empty) {
      slot = std::move(c);
    } else {  // Two rule sets for one surface: their union.
      slot.items.Or(c.items);
      slot.categories.Or(c.categories);
      slot.empty = slot.empty && c.empty;
    }
  }
  return f;
}

bool PolicyFilter::Blocked(ItemIndex item, SurfaceIndex surface) const {
  const CategoryIndex cat = view_.CategoryOf(item);
  if (BlockedBy(all_, item, cat)) return true;
  return surface < per_surface_.size() && !per_surface_[surface].empty &&
         BlockedBy(per_surface_[surface], item, cat);
}

ItemBitset PolicyFilter::BlockedItems(SurfaceIndex surface) const {
  const size_t n = view_.num_items();
  ItemBitset out(n);
  const Compiled* extra =
      surface < per_surface_.size() && !per_surface_[surface].empty ? &per_surface_[surface]
                                                                     : nullptr;
  if (all_.empty && extra == nullptr) return out;
  for (size_t i = 0; i < n; ++i) {
    const ItemIndex item = static_cast<ItemIndex>(i);
    const CategoryIndex cat = view_.item_category[i];
    if (BlockedBy(all_, item, cat) || (extra != nullptr && BlockedBy(*extra, item, cat))) {
      out.Set(item);
    }
  }
  return out;
}

size_t PolicyFilter::Apply(const FilterContext& context, std::vector<Candidate>& candidates) const {
  const Compiled* extra =
      context.surface < per_surface_.size() && !per_surface_[context.surface].empty
          ? &per_surface_[context.surface]
          : nullptr;
  if (all_.empty && extra == nullptr) return 0;
  return CompactCandidates(candidates, [&](const Candidate& c) {
    const CategoryIndex cat = view_.CategoryOf(c.item);
    return !BlockedBy(all_, c.item, cat) && (extra == nullptr || !BlockedBy(*extra, c.item, cat));
  });
}

size_t ExclusionFilter::Apply(const FilterContext& context,
                              std::vector<Candidate>& candidates) const {
  absl::Span<const ItemIndex> lists[3];
  size_t n_lists = 0;
  size_t total = 0;
  if (options_.bought && !context.bought.empty()) lists[n_lists++] = context.bought;
  if (options_.cart && !context.cart.empty()) lists[n_lists++] = context.cart;
  if (options_.seeds && !context.seeds.empty()) lists[n_lists++] = context.seeds;
  for (size_t l = 0; l < n_lists; ++l) total += lists[l].size();
  if (total == 0 || candidates.empty()) return 0;
  constexpr size_t kScanLimit = 16;
  if (total <= kScanLimit) {
    return CompactCandidates(candidates, [&](const Candidate& c) {
      for (size_t l = 0; l < n_lists; ++l) {
        for (ItemIndex x : lists[l]) {
          if (x == c.item) return false;
        }
      }
      return true;
    });
  }
  thread_local std::vector<ItemIndex> sorted;
  sorted.clear();
  for (size_t l = 0; l < n_lists; ++l)
    sorted.insert(sorted.end(), lists[l].begin(), lists[l].end());
  std::sort(sorted.begin(), sorted.end());
  return CompactCandidates(candidates, [&](const Candidate& c) {
    return !std::binary_search(sorted.begin(), sorted.end(), c.item);
  });
}

void FilterChain::Add(std::shared_ptr<const Filter> filter) {
  if (filter == nullptr) return;
  filters_.push_back(Entry{std::move(filter), std::make_unique<std::atomic<uint64_t>>(0),
                           std::make_unique<std::atomic<uint64_t>>(0)});
}

size_t FilterChain::Run(const FilterContext& context, std::vector<Candidate>& candidates,
                        FilterReport* report) const {
  if (report != nullptr) {
    report->removed.assign(filters_.size(), 0);
    report->total_removed = 0;
  }
  size_t total = 0;
  for (size_t i = 0; i < filters_.size(); ++i) {
    if (candidates.empty()) break;
    const Entry& e = filters_[i];
    e.seen->fetch_add(candidates.size(), std::memory_order_relaxed);
    const size_t removed = e.filter->Apply(context, candidates);
    e.removed->fetch_add(removed, std::memory_order_relaxed);
    total += removed;
    if (report != nullptr) report->removed[i] = removed;
  }
  if (report != nullptr) report->total_removed = total;
  return total;
}

}  // namespace aisle::policy
