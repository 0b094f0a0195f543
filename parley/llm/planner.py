"""A planner backed by an LLM behind any OpenAI-compatible endpoint.

The LLM sees the topic's fields (with types, timeframes, descriptions, synonyms and
known values) and must answer through a tool call whose arguments follow a JSON schema:
either `semantic_query` or `cannot_answer`. The query is validated against the semantic
model before anyone runs it — an LLM never writes SQL. A query that fails validation is
sent back once with the error, so the model can correct itself.

A job keeps one ``PlanSession`` for all its iterations: after a warehouse error or an
empty result, the session tells the model what happened and asks for a corrected query.
Calls go through the process's ``Gateway`` (limits, retries, circuit breaker).
"""

from __future__ import annotations

import asyncio
import functools
import json
import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from openai.types.chat import ChatCompletionMessageFunctionToolCall
from pydantic import ValidationError

from parley.assistant.planner import CannotAnswer, Plan
from parley.assistant.query import QueryError, SemanticQuery, resolve_query
from parley.assistant.semantic_model import Dimension, SemanticModel
from parley.assistant.value_index import ValueIndex
from parley.config import Settings
from parley.llm.gateway import Gateway, OnRetry, Tally

QUERY_TOOL = "semantic_query"
REFUSE_TOOL = "cannot_answer"
_MAX_VALUES_SHOWN = 25

_INSTRUCTIONS = """You turn questions about data into semantic queries for Parley.
Answer only by calling a tool. Call `semantic_query` with a query over the fields listed
below, or `cannot_answer` when the fields cannot answer the question. Never write SQL.

Fields are `view.field`; a date or timestamp dimension may take a timeframe in brackets
(`view.created_at[month]`; timeframes: date, week (weeks start Monday), month, quarter,
year). Filters map a field to: a value (equality), a list (any of), null, or an object
with `gte`/`gt`/`lt`/`lte` (dates as ISO strings, ranges end exclusive), `not`,
`contains`. Sorts name one of the query's fields. "top N" means sort by the measure
descending with limit N; without N, 10. "this year" is Jan 1 to now; "last month" is the
previous calendar month. Use the topic's default time field for dates unless another is
named. For a follow-up, start from the previous query and change only what is asked."""


class LLMPlanner:
    """Plans with an OpenAI-compatible chat model; validated against `model` before use."""

    def __init__(
        self, model: SemanticModel, settings: Settings, *, values: ValueIndex | None = None
    ) -> None:
        self.model = model
        self.settings = settings
        self.values = values

    def session(
        self,
        prompt: str,
        *,
        topic: str | None = None,
        previous: SemanticQuery | None = None,
        now: datetime,
        images: Sequence[str] = (),
    ) -> PlanSession | CannotAnswer:
        """``images``: data URLs of images attached to the question, for a model that
        takes images (``PARLEY_LLM_IMAGES``)."""
        topics = [topic] if topic is not None else list(self.model.topics)
        if any(t not in self.model.topics for t in topics):
            return CannotAnswer(f"There is no topic called {topic!r}.", tuple(self.model.topics))
        messages: list[dict[str, Any]] = [
            {"role": "system", "content": _INSTRUCTIONS},
            {"role": "system", "content": self.describe(topics, now)},
        ]
        if previous is not None:
            messages.append(
                {
                    "role": "system",
                    "content": "The previous query in this conversation was: "
                    + previous.model_dump_json(),
                }
            )
        if images:
            parts: list[dict[str, Any]] = [{"type": "text", "text": prompt}]
            parts += [{"type": "image_url", "image_url": {"url": url}} for url in images]
            messages.append({"role": "user", "content": parts})
        else:
            messages.append({"role": "user", "content": prompt})
        return PlanSession(self, topics, messages)

    def plan(
        self,
        prompt: str,
        *,
        topic: str | None = None,
        previous: SemanticQuery | None = None,
        now: datetime,
    ) -> Plan | CannotAnswer:
        """The blocking form, for callers on a thread of their own (evaluations): one
        plan over a gateway of its own."""
        session = self.session(prompt, topic=topic, previous=previous, now=now)
        if isinstance(session, CannotAnswer):
            return session

        async def once() -> Plan | CannotAnswer:
            gateway = Gateway(self.settings)
            try:
                return await session.plan(gateway, org=uuid.UUID(int=0), tally=Tally())
            finally:
                await gateway.aclose()

        return asyncio.run(once())

    def describe(self, topics: Sequence[str], now: datetime) -> str:
        """The fields the LLM may use, one per line, with what the planner knows of them."""
        moment = f"Now is {now.replace(tzinfo=None).isoformat(timespec='seconds')}."
        return moment + "\n" + self._fields(tuple(topics))

    @functools.lru_cache(maxsize=64)  # noqa: B019 - one planner per model, kept for the process
    def _fields(self, topics: tuple[str, ...]) -> str:
        lines: list[str] = []
        for name in topics:
            topic = self.model.topics[name]
            lines.append(f"\nTopic `{name}`: {topic.description}".rstrip())
            if topic.default_time_field:
                lines.append(f"Default time field: {topic.default_time_field}")
            for view in self.model.topic_views(name):
                for key, found in self.model.fields.items():
                    if found.view != view:
                        continue
                    definition = found.definition
                    kind = (
                        f"dimension, {definition.type}"
                        if isinstance(definition, Dimension)
                        else f"measure, {definition.type}"
                    )
                    parts = [f"- {key} ({kind})"]
                    if definition.description:
                        parts.append(definition.description)
                    if definition.synonyms:
                        parts.append("also called: " + ", ".join(definition.synonyms))
                    if isinstance(definition, Dimension) and definition.timeframes:
                        parts.append("timeframes: " + ", ".join(definition.timeframes))
                    known = self.values.values.get(key) if self.values else None
                    if known:
                        parts.append("values: " + ", ".join(known[:_MAX_VALUES_SHOWN]))
                    lines.append("; ".join(parts))
        return "\n".join(lines)

    def tools(self, topics: Sequence[str]) -> list[dict[str, Any]]:
        """The two tools, with JSON schemas the endpoint enforces on the arguments."""
        scalar = {"type": ["string", "number", "boolean", "null"]}
        return [
            {
                "type": "function",
                "function": {
                    "name": QUERY_TOOL,
                    "description": "Run a semantic query that answers the question.",
                    "parameters": {
                        "type": "object",
                        "additionalProperties": False,
                        "required": ["table", "fields"],
                        "properties": {
                            "table": {"type": "string", "enum": list(topics)},
                            "fields": {
                                "type": "array",
                                "minItems": 1,
                                "items": {"type": "string"},
                                "description": "view.field or view.time_field[timeframe]",
                            },
                            "filters": {
                                "type": "object",
                                "additionalProperties": {
                                    "anyOf": [
                                        scalar,
                                        {"type": "array", "items": scalar},
                                        {"type": "object"},
                                    ]
                                },
                            },
                            "sorts": {
                                "type": "array",
                                "items": {
                                    "type": "object",
                                    "additionalProperties": False,
                                    "required": ["column_name"],
                                    "properties": {
                                        "column_name": {"type": "string"},
                                        "sort_descending": {"type": "boolean"},
                                    },
                                },
                            },
                            "limit": {"type": ["integer", "null"], "minimum": 1},
                        },
                    },
                },
            },
            {
                "type": "function",
                "function": {
                    "name": REFUSE_TOOL,
                    "description": "Say why the fields cannot answer the question.",
                    "parameters": {
                        "type": "object",
                        "additionalProperties": False,
                        "required": ["message"],
                        "properties": {"message": {"type": "string"}},
                    },
                },
            },
        ]


