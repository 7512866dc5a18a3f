"""Routing through Python: experiments whose arm selects another ranker, the
kill switch and its audit log, holdouts, rollback and the snapshot log,
shadow rankers, cold-start tiers served by their pipelines, launch boosts,
and the engine's new metrics."""

import datetime
import json
import time

import pytest

import aisle
import storefront

NOW = int(time.time() * 1e6)
HOUR = 3600 * 1000000
YEAR = 365 * 24 * HOUR

CHEAP_MODEL = json.dumps({
    "format": "aisle.linear", "format_version": 1, "name": "cheap", "link": "identity",
    "bias": 0.0,
    "weights": [{"feature": "ann_score", "weight": 1.0}, {"feature": "price", "weight": 0.05}],
})

# Layer "ranking": half of the units on home are ranked by "cheap". Layer
# "retrieval": an experiment every unit is held out of (share 1).
EXPERIMENTS = {
    "layers": [
        {"key": "ranking", "salt": "ranking-py-test", "experiments": [
            {"key": "cheap-ranker", "surfaces": ["home"], "variants": [
                {"key": "control", "weight": 0.5},
                {"key": "treatment", "weight": 0.5, "params": {"ranker": "cheap"}}]}]},
        {"key": "retrieval", "salt": "retrieval-py-test", "experiments": [
            {"key": "wide-ann", "surfaces": ["home"], "variants": [
                {"key": "control", "weight": 0.5},
                {"key": "wide", "weight": 0.5, "params": {"source.ann.quota": "25"}}]}]},
    ],
    "holdouts": [{"key": "retrieval-holdout", "salt": "retrieval-holdout-salt", "share": 1.0,
                  "layers": ["retrieval"]}],
}


def make_snapshot(version="r1", extra=()):
    """The storefront with the "cheap" model and the experiments; `extra`
    pipelines are added. Returns (snapshot, catalog); the caller closes both."""
    snapshot, catalog = storefront.make_snapshot(NOW, version=version)
    with aisle.Model.parse(CHEAP_MODEL, "linear") as cheap:
        snapshot.add_model("cheap", cheap)
    snapshot.set_experiments(EXPERIMENTS)
    snapshot.set_segmenter({"num_segments": 4, "keys": ["geo"]})
    for pipeline in extra:
        with pipeline:
            snapshot.add_pipeline(pipeline)
    return snapshot, catalog


def make_engine(version="r1", extra=(), options=None):
    snapshot, catalog = make_snapshot(version, extra)
    with snapshot, catalog:
        return aisle.Engine(snapshot, options)


def serve_unit(engine, unit, surface="home"):
    return engine.recommend(aisle.Request(surface, user_id=unit, seed_items=["sku-3"], k=5))


def assignment(resp, layer):
    found = [e for e in resp.experiments if e.layer == layer]
    assert len(found) == 1, resp.experiments
    return found[0]


def find_unit(engine, variant):
    for u in range(400):
        unit = "unit-%d" % u
        a = assignment(serve_unit(engine, unit), "ranking")
        if a.in_experiment and a.variant == variant:
            return unit
    raise AssertionError("no unit in %s among 400" % variant)


@pytest.fixture(scope="module")
def engine():
    eng = make_engine()
    yield eng
    eng.close()


def test_an_experiment_arm_selects_another_ranker(engine):
    treated, control = find_unit(engine, "treatment"), find_unit(engine, "control")
    t = serve_unit(engine, treated)
    assert t.ranker_version.startswith("linear:cheap:"), t.ranker_version
    assert t.params == [("ranker", "cheap")]
    ranking = assignment(t, "ranking")
    assert (ranking.experiment, ranking.variant, ranking.in_experiment) == (
        "cheap-ranker", "treatment", True)
    assert (ranking.forced, ranking.holdout, ranking.killed) == (False, False, False)
    c = serve_unit(engine, control)
    assert c.ranker_version.startswith("linear:price:"), c.ranker_version
    assert c.params == []
    # The two rankers order the same candidates differently: cheap prefers
    # dearer items, price cheaper ones.
    assert t.ids != c.ids


def test_every_unit_is_held_out_of_the_retrieval_layer(engine):
    resp = serve_unit(engine, "unit-7")
    assert resp.holdout is True
    held = assignment(resp, "retrieval")
    assert (held.variant, held.in_experiment, held.holdout, held.killed) == (
        "control", False, True, False)
    assert ("source.ann.quota", "25") not in resp.params


