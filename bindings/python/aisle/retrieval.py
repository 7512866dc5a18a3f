"""Candidate sources on their own: ANN index, co-visitation, popularity."""

import dataclasses
from ctypes import POINTER, byref, c_size_t, c_uint32, c_uint64, cast, sizeof
from typing import Any

from . import _arrays, _ints, _lib, errors
from ._handle import Handle, new_out
from .constants import (
    MAX_ANN_M,
    MAX_COVISITATION_DISTANCE,
    MAX_DIM,
    MAX_EF,
    MAX_ITEMS,
    MAX_K,
    MAX_QUOTA,
    MAX_SEGMENTS,
    MAX_THREADS,
    InteractionType,
    Metric,
    PopularityMode,
    coerce,
)

_check = errors.check


@dataclasses.dataclass
class SearchResult:
    """Item indices (best first) and their scores: ndarrays with numpy, else lists."""

    items: Any
    scores: Any

    def __len__(self):
        return len(self.items)

    def pairs(self):
        """[(index, score), ...] as plain Python numbers."""
        return [(int(i), float(s)) for i, s in zip(self.items, self.scores)]


def _search_params(where, ef, allowed, exclude, keep):
    if ef is None and allowed is None and exclude is None:
        return None
    p = _lib.SearchParams()
    p.size = sizeof(_lib.SearchParams)
    p.ef = 0 if ef is None else _ints.checked(ef, where + ": ef", 0, MAX_EF)
    if allowed is not None:
        ptr, n, k = _arrays.vector(allowed, "uint32", "allowed")
        keep.append(k)
        p.allowed, p.allowed_count = ptr, n
        if n == 0:
            # An empty allow-list allows nothing; NULL would mean every item.
            empty = (c_uint32 * 1)()
            keep.append(empty)
            p.allowed = cast(empty, POINTER(c_uint32))
    if exclude is not None:
        ptr, n, k = _arrays.vector(exclude, "uint32", "exclude")
        keep.append(k)
        p.exclude, p.exclude_count = ptr, n
    return byref(p)


def _run_topk(call, k):
    items = _arrays.Output(k, "uint32")
    scores = _arrays.Output(k, "float32")
    n = c_size_t()
    _check(call(items.ptr, scores.ptr, byref(n)))
    return SearchResult(items.result(n.value), scores.result(n.value))


class AnnIndex(Handle):
    """An HNSW index over embeddings (row i = item i). Thread-safe.

    ::

        index = aisle.AnnIndex.from_catalog(catalog, metric="cosine")
        hits = index.search(query_vector, k=10)
        hits.items, hits.scores
    """

    _destroy_name = "aisle_ann_index_destroy"
    _what = "AnnIndex"

    @staticmethod
    def _options(where, metric, m, ef_construction, default_ef, threads, seed):
        o = _lib.AnnOptions()
        o.size = sizeof(_lib.AnnOptions)
        o.metric = coerce(Metric, metric, "metric")
        o.threads = _ints.checked(threads, where + ": threads", 0, MAX_THREADS)
        o.m = _ints.checked(m, where + ": m", 0, MAX_ANN_M)
        o.ef_construction = _ints.checked(ef_construction, where + ": ef_construction", 0, MAX_EF)
        o.default_ef = _ints.checked(default_ef, where + ": default_ef", 0, MAX_EF)
        o.seed = _ints.checked(seed, where + ": seed", *_ints.UINT64)
        return o

    @classmethod
    def build(
        cls, data, metric=Metric.INNER_PRODUCT, m=0, ef_construction=0, default_ef=0, threads=0,
        seed=0,
    ):
        """Builds over a rows x dim matrix (ndarray, zero-copy if float32; or lists).

        Zero options take the library defaults (m 16, ef_construction 200,
        default_ef 64, 1 thread). InvalidArgument naming row and column for
        NaN/Inf or a zero row under cosine.
        """
        o = cls._options("AnnIndex.build", metric, m, ef_construction, default_ef, threads, seed)
        ptr, rows, dim, keep = _arrays.matrix(data, "data")
        out = new_out(_lib.ann_index_t)
        _check(_lib.aisle_ann_index_build(ptr, rows, dim, byref(o), byref(out)))
        del keep
        return cls(out)

    @classmethod
    def from_catalog(
        cls, catalog, metric=Metric.INNER_PRODUCT, m=0, ef_construction=0, default_ef=0,
        threads=0, seed=0,
    ):
        """Builds over a catalog's embeddings (FailedPrecondition without any)."""
        o = cls._options("AnnIndex.from_catalog", metric, m, ef_construction, default_ef,
                         threads, seed)
        out = new_out(_lib.ann_index_t)
        _check(_lib.aisle_ann_index_build_from_catalog(catalog._h, byref(o), byref(out)))
        return cls(out)

    @classmethod
    def load(cls, path, expected_dim=0):
        """Reads an index written by :meth:`save` (checksummed AISLEANN file)."""
        dim = _ints.checked(expected_dim, "AnnIndex.load: expected_dim", 0, MAX_DIM)
        out = new_out(_lib.ann_index_t)
        _check(_lib.aisle_ann_index_load(_arrays.path(path), dim, byref(out)))
        return cls(out)

    def save(self, path):
        """Writes the index atomically."""
        _check(_lib.aisle_ann_index_save(self._h, _arrays.path(path)))

    def __len__(self):
        n = c_size_t()
        _check(_lib.aisle_ann_index_size(self._h, byref(n)))
        return n.value

    @property
    def dim(self):
        n = c_size_t()
        _check(_lib.aisle_ann_index_dim(self._h, byref(n)))
        return n.value

    def search(self, query, k=10, ef=None, allowed=None, exclude=None):
        """The k best items for `query` (length == dim), best first.

        `allowed` restricts results to those item indices; `exclude` removes
        them. InvalidArgument for a wrong dimension, NaN, or an index outside
        the index.
        """
        k = _ints.checked(k, "AnnIndex.search: k", 0, MAX_K)
        keep = []
        q, qn, qk = _arrays.vector(query, "float32", "query")
        params = _search_params("AnnIndex.search", ef, allowed, exclude, keep)
        h = self._h
        return _run_topk(
            lambda it, sc, n: _lib.aisle_ann_index_search(h, q, qn, k, params, it, sc, n), k
        )

    def search_by_seeds(self, seeds, k=10, ef=None, allowed=None, exclude=None):
        """As search, with the mean of the seed items' vectors (seeds never returned)."""
        k = _ints.checked(k, "AnnIndex.search_by_seeds: k", 0, MAX_K)
        keep = []
        s, sn, sk = _arrays.vector(seeds, "uint32", "seeds")
        params = _search_params("AnnIndex.search_by_seeds", ef, allowed, exclude, keep)
        h = self._h
        return _run_topk(
            lambda it, sc, n: _lib.aisle_ann_index_search_by_seeds(h, s, sn, k, params, it, sc, n),
            k,
        )


