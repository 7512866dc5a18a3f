#include "aisle/core/item_filter.h"

#include <algorithm>
#include <cstddef>

namespace aisle {

ItemFilter::~ItemFilter() = default;

double ItemFilter::Selectivity() const {
  const size_t n = Size();
  if (n == 0) return 0.0;
  return std::min(1.0, double(AllowedCount()) / double(n));
}

}  // namespace aisle
