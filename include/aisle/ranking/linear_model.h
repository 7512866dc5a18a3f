// File: aisle/ranking/linear_model.h
//
// A linear or logistic scoring model as loaded from a file, before it is bound
// to a feature layout: a bias and one weight per named feature, each with the
// value that stands in for a missing (NaN) input (0 unless the model declares
// one), and a link: identity (score = margin) or logistic (score =
// 1 / (1 + exp(-margin))), where margin = bias + sum(weight * value).
//
// Two file formats load into it:
//  * aisle's own JSON ("aisle.linear", version 1; see docs/linear-ranking.md):
//      {"format": "aisle.linear", "format_version": 1, "name": "ctr-2026-11",
//       "link": "logistic", "bias": -2.0,
//       "weights": [{"feature": "ann_score", "weight": 1.5},
//                   {"feature": "price", "weight": -0.01, "missing": 30.0}]}
//  * XGBoost's JSON model with booster "gblinear" (XGBoost >= 1.0, one output
//    group), objectives reg:squarederror / reg:linear / reg:pseudohubererror /
//    rank:* (identity) and binary:logistic / reg:logistic (logistic) or
//    binary:logitraw (identity on the logistic margin). Features are named by
//    the model's feature_names, else by `feature_names` given to the parser,
//    else "f0", "f1", ... as XGBoost names them. Missing inputs count as 0, as
//    in XGBoost's gblinear.
//
//   AISLE_ASSIGN_OR_RETURN(LinearModel m, LoadLinearModelFile("ctr.json"));
//   m.Version();  // "logistic:ctr-2026-11:xxh64=1a2b3c4d5e6f7a8b"
//
// LinearModel is a plain value type: thread-compatible. The functions are
// thread-safe.
#ifndef AISLE_RANKING_LINEAR_MODEL_H_
#define AISLE_RANKING_LINEAR_MODEL_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"

namespace aisle::ranking {

enum class LinearLink {
  kIdentity = 0,  // score = margin
  kLogistic = 1,  // score = sigmoid(margin)
};

struct LinearTerm {
  std::string feature;
  float weight = 0.0f;
  // Stands in for a NaN input of this feature.
  float missing_value = 0.0f;
};

struct LinearModel {
  std::string name;
  LinearLink link = LinearLink::kIdentity;
  float bias = 0.0f;
  std::vector<LinearTerm> terms;
  // Hex XXH64 of the bytes the model was parsed from ("" when built in code).
  std::string content_hash;

  // "linear:<name>:xxh64=<hash>" or "logistic:<name>:xxh64=<hash>".
  std::string Version() const;
};

// Parses aisle's JSON format. InvalidArgument naming `what` and the field,
// weight index or feature for malformed JSON (with its byte offset), a
// missing or mistyped field, an unknown link, a duplicate feature, or a
// non-finite number; FailedPrecondition for an unsupported format_version.
absl::StatusOr<LinearModel> ParseLinearModelJson(absl::string_view json,
                                                 absl::string_view what = "linear model");

// Parses an XGBoost JSON model whose booster is gblinear. InvalidArgument for
// malformed JSON, a tree booster, a weight count that does not match
// num_feature, or feature_names of the wrong length; Unimplemented for
// multi-output models and other objectives (naming them).
absl::StatusOr<LinearModel> ParseXgboostGblinearJson(
    absl::string_view json, absl::string_view what = "xgboost model",
    absl::Span<const std::string> feature_names = {});

// Reads `path` and parses it as XGBoost JSON when it has a top-level
// "learner" object, as aisle's format otherwise. NotFound when the file is
// missing. Errors about a value give the file's line:column and byte offset
// and the value's JSON path ("ctr.json:4:50 (byte 151): field
// 'weights[0].weight' is not a finite float: 1e39 (overflows a float)"); a
// file that is not JSON is named for what it is ("this looks like a LightGBM
// text model ...").
absl::StatusOr<LinearModel> LoadLinearModelFile(absl::string_view path);

}  // namespace aisle::ranking

#endif  // AISLE_RANKING_LINEAR_MODEL_H_
