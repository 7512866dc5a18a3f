#!/usr/bin/env python3
"""Writes tests/data/routing/growthbook_subset.json.

The file lets a fresh clone (without /work/shared/data) test aisle's
GrowthBook-compatible hashing and bucketing. It holds:
  * a subset of GrowthBook's published cross-SDK vectors (cases.json, spec
    0.8.0, MIT), copied verbatim when the shared data is present (otherwise the
    hard-coded copies below are used; they are the same values);
  * extra hash vectors computed here by an independent Python implementation of
    the spec (FNV-1a over UTF-16 code units, as GrowthBook's JS SDK does), which
    includes non-ASCII and empty inputs the published cases do not cover.

Usage: scripts/routing/gen_growthbook_subset.py [path/to/cases.json]
"""
import json
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, "tests", "data", "routing", "growthbook_subset.json")


def fnv32a(s):
    h = 0x811C9DC5
    data = s.encode("utf-16-le")
    for i in range(0, len(data), 2):
        h ^= data[i] | (data[i + 1] << 8)
        h = (h * 0x01000193) & 0xFFFFFFFF
    return h


def gb_hash(seed, value, version):
    if version == 1:
        return (fnv32a(value + seed) % 1000) / 1000
    if version == 2:
        return (fnv32a(str(fnv32a(seed + value))) % 10000) / 10000
    return None


PICK = {
    "hash": [0, 2, 3, 6, 7, 10, 12, 13, 14],
    "getBucketRange": [1, 4, 6, 7, 8, 9, 12],
    "chooseVariation": [5, 7, 10, 12],
    "inNamespace": [0, 1, 10, 11],
    "getEqualWeights": [0, 1, 4],
}

FALLBACK = {
    "hash": [["", "a", 1, 0.22], ["b", "a", 1, 0.946], ["ef", "d", 1, 0.652],
             ["", "___)((*\":&", 1, 0.563], ["seed", "a", 2, 0.0505], ["foo", "def", 2, 0.2019],
             ["90850943850283058242805", "123", 2, 0.7516],
             ["()**(%$##$%#$#", "___)((*\":&", 2, 0.0128], ["abc", "def", 99, None]],
    "getBucketRange": [
        ["reduced coverage", [2, 0.5, None], [[0, 0.25], [0.5, 0.75]]],
        ["uneven weights", [2, 1, [0.4, 0.6]], [[0, 0.4], [0.4, 1]]],
        ["uneven weights, reduced coverage, 3 variations", [3, 0.2, [0.2, 0.3, 0.5]],
         [[0, 0.04], [0.2, 0.26], [0.5, 0.6]]],
        ["negative coverage", [2, -0.2, None], [[0, 0], [0.5, 0.5]]],
        ["coverage above 1", [2, 1.5, None], [[0, 0.5], [0.5, 1]]],
        ["weights sum below 1", [2, 1, [0.4, 0.1]], [[0, 0.5], [0.5, 1]]],
        ["weights sum almost equals 1", [2, 1, [0.4, 0.5999]], [[0, 0.4], [0.4, 0.9999]]]],
    "chooseVariation": [
        ["even range, 0.5", 0.5, [[0, 0.5], [0.5, 1]], 1],
        ["reduced range, 0.4", 0.4, [[0, 0.25], [0.5, 0.75]], -1],
        ["reduced range, 0.25", 0.25, [[0, 0.25], [0.5, 0.75]], -1],
        ["zero range", 0.5, [[0, 0.5], [0.5, 0.5], [0.5, 1]], 2]],
    "inNamespace": [
        ["user 1, namespace1, 1", "1", ["namespace1", 0, 0.4], False],
        ["user 1, namespace1, 2", "1", ["namespace1", 0.4, 1], True],
        ["user 3, namespace2, 1", "3", ["namespace2", 0, 0.4], True],
        ["user 3, namespace2, 2", "3", ["namespace2", 0.4, 1], False]],
    "getEqualWeights": [[-1, []], [0, []], [3, [0.33333333, 0.33333333, 0.33333333]]],
}

EXTRA_HASH_INPUTS = [
    ("", "", 1), ("", "", 2), ("exp-home-ranker", "user-000042", 1),
    ("exp-home-ranker", "user-000042", 2), ("__layer-ranking", "user-000042", 1),
    ("seed", "caf\u00e9", 1), ("seed", "caf\u00e9", 2), ("seed", "\u65e5\u672c", 2),
    ("seed", "a\U0001F600b", 1), ("seed", "a\U0001F600b", 2),
]


def main():
    src = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        ROOT, "..", "shared", "data", "growthbook", "cases.json")
    out = {"source": "subset of growthbook/growthbook packages/sdk-js/test/cases.json "
                     "(spec 0.8.0, MIT) plus extraHash computed by "
                     "scripts/routing/gen_growthbook_subset.py"}
    if os.path.exists(src):
        with open(src) as f:
            cases = json.load(f)
        for k, idx in PICK.items():
            out[k] = [cases[k][i] for i in idx]
    else:
        out.update(FALLBACK)
    out["extraHash"] = [[s, v, ver, gb_hash(s, v, ver)] for s, v, ver in EXTRA_HASH_INPUTS]
    # Self-check the independent implementation against the published vectors.
    for s, v, ver, want in out["hash"]:
        got = gb_hash(s, v, ver)
        assert got == want, (s, v, ver, got, want)
    lines = ["{"]
    keys = list(out.keys())
    for n, k in enumerate(keys):
        v = out[k]
        tail = "," if n + 1 < len(keys) else ""
        if isinstance(v, list):
            body = ",\n".join("  " + json.dumps(c) for c in v)
            lines.append(f"{json.dumps(k)}: [\n{body}\n]{tail}")
        else:
            lines.append(f"{json.dumps(k)}: {json.dumps(v)}{tail}")
    lines.append("}")
    with open(OUT, "w") as f:
        f.write("\n".join(lines) + "\n")
    print("wrote", OUT)


if __name__ == "__main__":
    main()
