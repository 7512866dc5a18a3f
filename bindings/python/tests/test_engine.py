"""Engine, Snapshot, Pipeline, Request and Response through Python, and the
same requests through a C program over the same ABI and a C++ program over the
C++ API (identical responses)."""

import os
import shutil
import subprocess
import threading
import time

import pytest

import aisle
import storefront
from conftest import REPO

NOW = int(time.time() * 1e6)


@pytest.fixture(scope="module")
def engine():
    snapshot, catalog = storefront.make_snapshot(NOW)
    with snapshot, catalog:
        eng = aisle.Engine(snapshot)
    # The engine copied the snapshot: closing the Python handles first is fine.
    yield eng
    eng.close()


def fresh_engine():
    snapshot, catalog = storefront.make_snapshot(NOW)
    with snapshot, catalog:
        return aisle.Engine(snapshot)


def test_product_page_serves_similar_items_from_the_seed_category(engine):
    resp = engine.recommend(aisle.Request("product_page", seed_items=["sku-3"], k=5))
    assert len(resp) == 5
    assert "sku-3" not in resp.ids
    # Embeddings cluster by category: ANN neighbours of sku-3 are in category 0.
    assert all(int(i.split("-")[1]) < 10 for i in resp.ids), resp.ids
    assert resp.fallback_level == aisle.FallbackLevel.PERSONALIZED
    assert resp.fallback_reason == aisle.FallbackReason.NONE
    assert resp.snapshot_version == "v1"
    for item in resp.items:
        assert isinstance(item, aisle.ResponseItem)
        assert item.index == int(item.id.split("-")[1])  # items were added in order
        assert item.sources and set(item.sources) <= {"ann", "covis"}
    assert resp.counts.candidates >= 5
    assert set(resp.latency_micros) == set(aisle.Stage)
    assert 0 < resp.quality <= 1


def test_ranker_orders_by_its_scores_and_reports_its_version(engine):
    resp = engine.recommend(surface="home", seed_items=["sku-3"])
    assert resp.fallback_level == aisle.FallbackLevel.PERSONALIZED
    assert len(resp) == 5  # the surface's default k
    assert resp.ranker_version.startswith("linear:price:xxh64="), resp.ranker_version
    assert resp.scores == sorted(resp.scores, reverse=True)
    assert resp.source_names == ["ann", "covis", "popular"]


def test_search_rerank_reorders_only_the_given_candidates(engine):
    cands = ["sku-5", "sku-1", "sku-20", "sku-7"]
    resp = engine.recommend(aisle.Request("search", search_candidates=cands, k=4))
    assert sorted(resp.ids) == sorted(cands)
    # price weight is negative and ann_score absent: cheaper (lower index) first.
    assert resp.ids == ["sku-1", "sku-5", "sku-7", "sku-20"]


def test_anonymous_request_without_signal_falls_back_to_global_popular(engine):
    resp = engine.recommend(aisle.Request("home"))
    assert resp.tier == aisle.Tier.ANONYMOUS
    assert resp.fallback_level == aisle.FallbackLevel.GLOBAL_POPULAR
    assert resp.fallback_reason == aisle.FallbackReason.EMPTY_STAGE
    assert len(resp) == 5
    assert resp.ids[0] == "sku-0"  # item 0 has the most views
    assert resp.items[0].reason == "popular"


def test_category_context_scopes_category_popular(engine):
    with aisle.Request("home") as req:
        req.set_context({"category": "Shop>Dept0>Cat2"})
        resp = engine.recommend(req)
    assert resp.fallback_level == aisle.FallbackLevel.CATEGORY_POPULAR
    assert all(20 <= i < 30 for i in resp.indices), resp.ids
    assert resp.indices[0] == 20


