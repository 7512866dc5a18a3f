#include "ranking/model_format.h"

#include <cstdint>
#include <cstring>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace aisle::ranking::internal {
namespace {

// The first bytes, with leading whitespace (and a UTF-8 BOM) removed.
absl::string_view Head(absl::string_view bytes) {
  absl::string_view head = bytes.substr(0, 8192);
  absl::ConsumePrefix(&head, "\xEF\xBB\xBF");
  return absl::StripLeadingAsciiWhitespace(head);
}

bool IsText(absl::string_view head) {
  for (const char ch : head.substr(0, 512)) {
    const auto c = static_cast<unsigned char>(ch);
    if (c < 0x20 && c != '\n' && c != '\r' && c != '\t') return false;
  }
  return !head.empty();
}

// XGBoost's legacy binary: a 136-byte learner parameter block, then the
// objective as a uint64 length and its bytes ("binary:logistic", ...).
bool LooksLikeXgboostBinary(absl::string_view bytes) {
  if (absl::StartsWith(bytes, "binf")) return true;
  if (bytes.size() < 136 + 8) return false;
  uint64_t len = 0;
  std::memcpy(&len, bytes.data() + 136, 8);
  if (len == 0 || len > 64 || bytes.size() < 144 + len) return false;
  const absl::string_view objective = bytes.substr(144, len);
  return objective.find(':') != absl::string_view::npos && IsText(objective);
}

}  // namespace

ModelFormat SniffModelFormat(absl::string_view bytes) {
  const absl::string_view head = Head(bytes);
  if (head.empty()) return ModelFormat::kUnknown;
  if (head.front() == '{') {
    // Keys of the top-level object, as they appear near the start.
    if (absl::StrContains(head, "\"learner\"")) return ModelFormat::kXgboostJson;
    if (absl::StrContains(head, "\"aisle.linear\"")) return ModelFormat::kAisleLinearJson;
    if (absl::StrContains(head, "\"tree_info\"") || absl::StrContains(head, "\"max_feature_idx\"")) {
      return ModelFormat::kLightgbmJson;
    }
    // UBJSON also opens with '{', followed by a length-prefixed key.
    if (head.size() > 2 && (head[1] == 'L' || head[1] == 'i' || head[1] == 'U') &&
        !IsText(head.substr(0, 16))) {
      return ModelFormat::kXgboostUbjson;
    }
    return ModelFormat::kOtherJson;
  }
  if (head.front() == '[') return ModelFormat::kOtherJson;
  if (LooksLikeXgboostBinary(bytes)) return ModelFormat::kXgboostBinary;
  if (IsText(head)) {
    const bool tree_tag = absl::StartsWith(head, "tree\n") || absl::StartsWith(head, "tree\r\n");
    if (tree_tag || (absl::StrContains(head, "\nversion=v") &&
                     absl::StrContains(head, "\nmax_feature_idx="))) {
      return ModelFormat::kLightgbmText;
    }
    return ModelFormat::kOtherText;
  }
  return ModelFormat::kUnknown;
}

absl::string_view ModelFormatName(ModelFormat format) {
  switch (format) {
    case ModelFormat::kXgboostJson:
      return "an XGBoost JSON model";
    case ModelFormat::kXgboostBinary:
      return "an XGBoost legacy binary model";
    case ModelFormat::kXgboostUbjson:
      return "an XGBoost UBJSON model";
    case ModelFormat::kLightgbmText:
      return "a LightGBM text model";
    case ModelFormat::kLightgbmJson:
      return "a LightGBM JSON dump (dump_model)";
    case ModelFormat::kAisleLinearJson:
      return "an aisle linear model (format \"aisle.linear\")";
    case ModelFormat::kOtherJson:
      return "JSON that is not a model aisle knows";
    case ModelFormat::kOtherText:
      return "text that is not a model aisle knows";
    case ModelFormat::kUnknown:
      return "binary data that is not a model aisle knows";
  }
  return "an unknown format";
}

absl::Status WrongFormatError(absl::string_view what, ModelFormat found,
                              absl::string_view expected) {
  absl::string_view how;
  switch (found) {
    case ModelFormat::kXgboostJson:
    case ModelFormat::kXgboostBinary:
      how = "; load it as XGBoost (LoadXgboostModelFile, AISLE_MODEL_XGBOOST)";
      break;
    case ModelFormat::kXgboostUbjson:
      how = "; save it as JSON (booster.save_model(\"m.json\")) and load it as XGBoost";
      break;
    case ModelFormat::kLightgbmText:
      how = "; load it as LightGBM (LoadLightgbmTextFile, AISLE_MODEL_LIGHTGBM)";
      break;
    case ModelFormat::kLightgbmJson:
      how = "; save the text model (booster.save_model(\"m.txt\")) and load it as LightGBM";
      break;
    case ModelFormat::kAisleLinearJson:
      how = "; load it as a linear model (LoadLinearModelFile, AISLE_MODEL_LINEAR)";
      break;
    default:
      break;
  }
  return absl::InvalidArgumentError(
      absl::StrCat(what, ": this looks like ", ModelFormatName(found), ", not ", expected, how));
}

}  // namespace aisle::ranking::internal
