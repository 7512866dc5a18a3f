"""Pipelines, snapshots, the engine, requests and responses."""

import dataclasses
import datetime
import json
import threading
from ctypes import POINTER, byref, c_char_p, c_double, c_float, c_int32, c_int64, c_size_t
from ctypes import c_uint8, c_uint32, create_string_buffer, sizeof
from typing import Any, Dict, List, Tuple

from . import _arrays, _ints, _lib, errors
from ._handle import Handle, new_out
from .constants import (
    MAX_CONFIG_BYTES,
    MAX_DIM,
    MAX_EF,
    MAX_ITEMS,
    MAX_HISTORY,
    MAX_K,
    MAX_POSITION,
    MAX_QUOTA,
    MAX_SEGMENTS,
    MAX_ISOLATION_OUTSTANDING,
    MAX_THREADS,
    FallbackLevel,
    FallbackReason,
    InteractionType,
    LaunchBoostMode,
    SourceKind,
    Stage,
    SurfaceKind,
    Switch,
    UNKNOWN_TIME,
    Tier,
    coerce,
    maybe,
)

_check = errors.check
_enc = _arrays.encode
_dec = _arrays.decode
_int = _ints.checked
_INT32 = _ints.INT32
_INT64 = _ints.INT64
_raw = _lib.raw  # unchecked functions, for indices this module computes itself
_HOUR_MICROS = 3600 * 1000000
_EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)


def _utc(micros):
    """Unix microseconds -> an aware datetime in UTC (exact)."""
    return _EPOCH + datetime.timedelta(microseconds=micros)


def _config_bytes(config, where):
    """JSON text (str, bytes) or a dict/list to dump, as UTF-8 bytes."""
    if isinstance(config, (dict, list)):
        data = json.dumps(config).encode("utf-8")
    elif isinstance(config, str):
        data = _arrays.encode(config, where)
    elif isinstance(config, (bytes, bytearray, memoryview)):
        data = bytes(config)
    else:
        raise errors.InvalidArgumentType(
            errors.INVALID_ARGUMENT,
            "%s: expected JSON text (str or bytes) or a dict, got %s" % (where,
                                                                        type(config).__name__))
    _int(len(data), where + ": len", 0, MAX_CONFIG_BYTES)
    return data


