"""HTTP for AI jobs: submit, status, result, cancel, events and chart."""

from __future__ import annotations

import asyncio
import hashlib
import uuid
from collections.abc import AsyncIterator
from typing import Annotated, Any

import anyio
import orjson
from fastapi import APIRouter, Header, Query, Request
from starlette.responses import Response

from parley.auth.dependencies import Caller
from parley.charts import NothingToChart, render_png
from parley.config import Settings
from parley.db.database import DatabaseDep, ReadConn
from parley.http.errors import ErrorBody, responses
from parley.http.responses import JsonResponse
from parley.jobs import repository, service
from parley.jobs.records import FINAL, Job
from parley.jobs.schemas import (
    CancelResponse,
    ChartError,
    JobResult,
    JobStatus,
    SubmitJobRequest,
    SubmitJobResponse,
)
from parley.jobs.service import MAX_IDEMPOTENCY_KEY
from parley.jobs.signals import Pulse
from parley.jobs.streams import RECONNECT_MS, SlotStream, StreamSlots

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
    responses=responses(400, 401, 402, 403, 404, 413, 429)
    | {
        409: {"model": ErrorBody, "description": "The conversation has an unfinished job."},
        422: {
            "model": ErrorBody,
            "description": "The `Idempotency-Key` was used with a different request.",
        },
    },
    summary="Submit an AI job",
    description="Queue the assistant on one prompt, in a new conversation or continuing "
    "`conversationId`. Beyond Omni: an `Idempotency-Key` header makes a retried submit "
    "(the same body and `userId`) return the first response instead of queuing a second "
    "job, for 24 hours; the same key with a different request is a 422.",
)
async def submit_job(
    request: Request,
    body: SubmitJobRequest,
    caller: Caller,
    database: DatabaseDep,
    user_id: UserIdQuery = None,
    idempotency_key: Annotated[
        str | None,
        Header(
            alias="Idempotency-Key",
            min_length=1,
            max_length=MAX_IDEMPOTENCY_KEY,
            description=f"1 to {MAX_IDEMPOTENCY_KEY} characters, unique per request.",
        ),
    ] = None,
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
    "iteration ends (the response may still say EXECUTING); later states are unchanged. "
    "The job must be visible to the caller as GET /jobs/{jobId} sees it (with `userId`, "
    "only that member's), else 404.",
)
async def cancel_job(
    request: Request,
    jobId: uuid.UUID,
    caller: Caller,
    database: DatabaseDep,
    user_id: UserIdQuery = None,
) -> Response:
    answer = await service.cancel(database, caller, jobId, _settings(request), user_id)
    request.app.state.job_changes.fire()
    return JsonResponse(answer)


def _event(name: str, data: dict[str, Any], event_id: str) -> bytes:
    return (
        b"event: "
        + name.encode()
        + b"\nid: "
        + event_id.encode()
        + b"\ndata: "
        + orjson.dumps(data)
        + b"\n\n"
    )


def _event_id(body: dict[str, Any]) -> str:
    """The same on every replica for the same state and progress, so a reconnecting
    client's ``Last-Event-ID`` says what it has already seen."""
    return hashlib.sha256(orjson.dumps(body, option=orjson.OPT_SORT_KEYS)).hexdigest()[:24]


@router.get(
    "/jobs/{jobId}/events",
    responses=responses(400, 401, 403, 404, 429)
    | {
        200: {"content": {"text/event-stream": {}}, "description": "Server-Sent Events."},
        204: {"description": "`Last-Event-ID` names the job's final state: nothing to send."},
    },
    summary="Server-Sent Events of a job's state and progress (beyond Omni)",
    description="One `state` event with the job's status (as GET /jobs/{jobId}) whenever "
    "its state or progress changes; the stream ends after the final state. A stream "
    "lasts at most `PARLEY_EVENT_STREAM_SECONDS` (then it sends `retry:` and ends, and the "
    "client reconnects); each event has an `id`, and a reconnect with `Last-Event-ID` "
    "sends only what changed since. A token holds at most `PARLEY_EVENT_STREAMS_PER_TOKEN` "
    "streams at once (429 beyond).",
)
async def job_events(
    request: Request,
    jobId: uuid.UUID,
    caller: Caller,
    conn: ReadConn,
    database: DatabaseDep,
    user_id: UserIdQuery = None,
    last_event_id: Annotated[
        str | None,
        Header(alias="Last-Event-ID", max_length=64, description="The last event's `id`."),
    ] = None,
) -> Response:
    job = await service.find(conn, caller, jobId, user_id)
    settings = _settings(request)
    public_url = settings.resolved_public_url
    if job.state in FINAL and last_event_id == _event_id(service.status(job, public_url)):
        # The client has the final state; 204 tells an EventSource to stop reconnecting.
        return Response(status_code=204)
    changes: Pulse = request.app.state.job_changes
    slots: StreamSlots = request.app.state.event_streams
    org_id, scope = caller.organization_id, caller.member_filter(user_id)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + settings.event_stream_seconds

    async def stream() -> AsyncIterator[bytes]:
        current: Job | None = job
        last = last_event_id
        while True:
            ticket = changes.ticket()
            if current is None:
                return
            body = service.status(current, public_url)
            event_id = _event_id(body)
            if event_id != last:
                last = event_id
                yield _event("state", body, event_id)
            if current.state in FINAL:
                return
            remaining = deadline - loop.time()
            if remaining <= 0:
                # Long enough: the client reconnects (with Last-Event-ID) and carries on.
                yield f"retry: {RECONNECT_MS}\n\n".encode()
                return
            # In-process workers wake the stream at once; other processes' changes are
            # seen by the poll, so it works across replicas.
            await Pulse.wait(ticket, min(EVENT_POLL_SECONDS, remaining))
            async with database.read() as conn:
                current = await repository.get(conn, org_id, scope, jobId)

    slots.take(caller.key_id)
    return SlotStream(
        stream(),
        slots,
        caller.key_id,
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
