"""Apache Spark for real, reached as a Spark or Databricks user would, through Spark
Connect: a local-mode server started from pyspark's jars, the demo data as Parquet
tables, every query shape and the shared evaluation judged against DuckDB.

Slow (the server takes tens of seconds to start, the evaluation minutes), so opt-in:

    pip install -e '.[dev,spark]'    # and a Java 17+ runtime
    PARLEY_TEST_SPARK=1 pytest -m slow tests/warehouses/test_spark.py

PARLEY_TEST_SPARK_URL=sc://host:port uses a running server instead (it must read the
test's temporary files, so it runs on this machine).
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

if not (os.environ.get("PARLEY_TEST_SPARK") or os.environ.get("PARLEY_TEST_SPARK_URL")):
    pytest.skip("Spark tests are opt-in: set PARLEY_TEST_SPARK=1", allow_module_level=True)
pytest.importorskip("pyspark.sql.connect")
pytestmark = pytest.mark.slow

from bench.support import spark  # noqa: E402
from bench.support.loading import load_spark  # noqa: E402
from parley.assistant.compiler import CompiledQuery, compile_query  # noqa: E402
from parley.assistant.evaluation import judge, run_eval  # noqa: E402
from parley.assistant.executor import DuckDBWarehouse, QueryTimeout, Warehouse  # noqa: E402
from parley.assistant.runtime import open_warehouse  # noqa: E402
from parley.assistant.semantic_model import SemanticModel  # noqa: E402
from parley.demo.model import load_demo_model  # noqa: E402
from tests.support.warehouses import NOW  # noqa: E402
from tests.warehouses.shapes import SHAPES  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT / "eval" / "examples.yaml"
OURS = ROOT / "eval" / "questions.yaml"


@pytest.fixture(scope="module")
def spark_url() -> Iterator[str]:
    url = os.environ.get("PARLEY_TEST_SPARK_URL")
    if url:
        yield url
        return
    server = spark.start()
    try:
        yield server.url
    finally:
        server.stop()


@pytest.fixture(scope="module")
def spark_warehouse(
    spark_url: str, small_warehouse: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Warehouse]:
    load_spark(small_warehouse, spark_url, tmp_path_factory.mktemp("spark") / "demo")
    warehouse = open_warehouse(spark_url)
    # A cold server's first query compiles and loads a lot (half a minute or more on a
    # busy two-core machine): pay for it here, not in a test's timeout.
    warm_up = compile_query(SHAPES["grain_date"], load_demo_model(), "spark")
    warehouse.execute(warm_up, timeout=600)
    yield warehouse
    warehouse.close()


@pytest.mark.parametrize("shape", list(SHAPES))
def test_every_shape_answers_as_on_duckdb(
    shape: str, model: SemanticModel, duck: DuckDBWarehouse, spark_warehouse: Warehouse
) -> None:
    query = SHAPES[shape]
    expected = duck.execute(compile_query(query, model, "duckdb"), row_cap=100_000)
    actual = spark_warehouse.execute(
        compile_query(query, model, "spark"), row_cap=100_000, timeout=120
    )
    assert expected.rows
    assert actual.columns == expected.columns
    assert judge([tuple(r) for r in expected.rows], [tuple(r) for r in actual.rows]) is None


@pytest.mark.parametrize("questions", [SHARED, OURS], ids=["shared", "ours"])
def test_the_evaluation_passes_on_spark_as_on_duckdb(
    questions: Path, small_warehouse: Path, model: SemanticModel, spark_warehouse: Warehouse
) -> None:
    on_duckdb = run_eval(questions, small_warehouse, model, NOW)
    on_spark = run_eval(questions, small_warehouse, model, NOW, target=spark_warehouse)
    failures = [f"{r.question.prompt}: {r.difference}" for r in on_spark.failures()]
    assert [r.passed for r in on_spark.results] == [r.passed for r in on_duckdb.results], failures
    assert on_spark.accuracy >= 0.9, failures


def test_a_slow_query_is_interrupted_on_the_cluster(spark_warehouse: Warehouse) -> None:
    import sqlglot

    sql = "SELECT COUNT(*) FROM range(1000000000000) WHERE hash(id) = 1"
    tree = sqlglot.parse_one(sql, read="spark")
    slow = CompiledQuery(sql=sql, params={}, columns=(), dialect="spark", expression=tree)  # type: ignore[arg-type]
    started = time.monotonic()
    with pytest.raises(QueryTimeout):
        spark_warehouse.execute(slow, timeout=3)
    assert time.monotonic() - started < 60
    ok = "SELECT 42 AS answer"
    answer = CompiledQuery(
        sql=ok,
        params={},
        columns=(),
        dialect="spark",
        expression=sqlglot.parse_one(ok),  # type: ignore[arg-type]
    )
    # Generous: a cold server on a busy machine can take a while to free its cores.
    assert spark_warehouse.execute(answer, timeout=120).rows == [[42]]
