"""The built-in planner: meanings of docs/assistant.md, follow-ups, refusals and hostile prompts."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from parley.assistant.compiler import compile_query
from parley.assistant.executor import DuckDBWarehouse
from parley.assistant.planner import BuiltinPlanner, CannotAnswer, Plan, pick_topic
from parley.assistant.query import SemanticQuery, resolve_query
from parley.assistant.semantic_model import SemanticModel
from tests.support.warehouses import NOW


def plan(
    planner: BuiltinPlanner, prompt: str, previous: SemanticQuery | None = None
) -> SemanticQuery:
    outcome = planner.plan(prompt, previous=previous, now=NOW)
    assert isinstance(outcome, Plan), outcome
    return outcome.query


def test_top_n_ranks_by_the_measure_asked_for(planner: BuiltinPlanner) -> None:
    query = plan(planner, "Top 5 brands by gross margin in 2025")
    assert query.fields == ["products.brand", "order_items.gross_margin"]
    assert (
        query.sorts[0].column_name == "order_items.gross_margin" and query.sorts[0].sort_descending
    )
    assert query.limit == 5


def test_top_without_a_number_is_ten_and_top_selling_is_items_sold(planner: BuiltinPlanner) -> None:
    query = plan(planner, "best selling categories")
    assert query.fields == ["products.category", "order_items.items_sold"]
    assert query.limit == 10


def test_bottom_sorts_ascending(planner: BuiltinPlanner) -> None:
    query = plan(planner, "bottom 3 countries by revenue")
    assert query.sorts[0].sort_descending is False and query.limit == 3


def test_which_x_had_the_most_is_one_row(planner: BuiltinPlanner) -> None:
    assert plan(planner, "Which category had the highest revenue last year?").limit == 1
    assert plan(planner, "Which categories had the highest revenue last year?").limit == 10


def test_trend_means_a_month_grain(planner: BuiltinPlanner) -> None:
    assert "order_items.created_at[month]" in plan(planner, "revenue trend in 2025").fields
    assert "order_items.created_at[quarter]" in plan(planner, "quarterly revenue trend").fields


def test_filter_values_from_the_value_index(planner: BuiltinPlanner) -> None:
    query = plan(planner, "revenue from Facebook in Europe for returned items")
    assert query.filters == {
        "users.traffic_source": "Facebook",
        "users.region": "Europe",
        "order_items.status": "Returned",
    }
    assert plan(planner, "revenue from male customers").filters == {"users.gender": "M"}
    assert plan(planner, "sales of mens products").filters == {"products.department": "Men"}


def test_negated_value(planner: BuiltinPlanner) -> None:
    query = plan(planner, "orders excluding cancelled")
    assert query.filters == {"order_items.status": {"not": "Cancelled"}}


def test_follow_ups_change_the_previous_query(planner: BuiltinPlanner) -> None:
    first = plan(planner, "revenue by region in 2025")
    by_brand = plan(planner, "break it down by brand", first)
    assert by_brand.fields == ["users.region", "products.brand", "order_items.revenue"]
    assert by_brand.filters == first.filters
    only = plan(planner, "only Europe", by_brand)
    assert only.filters["users.region"] == "Europe"
    moved = plan(planner, "what about last quarter?", only)
    assert moved.filters["order_items.created_at"] == {"gte": "2026-07-01", "lt": "2026-10-01"}
    assert moved.filters["users.region"] == "Europe"
    ranked = plan(planner, "top 3", moved)
    assert ranked.limit == 3 and ranked.fields == moved.fields
    sorted_ = plan(planner, "sort by revenue ascending", ranked)
    assert sorted_.sorts[0].sort_descending is False


def test_a_new_question_in_a_conversation_starts_afresh(planner: BuiltinPlanner) -> None:
    first = plan(planner, "revenue by region in 2025")
    again = plan(planner, "How many orders were placed last month?", first)
    assert again.fields == ["order_items.order_count"]
    assert list(again.filters) == ["order_items.created_at"]


def test_pick_topic(planner: BuiltinPlanner) -> None:
    assert planner.pick_topic("How many users signed up in Europe?") == "users"
    assert planner.pick_topic("revenue by region") == "order_items"
    assert planner.pick_topic("average age of users by country") == "users"
    assert planner.pick_topic("revenue by region", ["users"]) == "users"


def test_cannot_answer_says_so_plainly(planner: BuiltinPlanner) -> None:
    outcome = planner.plan("What's the weather like in Paris tomorrow?", now=NOW)
    assert isinstance(outcome, CannotAnswer)
    assert "weather" in outcome.message and outcome.suggestions
    assert isinstance(planner.plan("   ", now=NOW), CannotAnswer)
    assert isinstance(planner.plan("revenue", topic="nope", now=NOW), CannotAnswer)


HOSTILE = [
    "'; DROP TABLE users; --",
    "revenue by brand'; DELETE FROM order_items; --",
    "revenue where \"region\" = 'x' OR 1=1 /* comment */",
    "revenue by region -- ; DROP TABLE orders",
    "revenue in Europe\x00; ATTACH 'evil.db'",
    "revenue " + "by region " * 1200,  # more than 10k characters
    "x" * 10_000 + " revenue",
]


@pytest.mark.parametrize("prompt", HOSTILE)
def test_hostile_prompts_never_reach_sql(
    planner: BuiltinPlanner, model: SemanticModel, duck: DuckDBWarehouse, prompt: str
) -> None:
    before = {t: duck.raw(f"SELECT COUNT(*) FROM {t}")[0][0] for t in ("users", "order_items")}
    outcome = planner.plan(prompt, now=NOW)
    if isinstance(outcome, Plan):
        compiled = compile_query(outcome.query, model)
        for word in ("DROP", "DELETE", "ATTACH", "OR 1=1", "--", "/*", ";"):
            assert word not in compiled.sql
        for value in compiled.params.values():
            assert not isinstance(value, str) or value in {"Europe"} or value[:4].isdigit()
        duck.execute(compiled)
    after = {t: duck.raw(f"SELECT COUNT(*) FROM {t}")[0][0] for t in ("users", "order_items")}
    assert after == before


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.text(max_size=300))
def test_any_text_gives_a_valid_query_or_a_plain_refusal(
    planner: BuiltinPlanner, model: SemanticModel, text: str
) -> None:
    outcome = planner.plan(text, now=NOW)
    if isinstance(outcome, CannotAnswer):
        assert outcome.message
        return
    resolve_query(outcome.query, model)  # never raises for the planner's own output
    compiled = compile_query(outcome.query, model)
    indexed = {
        v for values in (planner.values.values.values() if planner.values else []) for v in values
    }
    for value in compiled.params.values():
        assert not isinstance(value, str) or value in indexed


def test_value_index_holds_low_cardinality_values(planner: BuiltinPlanner) -> None:
    assert planner.values is not None
    values: dict[str, Any] = planner.values.values
    assert "Europe" in values["users.region"]
    assert "products.name" not in values and "users.email" not in values


def test_pick_topic_function(model: SemanticModel) -> None:
    assert pick_topic("How many users are in Europe?", model) == "users"
    assert pick_topic("gross margin by brand", model, ["users", "order_items"]) == "order_items"
