#!/usr/bin/python3
"""Generates the .npy fixtures in tests/data/catalog/ with NumPy itself, so
aisle's .npy reader is tested against files a peer tool wrote.

Values follow a formula the tests recompute independently:
    value[r][d] = r + d / 8        (exactly representable in float32)

    /usr/bin/python3 scripts/catalog/make_fixtures.py
"""
import os

import numpy as np

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests", "data", "catalog")


def matrix(rows, dim, dtype):
    r = np.arange(rows, dtype=np.float64)[:, None]
    d = np.arange(dim, dtype=np.float64)[None, :]
    return (r + d / 8.0).astype(dtype)


def main():
    os.makedirs(OUT, exist_ok=True)
    np.save(os.path.join(OUT, "emb_4x3_f4.npy"), matrix(4, 3, "<f4"))
    np.save(os.path.join(OUT, "emb_4x3_f8.npy"), matrix(4, 3, "<f8"))
    # Format version 2.0 (4-byte header length).
    with open(os.path.join(OUT, "emb_4x3_f4_v2.npy"), "wb") as f:
        np.lib.format.write_array(f, matrix(4, 3, "<f4"), version=(2, 0))
    # Readers must reject these with a clear error.
    np.save(os.path.join(OUT, "bad_fortran.npy"), np.asfortranarray(matrix(4, 3, "<f4")))
    np.save(os.path.join(OUT, "bad_1d.npy"), np.arange(5, dtype="<f4"))
    np.save(os.path.join(OUT, "bad_int32.npy"), np.arange(6, dtype="<i4").reshape(2, 3))
    np.save(os.path.join(OUT, "bad_bigendian.npy"), matrix(2, 2, ">f4"))


if __name__ == "__main__":
    main()
