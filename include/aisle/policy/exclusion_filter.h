// File: aisle/policy/exclusion_filter.h
//
// ExclusionFilter: removes the items the request says the user should not be
// shown again: already bought, in the cart, or the seeds of the request (the
// product being viewed). Which of the three apply is fixed per surface at
// build time (a "buy it again" surface keeps bought items).
//
//   aisle::policy::ExclusionFilter f({.bought = true, .cart = true, .seeds = true});
//   aisle::policy::FilterContext ctx{.bought = history, .cart = cart, .seeds = {viewed}};
//   size_t removed = f.Apply(ctx, candidates);
//
// Thread-safe. Large exclusion lists are sorted into a per-thread scratch
// buffer (reused across requests) and binary-searched; small ones are scanned.
#ifndef AISLE_POLICY_EXCLUSION_FILTER_H_
#define AISLE_POLICY_EXCLUSION_FILTER_H_

#include "aisle/policy/filter.h"

namespace aisle::policy {

struct ExclusionOptions {
  bool bought = true;
  bool cart = true;
  bool seeds = true;
};

class ExclusionFilter final : public Filter {
 public:
  explicit ExclusionFilter(ExclusionOptions options = {}) : options_(options) {}

  absl::string_view name() const override { return "exclusion"; }
  size_t Apply(const FilterContext& context, std::vector<Candidate>& candidates) const override;

 private:
  ExclusionOptions options_;
};

}  // namespace aisle::policy

#endif  // AISLE_POLICY_EXCLUSION_FILTER_H_
