"""Catalogs: the items aisle serves, with dense indices 0..n-1."""

import dataclasses
from ctypes import POINTER, byref, c_char, c_float, c_size_t, c_uint32, sizeof
from typing import Dict, Optional, Sequence

from . import _arrays, _ints, _lib, errors
from ._handle import Handle, new_out
from .constants import MAX_DIM, MAX_ITEMS, UNKNOWN_TIME

_check = errors.check


@dataclasses.dataclass
class Item:
    """One catalog item, as given to :meth:`Catalog.from_records`.

    `category` is a path ("Electronics>Audio>Headphones"); `embedding` a
    sequence of floats (or a numpy row) of the catalog's dimension.
    """

    id: str
    category: Optional[str] = None
    brand: Optional[str] = None
    title: Optional[str] = None
    price: float = 0.0
    stock: int = 0
    launch_time_micros: int = UNKNOWN_TIME
    attributes: Dict[str, str] = dataclasses.field(default_factory=dict)
    embedding: Optional[Sequence[float]] = None


_ITEM_FIELDS = {f.name for f in dataclasses.fields(Item)}


def _as_item(record, position):
    if isinstance(record, Item):
        return record
    if isinstance(record, dict):
        unknown = set(record) - _ITEM_FIELDS
        if unknown:
            raise errors.InvalidArgument(
                errors.INVALID_ARGUMENT,
                "record %d: unknown field(s) %s (known: %s)"
                % (position, ", ".join(sorted(unknown)), ", ".join(sorted(_ITEM_FIELDS))),
            )
        if "id" not in record:
            raise errors.InvalidArgument(
                errors.INVALID_ARGUMENT, "record %d: field 'id' is required" % position
            )
        return Item(**record)
    raise errors.InvalidArgument(
        errors.INVALID_ARGUMENT,
        "record %d: expected aisle.Item or dict, got %s" % (position, type(record).__name__),
    )


class CatalogBuilder(Handle):
    """Accumulates items and files, then builds an immutable :class:`Catalog`.

    Not thread-safe (use one builder per thread). ::

        with aisle.CatalogBuilder(embedding_dim=8) as b:
            b.add(aisle.Item("sku-1", category="Shoes>Running", price=89.0, stock=3,
                             embedding=[0.1] * 8))
            catalog = b.build()
    """

    _destroy_name = "aisle_catalog_builder_destroy"
    _what = "CatalogBuilder"

    def __init__(self, embedding_dim=-1):
        """`embedding_dim`: 0 for none, -1 to take it from the first item."""
        dim = _ints.checked(embedding_dim, "CatalogBuilder: embedding_dim", -1, MAX_DIM)
        out = new_out(_lib.catalog_builder_t)
        _check(_lib.aisle_catalog_builder_create(dim, byref(out)))
        super().__init__(out)

    def add(self, item=None, **fields):
        """Validates and appends one item (an :class:`Item`, a dict, or keywords).

        Raises InvalidArgument naming the item id (duplicate id, bad price,
        wrong-length or NaN embedding, ...); the builder is unchanged then.
        Returns the new item's index.
        """
        if item is None:
            item = Item(**fields)
        item = _as_item(item, len(self))
        keep = []
        spec = _lib.ItemSpec()
        spec.size = sizeof(_lib.ItemSpec)
        spec.id = _arrays.encode(item.id, "Item.id")
        spec.category = _arrays.encode(item.category, "Item.category")
        spec.brand = _arrays.encode(item.brand, "Item.brand")
        spec.title = _arrays.encode(item.title, "Item.title")
        spec.price = float(item.price)
        spec.stock = _ints.checked(item.stock, "item %r: stock" % (item.id,), *_ints.INT32)
        spec.launch_time_micros = _ints.checked(
            item.launch_time_micros, "item %r: launch_time_micros" % (item.id,), *_ints.INT64
        )
        if item.attributes:
            keys, n, k1 = _arrays.strings(list(item.attributes.keys()), "Item.attributes keys")
            vals, _, k2 = _arrays.strings(
                [str(v) for v in item.attributes.values()], "Item.attributes values"
            )
            keep += [k1, k2]
            spec.attribute_keys = keys
            spec.attribute_values = vals
            spec.attribute_count = n
        if item.embedding is not None:
            ptr, n, k3 = _arrays.vector(item.embedding, "float32", "item %s embedding" % item.id)
            keep.append(k3)
            spec.embedding = ptr
            spec.embedding_len = n
        index = len(self)
        _check(_lib.aisle_catalog_builder_add_item(self._h, byref(spec)))
        return index

    def add_file(self, path):
        """Adds every item of a .csv / .jsonl / .ndjson file (see docs/catalog.md)."""
        _check(_lib.aisle_catalog_builder_add_file(self._h, _arrays.path(path)))

    def attach_embeddings_file(self, path):
        """Attaches every item's embedding from a .npy or AISLEEMB file."""
        _check(
            _lib.aisle_catalog_builder_attach_embeddings_file(self._h, _arrays.path(path))
        )

    def __len__(self):
        n = c_size_t()
        _check(_lib.aisle_catalog_builder_size(self._h, byref(n)))
        return n.value

    def build(self):
        """Builds the catalog; the builder is left empty.

        FailedPrecondition for an empty catalog or missing embeddings.
        """
        out = new_out(_lib.catalog_t)
        _check(_lib.aisle_catalog_builder_build(self._h, byref(out)))
        return Catalog(out)


