"""Loads libaisle and declares the C ABI (capi/aisle.h) for ctypes.

Internal module. The shared library is found, in order, at:

1. the path in the environment variable ``AISLE_LIBRARY``;
2. next to this package (``aisle/libaisle.so*``, for wheels that bundle it);
3. the system search path (``ctypes.util.find_library("aisle")``).

At import the library's ``aisle_abi_version()`` is compared with
``ABI_VERSION``; a mismatch raises :class:`AbiMismatchError` (an ImportError)
naming the file and both versions. Every function the package calls has its
``argtypes``, ``restype`` and C parameter names (as in ``capi/aisle.h``; a
test compares them) declared below; a function missing from an older library
raises ``Unimplemented`` when called, not at import.

ctypes truncates integers silently (2**32 + 3 passed as a uint32_t is 3), so
the module-level function of every declaration with an integer parameter is
a wrapper that checks each integer argument against its C type's range and
raises ``InvalidArgument`` ("aisle_request_set_k: k = 4294967299 is outside
[0, 4294967295]") or ``InvalidArgumentType`` (a float, a str, a bool) before
the call. The structs below check their integer fields the same way on
assignment. The unchecked functions are in ``raw``, for loops over indices
the package computes itself.
"""

import ctypes
import ctypes.util
import glob
import os
import types
from ctypes import (
    CFUNCTYPE,
    POINTER,
    Structure,
    c_char,
    c_char_p,
    c_double,
    c_float,
    c_int32,
    c_int64,
    c_size_t,
    c_uint8,
    c_uint32,
    c_uint64,
    c_void_p,
)

from . import _ints

#: The AISLE_ABI_VERSION this package was written against.
ABI_VERSION = 1


class LibraryNotFoundError(ImportError):
    """libaisle could not be found or loaded."""


class AbiMismatchError(ImportError):
    """The loaded libaisle has an ABI version this package does not speak."""


def _candidates():
    env = os.environ.get("AISLE_LIBRARY")
    if env:
        return [("AISLE_LIBRARY", env)]
    out = []
    here = os.path.dirname(os.path.abspath(__file__))
    for path in sorted(glob.glob(os.path.join(here, "libaisle.so*"))) + sorted(
        glob.glob(os.path.join(here, "libaisle*.dylib"))
    ):
        out.append(("package directory", path))
    found = ctypes.util.find_library("aisle")
    if found:
        out.append(("system path", found))
    return out


def _load():
    tried = []
    for where, path in _candidates():
        try:
            return ctypes.CDLL(path), path
        except OSError as e:
            tried.append("%s (%s): %s" % (path, where, e))
    if os.environ.get("AISLE_LIBRARY"):
        raise LibraryNotFoundError(
            "aisle: cannot load the library named by AISLE_LIBRARY: " + "; ".join(tried)
        )
    raise LibraryNotFoundError(
        "aisle: libaisle.so not found. Set AISLE_LIBRARY to its path (e.g. "
        "build/capi/libaisle.so), put it next to the aisle package, or install it on "
        "the system library path." + (" Tried: " + "; ".join(tried) if tried else "")
    )


lib, path = _load()


# --------------------------------------------------------------------------
# Opaque handle types: one distinct struct per handle so that ctypes rejects
# a catalog passed where an engine is expected.
# --------------------------------------------------------------------------
def _opaque(name):
    return type(name, (Structure,), {})


catalog_builder_t = _opaque("aisle_catalog_builder")
catalog_t = _opaque("aisle_catalog")
ann_index_t = _opaque("aisle_ann_index")
covisitation_t = _opaque("aisle_covisitation")
popularity_t = _opaque("aisle_popularity")
feature_schema_builder_t = _opaque("aisle_feature_schema_builder")
feature_schema_t = _opaque("aisle_feature_schema")
item_feature_store_builder_t = _opaque("aisle_item_feature_store_builder")
item_feature_store_t = _opaque("aisle_item_feature_store")
online_feature_store_t = _opaque("aisle_online_feature_store")
model_t = _opaque("aisle_model")
pipeline_builder_t = _opaque("aisle_pipeline_builder")
snapshot_t = _opaque("aisle_snapshot")
engine_t = _opaque("aisle_engine")
request_t = _opaque("aisle_request")
response_t = _opaque("aisle_response")
feature_matrix_t = _opaque("aisle_feature_matrix")
shadow_result_t = _opaque("aisle_shadow_result")


# --------------------------------------------------------------------------
# Integer ranges of the C types (c_uint64 is c_size_t's type on LP64, so the
# dict has one entry for both).
# --------------------------------------------------------------------------
INT_RANGES = {
    c_int32: _ints.INT32,
    c_uint32: _ints.UINT32,
    c_int64: _ints.INT64,
    c_uint64: _ints.UINT64,
    c_size_t: (0, 2 ** (8 * ctypes.sizeof(c_size_t)) - 1),
    c_uint8: _ints.UINT8,
}


