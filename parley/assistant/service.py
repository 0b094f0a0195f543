"""Answering one question over one model: plan, compile, run. Blocking code, run it on a
worker thread; the HTTP endpoints and the job workers share it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from parley.assistant.compiler import compile_query
from parley.assistant.executor import QueryResult, QueryTimeout, WarehouseError
from parley.assistant.planner import CannotAnswer, Plan
from parley.assistant.query import QueryError, SemanticQuery
from parley.assistant.runtime import ModelRuntime


@dataclass(frozen=True)
class Answer:
    query: SemanticQuery | None
    topic: str | None
    error: dict[str, str] | None = None
    result: QueryResult | None = None
    sql: str | None = None

    def query_json(self) -> dict[str, Any] | None:
        return self.query.model_dump(mode="json", exclude_none=True) if self.query else None


def answer(
    runtime: ModelRuntime,
    prompt: str,
    *,
    now: datetime,
    topic: str | None = None,
    previous: SemanticQuery | None = None,
    run: bool = True,
    row_cap: int = 5000,
    timeout: float = 30.0,
    planned: Plan | CannotAnswer | None = None,
) -> Answer:
    """``planned``: a plan made already (by the LLM, which is asked from the event loop)."""
    outcome = planned or runtime.planner.plan(prompt, topic=topic, previous=previous, now=now)
    if isinstance(outcome, CannotAnswer):
        detail = ""
        if outcome.suggestions:
            detail = "Questions I can answer look like: " + "; ".join(outcome.suggestions)
        return Answer(None, topic, {"message": outcome.message, "detail": detail})
    try:
        compiled = compile_query(outcome.query, runtime.model, runtime.warehouse.dialect)
    except QueryError as error:
        return Answer(outcome.query, outcome.topic, {"message": str(error), "detail": ""})
    if not run:
        return Answer(outcome.query, outcome.topic, sql=compiled.sql)
    try:
        result = runtime.warehouse.execute(compiled, row_cap=row_cap, timeout=timeout)
    except QueryTimeout as error:
        return Answer(outcome.query, outcome.topic, {"message": str(error), "detail": ""})
    except WarehouseError as error:
        return Answer(
            outcome.query,
            outcome.topic,
            {"message": "The warehouse could not run the query.", "detail": str(error)},
        )
    return Answer(outcome.query, outcome.topic, result=result, sql=compiled.sql)


def pick_topic(runtime: ModelRuntime, prompt: str, candidates: list[str] | None) -> str:
    return runtime.builtin.pick_topic(prompt, candidates)
