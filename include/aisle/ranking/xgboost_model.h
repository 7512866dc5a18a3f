// File: aisle/ranking/xgboost_model.h
//
// Import of XGBoost tree models into a GbdtModel:
//   * JSON (`booster.save_model("m.json")`, XGBoost 1.0 and later), gbtree
//     booster, numeric and categorical splits, objectives binary:logistic,
//     binary:logitraw, reg:logistic, reg:squarederror (reg:linear),
//     reg:absoluteerror, reg:pseudohubererror, rank:pairwise, rank:ndcg,
//     rank:map, count:poisson, reg:gamma, reg:tweedie, multi:softprob and
//     multi:softmax (both score class probabilities).
//   * the legacy binary format (`save_model("m.model")` before 1.0 and the
//     deprecated binary of 1.x).
// base_score is read as written (a value after the link, "5E-1" or
// "[5E-1]") and converted to a margin through the objective's inverse link.
// gblinear and dart boosters are rejected with FailedPrecondition.
//
//   AISLE_ASSIGN_OR_RETURN(GbdtModel m, LoadXgboostModelFile("ctr.json"));
//   AISLE_ASSIGN_OR_RETURN(auto ranker, GbdtRanker::Create(m, binding));
//
// The functions are thread-safe (no shared state).
#ifndef AISLE_RANKING_XGBOOST_MODEL_H_
#define AISLE_RANKING_XGBOOST_MODEL_H_

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "aisle/ranking/gbdt_model.h"

namespace aisle::ranking {

// Parses an XGBoost JSON model. `what` names the source in error messages.
// InvalidArgument for malformed JSON or trees: the message gives the
// line:column and byte offset, the JSON path and the value as written
// ("m.json:1:812 (byte 811): learner.gradient_booster.model.trees[0].
// split_conditions[0]: number 1e999 overflows a double"), and the tree and
// node; for another kind of model (LightGBM text, aisle linear JSON) it says
// which ("this looks like a LightGBM text model ...; load it as LightGBM").
// FailedPrecondition for an unsupported booster or objective.
absl::StatusOr<GbdtModel> ParseXgboostJson(absl::string_view json,
                                           absl::string_view what = "XGBoost JSON");

// Parses an XGBoost legacy binary model. Header counts the bytes cannot hold
// are corrupt ("gbtree param num_trees = 1073741824 is outside [0, 3]");
// text (LightGBM, JSON) is named for what it is.
absl::StatusOr<GbdtModel> ParseXgboostBinary(absl::string_view bytes,
                                             absl::string_view what = "XGBoost binary");

// Reads `path` and parses it as JSON when it starts with '{', else as the
// legacy binary format; any other model format is named ("this looks like a
// LightGBM text model, not an XGBoost model ...; load it as LightGBM").
absl::StatusOr<GbdtModel> LoadXgboostModelFile(absl::string_view path);

}  // namespace aisle::ranking

#endif  // AISLE_RANKING_XGBOOST_MODEL_H_