class CheckedStructure(Structure):
    """A Structure whose integer fields are range-checked on assignment.

    ctypes stores ``s.field = 2**32 + 3`` into a uint32_t field as 3; here it
    raises InvalidArgument "<Struct>.<field> = 4294967299 is outside [0,
    4294967295]" (the struct's name without a trailing "T").
    """

    _int_fields = {}
    _label = "struct"

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        cls._label = cls.__name__[:-1] if cls.__name__.endswith("T") else cls.__name__
        cls._int_fields = {
            name: INT_RANGES[ctype]
            for name, ctype in cls.__dict__.get("_fields_", ())
            if ctype in INT_RANGES
        }

    def __setattr__(self, name, value):
        r = self._int_fields.get(name)
        if r is not None and (type(value) is not int or value < r[0] or value > r[1]):
            value = _ints.checked(value, "%s.%s" % (self._label, name), r[0], r[1])
        super().__setattr__(name, value)


# --------------------------------------------------------------------------
# Structs (layouts mirror capi/aisle.h; each starts with `size`).
# --------------------------------------------------------------------------
class ItemSpec(CheckedStructure):
    _fields_ = [
        ("size", c_size_t),
        ("id", c_char_p),
        ("category", c_char_p),
        ("brand", c_char_p),
        ("title", c_char_p),
        ("price", c_float),
        ("stock", c_int32),
        ("launch_time_micros", c_int64),
        ("attribute_keys", POINTER(c_char_p)),
        ("attribute_values", POINTER(c_char_p)),
        ("attribute_count", c_size_t),
        ("embedding", POINTER(c_float)),
        ("embedding_len", c_size_t),
    ]


class AnnOptions(CheckedStructure):
    _fields_ = [
        ("size", c_size_t),
        ("metric", c_int32),
        ("threads", c_uint32),
        ("m", c_size_t),
        ("ef_construction", c_size_t),
        ("default_ef", c_size_t),
        ("seed", c_uint64),
    ]


class SearchParams(CheckedStructure):
    _fields_ = [
        ("size", c_size_t),
        ("ef", c_size_t),
        ("allowed", POINTER(c_uint32)),
        ("allowed_count", c_size_t),
        ("exclude", POINTER(c_uint32)),
        ("exclude_count", c_size_t),
    ]


class CovisitationOptions(CheckedStructure):
    _fields_ = [
        ("size", c_size_t),
        ("num_items", c_size_t),
        ("max_distance", c_int32),
        ("window_micros", c_int64),
        ("top_n", c_size_t),
    ]


class PopularityOptions(CheckedStructure):
    _fields_ = [
        ("size", c_size_t),
        ("num_items", c_size_t),
        ("item_categories", POINTER(c_uint32)),
        ("num_categories", c_size_t),
        ("num_segments", c_uint32),
        ("half_life_micros", c_int64),
        ("top_n", c_size_t),
    ]


class EngineMetricsT(CheckedStructure):
    _fields_ = [
        ("size", c_size_t),
        ("requests", c_uint64),
        ("errors", c_uint64),
        ("empty_responses", c_uint64),
        ("served_by_level", c_uint64 * 8),
        ("fallback_reasons", c_uint64 * 16),
        ("unknown_items", c_uint64),
        ("events_applied", c_uint64),
        ("events_rejected", c_uint64),
        ("swaps", c_uint64),
        ("swaps_rejected", c_uint64),
        ("isolated_calls", c_uint64),
        ("isolated_timeouts", c_uint64),
        ("isolated_rejected", c_uint64),
        ("isolated_outstanding", c_uint64),
        ("events_clamped_old", c_uint64),
        ("events_clamped_new", c_uint64),
        ("events_rejected_old", c_uint64),
        ("events_rejected_new", c_uint64),
        ("events_rejected_time", c_uint64),
        ("events_time_missing", c_uint64),
        ("duplicate_request_items", c_uint64),
        ("rollbacks", c_uint64),
        ("served_by_tier", c_uint64 * 4),
        ("stage_runs", c_uint64 * 16),
        ("stage_micros", c_uint64 * 16),
        ("stage_failures", c_uint64 * 16),
        ("holdout_requests", c_uint64),
        ("killed_assignments", c_uint64),
        ("shadow_calls", c_uint64),
        ("shadow_failed", c_uint64),
        ("shadow_skipped", c_uint64),
        ("shadow_dropped", c_uint64),
    ]


class EngineOptionsT(CheckedStructure):
    _fields_ = [
        ("size", c_size_t),
        ("history_length", c_uint32),
        ("isolation_threads", c_uint32),
        ("isolation_max_outstanding", c_uint32),
        ("no_threads", c_int32),
        ("publish_every", c_int64),
        ("event_max_age_micros", c_int64),
        ("event_max_lead_micros", c_int64),
        ("event_too_old", c_int32),
        ("event_too_new", c_int32),
        ("num_segments", c_uint32),
        ("shadow_threads", c_uint32),
        ("shadow_max_outstanding", c_uint32),
    ]


