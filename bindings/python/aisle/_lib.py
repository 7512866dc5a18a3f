"""Loads libaisle and declares the C ABI (capi/aisle.h) for ctypes.

Internal module. The shared library is found, in order, at:

1. the path in the environment variable ``AISLE_LIBRARY``;
2. next to this package (``aisle/libaisle.so*``, for wheels that bundle it);
3. the system search path (``ctypes.util.find_library("aisle")``).

At import the library's ``aisle_abi_version()`` is compared with
``ABI_VERSION``; a mismatch raises :class:`AbiMismatchError` (an ImportError)
naming the file and both versions. Every function the package calls has its
``argtypes`` and ``restype`` declared below; a function missing from an older
library raises ``Unimplemented`` when called, not at import.
"""

import ctypes
import ctypes.util
import glob
import os
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


# --------------------------------------------------------------------------
# Structs (layouts mirror capi/aisle.h; each starts with `size`).
# --------------------------------------------------------------------------
class ItemSpec(Structure):
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


class AnnOptions(Structure):
    _fields_ = [
        ("size", c_size_t),
        ("metric", c_int32),
        ("threads", c_uint32),
        ("m", c_size_t),
        ("ef_construction", c_size_t),
        ("default_ef", c_size_t),
        ("seed", c_uint64),
    ]


class SearchParams(Structure):
    _fields_ = [
        ("size", c_size_t),
        ("ef", c_size_t),
        ("allowed", POINTER(c_uint32)),
        ("allowed_count", c_size_t),
        ("exclude", POINTER(c_uint32)),
        ("exclude_count", c_size_t),
    ]


class CovisitationOptions(Structure):
    _fields_ = [
        ("size", c_size_t),
        ("num_items", c_size_t),
        ("max_distance", c_int32),
        ("window_micros", c_int64),
        ("top_n", c_size_t),
    ]


class PopularityOptions(Structure):
    _fields_ = [
        ("size", c_size_t),
        ("num_items", c_size_t),
        ("item_categories", POINTER(c_uint32)),
        ("num_categories", c_size_t),
        ("num_segments", c_uint32),
        ("half_life_micros", c_int64),
        ("top_n", c_size_t),
    ]


class EngineMetricsT(Structure):
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
    ]


class EngineOptionsT(Structure):
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
    ]


class BreakerOptions(Structure):
    _fields_ = [
        ("size", c_size_t),
        ("call_timeout_micros", c_int64),
        ("open_micros", c_int64),
        ("min_requests", c_int32),
        ("failure_rate", c_double),
        ("consecutive_timeouts", c_int32),
    ]


class ResponseCountsT(Structure):
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


class _Missing:
    """Stands in for a function an older library does not export."""

    def __init__(self, name):
        self.name = name

    def __call__(self, *args):
        from . import errors  # noqa: PLC0415 (avoid an import cycle)

        raise errors.Unimplemented(
            errors.UNIMPLEMENTED, "%s is not exported by %s (library too old)" % (self.name, path)
        )


def _decl(name, restype, *argtypes):
    try:
        fn = getattr(lib, name)
    except AttributeError:
        missing.append(name)
        globals()[name] = _Missing(name)
        return
    fn.restype = restype
    fn.argtypes = list(argtypes)
    globals()[name] = fn


