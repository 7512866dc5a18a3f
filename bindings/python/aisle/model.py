"""Ranking models (XGBoost, LightGBM, linear) and batch prediction."""

import os
from ctypes import byref, c_char_p, c_size_t

from . import _arrays, _ints, _lib, errors
from ._handle import Handle, new_out
from .constants import MAX_ITEMS, MAX_MODEL_BYTES, ModelFormat, Output, coerce

_check = errors.check


def _guess_format(path):
    ext = os.path.splitext(str(path))[1].lower()
    if ext in (".txt", ".lgb", ".lightgbm"):
        return ModelFormat.LIGHTGBM
    if ext in (".json", ".model", ".ubj", ".bin", ".xgb"):
        return ModelFormat.XGBOOST
    raise errors.InvalidArgument(
        errors.INVALID_ARGUMENT,
        "model %s: cannot tell the format from the extension; pass format="
        "'xgboost', 'lightgbm' or 'linear'" % path,
    )


class Model(Handle):
    """An immutable model, the same code the engine ranks with. Thread-safe.

    ::

        with aisle.Model.load("ranker.json", "xgboost") as model:
            scores = model.predict(features)            # transformed (predict())
            margins = model.predict(features, output="margin")

    `predict` takes a rows x num_features matrix: a float32 C-contiguous
    ndarray is passed without a copy and the result is an ndarray of shape
    (rows,) for one output or (rows, num_outputs); without numpy, lists of
    rows in and a list (of lists for several outputs) out.
    """

    _destroy_name = "aisle_model_destroy"
    _what = "Model"

    @classmethod
    def load(cls, path, format=None):  # noqa: A002 (mirrors the C name)
        """Loads a model file. `format`: "xgboost" (JSON or legacy binary),
        "lightgbm" (text) or "linear"; None guesses from the extension.

        Errors name the file, tree and node or field; NotFound for a missing
        file; FailedPrecondition for an unsupported booster or objective.
        """
        fmt = _guess_format(path) if format is None else coerce(ModelFormat, format, "format")
        out = new_out(_lib.model_t)
        _check(_lib.aisle_model_load(_arrays.path(path), int(fmt), byref(out)))
        return cls(out)

    @classmethod
    def parse(cls, data, format):  # noqa: A002
        """Parses a model from bytes (or str) in memory."""
        if isinstance(data, str):
            data = data.encode("utf-8")
        data = bytes(data)
        _ints.checked(len(data), "Model.parse: len(data)", 0, MAX_MODEL_BYTES)
        fmt = coerce(ModelFormat, format, "format")
        out = new_out(_lib.model_t)
        _check(_lib.aisle_model_parse(data, len(data), int(fmt), byref(out)))
        return cls(out)

    @property
    def num_features(self):
        n = c_size_t()
        _check(_lib.aisle_model_num_features(self._h, byref(n)))
        return n.value

    @property
    def num_outputs(self):
        n = c_size_t()
        _check(_lib.aisle_model_num_outputs(self._h, byref(n)))
        return n.value

    def feature_name(self, column):
        """The feature name of a column ("" when unnamed); OutOfRange past the last."""
        column = _ints.index(column, "Model.feature_name: column", _ints.UINT64[1])
        s = c_char_p()
        _check(_lib.aisle_model_feature_name(self._h, column, byref(s)))
        return _arrays.decode(s.value)

    @property
    def feature_names(self):
        """Feature names by column ("" where the model has none)."""
        return [self.feature_name(i) for i in range(self.num_features)]

    @property
    def version(self):
        """Model identity ("gbdt:xgboost-json:binary:logistic:trees=..:sha=..")."""
        s = c_char_p()
        _check(_lib.aisle_model_version(self._h, byref(s)))
        return _arrays.decode(s.value)

    def predict(self, features, output=Output.TRANSFORMED):
        """Scores a rows x num_features matrix (NaN = missing).

        `output`: "transformed" (XGBoost predict(), LightGBM predict()) or
        "margin" (output_margin=True / raw_score=True). InvalidArgument for a
        wrong number of columns.
        """
        out_kind = int(coerce(Output, output, "output"))
        ptr, rows, cols, keep = _arrays.matrix(features, "features")
        _ints.checked(rows, "Model.predict: rows of features", 0, MAX_ITEMS)
        k = self.num_outputs
        res = _arrays.Output(rows * k, "float32")
        _check(_lib.aisle_model_predict(self._h, ptr, rows, cols, out_kind, res.ptr, rows * k))
        del keep
        return res.result(shape=None if k == 1 else (rows, k))