def test_request_errors_name_the_problem(engine):
    with pytest.raises(aisle.AisleError) as e:
        engine.recommend(aisle.Request("no_such_surface"))
    assert "no_such_surface" in e.value.message
    assert e.value.code in (aisle.errors.INVALID_ARGUMENT, aisle.errors.NOT_FOUND)
    with pytest.raises(aisle.InvalidArgument) as e:
        engine.recommend(aisle.Request("home", user_vector=[1.0, 2.0]))
    assert e.value.code == aisle.errors.INVALID_ARGUMENT
    with pytest.raises(aisle.InvalidArgument):
        aisle.Request("home", colour="red")
    with pytest.raises(aisle.InvalidArgument):
        engine.recommend(k=3)  # no surface


def test_request_is_reusable_and_setters_replace(engine):
    with aisle.Request("product_page", k=3) as req:
        req.set_seed_items(["sku-3"])
        a = engine.recommend(req)
        req.set_seed_items(["sku-33"]).set_k(4)
        b = engine.recommend(req)
    assert len(a) == 3 and len(b) == 4
    assert all(i < 10 for i in a.indices) and all(30 <= i < 40 for i in b.indices)


def test_live_inventory_and_events():
    with fresh_engine() as eng:
        first = eng.recommend(aisle.Request("product_page", seed_items=["sku-3"], k=5))
        top = first.ids[0]
        eng.set_stock(top, 0)
        after = eng.recommend(aisle.Request("product_page", seed_items=["sku-3"], k=5))
        assert top not in after.ids
        eng.add_stock(top, 3)
        again = eng.recommend(aisle.Request("product_page", seed_items=["sku-3"], k=5))
        assert top in again.ids
        with pytest.raises(aisle.NotFound) as e:
            eng.set_stock("sku-nope", 1)
        assert "sku-nope" in e.value.message
        eng.apply_interaction("sku-21", "view", at_micros=NOW, user_id="u9", session_id="s9")
        eng.apply_interaction("sku-22", aisle.InteractionType.PURCHASE, at_micros=NOW,
                              user_id="u9")
        with pytest.raises(aisle.NotFound):
            eng.apply_interaction("sku-nope", at_micros=NOW, user_id="u9")
        with pytest.raises(aisle.InvalidArgument):
            eng.apply_interaction("sku-21", "teleport", at_micros=NOW)
        eng.publish_live_state()
        m = eng.metrics()
        assert isinstance(m, aisle.EngineMetrics)
        assert m.requests == 3
        # Stock changes are events too: 2 stock + 2 interactions applied; the
        # unknown-id stock change and interaction rejected ("teleport" never
        # reached the library: the Python enum check refused it).
        assert m.events_applied == 4
        assert m.events_rejected == 2
        assert sum(m.served_by_level.values()) == 3


def test_switches_step_down_and_quality(engine):
    with fresh_engine() as eng:
        eng.set_flag("product_page", aisle.Switch.PERSONALIZATION, False, actor="test")
        resp = eng.recommend(aisle.Request("product_page", seed_items=["sku-3"], k=5))
        assert resp.fallback_level != aisle.FallbackLevel.PERSONALIZED
        assert resp.fallback_reason == aisle.FallbackReason.SWITCHED_OFF
        with pytest.raises(aisle.NotFound):
            eng.set_source("product_page", "no_source", False)
        eng.set_source("*", "ann", False)
        with pytest.raises(aisle.NotFound):
            eng.set_flag("nowhere", "personalization", True)
        assert 0 < eng.quality("home") <= 1


def test_swap_replaces_the_snapshot_and_a_bad_one_is_rejected():
    with fresh_engine() as eng:
        assert eng.snapshot_version == "v1"
        snapshot, catalog = storefront.make_snapshot(NOW, version="v2")
        with snapshot, catalog:
            eng.swap(snapshot)
            assert eng.snapshot_version == "v2"
            with aisle.Pipeline("broken") as p:
                p.add_source("ann", "ann", 10).set_ranker("no_such_model")
                snapshot.add_pipeline(p)
            with pytest.raises(aisle.AisleError) as e:
                eng.swap(snapshot)
            assert "no_such_model" in e.value.message
        assert eng.snapshot_version == "v2"
        assert len(eng.recommend(aisle.Request("home", k=5))) == 5
        assert eng.metrics().swaps_rejected == 1


