// File: aisle/policy/filter_chain.h
//
// FilterChain: runs filters in the order they were added and reports how many
// candidates each one removed, per request and cumulatively (for metrics).
//
//   aisle::policy::FilterChain chain;
//   chain.Add(std::make_shared<aisle::policy::InventoryFilter>(&inventory));
//   chain.Add(std::move(policy_filter));
//   chain.Add(std::make_shared<aisle::policy::ExclusionFilter>());
//   aisle::policy::FilterReport report;          // reuse across requests
//   chain.Run(ctx, candidates, &report);
//   // report.removed[i] belongs to chain.name(i)
//
// Add() is not thread-safe (configure before serving). Run() is thread-safe:
// the cumulative counters are relaxed atomics.
#ifndef AISLE_POLICY_FILTER_CHAIN_H_
#define AISLE_POLICY_FILTER_CHAIN_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

#include "aisle/policy/filter.h"

namespace aisle::policy {

// Per-request result of a FilterChain::Run.
struct FilterReport {
  // removed[i] = candidates removed by filter i (0 for filters that did not
  // run because the list was already empty).
  std::vector<size_t> removed = {};
  size_t total_removed = 0;
};

class FilterChain {
 public:
  FilterChain() = default;
  FilterChain(const FilterChain&) = delete;
  FilterChain& operator=(const FilterChain&) = delete;

  // Appends a filter; a null filter is ignored.
  void Add(std::shared_ptr<const Filter> filter);

  size_t size() const { return filters_.size(); }
  absl::string_view name(size_t i) const { return filters_[i].filter->name(); }

  // Runs every filter in order; stops early once the list is empty. Writes
  // per-filter counts into *report when it is not null. Returns the total
  // number removed.
  size_t Run(const FilterContext& context, std::vector<Candidate>& candidates,
             FilterReport* report = nullptr) const;

  // Cumulative counters since construction (relaxed).
  uint64_t TotalRemoved(size_t i) const {
    return filters_[i].removed->load(std::memory_order_relaxed);
  }
  uint64_t TotalSeen(size_t i) const { return filters_[i].seen->load(std::memory_order_relaxed); }

 private:
  struct Entry {
    std::shared_ptr<const Filter> filter;
    std::unique_ptr<std::atomic<uint64_t>> removed;
    std::unique_ptr<std::atomic<uint64_t>> seen;
  };
  std::vector<Entry> filters_;
};

}  // namespace aisle::policy

#endif  // AISLE_POLICY_FILTER_CHAIN_H_