_DECLS = [
    # Library
    ("aisle_version", cstr),
    ("aisle_abi_version", i32),
    ("aisle_last_error_message", cstr),
    ("aisle_status_name", cstr, i32),
    ("aisle_fallback_level_name", cstr, i32),
    ("aisle_fallback_reason_name", cstr, i32),
    ("aisle_tier_name", cstr, i32),
    # Catalog
    ("aisle_catalog_builder_create", i32, i32, P(P(catalog_builder_t))),
    ("aisle_catalog_builder_destroy", None, P(catalog_builder_t)),
    ("aisle_catalog_builder_add_item", i32, P(catalog_builder_t), P(ItemSpec)),
    ("aisle_catalog_builder_add_file", i32, P(catalog_builder_t), cstr),
    ("aisle_catalog_builder_attach_embeddings_file", i32, P(catalog_builder_t), cstr),
    ("aisle_catalog_builder_size", i32, P(catalog_builder_t), P(sz)),
    ("aisle_catalog_builder_build", i32, P(catalog_builder_t), P(P(catalog_t))),
    ("aisle_catalog_load", i32, cstr, cstr, P(P(catalog_t))),
    ("aisle_catalog_create_synthetic", i32, sz, sz, u64, P(P(catalog_t))),
    ("aisle_catalog_destroy", None, P(catalog_t)),
    ("aisle_catalog_size", i32, P(catalog_t), P(sz)),
    ("aisle_catalog_embedding_dim", i32, P(catalog_t), P(sz)),
    ("aisle_catalog_find", i32, P(catalog_t), cstr, P(u32)),
    ("aisle_catalog_item_id", i32, P(catalog_t), u32, P(P(c_char)), P(sz)),
    ("aisle_catalog_item_embedding", i32, P(catalog_t), u32, P(P(f32)), P(sz)),
    # ANN
    ("aisle_ann_index_build", i32, P(f32), sz, sz, P(AnnOptions), P(P(ann_index_t))),
    ("aisle_ann_index_build_from_catalog", i32, P(catalog_t), P(AnnOptions), P(P(ann_index_t))),
    ("aisle_ann_index_save", i32, P(ann_index_t), cstr),
    ("aisle_ann_index_load", i32, cstr, sz, P(P(ann_index_t))),
    ("aisle_ann_index_destroy", None, P(ann_index_t)),
    ("aisle_ann_index_size", i32, P(ann_index_t), P(sz)),
    ("aisle_ann_index_dim", i32, P(ann_index_t), P(sz)),
    (
        "aisle_ann_index_search",
        i32,
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
    ("aisle_covisitation_create", i32, P(CovisitationOptions), P(P(covisitation_t))),
    ("aisle_covisitation_destroy", None, P(covisitation_t)),
    ("aisle_covisitation_add_log", i32, P(covisitation_t), P(u64), P(u32), P(i64), P(i32), sz),
    ("aisle_covisitation_publish", i32, P(covisitation_t), P(u64)),
    (
        "aisle_covisitation_retrieve",
        i32,
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
    ("aisle_popularity_create", i32, P(PopularityOptions), P(P(popularity_t))),
    (
        "aisle_popularity_create_for_catalog",
        i32,
        P(catalog_t),
        P(PopularityOptions),
        P(P(popularity_t)),
    ),
    ("aisle_popularity_destroy", None, P(popularity_t)),
    ("aisle_popularity_apply", i32, P(popularity_t), P(u64), P(u32), P(i64), P(i32), sz, u32),
    ("aisle_popularity_publish", i32, P(popularity_t), P(u64)),
    (
        "aisle_popularity_retrieve",
        i32,
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
    ("aisle_feature_schema_builder_create", i32, P(P(feature_schema_builder_t))),
    ("aisle_feature_schema_builder_destroy", None, P(feature_schema_builder_t)),
    ("aisle_feature_schema_builder_add_group", i32, P(feature_schema_builder_t), i32, f64, i32),
    (
        "aisle_feature_schema_builder_add_feature",
        i32,
        P(feature_schema_builder_t),
        cstr,
        i32,
        f32,
        i32,
    ),
    (
        "aisle_feature_schema_builder_build",
        i32,
        P(feature_schema_builder_t),
        P(P(feature_schema_t)),
    ),
    ("aisle_feature_schema_destroy", None, P(feature_schema_t)),
    ("aisle_feature_schema_size", i32, P(feature_schema_t), P(sz)),
    ("aisle_feature_schema_column_of", i32, P(feature_schema_t), cstr, P(sz)),
    ("aisle_feature_schema_name", i32, P(feature_schema_t), sz, P(cstr)),
    ("aisle_item_feature_store_builder_create", i32, sz, P(P(item_feature_store_builder_t))),
    ("aisle_item_feature_store_builder_destroy", None, P(item_feature_store_builder_t)),
    (
        "aisle_item_feature_store_builder_add_column",
        i32,
        P(item_feature_store_builder_t),
        cstr,
        P(f32),
        sz,
        i64,
    ),
    (
        "aisle_item_feature_store_builder_build",
        i32,
        P(item_feature_store_builder_t),
        P(P(item_feature_store_t)),
    ),
    ("aisle_item_feature_store_destroy", None, P(item_feature_store_t)),
    ("aisle_item_feature_store_num_items", i32, P(item_feature_store_t), P(sz)),
    ("aisle_item_feature_store_num_columns", i32, P(item_feature_store_t), P(sz)),
    ("aisle_item_feature_store_column", i32, P(item_feature_store_t), cstr, P(P(f32)), P(sz)),
    (
        "aisle_online_feature_store_create",
        i32,
        P(feature_schema_t),
        i32,
        P(P(online_feature_store_t)),
    ),
    ("aisle_online_feature_store_destroy", None, P(online_feature_store_t)),
    ("aisle_online_feature_store_width", i32, P(online_feature_store_t), P(sz)),
    ("aisle_online_feature_store_put", i32, P(online_feature_store_t), cstr, P(f32), sz, i64),
    (
        "aisle_online_feature_store_read",
        i32,
        P(online_feature_store_t),
        cstr,
        P(f32),
        P(i64),
        sz,
        P(u8),
    ),
    # Models
    ("aisle_model_load", i32, cstr, i32, P(P(model_t))),
    ("aisle_model_parse", i32, c_char_p, sz, i32, P(P(model_t))),
    ("aisle_model_destroy", None, P(model_t)),
    ("aisle_model_num_features", i32, P(model_t), P(sz)),
    ("aisle_model_num_outputs", i32, P(model_t), P(sz)),
    ("aisle_model_feature_name", i32, P(model_t), sz, P(cstr)),
    ("aisle_model_version", i32, P(model_t), P(cstr)),
    ("aisle_model_predict", i32, P(model_t), P(f32), sz, sz, i32, P(f32), sz),
    # Pipelines
    ("aisle_pipeline_builder_create", i32, cstr, P(P(pipeline_builder_t))),
    ("aisle_pipeline_builder_destroy", None, P(pipeline_builder_t)),
    ("aisle_pipeline_builder_set_kind", i32, P(pipeline_builder_t), i32),
    ("aisle_pipeline_builder_add_source", i32, P(pipeline_builder_t), cstr, i32, u32, sz),
    ("aisle_pipeline_builder_set_max_candidates", i32, P(pipeline_builder_t), u32),
    ("aisle_pipeline_builder_set_ranker", i32, P(pipeline_builder_t), cstr, cstr),
    ("aisle_pipeline_builder_set_inventory_reserve", i32, P(pipeline_builder_t), i32),
    ("aisle_pipeline_builder_block_items", i32, P(pipeline_builder_t), cstrs, sz),
    ("aisle_pipeline_builder_block_categories", i32, P(pipeline_builder_t), cstrs, sz),
    ("aisle_pipeline_builder_add_pin", i32, P(pipeline_builder_t), cstr, u32, u8),
    ("aisle_pipeline_builder_set_category_cap", i32, P(pipeline_builder_t), u32, sz, i32),
    ("aisle_pipeline_builder_set_mmr", i32, P(pipeline_builder_t), f32),
    ("aisle_pipeline_builder_set_exploration", i32, P(pipeline_builder_t), P(u32), sz, i64, u32),
    ("aisle_pipeline_builder_set_ladder", i32, P(pipeline_builder_t), P(i32), sz),
    ("aisle_pipeline_builder_set_campaign_set", i32, P(pipeline_builder_t), cstr),
    ("aisle_pipeline_builder_set_default_k", i32, P(pipeline_builder_t), u32),
    ("aisle_pipeline_builder_set_budget", i32, P(pipeline_builder_t), i64),
    ("aisle_pipeline_builder_isolate_ranker", i32, P(pipeline_builder_t), i32),
    # Snapshots
    ("aisle_snapshot_create", i32, cstr, P(P(snapshot_t))),
    ("aisle_snapshot_destroy", None, P(snapshot_t)),
    ("aisle_snapshot_set_catalog", i32, P(snapshot_t), P(catalog_t)),
    ("aisle_snapshot_set_ann_index", i32, P(snapshot_t), P(ann_index_t)),
    ("aisle_snapshot_set_item_features", i32, P(snapshot_t), P(item_feature_store_t)),
    ("aisle_snapshot_set_feature_schema", i32, P(snapshot_t), P(feature_schema_t)),
    ("aisle_snapshot_add_model", i32, P(snapshot_t), cstr, P(model_t)),
    ("aisle_snapshot_add_pipeline", i32, P(snapshot_t), P(pipeline_builder_t)),
    ("aisle_snapshot_add_campaign_set", i32, P(snapshot_t), cstr, cstrs, sz),
    (
        "aisle_snapshot_add_warm_interactions",
        i32,
        P(snapshot_t),
        P(u64),
        P(u32),
        P(i64),
        P(i32),
        sz,
    ),
    # Engine
    ("aisle_engine_create", i32, P(snapshot_t), P(P(engine_t))),
    ("aisle_engine_create_with_options", i32, P(snapshot_t), P(EngineOptionsT), P(P(engine_t))),
    ("aisle_engine_destroy", None, P(engine_t)),
    ("aisle_engine_swap", i32, P(engine_t), P(snapshot_t)),
    ("aisle_engine_snapshot_version", i32, P(engine_t), c_char_p, sz, P(sz)),
    ("aisle_engine_recommend", i32, P(engine_t), P(request_t), P(P(response_t))),
    ("aisle_engine_set_stock", i32, P(engine_t), cstr, i32),
    ("aisle_engine_add_stock", i32, P(engine_t), cstr, i32),
    ("aisle_engine_apply_interaction", i32, P(engine_t), cstr, cstr, cstr, i32, i64, u32),
    ("aisle_engine_publish_live_state", i32, P(engine_t)),
    ("aisle_engine_set_flag", i32, P(engine_t), cstr, i32, u8, cstr),
    ("aisle_engine_set_source", i32, P(engine_t), cstr, cstr, u8, cstr),
    ("aisle_engine_quality", i32, P(engine_t), cstr, P(f64)),
    ("aisle_engine_metrics_read", i32, P(engine_t), P(EngineMetricsT)),
    (
        "aisle_engine_register_scorer",
        i32,
        P(engine_t),
        cstr,
        SCORER_FN,
        c_void_p,
        P(BreakerOptions),
    ),
    # Requests
    ("aisle_request_create", i32, cstr, P(P(request_t))),
    ("aisle_request_destroy", None, P(request_t)),
    ("aisle_request_set_surface", i32, P(request_t), cstr),
    ("aisle_request_set_request_id", i32, P(request_t), cstr),
    ("aisle_request_set_user_id", i32, P(request_t), cstr),
    ("aisle_request_set_session_id", i32, P(request_t), cstr),
    ("aisle_request_add_context", i32, P(request_t), cstr, cstr),
    ("aisle_request_clear_context", i32, P(request_t)),
    ("aisle_request_set_seed_items", i32, P(request_t), cstrs, sz),
    ("aisle_request_set_cart_items", i32, P(request_t), cstrs, sz),
    ("aisle_request_set_bought_items", i32, P(request_t), cstrs, sz),
    ("aisle_request_set_search_candidates", i32, P(request_t), cstrs, sz),
    ("aisle_request_set_user_vector", i32, P(request_t), P(f32), sz),
    ("aisle_request_set_segment", i32, P(request_t), u32),
    ("aisle_request_set_k", i32, P(request_t), u32),
    ("aisle_request_set_budget", i32, P(request_t), i64),
    # Responses
    ("aisle_response_destroy", None, P(response_t)),
    # Training/serving parity
    (
        "aisle_engine_assemble_features",
        i32,
        P(engine_t),
        P(request_t),
        P(c_char_p),
        sz,
        P(P(feature_matrix_t)),
    ),
    ("aisle_feature_matrix_destroy", None, P(feature_matrix_t)),
    ("aisle_feature_matrix_shape", i32, P(feature_matrix_t), P(sz), P(sz)),
    ("aisle_feature_matrix_values", i32, P(feature_matrix_t), P(P(c_float))),
    ("aisle_feature_matrix_feature_name", i32, P(feature_matrix_t), sz, P(c_char_p)),
    ("aisle_feature_matrix_retrieved", i32, P(feature_matrix_t), P(P(c_uint8))),
    ("aisle_response_item_count", i32, P(response_t), P(sz)),
    ("aisle_response_indices", i32, P(response_t), P(P(u32)), P(sz)),
    ("aisle_response_scores", i32, P(response_t), P(P(f32)), P(sz)),
    ("aisle_response_sources", i32, P(response_t), P(P(u32)), P(sz)),
    ("aisle_response_item_id", i32, P(response_t), sz, P(cstr)),
    ("aisle_response_item_reason", i32, P(response_t), sz, P(cstr)),
    ("aisle_response_source_count", i32, P(response_t), P(sz)),
    ("aisle_response_source_name", i32, P(response_t), sz, P(cstr)),
    ("aisle_response_tier", i32, P(response_t), P(i32)),
    ("aisle_response_fallback_level", i32, P(response_t), P(i32)),
    ("aisle_response_fallback_reason", i32, P(response_t), P(i32)),
    ("aisle_response_fallback_detail", i32, P(response_t), P(cstr)),
    ("aisle_response_request_id", i32, P(response_t), P(cstr)),
    ("aisle_response_snapshot_version", i32, P(response_t), P(cstr)),
    ("aisle_response_ranker_version", i32, P(response_t), P(cstr)),
    ("aisle_response_latency_micros", i32, P(response_t), i32, P(i64)),
    ("aisle_response_quality", i32, P(response_t), P(f64)),
    ("aisle_response_experiment_count", i32, P(response_t), P(sz)),
    ("aisle_response_experiment", i32, P(response_t), sz, P(cstr), P(cstr), P(cstr), P(u8)),
    ("aisle_response_counts_read", i32, P(response_t), P(ResponseCountsT)),
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