# ---------------------------------------------------------------------------
# Pipelines and snapshots
# ---------------------------------------------------------------------------
class Pipeline(Handle):
    """A surface's pipeline: sources, ranker, filters, rules, fallback ladder.

    Setters only record (and return self, so calls chain); the engine
    validates when it compiles the snapshot, naming the surface, source,
    model or item at fault. Not thread-safe. ::

        home = (aisle.Pipeline("home")
                .add_source("ann", "ann", quota=200)
                .add_source("popular", "popular", quota=100)
                .set_ranker("ranker"))
        snapshot.add_pipeline(home)
    """

    _destroy_name = "aisle_pipeline_builder_destroy"
    _what = "Pipeline"

    def __init__(self, surface, kind=SurfaceKind.RECOMMENDATION):
        out = new_out(_lib.pipeline_builder_t)
        _check(_lib.aisle_pipeline_builder_create(_enc(surface, "surface"), byref(out)))
        super().__init__(out)
        self.surface = surface
        if kind != SurfaceKind.RECOMMENDATION:
            self.set_kind(kind)

    def set_kind(self, kind):
        _check(
            _lib.aisle_pipeline_builder_set_kind(self._h, int(coerce(SurfaceKind, kind, "kind")))
        )
        return self

    def add_source(self, name, kind, quota, ef=0):
        """A candidate source: stable name, kind ("ann", "covisitation", ...),
        quota (1..MAX_QUOTA) and ANN search breadth (0 = the index default)."""
        quota = _int(quota, "Pipeline.add_source: quota", 1, MAX_QUOTA)
        ef = _int(ef, "Pipeline.add_source: ef", 0, MAX_EF)
        _check(
            _lib.aisle_pipeline_builder_add_source(
                self._h, _enc(name, "name"),
                int(coerce(SourceKind, kind, "source '%s' kind" % name)), quota, ef,
            )
        )
        return self

    def set_max_candidates(self, n):
        """Candidates kept after merging the sources (1..MAX_QUOTA)."""
        n = _int(n, "Pipeline.set_max_candidates: n", 1, MAX_QUOTA)
        _check(_lib.aisle_pipeline_builder_set_max_candidates(self._h, n))
        return self

    def set_ranker(self, model, cheaper=None):
        """A snapshot model or registered scorer name, and an optional cheaper one."""
        _check(
            _lib.aisle_pipeline_builder_set_ranker(
                self._h, _enc(model, "model"), _enc(cheaper, "cheaper")
            )
        )
        return self

    def set_inventory_reserve(self, reserve):
        reserve = _int(reserve, "Pipeline.set_inventory_reserve: reserve", *_INT32)
        _check(_lib.aisle_pipeline_builder_set_inventory_reserve(self._h, reserve))
        return self

    def block_items(self, ids):
        arr, n, keep = _arrays.strings(ids, "ids")
        _check(_lib.aisle_pipeline_builder_block_items(self._h, arr, n))
        return self

    def block_categories(self, paths):
        arr, n, keep = _arrays.strings(paths, "paths")
        _check(_lib.aisle_pipeline_builder_block_categories(self._h, arr, n))
        return self

    def add_pin(self, item_id, position, force=False):
        """Pins an item at a 0-based position (0..MAX_POSITION)."""
        position = _int(position, "Pipeline.add_pin: position", 0, MAX_POSITION)
        _check(
            _lib.aisle_pipeline_builder_add_pin(
                self._h, _enc(item_id, "item_id"), position, 1 if force else 0
            )
        )
        return self

    def set_category_cap(self, max_per_category, top_m, depth=-1):
        where = "Pipeline.set_category_cap: "
        _check(
            _lib.aisle_pipeline_builder_set_category_cap(
                self._h, _int(max_per_category, where + "max_per_category", 1, _ints.UINT32[1]),
                _int(top_m, where + "top_m", *_ints.UINT64), _int(depth, where + "depth", *_INT32)
            )
        )
        return self

    def set_mmr(self, lambda_):
        _check(_lib.aisle_pipeline_builder_set_mmr(self._h, float(lambda_)))
        return self

    def set_exploration(self, positions, new_item_window_micros, budget):
        """Positions (0..MAX_POSITION, distinct) reserved for new items."""
        where = "Pipeline.set_exploration: "
        window = _int(new_item_window_micros, where + "new_item_window_micros", *_INT64)
        budget = _int(budget, where + "budget", *_ints.UINT32)
        ptr, n, keep = _arrays.vector(positions, "uint32", "positions", (0, MAX_POSITION))
        _int(n, where + "len(positions)", 0, MAX_K)
        _check(_lib.aisle_pipeline_builder_set_exploration(self._h, ptr, n, window, budget))
        return self

    def set_ladder(self, levels):
        """Fallback levels, best first (names or FallbackLevel); [] = the default."""
        lv = [int(coerce(FallbackLevel, v, "fallback level")) for v in levels]
        ptr, n, keep = _arrays.vector(lv, "int32", "ladder")
        _check(_lib.aisle_pipeline_builder_set_ladder(self._h, ptr, n))
        return self

    def set_campaign_set(self, name):
        _check(_lib.aisle_pipeline_builder_set_campaign_set(self._h, _enc(name, "name")))
        return self

    def set_default_k(self, k):
        """Items served when a request says k = 0 (1..MAX_K)."""
        k = _int(k, "Pipeline.set_default_k: k", 1, MAX_K)
        _check(_lib.aisle_pipeline_builder_set_default_k(self._h, k))
        return self

    def set_budget(self, budget_micros):
        budget_micros = _int(budget_micros, "Pipeline.set_budget: budget_micros", *_INT64)
        _check(_lib.aisle_pipeline_builder_set_budget(self._h, budget_micros))
        return self

    def isolate_ranker(self, on=True):
        """Run the ranker (a remote scorer, say) on the engine's isolation
        threads and wait for it only until the rank deadline; a call still
        running then is abandoned and the level falls back (reason deadline,
        or overload while every isolation slot is held by stalled calls)."""
        _check(_lib.aisle_pipeline_builder_isolate_ranker(self._h, 1 if on else 0))
        return self

    def add_shadow(self, ranker):
        """A shadow ranker (a snapshot model or registered scorer name): it
        scores the candidates the served ranker scored, on the engine's shadow
        threads, off the response's path. Its scores are never served; read
        them with Engine.drain_shadow_results(). The response names it
        (Response.shadow_rankers)."""
        _check(_lib.aisle_pipeline_builder_add_shadow(self._h, _enc(ranker, "ranker")))
        return self

    def set_cold_start(self, known_min_interactions):
        """Cold-start tiers: no interactions seen for the user (else the
        session) is anonymous, 1..known_min_interactions-1 few_interactions,
        more known (default 10; at least 1)."""
        n = _int(known_min_interactions, "Pipeline.set_cold_start: known_min_interactions", 1,
                 _ints.UINT32[1])
        _check(_lib.aisle_pipeline_builder_set_cold_start(self._h, n))
        return self

    def set_tier_pipeline(self, tier, surface):
        """The surface (pipeline) that serves requests of a cold-start tier
        (Tier or its name); None or "" = the built-in plan. A request with its
        own signal (seed or cart items, a vector, search candidates) is served
        by this surface whatever its tier."""
        t = int(coerce(Tier, tier, "tier"))
        _check(_lib.aisle_pipeline_builder_set_tier_pipeline(
            self._h, t, _enc("" if surface is None else surface, "surface")))
        return self

    def set_launch_boost(self, window_micros=72 * _HOUR_MICROS, boost=0.1, mode="add"):
        """Lifts items launched within `window_micros` (> 0): w = boost * (1 -
        age / window), added to the score ("add") or as score * (1 + w)
        ("multiply"); the list is then re-sorted. `boost` finite and >= 0."""
        window = _int(window_micros, "Pipeline.set_launch_boost: window_micros", 1, _INT64[1])
        m = int(coerce(LaunchBoostMode, mode, "launch boost mode"))
        _check(_lib.aisle_pipeline_builder_set_launch_boost(self._h, window, float(boost), m))
        return self


class Snapshot(Handle):
    """A deployment: catalog, ANN index, features, models, pipelines, campaigns.

    It is copied when handed to an engine, so it may be changed and reused
    afterwards; the objects added to it are shared (closing them afterwards
    is fine). Not thread-safe. Setters return self.
    """

    _destroy_name = "aisle_snapshot_destroy"
    _what = "Snapshot"

    def __init__(self, version):
        out = new_out(_lib.snapshot_t)
        _check(_lib.aisle_snapshot_create(_enc(version, "version"), byref(out)))
        super().__init__(out)
        self.version = version

    def set_catalog(self, catalog):
        _check(_lib.aisle_snapshot_set_catalog(self._h, catalog._h))
        return self

    def set_ann_index(self, index):
        _check(_lib.aisle_snapshot_set_ann_index(self._h, index._h))
        return self

    def set_item_features(self, store):
        _check(_lib.aisle_snapshot_set_item_features(self._h, store._h))
        return self

    def set_feature_schema(self, schema):
        _check(_lib.aisle_snapshot_set_feature_schema(self._h, schema._h))
        return self

    def add_model(self, name, model):
        _check(_lib.aisle_snapshot_add_model(self._h, _enc(name, "name"), model._h))
        return self

    def add_pipeline(self, pipeline):
        _check(_lib.aisle_snapshot_add_pipeline(self._h, pipeline._h))
        return self

    def add_campaign_set(self, name, ids):
        arr, n, keep = _arrays.strings(ids, "ids")
        _check(_lib.aisle_snapshot_add_campaign_set(self._h, _enc(name, "name"), arr, n))
        return self

    def add_warm_interactions(self, items, times_micros, types=None, sessions=None):
        """Interactions (item indices) the live popularity and co-visitation start from."""
        from .retrieval import _interaction_columns  # noqa: PLC0415

        (se, it, tm, ty, n), keep = _interaction_columns(items, times_micros, types, sessions)
        _check(_lib.aisle_snapshot_add_warm_interactions(self._h, se, it, tm, ty, n))
        return self

    def set_experiments(self, config):
        """Sets (replaces) the experiments: JSON text or a dict in the format
        of docs/routing.md (layers of experiments whose variants carry
        parameters such as {"ranker": "gbdt_v7"}, challengers, holdouts).
        They take effect when the snapshot is served; {"layers": []} means
        none. InvalidArgument with the JSON path of the offending value."""
        data = _config_bytes(config, "Snapshot.set_experiments: config")
        _check(_lib.aisle_snapshot_set_experiments_json(self._h, data, len(data)))
        return self

    def set_segmenter(self, config):
        """Sets (replaces) how an anonymous visitor's context (geo, device,
        ...) maps to a popularity segment: JSON text or a dict (docs/routing.md,
        "Context segments"; omitted fields keep their defaults)."""
        data = _config_bytes(config, "Snapshot.set_segmenter: config")
        _check(_lib.aisle_snapshot_set_segmenter_json(self._h, data, len(data)))
        return self


