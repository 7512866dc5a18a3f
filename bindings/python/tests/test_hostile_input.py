"""Hostile and careless input through the Python package, class by class:
event times, engine option bounds, non-finite scores, repeated ids, snapshots
whose parts disagree, request ids and negative stock. After every refused
input the engine keeps serving what it served before."""

import math
import time

import pytest

import aisle
import storefront

NOW = int(time.time() * 1e6)
HOUR = 3600 * 1000000
YEAR_2100 = 4102444800 * 1000000


def fresh_engine(options=None):
    snapshot, catalog = storefront.make_snapshot(NOW)
    with snapshot, catalog:
        return aisle.Engine(snapshot, options=options)


def answers(eng):
    """What a fixed set of requests is served: ids, scores, level and reason."""
    out = []
    for req in (
        dict(surface="home", k=10),
        dict(surface="product_page", seed_items=["sku-3"], k=5),
        dict(surface="search", search_candidates=["sku-5", "sku-1", "sku-20"], k=3),
    ):
        r = eng.recommend(**req)
        out.append((r.ids, r.scores, r.fallback_level, r.fallback_reason))
    return out


# --------------------------------------------------------------- event times

def test_times_that_are_not_times_are_refused_and_change_nothing():
    with fresh_engine() as eng:
        before = answers(eng)
        # (aisle.UNKNOWN_TIME, INT64_MIN, is "no time": stamped with the clock.)
        for bad in (2**63 - 1, -62135596800 * 1000000, -(2**62)):
            with pytest.raises(aisle.InvalidArgument) as e:
                eng.apply_interaction("sku-39", "purchase", at_micros=bad, user_id="u1")
            assert "item 'sku-39'" in e.value.message
            assert "outside [1900-01-01, 2400-01-01)" in e.value.message
        with pytest.raises(aisle.InvalidArgument) as e:
            eng.apply_interaction("sku-39", at_micros=0, user_id="u1")  # 1970: too old
        assert "older than the event window's max_age 168h" in e.value.message
        eng.publish_live_state()
        assert answers(eng) == before
        m = eng.metrics()
        assert (m.events_rejected_time, m.events_rejected_old, m.events_rejected) == (3, 1, 4)
        assert m.events_applied == 0


def test_far_future_event_counts_as_one_event_now_and_cannot_pin_an_item():
    with fresh_engine() as eng:
        eng.apply_interaction("sku-39", at_micros=YEAR_2100, user_id="u1")
        assert eng.metrics().events_clamped_new == 1
        for _ in range(3):
            eng.apply_interaction("sku-38", user_id="u2")  # no time: stamped now
        assert eng.metrics().events_time_missing == 3
        eng.publish_live_state()
        resp = eng.recommend(surface="home", k=40)
        assert all(math.isfinite(s) for s in resp.scores)
        assert resp.ids[0] == "sku-0"  # still the best seller
        assert resp.ids.index("sku-38") < resp.ids.index("sku-39")


def test_event_window_is_configurable_per_side():
    opts = aisle.EngineOptions(event_too_new="reject", event_too_old="clamp",
                               event_max_lead_micros=1000000)
    with fresh_engine(opts) as eng:
        with pytest.raises(aisle.InvalidArgument) as e:
            eng.apply_interaction("sku-5", at_micros=NOW + HOUR, user_id="u1")
        assert "max_lead 1s" in e.value.message
        eng.apply_interaction("sku-5", at_micros=0, user_id="u1")
        m = eng.metrics()
        assert (m.events_rejected_new, m.events_clamped_old, m.events_applied) == (1, 1, 1)
    with pytest.raises(aisle.InvalidArgument) as e:
        fresh_engine(aisle.EngineOptions(event_too_old="drop"))
    assert "event_too_old" in e.value.message and "'drop'" in e.value.message


def test_refused_event_leaves_no_trace_in_any_table():
    with fresh_engine() as eng:
        before = answers(eng)
        with pytest.raises(aisle.InvalidArgument) as e:
            eng.apply_interaction("sku-7", user_id="u1", segment=65)
        assert "segment 65 is outside [0, 64]" in e.value.message
        eng.publish_live_state()
        assert answers(eng) == before
        assert eng.metrics().events_applied == 0


