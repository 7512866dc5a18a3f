"""aisle: in-process e-commerce recommendations, from Python (ctypes over libaisle).

A pure-Python package over the C ABI (capi/aisle.h). It finds libaisle.so
through ``AISLE_LIBRARY``, next to the package, or the system library path,
and checks the library's ABI version at import.

    import aisle

    catalog = aisle.Catalog.synthetic(5_000, dim=16, seed=7)
    index = aisle.AnnIndex.from_catalog(catalog)
    snapshot = (aisle.Snapshot("v1").set_catalog(catalog).set_ann_index(index)
                .add_pipeline(aisle.Pipeline("product_page").add_source("ann", "ann", 100)))
    with aisle.Engine(snapshot) as engine:
        resp = engine.recommend(aisle.Request("product_page", seed_items=["sku-0000042"], k=8))
        print(resp.ids, resp.fallback_level)

Objects that own a C handle are context managers (and are also freed when
garbage-collected). Errors are :class:`AisleError` subclasses carrying the
status ``code`` and the library's ``message``. numpy is used when installed
(zero-copy inputs, ndarray results); otherwise plain lists.

Thread-safety: Catalog, AnnIndex, Model, FeatureSchema, ItemFeatureStore,
CoVisitation, Popularity, OnlineFeatureStore and Engine are thread-safe;
CatalogBuilder, Pipeline, Snapshot and Request are not (one per thread).
"""

from . import _lib
from ._arrays import numpy_available, numpy_enabled, use_numpy
from .catalog import Catalog, CatalogBuilder, Item
from .constants import (
    INVALID_ITEM,
    MAX_ANN_M,
    MAX_CONFIG_BYTES,
    MAX_COVISITATION_DISTANCE,
    MAX_DIM,
    MAX_EF,
    MAX_HISTORY,
    MAX_ITEMS,
    MAX_K,
    MAX_MODEL_BYTES,
    MAX_POSITION,
    MAX_QUOTA,
    MAX_SEGMENTS,
    MAX_ISOLATION_OUTSTANDING,
    MAX_THREADS,
    UNKNOWN_TIME,
    FallbackLevel,
    FallbackReason,
    FeatureGroup,
    InteractionType,
    LaunchBoostMode,
    Metric,
    ModelFormat,
    Output,
    PopularityMode,
    SourceKind,
    Stage,
    StalePolicy,
    SurfaceKind,
    Switch,
    Tier,
)
from .engine import (
    BreakerOptions,
    EngineOptions,
    Engine,
    EngineMetrics,
    Experiment,
    KilledExperiment,
    KillSwitchEvent,
    Pipeline,
    Request,
    FeatureMatrix,
    Response,
    ResponseCounts,
    ResponseItem,
    ShadowResult,
    Snapshot,
    SnapshotChange,
)
from .errors import (
    Aborted,
    AisleError,
    AlreadyExists,
    Cancelled,
    DataLoss,
    DeadlineExceeded,
    FailedPrecondition,
    Internal,
    InvalidArgument,
    InvalidArgumentType,
    NotFound,
    OutOfRange,
    PermissionDenied,
    ResourceExhausted,
    Unavailable,
    Unimplemented,
    Unknown,
)
from .features import Feature, FeatureSchema, Group, ItemFeatureStore, OnlineFeatureStore, OnlineValues
from .model import Model
from .retrieval import AnnIndex, CoVisitation, Popularity, SearchResult

#: The package version (follows the library's).
__version__ = "0.1.0"
#: The ABI version this package speaks.
ABI_VERSION = _lib.ABI_VERSION
#: The path of the loaded shared library.
library_path = _lib.path
AbiMismatchError = _lib.AbiMismatchError
LibraryNotFoundError = _lib.LibraryNotFoundError


def library_version():
    """The loaded libaisle's version string, e.g. "0.1.0"."""
    return _lib.aisle_version().decode()


def abi_version():
    """The loaded libaisle's ABI version (equal to ABI_VERSION, checked at import)."""
    return int(_lib.aisle_abi_version())


def fallback_level_name(level):
    """The library's stable name of a fallback level ("personalized", ...)."""
    return _lib.aisle_fallback_level_name(level).decode()


def fallback_reason_name(reason):
    return _lib.aisle_fallback_reason_name(reason).decode()


def tier_name(tier):
    return _lib.aisle_tier_name(tier).decode()


def status_name(code):
    return _lib.aisle_status_name(code).decode()


__all__ = [n for n in dir() if not n.startswith("_")]
