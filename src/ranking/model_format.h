// File: src/ranking/model_format.h (private)
//
// Tells the model files aisle can load apart by their first bytes, so that a
// file handed to the wrong importer is reported as the wrong format ("this
// looks like a LightGBM text model; load it as LightGBM") instead of as a
// corrupt file of the expected one.
//
//   if (SniffModelFormat(bytes) == ModelFormat::kLightgbmText) {
//     return WrongFormatError(path, ModelFormat::kLightgbmText, "XGBoost");
//   }
//
// Thread-safety: pure functions; thread-safe.
#ifndef AISLE_SRC_RANKING_MODEL_FORMAT_H_
#define AISLE_SRC_RANKING_MODEL_FORMAT_H_

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace aisle::ranking::internal {

enum class ModelFormat {
  kXgboostJson,       // {"learner": ...}
  kXgboostBinary,     // legacy binary ("binf", or a learner header then "<objective>")
  kXgboostUbjson,     // XGBoost's UBJSON (save_model("m.ubj"))
  kLightgbmText,      // "tree\nversion=v3\n..."
  kLightgbmJson,      // LightGBM's dump_model() JSON
  kAisleLinearJson,   // {"format": "aisle.linear", ...}
  kOtherJson,         // JSON, none of the above
  kOtherText,         // printable text, none of the above
  kUnknown,           // binary, none of the above
};

// The format `bytes` looks like. Reads at most the first few kilobytes.
ModelFormat SniffModelFormat(absl::string_view bytes);

// "a LightGBM text model", "an XGBoost JSON model", ...
absl::string_view ModelFormatName(ModelFormat format);

// InvalidArgument "<what>: this looks like <format name>, not <expected>;
// <how to load it>".
absl::Status WrongFormatError(absl::string_view what, ModelFormat found,
                              absl::string_view expected);

}  // namespace aisle::ranking::internal

#endif  // AISLE_SRC_RANKING_MODEL_FORMAT_H_