def test_route_fields_say_which_pipeline_served_and_why(engine):
    resp = serve_unit(engine, "unit-1")
    assert resp.pipeline == "home"
    assert resp.tier == aisle.Tier.ANONYMOUS
    assert resp.tier_reason == "no history"
    assert resp.shadow_rankers == []
    anonymous = engine.recommend(aisle.Request("home", k=5))
    assert anonymous.tier_reason == "no user or session id"
    assert anonymous.experiments == [] and anonymous.holdout is False


def test_kill_sends_units_to_control_until_revived_and_is_audited():
    with make_engine() as eng:
        treated = find_unit(eng, "treatment")
        assert eng.experiment_audit_log() == [] and eng.killed_experiments() == []
        with pytest.raises(aisle.NotFound) as e:
            eng.kill_experiment("no-such-experiment", "typo", "test")
        assert "no-such-experiment" in e.value.message
        with pytest.raises(aisle.InvalidArgument) as e:
            eng.kill_experiment("cheap-ranker", "", "test")
        assert "aisle_engine_kill_experiment: reason: id is empty" in e.value.message
        before = time.time()
        eng.kill_experiment("cheap-ranker", "CTR -30% on home", actor='oncall "ana"')
        resp = serve_unit(eng, treated)
        assert resp.ranker_version.startswith("linear:price:")
        killed = assignment(resp, "ranking")
        assert (killed.variant, killed.in_experiment, killed.killed, killed.forced) == (
            "control", False, True, False)
        assert resp.params == []
        (k,) = eng.killed_experiments()
        assert isinstance(k, aisle.KilledExperiment)
        assert (k.experiment, k.reason, k.actor) == ("cheap-ranker", "CTR -30% on home",
                                                     'oncall "ana"')
        assert k.since.tzinfo == datetime.timezone.utc
        assert abs(k.since.timestamp() - before) < 60
        epoch = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)
        assert k.since_micros == (k.since - epoch) // datetime.timedelta(microseconds=1)
        eng.revive_experiment("cheap-ranker", "fixed")
        eng.revive_experiment("cheap-ranker", "again", actor="bob")
        assert eng.killed_experiments() == []
        assert serve_unit(eng, treated).ranker_version.startswith("linear:cheap:")
        log = eng.experiment_audit_log()
        assert [(e.action, e.experiment, e.reason, e.actor, e.changed) for e in log] == [
            ("kill", "cheap-ranker", "CTR -30% on home", 'oncall "ana"', True),
            ("revive", "cheap-ranker", "fixed", "python", True),
            ("revive", "cheap-ranker", "again", "bob", False),
        ]
        assert all(isinstance(e, aisle.KillSwitchEvent) for e in log)
        assert [e.at_micros for e in log] == sorted(e.at_micros for e in log)
        m = eng.metrics()
        assert m.killed_assignments == 1


def test_rollback_serves_the_previous_snapshot_and_is_logged():
    with make_engine() as eng:
        with pytest.raises(aisle.FailedPrecondition) as e:
            eng.rollback("nothing to undo")
        assert "no previous snapshot" in e.value.message
        snapshot, catalog = make_snapshot("r2")
        with snapshot, catalog:
            eng.swap(snapshot)
        assert eng.snapshot_version == "r2"
        eng.rollback("r2 is bad", actor="ana")
        assert eng.snapshot_version == "r1"
        assert serve_unit(eng, "unit-3").snapshot_version == "r1"
        eng.rollback("undo")
        assert eng.snapshot_version == "r2"
        log = eng.snapshot_log()
        assert [(c.from_version, c.to_version, c.rollback, c.reason, c.actor) for c in log] == [
            ("r1", "r2", False, "", ""),
            ("r2", "r1", True, "r2 is bad", "ana"),
            ("r1", "r2", True, "undo", "python"),
        ]
        assert all(isinstance(c, aisle.SnapshotChange) and c.at.tzinfo is not None for c in log)
        with pytest.raises(aisle.InvalidArgument) as e:
            eng.rollback("bad\x01")
        assert "aisle_engine_rollback: reason" in e.value.message
        assert eng.metrics().rollbacks == 2


def shadowed_pipeline():
    return (aisle.Pipeline("shadowed").add_source("ann", "ann", 20).set_ranker("price")
            .add_shadow("cheap").set_default_k(5).set_budget(5000000))


