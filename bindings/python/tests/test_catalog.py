"""Catalog and CatalogBuilder."""

import math

import pytest

import aisle
from conftest import tolist


def test_from_records_accepts_items_and_dicts(array_path):
    records = [
        aisle.Item("a", category="Shoes>Running", brand="acme", price=10.5, stock=3,
                   attributes={"color": "red"}, embedding=[1.0, 0.0, 0.0]),
        {"id": "b", "category": "Shoes>Trail", "price": 20.0, "stock": 0,
         "embedding": [0.0, 1.0, 0.0]},
    ]
    with aisle.Catalog.from_records(records) as cat:
        assert len(cat) == 2
        assert cat.embedding_dim == 3
        assert cat.find("b") == 1
        assert cat.item_id(0) == "a"
        assert cat.ids() == ["a", "b"]
        assert "a" in cat and "zzz" not in cat
        assert tolist(cat.embedding(1)) == [0.0, 1.0, 0.0]
        emb = cat.embeddings()
        assert tolist(emb[0]) == [1.0, 0.0, 0.0]
        assert cat.indices(["b", "a"]) == [1, 0]


def test_numpy_embedding_rows_are_accepted():
    np = pytest.importorskip("numpy")
    if not aisle.numpy_enabled():
        pytest.skip("numpy path disabled")
    vecs = np.eye(4, dtype=np.float32)
    cat = aisle.Catalog.from_records(
        [aisle.Item("i%d" % i, price=1.0, embedding=vecs[i]) for i in range(4)])
    assert np.array_equal(cat.embeddings(), vecs)
    assert isinstance(cat.embedding(2), np.ndarray)
    cat.close()


def test_builder_errors_name_the_item_and_leave_the_builder_unchanged():
    with aisle.CatalogBuilder(embedding_dim=2) as b:
        assert b.add(id="x", price=1.0, embedding=[0.0, 1.0]) == 0
        with pytest.raises(aisle.InvalidArgument) as e:
            b.add(id="x", price=2.0, embedding=[1.0, 0.0])
        assert "x" in e.value.message
        with pytest.raises(aisle.InvalidArgument) as e:
            b.add(id="y", price=1.0, embedding=[1.0, 0.0, 0.0])
        assert "y" in e.value.message
        with pytest.raises(aisle.InvalidArgument) as e:
            b.add(id="z", price=-1.0, embedding=[1.0, 0.0])
        assert "z" in e.value.message
        with pytest.raises(aisle.InvalidArgument) as e:
            b.add(id="n", price=1.0, embedding=[math.nan, 0.0])
        assert "n" in e.value.message
        assert len(b) == 1
        cat = b.build()
        assert len(cat) == 1
        cat.close()


def test_record_validation_in_python():
    with pytest.raises(aisle.InvalidArgument) as e:
        aisle.Catalog.from_records([{"id": "a", "prise": 3}])
    assert "prise" in e.value.message
    with pytest.raises(aisle.InvalidArgument) as e:
        aisle.Catalog.from_records([{"price": 3}])
    assert "'id'" in e.value.message
    with pytest.raises(aisle.InvalidArgument):
        aisle.Catalog.from_records([42])
    with pytest.raises(aisle.InvalidArgument):
        aisle.Catalog.from_records([aisle.Item("nul\x00id")])


def test_empty_catalog_is_a_failed_precondition():
    with aisle.CatalogBuilder(0) as b:
        with pytest.raises(aisle.FailedPrecondition):
            b.build()


def test_load_csv_and_errors_name_file_and_line(tmp_path):
    good = tmp_path / "items.csv"
    good.write_text(
        "id,title,category,brand,price,stock,launch_time,color\n"
        "p1,Tee,Apparel>Tops,acme,12.5,4,1700000000,red\n"
        "p2,Cap,Apparel>Hats,,8,0,,blue\n"
    )
    with aisle.Catalog.load(good) as cat:
        assert cat.ids() == ["p1", "p2"]
        assert cat.embedding_dim == 0
        with pytest.raises(aisle.FailedPrecondition):
            cat.embedding(0)
    bad = tmp_path / "bad.csv"
    bad.write_text("id,price,stock\np1,12.5,4\np2,cheap,1\n")
    with pytest.raises(aisle.InvalidArgument) as e:
        aisle.Catalog.load(bad)
    assert "bad.csv" in e.value.message and "3" in e.value.message and "price" in e.value.message
    with pytest.raises(aisle.NotFound) as e:
        aisle.Catalog.load(tmp_path / "nope.csv")
    assert "nope.csv" in e.value.message


def test_builder_add_file_and_embeddings_file(tmp_path):
    np = pytest.importorskip("numpy")
    (tmp_path / "items.jsonl").write_text(
        '{"id": "j1", "price": 1.0, "stock": 1}\n{"id": "j2", "price": 2.0, "stock": 2}\n')
    emb = np.arange(6, dtype=np.float32).reshape(2, 3)
    np.save(tmp_path / "emb.npy", emb)
    with aisle.CatalogBuilder() as b:
        b.add_file(tmp_path / "items.jsonl")
        b.attach_embeddings_file(tmp_path / "emb.npy")
        assert len(b) == 2
        with b.build() as cat:
            assert cat.embedding_dim == 3
            assert tolist(cat.embedding(1)) == [3.0, 4.0, 5.0]


def test_synthetic_catalog_is_deterministic():
    with aisle.Catalog.synthetic(500, dim=8, seed=3) as a, aisle.Catalog.synthetic(
            500, dim=8, seed=3) as b:
        assert len(a) == 500 and a.embedding_dim == 8
        assert a.item_id(42) == "sku-0000042"
        assert tolist(a.embedding(42)) == tolist(b.embedding(42))
    with pytest.raises(aisle.InvalidArgument):
        aisle.Catalog.synthetic(0)


def test_lookup_errors():
    with aisle.Catalog.synthetic(10, dim=0, seed=1) as cat:
        with pytest.raises(aisle.NotFound) as e:
            cat.find("sku-missing")
        assert "sku-missing" in e.value.message
        assert isinstance(e.value, LookupError)
        with pytest.raises(aisle.OutOfRange):
            cat.item_id(10)
        with pytest.raises(IndexError):
            cat.item_id(-1)


def test_context_manager_and_del_destroy_the_handle():
    cat = aisle.Catalog.synthetic(5, seed=1)
    with cat as c:
        assert c is cat
    assert cat.closed
    with pytest.raises(aisle.FailedPrecondition):
        len(cat)
    with pytest.raises(aisle.FailedPrecondition):
        with cat:
            pass
    # Garbage collection of an unclosed object is harmless.
    aisle.Catalog.synthetic(5, seed=1)