# ---------------------------------------------------------------------------
# Requests
# ---------------------------------------------------------------------------
class Request(Handle):
    """One recommendation request; reusable (setters replace). Not thread-safe.

    ::

        req = aisle.Request("product_page", user_id="u-17", seed_items=["sku-1"], k=8)
        req.set_context({"device": "mobile"})

    Keyword arguments of the constructor call the matching ``set_*`` method.
    """

    _destroy_name = "aisle_request_destroy"
    _what = "Request"

    _KEYWORDS = (
        "request_id", "user_id", "session_id", "context", "seed_items", "cart_items",
        "bought_items", "search_candidates", "user_vector", "segment", "k", "budget_micros",
    )

    def __init__(self, surface, **kwargs):
        out = new_out(_lib.request_t)
        _check(_lib.aisle_request_create(_enc(surface, "surface"), byref(out)))
        super().__init__(out)
        self.surface = surface
        unknown = set(kwargs) - set(self._KEYWORDS)
        if unknown:
            raise errors.InvalidArgument(
                errors.INVALID_ARGUMENT,
                "Request: unknown keyword(s) %s (known: %s)"
                % (", ".join(sorted(unknown)), ", ".join(self._KEYWORDS)),
            )
        for key in self._KEYWORDS:
            if key in kwargs:
                getattr(self, "set_" + key)(kwargs[key])

    def set_surface(self, surface):
        _check(_lib.aisle_request_set_surface(self._h, _enc(surface, "surface")))
        self.surface = surface
        return self

    def set_request_id(self, value):
        _check(_lib.aisle_request_set_request_id(self._h, _enc(value, "request_id")))
        return self

    def set_user_id(self, value):
        _check(_lib.aisle_request_set_user_id(self._h, _enc(value, "user_id")))
        return self

    def set_session_id(self, value):
        _check(_lib.aisle_request_set_session_id(self._h, _enc(value, "session_id")))
        return self

    def add_context(self, key, value):
        _check(
            _lib.aisle_request_add_context(self._h, _enc(key, "context key"),
                                           _enc(value, "context value"))
        )
        return self

    def set_context(self, context):
        """Replaces the context with a mapping (or pairs) of strings."""
        _check(_lib.aisle_request_clear_context(self._h))
        items = context.items() if hasattr(context, "items") else (context or ())
        for k, v in items:
            self.add_context(k, v)
        return self

    def _ids(self, fn, ids, what):
        # `fn` is unchecked: its only integer, the count, is the list's length.
        arr, n, keep = _arrays.strings(list(ids or ()), what)
        _check(fn(self._h, arr, n))
        return self

    def set_seed_items(self, ids):
        return self._ids(_raw.aisle_request_set_seed_items, ids, "seed_items")

    def set_cart_items(self, ids):
        return self._ids(_raw.aisle_request_set_cart_items, ids, "cart_items")

    def set_bought_items(self, ids):
        return self._ids(_raw.aisle_request_set_bought_items, ids, "bought_items")

    def set_search_candidates(self, ids):
        return self._ids(_raw.aisle_request_set_search_candidates, ids, "search_candidates")

    def set_user_vector(self, values):
        """A user or query embedding (None or [] clears; at most MAX_DIM values)."""
        ptr, n, keep = _arrays.vector(values, "float32", "user_vector")
        _int(n, "Request.set_user_vector: len(values)", 0, MAX_DIM)
        _check(_lib.aisle_request_set_user_vector(self._h, ptr, n))
        return self

    def set_segment(self, segment):
        """Segment for the segment level (0 = none; at most MAX_SEGMENTS)."""
        segment = _int(segment, "Request.set_segment: segment", 0, MAX_SEGMENTS)
        _check(_lib.aisle_request_set_segment(self._h, segment))
        return self

    def set_k(self, k):
        """Items wanted (0 = the surface's default; at most MAX_K, and the
        surface's max_k is checked when the request is served)."""
        k = _int(k, "Request.set_k: k", 0, MAX_K)
        _check(_lib.aisle_request_set_k(self._h, k))
        return self

    def set_budget_micros(self, budget_micros):
        budget_micros = _int(budget_micros, "Request.set_budget_micros: budget_micros", *_INT64)
        _check(_lib.aisle_request_set_budget(self._h, budget_micros))
        return self


# ---------------------------------------------------------------------------
# Responses (plain data, copied out of the C response)
# ---------------------------------------------------------------------------
@dataclasses.dataclass
class FeatureMatrix:
    """The served feature matrix for some items (Engine.assemble_features)."""

    item_ids: List[str]
    feature_names: List[str]
    # Whether a candidate source proposed each item for the request; if not,
    # its retrieval features are missing, as they would be when serving.
    retrieved: List[bool]
    values: Any  # rows x cols: float32 ndarray with numpy, else list of lists

    def column(self, name):
        """The values of feature `name`, one per row."""
        j = self.feature_names.index(name)
        return [row[j] for row in self.values]


@dataclasses.dataclass
class ResponseItem:
    """One served item."""

    id: str
    index: int
    score: float
    reason: str  # "ranked", "pinned", "exploration", "popular", "campaign", "lexical", ...
    sources: List[str]  # names of the candidate sources that produced it


