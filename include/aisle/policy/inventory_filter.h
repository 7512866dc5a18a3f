// File: aisle/policy/inventory_filter.h
//
// InventoryFilter: removes candidates that are not in stock in the live
// inventory (available > the surface's reserve). Never reads the catalog
// snapshot's stock. Items the inventory does not know are removed.
//
//   aisle::policy::InventoryFilter f(&live_inventory, /*default_reserve=*/0,
//                                    /*reserve_by_surface=*/{0, 2});  // surface 1 keeps 2 back
//   size_t removed = f.Apply(ctx, candidates);
//
// Thread-safe. The LiveInventory is borrowed and must outlive the filter.
#ifndef AISLE_POLICY_INVENTORY_FILTER_H_
#define AISLE_POLICY_INVENTORY_FILTER_H_

#include <cstdint>
#include <utility>
#include <vector>

#include "aisle/policy/filter.h"
#include "aisle/policy/live_inventory.h"

namespace aisle::policy {

class InventoryFilter final : public Filter {
 public:
  InventoryFilter(const LiveInventory* inventory, int32_t default_reserve = 0,
                  std::vector<int32_t> reserve_by_surface = {})
      : inventory_(inventory),
        default_reserve_(default_reserve),
        reserve_by_surface_(std::move(reserve_by_surface)) {}

  absl::string_view name() const override { return "inventory"; }

  int32_t ReserveFor(SurfaceIndex surface) const {
    return surface < reserve_by_surface_.size() ? reserve_by_surface_[surface] : default_reserve_;
  }

  size_t Apply(const FilterContext& context, std::vector<Candidate>& candidates) const override {
    return inventory_->FilterInStock(candidates, ReserveFor(context.surface));
  }

 private:
  const LiveInventory* inventory_;
  int32_t default_reserve_;
  std::vector<int32_t> reserve_by_surface_;
};

}  // namespace aisle::policy

#endif  // AISLE_POLICY_INVENTORY_FILTER_H_