def test_bad_snapshot_is_an_error_naming_the_culprit():
    with aisle.Snapshot("bad") as s, aisle.Pipeline("home") as p:
        p.add_source("ann", "ann", 10)
        s.add_pipeline(p)
        with pytest.raises(aisle.AisleError) as e:
            aisle.Engine(s)  # no catalog, no index
        assert e.value.message


def test_python_scorer_ranks_and_sees_the_feature_matrix(array_path):
    seen = []

    def scorer(features, remaining_micros):
        rows = len(features)
        seen.append((rows, len(features[0]) if rows else 0, remaining_micros))
        # Score = the row's price feature (the schema's last column): dearer first.
        return [row[-1] for row in features]

    snapshot, catalog = storefront.make_snapshot(NOW)
    with snapshot, catalog, aisle.Engine(snapshot) as eng:
        # A surface may name a host scorer once it is registered: register,
        # then swap in the snapshot whose pipeline uses it.
        eng.register_scorer("host_scorer", scorer)
        with pytest.raises(aisle.AlreadyExists):
            eng.register_scorer("host_scorer", scorer)
        with aisle.Pipeline("host") as p:
            p.add_source("ann", "ann", 20).set_ranker("host_scorer").set_default_k(5)
            p.set_budget(5000000)
            snapshot.add_pipeline(p)
        eng.swap(snapshot)
        resp = eng.recommend(aisle.Request("host", seed_items=["sku-3"], k=5))
    assert seen and seen[0][0] >= 5 and seen[0][1] >= 1
    assert seen[0][2] > 0
    assert resp.fallback_level == aisle.FallbackLevel.PERSONALIZED
    assert resp.scores == sorted(resp.scores, reverse=True)


def test_failing_python_scorer_degrades_and_is_recorded():
    def scorer(features, remaining_micros):
        raise RuntimeError("model server down")

    snapshot, catalog = storefront.make_snapshot(NOW)
    with snapshot, catalog, aisle.Engine(snapshot) as eng:
        eng.register_scorer("host_scorer", scorer,
                            breaker=aisle.BreakerOptions(min_requests=100))
        with aisle.Pipeline("host") as p:
            p.add_source("ann", "ann", 20).set_ranker("host_scorer").set_default_k(5)
            p.set_budget(5000000)
            snapshot.add_pipeline(p)
        eng.swap(snapshot)
        resp = eng.recommend(aisle.Request("host", seed_items=["sku-3"], k=5))
        assert resp.fallback_level != aisle.FallbackLevel.PERSONALIZED
        assert resp.fallback_reason == aisle.FallbackReason.ERROR
        assert "host_scorer" in resp.fallback_detail
        assert isinstance(eng.scorer_errors[-1], RuntimeError)


def test_isolated_python_scorer_that_stalls_is_abandoned_at_the_deadline():
    release = threading.Event()
    calls = []

    def scorer(features, remaining_micros):
        calls.append(remaining_micros)
        if not release.is_set():
            release.wait(5.0)  # a remote model that stopped answering
        return [1.0] * len(features)

    snapshot, catalog = storefront.make_snapshot(NOW)
    with snapshot, catalog, aisle.Engine(snapshot) as eng:
        eng.register_scorer("remote", scorer,
                            breaker=aisle.BreakerOptions(min_requests=100))
        with aisle.Pipeline("remote_rail") as p:
            p.add_source("ann", "ann", 20).set_ranker("remote").set_default_k(5)
            p.set_budget(50000).isolate_ranker()
            snapshot.add_pipeline(p)
        eng.swap(snapshot)
        resp = eng.recommend(aisle.Request("remote_rail", seed_items=["sku-3"], k=5))
        assert resp.fallback_level != aisle.FallbackLevel.PERSONALIZED
        assert resp.fallback_reason == aisle.FallbackReason.DEADLINE
        assert "abandoned" in resp.fallback_detail
        assert len(resp) > 0
        m = eng.metrics()
        assert m.isolated_calls == 1 and m.isolated_timeouts == 1
        release.set()
        while eng.metrics().isolated_outstanding:
            time.sleep(0.005)
        again = eng.recommend(aisle.Request("remote_rail", seed_items=["sku-3"], k=5))
        assert again.fallback_level == aisle.FallbackLevel.PERSONALIZED
        assert len(calls) == 2


