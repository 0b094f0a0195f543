"""The demo model's measures mean what docs/assistant.md says, checked against raw SQL."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from parley.assistant.compiler import compile_query
from parley.assistant.query import SemanticQuery
from parley.demo.model import load_demo_model

MEANINGS = [
    ("order_items.revenue", "SELECT SUM(sale_price) FROM order_items"),
    ("order_items.items_sold", "SELECT COUNT(*) FROM order_items"),
    ("order_items.order_count", "SELECT COUNT(DISTINCT order_id) FROM order_items"),
    ("order_items.customer_count", "SELECT COUNT(DISTINCT user_id) FROM order_items"),
    ("order_items.average_sale_price", "SELECT AVG(sale_price) FROM order_items"),
    (
        "order_items.gross_margin",
        "SELECT SUM(i.sale_price - p.cost) FROM order_items i"
        " JOIN products p ON p.id = i.product_id",
    ),
]


@pytest.mark.parametrize(("field", "sql"), MEANINGS)
def test_measure_means_what_the_design_says(small_warehouse: Path, field: str, sql: str) -> None:
    compiled = compile_query(SemanticQuery(table="order_items", fields=[field]), load_demo_model())
    with duckdb.connect(str(small_warehouse), read_only=True) as con:
        ours = con.execute(compiled.sql, compiled.params).fetchone()
        theirs = con.execute(sql).fetchone()
    assert ours is not None and theirs is not None
    assert float(ours[0]) == pytest.approx(float(theirs[0]))


def test_user_count_in_the_users_topic_counts_every_user(small_warehouse: Path) -> None:
    compiled = compile_query(
        SemanticQuery(table="users", fields=["users.user_count"]), load_demo_model()
    )
    with duckdb.connect(str(small_warehouse), read_only=True) as con:
        assert con.execute(compiled.sql, compiled.params).fetchone() == (1_500,)


def test_topics_and_joins() -> None:
    model = load_demo_model()
    assert set(model.topics) == {"order_items", "users"}
    assert model.topics["order_items"].base_view == "order_items"
    assert model.topic_views("order_items") == [
        "order_items",
        "orders",
        "users",
        "products",
        "distribution_centers",
    ]
    assert model.topics["users"].base_view == "users"
    assert all(j.relationship == "many_to_one" for j in model.topics["order_items"].joins.values())


def test_every_field_is_described_or_named_plainly() -> None:
    model = load_demo_model()
    for key, found in model.fields.items():
        if found.is_measure:
            assert found.definition.synonyms, f"{key} has no synonyms for the planner"
            assert found.definition.label, key
    time_fields = [
        k for k, f in model.fields.items() if not f.is_measure and f.definition.type == "timestamp"
    ]
    assert "order_items.created_at" in time_fields and "users.created_at" in time_fields
