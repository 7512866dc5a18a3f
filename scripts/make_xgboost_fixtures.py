#!/usr/bin/python3
"""Generates XGBoost parity fixtures for aisle's GBDT importer.

Run with Debian's python3-xgboost (1.7.4), python3-sklearn and python3-numpy:

    /usr/bin/python3 scripts/make_xgboost_fixtures.py [--shared /work/shared/data]

Writes into tests/data/ranking/:
  xgb_<name>.json         the model, saved by XGBoost (JSON)
  xgb_<name>.inputs.tsv   test rows, float32 values printed exactly, "nan" = missing
  xgb_<name>.margin.txt   XGBoost's margins (output_margin=True), K per row
  xgb_<name>.pred.txt     XGBoost's transformed predictions, K per row
  xgb_binary_logistic_bracket_base.json
                          the binary:logistic model with base_score rewritten in
                          the XGBoost >= 3.1 form "[3E-1]" (same predictions)
Training data: scikit-learn's bundled load_breast_cancer, load_diabetes and
load_iris (no download), and LightGBM's lambdarank example from the shared
data folder (ltr/lambdarank) for the ranking objectives. NaNs are injected
into inputs so that default directions are exercised. Everything is seeded:
re-running produces the same files.
"""

import argparse
import json
import os
import sys

import numpy as np
import xgboost as xgb
from sklearn.datasets import load_breast_cancer, load_diabetes, load_iris

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "tests", "data", "ranking")


def inject_nan(x, frac, rng):
    x = x.astype(np.float32).copy()
    mask = rng.random(x.shape) < frac
    x[mask] = np.nan
    return x


def fmt(v):
    v = np.float32(v)
    if np.isnan(v):
        return "nan"
    return repr(float(v)) if float(v) != int(v) or abs(v) > 1e15 else str(int(v))


def write_rows(path, rows):
    with open(path, "w") as f:
        for r in rows:
            f.write("\t".join(fmt(v) for v in np.atleast_1d(r)) + "\n")


def write_preds(path, preds):
    preds = np.asarray(preds, dtype=np.float64)
    if preds.ndim == 1:
        preds = preds[:, None]
    with open(path, "w") as f:
        for r in preds:
            f.write("\t".join("%.9g" % v for v in r) + "\n")


def save(name, booster, x_test, feature_names=None, feature_types=None):
    d = xgb.DMatrix(x_test, missing=np.nan, feature_names=feature_names,
                    feature_types=feature_types, enable_categorical=feature_types is not None)
    booster.save_model(os.path.join(OUT, "xgb_%s.json" % name))
    write_rows(os.path.join(OUT, "xgb_%s.inputs.tsv" % name), x_test)
    write_preds(os.path.join(OUT, "xgb_%s.margin.txt" % name), booster.predict(d, output_margin=True))
    write_preds(os.path.join(OUT, "xgb_%s.pred.txt" % name), booster.predict(d))
    print("wrote", name, "trees:", len(booster.get_dump()), file=sys.stderr)


def train(params, x, y, rounds, feature_names=None, feature_types=None, group=None):
    d = xgb.DMatrix(x, label=y, missing=np.nan, feature_names=feature_names,
                    feature_types=feature_types, enable_categorical=feature_types is not None)
    if group is not None:
        d.set_group(group)
    p = {"seed": 7, "nthread": 1, "tree_method": "hist"}
    p.update(params)
    return xgb.train(p, d, num_boost_round=rounds)


