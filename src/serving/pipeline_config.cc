#include "aisle/serving/pipeline_config.h"

namespace aisle::serving {

absl::string_view SourceKindName(SourceKind kind) {
  switch (kind) {
    case SourceKind::kAnn:
      return "ann";
    case SourceKind::kExact:
      return "exact";
    case SourceKind::kCoVisitation:
      return "covisitation";
    case SourceKind::kPopular:
      return "popular";
    case SourceKind::kTrending:
      return "trending";
    case SourceKind::kNewItems:
      return "new_items";
    case SourceKind::kCustom:
      return "custom";
    case SourceKind::kContent:
      return "content";
  }
  return "unknown";
}

}  // namespace aisle::serving