@dataclasses.dataclass(frozen=True)
class Experiment:
    """One experiment assignment of a request."""

    layer: str
    experiment: str
    variant: str
    # False when the unit got the defaults (outside coverage, held out, or
    # the experiment is killed): not to be counted as exposed.
    in_experiment: bool
    forced: bool = False  # a QA override chose the variant
    holdout: bool = False  # the unit is in a holdout of this layer
    killed: bool = False  # the experiment is killed: control for everyone


@dataclasses.dataclass(frozen=True)
class ResponseCounts:
    candidates: int
    filtered: int
    unknown_items: int
    stale_features: int
    defaulted_features: int


@dataclasses.dataclass
class Response:
    """What the engine served, and why (tier, fallback level and reason)."""

    items: List[ResponseItem]
    tier: Any  # Tier
    fallback_level: Any  # FallbackLevel
    fallback_reason: Any  # FallbackReason
    fallback_detail: str
    request_id: str
    snapshot_version: str
    ranker_version: str
    latency_micros: Dict[Any, int]  # Stage -> microseconds
    quality: float
    experiments: List[Experiment]
    counts: ResponseCounts
    source_names: List[str]
    # The pipeline (surface configuration) that served: the surface, a
    # cold-start tier's pipeline or an experiment arm's.
    pipeline: str = ""
    tier_reason: str = ""  # why the request is in its tier ("no history", ...)
    holdout: bool = False  # the unit is held out of some layer's experiments
    params: List[Tuple[str, str]] = dataclasses.field(default_factory=list)  # applied
    shadow_rankers: List[str] = dataclasses.field(default_factory=list)  # started, by version

    @property
    def ids(self):
        return [i.id for i in self.items]

    @property
    def indices(self):
        return [i.index for i in self.items]

    @property
    def scores(self):
        return [i.score for i in self.items]

    def __len__(self):
        return len(self.items)

    def __iter__(self):
        return iter(self.items)


_STAGES = tuple(Stage)


def _read_response(r):
    n = c_size_t()
    _check(_lib.aisle_response_item_count(r, byref(n)))
    count = n.value
    idx = POINTER(c_uint32)()
    sc = POINTER(c_float)()
    src = POINTER(c_uint32)()
    m = c_size_t()
    _check(_lib.aisle_response_indices(r, byref(idx), byref(m)))
    _check(_lib.aisle_response_scores(r, byref(sc), byref(m)))
    _check(_lib.aisle_response_sources(r, byref(src), byref(m)))
    s = c_char_p()
    _check(_lib.aisle_response_source_count(r, byref(m)))
    names = []
    for i in range(m.value):
        _check(_raw.aisle_response_source_name(r, i, byref(s)))
        names.append(_dec(s.value))
    items = []
    if count:
        indices = idx[:count]
        scores = sc[:count]
        sources = src[:count]
        sref = byref(s)
        item_id_fn = _raw.aisle_response_item_id
        reason_fn = _raw.aisle_response_item_reason
        for i in range(count):
            if item_id_fn(r, i, sref):
                _check(item_id_fn(r, i, sref))
            item_id = s.value.decode("utf-8", "replace")
            if reason_fn(r, i, sref):
                _check(reason_fn(r, i, sref))
            bits = sources[i]
            items.append(
                ResponseItem(
                    item_id, indices[i], scores[i], s.value.decode("utf-8", "replace"),
                    [nm for b, nm in enumerate(names) if bits >> b & 1],
                )
            )
    v = c_int32()
    _check(_lib.aisle_response_tier(r, byref(v)))
    tier = maybe(Tier, v.value)
    _check(_lib.aisle_response_fallback_level(r, byref(v)))
    level = maybe(FallbackLevel, v.value)
    _check(_lib.aisle_response_fallback_reason(r, byref(v)))
    reason = maybe(FallbackReason, v.value)
    strs = []
    for fn in (
        _lib.aisle_response_fallback_detail,
        _lib.aisle_response_request_id,
        _lib.aisle_response_snapshot_version,
        _lib.aisle_response_ranker_version,
    ):
        _check(fn(r, byref(s)))
        strs.append(_dec(s.value))
    lat = {}
    t = c_int64()
    tref = byref(t)
    for stage in _STAGES:
        _check(_raw.aisle_response_latency_micros(r, stage, tref))
        lat[stage] = t.value
    q = c_double()
    _check(_lib.aisle_response_quality(r, byref(q)))
    _check(_lib.aisle_response_experiment_count(r, byref(m)))
    exps = []
    layer, exp, var, inx = c_char_p(), c_char_p(), c_char_p(), c_uint8()
    forced, held, killed = c_uint8(), c_uint8(), c_uint8()
    for i in range(m.value):
        _check(
            _raw.aisle_response_experiment(r, i, byref(layer), byref(exp), byref(var), byref(inx))
        )
        _check(_raw.aisle_response_experiment_flags(r, i, byref(forced), byref(held),
                                                   byref(killed)))
        exps.append(Experiment(_dec(layer.value), _dec(exp.value), _dec(var.value),
                               bool(inx.value), bool(forced.value), bool(held.value),
                               bool(killed.value)))
    _check(_lib.aisle_response_holdout(r, byref(held)))
    holdout = bool(held.value)
    _check(_lib.aisle_response_pipeline(r, byref(s)))
    pipeline = _dec(s.value)
    _check(_lib.aisle_response_tier_reason(r, byref(s)))
    tier_reason = _dec(s.value)
    _check(_lib.aisle_response_param_count(r, byref(m)))
    params = []
    key, value = c_char_p(), c_char_p()
    for i in range(m.value):
        _check(_raw.aisle_response_param(r, i, byref(key), byref(value)))
        params.append((_dec(key.value), _dec(value.value)))
    _check(_lib.aisle_response_shadow_count(r, byref(m)))
    shadows = []
    for i in range(m.value):
        _check(_raw.aisle_response_shadow_ranker(r, i, byref(s)))
        shadows.append(_dec(s.value))
    c = _lib.ResponseCountsT()
    c.size = sizeof(_lib.ResponseCountsT)
    _check(_lib.aisle_response_counts_read(r, byref(c)))
    counts = ResponseCounts(c.candidates, c.filtered, c.unknown_items, c.stale_features,
                            c.defaulted_features)
    return Response(items, tier, level, reason, strs[0], strs[1], strs[2], strs[3], lat,
                    q.value, exps, counts, names, pipeline, tier_reason, holdout, params, shadows)


