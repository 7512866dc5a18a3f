"""Model: loading, prediction parity with XGBoost and LightGBM, errors."""

import glob
import math
import os

import pytest

import aisle
from conftest import RANKING_FIXTURES, SHARED_DATA, tolist


def read_table(path, skip=0):
    rows = []
    with open(path) as f:
        for line in f:
            toks = line.split()
            if toks:
                rows.append([float(t) for t in toks[skip:]])
    return rows


def read_numbers(path):
    with open(path) as f:
        return [float(t) for t in f.read().split()]


def near(a, b, tol):
    """|a - b| <= tol * max(1, |b|), as tests/ranking/gbdt_test_util.h."""
    if math.isnan(b):
        return math.isnan(a)
    return abs(a - b) <= tol * max(1.0, abs(b))


def flat(x):
    x = tolist(x)
    return [v for row in x for v in row] if x and isinstance(x[0], list) else x


XGB_CASES = sorted(
    os.path.basename(p)[: -len(".json")]
    for p in glob.glob(os.path.join(RANKING_FIXTURES, "xgb_*.json"))
    if "bracket" not in p
)


def test_xgboost_fixtures_are_present():
    assert len(XGB_CASES) >= 8, "tests/data/ranking/xgb_* fixtures are missing"


@pytest.mark.parametrize("case", XGB_CASES)
def test_xgboost_fixture_predictions_match_within_1e5(case, array_path):
    base = os.path.join(RANKING_FIXTURES, case)
    x = read_table(base + ".inputs.tsv")
    if array_path == "numpy":
        import numpy as np

        x = np.asarray(x, dtype=np.float32)
    with aisle.Model.load(base + ".json", "xgboost") as model:
        assert model.num_features == len(x[0])
        for output, suffix in (("margin", ".margin.txt"), ("transformed", ".pred.txt")):
            got = model.predict(x, output=output)
            if array_path == "numpy":
                assert hasattr(got, "dtype") and str(got.dtype) == "float32"
            else:
                assert isinstance(got, list)
            expected = read_numbers(base + suffix)
            got = flat(got)
            assert len(got) == len(expected) == len(x) * model.num_outputs
            bad = [(i, g, e) for i, (g, e) in enumerate(zip(got, expected)) if not near(g, e, 1e-5)]
            assert not bad, "%s %s: first mismatches %s" % (case, output, bad[:5])


def test_multiclass_predict_returns_rows_by_classes(array_path):
    base = os.path.join(RANKING_FIXTURES, "xgb_multi_softprob")
    x = read_table(base + ".inputs.tsv")[:7]
    with aisle.Model.load(base + ".json") as model:
        assert model.num_outputs == 3
        got = tolist(model.predict(x))
    assert len(got) == 7 and all(len(r) == 3 for r in got)
    for r in got:
        assert abs(sum(r) - 1.0) < 1e-5  # softprob


def test_numpy_predict_is_zero_copy_for_float32_input():
    np = pytest.importorskip("numpy")
    if not aisle.numpy_enabled():
        pytest.skip("numpy path disabled")
    base = os.path.join(RANKING_FIXTURES, "xgb_binary_logistic")
    x = np.asarray(read_table(base + ".inputs.tsv"), dtype=np.float32)
    from aisle import _arrays

    ptr, rows, cols, keep = _arrays.matrix(x)
    assert keep is x  # no copy was made
    assert (rows, cols) == x.shape
    # Fortran order or float64 is converted (a copy), with the same result.
    with aisle.Model.load(base + ".json") as model:
        a = model.predict(x)
        b = model.predict(np.asfortranarray(x.astype(np.float64)))
    assert np.array_equal(a, b)


def test_live_xgboost_model_predicts_the_same(tmp_path, array_path):
    xgb = pytest.importorskip("xgboost")
    np = pytest.importorskip("numpy")
    rng = np.random.default_rng(5)
    x = rng.normal(size=(400, 6)).astype(np.float32)
    y = (x[:, 0] + 0.5 * x[:, 1] * x[:, 2] + rng.normal(scale=0.3, size=400) > 0).astype(int)
    x[rng.random(x.shape) < 0.05] = np.nan
    booster = xgb.train(
        {"objective": "binary:logistic", "max_depth": 4, "eta": 0.3, "seed": 1},
        xgb.DMatrix(x, label=y),
        num_boost_round=25,
    )
    path = tmp_path / "live.json"
    booster.save_model(str(path))
    expected = booster.predict(xgb.DMatrix(x))
    expected_margin = booster.predict(xgb.DMatrix(x), output_margin=True)
    inputs = x if array_path == "numpy" else x.tolist()
    with aisle.Model.load(path) as model:
        got = tolist(model.predict(inputs))
        got_margin = tolist(model.predict(inputs, output=aisle.Output.MARGIN))
        assert model.version.startswith("gbdt:xgboost-json:binary:logistic")
    assert max(abs(a - b) for a, b in zip(got, expected.tolist())) <= 1e-5
    assert all(near(a, b, 1e-5) for a, b in zip(got_margin, expected_margin.tolist()))