class BreakerOptions(CheckedStructure):
    _fields_ = [
        ("size", c_size_t),
        ("call_timeout_micros", c_int64),
        ("open_micros", c_int64),
        ("min_requests", c_int32),
        ("failure_rate", c_double),
        ("consecutive_timeouts", c_int32),
    ]


class ResponseCountsT(CheckedStructure):
    _fields_ = [
        ("size", c_size_t),
        ("candidates", c_uint32),
        ("filtered", c_uint32),
        ("unknown_items", c_uint32),
        ("stale_features", c_uint32),
        ("defaulted_features", c_uint32),
    ]


#: int32_t (*)(void*, const float*, size_t, size_t, float*, int64_t)
SCORER_FN = CFUNCTYPE(
    c_int32, c_void_p, POINTER(c_float), c_size_t, c_size_t, POINTER(c_float), c_int64
)

# --------------------------------------------------------------------------
# Function declarations.
# --------------------------------------------------------------------------
P = POINTER
i32, u32, u64, i64, sz, f32, f64, u8 = (
    c_int32,
    c_uint32,
    c_uint64,
    c_int64,
    c_size_t,
    c_float,
    c_double,
    c_uint8,
)
cstr = c_char_p
cstrs = P(c_char_p)

missing = []

#: The unchecked ctypes functions, by name (for indices the package computes).
raw = types.SimpleNamespace()

#: name -> (restype, C parameter names, argtypes), as declared below.
PARAMS = {}


class _Missing:
    """Stands in for a function an older library does not export."""

    def __init__(self, name):
        self.name = name

    def __call__(self, *args):
        from . import errors  # noqa: PLC0415 (avoid an import cycle)

        raise errors.Unimplemented(
            errors.UNIMPLEMENTED, "%s is not exported by %s (library too old)" % (self.name, path)
        )


def _checked(name, fn, names, argtypes):
    """`fn` behind a check of its integer arguments (or `fn` itself if none)."""
    specs = tuple(
        (i, "%s: %s" % (name, names[i]), INT_RANGES[t][0], INT_RANGES[t][1], t is c_uint8)
        for i, t in enumerate(argtypes)
        if t in INT_RANGES
    )
    if not specs:
        return fn

    n = len(argtypes)

    def fixed(args, i, where, lo, hi, flag):
        v = _ints.checked(args[i], where, lo, hi, allow_bool=flag)  # raises unless int-like
        return args[:i] + (v,) + args[i + 1 :]

    if len(specs) == 1:  # most functions: one loop-free check
        ((i, where, lo, hi, flag),) = specs

        def call(*args):
            if len(args) == n:
                v = args[i]
                if type(v) is not int or v < lo or v > hi:
                    args = fixed(args, i, where, lo, hi, flag)
            return fn(*args)  # ctypes reports a wrong number of arguments

    else:

        def call(*args):
            if len(args) == n:
                for i, where, lo, hi, flag in specs:
                    v = args[i]
                    if type(v) is not int or v < lo or v > hi:
                        args = fixed(args, i, where, lo, hi, flag)
            return fn(*args)  # ctypes reports a wrong number of arguments

    call.__name__ = call.__qualname__ = name
    call.__wrapped__ = fn
    return call


def _decl(name, restype, names, *argtypes):
    names = tuple(names.split())
    if len(names) != len(argtypes):
        raise AssertionError("%s: %d parameter names for %d argtypes" % (name, len(names),
                                                                       len(argtypes)))
    PARAMS[name] = (restype, names, argtypes)
    try:
        fn = getattr(lib, name)
    except AttributeError:
        missing.append(name)
        globals()[name] = _Missing(name)
        setattr(raw, name, globals()[name])
        return
    fn.restype = restype
    fn.argtypes = list(argtypes)
    setattr(raw, name, fn)
    globals()[name] = _checked(name, fn, names, argtypes)


