"""Every kind of query the compiler produces, over the demo model: the golden-SQL tests
compile each for every dialect, and the engines that run here answer each for real."""

from __future__ import annotations

from typing import Any

from parley.assistant.query import SemanticQuery

RANGE_2025 = {"gte": "2025-01-01", "lt": "2026-01-01"}


def _q(table: str, fields: list[str], **rest: Any) -> SemanticQuery:
    return SemanticQuery.model_validate({"table": table, "fields": fields, **rest})


SHAPES: dict[str, SemanticQuery] = {
    **{
        f"grain_{grain}": _q(
            "order_items",
            [f"order_items.created_at[{grain}]", "order_items.revenue"],
            filters={"order_items.created_at": RANGE_2025},
        )
        for grain in ("date", "week", "month", "quarter", "year")
    },
    "filter_on_a_grain": _q(
        "order_items",
        ["order_items.created_at[month]", "order_items.items_sold"],
        filters={"order_items.created_at[month]": {"gte": "2025-03-01", "lt": "2025-06-01"}},
    ),
    "filter_equal_and_one_of": _q(
        "order_items",
        ["users.country", "order_items.order_count"],
        filters={"users.region": "Europe", "order_items.status": ["Complete", "Shipped"]},
    ),
    "filter_not_keeps_nulls": _q(
        "order_items",
        ["order_items.status", "order_items.items_sold"],
        filters={"order_items.status": {"not": "Cancelled"}},
    ),
    "filter_null_and_not_null": _q(
        "orders",
        ["orders.status", "orders.order_count"],
        filters={"orders.returned_at": None, "orders.shipped_at": {"is_null": False}},
    ),
    "filter_text_match": _q(
        "order_items",
        ["products.brand", "order_items.revenue"],
        filters={
            "products.category": {"contains": "SWEAT"},
            "products.brand": {"starts_with": "n"},
        },
    ),
    "filter_number_range": _q(
        "users",
        ["users.age_group", "users.user_count"],
        filters={"users.age": {"gte": 25, "lt": 45}},
    ),
    "filter_on_a_measure": _q(
        "users",
        ["users.country", "users.user_count"],
        filters={"users.user_count": {"gte": 50}},
    ),
    "ranking_top_5": _q(
        "order_items",
        ["products.brand", "order_items.revenue"],
        filters={"order_items.created_at": RANGE_2025},
        sorts=[{"column_name": "order_items.revenue", "sort_descending": True}],
        limit=5,
    ),
    "ranking_bottom_3": _q(
        "order_items",
        ["products.category", "order_items.items_sold"],
        sorts=[{"column_name": "order_items.items_sold"}],
        limit=3,
    ),
    "join_two_hops": _q(
        "order_items",
        ["distribution_centers.name", "order_items.gross_margin", "order_items.customer_count"],
    ),
    "joined_distinct_count": _q(
        "order_items",
        [
            "order_items.created_at[year]",
            "products.product_count",
            "order_items.average_sale_price",
        ],
    ),
    "dimensions_only": _q("users", ["users.region", "users.gender"]),
    "computed_dimension": _q(
        "users",
        ["users.age_group", "users.traffic_source", "users.user_count", "users.average_age"],
        filters={"users.created_at[year]": {"gte": "2024-01-01"}},
    ),
}

# Refused the same way whatever the dialect: an average of a joined view's rows would
# count each user once per order item.
FAN_OUT = _q("order_items", ["users.average_age"])
