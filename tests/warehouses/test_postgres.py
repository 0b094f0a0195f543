"""PostgreSQL as a warehouse, for real: the demo data in a throwaway database, both
evaluation sets asked on it and judged against DuckDB's answers to the expected SQL."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import psycopg
import pytest
import sqlglot
from typer.testing import CliRunner

from parley.assistant.compiler import CompiledQuery, compile_query
from parley.assistant.evaluation import judge, run_eval
from parley.assistant.executor import (
    DuckDBWarehouse,
    QueryTimeout,
    SQLAlchemyWarehouse,
    WarehouseError,
)
from parley.assistant.query import SemanticQuery
from parley.assistant.semantic_model import SemanticModel
from parley.cli import app as cli_app
from parley.warehouses.kinds import MissingDriver
from tests.support.warehouses import NOW
from tests.warehouses.shapes import SHAPES

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT / "eval" / "examples.yaml"
OURS = ROOT / "eval" / "questions.yaml"


def raw(sql: str) -> CompiledQuery:
    """Hand-written SQL in the executor's input shape (it runs the expression)."""
    tree = sqlglot.parse_one(sql, read="postgres")
    return CompiledQuery(sql=sql, params={}, columns=(), dialect="postgres", expression=tree)  # type: ignore[arg-type]


@pytest.mark.parametrize("questions", [SHARED, OURS], ids=["shared", "ours"])
def test_the_evaluation_passes_on_postgres_as_on_duckdb(
    questions: Path,
    small_warehouse: Path,
    model: SemanticModel,
    postgres_warehouse: SQLAlchemyWarehouse,
) -> None:
    on_duckdb = run_eval(questions, small_warehouse, model, NOW)
    on_postgres = run_eval(questions, small_warehouse, model, NOW, target=postgres_warehouse)
    failures = [f"{r.question.prompt}: {r.difference}" for r in on_postgres.failures()]
    assert on_postgres.total == on_duckdb.total > 0
    # The same questions pass on both: PostgreSQL loses none to its dialect.
    assert [r.passed for r in on_postgres.results] == [r.passed for r in on_duckdb.results], (
        failures
    )
    assert on_postgres.accuracy >= 0.9, failures
    # The answers really ran as PostgreSQL SQL: its driver's placeholders carry the
    # filter values (a filter such as "is not null" needs none).
    filtered = [r for r in on_postgres.results if r.sql and r.query and r.query["filters"]]
    assert filtered and any("%(p" in str(r.sql) for r in filtered)
    assert not any("$1" in str(r.sql) or "?" in str(r.sql) for r in filtered)


def test_a_slow_query_is_cancelled_on_the_server(
    postgres_warehouse: SQLAlchemyWarehouse, postgres_warehouse_url: str
) -> None:
    started = time.monotonic()
    with pytest.raises(QueryTimeout):
        postgres_warehouse.execute(raw("SELECT pg_sleep(60)"), timeout=0.3)
    # Well before the server's own backstop (timeout + 5 s): the client cancelled it.
    assert time.monotonic() - started < 4
    with psycopg.connect(postgres_warehouse_url) as check:
        running = check.execute(
            b"SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'SELECT pg_sleep%'"
            b" AND state = 'active'"
        ).fetchone()
    assert running == (0,)
    assert postgres_warehouse.execute(raw("SELECT 42 AS answer")).rows == [[42]]


def test_queries_run_read_only(
    postgres_warehouse: SQLAlchemyWarehouse, duck: DuckDBWarehouse
) -> None:
    for statement in ("DELETE FROM users", "CREATE TABLE stolen (x int)"):
        with pytest.raises(WarehouseError, match="read-only"):
            postgres_warehouse.execute(raw(statement))
    count = postgres_warehouse.execute(raw("SELECT COUNT(*) FROM users")).rows
    assert count == [[duck.raw("SELECT COUNT(*) FROM users")[0][0]]]


def test_the_row_cap_counts_every_row(
    postgres_warehouse: SQLAlchemyWarehouse, model: SemanticModel
) -> None:
    query = compile_query(
        SemanticQuery(table="users", fields=["users.city", "users.user_count"]), model, "postgres"
    )
    full = postgres_warehouse.execute(query)
    capped = postgres_warehouse.execute(query, row_cap=3)
    assert capped.truncated and len(capped.rows) == 3
    assert capped.total_row_count == full.total_row_count == len(full.rows) > 3
    assert capped.columns == ["users.city", "users.user_count"]
    ranked = compile_query(SHAPES["ranking_top_5"], model, "postgres")
    # The query's order survives the cap around it.
    assert (
        postgres_warehouse.execute(ranked, row_cap=2).rows
        == (postgres_warehouse.execute(ranked).rows[:2])
    )
    # The engine stops after cap + 1 rows and counts the rest itself.
    sent = query.sql_with_colon_params(3)
    assert sent.endswith("LIMIT 4") and "COUNT(*) OVER ()" in sent


def test_a_missing_driver_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "psycopg", None)  # as if not installed
    with pytest.raises(MissingDriver, match=r"pip install 'parley\[postgres\]'"):
        SQLAlchemyWarehouse("postgresql://parley@127.0.0.1:1/warehouse")
    with pytest.raises(MissingDriver, match=r"pip install 'parley\[snowflake\]'"):
        SQLAlchemyWarehouse("snowflake://parley@account/warehouse")


@pytest.mark.parametrize("shape", list(SHAPES))
def test_every_shape_answers_as_on_duckdb(
    shape: str, model: SemanticModel, duck: DuckDBWarehouse, postgres_warehouse: SQLAlchemyWarehouse
) -> None:
    query = SHAPES[shape]
    expected = duck.execute(compile_query(query, model, "duckdb"), row_cap=100_000)
    actual = postgres_warehouse.execute(compile_query(query, model, "postgres"), row_cap=100_000)
    assert expected.rows, "a shape whose answer is empty proves little"
    assert actual.columns == expected.columns
    assert judge([tuple(r) for r in expected.rows], [tuple(r) for r in actual.rows]) is None


def test_parley_eval_runs_the_answers_on_another_warehouse(
    small_warehouse: Path,
    postgres_warehouse_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PARLEY_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("PARLEY_NOW", NOW.isoformat())
    result = CliRunner().invoke(
        cli_app,
        [
            "eval",
            "--file",
            str(SHARED),
            "--warehouse",
            str(small_warehouse),
            "--target",
            postgres_warehouse_url,
            "--json",
        ],
    )
    report = json.loads(result.stdout)
    assert report["total"] == 15 and report["passed"] == 15, result.stdout
    assert all("%(p" in r["sql"] for r in report["results"] if r["query"]["filters"])
    missing = CliRunner().invoke(
        cli_app,
        [
            "eval",
            "--file",
            str(SHARED),
            "--warehouse",
            str(small_warehouse),
            "--target",
            "trino://x@127.0.0.1/h",
            "--json",
        ],
    )
    assert missing.exit_code == 1 and "parley[trino]" in json.loads(missing.stdout)["detail"]