def read_libsvm(path, num_features):
    rows, labels = [], []
    with open(path) as f:
        for line in f:
            parts = line.split()
            labels.append(float(parts[0]))
            r = np.full(num_features, np.nan, dtype=np.float32)
            for tok in parts[1:]:
                i, v = tok.split(":")
                if int(i) < num_features:
                    r[int(i)] = float(v)
            rows.append(r)
    return np.array(rows), np.array(labels)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--shared", default=os.path.join(ROOT, "..", "shared", "data"))
    args = ap.parse_args()
    os.makedirs(OUT, exist_ok=True)
    rng = np.random.default_rng(20261120)

    # Breast cancer: binary objectives, feature names, NaNs, non-default base_score.
    bc = load_breast_cancer()
    names = ["bc_%d" % i for i in range(bc.data.shape[1])]
    x = inject_nan(bc.data, 0.05, rng)
    y = bc.target.astype(np.float32)
    xtr, xte, ytr = x[:469], x[469:], y[:469]
    b = train({"objective": "binary:logistic", "max_depth": 4, "eta": 0.3, "base_score": 0.3},
              xtr, ytr, 20, feature_names=names)
    save("binary_logistic", b, xte, feature_names=names)
    b = train({"objective": "reg:logistic", "max_depth": 3, "eta": 0.3, "base_score": 0.7},
              xtr, ytr, 15, feature_names=names)
    save("reg_logistic", b, xte, feature_names=names)
    b = train({"objective": "binary:logitraw", "max_depth": 3, "eta": 0.3, "base_score": 0.2},
              xtr, ytr, 15)
    save("binary_logitraw", b, xte)

    # The binary:logistic model again with base_score written as "[3E-1]".
    with open(os.path.join(OUT, "xgb_binary_logistic.json")) as f:
        text = f.read()
    model = json.loads(text)
    bs = model["learner"]["learner_model_param"]["base_score"]
    assert not bs.startswith("[")
    bracket = text.replace('"base_score":"%s"' % bs, '"base_score":"[%s]"' % bs)
    assert bracket != text
    with open(os.path.join(OUT, "xgb_binary_logistic_bracket_base.json"), "w") as f:
        f.write(bracket)

    # Diabetes: regression objectives.
    db = load_diabetes()
    x = inject_nan(db.data, 0.05, rng)
    y = db.target.astype(np.float32)
    xtr, xte, ytr = x[:372], x[372:], y[:372]
    b = train({"objective": "reg:squarederror", "max_depth": 5, "eta": 0.2}, xtr, ytr, 30)
    save("reg_squarederror", b, xte)
    b = train({"objective": "count:poisson", "max_depth": 3, "eta": 0.2, "base_score": 100.0},
              xtr, ytr, 20)
    save("count_poisson", b, xte)

    # Categorical features (native, split_type 1): diabetes with two columns
    # turned into category codes.
    xc = x.copy()
    xc[:, 1] = np.where(np.isnan(x[:, 1]), np.nan, (x[:, 1] > 0).astype(np.float32))
    xc[:, 2] = np.where(np.isnan(x[:, 2]), np.nan,
                        np.floor((x[:, 2] - np.nanmin(x[:, 2])) * 60).astype(np.float32))
    types = ["q"] * xc.shape[1]
    types[1] = "c"
    types[2] = "c"
    b = train({"objective": "reg:squarederror", "max_depth": 4, "eta": 0.3,
               "max_cat_to_onehot": 1}, xc[:372], ytr, 15, feature_types=types)
    save("categorical", b, xc[372:], feature_types=types)

    # Iris: multiclass.
    ir = load_iris()
    perm = rng.permutation(len(ir.target))
    x = inject_nan(ir.data[perm], 0.05, rng)
    y = ir.target[perm].astype(np.float32)
    b = train({"objective": "multi:softprob", "num_class": 3, "max_depth": 3, "eta": 0.3},
              x[:110], y[:110], 10)
    save("multi_softprob", b, x[110:])

    # Learning to rank on LightGBM's lambdarank example (shared data).
    ltr = os.path.join(args.shared, "ltr", "lambdarank")
    nf = 301
    xtr, ytr = read_libsvm(os.path.join(ltr, "rank.train"), nf)
    gtr = [int(v) for v in open(os.path.join(ltr, "rank.train.query")).read().split()]
    xte, _ = read_libsvm(os.path.join(ltr, "rank.test"), nf)
    xte = xte[:50]
    for obj in ["rank:ndcg", "rank:pairwise"]:
        b = train({"objective": obj, "max_depth": 4, "eta": 0.2}, xtr, ytr, 20, group=gtr)
        save(obj.replace(":", "_"), b, xte)


if __name__ == "__main__":
    main()
