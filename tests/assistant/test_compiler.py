"""Semantic query → SQL for DuckDB, PostgreSQL and SQLite; filter values are always bound."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest

from parley.assistant.compiler import compile_query
from parley.assistant.evaluation import normalize
from parley.assistant.executor import DuckDBWarehouse, SQLAlchemyWarehouse
from parley.assistant.query import QueryError, SemanticQuery
from parley.assistant.semantic_model import SemanticModel
from parley.demo.warehouse import TABLES

QUERY = SemanticQuery(
    table="order_items",
    fields=["users.region", "order_items.created_at[month]", "order_items.revenue"],
    filters={
        "order_items.created_at": {"gte": "2025-01-01", "lt": "2026-01-01"},
        "users.region": ["Europe", "Asia"],
    },
    sorts=[{"column_name": "order_items.revenue", "sort_descending": True}],
    limit=5,
)

EXPECTED = {
    "duckdb": (
        'SELECT "users"."region" AS "users.region", DATE_TRUNC(\'MONTH\', '
        '"order_items"."created_at") AS "order_items.created_at[month]", '
        'SUM("order_items"."sale_price") AS "order_items.revenue" FROM "order_items" AS '
        '"order_items" LEFT JOIN "users" AS "users" ON "order_items"."user_id" = "users"."id" '
        'WHERE ("order_items"."created_at" >= $p0 AND "order_items"."created_at" < $p1) AND '
        '"users"."region" IN ($p2, $p3) GROUP BY "users"."region", DATE_TRUNC(\'MONTH\', '
        '"order_items"."created_at") ORDER BY "order_items.revenue" DESC LIMIT 5'
    ),
    "postgres": (
        'SELECT "users"."region" AS "users.region", DATE_TRUNC(\'MONTH\', '
        '"order_items"."created_at") AS "order_items.created_at[month]", '
        'SUM("order_items"."sale_price") AS "order_items.revenue" FROM "order_items" AS '
        '"order_items" LEFT JOIN "users" AS "users" ON "order_items"."user_id" = "users"."id" '
        'WHERE ("order_items"."created_at" >= %(p0)s AND "order_items"."created_at" < %(p1)s) '
        'AND "users"."region" IN (%(p2)s, %(p3)s) GROUP BY "users"."region", '
        'DATE_TRUNC(\'MONTH\', "order_items"."created_at") ORDER BY "order_items.revenue" '
        "DESC NULLS LAST LIMIT 5"
    ),
    "sqlite": (
        'SELECT "users"."region" AS "users.region", STRFTIME(\'%Y-%m-01\', '
        '"order_items"."created_at") AS "order_items.created_at[month]", '
        'SUM("order_items"."sale_price") AS "order_items.revenue" FROM "order_items" AS '
        '"order_items" LEFT JOIN "users" AS "users" ON "order_items"."user_id" = "users"."id" '
        'WHERE ("order_items"."created_at" >= :p0 AND "order_items"."created_at" < :p1) AND '
        '"users"."region" IN (:p2, :p3) GROUP BY "users"."region", STRFTIME(\'%Y-%m-01\', '
        '"order_items"."created_at") ORDER BY "order_items.revenue" DESC LIMIT 5'
    ),
}


@pytest.mark.parametrize("dialect", ["duckdb", "postgres", "sqlite"])
def test_sql_for_each_dialect(model: SemanticModel, dialect: Any) -> None:
    compiled = compile_query(QUERY, model, dialect)
    assert compiled.sql == EXPECTED[dialect]
    assert list(compiled.params.values())[2:] == ["Europe", "Asia"]
    assert compiled.columns == (
        "users.region",
        "order_items.created_at[month]",
        "order_items.revenue",
    )


def test_sqlalchemy_placeholders(model: SemanticModel) -> None:
    sql = compile_query(QUERY, model, "postgres").sql_with_colon_params()
    assert ">= :p0" in sql and "IN (:p2, :p3)" in sql and sql.endswith("LIMIT 5")


def test_only_the_joins_needed(model: SemanticModel) -> None:
    base_only = compile_query(
        SemanticQuery(table="order_items", fields=["order_items.status", "order_items.revenue"]),
        model,
    )
    assert "JOIN" not in base_only.sql
    via_products = compile_query(
        SemanticQuery(
            table="order_items", fields=["distribution_centers.name", "order_items.items_sold"]
        ),
        model,
    )
    assert via_products.sql.count("JOIN") == 2
    assert 'LEFT JOIN "products"' in via_products.sql
    assert '"products"."distribution_center_id" = "distribution_centers"."id"' in via_products.sql
    margin = compile_query(
        SemanticQuery(table="order_items", fields=["order_items.gross_margin"]), model
    )
    assert 'LEFT JOIN "products"' in margin.sql and '"users"' not in margin.sql


def test_hostile_filter_values_are_bound_never_inlined(model: SemanticModel) -> None:
    hostile = "x'; DROP TABLE users; --"
    for dialect in ("duckdb", "postgres", "sqlite"):
        compiled = compile_query(
            SemanticQuery(
                table="order_items",
                fields=["order_items.revenue"],
                filters={"products.brand": {"contains": hostile}, "users.city": [hostile, "Paris"]},
            ),
            model,
            dialect,
        )
        assert "DROP" not in compiled.sql and "Paris" not in compiled.sql
        assert list(compiled.params.values()) == [hostile, hostile, "Paris"]


def test_filters_operators(model: SemanticModel, duck: DuckDBWarehouse) -> None:
    def count(filters: dict[str, Any]) -> Any:
        compiled = compile_query(
            SemanticQuery(table="users", fields=["users.user_count"], filters=filters), model
        )
        return duck.execute(compiled).rows[0][0]

    total = count({})
    europe = count({"users.region": "Europe"})
    assert count({"users.region": {"not": "Europe"}}) == total - europe
    assert count({"users.region": ["Europe", "Asia"]}) == europe + count({"users.region": "Asia"})
    assert (
        count({"users.age": {"gte": 30, "lt": 40}})
        == duck.raw("SELECT COUNT(*) FROM users WHERE age >= 30 AND age < 40")[0][0]
    )
    assert (
        count({"users.country": {"contains": "UNITED"}})
        == duck.raw("SELECT COUNT(*) FROM users WHERE country LIKE 'United%'")[0][0]
    )
    assert (
        count({"users.country": {"starts_with": "new"}})
        == duck.raw("SELECT COUNT(*) FROM users WHERE country = 'New Zealand'")[0][0]
    )
    assert count({"users.city": None}) == 0
    assert count({"users.city": {"is_null": False}}) == total


def test_measure_filters_become_having(model: SemanticModel, duck: DuckDBWarehouse) -> None:
    compiled = compile_query(
        SemanticQuery(
            table="users",
            fields=["users.country", "users.user_count"],
            filters={"users.user_count": {"gte": 100}},
        ),
        model,
    )
    assert "HAVING COUNT(DISTINCT" in compiled.sql
    rows = duck.execute(compiled).rows
    assert rows and all(isinstance(r[1], int) and r[1] >= 100 for r in rows)


def test_fan_out_measures_of_joined_views_are_refused(model: SemanticModel) -> None:
    with pytest.raises(QueryError, match="counted once per joined row"):
        compile_query(SemanticQuery(table="order_items", fields=["users.average_age"]), model)


@pytest.fixture(scope="module")
def sqlite_copy(small_warehouse: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The small warehouse copied into SQLite, timestamps as ISO text."""
    path = tmp_path_factory.mktemp("sqlite") / "demo.sqlite"
    with duckdb.connect(str(small_warehouse), read_only=True) as source:
        target = sqlite3.connect(path)
        for table in TABLES:
            columns = [r[0] for r in source.execute(f"DESCRIBE {table}").fetchall()]
            target.execute(f"CREATE TABLE {table} ({', '.join(columns)})")
            rows = source.execute(f"SELECT * FROM {table}").fetchall()
            marks = ", ".join("?" for _ in columns)
            target.executemany(
                f"INSERT INTO {table} VALUES ({marks})",
                [
                    tuple(
                        v
                        if v is None or isinstance(v, (int, str))
                        else (float(v) if not hasattr(v, "isoformat") else v.isoformat(sep=" "))
                        for v in row
                    )
                    for row in rows
                ],
            )
        target.commit()
        target.close()
    yield path


@pytest.mark.parametrize("grain", ["date", "week", "month", "quarter", "year"])
def test_sqlite_and_duckdb_give_the_same_answer(
    model: SemanticModel, duck: DuckDBWarehouse, sqlite_copy: Path, grain: str
) -> None:
    query = SemanticQuery(
        table="order_items",
        fields=[
            "products.category",
            f"order_items.created_at[{grain}]",
            "order_items.revenue",
            "order_items.order_count",
        ],
        filters={
            "order_items.created_at": {"gte": "2025-02-01", "lt": "2025-08-01"},
            "order_items.status": {"not": "Cancelled"},
        },
    )
    lite = SQLAlchemyWarehouse(f"sqlite:///{sqlite_copy}")
    try:
        on_sqlite = lite.execute(compile_query(query, model, "sqlite")).rows
    finally:
        lite.close()
    on_duckdb = duck.execute(compile_query(query, model, "duckdb")).rows
    assert on_sqlite
    as_set = sorted(tuple(normalize(v) for v in r) for r in on_sqlite)
    assert as_set == sorted(tuple(normalize(v) for v in r) for r in on_duckdb)
