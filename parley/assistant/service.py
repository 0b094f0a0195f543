"""Answering one question over one model: plan, compile, run. Blocking code, run it on a
worker thread; the HTTP endpoints and the job workers share it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from parley.assistant.compiler import compile_query
from parley.assistant.executor import QueryResult, QueryTimeout, WarehouseError
from parley.assistant.filter_values import check_filter_values
from parley.assistant.outcome import Plan
from parley.assistant.planner import CannotAnswer
from parley.assistant.planning.readback import sentence
from parley.assistant.query import QueryError, SemanticQuery
from parley.assistant.runtime import ModelRuntime


@dataclass(frozen=True)
class Answer:
    query: SemanticQuery | None
    topic: str | None
    error: dict[str, str] | None = None
    result: QueryResult | None = None
    sql: str | None = None
    reading: str = ""  # how the question was read, in plain words

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
        return _refused(outcome, topic)
    # run_query checks the filter values, for this plan as for a client's own query.
    return run_query(
        runtime,
        outcome.query,
        outcome.topic,
        reading=outcome.reading,
        run=run,
        row_cap=row_cap,
        timeout=timeout,
    )


def run_query(
    runtime: ModelRuntime,
    query: SemanticQuery,
    topic: str | None,
    *,
    reading: str = "",
    run: bool = True,
    row_cap: int = 5000,
    timeout: float = 30.0,
) -> Answer:
    """Validate a semantic query against the model, check that the values its filters
    name exist, compile it and (with ``run``) run it: the planners' queries and those a
    client writes itself take this same path."""
    refusal = check_filter_values(query, runtime.model, runtime.builtin.values)
    if refusal is not None:
        return _refused(refusal, topic)
    try:
        compiled = compile_query(query, runtime.model, runtime.warehouse.dialect)
    except QueryError as error:
        return Answer(query, topic, {"message": str(error), "detail": ""})
    reading = reading or sentence(runtime.model, query)
    if not run:
        return Answer(query, topic, sql=compiled.sql, reading=reading)
    try:
        result = runtime.warehouse.execute(compiled, row_cap=row_cap, timeout=timeout)
    except QueryTimeout as error:
        return Answer(query, topic, {"message": str(error), "detail": ""})
    except WarehouseError as error:
        return Answer(
            query,
            topic,
            {"message": "The warehouse could not run the query.", "detail": str(error)},
        )
    return Answer(query, topic, result=result, sql=compiled.sql, reading=reading)


def refusal_detail(outcome: CannotAnswer) -> str:
    """The questions a refusal suggests instead, as one line ("" when it has none)."""
    if not outcome.suggestions:
        return ""
    return "Questions I can answer look like: " + "; ".join(outcome.suggestions)


def _refused(outcome: CannotAnswer, topic: str | None) -> Answer:
    return Answer(None, topic, {"message": outcome.message, "detail": refusal_detail(outcome)})


def checked(runtime: ModelRuntime, outcome: Plan | CannotAnswer) -> Plan | CannotAnswer:
    """Any planner's plan, refused when its filters name values the warehouse lacks."""
    if isinstance(outcome, CannotAnswer):
        return outcome
    refusal = check_filter_values(outcome.query, runtime.model, runtime.builtin.values)
    return refusal or outcome


def pick_topic(runtime: ModelRuntime, prompt: str, candidates: list[str] | None) -> str:
    return runtime.builtin.pick_topic(prompt, candidates)
