"""HTTP for AI jobs: submit, status, result, cancel, events and chart."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Annotated, Any

import anyio
import orjson
from fastapi import APIRouter, Header, Query, Request
from starlette.responses import Response, StreamingResponse

from parley.auth.dependencies import Caller
from parley.charts import NothingToChart, render_png
from parley.config import Settings
from parley.db import DatabaseDep, ReadConn
from parley.errors import responses
from parley.jobs import repository, service
from parley.jobs.schemas import (
    CancelResponse,
    ChartError,
    JobResult,
    JobStatus,
    SubmitJobRequest,
    SubmitJobResponse,
)
from parley.jobs.signals import Pulse
from parley.kit.responses import JsonResponse

router = APIRouter(prefix="/api/v1/ai", tags=["AI jobs"])
EVENT_POLL_SECONDS = 0.1

UserIdQuery = Annotated[
    uuid.UUID | None,
    Query(alias="userId", description="Membership ID to act as. Organization API keys only."),
]


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


@router.post(
    "/jobs",
    status_code=201,
    response_model=SubmitJobResponse,
    responses=responses(400, 401, 402, 403, 404, 429)
    | {409: {"description": "The conversation already has an unfinished job."}},
    summary="Submit an AI job",
    description="Queue the assistant on one prompt, in a new conversation or continuing "
    "`conversationId`. Beyond Omni: an `Idempotency-Key` header makes a retried submit "
    "return the first response instead of queuing a second job.",
)
async def submit_job(
    request: Request,
    body: SubmitJobRequest,
    caller: Caller,
    database: DatabaseDep,
    user_id: UserIdQuery = None,
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key")] = None,
) -> Response:
    submitted = await service.submit(
        database,
        caller,
        body,
        user_id=user_id,
        idempotency_key=idempotency_key,
        settings=_settings(request),
    )
    # Committed: wake this process's workers now rather than at their next poll.
    wakeup: Pulse = request.app.state.job_wakeup
    wakeup.fire()
    return JsonResponse(submitted, status_code=201)


@router.get(
    "/jobs/{jobId}",
    response_model=JobStatus,
    response_model_exclude_none=True,
    responses=responses(400, 401, 403, 404, 429),
    summary="An AI job's state",
)
async def get_job(
    request: Request,
    jobId: uuid.UUID,
    caller: Caller,
    conn: ReadConn,
    user_id: UserIdQuery = None,
) -> Response:
    job = await service.find(conn, caller, jobId, user_id)
    return JsonResponse(service.status(job, _settings(request).resolved_public_url))


@router.get(
    "/jobs/{jobId}/result",
    response_model=JobResult,
    responses=responses(400, 401, 403, 404, 429),
    summary="The answer of a COMPLETE job",
)
async def get_result(
    request: Request,
    jobId: uuid.UUID,
    caller: Caller,
    conn: ReadConn,
    user_id: UserIdQuery = None,
) -> Response:
    job = await service.find(conn, caller, jobId, user_id)
    return JsonResponse(service.result(job, _settings(request).resolved_public_url))


@router.post(
    "/jobs/{jobId}/cancel",
    response_model=CancelResponse,
    responses=responses(400, 401, 403, 404, 429),
    summary="Cancel an AI job",
    description="QUEUED jobs are cancelled at once, EXECUTING ones when their current "
    "iteration ends (the response may still say EXECUTING); later states are unchanged.",
)
async def cancel_job(
    request: Request, jobId: uuid.UUID, caller: Caller, database: DatabaseDep
) -> Response:
    answer = await service.cancel(database, caller, jobId, _settings(request))
    request.app.state.job_changes.fire()
    return JsonResponse(answer)


def _event(name: str, data: dict[str, Any]) -> bytes:
    return b"event: " + name.encode() + b"\ndata: " + orjson.dumps(data) + b"\n\n"


@router.get(
    "/jobs/{jobId}/events",
    responses=responses(400, 401, 403, 404, 429)
    | {200: {"content": {"text/event-stream": {}}, "description": "Server-Sent Events."}},
    summary="Server-Sent Events of a job's state and progress (beyond Omni)",
    description="One `state` event with the job's status (as GET /jobs/{jobId}) whenever "
    "its state or progress changes; the stream ends after the final state.",
)
async def job_events(
    request: Request,
    jobId: uuid.UUID,
    caller: Caller,
    conn: ReadConn,
    database: DatabaseDep,
    user_id: UserIdQuery = None,
) -> Response:
    job = await service.find(conn, caller, jobId, user_id)
    public_url = _settings(request).resolved_public_url
    changes: Pulse = request.app.state.job_changes
    org_id, scope = caller.organization_id, caller.member_filter(user_id)

    async def stream() -> AsyncIterator[bytes]:
        current, last = job, None
        while True:
            ticket = changes.ticket()
            if current is None:
                return
            body = service.status(current, public_url)
            if body != last:
                last = body
                yield _event("state", body)
            if current.state in repository.FINAL:
                return
            # In-process workers wake the stream at once; other processes' changes are
            # seen by the poll, so it works across replicas.
            await Pulse.wait(ticket, EVENT_POLL_SECONDS)
            async with database.read() as conn:
                current = await repository.get(conn, org_id, scope, jobId)

    return StreamingResponse(
        stream(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


@router.get(
    "/jobs/{jobId}/vis",
    responses=responses(400, 401, 403, 404, 429)
    | {
        200: {"content": {"image/png": {}}, "description": "A PNG chart."},
        422: {"model": ChartError, "description": "The answer has nothing to chart."},
    },
    response_class=Response,
    summary="A chart of a COMPLETE job's last query result",
)
async def job_chart(
    jobId: uuid.UUID, caller: Caller, conn: ReadConn, user_id: UserIdQuery = None
) -> Response:
    job = await service.find(conn, caller, jobId, user_id)
    columns, rows, query = service.chart_data(job)
    try:
        png = await anyio.to_thread.run_sync(render_png, columns, rows, query)
    except NothingToChart as error:
        return JsonResponse({"error": str(error) or "Nothing to chart"}, status_code=422)
    return Response(bytes(png), media_type="image/png")
