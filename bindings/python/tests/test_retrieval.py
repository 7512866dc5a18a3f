"""AnnIndex, CoVisitation and Popularity."""

import math
import random

import pytest

import aisle
from conftest import tolist


def clustered(n, dim, seed=1):
    rng = random.Random(seed)
    return [[rng.gauss(0, 1) for _ in range(dim)] for _ in range(n)]


def brute_force_ip(data, q, k):
    scores = [(sum(a * b for a, b in zip(row, q)), i) for i, row in enumerate(data)]
    scores.sort(reverse=True)
    return [i for _, i in scores[:k]]


def test_ann_search_matches_brute_force(array_path):
    data = clustered(300, 8)
    with aisle.AnnIndex.build(data, metric="inner_product", ef_construction=200) as idx:
        assert len(idx) == 300 and idx.dim == 8
        hits, total = 0, 0
        for qi in range(0, 300, 30):
            res = idx.search(data[qi], k=10, ef=200)
            assert isinstance(res, aisle.SearchResult)
            assert len(res) == 10
            assert tolist(res.scores) == sorted(tolist(res.scores), reverse=True)
            truth = set(brute_force_ip(data, data[qi], 10))
            hits += len(truth & set(tolist(res.items)))
            total += 10
        assert hits / total >= 0.95
        pairs = res.pairs()
        assert isinstance(pairs[0][0], int) and isinstance(pairs[0][1], float)


def test_ann_allowed_and_exclude_and_seeds(array_path):
    data = clustered(100, 4, seed=2)
    with aisle.AnnIndex.build(data) as idx:
        allowed = list(range(0, 100, 3))
        res = idx.search(data[5], k=5, allowed=allowed)
        assert set(tolist(res.items)) <= set(allowed)
        res = idx.search(data[5], k=5, exclude=[5])
        assert 5 not in tolist(res.items)
        res = idx.search(data[5], k=5, allowed=[])
        assert len(res) == 0
        res = idx.search_by_seeds([1, 2], k=5)
        assert len(res) == 5 and not {1, 2} & set(tolist(res.items))


def test_ann_save_load_roundtrip_and_errors(tmp_path):
    data = clustered(50, 4, seed=3)
    path = tmp_path / "idx.aisleann"
    with aisle.AnnIndex.build(data, metric=aisle.Metric.COSINE) as idx:
        before = idx.search(data[7], k=5)
        idx.save(path)
        with pytest.raises(aisle.InvalidArgument) as e:
            idx.search([1.0, 2.0], k=3)
        assert "2" in e.value.message
        with pytest.raises(aisle.InvalidArgument):
            idx.search([math.nan] * 4, k=3)
        with pytest.raises(aisle.NotFound):
            idx.search_by_seeds([999], k=3)
    with aisle.AnnIndex.load(path, expected_dim=4) as again:
        after = again.search(data[7], k=5)
        assert tolist(after.items) == tolist(before.items)
    with pytest.raises(aisle.InvalidArgument):
        aisle.AnnIndex.load(path, expected_dim=5)
    corrupt = tmp_path / "corrupt.aisleann"
    raw = bytearray(path.read_bytes())
    raw[len(raw) // 2] ^= 0xFF
    corrupt.write_bytes(bytes(raw))
    with pytest.raises(aisle.AisleError) as e:
        aisle.AnnIndex.load(corrupt)
    assert "corrupt.aisleann" in e.value.message
    with pytest.raises(aisle.InvalidArgument):
        aisle.AnnIndex.build([[0.0, 0.0], [1.0, 0.0]], metric="cosine")  # zero row
    with pytest.raises(aisle.InvalidArgument):
        aisle.AnnIndex.build([[1.0]], metric="manhattan")


def test_ann_from_catalog():
    with aisle.Catalog.synthetic(200, dim=8, seed=4) as cat, aisle.AnnIndex.from_catalog(
            cat, metric="cosine") as idx:
        res = idx.search(cat.embedding(10), k=1)
        assert tolist(res.items) == [10]
    with aisle.Catalog.synthetic(20, dim=0, seed=4) as cat:
        with pytest.raises(aisle.FailedPrecondition):
            aisle.AnnIndex.from_catalog(cat)


def test_covisitation(array_path):
    t0 = 1_700_000_000_000_000
    with aisle.CoVisitation(num_items=10) as cv:
        cv.add_log(items=[0, 1, 0, 1, 0, 2], times_micros=[t0 + i for i in range(6)],
                   sessions=[1, 1, 2, 2, 3, 3])
        assert cv.publish() == 1
        res = cv.retrieve([0], quota=5)
        items = tolist(res.items)
        assert items[0] == 1 and 2 in items and 0 not in items
        with pytest.raises(aisle.InvalidArgument) as e:
            cv.add_log(items=[0, 99], times_micros=[t0, t0], sessions=[1, 1])
        assert "99" in e.value.message
        with pytest.raises(aisle.InvalidArgument):
            cv.add_log(items=[0, 1], times_micros=[t0])
        with pytest.raises(aisle.InvalidArgument):
            cv.retrieve([42])
    with pytest.raises(aisle.InvalidArgument):
        aisle.CoVisitation(num_items=0)


def test_popularity(array_path):
    t0 = 1_700_000_000_000_000
    with aisle.Popularity(num_items=5, item_categories=[0, 0, 1, 1, 1], num_categories=2,
                          num_segments=2) as pop:
        pop.apply(items=[3, 3, 3, 1, 1, 4], times_micros=[t0] * 6,
                  types=["view", "click", "purchase", "view", "view", "view"])
        pop.apply(items=[0], times_micros=[t0], segment=2)
        pop.publish()
        assert tolist(pop.retrieve(quota=1).items) == [3]
        assert tolist(pop.retrieve(quota=1, categories=[0]).items) == [1]
        assert tolist(pop.retrieve(quota=5, segment=2).items) == [0]
        assert len(pop.retrieve(quota=5, mode="trending")) >= 1
        with pytest.raises(aisle.InvalidArgument):
            pop.retrieve(categories=[7])
    with aisle.Catalog.synthetic(100, seed=1) as cat, aisle.Popularity.for_catalog(cat) as pop:
        pop.apply(items=[5, 5, 6], times_micros=[t0] * 3)
        pop.publish()
        assert tolist(pop.retrieve(quota=1).items) == [5]