class PlanSession:
    """One job's exchange with the model: its plan, then its corrections."""

    def __init__(
        self, planner: LLMPlanner, topics: list[str], messages: list[dict[str, Any]]
    ) -> None:
        self.planner = planner
        self.topics = topics
        self.messages = messages
        self._last_call: str | None = None

    async def plan(
        self,
        gateway: Gateway,
        *,
        org: uuid.UUID,
        tally: Tally,
        on_retry: OnRetry | None = None,
    ) -> Plan | CannotAnswer:
        """A validated query, or the model's reason it cannot answer. Gateway errors
        (``LLMUnavailable``, ``LLMRefused``) are the caller's to report."""
        model, topics, messages = self.planner.model, self.topics, self.messages
        last_error = "the model did not call a tool"
        for _attempt in range(2):
            completion = await gateway.complete(
                org=org,
                purpose="plan",
                tally=tally,
                on_retry=on_retry,
                messages=messages,
                tools=self.planner.tools(topics),
                tool_choice="required",
                temperature=0,
            )
            message = completion.choices[0].message
            calls = message.tool_calls or []
            if not calls:
                last_error = "the model answered without calling a tool"
                messages.append({"role": "assistant", "content": message.content or ""})
                messages.append({"role": "user", "content": "Answer by calling a tool."})
                continue
            call = calls[0]
            if not isinstance(call, ChatCompletionMessageFunctionToolCall):
                last_error = "the model called a tool that is not a function"
                messages.append({"role": "user", "content": "Answer by calling a function tool."})
                continue
            name, arguments = call.function.name, call.function.arguments
            messages.append(
                {
                    "role": "assistant",
                    "content": None,
                    "tool_calls": [
                        {
                            "id": call.id,
                            "type": "function",
                            "function": {"name": name, "arguments": arguments},
                        }
                    ],
                }
            )
            if name == REFUSE_TOOL:
                try:
                    reason = _load(arguments).get("message")
                except ValueError:
                    reason = None
                return CannotAnswer(str(reason or "The model cannot answer this question."))
            try:
                query = SemanticQuery.model_validate(_load(arguments))
                if query.table not in topics:
                    raise QueryError(f"table must be one of {', '.join(topics)}")
                resolve_query(query, model)
            except (ValidationError, QueryError, ValueError) as error:
                last_error = _short(error)
                self._answer_call(
                    call.id, f"Invalid query: {last_error}. Fix it and call the tool again."
                )
                continue
            self._last_call = call.id
            return Plan(query, query.table)
        return CannotAnswer(f"The language model did not produce a valid query: {last_error}")

    def feedback(self, text: str) -> None:
        """What running the last plan showed, for the model's next try."""
        if self._last_call is None:
            self.messages.append({"role": "user", "content": text})
        else:
            self._answer_call(self._last_call, text)
            self._last_call = None

    def _answer_call(self, call_id: str, text: str) -> None:
        self.messages.append({"role": "tool", "tool_call_id": call_id, "content": text})


def _load(arguments: str) -> dict[str, Any]:
    try:
        data = json.loads(arguments or "{}")
    except json.JSONDecodeError as error:
        raise ValueError(f"tool arguments are not JSON: {error}") from None
    if not isinstance(data, dict):
        raise ValueError("tool arguments must be a JSON object")
    return data


def _short(error: Exception) -> str:
    if isinstance(error, ValidationError):
        return "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in error.errors()[:5]
        )
    return str(error)