def test_linear_model_parse_and_feature_names(array_path):
    text = (
        '{"format": "aisle.linear", "format_version": 1, "name": "ctr", "link": "identity",'
        ' "bias": 1.0, "weights": [{"feature": "a", "weight": 2.0},'
        ' {"feature": "b", "weight": -1.0, "missing": 3.0}]}'
    )
    with aisle.Model.parse(text, "linear") as m:
        assert m.num_features == 2 and m.num_outputs == 1
        assert m.feature_names == ["a", "b"]
        assert m.version.startswith("linear:ctr:xxh64=")
        got = tolist(m.predict([[1.0, 1.0], [0.5, float("nan")]]))
    assert got == [2.0, 1.0 + 1.0 - 3.0]


def test_model_errors_name_the_problem(tmp_path):
    with pytest.raises(aisle.NotFound) as e:
        aisle.Model.load(tmp_path / "missing.json", "xgboost")
    assert "missing.json" in e.value.message
    bad = tmp_path / "bad.json"
    bad.write_text('{"learner": ')
    with pytest.raises(aisle.AisleError) as e:
        aisle.Model.load(bad, "xgboost")
    assert "bad.json" in e.value.message
    with pytest.raises(aisle.InvalidArgument):
        aisle.Model.load(tmp_path / "model.unknownext")
    with pytest.raises(aisle.InvalidArgument):
        aisle.Model.parse("{}", "onnx")
    base = os.path.join(RANKING_FIXTURES, "xgb_binary_logistic")
    with aisle.Model.load(base + ".json") as m:
        with pytest.raises(aisle.InvalidArgument) as e:
            m.predict([[1.0, 2.0, 3.0]])
        assert "3" in e.value.message
        with pytest.raises(aisle.OutOfRange):
            m.feature_name(10_000)
    with pytest.raises(aisle.FailedPrecondition):
        m.predict([[0.0] * 30])  # closed


def test_model_list_path_rejects_ragged_rows():
    with aisle.Model.load(os.path.join(RANKING_FIXTURES, "xgb_binary_logistic.json")) as m:
        prev = aisle.use_numpy(False)
        try:
            with pytest.raises(aisle.InvalidArgument) as e:
                m.predict([[0.0] * 30, [0.0] * 29])
            assert "row 1" in e.value.message
        finally:
            aisle.use_numpy(prev)


# ---- LightGBM and XGBoost models from /work/shared/data/gbdt, as in
# tests/ranking/gbdt_shared_data_test.cc -----------------------------------
def shared(rel):
    return os.path.join(SHARED_DATA, "gbdt", rel)


def read_libsvm(path, cols):
    rows = []
    with open(path) as f:
        for line in f:
            toks = line.split()
            if not toks:
                continue
            row = [math.nan] * cols
            for tok in toks[1:]:
                k, _, v = tok.partition(":")
                if k == "qid" or not v:
                    continue
                if int(k) < cols:
                    row[int(k)] = float(v)
            rows.append(row)
    return rows


def lightgbm_double_thresholds(path):
    """(feature, threshold) of every numerical split of a LightGBM text model."""
    out = []
    feats = thresholds = decisions = None
    with open(path) as f:
        for line in f:
            if line.startswith("split_feature="):
                feats = [int(v) for v in line.split("=", 1)[1].split()]
            elif line.startswith("threshold="):
                thresholds = [float(v) for v in line.split("=", 1)[1].split()]
            elif line.startswith("decision_type="):
                decisions = [int(v) for v in line.split("=", 1)[1].split()]
            elif line.startswith("Tree=") or line.startswith("end of trees"):
                feats = thresholds = decisions = None
            if feats is not None and thresholds is not None and decisions is not None:
                out += [(fi, t) for fi, t, d in zip(feats, thresholds, decisions) if not d & 1]
                feats = thresholds = decisions = None
    return out


def float_rounding_crosses_threshold(thresholds, rows):
    """Rows whose float32 rounding lands on the other side of a double threshold
    than the double value (LightGBM predicted from doubles; aisle takes float32):
    the C++ parity test skips exactly these rows."""
    import struct

    def f32(v):
        return struct.unpack("f", struct.pack("f", v))[0] if not math.isnan(v) else v

    crosses = []
    for row in rows:
        c = False
        for fi, t in thresholds:
            v = row[fi]
            if not math.isnan(v) and (v <= t) != (f32(v) <= t):
                c = True
                break
        crosses.append(c)
    return crosses