# --------------------------------------------------------------- resources

@pytest.mark.parametrize("field,value,needle", [
    ("history_length", 5000, "history_length = 5000 is outside [0, 1024]"),
    ("isolation_threads", 100000, "isolation_threads = 100000 is outside [0, 256]"),
    ("num_segments", 70000, "num_segments = 70000"),
    ("event_max_age_micros", -5, "event_max_age_micros = -5"),
])
def test_absurd_engine_options_fail_cleanly_naming_the_option(field, value, needle):
    with pytest.raises(aisle.InvalidArgument) as e:
        fresh_engine(aisle.EngineOptions(**{field: value}))
    assert needle in e.value.message


# --------------------------------------------------------------- scores

@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_non_finite_scores_fall_back_with_their_own_reason(bad):
    def scorer(features, remaining_micros):
        scores = [float(i) for i in range(len(features))]
        scores[0] = bad
        return scores

    snapshot, catalog = storefront.make_snapshot(NOW)
    with snapshot, catalog, aisle.Engine(snapshot) as eng:
        eng.register_scorer("remote", scorer, breaker=aisle.BreakerOptions(min_requests=100))
        with aisle.Pipeline("scored") as p:
            p.add_source("ann", "ann", 20).set_ranker("remote").set_default_k(5)
            p.set_budget(5000000)
            snapshot.add_pipeline(p)
        eng.swap(snapshot)
        before = answers(eng)
        resp = eng.recommend(aisle.Request("scored", seed_items=["sku-3"], k=5))
        assert resp.fallback_level != aisle.FallbackLevel.PERSONALIZED
        assert resp.fallback_reason == aisle.FallbackReason.NON_FINITE_SCORE
        assert "host:remote" in resp.fallback_detail and "(item 'sku-" in resp.fallback_detail
        assert len(resp) > 0 and all(math.isfinite(s) for s in resp.scores)
        assert eng.metrics().fallback_reasons[aisle.FallbackReason.NON_FINITE_SCORE] == 1
        assert answers(eng) == before


# --------------------------------------------------------------- duplicates

def test_repeated_request_ids_are_used_once_and_counted():
    with fresh_engine() as eng:
        resp = eng.recommend(surface="search", search_candidates=["sku-5", "sku-5", "sku-6", "sku-5"],
                             k=4)
        assert sorted(resp.ids) == ["sku-5", "sku-6"]
        resp = eng.recommend(surface="product_page", seed_items=["sku-3", "sku-3"],
                             cart_items=["sku-3", "sku-9", "sku-9"], k=8)
        assert len(set(resp.ids)) == len(resp.ids)
        assert eng.metrics().duplicate_request_items == 2 + 2


def test_snapshot_parts_that_disagree_are_refused_and_the_old_one_serves():
    with fresh_engine() as eng:
        before = answers(eng)
        rows = [[(i * 7 + j) % 13 / 13.0 + 0.01 for j in range(4)] for i in range(40)]
        snapshot, catalog = storefront.make_snapshot(NOW, version="v2")
        with snapshot, catalog, aisle.AnnIndex.build(rows, metric="cosine") as small:
            snapshot.set_ann_index(small)
            with pytest.raises(aisle.InvalidArgument) as e:
                aisle.Engine(snapshot)
            assert "the ANN index has dimension 4 but the catalog's embeddings have 8" in (
                e.value.message)
            with pytest.raises(aisle.InvalidArgument):
                eng.swap(snapshot)
        snapshot, catalog = storefront.make_snapshot(NOW, version="v3")
        with snapshot, catalog:
            snapshot.add_warm_interactions([3], [NOW + 24 * HOUR])
            with pytest.raises(aisle.InvalidArgument) as e:
                eng.swap(snapshot)
            assert "ahead of the engine's clock" in e.value.message
        assert eng.snapshot_version == "v1"
        assert answers(eng) == before
        assert eng.metrics().swaps_rejected == 2


# --------------------------------------------------------------- ids, stock

