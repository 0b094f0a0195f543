"""Cancelling in every state, the event stream and the chart: driven step by step with a
worker the test holds (no background workers)."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Callable
from typing import Any, TypeVar

import httpx
import pytest
from fastapi import FastAPI

from parley.db.database import Database
from tests.factories import Org, bearer, make_member
from tests.support.jobs import JOBS, claimed, hand_worker, submit, wait_final

CONVERSATIONS = "/api/v1/ai/conversations"
T = TypeVar("T")
pytestmark = pytest.mark.parametrize("workers", [0])


async def state_of(client: httpx.AsyncClient, token: str, job_id: str) -> dict[str, Any]:
    body: dict[str, Any] = (await client.get(f"{JOBS}/{job_id}", headers=bearer(token))).json()
    return body


async def cancel(client: httpx.AsyncClient, token: str, job_id: str) -> httpx.Response:
    return await client.post(f"{JOBS}/{job_id}/cancel", headers=bearer(token))


async def test_cancel_in_each_state(
    app: FastAPI, client: httpx.AsyncClient, database: Database, org: Org, model_id: str
) -> None:
    token = org.owner.token
    # QUEUED: cancelled at once.
    queued = (await submit(client, token, model_id, "Revenue by region")).json()
    answer = await cancel(client, token, queued["jobId"])
    assert answer.json() == {"jobId": queued["jobId"], "state": "CANCELLED"}
    job = await state_of(client, token, queued["jobId"])
    assert job["cancelledBy"] == str(org.owner.id) and job["cancelledAt"]
    # Final: unchanged, however often.
    assert (await cancel(client, token, queued["jobId"])).json()["state"] == "CANCELLED"
    assert await hand_worker(app).claim("test") is None

    # EXECUTING: the answer says EXECUTING; the job stops when its iteration ends.
    running = (
        await submit(
            client, token, model_id, "Orders by status", conversationId=queued["conversationId"]
        )
    ).json()
    pool, claim = await claimed(app)
    assert (await state_of(client, token, running["jobId"]))["state"] == "EXECUTING"
    assert (await cancel(client, token, running["jobId"])).json()["state"] == "EXECUTING"
    await pool.run_claim(claim)
    job = await state_of(client, token, running["jobId"])
    assert job["state"] == "CANCELLED" and "completedAt" not in job
    # It ran, so it keeps when it started; the job cancelled while queued never did.
    assert job["executionStartedAt"] <= job["cancelledAt"]
    assert "executionStartedAt" not in await state_of(client, token, queued["jobId"])

    # DELIVERING: too late to cancel; it completes.
    late = (
        await submit(
            client, token, model_id, "Revenue by brand", conversationId=queued["conversationId"]
        )
    ).json()
    pool, claim = await claimed(app)
    assert await pool._step(claim, "Reading the question") == "go"
    body = await pool._answer(claim)
    assert body is not None
    assert (await state_of(client, token, late["jobId"]))["state"] == "DELIVERING"
    assert (await cancel(client, token, late["jobId"])).json()["state"] == "DELIVERING"
    await pool._complete(claim, body)
    assert (await state_of(client, token, late["jobId"]))["state"] == "COMPLETE"

    # Cancelled jobs leave only their prompt in the thread.
    thread = (
        await client.get(f"{CONVERSATIONS}/{queued['conversationId']}", headers=bearer(token))
    ).json()
    assert [(m["role"], m["jobId"]) for m in thread["messages"]] == [
        ("user", None),
        ("user", None),
        ("user", None),
        ("assistant", late["jobId"]),
    ]


async def test_who_may_cancel(
    client: httpx.AsyncClient, database: Database, org: Org, model_id: str
) -> None:
    member = await make_member(database, org)
    colleague = await make_member(database, org)
    job = (await submit(client, member.token, model_id, "Revenue by region")).json()
    assert (await cancel(client, colleague.token, job["jobId"])).status_code == 404
    # The owner is an org admin, but a personal token sees only its own jobs, so it
    # learns nothing of this one (decision 0010); the organization key cancels it.
    refused = await cancel(client, org.owner.token, job["jobId"])
    assert refused.status_code == 404 and "QUEUED" not in refused.text
    assert (await cancel(client, org.org_key, job["jobId"])).json()["state"] == "CANCELLED"
    other = (await submit(client, member.token, model_id, "Orders by status")).json()
    assert (await cancel(client, member.token, other["jobId"])).json()["state"] == "CANCELLED"
    assert (await cancel(client, org.org_key, str(uuid.uuid4()))).status_code == 404


async def test_a_lost_lease_never_writes_twice(
    app: FastAPI, client: httpx.AsyncClient, database: Database, org: Org, model_id: str
) -> None:
    token = org.owner.token
    ids = (await submit(client, token, model_id, "Revenue by region")).json()
    first, stale = await claimed(app)
    # The lease runs out (the worker stalled); another worker takes the job over.
    async with database.write() as conn:
        from parley.jobs import repository

        await repository.set_values(conn, stale.job.id, lease_expires_at=stale.job.created_at)
    second, fresh = await claimed(app)
    assert fresh.job.id == stale.job.id and fresh.job.attempts == 2
    await first.run_claim(stale)  # the stalled worker wakes up: every write is refused
    assert (await state_of(client, token, ids["jobId"]))["state"] == "EXECUTING"
    await second.run_claim(fresh)
    assert (await state_of(client, token, ids["jobId"]))["state"] == "COMPLETE"
    thread = (
        await client.get(f"{CONVERSATIONS}/{ids['conversationId']}", headers=bearer(token))
    ).json()
    assert [m["role"] for m in thread["messages"]] == ["user", "assistant"]


async def test_a_job_out_of_retries_fails_clearly(
    app: FastAPI, client: httpx.AsyncClient, database: Database, org: Org, model_id: str
) -> None:
    from parley.jobs import repository

    ids = (await submit(client, org.owner.token, model_id, "Revenue by region")).json()
    for _ in range(app.state.settings.job_max_attempts):
        _, claim = await claimed(app)
        async with database.write() as conn:
            await repository.set_values(conn, claim.job.id, lease_expires_at=claim.job.created_at)
    assert await hand_worker(app).claim("test") is None
    job = await state_of(client, org.owner.token, ids["jobId"])
    assert job["state"] == "FAILED" and job["error"]["code"] == "WORKER_LOST"
    assert "interrupted 3 times" in job["error"]["message"]


async def test_events_stream_until_final(
    app: FastAPI, client: httpx.AsyncClient, org: Org, model_id: str
) -> None:
    token = org.owner.token
    ids = (await submit(client, token, model_id, "Revenue by region")).json()

    async def drive() -> None:
        await asyncio.sleep(0.3)
        pool, claim = await claimed(app)
        await pool.run_claim(claim)

    driver = asyncio.create_task(drive())
    response = await client.get(f"{JOBS}/{ids['jobId']}/events", headers=bearer(token))
    await driver
    assert response.headers["content-type"].startswith("text/event-stream")
    events = [block for block in response.text.split("\n\n") if block]
    states = [json.loads(e.split("data: ", 1)[1])["state"] for e in events]
    assert states[0] == "QUEUED" and states[-1] == "COMPLETE"
    # A job may pass through a state between two looks of the stream, so the test checks
    # the order of what was seen, not that every state was seen.
    path = ["QUEUED", "EXECUTING", "DELIVERING", "COMPLETE"]
    assert [path.index(state) for state in states] == sorted(path.index(s) for s in states)
    assert all(e.startswith("event: state\n") for e in events)
    missing = await client.get(f"{JOBS}/{uuid.uuid4()}/events", headers=bearer(token))
    assert missing.status_code == 404


async def test_chart_of_a_complete_job(
    app: FastAPI, client: httpx.AsyncClient, org: Org, model_id: str
) -> None:
    token = org.owner.token
    ids = (await submit(client, token, model_id, "Revenue by region")).json()
    assert (
        await client.get(f"{JOBS}/{ids['jobId']}/vis", headers=bearer(token))
    ).status_code == 404
    pool, claim = await claimed(app)
    await pool.run_claim(claim)
    chart = await client.get(f"{JOBS}/{ids['jobId']}/vis", headers=bearer(token))
    assert chart.status_code == 200 and chart.headers["content-type"] == "image/png"
    assert chart.content.startswith(b"\x89PNG")
    single = (await submit(client, token, model_id, "How many orders were placed in 2025?")).json()
    pool, claim = await claimed(app)
    await pool.run_claim(claim)
    assert (await wait_final(client, token, single["jobId"]))["state"] == "COMPLETE"
    flat = await client.get(f"{JOBS}/{single['jobId']}/vis", headers=bearer(token))
    assert flat.status_code == 422 and set(flat.json()) == {"error"}


async def test_a_cancel_seen_while_planning_stops_the_job_before_its_query(
    app: FastAPI,
    client: httpx.AsyncClient,
    org: Org,
    model_id: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    token = org.owner.token
    job_id = (await submit(client, token, model_id, "Revenue by region")).json()["jobId"]
    pool, claim = await claimed(app)
    assert (await cancel(client, token, job_id)).json()["state"] == "EXECUTING"
    # The cancel watcher sees the request while the built-in planner plans: the job's
    # first trip to the thread pool. The query (the second) must never run.
    trips: list[str] = []
    thread = pool._thread

    async def watched(work: Callable[[], T]) -> T:
        trips.append("plan" if not trips else "query")
        result = await thread(work)
        claim.cancel_asked = True
        return result

    monkeypatch.setattr(pool, "_thread", watched)
    await pool.run_claim(claim)
    assert trips == ["plan"]
    job = await state_of(client, token, job_id)
    assert job["state"] == "CANCELLED" and "completedAt" not in job


async def test_a_taken_over_job_cancelled_by_the_claim_does_not_hold_up_the_queue(
    app: FastAPI, client: httpx.AsyncClient, database: Database, org: Org, model_id: str
) -> None:
    from parley.jobs import repository

    token = org.owner.token
    lost = (await submit(client, token, model_id, "Revenue by region")).json()["jobId"]
    _, stale = await claimed(app)
    assert (await cancel(client, token, lost)).json()["state"] == "EXECUTING"
    # Its worker is lost with the cancel asked; meanwhile another job is queued.
    async with database.write() as conn:
        await repository.set_values(conn, stale.job.id, lease_expires_at=stale.job.created_at)
    queued = (await submit(client, token, model_id, "Orders by status")).json()["jobId"]
    pool = hand_worker(app)
    wakeups = pool.sender.wakeup.ticket()
    # One claim cancels the lost job and takes the queued one.
    claim = await pool.claim("test")
    assert claim is not None and str(claim.job.id) == queued
    assert (await state_of(client, token, lost))["state"] == "CANCELLED"
    # The webhook sender is woken for the cancelled job's event.
    assert wakeups.is_set()
