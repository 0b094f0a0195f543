"""ClickHouse's SQL for real, through its embedded engine (chDB, the [chdb] extra): the
demo data in a chDB directory, every query shape and both evaluation sets judged
against DuckDB. Runs when chDB is installed (``pip install -e '.[dev,chdb]'``)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("chdb")

from bench.support.loading import load_chdb
from parley.assistant.compiler import CompiledQuery, compile_query
from parley.assistant.evaluation import judge, run_eval
from parley.assistant.executor import (
    DuckDBWarehouse,
    QueryTimeout,
    Warehouse,
    WarehouseError,
)
from parley.assistant.runtime import open_warehouse
from parley.assistant.semantic_model import SemanticModel
from tests.support.warehouses import NOW
from tests.warehouses.shapes import SHAPES

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT / "eval" / "examples.yaml"
OURS = ROOT / "eval" / "questions.yaml"


@pytest.fixture(scope="module")
def clickhouse(
    small_warehouse: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Warehouse]:
    directory = tmp_path_factory.mktemp("chdb") / "shop"
    load_chdb(small_warehouse, directory)
    warehouse = open_warehouse(f"chdb://{directory}")
    yield warehouse
    warehouse.close()


def raw(sql: str) -> CompiledQuery:
    import sqlglot

    tree = sqlglot.parse_one(sql, read="clickhouse")
    return CompiledQuery(sql=sql, params={}, columns=(), dialect="clickhouse", expression=tree)  # type: ignore[arg-type]


@pytest.mark.parametrize("shape", list(SHAPES))
def test_every_shape_answers_as_on_duckdb(
    shape: str, model: SemanticModel, duck: DuckDBWarehouse, clickhouse: Warehouse
) -> None:
    query = SHAPES[shape]
    expected = duck.execute(compile_query(query, model, "duckdb"), row_cap=100_000)
    actual = clickhouse.execute(compile_query(query, model, "clickhouse"), row_cap=100_000)
    assert expected.rows, "a shape whose answer is empty proves little"
    assert actual.columns == expected.columns
    assert judge([tuple(r) for r in expected.rows], [tuple(r) for r in actual.rows]) is None


@pytest.mark.parametrize("questions", [SHARED, OURS], ids=["shared", "ours"])
def test_the_evaluation_passes_on_clickhouse_as_on_duckdb(
    questions: Path, small_warehouse: Path, model: SemanticModel, clickhouse: Warehouse
) -> None:
    on_duckdb = run_eval(questions, small_warehouse, model, NOW)
    on_clickhouse = run_eval(questions, small_warehouse, model, NOW, target=clickhouse)
    failures = [f"{r.question.prompt}: {r.difference}" for r in on_clickhouse.failures()]
    assert [r.passed for r in on_clickhouse.results] == [r.passed for r in on_duckdb.results], (
        failures
    )
    assert on_clickhouse.accuracy >= 0.9, failures


def test_clickhouse_stops_a_slow_query_and_writes_nothing(clickhouse: Warehouse) -> None:
    started = time.monotonic()
    with pytest.raises(QueryTimeout):
        clickhouse.execute(
            raw("SELECT count() FROM numbers(100000000000) WHERE sipHash64(number) = 1"),
            timeout=0.5,
        )
    assert time.monotonic() - started < 10
    with pytest.raises(WarehouseError, match="readonly"):
        clickhouse.execute(raw("INSERT INTO users (id) VALUES (999999)"))
    assert clickhouse.execute(raw("SELECT 42 AS answer")).rows == [[42]]
