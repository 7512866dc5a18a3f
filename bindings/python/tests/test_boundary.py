"""Hostile integers and ids at the Python/C boundary.

ctypes truncates integers silently (2**32 + 3 as a uint32_t is 3, 2**31 as an
int32_t is negative, -1 as a size_t is 2**64 - 1) and cuts strings at a NUL.
These tests sweep every public integer parameter of the package with values
outside its range and a float, every integer parameter of every bound C
function and every integer field of every struct, and ids with a NUL, a lone
surrogate, invalid UTF-8 or control characters. Each refused call must raise
the right exception with a message naming the parameter, the value and the
accepted range, and must leave the engine serving exactly what it served
before.
"""

import itertools
import time

import pytest

import aisle
import storefront
from aisle import _ints, _lib, errors
from aisle.constants import (
    MAX_ANN_M,
    MAX_COVISITATION_DISTANCE,
    MAX_DIM,
    MAX_EF,
    MAX_HISTORY,
    MAX_ITEMS,
    MAX_K,
    MAX_POSITION,
    MAX_QUOTA,
    MAX_SEGMENTS,
    MAX_THREADS,
)

NOW = int(time.time() * 1e6)
HOUR = 3600 * 1000000
INT32 = _ints.INT32
UINT32 = _ints.UINT32
INT64 = _ints.INT64
UINT64 = _ints.UINT64
#: The hostile integers; each case uses those outside its range.
HOSTILE = [-1, 2**31, 2**32 + 3, 2**63, 2**64]
DATA = [[1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [0.5, 0.2]]
_names = itertools.count()


class Ctx:
    """The objects the cases call into (one set per module)."""


@pytest.fixture(scope="module")
def ctx(tmp_path_factory):
    c = Ctx()
    c.snapshot, c.catalog = storefront.make_snapshot(NOW)
    c.engine = aisle.Engine(c.snapshot)
    c.ann = aisle.AnnIndex.from_catalog(c.catalog)
    c.ann_path = str(tmp_path_factory.mktemp("ann") / "index.ann")
    c.ann.save(c.ann_path)
    c.query = c.catalog.embedding(3)
    c.covis = aisle.CoVisitation(num_items=len(c.catalog))
    c.pop = aisle.Popularity.for_catalog(c.catalog, num_segments=2)
    c.schema = aisle.FeatureSchema(["price", aisle.Feature("clicks", "user")])
    c.users = aisle.OnlineFeatureStore(c.schema, "user")
    c.model = aisle.Model.parse(storefront.LINEAR_MODEL, "linear")
    c.pipeline = aisle.Pipeline("boundary")
    yield c
    for h in (c.pipeline, c.model, c.users, c.schema, c.pop, c.covis, c.ann, c.engine,
              c.snapshot, c.catalog):
        h.close()


def answer(engine):
    """What the engine serves for two fixed requests (ids and scores)."""
    out = []
    for req in (dict(surface="product_page", seed_items=["sku-3"], k=5),
                dict(surface="home", user_id="u1", k=5)):
        resp = engine.recommend(**req)
        out.append((resp.ids, resp.scores, resp.fallback_level))
    return out


def add_item(**fields):
    with aisle.CatalogBuilder(0) as b:
        b.add(aisle.Item("x", price=1.0, **fields))


def register(c, **breaker):
    c.engine.register_scorer("s%d" % next(_names), lambda x, r: [0.0] * len(x),
                             breaker=aisle.BreakerOptions(**breaker))


def engine_with(c, **options):
    aisle.Engine(c.snapshot, aisle.EngineOptions(**options)).close()


# (label, call(ctx, value), where the message says, lo, hi, error, a value accepted)
IA, OOR = aisle.InvalidArgument, aisle.OutOfRange
CASES = [
    # Catalogs
    ("CatalogBuilder(embedding_dim)", lambda c, v: aisle.CatalogBuilder(v).close(),
     "CatalogBuilder: embedding_dim", -1, MAX_DIM, IA, MAX_DIM),
    ("Item.stock", lambda c, v: add_item(stock=v), "item 'x': stock", *INT32, IA, -5),
    ("Item.launch_time_micros", lambda c, v: add_item(launch_time_micros=v),
     "item 'x': launch_time_micros", *INT64, IA, NOW),
    ("Catalog.synthetic(items)", lambda c, v: aisle.Catalog.synthetic(v).close(),
     "Catalog.synthetic: items", 1, MAX_ITEMS, IA, 3),
    ("Catalog.synthetic(dim)", lambda c, v: aisle.Catalog.synthetic(3, dim=v).close(),
     "Catalog.synthetic: dim", 0, MAX_DIM, IA, 2),
    ("Catalog.synthetic(seed)", lambda c, v: aisle.Catalog.synthetic(3, seed=v).close(),
     "Catalog.synthetic: seed", *UINT64, IA, 2**64 - 1),
    ("Catalog.item_id(index)", lambda c, v: c.catalog.item_id(v), "Catalog.item_id: index",
     *UINT32, OOR, 0),
    ("Catalog.embedding(index)", lambda c, v: c.catalog.embedding(v),
     "Catalog.embedding: index", *UINT32, OOR, 39),
    # ANN
    ("AnnIndex.build(m)", lambda c, v: aisle.AnnIndex.build(DATA, m=v).close(),
     "AnnIndex.build: m", 0, MAX_ANN_M, IA, 4),
    ("AnnIndex.build(ef_construction)",
     lambda c, v: aisle.AnnIndex.build(DATA, ef_construction=v).close(),
     "AnnIndex.build: ef_construction", 0, MAX_EF, IA, MAX_EF),
    ("AnnIndex.build(default_ef)", lambda c, v: aisle.AnnIndex.build(DATA, default_ef=v).close(),
     "AnnIndex.build: default_ef", 0, MAX_EF, IA, 8),
    ("AnnIndex.build(threads)", lambda c, v: aisle.AnnIndex.build(DATA, threads=v).close(),
     "AnnIndex.build: threads", 0, MAX_THREADS, IA, 2),
    ("AnnIndex.build(seed)", lambda c, v: aisle.AnnIndex.build(DATA, seed=v).close(),
     "AnnIndex.build: seed", *UINT64, IA, 2**64 - 1),
    ("AnnIndex.from_catalog(threads)",
     lambda c, v: aisle.AnnIndex.from_catalog(c.catalog, threads=v).close(),
     "AnnIndex.from_catalog: threads", 0, MAX_THREADS, IA, 1),
    ("AnnIndex.load(expected_dim)",
     lambda c, v: aisle.AnnIndex.load(c.ann_path, expected_dim=v).close(),
     "AnnIndex.load: expected_dim", 0, MAX_DIM, IA, storefront.DIM),
    ("AnnIndex.search(k)", lambda c, v: c.ann.search(c.query, k=v), "AnnIndex.search: k",
     0, MAX_K, IA, MAX_K),
    ("AnnIndex.search(ef)", lambda c, v: c.ann.search(c.query, k=3, ef=v),
     "AnnIndex.search: ef", 0, MAX_EF, IA, 16),
    ("AnnIndex.search(allowed[i])", lambda c, v: c.ann.search(c.query, k=3, allowed=[0, v]),
     "allowed[1]", *UINT32, IA, 1),
    ("AnnIndex.search(exclude[i])", lambda c, v: c.ann.search(c.query, k=3, exclude=[v]),
     "exclude[0]", *UINT32, IA, 3),
    ("AnnIndex.search_by_seeds(k)", lambda c, v: c.ann.search_by_seeds([3], k=v),
     "AnnIndex.search_by_seeds: k", 0, MAX_K, IA, 0),
    ("AnnIndex.search_by_seeds(seeds[i])", lambda c, v: c.ann.search_by_seeds([v], k=3),
     "seeds[0]", *UINT32, IA, 5),
    # Co-visitation
    ("CoVisitation(num_items)", lambda c, v: aisle.CoVisitation(v).close(),
     "CoVisitation: num_items", 1, MAX_ITEMS, IA, 10),
    ("CoVisitation(max_distance)", lambda c, v: aisle.CoVisitation(10, max_distance=v).close(),
     "CoVisitation: max_distance", 0, MAX_COVISITATION_DISTANCE, IA, MAX_COVISITATION_DISTANCE),
    ("CoVisitation(window_micros)", lambda c, v: aisle.CoVisitation(10, window_micros=v).close(),
     "CoVisitation: window_micros", *INT64, IA, -1),
    ("CoVisitation(top_n)", lambda c, v: aisle.CoVisitation(10, top_n=v).close(),
     "CoVisitation: top_n", 0, MAX_QUOTA, IA, MAX_QUOTA),
    ("CoVisitation.retrieve(quota)", lambda c, v: c.covis.retrieve([0], quota=v),
     "CoVisitation.retrieve: quota", 0, MAX_QUOTA, IA, MAX_QUOTA),
    ("CoVisitation.retrieve(seeds[i])", lambda c, v: c.covis.retrieve([0, v], quota=3),
     "seeds[1]", *UINT32, IA, 1),
    ("CoVisitation.add_log(items[i])",
     lambda c, v: c.covis.add_log(items=[0, v], times_micros=[NOW, NOW]), "items[1]", *UINT32,
     IA, 1),
    ("CoVisitation.add_log(times_micros[i])",
     lambda c, v: c.covis.add_log(items=[0, 1], times_micros=[NOW, v]), "times_micros[1]",
     *INT64, IA, NOW),
    ("CoVisitation.add_log(sessions[i])",
     lambda c, v: c.covis.add_log(items=[0, 1], times_micros=[NOW, NOW], sessions=[v, 7]),
     "sessions[0]", *UINT64, IA, 2**64 - 1),
    # Popularity
    ("Popularity(num_items)", lambda c, v: aisle.Popularity(v).close(), "Popularity: num_items",
     1, MAX_ITEMS, IA, 10),
    ("Popularity(num_categories)", lambda c, v: aisle.Popularity(10, num_categories=v).close(),
     "Popularity: num_categories", 0, MAX_ITEMS, IA, 4),
    ("Popularity(num_segments)", lambda c, v: aisle.Popularity(10, num_segments=v).close(),
     "Popularity: num_segments", 0, MAX_SEGMENTS, IA, MAX_SEGMENTS),
    ("Popularity(half_life_micros)",
     lambda c, v: aisle.Popularity(10, half_life_micros=v).close(),
     "Popularity: half_life_micros", *INT64, IA, HOUR),
    ("Popularity(top_n)", lambda c, v: aisle.Popularity(10, top_n=v).close(),
     "Popularity: top_n", 0, MAX_QUOTA, IA, MAX_QUOTA),
    ("Popularity.for_catalog(num_segments)",
     lambda c, v: aisle.Popularity.for_catalog(c.catalog, num_segments=v).close(),
     "Popularity.for_catalog: num_segments", 0, MAX_SEGMENTS, IA, 3),
    ("Popularity.apply(segment)",
     lambda c, v: c.pop.apply(items=[0], times_micros=[NOW], segment=v),
     "Popularity.apply: segment", 0, MAX_SEGMENTS, IA, 2),
    ("Popularity.retrieve(quota)", lambda c, v: c.pop.retrieve(quota=v),
     "Popularity.retrieve: quota", 0, MAX_QUOTA, IA, MAX_QUOTA),
    ("Popularity.retrieve(segment)", lambda c, v: c.pop.retrieve(quota=3, segment=v),
     "Popularity.retrieve: segment", 0, MAX_SEGMENTS, IA, 1),
    ("Popularity.retrieve(categories[i])",
     lambda c, v: c.pop.retrieve(quota=3, categories=[v]), "categories[0]", *UINT32, IA, 0),
    # Features and models
    ("Feature.source_bit",
     lambda c, v: aisle.FeatureSchema([aisle.Feature("f", "retrieval", source_bit=v)]).close(),
     "feature 'f': source_bit", *INT32, IA, 0),
    ("FeatureSchema.name(column)", lambda c, v: c.schema.name(v), "FeatureSchema.name: column",
     *UINT64, OOR, 1),
    ("ItemFeatureStore(num_items)",
     lambda c, v: aisle.ItemFeatureStore(v, {"a": [1.0, 2.0, 3.0]}).close(),
     "ItemFeatureStore: num_items", 0, MAX_ITEMS, IA, 3),
    ("ItemFeatureStore(built_at_micros)",
     lambda c, v: aisle.ItemFeatureStore(3, {"a": [1.0, 2.0, 3.0]}, built_at_micros=v).close(),
     "ItemFeatureStore: built_at_micros", *INT64, IA, NOW),
    ("OnlineFeatureStore.put(at_micros)", lambda c, v: c.users.put("u9", [0.5], at_micros=v),
     "OnlineFeatureStore.put: at_micros", *INT64, IA, NOW),
    ("Model.feature_name(column)", lambda c, v: c.model.feature_name(v),
     "Model.feature_name: column", *UINT64, OOR, 0),
    # Pipelines and snapshots
    ("Pipeline.add_source(quota)", lambda c, v: c.pipeline.add_source("s", "ann", v),
     "Pipeline.add_source: quota", 1, MAX_QUOTA, IA, MAX_QUOTA),
    ("Pipeline.add_source(ef)", lambda c, v: c.pipeline.add_source("s", "ann", 5, ef=v),
     "Pipeline.add_source: ef", 0, MAX_EF, IA, MAX_EF),
    ("Pipeline.set_max_candidates(n)", lambda c, v: c.pipeline.set_max_candidates(v),
     "Pipeline.set_max_candidates: n", 1, MAX_QUOTA, IA, MAX_QUOTA),
    ("Pipeline.set_inventory_reserve(reserve)", lambda c, v: c.pipeline.set_inventory_reserve(v),
     "Pipeline.set_inventory_reserve: reserve", *INT32, IA, -5),
    ("Pipeline.add_pin(position)", lambda c, v: c.pipeline.add_pin("sku-1", v),
     "Pipeline.add_pin: position", 0, MAX_POSITION, IA, MAX_POSITION),
    ("Pipeline.set_category_cap(max_per_category)",
     lambda c, v: c.pipeline.set_category_cap(v, 10),
     "Pipeline.set_category_cap: max_per_category", 1, UINT32[1], IA, 2),
    ("Pipeline.set_category_cap(top_m)", lambda c, v: c.pipeline.set_category_cap(2, v),
     "Pipeline.set_category_cap: top_m", *UINT64, IA, 2**64 - 1),
    ("Pipeline.set_category_cap(depth)", lambda c, v: c.pipeline.set_category_cap(2, 10, v),
     "Pipeline.set_category_cap: depth", *INT32, IA, -1),
    ("Pipeline.set_exploration(positions[i])",
     lambda c, v: c.pipeline.set_exploration([1, v], HOUR, 10), "positions[1]", 0, MAX_POSITION,
     IA, MAX_POSITION),
    ("Pipeline.set_exploration(new_item_window_micros)",
     lambda c, v: c.pipeline.set_exploration([1], v, 10),
     "Pipeline.set_exploration: new_item_window_micros", *INT64, IA, HOUR),
    ("Pipeline.set_exploration(budget)", lambda c, v: c.pipeline.set_exploration([1], HOUR, v),
     "Pipeline.set_exploration: budget", *UINT32, IA, UINT32[1]),
    ("Pipeline.set_default_k(k)", lambda c, v: c.pipeline.set_default_k(v),
     "Pipeline.set_default_k: k", 1, MAX_K, IA, MAX_K),
    ("Pipeline.set_budget(budget_micros)", lambda c, v: c.pipeline.set_budget(v),
     "Pipeline.set_budget: budget_micros", *INT64, IA, 1000),
    ("Pipeline.set_cold_start(known_min_interactions)",
     lambda c, v: c.pipeline.set_cold_start(v),
     "Pipeline.set_cold_start: known_min_interactions", 1, UINT32[1], IA, 1),
    ("Pipeline.set_launch_boost(window_micros)",
     lambda c, v: c.pipeline.set_launch_boost(window_micros=v),
     "Pipeline.set_launch_boost: window_micros", 1, INT64[1], IA, INT64[1]),
    ("Snapshot.add_warm_interactions(items[i])",
     lambda c, v: aisle.Snapshot("w").add_warm_interactions([v], [NOW]).close(), "items[0]",
     *UINT32, IA, 0),
    # Requests
    ("Request.set_k(k)", lambda c, v: aisle.Request("home").set_k(v).close(), "Request.set_k: k",
     0, MAX_K, IA, MAX_K),
    ("Request(k=)", lambda c, v: aisle.Request("home", k=v).close(), "Request.set_k: k", 0,
     MAX_K, IA, 0),
    ("Request.set_segment(segment)", lambda c, v: aisle.Request("home", segment=v).close(),
     "Request.set_segment: segment", 0, MAX_SEGMENTS, IA, MAX_SEGMENTS),
    ("Request.set_budget_micros(budget_micros)",
     lambda c, v: aisle.Request("home", budget_micros=v).close(),
     "Request.set_budget_micros: budget_micros", *INT64, IA, 0),
    # The engine
    ("EngineOptions.history_length", lambda c, v: engine_with(c, history_length=v),
     "EngineOptions.history_length", 0, MAX_HISTORY, IA, MAX_HISTORY),
    ("EngineOptions.isolation_threads", lambda c, v: engine_with(c, isolation_threads=v),
     "EngineOptions.isolation_threads", 0, MAX_THREADS, IA, 1),
    ("EngineOptions.isolation_max_outstanding",
     lambda c, v: engine_with(c, isolation_max_outstanding=v),
     "EngineOptions.isolation_max_outstanding", 0, aisle.MAX_ISOLATION_OUTSTANDING, IA,
     aisle.MAX_ISOLATION_OUTSTANDING),
    ("EngineOptions.publish_every", lambda c, v: engine_with(c, publish_every=v),
     "EngineOptions.publish_every", -1, INT64[1], IA, -1),
    ("EngineOptions.shadow_threads", lambda c, v: engine_with(c, shadow_threads=v),
     "EngineOptions.shadow_threads", 0, MAX_THREADS, IA, MAX_THREADS),
    ("EngineOptions.shadow_max_outstanding",
     lambda c, v: engine_with(c, shadow_max_outstanding=v),
     "EngineOptions.shadow_max_outstanding", 0, aisle.MAX_ISOLATION_OUTSTANDING, IA,
     aisle.MAX_ISOLATION_OUTSTANDING),
    ("BreakerOptions.call_timeout_micros", lambda c, v: register(c, call_timeout_micros=v),
     "BreakerOptions.call_timeout_micros", 0, INT64[1], IA, 1000),
    ("BreakerOptions.open_micros", lambda c, v: register(c, open_micros=v),
     "BreakerOptions.open_micros", 0, INT64[1], IA, 1000),
    ("BreakerOptions.min_requests", lambda c, v: register(c, min_requests=v),
     "BreakerOptions.min_requests", 0, INT32[1], IA, INT32[1]),
    ("BreakerOptions.consecutive_timeouts", lambda c, v: register(c, consecutive_timeouts=v),
     "BreakerOptions.consecutive_timeouts", 0, INT32[1], IA, 3),
    ("Engine.set_stock(stock)", lambda c, v: c.engine.set_stock("sku-39", v),
     "Engine.set_stock: stock", *INT32, IA, 5),
    ("Engine.add_stock(delta)", lambda c, v: c.engine.add_stock("sku-39", v),
     "Engine.add_stock: delta", *INT32, IA, 0),
    ("Engine.apply_interaction(at_micros)",
     lambda c, v: c.engine.apply_interaction("sku-39", at_micros=v),
     "Engine.apply_interaction: at_micros", *INT64, IA, None),
    ("Engine.drain_shadow_results(max)", lambda c, v: c.engine.drain_shadow_results(v),
     "Engine.drain_shadow_results: max", 0, MAX_ITEMS, IA, MAX_ITEMS),
    ("Engine.apply_interaction(segment)",
     lambda c, v: c.engine.apply_interaction("sku-39", at_micros=NOW, segment=v),
     "Engine.apply_interaction: segment", 0, MAX_SEGMENTS, IA, None),
    # Names of enumeration values (the C function's own parameter names)
    ("aisle.status_name(code)", lambda c, v: aisle.status_name(v), "aisle_status_name: code",
     *INT32, IA, 3),
    ("aisle.fallback_level_name(level)", lambda c, v: aisle.fallback_level_name(v),
     "aisle_fallback_level_name: level", *INT32, IA, 1),
    ("aisle.fallback_reason_name(reason)", lambda c, v: aisle.fallback_reason_name(v),
     "aisle_fallback_reason_name: reason", *INT32, IA, 1),
    ("aisle.tier_name(tier)", lambda c, v: aisle.tier_name(v), "aisle_tier_name: tier", *INT32,
     IA, 2),
]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_integer_parameter_outside_its_range_is_refused(ctx, case, array_path):
    label, call, where, lo, hi, error, ok = case
    before = answer(ctx.engine)
    outside = [v for v in HOSTILE if v < lo or v > hi] + [lo - 1, hi + 1]
    assert len(outside) >= 3, label
    for v in outside:
        with pytest.raises(error) as e:
            call(ctx, v)
        assert e.value.code == error.CODE
        assert "%s = %d is outside [%d, %d]" % (where, v, lo, hi) in e.value.message, (
            label, v, e.value.message)
        assert answer(ctx.engine) == before, (label, v)
    for v in (2.5, float(lo)):
        with pytest.raises(aisle.InvalidArgumentType) as e:
            call(ctx, v)
        assert isinstance(e.value, TypeError) and e.value.code == errors.INVALID_ARGUMENT
        assert "%s = %r: expected an integer, got float" % (where, v) in e.value.message, (
            label, e.value.message)
        assert answer(ctx.engine) == before, (label, v)
    with pytest.raises(aisle.InvalidArgumentType) as e:
        call(ctx, "7")
    assert where in e.value.message and "got str" in e.value.message, e.value.message
    if ok is not None:
        call(ctx, ok)  # the range is not off by one
        if _arrays_np() is not None and not where.endswith("]"):
            call(ctx, _arrays_np().int64(ok) if ok <= INT64[1] else ok)  # __index__ is fine


def _arrays_np():
    return aisle._arrays.np


def test_every_int_parameter_of_every_c_function_is_checked_before_the_call():
    # Every other argument is NULL or 0: a check that let the value through
    # would reach the C function, which would fail differently (a NULL handle).
    checked = 0
    for name, (restype, names, argtypes) in _lib.PARAMS.items():
        fn = getattr(_lib, name)
        for i, t in enumerate(argtypes):
            if t not in _lib.INT_RANGES:
                continue
            lo, hi = _lib.INT_RANGES[t]
            base = [0 if a in _lib.INT_RANGES else None for a in argtypes]
            for v in (lo - 1, hi + 1, 2**64 + 5, -(2**63) - 1):
                if lo <= v <= hi:
                    continue
                args = list(base)
                args[i] = v
                with pytest.raises(aisle.InvalidArgument) as e:
                    fn(*args)
                want = "%s: %s = %d is outside [%d, %d]" % (name, names[i], v, lo, hi)
                assert e.value.message == want
            args = list(base)
            args[i] = 1.5
            with pytest.raises(aisle.InvalidArgumentType) as e:
                fn(*args)
            assert e.value.message == "%s: %s = 1.5: expected an integer, got float" % (
                name, names[i])
            checked += 1
    assert checked > 80, checked


def test_every_integer_field_of_every_struct_is_checked_on_assignment():
    structs = [cls for cls in vars(_lib).values()
               if isinstance(cls, type) and issubclass(cls, _lib.CheckedStructure)
               and cls is not _lib.CheckedStructure]
    assert len(structs) == 9
    fields = 0
    for cls in structs:
        s = cls()
        for name, t in cls._fields_:
            if t not in _lib.INT_RANGES:
                continue
            lo, hi = _lib.INT_RANGES[t]
            for v in (lo - 1, hi + 1, 2**64 + 5):
                if lo <= v <= hi:
                    continue
                with pytest.raises(aisle.InvalidArgument) as e:
                    setattr(s, name, v)
                assert e.value.message == "%s.%s = %d is outside [%d, %d]" % (
                    cls._label, name, v, lo, hi)
                assert getattr(s, name) == 0  # nothing was stored
            with pytest.raises(aisle.InvalidArgumentType):
                setattr(s, name, 2.0)
            setattr(s, name, hi)
            assert getattr(s, name) == hi
            fields += 1
    assert fields > 30, fields
    o = _lib.EngineOptionsT()
    with pytest.raises(aisle.InvalidArgument) as e:
        o.history_length = -1
    assert e.value.message == "EngineOptions.history_length = -1 is outside [0, 4294967295]"


def test_bools_are_integers_only_where_c_takes_a_flag(ctx):
    with pytest.raises(aisle.InvalidArgumentType) as e:
        aisle.Request("home", k=True)
    assert "Request.set_k: k = True: expected an integer, not a bool" in e.value.message
    with pytest.raises(aisle.InvalidArgumentType):
        _lib.aisle_request_set_k(ctx.engine._h, False)  # checked before the handle's type
    # uint8_t parameters are flags: True and False are what they mean.
    with aisle.Pipeline("flags") as p:
        assert _lib.aisle_pipeline_builder_add_pin(p._h, b"sku-1", 0, True) == 0
    # An enumeration parameter takes a member, its name or its integer, not a bool.
    with aisle.Pipeline("kinds") as p:
        with pytest.raises(aisle.InvalidArgument) as e:
            p.set_kind(True)
        assert e.value.message.startswith("kind: unknown value True")
        with pytest.raises(aisle.InvalidArgument):
            p.set_kind(1.0)
        p.set_kind(1).set_kind("recommendation")
    # Integer-like objects (IntEnum members, numpy integers) are integers.
    assert aisle.status_name(errors.NOT_FOUND) == "NOT_FOUND"
    assert aisle.fallback_level_name(aisle.FallbackLevel.SEGMENT) == "segment"
    np = aisle._arrays.np
    if np is not None:
        assert aisle.tier_name(np.int32(2)) == "known"
        with aisle.Request("home", k=np.uint16(7)) as req:
            assert len(ctx.engine.recommend(req)) == 7


def test_integer_arrays_are_checked_before_numpy_or_ctypes_cast_them(ctx, array_path):
    before = answer(ctx.engine)
    with pytest.raises(aisle.InvalidArgument) as e:
        ctx.covis.add_log(items=[0, 1, -1], times_micros=[NOW] * 3)
    assert e.value.message == "items[2] = -1 is outside [0, 4294967295]"
    with pytest.raises(aisle.InvalidArgumentType) as e:
        ctx.covis.add_log(items=[0, 1.5], times_micros=[NOW] * 2)
    assert e.value.message == "items[1] = 1.5: expected an integer, got float"
    with pytest.raises(aisle.InvalidArgument) as e:
        ctx.ann.search(ctx.query, k=3, exclude=[2**40])
    assert e.value.message == "exclude[0] = 1099511627776 is outside [0, 4294967295]"
    with pytest.raises(aisle.InvalidArgument) as e:
        aisle.Snapshot("w").add_warm_interactions([0, 1], [NOW, 2**63]).close()
    assert e.value.message == "times_micros[1] = 9223372036854775808 is outside " \
        "[-9223372036854775808, 9223372036854775807]"
    if array_path == "numpy":
        np = aisle._arrays.np
        with pytest.raises(aisle.InvalidArgument) as e:
            ctx.covis.add_log(items=np.array([0, -7], np.int64), times_micros=[NOW] * 2)
        assert e.value.message == "items[1] = -7 is outside [0, 4294967295]"
        with pytest.raises(aisle.InvalidArgumentType) as e:
            ctx.covis.add_log(items=np.array([0.0, 1.0]), times_micros=[NOW] * 2)
        assert e.value.message == "items: expected integers, got an array of float64"
        with pytest.raises(aisle.InvalidArgument) as e:
            ctx.pipeline.set_exploration(np.array([3, 10000], np.uint32), HOUR, 10)
        assert e.value.message == "positions[1] = 10000 is outside [0, 9999]"
        # An array of the exact dtype is passed as it is.
        r = ctx.covis.retrieve(np.array([0], np.uint32), quota=3)
        assert len(r) <= 3
    assert answer(ctx.engine) == before


# ---------------------------------------------------------------------------
# Ids
# ---------------------------------------------------------------------------
def test_a_nul_in_a_string_is_refused_naming_the_parameter(ctx):
    before = answer(ctx.engine)
    cases = [
        (lambda: aisle.Request("home", seed_items=["sku-1", "sku-2", "sku-3", "sk\x00u"]),
         "seed_items[3]: contains a NUL byte at position 2"),
        (lambda: aisle.Request("home", cart_items=[b"a\x00"]),
         "cart_items[0]: contains a NUL byte at position 1"),
        (lambda: aisle.Request("ho\x00me"), "surface: contains a NUL byte at position 2"),
        (lambda: aisle.Request("home", user_id="\x00u"),
         "user_id: contains a NUL byte at position 0"),
        (lambda: ctx.catalog.find("sku-1\x00"), "item_id: contains a NUL byte at position 5"),
        (lambda: ctx.engine.set_stock("sku-1\x00x", 3), "item_id: contains a NUL byte"),
        (lambda: ctx.pipeline.add_pin("s\x00", 0), "item_id: contains a NUL byte at position 1"),
        (lambda: ctx.pipeline.block_items(["a", "b\x00"]), "ids[1]: contains a NUL byte"),
        (lambda: ctx.pipeline.add_source("a\x00nn", "ann", 5), "name: contains a NUL byte"),
        (lambda: aisle.Snapshot("v\x001"), "version: contains a NUL byte at position 1"),
        (lambda: add_item_id("x\x00y"), "Item.id: contains a NUL byte at position 1"),
        (lambda: ctx.users.put("u\x00", [1.0], at_micros=NOW), "key: contains a NUL byte"),
        (lambda: aisle.Catalog.load("items\x00.csv"),
         "items_path: contains a NUL byte at position 5"),
    ]
    for call, message in cases:
        with pytest.raises(aisle.InvalidArgument) as e:
            call()
        assert message in e.value.message, (message, e.value.message)
        assert answer(ctx.engine) == before, message


def add_item_id(item_id):
    with aisle.CatalogBuilder(0) as b:
        b.add(aisle.Item(item_id, price=1.0))


def test_strings_without_a_utf8_form_are_refused(ctx):
    before = answer(ctx.engine)
    with pytest.raises(aisle.InvalidArgument) as e:
        aisle.Request("home", seed_items=["sku-\udc80"])
    assert e.value.message == ("seed_items[0]: cannot be encoded as UTF-8: lone surrogate "
                               "U+DC80 at position 4")
    with pytest.raises(aisle.InvalidArgument) as e:
        ctx.pipeline.add_pin("\ud800x", 0)
    assert "item_id: cannot be encoded as UTF-8: lone surrogate U+D800 at position 0" in \
        e.value.message
    with pytest.raises(aisle.InvalidArgument) as e:
        aisle.Request("home", seed_items=[b"sku-1", b"sku-\xff"])
    assert e.value.message == "seed_items[1]: is not valid UTF-8: byte 0xFF at position 4"
    with pytest.raises(aisle.InvalidArgument) as e:
        ctx.catalog.find(b"\xc3\x28")
    assert e.value.message == "item_id: is not valid UTF-8: byte 0xC3 at position 0"
    with pytest.raises(aisle.InvalidArgument) as e:
        add_item_id(b"ok-\xed\xa0\x80")  # an encoded surrogate is not UTF-8 either
    assert "Item.id: is not valid UTF-8: byte 0xED at position 3" in e.value.message
    with pytest.raises(aisle.InvalidArgument) as e:
        aisle.Request("home", seed_items=[None])
    assert e.value.message == "seed_items[0]: expected str, got None"
    assert answer(ctx.engine) == before
    # Valid UTF-8 bytes are the same ids as the str.
    resp = ctx.engine.recommend(aisle.Request("product_page", seed_items=[b"sku-3"], k=5))
    assert (resp.ids, resp.scores, resp.fallback_level) == before[0]


def test_ids_the_library_stores_follow_the_id_rule(ctx):
    before = answer(ctx.engine)
    cases = [
        (lambda: ctx.pipeline.add_pin("sku-\x01", 0),
         "aisle_pipeline_builder_add_pin: item_id: id 'sku-\\x01' has control character 0x01"),
        (lambda: ctx.pipeline.block_items(["sku-1", "sku\x7f"]),
         "aisle_pipeline_builder_block_items: ids[1]: id 'sku\\x7F' has control character 0x7F"),
        (lambda: ctx.pipeline.block_categories(["Shop>\tDept0"]),
         "aisle_pipeline_builder_block_categories: paths[0]: id"),
        (lambda: ctx.pipeline.add_source("ann\n", "ann", 5),
         "aisle_pipeline_builder_add_source: name: id 'ann\\x0A' has control character 0x0A"),
        (lambda: ctx.pipeline.set_ranker("price", "cheap\x1b"),
         "aisle_pipeline_builder_set_ranker: cheaper: id"),
        (lambda: ctx.pipeline.set_campaign_set("black\x1f"),
         "aisle_pipeline_builder_set_campaign_set: name: id 'black\\x1F' has control"),
        (lambda: ctx.pipeline.add_source("", "ann", 5),
         "aisle_pipeline_builder_add_source: name: id is empty"),
        (lambda: aisle.Pipeline("x" * 1025),
         "aisle_pipeline_builder_create: surface: id 'xxx"),
        (lambda: aisle.Snapshot("v\r"), "aisle_snapshot_create: version: id"),
        (lambda: aisle.Snapshot("v").add_campaign_set("c", ["a", "b", "c\x02"]),
         "aisle_snapshot_add_campaign_set: ids[2]: id 'c\\x02' has control character 0x02"),
        (lambda: aisle.Snapshot("v").add_model("m\x03", ctx.model),
         "aisle_snapshot_add_model: name: id"),
        (lambda: add_item_id("a\tb"), "aisle_catalog_builder_add_item: aisle_item_spec.id: id"),
        (lambda: ctx.users.put("u\x05", [1.0], at_micros=NOW),
         "aisle_online_feature_store_put: key: id"),
        (lambda: aisle.FeatureSchema(["pr\x06ice"]), "aisle_feature_schema_builder_add_feature"),
        (lambda: ctx.engine.register_scorer("sc\x07", lambda x, r: [0.0] * len(x)),
         "aisle_engine_register_scorer: name: id"),
        (lambda: ctx.engine.apply_interaction("sku-1", at_micros=NOW, user_id="u\x08"),
         "aisle_engine_apply_interaction: user_id: id"),
        (lambda: ctx.pipeline.add_shadow("cheap\x0b"),
         "aisle_pipeline_builder_add_shadow: ranker: id 'cheap\\x0B' has control character"),
        (lambda: ctx.pipeline.set_tier_pipeline("known", "browse\x0c"),
         "aisle_pipeline_builder_set_tier_pipeline: surface: id"),
        (lambda: ctx.engine.kill_experiment("exp\x0e", "reason", "actor"),
         "aisle_engine_kill_experiment: experiment: id"),
        (lambda: ctx.engine.revive_experiment("exp", "reason\x0f", "actor"),
         "aisle_engine_revive_experiment: reason: id"),
        (lambda: ctx.engine.kill_experiment("exp", "reason", "x" * 1025),
         "aisle_engine_kill_experiment: actor: id"),
        (lambda: ctx.engine.rollback("r", actor="a\x10"), "aisle_engine_rollback: actor: id"),
        (lambda: ctx.engine.rollback(""), "aisle_engine_rollback: reason: id is empty"),
    ]
    for call, message in cases:
        with pytest.raises(aisle.InvalidArgument) as e:
            call()
        assert message in e.value.message, (message, e.value.message)
        assert answer(ctx.engine) == before, message
    with pytest.raises(aisle.InvalidArgument) as e:
        aisle.Pipeline("x" * 1025)
    assert "is 1025 bytes long; at most 1024 are allowed" in e.value.message
    # A lookup by such an id finds nothing.
    with pytest.raises(aisle.NotFound):
        ctx.catalog.find("sku-\x01")
    assert "sku-\x01" not in ctx.catalog
    assert answer(ctx.engine) == before


def test_ids_in_any_script_are_stored_and_found():
    ids = ["größe-1", "寿司-2", "smörgås bord", "😀", "x" * 1024]
    with aisle.Catalog.from_records([aisle.Item(i, price=1.0) for i in ids]) as cat:
        assert cat.ids() == ids
        assert [cat.find(i) for i in ids] == list(range(len(ids)))
        assert cat.find("寿司-2".encode("utf-8")) == 1
    with aisle.Pipeline("über") as p:
        p.add_pin("größe-1", 0).block_items(["寿司-2"]).add_source("ähnlich", "popular", 5)
        assert p.surface == "über"
