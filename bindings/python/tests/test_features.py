"""FeatureSchema, ItemFeatureStore and OnlineFeatureStore."""

import math

import pytest

import aisle
from conftest import tolist


def test_schema_columns_and_names():
    with aisle.FeatureSchema(
        [aisle.Feature("ann_score", "retrieval", source_bit=0), aisle.Feature("price", "item"),
         ("user_ctr", aisle.FeatureGroup.USER, 0.0)],
        groups=[aisle.Group("user", 3600.0, "use_default")],
    ) as s:
        assert len(s) == 3
        assert s.names == ["ann_score", "price", "user_ctr"]
        assert s.column_of("price") == 1
        with pytest.raises(aisle.NotFound) as e:
            s.column_of("margin")
        assert "margin" in e.value.message
        with pytest.raises(aisle.OutOfRange):
            s.name(3)


def test_schema_errors_name_the_feature():
    with pytest.raises(aisle.InvalidArgument) as e:
        aisle.FeatureSchema([aisle.Feature("dup", "item"), aisle.Feature("dup", "item")])
    assert "dup" in e.value.message
    with pytest.raises(aisle.InvalidArgument):
        aisle.FeatureSchema([aisle.Feature("x", "weather")])


def test_item_feature_store(array_path):
    with aisle.ItemFeatureStore(3, {"margin": [0.1, math.nan, 0.3], "rating": [4, 5, 3]},
                                built_at_micros=1) as st:
        assert st.num_items == 3 and st.num_columns == 2
        col = tolist(st.column("margin"))
        assert col[0] == pytest.approx(0.1) and math.isnan(col[1])
        with pytest.raises(aisle.NotFound):
            st.column("nope")
    with pytest.raises(aisle.InvalidArgument) as e:
        aisle.ItemFeatureStore(3, {"short": [1.0]})
    assert "short" in e.value.message
    with pytest.raises(aisle.InvalidArgument):
        aisle.ItemFeatureStore(2, {"inf": [1.0, math.inf]})


def test_online_feature_store(array_path):
    schema = aisle.FeatureSchema(
        [aisle.Feature("user_ctr", "user"), aisle.Feature("user_orders", "user"),
         aisle.Feature("price", "item")])
    with schema, aisle.OnlineFeatureStore(schema, "user") as users:
        assert users.width == 2
        assert users.get("u1") is None
        users.put("u1", [0.25, 3.0], at_micros=1234)
        got = users.get("u1")
        assert tolist(got.values) == [0.25, 3.0]
        assert tolist(got.stamps_micros) == [1234, 1234]
        with pytest.raises(aisle.InvalidArgument):
            users.put("u1", [1.0], at_micros=1)
        with pytest.raises(aisle.InvalidArgument):
            users.put("u1", [math.nan, 1.0], at_micros=1)
        assert tolist(users.get("u1").values) == [0.25, 3.0]
        with pytest.raises(aisle.InvalidArgument):
            aisle.OnlineFeatureStore(schema, "session")  # no session features
