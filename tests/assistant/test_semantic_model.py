"""The model loader reports mistakes by file, line and field."""

from __future__ import annotations

from pathlib import Path

import pytest

from parley.assistant.semantic_model import ModelError, load_model, parse_model, validate_model

GOOD = """\
name: shop
views:
  orders:
    table: analytics.orders
    dimensions:
      id: {type: number, primary_key: true}
      status: {type: string, synonyms: [state]}
      created_at: {type: timestamp, timeframes: [month, year]}
    measures:
      total:
        type: sum
        sql: amount
      count: {type: count}
  customers:
    table: customers
    dimensions:
      id: {type: number}
topics:
  orders:
    base_view: orders
    default_time_field: orders.created_at
    joins:
      customers: {foreign_key: orders.id, primary_key: customers.id}
"""


def problems(text: str) -> list[str]:
    with pytest.raises(ModelError) as caught:
        parse_model(text, source="model.yaml")
    return [str(p) for p in caught.value.problems]


def test_a_good_model_loads(tmp_path: Path) -> None:
    path = tmp_path / "shop.yaml"
    path.write_text(GOOD)
    model = load_model(path)
    assert model.field("orders.total").is_measure
    assert model.topic_views("orders") == ["orders", "customers"]


def test_unknown_aggregate_names_file_line_and_field() -> None:
    text = GOOD.replace("type: sum", "type: summ")
    assert problems(text) == [
        "model.yaml:11: views.orders.measures.total.type: unknown aggregate 'summ' "
        "(expected one of sum, count, count_distinct, average, min, max)"
    ]


def test_unknown_key_and_missing_key() -> None:
    text = GOOD.replace("synonyms: [state]", "synonym: [state]").replace(
        "    table: customers\n", ""
    )
    found = problems(text)
    assert "model.yaml:7: views.orders.dimensions.status.synonym: unknown key 'synonym'" in found
    assert "model.yaml:14: views.customers.table: is required" in found


def test_bad_dimension_type_and_timeframe() -> None:
    text = GOOD.replace("type: string", "type: text").replace("[month, year]", "[month, decade]")
    found = problems(text)
    assert any(
        p.startswith("model.yaml:7: views.orders.dimensions.status.type: unknown type 'text'")
        for p in found
    )
    assert any(
        p.startswith(
            "model.yaml:8: views.orders.dimensions.created_at.timeframes.1: "
            "unknown timeframe 'decade'"
        )
        for p in found
    )


def test_references_to_missing_views_and_fields() -> None:
    text = GOOD.replace("foreign_key: orders.id", "foreign_key: orders.customer_id").replace(
        "base_view: orders", "base_view: order"
    )
    assert problems(text) == ["model.yaml:20: topics.orders.base_view: unknown view 'order'"]
    text = GOOD.replace("foreign_key: orders.id", "foreign_key: orders.customer_id")
    assert problems(text) == [
        "model.yaml:23: topics.orders.joins.customers.foreign_key: "
        "unknown dimension 'orders.customer_id'"
    ]
    text = GOOD.replace("default_time_field: orders.created_at", "default_time_field: orders.id")
    assert problems(text) == [
        "model.yaml:21: topics.orders.default_time_field: 'orders.id' is not a date or "
        "timestamp dimension"
    ]


@pytest.mark.parametrize(
    "sql",
    [
        "(SELECT password FROM secrets)",
        "amount; DROP TABLE orders",
        "pg_sleep(10)",
        "db.schema.tbl.col",
    ],
)
def test_model_sql_outside_the_safe_language_is_refused(sql: str) -> None:
    found = problems(GOOD.replace("sql: amount", f'sql: "{sql}"'))
    assert len(found) == 1 and found[0].startswith(
        "model.yaml:12: views.orders.measures.total.sql:"
    )


def test_measure_needing_an_unjoined_view_is_reported() -> None:
    text = GOOD.replace("sql: amount", "sql: amount - refunds.amount")
    assert problems(text) == [
        "model.yaml:12: views.orders.measures.total.sql: unknown view 'refunds'"
    ]


def test_measure_needing_a_view_the_topic_does_not_join() -> None:
    text = GOOD.replace("sql: amount", "sql: amount - customers.id").replace(
        "    joins:\n      customers: {foreign_key: orders.id, primary_key: customers.id}\n", ""
    )
    assert problems(text) == [
        "model.yaml:19: topics.orders.joins: orders.total needs view "
        "'customers', which is not joined"
    ]


def test_invalid_yaml_reports_its_line() -> None:
    found = problems(GOOD.replace("      count: {type: count}", "      count: {type: count"))
    assert len(found) == 1 and found[0].startswith("model.yaml:1") and "not valid YAML" in found[0]


def test_json_definitions_validate_without_lines() -> None:
    with pytest.raises(ModelError, match=r"^<model>: views.x.table: is required$"):
        validate_model({"views": {"x": {}}})
