"""HTTP for the synchronous query helpers: generate-query and pick-topic."""

from __future__ import annotations

import uuid
from datetime import datetime
from urllib.parse import urlencode

import anyio
from fastapi import APIRouter, Request
from sqlalchemy.ext.asyncio import AsyncConnection
from starlette.responses import Response

from parley.assistant import service
from parley.assistant.planner import CannotAnswer, Plan
from parley.assistant.runtime import ModelRuntime
from parley.assistant.schemas import (
    GenerateQueryRequest,
    GenerateQueryResponse,
    PickTopicRequest,
    PickTopicResponse,
)
from parley.auth.actors import acting_member, require_ai
from parley.auth.dependencies import Caller
from parley.auth.principal import Principal
from parley.db.database import Database, DatabaseDep, ReadConn
from parley.http.errors import NotFound, responses
from parley.http.responses import JsonResponse
from parley.kit import clock
from parley.llm import usage
from parley.llm.gateway import Gateway, LLMRefused, LLMUnavailable, Tally
from parley.llm.planner import LLMPlanner
from parley.models.branches import no_branch
from parley.models.service import runtime_for

router = APIRouter(prefix="/api/v1/ai", tags=["AI query helpers"])


async def _runtime(
    request: Request,
    caller: Principal,
    conn: AsyncConnection,
    model_id: uuid.UUID,
    user_id: uuid.UUID | None,
    branch_id: uuid.UUID | None,
) -> ModelRuntime:
    """What both helpers check first: AI is on, ``userId`` is allowed and a member, the
    model is the organization's and no branch is asked for; then the model's runtime."""
    require_ai(caller)
    await acting_member(conn, caller, user_id)
    runtime = await runtime_for(conn, request.app.state.runtimes, caller.organization_id, model_id)
    if branch_id is not None:
        raise NotFound(no_branch(branch_id, model_id))
    return runtime


@router.post(
    "/generate-query",
    response_model=GenerateQueryResponse,
    responses=responses(400, 401, 402, 403, 404, 413, 429),
    summary="Turn a question into a semantic query (and run it)",
)
async def generate_query(
    request: Request, body: GenerateQueryRequest, caller: Caller, database: DatabaseDep
) -> Response:
    # The read ends before the model is called, and the usage is written after: a
    # request never holds two pooled connections, nor one while it waits on the model.
    async with database.read() as conn:
        runtime = await _runtime(request, caller, conn, body.modelId, body.userId, body.branchId)
        topic = body.currentTopicName
        if topic is not None and topic not in runtime.model.topics:
            raise NotFound(f"No topic {topic!r} in this model")
        await usage.check_limit(conn, caller.organization_id, clock.utcnow())
    settings = request.app.state.settings
    now = settings.now or clock.utcnow()
    # With queryAllViews the planners may also use views outside topics; without it
    # they see the model as before.
    planning = await anyio.to_thread.run_sync(runtime.all_views) if body.queryAllViews else runtime
    planned = await _plan_with_model(request, caller, planning, body.prompt, topic, now)
    result = await anyio.to_thread.run_sync(
        lambda: service.answer(
            planning,
            body.prompt,
            now=now,
            topic=topic,
            run=body.runQuery,
            row_cap=settings.query_row_cap,
            timeout=settings.query_timeout,
            planned=planned,
        )
    )
    outside = result.topic if result.topic not in runtime.model.topics else None
    payload: dict[str, object] = {
        # Omni's docs page calls `query` an object and its SDK cannot read a null one, so
        # a prompt without a query gets an empty object; `error` says why (decision 0013).
        "query": result.query_json() or {},
        "topic": result.topic if outside is None else None,
        # A query on a view outside topics (queryAllViews) names the view, not a topic.
        "baseView": outside,
        "error": result.error,
    }
    if result.result is not None:
        payload["result"] = result.result.to_json()
    if body.workbookUrl:
        # Parley has no workbooks: the nearest thing is its web page with the prompt
        # filled in, where asking it runs the same query and shows its table and chart.
        query = urlencode({"model": str(body.modelId), "prompt": body.prompt})
        payload["workbookUrl"] = f"{settings.resolved_public_url}/?{query}"
    return JsonResponse(payload)


async def _plan_with_model(
    request: Request,
    caller: Principal,
    runtime: ModelRuntime,
    prompt: str,
    topic: str | None,
    now: datetime,
) -> Plan | CannotAnswer | None:
    """The LLM's plan, through the process's gateway (None without a model)."""
    gateway: Gateway | None = request.app.state.llm_gateway
    if gateway is None or not isinstance(runtime.planner, LLMPlanner):
        return None
    session = runtime.planner.session(prompt, topic=topic, now=now)
    if isinstance(session, CannotAnswer):
        return session
    tally = Tally()
    try:
        return await session.plan(gateway, org=caller.organization_id, tally=tally)
    except (LLMUnavailable, LLMRefused) as error:
        return CannotAnswer(error.message)
    finally:
        if tally.calls:
            database: Database = request.app.state.database
            with anyio.CancelScope(shield=True):
                async with database.write() as conn:
                    spent = usage.rows(
                        tally.calls,
                        org_id=caller.organization_id,
                        member_id=caller.membership_id or caller.owner_membership_id,
                        job_id=None,
                        model=gateway.model_name,
                        now=clock.utcnow(),
                    )
                    await usage.record(conn, spent)


@router.post(
    "/pick-topic",
    response_model=PickTopicResponse,
    responses=responses(400, 401, 403, 404, 413, 429),
    summary="Pick the topic that best fits a question",
)
async def pick_topic(
    request: Request, body: PickTopicRequest, caller: Caller, conn: ReadConn
) -> Response:
    runtime = await _runtime(request, caller, conn, body.modelId, body.userId, body.branchId)
    candidates = body.potentialTopicNames or None
    if candidates:
        unknown = [name for name in candidates if name not in runtime.model.topics]
        if unknown:
            raise NotFound(f"No topic {unknown[0]!r} in this model")
    topic = await anyio.to_thread.run_sync(service.pick_topic, runtime, body.prompt, candidates)
    return JsonResponse({"topicId": topic})