def _interaction_columns(items, times_micros, types, sessions):
    it, n, k1 = _arrays.vector(items, "uint32", "items")
    tm, n2, k2 = _arrays.vector(times_micros, "int64", "times_micros")
    if types is None:
        types = [InteractionType.VIEW] * n
    else:
        types = [int(coerce(InteractionType, t, "interaction type")) for t in types]
    ty, n3, k3 = _arrays.vector(types, "int32", "types")
    se, n4, k4 = _arrays.vector(sessions, "uint64", "sessions")
    for name, m in (("times_micros", n2), ("types", n3)) + (
        (("sessions", n4),) if sessions is not None else ()
    ):
        if m != n:
            raise errors.InvalidArgument(
                errors.INVALID_ARGUMENT, "%s has %d entries, items has %d" % (name, m, n)
            )
    return (se, it, tm, ty, n), (k1, k2, k3, k4)


class CoVisitation(Handle):
    """Items seen together in sessions. Thread-safe.

    ::

        cv = aisle.CoVisitation(num_items=len(catalog))
        cv.add_log(items=[0, 1, 0, 2], times_micros=[...], sessions=[7, 7, 8, 8])
        cv.publish()
        cv.retrieve(seeds=[0], quota=10)
    """

    _destroy_name = "aisle_covisitation_destroy"
    _what = "CoVisitation"

    def __init__(self, num_items, max_distance=0, window_micros=0, top_n=0):
        """Zero options take the defaults (max_distance 5, a 1-hour window,
        top_n 50); window_micros < 0 means no window."""
        o = _lib.CovisitationOptions()
        o.size = sizeof(_lib.CovisitationOptions)
        o.num_items = _ints.checked(num_items, "CoVisitation: num_items", 1, MAX_ITEMS)
        o.max_distance = _ints.checked(max_distance, "CoVisitation: max_distance", 0,
                                       MAX_COVISITATION_DISTANCE)
        o.window_micros = _ints.checked(window_micros, "CoVisitation: window_micros",
                                        *_ints.INT64)
        o.top_n = _ints.checked(top_n, "CoVisitation: top_n", 0, MAX_QUOTA)
        out = new_out(_lib.covisitation_t)
        _check(_lib.aisle_covisitation_create(byref(o), byref(out)))
        super().__init__(out)

    def add_log(self, items, times_micros, types=None, sessions=None):
        """Accumulates a log (columns of equal length; types default to views)."""
        (se, it, tm, ty, n), keep = _interaction_columns(items, times_micros, types, sessions)
        _check(_lib.aisle_covisitation_add_log(self._h, se, it, tm, ty, n))
        del keep

    def publish(self):
        """Publishes what was accumulated; returns the table version (1, 2, ...)."""
        v = c_uint64()
        _check(_lib.aisle_covisitation_publish(self._h, byref(v)))
        return v.value

    def retrieve(self, seeds, quota=10, allowed=None, exclude=None):
        """Items co-visited with `seeds` (weights summed), up to `quota`."""
        quota = _ints.checked(quota, "CoVisitation.retrieve: quota", 0, MAX_QUOTA)
        keep = []
        s, sn, sk = _arrays.vector(seeds, "uint32", "seeds")
        params = _search_params("CoVisitation.retrieve", None, allowed, exclude, keep)
        h = self._h
        return _run_topk(
            lambda it, sc, n: _lib.aisle_covisitation_retrieve(h, s, sn, quota, params, it, sc, n),
            quota,
        )


