// capi/aisle.h: GBDT and linear models loaded on their own for offline
// parity checks (batch prediction over the model's own column order).
#include <memory>
#include <string>
#include <vector>

#include "aisle.h"
#include "aisle/core/file.h"
#include "aisle/core/status_macros.h"
#include "aisle/ranking/lightgbm_model.h"
#include "aisle/ranking/xgboost_model.h"
#include "capi/internal.h"

using aisle::capi::CheckRange;
using aisle::capi::Guard;
using aisle::capi::GuardCreate;
using aisle::capi::NullError;

namespace {

absl::StatusOr<std::unique_ptr<aisle_model>> FromGbdt(aisle::ranking::GbdtModel m) {
  auto h = std::make_unique<aisle_model>();
  aisle::ranking::GbdtRankerOptions o;
  o.output = aisle::ranking::GbdtOutput::kTransformed;
  if (m.num_outputs > 1) o.score_output = 0;
  AISLE_ASSIGN_OR_RETURN(h->gbdt_ranker, aisle::ranking::GbdtRanker::BindIdentity(m, o));
  h->num_features = m.num_features;
  h->num_outputs = m.num_outputs;
  h->feature_names.assign(m.num_features, "");
  for (size_t i = 0; i < m.feature_names.size() && i < m.num_features; ++i) {
    h->feature_names[i] = m.feature_names[i];
  }
  h->version = std::string(h->gbdt_ranker->version());
  h->gbdt = std::move(m);
  return h;
}

absl::StatusOr<std::unique_ptr<aisle_model>> FromLinear(aisle::ranking::LinearModel m) {
  auto h = std::make_unique<aisle_model>();
  for (const auto& t : m.terms) h->feature_names.push_back(t.feature);
  aisle::ranking::LinearRankerOptions o;
  AISLE_ASSIGN_OR_RETURN(h->linear_transformed,
                         aisle::ranking::LinearRanker::Create(m, h->feature_names, o));
  o.output_margin = true;
  AISLE_ASSIGN_OR_RETURN(h->linear_margin,
                         aisle::ranking::LinearRanker::Create(m, h->feature_names, o));
  h->num_features = h->feature_names.size();
  h->num_outputs = 1;
  h->version = std::string(h->linear_transformed->version());
  h->linear = std::move(m);
  return h;
}

absl::StatusOr<std::unique_ptr<aisle_model>> Parse(absl::string_view bytes, int32_t format,
                                                   absl::string_view what) {
  switch (format) {
    case AISLE_MODEL_XGBOOST: {
      // JSON may start with whitespace (a byte-order mark is not JSON).
      const size_t first = bytes.find_first_not_of(" \t\r\n");
      const bool json = first != std::string::npos && bytes[first] == '{';
      AISLE_ASSIGN_OR_RETURN(aisle::ranking::GbdtModel m,
                             json ? aisle::ranking::ParseXgboostJson(bytes, what)
                                  : aisle::ranking::ParseXgboostBinary(bytes, what));
      return FromGbdt(std::move(m));
    }
    case AISLE_MODEL_LIGHTGBM: {
      AISLE_ASSIGN_OR_RETURN(aisle::ranking::GbdtModel m,
                             aisle::ranking::ParseLightgbmText(bytes, what));
      return FromGbdt(std::move(m));
    }
    case AISLE_MODEL_LINEAR: {
      // XGBoost gblinear JSON has a top-level "learner"; aisle's format does not.
      const bool xgb = bytes.find("\"learner\"") != absl::string_view::npos;
      AISLE_ASSIGN_OR_RETURN(aisle::ranking::LinearModel m,
                             xgb ? aisle::ranking::ParseXgboostGblinearJson(bytes, what)
                                 : aisle::ranking::ParseLinearModelJson(bytes, what));
      return FromLinear(std::move(m));
    }
    default:
      return absl::InvalidArgumentError(
          absl::StrCat(what, ": format ", format, " is not an AISLE_MODEL_* value"));
  }
}

}  // namespace

