"""The MCP tools: thin adapters from a tool call to Parley's own services (models, the
assistant, jobs, conversations), with the caller's scope applied by those services."""

from __future__ import annotations

import logging
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any

import anyio
from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ToolError
from pydantic import Field, ValidationError

from parley.assistant import service as assistant
from parley.assistant.query import SemanticQuery
from parley.assistant.runtime import ModelRuntime
from parley.auth.actors import require_ai
from parley.conversations import service as conversations
from parley.http.errors import ApiError, BadRequest, NotFound
from parley.jobs import repository as jobs_repository
from parley.jobs import service as jobs
from parley.jobs.records import FINAL, Job, JobState
from parley.jobs.results import summarize
from parley.jobs.schemas import SubmitJobRequest
from parley.jobs.signals import Pulse
from parley.kit import clock
from parley.mcp.access import Access, Resolver
from parley.models import repository as models_repository
from parley.models.service import runtime_for

log = logging.getLogger("parley.mcp")

# Rows a tool hands back unless asked for more: an assistant reads them all, so a
# few hundred is plenty; the warehouse's own cap (PARLEY_QUERY_ROW_CAP) still applies.
DEFAULT_ROWS = 100
MAX_ROWS = 5000
SAMPLE_VALUES = 25
MAX_WAIT_SECONDS = 300.0
JOB_POLL_SECONDS = 0.1
MAX_MODELS = 100

ModelId = Annotated[uuid.UUID, Field(description="A model ID, as list_models gives it.")]
Question = Annotated[
    str, Field(min_length=1, max_length=10_000, description="The question, in plain language.")
]
TopicName = Annotated[str, Field(max_length=256, description="A topic name of the model.")]
MaxRows = Annotated[
    int, Field(ge=1, le=MAX_ROWS, description="Most rows to return (the rest are counted).")
]

QUERY_HELP = """\
A semantic query is JSON: {"table": <topic>, "fields": ["view.field", ...],
"filters": {"view.field": <filter>}, "sorts": [{"column_name": "view.field",
"sort_descending": true}], "limit": <n>}. Fields are the names describe_topic lists; a
date or timestamp dimension takes a timeframe in brackets: "orders.created_at[month]"
(date, week, month, quarter, year). A filter is a value, a list of values (any of them),
null, or an object: {"gte": v, "lt": v} (dates as ISO strings, end exclusive),
{"contains": "text"}, {"starts_with": "text"}, {"is_null": true}, {"not": <filter>}.
Measures in fields are aggregated by the dimensions in fields."""


def _text_of(error: dict[str, str] | None) -> str:
    if not error:
        return "The question could not be answered."
    return " ".join(part for part in (error.get("message"), error.get("detail")) if part)


def _topic_summary(name: str, topic: object) -> dict[str, Any]:
    topic = topic if isinstance(topic, dict) else {}
    return {
        "name": name,
        "label": topic.get("label") or name.replace("_", " "),
        "description": topic.get("description") or "",
    }


