#include "aisle/policy/reorderer.h"

namespace aisle::policy {

absl::string_view ReorderStageName(ReorderStage stage) {
  switch (stage) {
    case ReorderStage::kRules:
      return "rules";
    case ReorderStage::kDiversify:
      return "diversify";
    case ReorderStage::kExplore:
      return "explore";
    case ReorderStage::kPins:
      return "pins";
  }
  return "unknown";
}

}  // namespace aisle::policy