class Catalog(Handle):
    """An immutable catalog. Thread-safe.

    ::

        catalog = aisle.Catalog.synthetic(10_000, dim=32, seed=7)
        i = catalog.find("sku-0000042")       # dense index
        catalog.item_id(i), catalog.embedding(i)

    Snapshots share the catalog: closing this handle after handing it to a
    snapshot is fine.
    """

    _destroy_name = "aisle_catalog_destroy"
    _what = "Catalog"

    def __init__(self, ptr):
        super().__init__(ptr)

    @classmethod
    def from_records(cls, records, embedding_dim=-1):
        """Builds a catalog from :class:`Item` objects or dicts with Item's fields."""
        with CatalogBuilder(embedding_dim) as b:
            for r in records:
                b.add(r)
            return b.build()

    @classmethod
    def load(cls, items_path, embeddings_path=None):
        """Loads items (.csv / .jsonl) and optional embeddings (.npy / AISLEEMB).

        Errors name the file, line and field; NotFound for a missing file.
        """
        out = new_out(_lib.catalog_t)
        _check(
            _lib.aisle_catalog_load(
                _arrays.path(items_path, "items_path"),
                _arrays.path(embeddings_path, "embeddings_path") if embeddings_path else None,
                byref(out),
            )
        )
        return cls(out)

    @classmethod
    def synthetic(cls, items, dim=0, seed=1):
        """A deterministic synthetic storefront; ids are "sku-0000000", ..."""
        items = _ints.checked(items, "Catalog.synthetic: items", 1, MAX_ITEMS)
        dim = _ints.checked(dim, "Catalog.synthetic: dim", 0, MAX_DIM)
        seed = _ints.checked(seed, "Catalog.synthetic: seed", *_ints.UINT64)
        out = new_out(_lib.catalog_t)
        _check(_lib.aisle_catalog_create_synthetic(items, dim, seed, byref(out)))
        return cls(out)

    def __len__(self):
        n = c_size_t()
        _check(_lib.aisle_catalog_size(self._h, byref(n)))
        return n.value

    @property
    def embedding_dim(self):
        """Embedding dimension (0 without embeddings)."""
        n = c_size_t()
        _check(_lib.aisle_catalog_embedding_dim(self._h, byref(n)))
        return n.value

    def find(self, item_id):
        """Dense index of an external id; NotFound naming it."""
        out = c_uint32()
        _check(_lib.aisle_catalog_find(self._h, _arrays.encode(item_id, "item_id"), byref(out)))
        return out.value

    def __contains__(self, item_id):
        try:
            self.find(item_id)
            return True
        except errors.NotFound:
            return False

    def item_id(self, index):
        """External id of item `index`; OutOfRange for a bad index."""
        index = _ints.index(index, "Catalog.item_id: index")
        data = POINTER(c_char)()
        n = c_size_t()
        _check(_lib.aisle_catalog_item_id(self._h, index, byref(data), byref(n)))
        return data[: n.value].decode("utf-8", "replace")

    def ids(self):
        """Every external id, in index order."""
        h = self._h
        fn = _lib.raw.aisle_catalog_item_id  # indices below len(self): nothing to check
        data = POINTER(c_char)()
        n = c_size_t()
        out = []
        for i in range(len(self)):
            _check(fn(h, i, byref(data), byref(n)))
            out.append(data[: n.value].decode("utf-8", "replace"))
        return out

    def indices(self, item_ids):
        """Dense indices of external ids (NotFound for the first unknown one)."""
        return [self.find(i) for i in item_ids]

    def embedding(self, index):
        """A copy of item `index`'s embedding (ndarray or list).

        FailedPrecondition without embeddings, OutOfRange for a bad index.
        """
        index = _ints.index(index, "Catalog.embedding: index")
        data = POINTER(c_float)()
        n = c_size_t()
        _check(_lib.aisle_catalog_item_embedding(self._h, index, byref(data), byref(n)))
        return _arrays.copy_borrowed(data, n.value, "float32")

    def embeddings(self):
        """Every embedding as a (items x dim) matrix (ndarray or list of lists)."""
        rows = [self.embedding(i) for i in range(len(self))]
        if _arrays.np is not None:
            np = _arrays.np
            return np.stack(rows) if rows else np.empty((0, self.embedding_dim), np.float32)
        return rows