class Tools:
    def __init__(self, resolve: Resolver) -> None:
        self._resolve = resolve

    @asynccontextmanager
    async def _acting(self, ctx: Context) -> AsyncIterator[Access]:
        """The caller of this tool call; Parley's errors become tool errors whose text
        says what went wrong, as the API's ``detail`` would."""
        try:
            yield await self._resolve(ctx)
        except ToolError:
            raise
        except ApiError as error:
            raise ToolError(f"{error.detail} (HTTP {error.status})") from None
        except Exception as error:
            log.exception("MCP tool failed", extra={"error_type": type(error).__name__})
            raise ToolError("Internal error; the server's log has the details.") from None

    async def _runtime(self, access: Access, model_id: uuid.UUID) -> ModelRuntime:
        require_ai(access.caller)
        services = access.services
        async with services.database.read() as conn:
            return await runtime_for(
                conn, services.runtimes, access.caller.organization_id, model_id
            )

    # -- models and topics -----------------------------------------------------------

    async def list_models(self, ctx: Context) -> dict[str, Any]:
        """List the semantic models of your organization, newest first, each with its
        topics (name, label, description). Start here: every other data tool takes a
        model ID, and a topic is the table a question is answered from."""
        async with self._acting(ctx) as access:
            async with access.services.database.read() as conn:
                rows = await models_repository.page(
                    conn, access.caller.organization_id, after=None, limit=MAX_MODELS
                )
            return {
                "models": [
                    {
                        "id": str(row.id),
                        "name": row.name,
                        "description": row.definition.get("description") or "",
                        "topics": [
                            _topic_summary(name, topic)
                            for name, topic in (row.definition.get("topics") or {}).items()
                        ],
                    }
                    for row in rows
                ]
            }

    async def describe_topic(
        self, ctx: Context, model_id: ModelId, topic: TopicName
    ) -> dict[str, Any]:
        """Describe one topic's fields so you can ask good questions or write a semantic
        query: each dimension and measure with its name (view.field), type, label,
        description, synonyms, timeframes and, for text dimensions, sample values
        exactly as stored in the warehouse."""
        async with self._acting(ctx) as access:
            runtime = await self._runtime(access, model_id)
            model = runtime.model
            found = model.topics.get(topic)
            if found is None:
                raise NotFound(f"No topic {topic!r} in this model")
            index = runtime.builtin.values
            fields: list[dict[str, Any]] = []
            for view_name in model.topic_views(topic):
                for key, field in model.fields.items():
                    if field.view != view_name:
                        continue
                    definition = field.definition
                    entry: dict[str, Any] = {
                        "name": key,
                        "kind": "measure" if field.is_measure else "dimension",
                        "type": definition.type,
                        "label": field.label,
                        "description": definition.description,
                    }
                    if definition.synonyms:
                        entry["synonyms"] = list(definition.synonyms)
                    timeframes = getattr(definition, "timeframes", ())
                    if timeframes:
                        entry["timeframes"] = list(timeframes)
                    values = index.values.get(key) if index is not None else None
                    if values:
                        entry["sampleValues"] = list(values[:SAMPLE_VALUES])
                        entry["distinctValues"] = len(values)
                    fields.append(entry)
            return {
                "modelId": str(model_id),
                "topic": topic,
                "label": found.label or topic.replace("_", " "),
                "description": found.description,
                "defaultTimeField": found.default_time_field,
                "views": model.topic_views(topic),
                "fields": fields,
            }

    async def pick_topic(
        self,
        ctx: Context,
        model_id: ModelId,
        question: Question,
        candidates: Annotated[
            list[str] | None, Field(description="Only choose among these topics.")
        ] = None,
    ) -> dict[str, Any]:
        """Pick the topic of a model that best fits a question (the same choice Parley's
        assistant makes before it plans a query)."""
        async with self._acting(ctx) as access:
            runtime = await self._runtime(access, model_id)
            if not runtime.model.topics:
                raise NotFound("The model has no topics")
            if candidates:
                unknown = [name for name in candidates if name not in runtime.model.topics]
                if unknown:
                    raise NotFound(f"No topic {unknown[0]!r} in this model")
            name = await anyio.to_thread.run_sync(
                assistant.pick_topic, runtime, question, candidates or None
            )
            found = runtime.model.topics[name]
            return {
                "topic": name,
                "label": found.label or name.replace("_", " "),
                "description": found.description,
            }

    # -- data ------------------------------------------------------------------------

    async def get_data(
        self,
        ctx: Context,
        model_id: ModelId,
        question: Annotated[
            str | None,
            Field(
                max_length=10_000,
                description="A question in plain language; Parley plans the query.",
            ),
        ] = None,
        query: Annotated[
            dict[str, Any] | None,
            Field(description="A semantic query you wrote (instead of a question)."),
        ] = None,
        topic: Annotated[
            str | None,
            Field(max_length=256, description="Answer a question from this topic."),
        ] = None,
        max_rows: MaxRows = DEFAULT_ROWS,
    ) -> dict[str, Any]:
        """Get data from a model: pass either a question, which Parley turns into a
        semantic query, or a semantic query you wrote, which Parley validates against
        the model exactly as it validates its own. Returns the query that ran, the
        columns and rows (at most max_rows; totalRowCount counts them all), and a short
        answer in Markdown. Nothing is stored. When the question cannot be understood the
        error says what was not, with examples of questions that work."""
        async with self._acting(ctx) as access:
            if (question is None) == (query is None):
                raise BadRequest("Pass either question or query, not both and not neither")
            runtime = await self._runtime(access, model_id)
            settings = access.services.settings
            if query is not None:
                try:
                    semantic = SemanticQuery.model_validate(query)
                except ValidationError as error:
                    raise BadRequest(f"Not a semantic query: {_validation_text(error)}") from None
                answer = await anyio.to_thread.run_sync(
                    lambda: assistant.run_query(
                        runtime,
                        semantic,
                        semantic.table,
                        row_cap=settings.query_row_cap,
                        timeout=settings.query_timeout,
                    )
                )
            else:
                prompt = (question or "").strip()
                if not prompt:
                    raise BadRequest("question must not be empty")
                if topic is not None and topic not in runtime.model.topics:
                    raise NotFound(f"No topic {topic!r} in this model")
                now = settings.now or clock.utcnow()
                answer = await anyio.to_thread.run_sync(
                    lambda: assistant.answer(
                        runtime,
                        prompt,
                        now=now,
                        topic=topic,
                        row_cap=settings.query_row_cap,
                        timeout=settings.query_timeout,
                    )
                )
            if answer.error is not None or answer.result is None:
                raise ToolError(_text_of(answer.error))
            result = answer.result
            text, summary = summarize(runtime.model, result)
            return {
                "topic": answer.topic,
                "query": answer.query_json(),
                "answer": text,
                "summary": summary,
                "columns": result.columns,
                "rows": result.rows[:max_rows],
                "totalRowCount": result.total_row_count,
                "truncated": result.truncated or len(result.rows) > max_rows,
            }

    # -- conversations ---------------------------------------------------------------

    async def ask(
        self,
        ctx: Context,
        question: Question,
        conversation_id: Annotated[
            uuid.UUID | None,
            Field(description="Continue this conversation; omit to start a new one."),
        ] = None,
        model_id: Annotated[
            uuid.UUID | None,
            Field(description="The model to ask (default: the organization's newest)."),
        ] = None,
        topic: Annotated[
            str | None, Field(max_length=256, description="Answer from this topic.")
        ] = None,
        wait_seconds: Annotated[
            float, Field(gt=0, le=MAX_WAIT_SECONDS, description="Most seconds to wait.")
        ] = 60.0,
        max_rows: MaxRows = DEFAULT_ROWS,
    ) -> dict[str, Any]:
        """Ask Parley's assistant in a conversation, as the member you act for: starts a
        new conversation or continues one (a follow-up such as "now by month" builds on
        the previous answer), waits for the answer and returns it with the conversation
        ID. The conversation appears in the member's history and on Parley's web page."""
        async with self._acting(ctx) as access:
            await access.member()
            services = access.services
            caller = access.caller
            if model_id is None:
                async with services.database.read() as conn:
                    newest = await models_repository.page(
                        conn, caller.organization_id, after=None, limit=1
                    )
                if not newest:
                    raise NotFound("The organization has no semantic model")
                model_id = newest[0].id
            try:
                body = SubmitJobRequest(
                    modelId=model_id,
                    prompt=question,
                    conversationId=conversation_id,
                    topicName=topic,
                )
            except ValidationError as error:
                raise BadRequest(_validation_text(error)) from None
            submitted = await jobs.submit(
                services.database,
                caller,
                body,
                user_id=access.list_filter,
                idempotency_key=None,
                settings=services.settings,
            )
            services.job_wakeup.fire()
            job = await self._wait(access, uuid.UUID(submitted["jobId"]), wait_seconds)
            public_url = services.settings.resolved_public_url
            outcome: dict[str, Any] = {
                "jobId": submitted["jobId"],
                "conversationId": submitted["conversationId"],
                "url": submitted["omniChatUrl"],
                "state": job.state.value,
            }
            if job.state == JobState.COMPLETE:
                stored = dict(job.result or {})
                answer = jobs.result(job, public_url)
                table = stored.get("table") or {"columns": [], "rows": []}
                query = None
                for action in answer["actions"]:
                    query = (action.get("result") or {}).get("query") or query
                rows = list(table["rows"])
                outcome |= {
                    "topic": answer["topic"],
                    "answer": answer["message"],
                    "summary": answer["resultSummary"],
                    "query": query,
                    "columns": list(table["columns"]),
                    "rows": rows[:max_rows],
                    "rowCount": len(rows),
                }
                return outcome
            if job.state in FINAL:
                failure = dict(job.error or {}) if job.state == JobState.FAILED else {}
                reason = _text_of(failure) if failure else f"The job was {job.state.lower()}."
                raise ToolError(
                    f"{reason} (conversation {submitted['conversationId']}, job {job.id})"
                )
            outcome["message"] = (
                f"Still working after {wait_seconds:g} s; read the answer later with "
                "get_conversation."
            )
            return outcome

    async def _wait(self, access: Access, job_id: uuid.UUID, seconds: float) -> Job:
        services = access.services
        changes: Pulse = services.job_changes
        org, scope = access.caller.organization_id, access.caller.member_filter(access.list_filter)
        with anyio.move_on_after(seconds):
            while True:
                # In-process workers wake this at once; workers elsewhere are seen by
                # the poll.
                ticket = changes.ticket()
                async with services.database.read() as conn:
                    job = await jobs_repository.get(conn, org, scope, job_id)
                if job is None or job.state in FINAL:
                    break
                await Pulse.wait(ticket, JOB_POLL_SECONDS)
        async with services.database.read() as conn:
            job = await jobs_repository.get(conn, org, scope, job_id)
        if job is None:
            raise NotFound(f"No job {job_id}")
        return job

    async def list_conversations(
        self,
        ctx: Context,
        search: Annotated[
            str | None,
            Field(max_length=500, description="Only conversations whose text contains this."),
        ] = None,
        page_size: Annotated[int, Field(ge=1, le=100, description="Conversations per page.")] = 20,
        cursor: Annotated[
            str | None,
            Field(max_length=1024, description="nextCursor of the previous page."),
        ] = None,
    ) -> dict[str, Any]:
        """List the conversations of the member you act for, most recent first (the same
        list as Parley's API and web page), a page at a time."""
        async with self._acting(ctx) as access:
            await access.member()
            services = access.services
            text = search.strip() if search else None
            if text and "\x00" in text:
                raise BadRequest("search must not contain NUL characters")
            async with services.database.direct(scan=bool(text)) as reader:
                page = await conversations.list_conversations(
                    reader,
                    access.caller,
                    services.cursor_codec,
                    page_size=page_size,
                    cursor=cursor,
                    user_id=access.list_filter,
                    search=text,
                )
            return page.to_wire()

    async def get_conversation(
        self,
        ctx: Context,
        conversation_id: Annotated[uuid.UUID, Field(description="The conversation's ID.")],
    ) -> dict[str, Any]:
        """Read one of the member's conversations with all its messages, oldest first."""
        async with self._acting(ctx) as access:
            await access.member()
            services = access.services
            async with services.database.read() as conn:
                return await conversations.get_conversation(
                    conn,
                    access.caller,
                    conversation_id,
                    public_url=services.settings.resolved_public_url,
                    user_id=access.list_filter,
                )


def _validation_text(error: ValidationError) -> str:
    parts = []
    for item in error.errors():
        where = ".".join(str(p) for p in item.get("loc", ())) or "value"
        message = str(item.get("msg", "invalid")).removeprefix("Value error, ")
        parts.append(f"{where}: {message}")
    return "; ".join(parts)
