"""Plan + compile + run per question of the shared examples, on every real engine here.

    .venv/bin/python -m bench.warehouses [--repeat N] [--small] [--spark]

Builds the default demo warehouse (as of 2026-11-26, seed 42; `--small` for the test
suite's size), copies it into a throwaway PostgreSQL cluster, into chDB when the [chdb]
extra is installed, and into a local Spark Connect server with `--spark` (the [spark]
extra and Java 17+). For each engine: the value index is built once, as a server does,
then every question of eval/examples.yaml is planned, compiled and run `--repeat` times;
prints p50 and p99 per engine.
"""

from __future__ import annotations

import argparse
import importlib.util
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from datetime import date, datetime
from pathlib import Path

import psycopg

from bench.support import postgres, spark
from bench.support.loading import load_chdb, load_postgres, load_spark
from parley.assistant.compiler import compile_query
from parley.assistant.evaluation import load_questions
from parley.assistant.executor import DuckDBWarehouse, Warehouse
from parley.assistant.planner import BuiltinPlanner, Plan
from parley.assistant.query import SemanticQuery
from parley.assistant.runtime import open_warehouse
from parley.assistant.value_index import ValueIndex
from parley.demo.model import load_demo_model
from parley.demo.warehouse import DEFAULT_SIZE, build_demo_warehouse
from parley.demo.warehouse import SMALL_SIZE as SMALL

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT / "eval" / "examples.yaml"
NOW = datetime(2026, 11, 26, 12)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


@contextmanager
def postgres_copy(source: Path) -> Iterator[str]:
    cluster = postgres.start()
    try:
        server = cluster.url.replace("postgresql+asyncpg://", "postgresql://")
        name = f"warehouse_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(server, autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{name}"'.encode())
        url = server.rsplit("/", 1)[0] + f"/{name}"
        load_postgres(source, url)
        yield url
    finally:
        cluster.stop()


@contextmanager
def spark_copy(source: Path, scratch: Path) -> Iterator[str]:
    server = spark.start()
    try:
        load_spark(source, server.url, scratch / "spark")
        yield server.url
    finally:
        server.stop()


def measure(warehouse: Warehouse, repeat: int) -> tuple[list[float], float]:
    model = load_demo_model()
    started = time.perf_counter()
    planner = BuiltinPlanner(model, ValueIndex.build(model, warehouse, timeout=300))
    index_seconds = time.perf_counter() - started
    timings: list[float] = []
    for _ in range(repeat):
        for group in load_questions(SHARED):
            previous: SemanticQuery | None = None
            for question in group:
                started = time.perf_counter()
                outcome = planner.plan(question.prompt, previous=previous, now=NOW)
                if isinstance(outcome, Plan):
                    compiled = compile_query(outcome.query, model, warehouse.dialect)
                    warehouse.execute(compiled, timeout=300)
                    previous = outcome.query
                timings.append((time.perf_counter() - started) * 1000)
    return timings, index_seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--small", action="store_true", help="the test suite's demo size")
    parser.add_argument("--spark", action="store_true", help="also a local Spark server")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch_name, ExitStack() as stack:
        scratch = Path(scratch_name)
        source = scratch / "demo.duckdb"
        build_demo_warehouse(
            source, date(2026, 11, 26), seed=42, size=SMALL if args.small else DEFAULT_SIZE
        )
        engines: dict[str, Callable[[], Warehouse]] = {
            "duckdb": lambda: DuckDBWarehouse(source),
            "postgres": lambda: open_warehouse(stack.enter_context(postgres_copy(source))),
        }
        if importlib.util.find_spec("chdb") is not None:

            def chdb() -> Warehouse:
                load_chdb(source, scratch / "chdb")
                return open_warehouse(f"chdb://{scratch / 'chdb'}")

            engines["clickhouse (chDB)"] = chdb
        if args.spark:
            engines["spark (Connect, local[2])"] = lambda: open_warehouse(
                stack.enter_context(spark_copy(source, scratch))
            )
        print(f"{'engine':28} {'questions':>9} {'p50 ms':>9} {'p99 ms':>9} {'index s':>8}")
        for name, opener in engines.items():
            warehouse = opener()
            try:
                timings, index_seconds = measure(warehouse, args.repeat)
            finally:
                warehouse.close()
            print(
                f"{name:28} {len(timings) // args.repeat:>9} {percentile(timings, 0.5):>9.2f} "
                f"{percentile(timings, 0.99):>9.2f} {index_seconds:>8.2f}"
            )


if __name__ == "__main__":
    main()
