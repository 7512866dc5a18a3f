"""Feature schemas and stores (the columns rankers are bound to)."""

import dataclasses
import math
from ctypes import POINTER, byref, c_char_p, c_float, c_size_t, c_uint8
from typing import Any, Optional

from . import _arrays, _ints, _lib, errors
from ._handle import Handle, new_out
from .constants import MAX_ITEMS, FeatureGroup, StalePolicy, coerce

_check = errors.check


@dataclasses.dataclass
class Feature:
    """One column of a :class:`FeatureSchema` (columns are in declaration order).

    `default` NaN keeps missing values NaN; `source_bit` >= 0 (retrieval group
    only) makes the column the membership flag of that candidate source.
    """

    name: str
    group: Any = FeatureGroup.ITEM
    default: float = math.nan
    source_bit: int = -1


@dataclasses.dataclass
class Group:
    """Freshness of a feature group: older than `max_age_seconds` is stale."""

    group: Any
    max_age_seconds: float = math.inf
    stale_policy: Any = StalePolicy.USE_VALUE


class FeatureSchema(Handle):
    """The ordered feature columns of a ranker's input matrix. Immutable, thread-safe.

    ::

        schema = aisle.FeatureSchema(
            [aisle.Feature("ann_score", "retrieval"), aisle.Feature("price", "item")],
            groups=[aisle.Group("item", max_age_seconds=3600)])
        schema.names, schema.column_of("price")
    """

    _destroy_name = "aisle_feature_schema_destroy"
    _what = "FeatureSchema"

    def __init__(self, features, groups=()):
        """`features`: Feature objects, names (item group) or (name, group, default)
        tuples; `groups`: freshness per group (a group used but not listed is
        never stale). Raises InvalidArgument naming the offending feature or group.
        """
        b = new_out(_lib.feature_schema_builder_t)
        _check(_lib.aisle_feature_schema_builder_create(byref(b)))
        try:
            declared = set()
            group_list = []
            for g in groups:
                if not isinstance(g, Group):
                    g = Group(*g) if isinstance(g, (tuple, list)) else Group(**g)
                group_list.append(g)
            feature_list = []
            for f in features:
                if isinstance(f, str):
                    f = Feature(f)
                elif not isinstance(f, Feature):
                    f = Feature(*f) if isinstance(f, (tuple, list)) else Feature(**f)
                feature_list.append(f)
            # Groups used by a feature but not declared get the defaults
            # (never stale).
            for f in feature_list:
                gv = coerce(FeatureGroup, f.group, "feature '%s' group" % f.name)
                if gv not in {coerce(FeatureGroup, g.group, "group") for g in group_list} | declared:
                    group_list.append(Group(gv))
                    declared.add(gv)
            for g in group_list:
                _check(
                    _lib.aisle_feature_schema_builder_add_group(
                        b,
                        int(coerce(FeatureGroup, g.group, "feature group")),
                        float(g.max_age_seconds),
                        int(coerce(StalePolicy, g.stale_policy, "stale policy")),
                    )
                )
            for f in feature_list:
                _check(
                    _lib.aisle_feature_schema_builder_add_feature(
                        b,
                        _arrays.encode(f.name, "Feature.name"),
                        int(coerce(FeatureGroup, f.group, "feature '%s' group" % f.name)),
                        float(f.default),
                        _ints.checked(f.source_bit, "feature %r: source_bit" % (f.name,),
                                      *_ints.INT32),
                    )
                )
            out = new_out(_lib.feature_schema_t)
            _check(_lib.aisle_feature_schema_builder_build(b, byref(out)))
        finally:
            _lib.aisle_feature_schema_builder_destroy(b)
        super().__init__(out)

    def __len__(self):
        n = c_size_t()
        _check(_lib.aisle_feature_schema_size(self._h, byref(n)))
        return n.value

    def column_of(self, name):
        """Column of a feature; NotFound naming it."""
        n = c_size_t()
        _check(
            _lib.aisle_feature_schema_column_of(
                self._h, _arrays.encode(name, "name"), byref(n)
            )
        )
        return n.value

    def name(self, column):
        """The name of a column; OutOfRange past the last."""
        column = _ints.index(column, "FeatureSchema.name: column", _ints.UINT64[1])
        s = c_char_p()
        _check(_lib.aisle_feature_schema_name(self._h, column, byref(s)))
        return _arrays.decode(s.value)

    @property
    def names(self):
        """Every feature name, in column order."""
        return [self.name(i) for i in range(len(self))]