def test_a_shadow_scores_the_served_candidates_off_the_response_path(array_path):
    options = aisle.EngineOptions(shadow_threads=1, shadow_max_outstanding=4)
    with make_engine(extra=[shadowed_pipeline()], options=options) as eng:
        req = aisle.Request("shadowed", request_id="req-shadow-1", seed_items=["sku-3"], k=5)
        resp = eng.recommend(req)
        assert resp.ranker_version.startswith("linear:price:")
        assert len(resp.shadow_rankers) == 1
        assert resp.shadow_rankers[0].startswith("linear:cheap:")
        results = []
        deadline = time.time() + 10
        while not results and time.time() < deadline:
            results = eng.drain_shadow_results()
            if not results:
                time.sleep(0.01)
        (r,) = results
        assert isinstance(r, aisle.ShadowResult)
        assert (r.request_id, r.surface, r.ranker) == ("req-shadow-1", "shadowed",
                                                       resp.shadow_rankers[0])
        assert r.ok and r.code == aisle.errors.OK and r.message == ""
        assert r.latency_micros >= 0
        assert len(r.item_ids) >= len(resp) and len(r.scores) == len(r.item_ids)
        assert set(resp.ids) <= set(r.item_ids)
        # The shadow's scores are cheap's formula on the rows the ranker saw.
        m = eng.assemble_features(req, r.item_ids)
        ann, price = m.column("ann_score"), m.column("price")
        for i, score in enumerate(r.scores):
            a = 0.0 if ann[i] != ann[i] else float(ann[i])
            assert abs(a + 0.05 * float(price[i]) - score) < 1e-4, (r.item_ids[i], score)
        assert eng.drain_shadow_results() == []
        assert eng.drain_shadow_results(0) == []
        met = eng.metrics()
        assert (met.shadow_calls, met.shadow_failed, met.shadow_skipped, met.shadow_dropped) == (
            1, 0, 0, 0)
        req.close()


def test_shadows_need_threads_and_shadow_options_are_checked():
    snapshot, catalog = make_snapshot(extra=[shadowed_pipeline()])
    with snapshot, catalog:
        with pytest.raises(aisle.FailedPrecondition) as e:
            aisle.Engine(snapshot, aisle.EngineOptions(no_threads=True))
        assert "shadow" in e.value.message
        with pytest.raises(aisle.InvalidArgument) as e:
            aisle.Engine(snapshot, aisle.EngineOptions(shadow_threads=4, shadow_max_outstanding=2))
        assert "shadow" in e.value.message
        # The default outstanding bound is raised to the thread count.
        aisle.Engine(snapshot, {"shadow_threads": 32}).close()


def test_cold_start_tiers_are_served_by_their_pipelines():
    browse = (aisle.Pipeline("browse").add_source("popular", "popular", 20).set_default_k(5)
              .set_budget(5000000))
    tiered = (aisle.Pipeline("tiered").add_source("ann", "ann", 20)
              .add_source("popular", "popular", 20).set_ranker("price").set_cold_start(3)
              .set_tier_pipeline(aisle.Tier.ANONYMOUS, "browse")
              .set_tier_pipeline("known", None).set_default_k(5).set_budget(5000000))
    with make_engine(extra=[browse, tiered]) as eng:
        resp = eng.recommend(aisle.Request("tiered", user_id="cold-user"))
        assert (resp.tier, resp.pipeline, resp.tier_reason) == (
            aisle.Tier.ANONYMOUS, "browse", "no history")
        eng.apply_interaction("sku-4", user_id="warm-user")
        resp = eng.recommend(aisle.Request("tiered", user_id="warm-user"))
        assert (resp.tier, resp.pipeline, resp.tier_reason) == (
            aisle.Tier.FEW_INTERACTIONS, "tiered", "user has 1 interaction")
        eng.apply_interaction("sku-5", user_id="warm-user")
        eng.apply_interaction("sku-6", "click", user_id="warm-user")
        resp = eng.recommend(aisle.Request("tiered", user_id="warm-user"))
        assert (resp.tier, resp.pipeline, resp.tier_reason) == (
            aisle.Tier.KNOWN, "tiered", "user has 3 interactions")
        # A request with its own signal is served by the surface itself.
        resp = eng.recommend(aisle.Request("tiered", user_id="cold-user", seed_items=["sku-3"]))
        assert (resp.tier, resp.pipeline) == (aisle.Tier.ANONYMOUS, "tiered")
        m = eng.metrics()
        assert m.served_by_tier == {aisle.Tier.ANONYMOUS: 2, aisle.Tier.FEW_INTERACTIONS: 1,
                                    aisle.Tier.KNOWN: 1}
    with aisle.Pipeline("x") as p:
        with pytest.raises(aisle.InvalidArgument) as e:
            p.set_tier_pipeline("lukewarm", "browse")
        assert e.value.message.startswith("tier: unknown value 'lukewarm'")
    snapshot, catalog = make_snapshot(
        extra=[aisle.Pipeline("lost").add_source("popular", "popular", 5)
               .set_tier_pipeline("anonymous", "nowhere")])
    with snapshot, catalog, pytest.raises(aisle.NotFound) as e:
        aisle.Engine(snapshot)
    assert "nowhere" in e.value.message