extern "C" {

int32_t aisle_model_load(const char* path, int32_t format, aisle_model** out) {
  return GuardCreate(out, [&]() -> absl::StatusOr<std::unique_ptr<aisle_model>> {
    if (path == nullptr) return NullError("path");
    AISLE_ASSIGN_OR_RETURN(std::string bytes, aisle::ReadFileToString(path));
    return Parse(bytes, format, path);
  });
}

int32_t aisle_model_parse(const char* data, size_t len, int32_t format, aisle_model** out) {
  const absl::string_view fn = __func__;
  return GuardCreate(out, [&]() -> absl::StatusOr<std::unique_ptr<aisle_model>> {
    if (data == nullptr) return NullError("data");
    AISLE_RETURN_IF_ERROR(CheckRange(fn, "len", len, 0, AISLE_MAX_MODEL_BYTES));
    return Parse(absl::string_view(data, len), format, "model bytes");
  });
}

void aisle_model_destroy(aisle_model* model) { delete model; }

int32_t aisle_model_num_features(const aisle_model* model, size_t* out) {
  return Guard([&]() -> absl::Status {
    if (model == nullptr) return NullError("model");
    if (out == nullptr) return NullError("out");
    *out = model->num_features;
    return absl::OkStatus();
  });
}

int32_t aisle_model_num_outputs(const aisle_model* model, size_t* out) {
  return Guard([&]() -> absl::Status {
    if (model == nullptr) return NullError("model");
    if (out == nullptr) return NullError("out");
    *out = model->num_outputs;
    return absl::OkStatus();
  });
}

int32_t aisle_model_feature_name(const aisle_model* model, size_t column, const char** out) {
  return Guard([&]() -> absl::Status {
    if (model == nullptr) return NullError("model");
    if (out == nullptr) return NullError("out");
    if (column >= model->feature_names.size()) {
      return absl::OutOfRangeError(absl::StrCat("column ", column, " is outside the model's ",
                                                model->feature_names.size(), " features"));
    }
    *out = model->feature_names[column].c_str();
    return absl::OkStatus();
  });
}

int32_t aisle_model_version(const aisle_model* model, const char** out) {
  return Guard([&]() -> absl::Status {
    if (model == nullptr) return NullError("model");
    if (out == nullptr) return NullError("out");
    *out = model->version.c_str();
    return absl::OkStatus();
  });
}

int32_t aisle_model_predict(const aisle_model* model, const float* data, size_t rows, size_t cols,
                            int32_t output, float* out, size_t out_len) {
  const absl::string_view fn = __func__;
  return Guard([&]() -> absl::Status {
    if (model == nullptr) return NullError("model");
    // Bounds rows x num_outputs well below SIZE_MAX.
    AISLE_RETURN_IF_ERROR(CheckRange(fn, "rows", rows, 0, AISLE_MAX_ITEMS));
    if (data == nullptr && rows > 0) return NullError("data");
    if (out == nullptr && rows > 0) return NullError("out");
    if (output != AISLE_OUTPUT_TRANSFORMED && output != AISLE_OUTPUT_MARGIN) {
      return absl::InvalidArgumentError(
          absl::StrCat("output ", output, " is not an AISLE_OUTPUT_* value"));
    }
    if (cols != model->num_features) {
      return absl::InvalidArgumentError(
          absl::StrCat("the matrix has ", cols, " columns; the model reads ", model->num_features));
    }
    if (out_len != rows * model->num_outputs) {
      return absl::InvalidArgumentError(absl::StrCat("out_len is ", out_len, "; ", rows, " rows x ",
                                                     model->num_outputs, " outputs need ",
                                                     rows * model->num_outputs));
    }
    if (rows == 0) return absl::OkStatus();
    const aisle::MatrixView m(data, rows, cols);
    if (model->gbdt_ranker != nullptr) {
      return model->gbdt_ranker->ScoreAll(
          m, aisle::MutableMatrixView(out, rows, model->num_outputs),
          output == AISLE_OUTPUT_MARGIN ? aisle::ranking::GbdtOutput::kMargin
                                        : aisle::ranking::GbdtOutput::kTransformed);
    }
    const auto& r =
        output == AISLE_OUTPUT_MARGIN ? model->linear_margin : model->linear_transformed;
    return r->Score(m, absl::MakeSpan(out, rows));
  });
}

}  // extern "C"