def test_engine_options_no_threads_refuses_an_isolating_pipeline():
    snapshot, catalog = storefront.make_snapshot(NOW)
    with snapshot, catalog:
        with aisle.Pipeline("isolated") as p:
            p.add_source("ann", "ann", 20).set_ranker("price").set_default_k(5)
            p.set_budget(5000000).isolate_ranker()
            snapshot.add_pipeline(p)
        with pytest.raises(aisle.FailedPrecondition) as e:
            aisle.Engine(snapshot, options=aisle.EngineOptions(no_threads=True))
        assert "'isolated'" in e.value.message and "allow_threads" in e.value.message
        with aisle.Engine(snapshot, options={"isolation_threads": 1,
                                             "publish_every": -1}) as eng:
            resp = eng.recommend(aisle.Request("isolated", seed_items=["sku-3"], k=5))
            assert resp.fallback_level == aisle.FallbackLevel.PERSONALIZED
            assert eng.metrics().isolated_calls == 1
        with pytest.raises(aisle.InvalidArgument) as e:
            aisle.Engine(snapshot, options=aisle.EngineOptions(publish_every=-5))
        assert "publish_every" in e.value.message


def test_closed_engine_raises_instead_of_crashing():
    eng = fresh_engine()
    eng.close()
    eng.close()  # idempotent
    assert eng.closed
    with pytest.raises(aisle.FailedPrecondition) as e:
        eng.recommend(aisle.Request("home"))
    assert "Engine is closed" in e.value.message


def _c_lines(tmp_path, model):
    """Builds c_reference.c against libaisle.so and returns its output lines."""
    cc = shutil.which("cc") or shutil.which("gcc")
    if cc is None:
        pytest.skip("no C compiler: the C-vs-Python comparison is not run")
    lib = aisle.library_path
    exe = tmp_path / "c_reference"
    subprocess.run(
        [cc, "-std=c99", "-O1", "-Wall", "-Werror", "-I", os.path.join(REPO, "capi"),
         os.path.join(os.path.dirname(__file__), "c_reference.c"), "-o", str(exe), lib,
         "-Wl,-rpath," + os.path.dirname(os.path.abspath(lib))],
        check=True,
    )
    return subprocess.run([str(exe), str(NOW), str(model)], check=True, capture_output=True,
                          text=True).stdout.splitlines()


def _python_lines():
    snapshot, catalog = storefront.make_snapshot(NOW)
    with snapshot, catalog, aisle.Engine(snapshot) as eng:
        out = []
        for kwargs in storefront.REQUESTS:
            kwargs = dict(kwargs)
            with aisle.Request(kwargs.pop("surface"), **kwargs) as req:
                out.append(storefront.describe(eng.recommend(req)))
    return out


def _model_file(tmp_path):
    model = tmp_path / "price.json"
    model.write_text(storefront.LINEAR_MODEL)
    return model


def test_same_requests_give_the_same_responses_through_c(tmp_path):
    c_out = _c_lines(tmp_path, _model_file(tmp_path))
    py_out = _python_lines()
    assert len(c_out) == len(storefront.REQUESTS)
    assert py_out == c_out
    # The comparison is not vacuous: every response served items.
    assert all(line.split("|")[0] for line in py_out)


def _build_dir_cache(build):
    """The build tree's CMakeCache.txt as a dict (empty when absent)."""
    cache = {}
    try:
        with open(os.path.join(build, "CMakeCache.txt")) as f:
            for line in f:
                if "=" in line and ":" in line.split("=", 1)[0] and not line.startswith("#"):
                    key, value = line.rstrip("\n").split("=", 1)
                    cache[key.split(":", 1)[0]] = value
    except OSError:
        pass
    return cache