class Popularity(Handle):
    """Time-decayed popular and trending items per scope. Thread-safe.

    ::

        pop = aisle.Popularity.for_catalog(catalog)
        pop.apply(items=[3, 3, 5], times_micros=[t, t, t])
        pop.publish()
        pop.retrieve(quota=10)                      # global
        pop.retrieve(quota=10, categories=[2])      # in a category
    """

    _destroy_name = "aisle_popularity_destroy"
    _what = "Popularity"

    @staticmethod
    def _options(where, num_items, num_segments, half_life_micros, top_n, keep,
                 item_categories=None, num_categories=0):
        o = _lib.PopularityOptions()
        o.size = sizeof(_lib.PopularityOptions)
        if num_items is not None:  # None: taken from a catalog
            o.num_items = _ints.checked(num_items, where + ": num_items", 1, MAX_ITEMS)
        if item_categories is not None:
            ptr, n, k = _arrays.vector(item_categories, "uint32", "item_categories")
            keep.append(k)
            o.item_categories = ptr
        o.num_categories = _ints.checked(num_categories, where + ": num_categories", 0,
                                         MAX_ITEMS)
        o.num_segments = _ints.checked(num_segments, where + ": num_segments", 0, MAX_SEGMENTS)
        o.half_life_micros = _ints.checked(half_life_micros, where + ": half_life_micros",
                                           *_ints.INT64)
        o.top_n = _ints.checked(top_n, where + ": top_n", 0, MAX_QUOTA)
        return o

    def __init__(self, num_items, item_categories=None, num_categories=0, num_segments=0,
                 half_life_micros=0, top_n=0, _ptr=None):
        if _ptr is None:
            keep = []
            o = self._options("Popularity", num_items, num_segments, half_life_micros, top_n,
                              keep, item_categories, num_categories)
            _ptr = new_out(_lib.popularity_t)
            _check(_lib.aisle_popularity_create(byref(o), byref(_ptr)))
        super().__init__(_ptr)

    @classmethod
    def for_catalog(cls, catalog, num_segments=0, half_life_micros=0, top_n=0):
        """Categories (leaf category indices) taken from the catalog."""
        keep = []
        o = cls._options("Popularity.for_catalog", None, num_segments, half_life_micros, top_n,
                         keep)
        out = new_out(_lib.popularity_t)
        _check(_lib.aisle_popularity_create_for_catalog(catalog._h, byref(o), byref(out)))
        return cls(0, _ptr=out)

    def apply(self, items, times_micros, types=None, sessions=None, segment=0):
        """Counts events in the global, category and `segment` (0 = none) scopes."""
        segment = _ints.checked(segment, "Popularity.apply: segment", 0, MAX_SEGMENTS)
        (se, it, tm, ty, n), keep = _interaction_columns(items, times_micros, types, sessions)
        _check(_lib.aisle_popularity_apply(self._h, se, it, tm, ty, n, segment))
        del keep

    def publish(self):
        v = c_uint64()
        _check(_lib.aisle_popularity_publish(self._h, byref(v)))
        return v.value

    def retrieve(self, quota=10, mode=PopularityMode.POPULAR, categories=None, segment=0,
                 allowed=None, exclude=None):
        """Most popular (scoped to `categories`, else `segment`, else global) or trending."""
        quota = _ints.checked(quota, "Popularity.retrieve: quota", 0, MAX_QUOTA)
        segment = _ints.checked(segment, "Popularity.retrieve: segment", 0, MAX_SEGMENTS)
        keep = []
        c, cn, ck = _arrays.vector(categories, "uint32", "categories")
        params = _search_params("Popularity.retrieve", None, allowed, exclude, keep)
        md = int(coerce(PopularityMode, mode, "mode"))
        h = self._h
        return _run_topk(
            lambda it, sc, n: _lib.aisle_popularity_retrieve(
                h, md, c, cn, segment, quota, params, it, sc, n
            ),
            quota,
        )