_DECLS = [
    # Library
    ("aisle_version", cstr, ""),
    ("aisle_abi_version", i32, ""),
    ("aisle_last_error_message", cstr, ""),
    ("aisle_status_name", cstr, "code", i32),
    ("aisle_fallback_level_name", cstr, "level", i32),
    ("aisle_fallback_reason_name", cstr, "reason", i32),
    ("aisle_tier_name", cstr, "tier", i32),
    # Catalog
    ("aisle_catalog_builder_create", i32, "embedding_dim out", i32, P(P(catalog_builder_t))),
    ("aisle_catalog_builder_destroy", None, "builder", P(catalog_builder_t)),
    ("aisle_catalog_builder_add_item", i32, "builder item", P(catalog_builder_t), P(ItemSpec)),
    ("aisle_catalog_builder_add_file", i32, "builder path", P(catalog_builder_t), cstr),
    (
        "aisle_catalog_builder_attach_embeddings_file",
        i32,
        "builder path",
        P(catalog_builder_t),
        cstr,
    ),
    ("aisle_catalog_builder_size", i32, "builder out", P(catalog_builder_t), P(sz)),
    ("aisle_catalog_builder_build", i32, "builder out", P(catalog_builder_t), P(P(catalog_t))),
    ("aisle_catalog_load", i32, "items_path embeddings_path out", cstr, cstr, P(P(catalog_t))),
    ("aisle_catalog_create_synthetic", i32, "items dim seed out", sz, sz, u64, P(P(catalog_t))),
    ("aisle_catalog_destroy", None, "catalog", P(catalog_t)),
    ("aisle_catalog_size", i32, "catalog out", P(catalog_t), P(sz)),
    ("aisle_catalog_embedding_dim", i32, "catalog out", P(catalog_t), P(sz)),
    ("aisle_catalog_find", i32, "catalog id out_index", P(catalog_t), cstr, P(u32)),
    (
        "aisle_catalog_item_id",
        i32,
        "catalog index out_data out_len",
        P(catalog_t),
        u32,
        P(P(c_char)),
        P(sz),
    ),
    (
        "aisle_catalog_item_embedding",
        i32,
        "catalog index out_data out_len",
        P(catalog_t),
        u32,
        P(P(f32)),
        P(sz),
    ),
    # ANN
    (
        "aisle_ann_index_build",
        i32,
        "data rows dim options out",
        P(f32),
        sz,
        sz,
        P(AnnOptions),
        P(P(ann_index_t)),
    ),
    (
        "aisle_ann_index_build_from_catalog",
        i32,
        "catalog options out",
        P(catalog_t),
        P(AnnOptions),
        P(P(ann_index_t)),
    ),
    ("aisle_ann_index_save", i32, "index path", P(ann_index_t), cstr),
    ("aisle_ann_index_load", i32, "path expected_dim out", cstr, sz, P(P(ann_index_t))),
    ("aisle_ann_index_destroy", None, "index", P(ann_index_t)),
    ("aisle_ann_index_size", i32, "index out", P(ann_index_t), P(sz)),
    ("aisle_ann_index_dim", i32, "index out", P(ann_index_t), P(sz)),
    (
        "aisle_ann_index_search",
        i32,
        "index query query_len k params out_items out_scores out_count",
        P(ann_index_t),
        P(f32),
        sz,
        sz,
        P(SearchParams),
        P(u32),
        P(f32),
        P(sz),
    ),
    (
        "aisle_ann_index_search_by_seeds",
        i32,
        "index seeds seed_count k params out_items out_scores out_count",
        P(ann_index_t),
        P(u32),
        sz,
        sz,
        P(SearchParams),
        P(u32),
        P(f32),
        P(sz),
    ),
    # Co-visitation
    ("aisle_covisitation_create", i32, "options out", P(CovisitationOptions), P(P(covisitation_t))),
    ("aisle_covisitation_destroy", None, "covisitation", P(covisitation_t)),
    (
        "aisle_covisitation_add_log",
        i32,
        "covisitation sessions items times_micros types count",
        P(covisitation_t),
        P(u64),
        P(u32),
        P(i64),
        P(i32),
        sz,
    ),
    ("aisle_covisitation_publish", i32, "covisitation out_version", P(covisitation_t), P(u64)),
    (
        "aisle_covisitation_retrieve",
        i32,
        "covisitation seeds seed_count quota params out_items out_scores out_count",
        P(covisitation_t),
        P(u32),
        sz,
        sz,
        P(SearchParams),
        P(u32),
        P(f32),
        P(sz),
    ),
    # Popularity
    ("aisle_popularity_create", i32, "options out", P(PopularityOptions), P(P(popularity_t))),
    (
        "aisle_popularity_create_for_catalog",
        i32,
        "catalog options out",
        P(catalog_t),
        P(PopularityOptions),
        P(P(popularity_t)),
    ),
    ("aisle_popularity_destroy", None, "popularity", P(popularity_t)),
    (
        "aisle_popularity_apply",
        i32,
        "popularity sessions items times_micros types count segment",
        P(popularity_t),
        P(u64),
        P(u32),
        P(i64),
        P(i32),
        sz,
        u32,
    ),
    ("aisle_popularity_publish", i32, "popularity out_version", P(popularity_t), P(u64)),
    (
        "aisle_popularity_retrieve",
        i32,
        "popularity mode categories category_count segment quota params"
        " out_items out_scores out_count",
        P(popularity_t),
        i32,
        P(u32),
        sz,
        u32,
        sz,
        P(SearchParams),
        P(u32),
        P(f32),
        P(sz),
    ),
    # Features
    ("aisle_feature_schema_builder_create", i32, "out", P(P(feature_schema_builder_t))),
    ("aisle_feature_schema_builder_destroy", None, "builder", P(feature_schema_builder_t)),
    (
        "aisle_feature_schema_builder_add_group",
        i32,
        "builder group max_age_seconds stale_policy",
        P(feature_schema_builder_t),
        i32,
        f64,
        i32,
    ),
    (
        "aisle_feature_schema_builder_add_feature",
        i32,
        "builder name group default_value source_bit",
        P(feature_schema_builder_t),
        cstr,
        i32,
        f32,
        i32,
    ),
    (
        "aisle_feature_schema_builder_build",
        i32,
        "builder out",
        P(feature_schema_builder_t),
        P(P(feature_schema_t)),
    ),
    ("aisle_feature_schema_destroy", None, "schema", P(feature_schema_t)),
    ("aisle_feature_schema_size", i32, "schema out", P(feature_schema_t), P(sz)),
    ("aisle_feature_schema_column_of", i32, "schema name out", P(feature_schema_t), cstr, P(sz)),
    ("aisle_feature_schema_name", i32, "schema column out", P(feature_schema_t), sz, P(cstr)),
    (
        "aisle_item_feature_store_builder_create",
        i32,
        "num_items out",
        sz,
        P(P(item_feature_store_builder_t)),
    ),
    ("aisle_item_feature_store_builder_destroy", None, "builder", P(item_feature_store_builder_t)),
    (
        "aisle_item_feature_store_builder_add_column",
        i32,
        "builder name values count built_at_micros",
        P(item_feature_store_builder_t),
        cstr,
        P(f32),
        sz,
        i64,
    ),
    (
        "aisle_item_feature_store_builder_build",
        i32,
        "builder out",
        P(item_feature_store_builder_t),
        P(P(item_feature_store_t)),
    ),
    ("aisle_item_feature_store_destroy", None, "store", P(item_feature_store_t)),
    ("aisle_item_feature_store_num_items", i32, "store out", P(item_feature_store_t), P(sz)),
    ("aisle_item_feature_store_num_columns", i32, "store out", P(item_feature_store_t), P(sz)),
    (
        "aisle_item_feature_store_column",
        i32,
        "store name out_data out_len",
        P(item_feature_store_t),
        cstr,
        P(P(f32)),
        P(sz),
    ),
    (
        "aisle_online_feature_store_create",
        i32,
        "schema group out",
        P(feature_schema_t),
        i32,
        P(P(online_feature_store_t)),
    ),
    ("aisle_online_feature_store_destroy", None, "store", P(online_feature_store_t)),
    ("aisle_online_feature_store_width", i32, "store out", P(online_feature_store_t), P(sz)),
    (
        "aisle_online_feature_store_put",
        i32,
        "store key values count at_micros",
        P(online_feature_store_t),
        cstr,
        P(f32),
        sz,
        i64,
    ),
    (
        "aisle_online_feature_store_read",
        i32,
        "store key out_values out_stamps_micros count out_found",
        P(online_feature_store_t),
        cstr,
        P(f32),
        P(i64),
        sz,
        P(u8),
    ),
    # Models
    ("aisle_model_load", i32, "path format out", cstr, i32, P(P(model_t))),
    ("aisle_model_parse", i32, "data len format out", c_char_p, sz, i32, P(P(model_t))),
    ("aisle_model_destroy", None, "model", P(model_t)),
    ("aisle_model_num_features", i32, "model out", P(model_t), P(sz)),
    ("aisle_model_num_outputs", i32, "model out", P(model_t), P(sz)),
    ("aisle_model_feature_name", i32, "model column out", P(model_t), sz, P(cstr)),
    ("aisle_model_version", i32, "model out", P(model_t), P(cstr)),
    (
        "aisle_model_predict",
        i32,
        "model data rows cols output out out_len",
        P(model_t),
        P(f32),
        sz,
        sz,
        i32,
        P(f32),
        sz,
    ),
    # Pipelines
    ("aisle_pipeline_builder_create", i32, "surface out", cstr, P(P(pipeline_builder_t))),
    ("aisle_pipeline_builder_destroy", None, "builder", P(pipeline_builder_t)),
    ("aisle_pipeline_builder_set_kind", i32, "builder kind", P(pipeline_builder_t), i32),
    (
        "aisle_pipeline_builder_add_source",
        i32,
        "builder name kind quota ef",
        P(pipeline_builder_t),
        cstr,
        i32,
        u32,
        sz,
    ),
    (
        "aisle_pipeline_builder_set_max_candidates",
        i32,
        "builder max_candidates",
        P(pipeline_builder_t),
        u32,
    ),
    (
        "aisle_pipeline_builder_set_ranker",
        i32,
        "builder model cheaper",
        P(pipeline_builder_t),
        cstr,
        cstr,
    ),
    (
        "aisle_pipeline_builder_set_inventory_reserve",
        i32,
        "builder reserve",
        P(pipeline_builder_t),
        i32,
    ),
    (
        "aisle_pipeline_builder_block_items",
        i32,
        "builder ids count",
        P(pipeline_builder_t),
        cstrs,
        sz,
    ),
    (
        "aisle_pipeline_builder_block_categories",
        i32,
        "builder paths count",
        P(pipeline_builder_t),
        cstrs,
        sz,
    ),
    (
        "aisle_pipeline_builder_add_pin",
        i32,
        "builder item_id position force",
        P(pipeline_builder_t),
        cstr,
        u32,
        u8,
    ),
    (
        "aisle_pipeline_builder_set_category_cap",
        i32,
        "builder max_per_category top_m depth",
        P(pipeline_builder_t),
        u32,
        sz,
        i32,
    ),
    ("aisle_pipeline_builder_set_mmr", i32, "builder lambda", P(pipeline_builder_t), f32),
    (
        "aisle_pipeline_builder_set_exploration",
        i32,
        "builder positions count new_item_window_micros budget",
        P(pipeline_builder_t),
        P(u32),
        sz,
        i64,
        u32,
    ),
    (
        "aisle_pipeline_builder_set_ladder",
        i32,
        "builder levels count",
        P(pipeline_builder_t),
        P(i32),
        sz,
    ),
    ("aisle_pipeline_builder_set_campaign_set", i32, "builder name", P(pipeline_builder_t), cstr),
    ("aisle_pipeline_builder_set_default_k", i32, "builder k", P(pipeline_builder_t), u32),
    ("aisle_pipeline_builder_set_budget", i32, "builder budget_micros", P(pipeline_builder_t), i64),
    ("aisle_pipeline_builder_isolate_ranker", i32, "builder on", P(pipeline_builder_t), i32),
    ("aisle_pipeline_builder_add_shadow", i32, "builder ranker", P(pipeline_builder_t), cstr),
    (
        "aisle_pipeline_builder_set_cold_start",
        i32,
        "builder known_min_interactions",
        P(pipeline_builder_t),
        u32,
    ),
    (
        "aisle_pipeline_builder_set_tier_pipeline",
        i32,
        "builder tier surface",
        P(pipeline_builder_t),
        i32,
        cstr,
    ),
    (
        "aisle_pipeline_builder_set_launch_boost",
        i32,
        "builder window_micros boost mode",
        P(pipeline_builder_t),
        i64,
        f32,
        i32,
    ),
    # Snapshots
    ("aisle_snapshot_create", i32, "version out", cstr, P(P(snapshot_t))),
    ("aisle_snapshot_destroy", None, "snapshot", P(snapshot_t)),
    ("aisle_snapshot_set_catalog", i32, "snapshot catalog", P(snapshot_t), P(catalog_t)),
    ("aisle_snapshot_set_ann_index", i32, "snapshot index", P(snapshot_t), P(ann_index_t)),
    (
        "aisle_snapshot_set_item_features",
        i32,
        "snapshot store",
        P(snapshot_t),
        P(item_feature_store_t),
    ),
    (
        "aisle_snapshot_set_feature_schema",
        i32,
        "snapshot schema",
        P(snapshot_t),
        P(feature_schema_t),
    ),
    ("aisle_snapshot_add_model", i32, "snapshot name model", P(snapshot_t), cstr, P(model_t)),
    ("aisle_snapshot_add_pipeline", i32, "snapshot pipeline", P(snapshot_t), P(pipeline_builder_t)),
    (
        "aisle_snapshot_add_campaign_set",
        i32,
        "snapshot name ids count",
        P(snapshot_t),
        cstr,
        cstrs,
        sz,
    ),
    (
        "aisle_snapshot_add_warm_interactions",
        i32,
        "snapshot sessions items times_micros types count",
        P(snapshot_t),
        P(u64),
        P(u32),
        P(i64),
        P(i32),
        sz,
    ),
    (
        "aisle_snapshot_set_experiments_json",
        i32,
        "snapshot json len",
        P(snapshot_t),
        c_char_p,
        sz,
    ),
    ("aisle_snapshot_set_segmenter_json", i32, "snapshot json len", P(snapshot_t), c_char_p, sz),
    # Engine
    ("aisle_engine_create", i32, "snapshot out", P(snapshot_t), P(P(engine_t))),
    (
        "aisle_engine_create_with_options",
        i32,
        "snapshot options out",
        P(snapshot_t),
        P(EngineOptionsT),
        P(P(engine_t)),
    ),
    ("aisle_engine_destroy", None, "engine", P(engine_t)),
    ("aisle_engine_swap", i32, "engine snapshot", P(engine_t), P(snapshot_t)),
    (
        "aisle_engine_snapshot_version",
        i32,
        "engine buf buf_len out_len",
        P(engine_t),
        c_char_p,
        sz,
        P(sz),
    ),
    (
        "aisle_engine_recommend",
        i32,
        "engine request out",
        P(engine_t),
        P(request_t),
        P(P(response_t)),
    ),
    ("aisle_engine_set_stock", i32, "engine item_id stock", P(engine_t), cstr, i32),
    ("aisle_engine_add_stock", i32, "engine item_id delta", P(engine_t), cstr, i32),
    (
        "aisle_engine_apply_interaction",
        i32,
        "engine user_id session_id item_id type at_micros segment",
        P(engine_t),
        cstr,
        cstr,
        cstr,
        i32,
        i64,
        u32,
    ),
    ("aisle_engine_publish_live_state", i32, "engine", P(engine_t)),
    (
        "aisle_engine_set_flag",
        i32,
        "engine surface flag enabled actor",
        P(engine_t),
        cstr,
        i32,
        u8,
        cstr,
    ),
    (
        "aisle_engine_set_source",
        i32,
        "engine surface source enabled actor",
        P(engine_t),
        cstr,
        cstr,
        u8,
        cstr,
    ),
    ("aisle_engine_quality", i32, "engine surface out", P(engine_t), cstr, P(f64)),
    ("aisle_engine_metrics_read", i32, "engine out", P(engine_t), P(EngineMetricsT)),
    (
        "aisle_engine_register_scorer",
        i32,
        "engine name fn user_data breaker",
        P(engine_t),
        cstr,
        SCORER_FN,
        c_void_p,
        P(BreakerOptions),
    ),
    # Rollback, the experiment kill switch, logs and shadow results
    ("aisle_engine_rollback", i32, "engine reason actor", P(engine_t), cstr, cstr),
    (
        "aisle_engine_kill_experiment",
        i32,
        "engine experiment reason actor",
        P(engine_t),
        cstr,
        cstr,
        cstr,
    ),
    (
        "aisle_engine_revive_experiment",
        i32,
        "engine experiment reason actor",
        P(engine_t),
        cstr,
        cstr,
        cstr,
    ),
    (
        "aisle_engine_snapshot_log_json",
        i32,
        "engine buf buf_len out_len",
        P(engine_t),
        c_char_p,
        sz,
        P(sz),
    ),
    (
        "aisle_engine_experiment_audit_json",
        i32,
        "engine buf buf_len out_len",
        P(engine_t),
        c_char_p,
        sz,
        P(sz),
    ),
    (
        "aisle_engine_killed_experiments_json",
        i32,
        "engine buf buf_len out_len",
        P(engine_t),
        c_char_p,
        sz,
        P(sz),
    ),
    (
        "aisle_engine_next_shadow_result",
        i32,
        "engine out",
        P(engine_t),
        P(P(shadow_result_t)),
    ),
    ("aisle_shadow_result_destroy", None, "result", P(shadow_result_t)),
    ("aisle_shadow_result_request_id", i32, "result out", P(shadow_result_t), P(cstr)),
    ("aisle_shadow_result_surface", i32, "result out", P(shadow_result_t), P(cstr)),
    ("aisle_shadow_result_ranker", i32, "result out", P(shadow_result_t), P(cstr)),
    (
        "aisle_shadow_result_status",
        i32,
        "result out_code out_message",
        P(shadow_result_t),
        P(i32),
        P(cstr),
    ),
    ("aisle_shadow_result_latency_micros", i32, "result out", P(shadow_result_t), P(i64)),
    ("aisle_shadow_result_item_count", i32, "result out", P(shadow_result_t), P(sz)),
    ("aisle_shadow_result_item_id", i32, "result i out", P(shadow_result_t), sz, P(cstr)),
    (
        "aisle_shadow_result_scores",
        i32,
        "result out out_count",
        P(shadow_result_t),
        P(P(f32)),
        P(sz),
    ),
    # Requests
    ("aisle_request_create", i32, "surface out", cstr, P(P(request_t))),
    ("aisle_request_destroy", None, "request", P(request_t)),
    ("aisle_request_set_surface", i32, "request surface", P(request_t), cstr),
    ("aisle_request_set_request_id", i32, "request request_id", P(request_t), cstr),
    ("aisle_request_set_user_id", i32, "request user_id", P(request_t), cstr),
    ("aisle_request_set_session_id", i32, "request session_id", P(request_t), cstr),
    ("aisle_request_add_context", i32, "request key value", P(request_t), cstr, cstr),
    ("aisle_request_clear_context", i32, "request", P(request_t)),
    ("aisle_request_set_seed_items", i32, "request ids count", P(request_t), cstrs, sz),
    ("aisle_request_set_cart_items", i32, "request ids count", P(request_t), cstrs, sz),
    ("aisle_request_set_bought_items", i32, "request ids count", P(request_t), cstrs, sz),
    ("aisle_request_set_search_candidates", i32, "request ids count", P(request_t), cstrs, sz),
    ("aisle_request_set_user_vector", i32, "request values count", P(request_t), P(f32), sz),
    ("aisle_request_set_segment", i32, "request segment", P(request_t), u32),
    ("aisle_request_set_k", i32, "request k", P(request_t), u32),
    ("aisle_request_set_budget", i32, "request budget_micros", P(request_t), i64),
    # Responses
    ("aisle_response_destroy", None, "response", P(response_t)),
    # Training/serving parity
    (
        "aisle_engine_assemble_features",
        i32,
        "engine request item_ids count out",
        P(engine_t),
        P(request_t),
        P(c_char_p),
        sz,
        P(P(feature_matrix_t)),
    ),
    ("aisle_feature_matrix_destroy", None, "matrix", P(feature_matrix_t)),
    ("aisle_feature_matrix_shape", i32, "matrix rows cols", P(feature_matrix_t), P(sz), P(sz)),
    ("aisle_feature_matrix_values", i32, "matrix out", P(feature_matrix_t), P(P(c_float))),
    (
        "aisle_feature_matrix_feature_name",
        i32,
        "matrix i out",
        P(feature_matrix_t),
        sz,
        P(c_char_p),
    ),
    ("aisle_feature_matrix_retrieved", i32, "matrix out", P(feature_matrix_t), P(P(c_uint8))),
    ("aisle_response_item_count", i32, "response out", P(response_t), P(sz)),
    ("aisle_response_indices", i32, "response out out_count", P(response_t), P(P(u32)), P(sz)),
    ("aisle_response_scores", i32, "response out out_count", P(response_t), P(P(f32)), P(sz)),
    ("aisle_response_sources", i32, "response out out_count", P(response_t), P(P(u32)), P(sz)),
    ("aisle_response_item_id", i32, "response i out", P(response_t), sz, P(cstr)),
    ("aisle_response_item_reason", i32, "response i out", P(response_t), sz, P(cstr)),
    ("aisle_response_source_count", i32, "response out", P(response_t), P(sz)),
    ("aisle_response_source_name", i32, "response i out", P(response_t), sz, P(cstr)),
    ("aisle_response_tier", i32, "response out", P(response_t), P(i32)),
    ("aisle_response_fallback_level", i32, "response out", P(response_t), P(i32)),
    ("aisle_response_fallback_reason", i32, "response out", P(response_t), P(i32)),
    ("aisle_response_fallback_detail", i32, "response out", P(response_t), P(cstr)),
    ("aisle_response_request_id", i32, "response out", P(response_t), P(cstr)),
    ("aisle_response_snapshot_version", i32, "response out", P(response_t), P(cstr)),
    ("aisle_response_ranker_version", i32, "response out", P(response_t), P(cstr)),
    ("aisle_response_latency_micros", i32, "response stage out", P(response_t), i32, P(i64)),
    ("aisle_response_quality", i32, "response out", P(response_t), P(f64)),
    ("aisle_response_experiment_count", i32, "response out", P(response_t), P(sz)),
    (
        "aisle_response_experiment",
        i32,
        "response i out_layer out_experiment out_variant out_in_experiment",
        P(response_t),
        sz,
        P(cstr),
        P(cstr),
        P(cstr),
        P(u8),
    ),
    (
        "aisle_response_experiment_flags",
        i32,
        "response i out_forced out_holdout out_killed",
        P(response_t),
        sz,
        P(u8),
        P(u8),
        P(u8),
    ),
    ("aisle_response_holdout", i32, "response out", P(response_t), P(u8)),
    ("aisle_response_pipeline", i32, "response out", P(response_t), P(cstr)),
    ("aisle_response_tier_reason", i32, "response out", P(response_t), P(cstr)),
    ("aisle_response_param_count", i32, "response out", P(response_t), P(sz)),
    (
        "aisle_response_param",
        i32,
        "response i out_key out_value",
        P(response_t),
        sz,
        P(cstr),
        P(cstr),
    ),
    ("aisle_response_shadow_count", i32, "response out", P(response_t), P(sz)),
    ("aisle_response_shadow_ranker", i32, "response i out", P(response_t), sz, P(cstr)),
    ("aisle_response_counts_read", i32, "response out", P(response_t), P(ResponseCountsT)),
]

for _d in _DECLS:
    _decl(*_d)
del _d

#: Every C function name this package binds (the tests check each is exported).
DECLARED = tuple(d[0] for d in _DECLS)

if isinstance(aisle_abi_version, _Missing):  # noqa: F821 (defined by _decl)
    raise AbiMismatchError("aisle: %s exports no aisle_abi_version(); not an aisle library" % path)
loaded_abi = int(aisle_abi_version())  # noqa: F821
if loaded_abi != ABI_VERSION:
    raise AbiMismatchError(
        "aisle: %s has ABI version %d but this Python package speaks ABI version %d; "
        "install matching versions of libaisle and the aisle package" % (path, loaded_abi, ABI_VERSION)
    )