LIGHTGBM_CASES = [
    ("leaves/lg_kddcup99.model", "leaves/kddcup99_test.tsv", 0,
     "leaves/lg_kddcup99_true_predictions.txt", "margin"),
    ("leaves/lgmulticlass.model", "leaves/multiclass_test.tsv", 1,
     "leaves/lgmulticlass_true_raw_predictions.txt", "margin"),
    ("leaves/lgmulticlass.model", "leaves/multiclass_test.tsv", 1,
     "leaves/lgmulticlass_true_predictions.txt", "transformed"),
    ("leaves/lg_dart_breast_cancer.model", "leaves/breast_cancer_test.tsv", 0,
     "leaves/lg_dart_breast_cancer_true_predictions.txt", "transformed"),
    ("leaves/genlin_fmtp_poisson_Frequency.model",
     "leaves/genlin_fmtp_poisson_Frequency_features.tsv", 0,
     "leaves/genlin_fmtp_poisson_Frequency_true_predictions.txt", "transformed"),
    ("leaves/genlin_fmtp_gamma_AvgClaimAmount.model",
     "leaves/genlin_fmtp_gamma_AvgClaimAmount_features.tsv", 0,
     "leaves/genlin_fmtp_gamma_AvgClaimAmount_true_predictions.txt", "transformed"),
    ("leaves/genlin_fmtp_tweedie_PurePremium.model",
     "leaves/genlin_fmtp_tweedie_PurePremium_features.tsv", 0,
     "leaves/genlin_fmtp_tweedie_PurePremium_true_predictions.txt", "transformed"),
    ("treelite/toy_categorical/toy_categorical_model.txt",
     "treelite/toy_categorical/toy_categorical.test", 0,
     "treelite/toy_categorical/toy_categorical.test.pred", "margin"),
    ("treelite/sparse_categorical/sparse_categorical_model.txt",
     "treelite/sparse_categorical/sparse_categorical.test", 0,
     "treelite/sparse_categorical/sparse_categorical.test.margin", "margin"),
]


@pytest.mark.parametrize("model_rel,features_rel,skip,pred_rel,output", LIGHTGBM_CASES,
                         ids=[c[4] + ":" + os.path.basename(c[0]) for c in LIGHTGBM_CASES])
def test_lightgbm_shared_data_matches_lightgbm(model_rel, features_rel, skip, pred_rel, output):
    if not os.path.exists(shared(model_rel)):
        pytest.skip("shared data file %s is absent; parity not checked" % shared(model_rel))
    with aisle.Model.load(shared(model_rel), "lightgbm") as m:
        if features_rel.endswith(".tsv"):
            x = read_table(shared(features_rel), skip)
        else:
            x = read_libsvm(shared(features_rel), m.num_features)
        assert x and len(x[0]) == m.num_features
        expected = read_numbers(shared(pred_rel))
        k = m.num_outputs
        assert len(expected) == len(x) * k
        got = flat(m.predict(x, output=output))
    crosses = float_rounding_crosses_threshold(lightgbm_double_thresholds(shared(model_rel)), x)
    assert sum(crosses) <= len(x) // 50 + 1, "too many rows straddle a threshold in float32"
    bad = []
    for r in range(len(x)):
        if crosses[r]:
            continue
        for j in range(k):
            g, e = got[r * k + j], expected[r * k + j]
            if not near(g, e, 1e-5):
                bad.append((r, j, g, e))
    assert not bad, "first mismatches (row, output, aisle, lightgbm): %s" % bad[:5]


XGB_SHARED = [
    ("leaves/xgagaricus.json", "leaves/agaricus_test.libsvm",
     "leaves/xgagaricus_true_predictions.txt", "transformed"),
    ("treelite/xgb_toy_categorical/xgb_toy_categorical_model.json",
     "treelite/xgb_toy_categorical/xgb_toy_categorical.test",
     "treelite/xgb_toy_categorical/xgb_toy_categorical.test.pred", "margin"),
    ("treelite/mushroom/mushroom.model", "treelite/mushroom/agaricus.test",
     "treelite/mushroom/agaricus.test.margin", "margin"),
    ("treelite/mushroom/mushroom.model", "treelite/mushroom/agaricus.test",
     "treelite/mushroom/agaricus.test.prob", "transformed"),
]


@pytest.mark.parametrize("model_rel,features_rel,pred_rel,output", XGB_SHARED,
                         ids=[c[3] + ":" + os.path.basename(c[0]) for c in XGB_SHARED])
def test_xgboost_shared_data_matches(model_rel, features_rel, pred_rel, output):
    if not os.path.exists(shared(model_rel)):
        pytest.skip("shared data file %s is absent; parity not checked" % shared(model_rel))
    with aisle.Model.load(shared(model_rel), "xgboost") as m:
        x = read_libsvm(shared(features_rel), m.num_features)
        got = flat(m.predict(x, output=output))
    expected = read_numbers(shared(pred_rel))
    assert len(got) == len(expected)
    bad = [(i, g, e) for i, (g, e) in enumerate(zip(got, expected)) if not near(g, e, 1e-5)]
    assert not bad, bad[:5]


def test_xgboost_gblinear_is_rejected_as_gbdt():
    path = shared("leaves/xgblin_agaricus.json")
    if not os.path.exists(path):
        pytest.skip("shared data file %s is absent" % path)
    with pytest.raises(aisle.FailedPrecondition) as e:
        aisle.Model.load(path, "xgboost")
    assert "gblinear" in e.value.message
