#!/usr/bin/env python3
"""Per-recommend overhead of the Python package over the C call.

Builds the same engine from C (c_recommend_timing.c, compiled here with cc)
and from Python, serves the same product-page requests (k = 10, rotating
seeds), and prints ns per request for:

  C    aisle_engine_recommend + destroy                 (the floor)
  C    ... + reading the 10 item ids
  Py   raw ctypes: aisle_engine_recommend + destroy     (binding floor)
  Py   Engine.recommend_ids(request)                    (ids only)
  Py   Engine.recommend(request) -> Response             (full dataclasses)
  Py   Engine.recommend(surface=..., seed_items=...)     (a new Request per call)

Usage (no timing is asserted anywhere; run it on a quiet machine):

    AISLE_LIBRARY=build/capi/libaisle.so /usr/bin/python3 \\
        bindings/python/benchmarks/recommend_overhead.py [--iterations 20000] [--repeats 5]
"""

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from ctypes import byref

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
REPO = os.path.dirname(os.path.dirname(os.path.dirname(HERE)))

import aisle  # noqa: E402
from aisle import _lib  # noqa: E402
from aisle._handle import new_out  # noqa: E402

MODEL = (
    '{"format": "aisle.linear", "format_version": 1, "name": "bench", "link": "logistic",'
    ' "bias": 0.0, "weights": [{"feature": "ann_score", "weight": 4.0},'
    ' {"feature": "price", "weight": -0.002}]}'
)


def python_engine(items, dim):
    with aisle.Catalog.synthetic(items, dim=dim, seed=7) as cat, aisle.AnnIndex.from_catalog(
        cat, metric="cosine"
    ) as ann, aisle.Model.parse(MODEL, "linear") as model, aisle.Snapshot("bench") as snap:
        snap.set_catalog(cat).set_ann_index(ann).add_model("ranker", model)
        with aisle.Pipeline("product_page") as p:
            (p.add_source("ann", "ann", 100).set_max_candidates(100).set_ranker("ranker")
             .set_default_k(10).set_budget(1000000))
            snap.add_pipeline(p)
        return aisle.Engine(snap)


def time_loop(fn, n):
    for i in range(n // 10):
        fn(i)
    t0 = time.perf_counter_ns()
    for i in range(n):
        fn(i)
    return (time.perf_counter_ns() - t0) / n


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--items", type=int, default=5000)
    ap.add_argument("--dim", type=int, default=32)
    ap.add_argument("--iterations", type=int, default=20000)
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args()

    cc = shutil.which("cc") or shutil.which("gcc")
    tmp = tempfile.mkdtemp()
    try:
        exe = os.path.join(tmp, "c_timing")
        lib = aisle.library_path
        subprocess.run([cc, "-std=c99", "-O2", "-I", os.path.join(REPO, "capi"),
                        os.path.join(HERE, "c_recommend_timing.c"), "-o", exe, lib,
                        "-Wl,-rpath," + os.path.dirname(os.path.abspath(lib))], check=True)
        model_path = os.path.join(tmp, "model.json")
        with open(model_path, "w") as f:
            f.write(MODEL)

        engine = python_engine(args.items, args.dim)
        seeds = ["sku-%07d" % ((i * 37) % args.items) for i in range(64)]
        req = aisle.Request("product_page", k=10)
        reqs = [aisle.Request("product_page", k=10, seed_items=[s]) for s in seeds]
        eh = engine._h

        def raw(i):
            out = new_out(_lib.response_t)
            _lib.aisle_engine_recommend(eh, reqs[i & 63]._h, byref(out))
            _lib.aisle_response_destroy(out)

        def ids_only(i):
            engine.recommend_ids(reqs[i & 63])

        def full(i):
            engine.recommend(reqs[i & 63])

        def full_with_setter(i):
            req.set_seed_items([seeds[i & 63]])
            engine.recommend(req)

        def new_request(i):
            engine.recommend(surface="product_page", seed_items=[seeds[i & 63]], k=10)

        rows = {k: [] for k in ("c", "c_ids", "raw", "ids", "full", "setter", "new")}
        for _ in range(args.repeats):
            out = subprocess.run([exe, str(args.items), str(args.dim), str(args.iterations),
                                  model_path], check=True, capture_output=True,
                                 text=True).stdout.split()
            rows["c"].append(float(out[0]))
            rows["c_ids"].append(float(out[1]))
            rows["raw"].append(time_loop(raw, args.iterations))
            rows["ids"].append(time_loop(ids_only, args.iterations))
            rows["full"].append(time_loop(full, args.iterations))
            rows["setter"].append(time_loop(full_with_setter, args.iterations))
            rows["new"].append(time_loop(new_request, args.iterations // 2))
        engine.close()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    c = statistics.median(rows["c"])
    print("items=%d dim=%d k=10 iterations=%d repeats=%d (median, min..max ns/request)"
          % (args.items, args.dim, args.iterations, args.repeats))
    labels = [
        ("c", "C   recommend + destroy"),
        ("c_ids", "C   + read 10 item ids"),
        ("raw", "Py  raw ctypes recommend + destroy"),
        ("ids", "Py  Engine.recommend_ids"),
        ("full", "Py  Engine.recommend -> Response"),
        ("setter", "Py  set_seed_items + recommend"),
        ("new", "Py  recommend(surface=..., ...)"),
    ]
    for key, label in labels:
        v = rows[key]
        med = statistics.median(v)
        print("  %-38s %8.0f  (%6.0f..%6.0f)  overhead vs C %+7.0f ns  ratio %.2f"
              % (label, med, min(v), max(v), med - c, med / c))


if __name__ == "__main__":
    main()