_METRIC_STAGES = tuple(st for st in Stage if st != Stage.TOTAL)


def _read_shadow_result(h):
    s = c_char_p()
    strs = []
    for fn in (_lib.aisle_shadow_result_request_id, _lib.aisle_shadow_result_surface,
               _lib.aisle_shadow_result_ranker):
        _check(fn(h, byref(s)))
        strs.append(_dec(s.value))
    code = c_int32()
    _check(_lib.aisle_shadow_result_status(h, byref(code), byref(s)))
    message = _dec(s.value)
    us = c_int64()
    _check(_lib.aisle_shadow_result_latency_micros(h, byref(us)))
    n = c_size_t()
    _check(_lib.aisle_shadow_result_item_count(h, byref(n)))
    ids = []
    for i in range(n.value):
        _check(_raw.aisle_shadow_result_item_id(h, i, byref(s)))
        ids.append(_dec(s.value))
    ptr = POINTER(c_float)()
    _check(_lib.aisle_shadow_result_scores(h, byref(ptr), byref(n)))
    scores = [float(x) for x in ptr[: n.value]] if n.value else []
    return ShadowResult(strs[0], strs[1], strs[2], code.value, message, us.value, ids, scores)


# ---------------------------------------------------------------------------
# Engine
# ---------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class EngineMetrics:
    """Engine counters, monotonic since creation."""

    requests: int
    errors: int
    empty_responses: int
    served_by_level: Dict[Any, int]  # FallbackLevel -> requests (non-zero entries)
    fallback_reasons: Dict[Any, int]  # FallbackReason -> requests (non-zero entries)
    unknown_items: int
    events_applied: int
    events_rejected: int
    swaps: int
    swaps_rejected: int
    # Isolated ranker calls (PipelineBuilder.isolate_ranker): made, abandoned
    # at the rank deadline, refused (every isolation slot held), outstanding.
    isolated_calls: int = 0
    isolated_timeouts: int = 0
    isolated_rejected: int = 0
    isolated_outstanding: int = 0
    # Live event times (apply_interaction): applied at the window's edge,
    # refused (too old / too far ahead / no time at all; also counted in
    # events_rejected), and applied at now because they carried no time.
    events_clamped_old: int = 0
    events_clamped_new: int = 0
    events_rejected_old: int = 0
    events_rejected_new: int = 0
    events_rejected_time: int = 0
    events_time_missing: int = 0
    # Ids a request repeated within one of its lists (each item used once).
    duplicate_request_items: int = 0
    # Rollbacks (Engine.rollback); requests by cold-start tier (every Tier);
    # per stage (every Stage but TOTAL; POST is RULES + DIVERSIFY + EXPLORE):
    # runs, microseconds in all, failures (the request went on to its next
    # fallback level).
    rollbacks: int = 0
    served_by_tier: Dict[Any, int] = dataclasses.field(default_factory=dict)
    stage_runs: Dict[Any, int] = dataclasses.field(default_factory=dict)
    stage_micros: Dict[Any, int] = dataclasses.field(default_factory=dict)
    stage_failures: Dict[Any, int] = dataclasses.field(default_factory=dict)
    # Requests whose unit was in a holdout; assignments sent to control by a
    # killed experiment.
    holdout_requests: int = 0
    killed_assignments: int = 0
    # Shadow rankers: calls started, failed, skipped (too many outstanding),
    # results dropped because nobody drained them.
    shadow_calls: int = 0
    shadow_failed: int = 0
    shadow_skipped: int = 0
    shadow_dropped: int = 0


@dataclasses.dataclass(frozen=True)
class SnapshotChange:
    """One change of the serving snapshot (Engine.snapshot_log())."""

    at_micros: int  # unix microseconds
    at: datetime.datetime  # the same, UTC
    from_version: str
    to_version: str
    rollback: bool  # False: a swap
    reason: str  # a rollback's reason ("" for a swap)
    actor: str


@dataclasses.dataclass(frozen=True)
class KillSwitchEvent:
    """One accepted kill or revive (Engine.experiment_audit_log())."""

    at_micros: int
    at: datetime.datetime  # UTC
    action: str  # "kill" or "revive"
    experiment: str
    reason: str
    actor: str
    changed: bool  # False when the experiment already was in that state


@dataclasses.dataclass(frozen=True)
class KilledExperiment:
    """An experiment killed now (Engine.killed_experiments())."""

    experiment: str
    since_micros: int
    since: datetime.datetime  # UTC
    reason: str
    actor: str


@dataclasses.dataclass
class ShadowResult:
    """What a shadow ranker scored for one served response: the candidates
    the served ranker scored, in the same order (scores empty when it failed)."""

    request_id: str
    surface: str
    ranker: str  # the shadow's version
    code: int  # aisle.errors.OK or the error code
    message: str  # "" when OK
    latency_micros: int
    item_ids: List[str]
    scores: List[float]

    @property
    def ok(self):
        return self.code == errors.OK


@dataclasses.dataclass
class EngineOptions:
    """Engine options; zero fields take the library defaults.

    ``no_threads=True`` forbids the engine threads of its own (a snapshot whose
    pipeline isolates its ranker is then refused); ``publish_every=-1``
    publishes live popularity/co-visitation only on publish_live_state().

    The live event-time window: an event older than ``event_max_age_micros``
    (default 7 days) is refused, or applied at the window's edge with
    ``event_too_old="clamp"``; one more than ``event_max_lead_micros``
    (default 5 minutes) ahead of the engine's clock is applied at now, or
    refused with ``event_too_new="reject"``. Both are counted in metrics().
    ``num_segments`` (default 64, at most 65536) bounds request/event segments.
    """

    history_length: int = 0
    isolation_threads: int = 0
    isolation_max_outstanding: int = 0
    no_threads: bool = False
    publish_every: int = 0
    event_max_age_micros: int = 0
    event_max_lead_micros: int = 0
    event_too_old: str = "default"  # "default", "reject" or "clamp"
    event_too_new: str = "default"
    num_segments: int = 0
    # Threads shadow rankers score on (default 2) and shadow calls
    # outstanding at most (default 16, raised to shadow_threads; else at
    # least shadow_threads) before further ones are skipped.
    shadow_threads: int = 0
    shadow_max_outstanding: int = 0


