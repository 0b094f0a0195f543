"""Which chart a result gets: line over time, bars over categories, or none (the 422)."""

from __future__ import annotations

from typing import Any

import pytest

from parley.charts import NothingToChart, chart_spec
from parley.charts.spec import MAX_BARS, label_of

MONTHS = [f"2026-{m:02d}-01T00:00:00" for m in range(1, 7)]


def test_a_timeframe_column_gets_a_line_over_time_in_utc() -> None:
    spec = chart_spec(
        ["order_items.created_at[month]", "order_items.revenue"],
        [[month, 1000.5 * i] for i, month in enumerate(MONTHS)],
        {"table": "order_items", "fields": ["order_items.created_at[month]"]},
    )
    assert spec["mark"]["type"] == "line"
    x = spec["encoding"]["x"]
    assert x["type"] == "temporal" and x["scale"] == {"type": "utc"}
    assert x["axis"]["format"] == "%b %Y"
    assert spec["encoding"]["y"]["type"] == "quantitative"
    # Zone-less timestamps are pinned to UTC so the renderer's zone cannot shift them.
    assert spec["data"]["values"][0] == {"c0": "2026-01-01T00:00:00Z", "c1": 0.0}
    assert spec["title"] == "Revenue by Created at (month)"


def test_iso_date_values_make_a_time_axis_even_without_a_timeframe() -> None:
    spec = chart_spec(["orders.day", "orders.count"], [["2026-03-01", 4], ["2026-03-02", 7]])
    assert spec["mark"]["type"] == "line"
    assert spec["data"]["values"][1]["c0"] == "2026-03-02T00:00:00Z"
    assert "format" not in spec["encoding"]["x"]["axis"]


def test_categories_get_bars_in_the_querys_order() -> None:
    rows: list[list[Any]] = [["Complete", 20020], ["Shipped", 9869], ["Cancelled", 7588]]
    spec = chart_spec(["order_items.status", "order_items.order_count"], rows)
    assert spec["mark"]["type"] == "bar"
    assert spec["encoding"]["x"]["type"] == "nominal"
    assert spec["encoding"]["x"]["sort"] is None
    assert [v["c0"] for v in spec["data"]["values"]] == ["Complete", "Shipped", "Cancelled"]
    assert "color" not in spec["encoding"]


def test_a_second_dimension_groups_bars_and_colours_lines() -> None:
    bars = chart_spec(
        ["users.region", "order_items.status", "order_items.order_count"],
        [["Asia", "Complete", 3], ["Asia", "Shipped", 2], ["Europe", "Complete", 5]],
    )
    assert bars["mark"]["type"] == "bar"
    assert bars["encoding"]["color"]["field"] == "c1"
    assert bars["encoding"]["xOffset"]["field"] == "c1"
    lines = chart_spec(
        ["users.region", "order_items.created_at[quarter]", "order_items.revenue"],
        [["Asia", "2026-01-01", 1.0], ["Europe", "2026-01-01", 2.0], ["Asia", "2026-04-01", 3.0]],
    )
    # The time dimension is the x axis wherever it sits among the columns.
    assert lines["mark"]["type"] == "line"
    assert lines["encoding"]["x"]["field"] == "c1"
    assert lines["encoding"]["color"]["field"] == "c0"
    assert lines["title"] == "Revenue by Created at (quarter) and Region"


def test_many_or_long_categories_turn_the_bars_sideways_and_are_capped() -> None:
    rows: list[list[Any]] = [[f"Category {i}", i] for i in range(MAX_BARS + 10)]
    spec = chart_spec(["products.category", "order_items.revenue"], rows)
    assert spec["encoding"]["y"]["field"] == "c0"  # categories down the side
    assert len(spec["data"]["values"]) == MAX_BARS
    assert spec["title"].endswith(f"(first {MAX_BARS} of {MAX_BARS + 10})")


def test_two_numeric_columns_chart_the_first_over_the_second() -> None:
    spec = chart_spec(["users.age", "users.user_count"], [[27, 194], [60, 189], [37, 187]])
    assert spec["mark"]["type"] == "bar"
    assert spec["encoding"]["x"]["field"] == "c0"
    assert spec["encoding"]["y"]["field"] == "c1"


@pytest.mark.parametrize(
    ("columns", "rows", "reason"),
    [
        (["order_items.revenue"], [[9483331.78]], "single number"),
        (["order_items.revenue", "order_items.order_count"], [[1.0, 2]], "single number"),
        (["order_items.status", "order_items.order_count"], [], "no rows"),
        (["order_items.status", "users.region"], [["Complete", "Asia"]], "no measure"),
        (["order_items.status"], [[None], [None]], "no measure"),
        (["order_items.revenue"], [[1.0], [2.0]], "no dimension"),
    ],
)
def test_nothing_to_chart(columns: list[str], rows: list[list[Any]], reason: str) -> None:
    with pytest.raises(NothingToChart, match=reason):
        chart_spec(columns, rows)


def test_labels_read_like_words() -> None:
    assert label_of("order_items.created_at[month]") == "Created at (month)"
    assert label_of("users.region") == "Region"
    assert label_of("count") == "Count"
