// File: aisle/ranking/lightgbm_model.h
//
// Import of LightGBM text models (`booster.save_model("m.txt")`, format
// v2-v4) into a GbdtModel, with LightGBM's exact decision rules: numeric
// splits go left when double(x) <= threshold; decision_type bit 0 marks a
// categorical split (categories in the cat_threshold bitset go LEFT; NaN and
// negative values go right), bit 1 default-left, bits 2-3 the missing type
// (None: NaN is treated as 0; Zero: NaN and |x| <= 1e-35 follow the default;
// NaN: NaN follows the default). Objectives: binary (sigmoid:<a>),
// cross_entropy, multiclass (softmax), multiclassova (per-class sigmoid),
// poisson/gamma/tweedie (exp), and identity-output objectives (regression*,
// huber, fair, quantile, mape, lambdarank, rank_xendcg). The init score is
// already folded into the trees, so the base margin is 0. Linear trees are
// rejected with FailedPrecondition.
//
//   AISLE_ASSIGN_OR_RETURN(GbdtModel m, LoadLightgbmTextFile("model.txt"));
//
// The functions are thread-safe (no shared state).
#ifndef AISLE_RANKING_LIGHTGBM_MODEL_H_
#define AISLE_RANKING_LIGHTGBM_MODEL_H_

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "aisle/ranking/gbdt_model.h"

namespace aisle::ranking {

// Parses LightGBM model text. `what` names the source in error messages,
// which also give the line number, the field, tree and node, and the value as
// written ("m.txt:3: header: field num_class: 0 is outside [1, 65536)").
// InvalidArgument for malformed or truncated text, and for another kind of
// model ("this looks like an XGBoost JSON model ...; load it as XGBoost");
// FailedPrecondition for unsupported features.
absl::StatusOr<GbdtModel> ParseLightgbmText(absl::string_view text,
                                            absl::string_view what = "LightGBM model");

absl::StatusOr<GbdtModel> LoadLightgbmTextFile(absl::string_view path);

}  // namespace aisle::ranking

#endif  // AISLE_RANKING_LIGHTGBM_MODEL_H_