@dataclasses.dataclass
class BreakerOptions:
    """Circuit breaker of a host scorer; zero fields take the library defaults."""

    call_timeout_micros: int = 0
    open_micros: int = 0
    min_requests: int = 0
    failure_rate: float = 0.0
    consecutive_timeouts: int = 0


_EVENT_TIME_ACTIONS = {"default": 0, "reject": 1, "clamp": 2}


def _event_time_action(value, name):
    if value not in _EVENT_TIME_ACTIONS:
        raise errors.InvalidArgument(
            errors.INVALID_ARGUMENT,
            "EngineOptions.%s: %r is not one of %s" % (name, value, ", ".join(_EVENT_TIME_ACTIONS)),
        )
    return _EVENT_TIME_ACTIONS[value]


class Engine(Handle):
    """Serves requests from a snapshot. Thread-safe (recommend from any thread).

    ::

        with aisle.Engine(snapshot) as engine:
            resp = engine.recommend(aisle.Request("home", user_id="u-17", k=10))
            for item in resp.items:
                print(item.id, item.score, item.reason)

    The engine copies the snapshot; swap() replaces it atomically while
    requests are in flight. Responses are plain Python objects (no handle).
    """

    _destroy_name = "aisle_engine_destroy"
    _what = "Engine"

    def __init__(self, snapshot, options=None):
        """InvalidArgument or NotFound naming the surface, source, model or item at
        fault; FailedPrecondition for an isolating pipeline when options.no_threads.
        `options`: EngineOptions, a dict of its fields, or None for the defaults."""
        out = new_out(_lib.engine_t)
        if options is None:
            _check(_lib.aisle_engine_create(snapshot._h, byref(out)))
        else:
            if isinstance(options, dict):
                options = EngineOptions(**options)
            o = _lib.EngineOptionsT()
            o.size = sizeof(_lib.EngineOptionsT)
            o.history_length = _int(options.history_length, "EngineOptions.history_length", 0,
                                    MAX_HISTORY)
            o.isolation_threads = _int(options.isolation_threads,
                                       "EngineOptions.isolation_threads", 0, MAX_THREADS)
            o.isolation_max_outstanding = _int(options.isolation_max_outstanding,
                                               "EngineOptions.isolation_max_outstanding", 0,
                                               MAX_ISOLATION_OUTSTANDING)
            o.no_threads = 1 if options.no_threads else 0
            o.publish_every = _int(options.publish_every, "EngineOptions.publish_every", -1,
                                   _INT64[1])
            o.event_max_age_micros = _int(options.event_max_age_micros,
                                          "EngineOptions.event_max_age_micros", 0, _INT64[1])
            o.event_max_lead_micros = _int(options.event_max_lead_micros,
                                           "EngineOptions.event_max_lead_micros", 0, _INT64[1])
            o.event_too_old = _event_time_action(options.event_too_old, "event_too_old")
            o.event_too_new = _event_time_action(options.event_too_new, "event_too_new")
            o.num_segments = _int(options.num_segments, "EngineOptions.num_segments", 0,
                                  MAX_SEGMENTS)
            o.shadow_threads = _int(options.shadow_threads, "EngineOptions.shadow_threads", 0,
                                    MAX_THREADS)
            o.shadow_max_outstanding = _int(options.shadow_max_outstanding,
                                            "EngineOptions.shadow_max_outstanding", 0,
                                            MAX_ISOLATION_OUTSTANDING)
            _check(_lib.aisle_engine_create_with_options(snapshot._h, byref(o), byref(out)))
        super().__init__(out)
        self._scorers = {}  # name -> (trampoline, fn): kept alive as long as the engine
        self.scorer_errors = []  # exceptions raised by host scorers (most recent last)
        self._lock = threading.Lock()

    def close(self):
        super().close()
        # The C engine is gone: its trampolines may now be released.
        self._scorers = {}

    def recommend(self, request=None, **kwargs):
        """Serves one request (a :class:`Request`, or the keywords of one).

        Errors only for a malformed request (unknown surface, k beyond max_k,
        bad user vector); everything else degrades and says so in the response.
        """
        if request is None:
            if "surface" not in kwargs:
                raise errors.InvalidArgument(
                    errors.INVALID_ARGUMENT, "recommend: pass a Request or surface=..."
                )
            with Request(kwargs.pop("surface"), **kwargs) as req:
                return self.recommend(req)
        out = new_out(_lib.response_t)
        _check(_lib.aisle_engine_recommend(self._h, request._h, byref(out)))
        try:
            return _read_response(out)
        finally:
            _lib.aisle_response_destroy(out)

    def recommend_ids(self, request):
        """The served ids only: the cheapest way to call recommend from Python."""
        out = new_out(_lib.response_t)
        _check(_lib.aisle_engine_recommend(self._h, request._h, byref(out)))
        try:
            n = c_size_t()
            _check(_lib.aisle_response_item_count(out, byref(n)))
            s = c_char_p()
            sref = byref(s)
            item_id_fn = _raw.aisle_response_item_id
            ids = []
            for i in range(n.value):
                _check(item_id_fn(out, i, sref))
                ids.append(s.value.decode("utf-8", "replace"))
            return ids
        finally:
            _lib.aisle_response_destroy(out)

    def assemble_features(self, request, item_ids):
        """The exact feature matrix the request's surface ranker would score for
        `item_ids` (rows in that order): same retrieval, same assembly, same
        missing values. Log it with your labels to train on what serving sees.

        Returns a :class:`FeatureMatrix` (values as a rows x cols float32 ndarray
        with numpy, else a list of row lists).
        """
        ids, n, keep = _arrays.strings(item_ids, "item_ids")
        out = new_out(_lib.feature_matrix_t)
        _check(_lib.aisle_engine_assemble_features(self._h, request._h, ids, n, byref(out)))
        del keep
        try:
            rows, cols = c_size_t(), c_size_t()
            _check(_lib.aisle_feature_matrix_shape(out, byref(rows), byref(cols)))
            names = []
            s = c_char_p()
            for i in range(cols.value):
                _check(_raw.aisle_feature_matrix_feature_name(out, i, byref(s)))
                names.append(_arrays.decode(s.value))
            vals = POINTER(c_float)()
            _check(_lib.aisle_feature_matrix_values(out, byref(vals)))
            flat = _arrays.copy_borrowed(vals, rows.value * cols.value, "float32")
            ret = POINTER(c_uint8)()
            _check(_lib.aisle_feature_matrix_retrieved(out, byref(ret)))
            retrieved = [bool(ret[i]) for i in range(rows.value)]
            if _arrays.np is not None and _arrays.numpy_enabled():
                values = flat.reshape(rows.value, cols.value)
            else:
                flat = list(flat)
                values = [flat[r * cols.value : (r + 1) * cols.value] for r in range(rows.value)]
            return FeatureMatrix(list(item_ids), names, retrieved, values)
        finally:
            _lib.aisle_feature_matrix_destroy(out)

    def swap(self, snapshot):
        """Validates and swaps in `snapshot`; on error the old one keeps serving."""
        _check(_lib.aisle_engine_swap(self._h, snapshot._h))

    @property
    def snapshot_version(self):
        n = c_size_t()
        _check(_lib.aisle_engine_snapshot_version(self._h, None, 0, byref(n)))
        buf = create_string_buffer(n.value + 1)
        _check(_lib.aisle_engine_snapshot_version(self._h, buf, n.value + 1, byref(n)))
        return _dec(buf.value)

    def set_stock(self, item_id, stock):
        stock = _int(stock, "Engine.set_stock: stock", *_INT32)
        _check(_lib.aisle_engine_set_stock(self._h, _enc(item_id, "item_id"), stock))

    def add_stock(self, item_id, delta):
        delta = _int(delta, "Engine.add_stock: delta", *_INT32)
        _check(_lib.aisle_engine_add_stock(self._h, _enc(item_id, "item_id"), delta))

    def apply_interaction(self, item_id, type=InteractionType.VIEW, at_micros=None, user_id=None,  # noqa: A002
                          session_id=None, segment=0):
        """One live event; NotFound naming an unknown item.

        ``at_micros`` is the event's time in unix microseconds; None (the
        default) stamps it with the engine's clock. A time outside the
        engine's event window is refused (InvalidArgument naming the item, the
        time and the window) or applied at the window's edge, as
        EngineOptions say; both are counted in metrics()."""
        at = UNKNOWN_TIME if at_micros is None else _int(
            at_micros, "Engine.apply_interaction: at_micros", *_INT64)
        segment = _int(segment, "Engine.apply_interaction: segment", 0, MAX_SEGMENTS)
        _check(
            _lib.aisle_engine_apply_interaction(
                self._h, _enc(user_id, "user_id"), _enc(session_id, "session_id"),
                _enc(item_id, "item_id"), int(coerce(InteractionType, type, "interaction type")),
                at, segment,
            )
        )

    def publish_live_state(self):
        """Makes live popularity and co-visitation visible now."""
        _check(_lib.aisle_engine_publish_live_state(self._h))

    def set_flag(self, surface, flag, enabled, actor="python"):
        """A runtime switch (Switch.PERSONALIZATION, ...) of a surface ("*" = all)."""
        _check(
            _lib.aisle_engine_set_flag(
                self._h, _enc(surface, "surface"), int(coerce(Switch, flag, "flag")),
                1 if enabled else 0, _enc(actor, "actor"),
            )
        )

    def set_source(self, surface, source, enabled, actor="python"):
        """Turns a source of a surface ("*" = all) on or off."""
        _check(
            _lib.aisle_engine_set_source(
                self._h, _enc(surface, "surface"), _enc(source, "source"), 1 if enabled else 0,
                _enc(actor, "actor"),
            )
        )

    def quality(self, surface):
        """The overload controller's quality factor for a surface, in (0, 1]."""
        q = c_double()
        _check(_lib.aisle_engine_quality(self._h, _enc(surface, "surface"), byref(q)))
        return q.value

    def metrics(self):
        m = _lib.EngineMetricsT()
        m.size = sizeof(_lib.EngineMetricsT)
        _check(_lib.aisle_engine_metrics_read(self._h, byref(m)))
        return EngineMetrics(
            m.requests, m.errors, m.empty_responses,
            {maybe(FallbackLevel, i): v for i, v in enumerate(m.served_by_level) if v},
            {maybe(FallbackReason, i): v for i, v in enumerate(m.fallback_reasons) if v},
            m.unknown_items, m.events_applied, m.events_rejected, m.swaps, m.swaps_rejected,
            m.isolated_calls, m.isolated_timeouts, m.isolated_rejected, m.isolated_outstanding,
            m.events_clamped_old, m.events_clamped_new, m.events_rejected_old,
            m.events_rejected_new, m.events_rejected_time, m.events_time_missing,
            m.duplicate_request_items, m.rollbacks,
            {t: m.served_by_tier[int(t)] for t in Tier},
            {st: m.stage_runs[int(st)] for st in _METRIC_STAGES},
            {st: m.stage_micros[int(st)] for st in _METRIC_STAGES},
            {st: m.stage_failures[int(st)] for st in _METRIC_STAGES},
            m.holdout_requests, m.killed_assignments, m.shadow_calls, m.shadow_failed,
            m.shadow_skipped, m.shadow_dropped,
        )

    # -- rollback, the experiment kill switch, logs, shadow results --------

    def rollback(self, reason, actor="python"):
        """Serves the previous snapshot again, at once (it stays compiled after
        a swap); a second rollback undoes the first. Recorded in
        snapshot_log(). FailedPrecondition when there is no previous
        snapshot."""
        _check(_lib.aisle_engine_rollback(self._h, _enc(reason, "reason"), _enc(actor, "actor")))

    def kill_experiment(self, experiment, reason, actor="python"):
        """From the next request on, every unit of `experiment` (an experiment
        or challenger key) gets its control variant, in this and every later
        snapshot until revived. NotFound for a key no snapshot of this engine
        has had; `reason` and `actor` are required."""
        _check(_lib.aisle_engine_kill_experiment(
            self._h, _enc(experiment, "experiment"), _enc(reason, "reason"),
            _enc(actor, "actor")))

    def revive_experiment(self, experiment, reason, actor="python"):
        """Undoes kill_experiment()."""
        _check(_lib.aisle_engine_revive_experiment(
            self._h, _enc(experiment, "experiment"), _enc(reason, "reason"),
            _enc(actor, "actor")))

    def _log(self, fn):
        n = c_size_t()
        _check(fn(self._h, None, 0, byref(n)))
        while True:  # the log may grow between the two calls
            size = n.value + 1
            buf = create_string_buffer(size)
            _check(fn(self._h, buf, size, byref(n)))
            if n.value < size:
                return json.loads(buf.raw[:n.value].decode("utf-8"))

    def snapshot_log(self):
        """Swaps and rollbacks, oldest first (the last 256), as
        :class:`SnapshotChange`."""
        return [SnapshotChange(e["at_micros"], _utc(e["at_micros"]), e["from_version"],
                               e["to_version"], e["rollback"], e["reason"], e["actor"])
                for e in self._log(_lib.aisle_engine_snapshot_log_json)]

    def experiment_audit_log(self):
        """Accepted kills and revives, oldest first (the last 4096), as
        :class:`KillSwitchEvent`."""
        return [KillSwitchEvent(e["at_micros"], _utc(e["at_micros"]), e["action"],
                                e["experiment"], e["reason"], e["actor"], e["changed"])
                for e in self._log(_lib.aisle_engine_experiment_audit_json)]

    def killed_experiments(self):
        """The experiments killed now, by key, as :class:`KilledExperiment`."""
        return [KilledExperiment(e["experiment"], e["since_micros"], _utc(e["since_micros"]),
                                 e["reason"], e["actor"])
                for e in self._log(_lib.aisle_engine_killed_experiments_json)]

    def drain_shadow_results(self, max=1024):  # noqa: A002 (the C++ API's name)
        """Takes up to `max` results shadow rankers left, oldest first, as
        :class:`ShadowResult` (they are removed from the engine). Shadows run
        off the response's path: a result arrives some time after its
        response."""
        limit = _int(max, "Engine.drain_shadow_results: max", 0, MAX_ITEMS)
        out = []
        while len(out) < limit:
            h = new_out(_lib.shadow_result_t)
            _check(_lib.aisle_engine_next_shadow_result(self._h, byref(h)))
            if not h:
                break
            try:
                out.append(_read_shadow_result(h))
            finally:
                _lib.aisle_shadow_result_destroy(h)
        return out

    def register_scorer(self, name, fn, breaker=None):
        """Registers a Python scorer usable as a pipeline ranker under `name`.

        ``fn(features, remaining_micros) -> scores``: `features` is the rows x
        columns matrix the engine assembled (the pipeline's schema; a read-only
        ndarray view valid only during the call, or a list of lists), and it
        returns one score per row. It is called from the threads that call
        recommend, or from the engine's isolation threads for a surface that
        isolates its ranker (it takes the GIL). If it raises, the request degrades to
        its next fallback level (an AisleError's code is passed on, anything
        else counts as INTERNAL) and the exception is appended to
        ``scorer_errors``. AlreadyExists for a name in use.
        """
        engine = self

        def trampoline(user_data, feats, rows, cols, scores, remaining):
            try:
                np = _arrays.np
                if np is not None:
                    if rows == 0:
                        x = np.empty((0, cols), np.float32)
                    else:
                        x = np.ctypeslib.as_array(feats, shape=(rows, cols))
                        x.flags.writeable = False
                    s = fn(x, remaining)
                    if rows:
                        np.ctypeslib.as_array(scores, shape=(rows,))[:] = np.asarray(
                            s, dtype=np.float32).reshape(rows)
                else:
                    x = [feats[r * cols:(r + 1) * cols] for r in range(rows)]
                    s = list(fn(x, remaining))
                    if len(s) != rows:
                        raise errors.InvalidArgument(
                            errors.INVALID_ARGUMENT,
                            "scorer '%s' returned %d scores for %d rows" % (name, len(s), rows))
                    for i in range(rows):
                        scores[i] = float(s[i])
                return errors.OK
            except errors.AisleError as e:
                engine._record_scorer_error(e)
                return e.code if e.code else errors.INTERNAL
            except BaseException as e:  # noqa: BLE001 (nothing may unwind into C)
                engine._record_scorer_error(e)
                return errors.INTERNAL

        tramp = _lib.SCORER_FN(trampoline)
        b = None
        if breaker is not None:
            if isinstance(breaker, dict):
                breaker = BreakerOptions(**breaker)
            b = _lib.BreakerOptions()
            b.size = sizeof(_lib.BreakerOptions)
            # Zero fields take the defaults; negative ones are errors.
            b.call_timeout_micros = _int(breaker.call_timeout_micros,
                                         "BreakerOptions.call_timeout_micros", 0, _INT64[1])
            b.open_micros = _int(breaker.open_micros, "BreakerOptions.open_micros", 0, _INT64[1])
            b.min_requests = _int(breaker.min_requests, "BreakerOptions.min_requests", 0,
                                  _INT32[1])
            b.failure_rate = float(breaker.failure_rate)
            b.consecutive_timeouts = _int(breaker.consecutive_timeouts,
                                          "BreakerOptions.consecutive_timeouts", 0, _INT32[1])
            b = byref(b)
        _check(_lib.aisle_engine_register_scorer(self._h, _enc(name, "name"), tramp, None, b))
        self._scorers[name] = (tramp, fn)

    def _record_scorer_error(self, e):
        with self._lock:
            self.scorer_errors.append(e)
            del self.scorer_errors[:-16]

