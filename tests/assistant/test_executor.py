"""Running compiled SQL: row cap, timeout, JSON-friendly values, read-only warehouse."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from sqlglot import exp

from parley.assistant.compiler import CompiledQuery, compile_query
from parley.assistant.executor import DuckDBWarehouse, QueryTimeout, WarehouseError
from parley.assistant.query import SemanticQuery
from parley.assistant.semantic_model import SemanticModel


def raw_query(sql: str) -> CompiledQuery:
    return CompiledQuery(
        sql=sql, params={}, columns=(), dialect="duckdb", expression=exp.select("1")
    )


def test_row_cap_truncates_and_counts_everything(
    model: SemanticModel, duck: DuckDBWarehouse
) -> None:
    query = SemanticQuery(table="users", fields=["users.city", "users.user_count"])
    full = duck.execute(compile_query(query, model))
    capped = duck.execute(compile_query(query, model), row_cap=3)
    assert not full.truncated and full.total_row_count == len(full.rows) > 3
    assert capped.truncated and len(capped.rows) == 3
    assert capped.total_row_count == full.total_row_count
    assert capped.to_json()["totalRowCount"] == full.total_row_count


def test_values_are_json_friendly(model: SemanticModel, duck: DuckDBWarehouse) -> None:
    query = SemanticQuery(
        table="order_items",
        fields=["order_items.created_at[month]", "order_items.revenue", "order_items.items_sold"],
        sorts=[{"column_name": "order_items.created_at[month]"}],
        limit=1,
    )
    result = duck.execute(compile_query(query, model))
    month, revenue, items = result.rows[0]
    assert month == "2023-11-01T00:00:00"
    assert isinstance(revenue, float) and isinstance(items, int)
    assert result.columns == list(query.fields)


def test_a_slow_query_is_interrupted(duck: DuckDBWarehouse) -> None:
    slow = raw_query(
        "SELECT COUNT(*) FROM range(100000000) a, range(100000000) b WHERE a.range + b.range = -1"
    )
    started = time.monotonic()
    with pytest.raises(QueryTimeout):
        duck.execute(slow, timeout=0.3)
    assert time.monotonic() - started < 5
    # The connection is still usable afterwards.
    assert duck.raw("SELECT 42") == [(42,)]


def test_the_warehouse_is_read_only(duck: DuckDBWarehouse) -> None:
    with pytest.raises(WarehouseError):
        duck.execute(raw_query("DELETE FROM users"))
    assert duck.raw("SELECT COUNT(*) FROM users") == [(1_500,)]


def test_a_missing_file_is_reported(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        DuckDBWarehouse(tmp_path / "nope.duckdb")
    assert not (tmp_path / "nope.duckdb").exists()


def test_a_query_for_another_dialect_is_refused(
    model: SemanticModel, duck: DuckDBWarehouse
) -> None:
    compiled = compile_query(
        SemanticQuery(table="users", fields=["users.user_count"]), model, "sqlite"
    )
    with pytest.raises(ValueError, match="sqlite"):
        duck.execute(compiled)
