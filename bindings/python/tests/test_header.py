"""The ctypes declarations of aisle._lib against capi/aisle.h itself.

Parses the header (function declarations, struct typedefs and the
AISLE_MAX_* limits) and checks that every bound function has the header's
parameter names and types, every struct the header's fields in order, and
aisle.constants the header's limits, so that the binding cannot drift from
the C ABI. Skipped when the header is not next to the package's source tree
(an installed copy of the package).
"""

import ctypes
import os
import re

import pytest

import aisle
from aisle import _lib

HEADER = os.path.join(
    os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(
        aisle.__file__))))), "capi", "aisle.h")

# C struct typedef -> its ctypes class in _lib.
STRUCTS = {
    "aisle_item_spec": _lib.ItemSpec,
    "aisle_ann_options": _lib.AnnOptions,
    "aisle_search_params": _lib.SearchParams,
    "aisle_covisitation_options": _lib.CovisitationOptions,
    "aisle_popularity_options": _lib.PopularityOptions,
    "aisle_engine_metrics": _lib.EngineMetricsT,
    "aisle_engine_options": _lib.EngineOptionsT,
    "aisle_breaker_options": _lib.BreakerOptions,
    "aisle_response_counts": _lib.ResponseCountsT,
}
SCALARS = {
    "int32_t": ctypes.c_int32,
    "uint32_t": ctypes.c_uint32,
    "int64_t": ctypes.c_int64,
    "uint64_t": ctypes.c_uint64,
    "size_t": ctypes.c_size_t,
    "uint8_t": ctypes.c_uint8,
    "float": ctypes.c_float,
    "double": ctypes.c_double,
}


@pytest.fixture(scope="module")
def header():
    if not os.path.isfile(HEADER):
        pytest.skip("capi/aisle.h not found at %s (the package is not in its source tree); "
                    "nothing to compare the declarations with" % HEADER)
    with open(HEADER) as f:
        text = f.read()
    return re.sub(r"/\*.*?\*/", " ", text, flags=re.S)


def handles():
    """C handle name -> its opaque ctypes struct (aisle_engine -> engine_t)."""
    out = {}
    for name in dir(_lib):
        obj = getattr(_lib, name)
        if name.endswith("_t") and isinstance(obj, type) and issubclass(obj, ctypes.Structure):
            out[obj.__name__] = obj
    return out


def ctype_of(decl, for_field=False):
    """The ctypes types a C declaration's type may be bound as (a set)."""
    t = " ".join(decl.replace("const", " ").split())
    stars = t.count("*")
    base = t.replace("*", "").strip()
    P = ctypes.POINTER
    if base == "void":
        return {None} if stars == 0 else {ctypes.c_void_p} if stars == 1 else set()
    if base == "char":
        # char* is a NUL-terminated string or a byte buffer; char** is an out
        # string, or an array of strings, or an out (pointer, length) buffer.
        return {ctypes.c_char_p} if stars == 1 else {P(ctypes.c_char_p), P(P(ctypes.c_char))}
    if base == "aisle_scorer_fn":
        return {_lib.SCORER_FN}
    if base in SCALARS:
        c = SCALARS[base]
    elif base in STRUCTS:
        c = STRUCTS[base]
    elif base in handles():
        c = handles()[base]
    else:
        raise AssertionError("unknown C type %r" % decl)
    for _ in range(stars):
        c = P(c)
    return {c}


def header_functions(text):
    out = {}
    for m in re.finditer(r"AISLE_API\s+([^;(]*?)\b(aisle_\w+)\s*\(([^)]*)\)\s*;", text, re.S):
        restype, name, params = m.group(1), m.group(2), " ".join(m.group(3).split())
        plist = []
        if params != "void":
            for p in params.split(","):
                pm = re.match(r"(.*?)(\w+)$", p.strip())
                plist.append((pm.group(2), pm.group(1)))
        out[name] = (restype, plist)
    return out


def test_every_bound_function_has_the_headers_names_and_types(header):
    functions = header_functions(header)
    assert len(functions) > 100, "the header parser found only %d functions" % len(functions)
    problems = []
    for name, (restype, names, argtypes) in _lib.PARAMS.items():
        if name not in functions:
            problems.append("%s: not declared in aisle.h" % name)
            continue
        c_restype, c_params = functions[name]
        if restype not in ctype_of(c_restype):
            problems.append("%s: restype %r, header says %r" % (name, restype, c_restype))
        c_names = tuple(n for n, _ in c_params)
        if names != c_names:
            problems.append("%s: parameter names %s, header says %s" % (name, names, c_names))
        if len(argtypes) != len(c_params):
            problems.append("%s: %d argtypes, header has %d parameters"
                            % (name, len(argtypes), len(c_params)))
            continue
        for t, (pname, ptype) in zip(argtypes, c_params):
            if t not in ctype_of(ptype):
                problems.append("%s: parameter %s is %r, header says %r" % (name, pname, t, ptype))
    assert not problems, "\n".join(problems)
    unbound = sorted(set(functions) - set(_lib.PARAMS))
    assert not unbound, "declared in aisle.h but not in _lib._DECLS: %s" % unbound


def test_every_struct_has_the_headers_fields_in_order(header):
    for cname, cls in STRUCTS.items():
        m = re.search(r"typedef struct %s \{(.*?)\} %s;" % (cname, cname), header, re.S)
        assert m, "struct %s not found in aisle.h" % cname
        fields = []
        for decl in m.group(1).split(";"):
            decl = " ".join(decl.split())
            if not decl:
                continue
            fm = re.match(r"(.*?)(\w+)(?:\[(\d+)\])?$", decl)
            fields.append((fm.group(2), ctype_of(fm.group(1)), int(fm.group(3) or 0)))
        assert [n for n, _ in cls._fields_] == [n for n, _, _ in fields], cname
        for (n, t), (_, want, length) in zip(cls._fields_, fields):
            if length:
                assert issubclass(t, ctypes.Array) and t._length_ == length, (cname, n)
                t = t._type_
            assert t in want, "%s.%s is %r, the header says one of %r" % (cname, n, t, want)


def test_limits_agree_with_the_header(header):
    limits = dict(re.findall(r"#define AISLE_(MAX_\w+) (\d+)u?\b", header))
    assert len(limits) >= 10, limits
    for name, value in limits.items():
        assert hasattr(aisle.constants, name), "aisle.constants lacks %s" % name
        assert getattr(aisle.constants, name) == int(value), name
        assert getattr(aisle, name) == int(value), name
    ours = {n for n in dir(aisle.constants) if n.startswith("MAX_")}
    assert ours == set(limits), ours ^ set(limits)