class ItemFeatureStore(Handle):
    """Immutable per-item feature columns (NaN = missing). Thread-safe.

    ::

        store = aisle.ItemFeatureStore(len(catalog), {"margin": margins},
                                       built_at_micros=now)
        store.column("margin")
    """

    _destroy_name = "aisle_item_feature_store_destroy"
    _what = "ItemFeatureStore"

    def __init__(self, num_items, columns, built_at_micros=0):
        """`columns`: a mapping (or pairs) name -> num_items values.

        InvalidArgument for a wrong count, an empty or duplicate name, or +-Inf.
        """
        num_items = _ints.checked(num_items, "ItemFeatureStore: num_items", 0, MAX_ITEMS)
        built_at_micros = _ints.checked(built_at_micros, "ItemFeatureStore: built_at_micros",
                                        *_ints.INT64)
        b = new_out(_lib.item_feature_store_builder_t)
        _check(_lib.aisle_item_feature_store_builder_create(num_items, byref(b)))
        try:
            items = columns.items() if hasattr(columns, "items") else columns
            for name, values in items:
                ptr, n, keep = _arrays.vector(values, "float32", "column '%s'" % name)
                _check(
                    _lib.aisle_item_feature_store_builder_add_column(
                        b, _arrays.encode(name, "column name"), ptr, n, built_at_micros
                    )
                )
                del keep
            out = new_out(_lib.item_feature_store_t)
            _check(_lib.aisle_item_feature_store_builder_build(b, byref(out)))
        finally:
            _lib.aisle_item_feature_store_builder_destroy(b)
        super().__init__(out)

    @property
    def num_items(self):
        n = c_size_t()
        _check(_lib.aisle_item_feature_store_num_items(self._h, byref(n)))
        return n.value

    @property
    def num_columns(self):
        n = c_size_t()
        _check(_lib.aisle_item_feature_store_num_columns(self._h, byref(n)))
        return n.value

    def column(self, name):
        """A copy of a column (ndarray or list); NotFound naming it."""
        data = POINTER(c_float)()
        n = c_size_t()
        _check(
            _lib.aisle_item_feature_store_column(
                self._h, _arrays.encode(name, "name"), byref(data), byref(n)
            )
        )
        return _arrays.copy_borrowed(data, n.value, "float32")


@dataclasses.dataclass
class OnlineValues:
    """The values of one key of an :class:`OnlineFeatureStore` and their stamps."""

    values: Any
    stamps_micros: Any  # UNKNOWN_TIME for a column never written


class OnlineFeatureStore(Handle):
    """Live user or session features (one group of a schema). Thread-safe.

    ::

        users = aisle.OnlineFeatureStore(schema, "user")
        users.put("u-17", [0.3, 12.0], at_micros=now)
        users.get("u-17").values
    """

    _destroy_name = "aisle_online_feature_store_destroy"
    _what = "OnlineFeatureStore"

    def __init__(self, schema, group):
        out = new_out(_lib.online_feature_store_t)
        _check(
            _lib.aisle_online_feature_store_create(
                schema._h, int(coerce(FeatureGroup, group, "feature group")), byref(out)
            )
        )
        super().__init__(out)

    @property
    def width(self):
        n = c_size_t()
        _check(_lib.aisle_online_feature_store_width(self._h, byref(n)))
        return n.value

    def put(self, key, values, at_micros):
        """Writes all `width` values of `key`; InvalidArgument for a wrong count or NaN."""
        at_micros = _ints.checked(at_micros, "OnlineFeatureStore.put: at_micros", *_ints.INT64)
        ptr, n, keep = _arrays.vector(values, "float32", "values of '%s'" % key)
        _check(
            _lib.aisle_online_feature_store_put(
                self._h, _arrays.encode(key, "key"), ptr, n, at_micros
            )
        )
        del keep

    def get(self, key) -> Optional[OnlineValues]:
        """The key's values and stamps, or None for an unknown key."""
        w = self.width
        vals = _arrays.Output(w, "float32")
        stamps = _arrays.Output(w, "int64")
        found = c_uint8()
        _check(
            _lib.aisle_online_feature_store_read(
                self._h, _arrays.encode(key, "key"), vals.ptr, stamps.ptr, w, byref(found)
            )
        )
        if not found.value:
            return None
        return OnlineValues(vals.result(), stamps.result())