def test_request_ids_breaking_the_id_rule_are_refused_naming_the_field():
    with fresh_engine() as eng:
        before = answers(eng)
        with pytest.raises(aisle.InvalidArgument) as e:
            eng.recommend(surface="home", user_id="u\t1")
        assert "request user_id" in e.value.message and "0x09" in e.value.message
        with pytest.raises(aisle.InvalidArgument) as e:
            eng.recommend(surface="home", session_id="s" * 2000)
        assert "2000 bytes long" in e.value.message
        with pytest.raises(aisle.InvalidArgument) as e:
            eng.recommend(surface="home", segment=65)
        assert "request segment = 65 is outside [0, 64]" in e.value.message
        # An item id the catalog cannot hold is just unknown.
        resp = eng.recommend(surface="product_page", seed_items=["sku-\u00e9", "sku-3"], k=5)
        assert resp.counts.unknown_items == 1
        assert answers(eng) == before
        assert eng.metrics().errors == 3


def test_negative_stock_means_oversold_on_every_path():
    with fresh_engine() as eng:
        eng.set_stock("sku-5", -2)
        resp = eng.recommend(surface="search", search_candidates=["sku-5", "sku-1"], k=2)
        assert resp.ids == ["sku-1"]
        eng.add_stock("sku-5", 3)
        resp = eng.recommend(surface="search", search_candidates=["sku-5", "sku-1"], k=2)
        assert sorted(resp.ids) == ["sku-1", "sku-5"]
        with pytest.raises(aisle.OutOfRange) as e:
            eng.add_stock("sku-5", 2**31 - 1)
        assert "stock of item 'sku-5'" in e.value.message


# --------------------------------------------------------------- loaders

LIGHTGBM_TEXT = """tree
version=v3
num_class=1
num_tree_per_iteration=1
label_index=0
max_feature_idx=1
objective=binary sigmoid:1
feature_names=f0 f1
feature_infos=[0:1] [0:1]
tree_sizes=100

Tree=0
num_leaves=2
num_cat=0
split_feature=0
split_gain=1
threshold=0.5
decision_type=2
left_child=-1
right_child=-2
leaf_value=0.1 0.2
leaf_weight=1 1
leaf_count=1 1
internal_value=0
internal_weight=1
internal_count=2
is_linear=0
shrinkage=1


end of trees
"""


def test_a_model_of_the_wrong_kind_is_named_for_what_it_is():
    with pytest.raises(aisle.InvalidArgument) as e:
        aisle.Model.parse(LIGHTGBM_TEXT, "xgboost")
    assert "looks like a LightGBM text model" in e.value.message
    assert "load it as LightGBM" in e.value.message
    with aisle.Model.parse(LIGHTGBM_TEXT, "lightgbm") as m:
        assert m.num_features == 2


def test_an_overflowing_number_in_a_model_names_its_path_and_position():
    text = ('{"format": "aisle.linear", "format_version": 1, "name": "m", "link": "identity",\n'
            ' "bias": 0.0, "weights": [{"feature": "a", "weight": 1e999}]}')
    with pytest.raises(aisle.InvalidArgument) as e:
        aisle.Model.parse(text, "linear")
    assert ":2:" in e.value.message and "1e999" in e.value.message
    assert "weights[0].weight" in e.value.message


def test_catalog_file_with_a_bad_id_names_file_line_and_field(tmp_path):
    path = tmp_path / "items.csv"
    path.write_bytes(b"id,title,category,brand,price,stock,launch_time\n"
                     b"sku-1,One,A>B,acme,1.5,3,\n"
                     b"sku-\xc3(,Two,A>B,acme,2.5,3,\n")
    with pytest.raises(aisle.InvalidArgument) as e:
        aisle.Catalog.load(str(path))
    assert "items.csv:3: field 'id'" in e.value.message
    assert "not valid UTF-8" in e.value.message
    path.write_bytes(b"id,title,category,brand,price,stock,launch_time\n"
                     b"sku-1,One,A>B,acme,1.5,-4,99999999999999\n")
    with pytest.raises(aisle.InvalidArgument) as e:
        aisle.Catalog.load(str(path))
    assert "items.csv:2: field 'launch_time'" in e.value.message
    # Negative stock alone is fine: oversold.
    path.write_bytes(b"id,title,category,brand,price,stock,launch_time\n"
                     b"sku-1,One,A>B,acme,1.5,-4,\n")
    with aisle.Catalog.load(str(path)) as c:
        assert len(c) == 1
