"""Time planner + compiler + executor for every eval question (the generate-query path).

    .venv/bin/python -m bench.generate_query [--warehouse PATH] [--repeat N]

Builds the default demo warehouse (as of 2026-11-26, seed 42) unless one is given, builds
the value index once (as a server does at start-up), then times each question of
eval/examples.yaml and eval/questions.yaml end to end and prints p50/p99.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from datetime import date, datetime
from pathlib import Path

from parley.assistant.compiler import compile_query
from parley.assistant.evaluation import load_questions
from parley.assistant.executor import DuckDBWarehouse
from parley.assistant.planner import BuiltinPlanner, Plan
from parley.assistant.query import SemanticQuery
from parley.assistant.value_index import ValueIndex
from parley.demo.model import load_demo_model
from parley.demo.warehouse import build_demo_warehouse

ROOT = Path(__file__).resolve().parents[1]
FILES = [ROOT / "eval" / "examples.yaml", ROOT / "eval" / "questions.yaml"]
NOW = datetime(2026, 11, 26, 12)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--warehouse", type=Path)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        path = args.warehouse
        if path is None:
            path = Path(scratch) / "demo.duckdb"
            started = time.perf_counter()
            build_demo_warehouse(path, date(2026, 11, 26), seed=42)
            print(f"warehouse build: {time.perf_counter() - started:.2f} s")
        model = load_demo_model()
        warehouse = DuckDBWarehouse(path)
        try:
            started = time.perf_counter()
            planner = BuiltinPlanner(model, ValueIndex.build(model, warehouse))
            print(f"value index: {(time.perf_counter() - started) * 1000:.1f} ms")
            groups = [g for f in FILES if f.exists() for g in load_questions(f)]
            timings: list[float] = []
            plan_only: list[float] = []
            for _ in range(args.repeat):
                for group in groups:
                    previous: SemanticQuery | None = None
                    for question in group:
                        started = time.perf_counter()
                        outcome = planner.plan(question.prompt, previous=previous, now=NOW)
                        planned = time.perf_counter()
                        if isinstance(outcome, Plan):
                            warehouse.execute(compile_query(outcome.query, model, "duckdb"))
                            previous = outcome.query
                        finished = time.perf_counter()
                        timings.append((finished - started) * 1000)
                        plan_only.append((planned - started) * 1000)
        finally:
            warehouse.close()
    print(f"questions: {len(timings) // args.repeat} x {args.repeat} runs")
    print(
        f"plan+compile+run  p50 {percentile(timings, 0.5):.2f} ms  "
        f"p99 {percentile(timings, 0.99):.2f} ms  mean {statistics.fmean(timings):.2f} ms"
    )
    print(
        f"plan only         p50 {percentile(plan_only, 0.5):.2f} ms  "
        f"p99 {percentile(plan_only, 0.99):.2f} ms"
    )


if __name__ == "__main__":
    main()