def test_a_launch_boost_lifts_every_item_by_its_age():
    boosted = (aisle.Pipeline("boosted").add_source("ann", "ann", 20)
               .add_source("covis", "covisitation", 10).add_source("popular", "popular", 10)
               .set_max_candidates(30).set_ranker("price")
               .set_launch_boost(window_micros=1000 * YEAR, boost=5.0, mode="add")
               .set_default_k(5).set_budget(5000000))
    with make_engine(extra=[boosted]) as eng:
        plain = eng.recommend(aisle.Request("home", seed_items=["sku-3"], k=5))
        lifted = eng.recommend(aisle.Request("boosted", seed_items=["sku-3"], k=5))
        common = set(plain.ids) & set(lifted.ids)
        assert len(common) >= 3, (plain.ids, lifted.ids)
        for item_id in common:
            a = plain.scores[plain.ids.index(item_id)]
            b = lifted.scores[lifted.ids.index(item_id)]
            assert 4.99 < b - a <= 5.0, (item_id, a, b)
    with aisle.Pipeline("x") as p:
        p.set_launch_boost().set_launch_boost(mode=aisle.LaunchBoostMode.MULTIPLY)
        with pytest.raises(aisle.InvalidArgument) as e:
            p.set_launch_boost(mode="sideways")
        assert "launch boost mode: unknown value 'sideways'" in e.value.message
        with pytest.raises(aisle.InvalidArgument) as e:
            p.set_launch_boost(boost=-1.0)
        assert "aisle_pipeline_builder_set_launch_boost: boost = -1 must be finite" in \
            e.value.message
        with pytest.raises(aisle.InvalidArgument) as e:
            p.set_launch_boost(boost=float("nan"))
        assert "boost" in e.value.message


def test_stage_metrics_are_keyed_by_stage_and_post_is_the_sum(engine):
    serve_unit(engine, "unit-2")
    m = engine.metrics()
    stages = set(aisle.Stage) - {aisle.Stage.TOTAL}
    assert set(m.stage_runs) == set(m.stage_micros) == set(m.stage_failures) == stages
    assert m.stage_runs[aisle.Stage.RETRIEVE] >= 1 and m.stage_runs[aisle.Stage.RANK] >= 1
    parts = (aisle.Stage.RULES, aisle.Stage.DIVERSIFY, aisle.Stage.EXPLORE)
    for counter in (m.stage_runs, m.stage_micros, m.stage_failures):
        assert counter[aisle.Stage.POST] == sum(counter[s] for s in parts)
    assert set(m.served_by_tier) == set(aisle.Tier)
    assert m.holdout_requests >= 1
    assert m.rollbacks == 0


def test_experiment_and_segmenter_json_errors_name_the_path():
    with aisle.Snapshot("j") as s:
        bad = {"layers": [{"key": "l", "experiments": [
            {"key": "x", "coverage": 2, "variants": [{"key": "a"}]}]}]}
        with pytest.raises(aisle.InvalidArgument) as e:
            s.set_experiments(bad)
        assert "aisle_snapshot_set_experiments_json: " in e.value.message
        assert "layers[0].experiments[0].coverage" in e.value.message
        with pytest.raises(aisle.InvalidArgument):
            s.set_experiments('{"layers": [')
        with pytest.raises(aisle.Unimplemented):
            s.set_experiments(b'{"layers": [], "version": 7}')
        with pytest.raises(aisle.InvalidArgument) as e:
            s.set_segmenter({"num_segments": 4,
                             "rules": [{"match": {"geo": "DE"}, "segment": 9}]})
        assert "rules[0].segment" in e.value.message
        with pytest.raises(aisle.InvalidArgumentType) as e:
            s.set_segmenter(42)
        assert "Snapshot.set_segmenter: config: expected JSON text" in e.value.message
        with pytest.raises(aisle.InvalidArgument) as e:
            s.set_experiments("{\x00}")
        assert "contains a NUL byte" in e.value.message
        # text, bytes and dicts are the same config
        s.set_experiments(json.dumps(EXPERIMENTS)).set_experiments(
            json.dumps(EXPERIMENTS).encode()).set_segmenter("{}")
        s.set_experiments({"layers": []})