def test_same_requests_give_the_same_responses_through_cpp_c_and_python(tmp_path):
    """cpp_reference.cc builds the same storefront through the C++ API,
    linked against the build's combined static library (target aisle_static,
    <build>/lib/libaisle.a); its lines must equal the C program's and
    Python's."""
    cxx = shutil.which("c++") or shutil.which("g++") or shutil.which("clang++")
    if cxx is None:
        pytest.skip("no C++ compiler (c++, g++ or clang++): the C++-vs-C comparison is not run")
    # AISLE_LIBRARY is <build>/capi/libaisle.so (scripts/test-python.sh).
    build = os.path.dirname(os.path.dirname(os.path.abspath(aisle.library_path)))
    archive = os.path.join(build, "lib", "libaisle.a")
    pc = os.path.join(build, "aisle.pc")
    assert os.path.isfile(archive), (
        "%s not found: build the aisle_static target of %s (the library in use is %s)"
        % (archive, build, aisle.library_path))
    assert os.path.isfile(pc), "%s not found (CMake generates it at configure time)" % pc
    pkg_config = shutil.which("pkg-config")
    assert pkg_config, "pkg-config is needed for the static archive's dependencies"
    # The build tree's aisle.pc names the archive's dependencies (absl,
    # xxhash, pthread); its -L/-laisle point at an install prefix, so the
    # archive is given by path instead.
    deps = subprocess.run(
        [pkg_config, "--static", "--libs", "aisle"], check=True, capture_output=True, text=True,
        env=dict(os.environ, PKG_CONFIG_PATH=build),
    ).stdout.split()
    deps = [d for d in deps if d != "-laisle" and not d.startswith("-L")]
    flags = []
    if _build_dir_cache(build).get("AISLE_SANITIZE", "").upper() in ("ON", "1", "TRUE", "YES"):
        flags.append("-fsanitize=address,undefined")
    exe = tmp_path / "cpp_reference"
    subprocess.run(
        [cxx, "-std=c++20", "-O1", "-Wall", "-Werror", *flags,
         "-I", os.path.join(REPO, "include"),
         os.path.join(os.path.dirname(__file__), "cpp_reference.cc"), "-o", str(exe), archive,
         *deps],
        check=True,
    )
    model = _model_file(tmp_path)
    cpp_out = subprocess.run([str(exe), str(NOW), str(model)], check=True, capture_output=True,
                             text=True).stdout.splitlines()
    c_out = _c_lines(tmp_path, model)
    py_out = _python_lines()
    assert len(cpp_out) == len(storefront.REQUESTS)
    assert cpp_out == c_out
    assert cpp_out == py_out
    # Not vacuous: every response served items, and the ranked surfaces
    # report the model's version.
    assert all(line.split("|")[0] for line in cpp_out)
    assert any(line.split("|")[-1].startswith("linear:price:") for line in cpp_out)


def test_assembled_features_reproduce_the_served_scores(engine, array_path):
    """Training/serving parity: the rows Python assembles are the rows the
    ranker scored, so the model's own weights give back the served scores."""
    req = aisle.Request("home", seed_items=["sku-3"], k=5)
    resp = engine.recommend(req)
    assert resp.fallback_level == aisle.FallbackLevel.PERSONALIZED
    m = engine.assemble_features(req, resp.ids + ["sku-39"])
    assert m.item_ids == resp.ids + ["sku-39"]
    assert "ann_score" in m.feature_names and "price" in m.feature_names
    assert len(m.values) == len(resp.ids) + 1
    assert m.retrieved[: len(resp.ids)] == [True] * len(resp.ids)
    ann, price = m.column("ann_score"), m.column("price")
    for i, score in enumerate(resp.scores):
        # storefront.LINEAR_MODEL: 10 * ann_score - 0.01 * price (NaN counts as 0)
        a = 0.0 if ann[i] != ann[i] else float(ann[i])
        assert abs(10.0 * a - 0.01 * float(price[i]) - score) < 1e-4, (resp.ids[i], score)
    assert float(price[-1]) == 49.0  # sku-39's catalog price (10 + 39)
    with pytest.raises(aisle.NotFound, match="ghost"):
        engine.assemble_features(req, ["ghost"])
    req.close()
