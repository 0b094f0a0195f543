"""A job's end as one statement on PostgreSQL (``states.complete_held_at_once``) writes
exactly what the statements one by one write (``states.complete_held``), and nothing
but its usage when the job is no longer the worker's."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import Insert, select, update

from parley.db.database import Database
from parley.jobs import repository, states
from parley.jobs.records import Job
from parley.kit import clock
from parley.llm import usage
from parley.llm.gateway import Call
from parley.tables import conversations, jobs, llm_usage, messages, webhook_deliveries
from tests.factories import Org
from tests.support.jobs import submit

HOOK = {"webhookUrl": "http://127.0.0.1:9/hook", "webhookSigningSecret": "s3cret"}
BODY = {"message": "North America leads with 3,450,234.42.", "resultSummary": "By region"}


@pytest.fixture
def workers() -> int:
    return 0  # the tests below are the workers


@pytest.fixture
def allowed_networks() -> str:
    return "127.0.0.1/32"  # a webhook URL the submit accepts; nothing is sent to it


@pytest.fixture
def backend() -> str:
    return "postgresql"  # one-statement writes are PostgreSQL's (data-modifying WITH)


async def _claimed(
    client: httpx.AsyncClient, database: Database, org: Org, model_id: str, **extra: Any
) -> tuple[Job, str]:
    """A job submitted and claimed by hand, as a worker claims it."""
    response = await submit(client, org.owner.token, model_id, "Revenue by region", **extra)
    assert response.status_code == 201, response.text
    lease = f"test:{uuid.uuid4().hex}"
    now = clock.utcnow()
    async with database.write() as conn:
        claimed = await repository.claim(
            conn, lease=lease, now=now, expires=now + timedelta(minutes=5), max_attempts=3
        )
    assert claimed is not None
    job, _webhook = claimed
    assert str(job.id) == response.json()["jobId"]
    return job, lease


def _usage(job: Job, now: datetime) -> list[Insert]:
    calls = [Call("plan", 120, 30, 1.2), Call("answer", 300, 45, 0.8)]
    spent = usage.rows(
        calls,
        org_id=job.organization_id,
        member_id=job.membership_id,
        job_id=job.id,
        model="fake-model",
        now=now,
    )
    return usage.inserts(spent)


async def _written(database: Database, job: Job) -> dict[str, Any]:
    """Everything a job's end may have written, without ids and times that differ."""
    async with database.read() as conn:
        row = (await conn.execute(select(jobs).where(jobs.c.id == job.id))).one()
        answers = (
            await conn.execute(
                select(messages.c.role, messages.c.text, messages.c.organization_id).where(
                    messages.c.job_id == job.id, messages.c.role == "assistant"
                )
            )
        ).all()
        conversation = (
            await conn.execute(
                select(conversations.c.name, conversations.c.updated_at).where(
                    conversations.c.id == job.conversation_id
                )
            )
        ).one()
        deliveries = (
            await conn.execute(
                select(
                    webhook_deliveries.c.event,
                    webhook_deliveries.c.payload,
                    webhook_deliveries.c.max_attempts,
                    webhook_deliveries.c.status,
                ).where(webhook_deliveries.c.job_id == job.id)
            )
        ).all()
        spent = (
            await conn.execute(
                select(llm_usage.c.purpose, llm_usage.c.prompt_tokens).where(
                    llm_usage.c.job_id == job.id
                )
            )
        ).all()
    return {
        "job": {
            "state": row.state,
            "result": row.result,
            "topic": row.topic_name,
            "progress": row.progress,
            "lease": (row.lease_owner, row.lease_expires_at),
            "ended": row.completed_at is not None and row.completed_at == row.updated_at,
        },
        "answers": [tuple(a) for a in answers],
        "conversation": (conversation.name, conversation.updated_at is not None),
        "deliveries": [
            (d.event, d.payload["status"], d.payload["result_summary"], d.max_attempts, d.status)
            for d in deliveries
        ],
        "usage": sorted(tuple(s) for s in spent),
    }


@pytest.mark.parametrize("webhook", [False, True])
async def test_one_statement_writes_what_the_statements_one_by_one_write(
    client: httpx.AsyncClient, database: Database, org: Org, model_id: str, webhook: bool
) -> None:
    extra = HOOK if webhook else {}
    # Each job in a conversation of its own, so each names its conversation.
    one, one_lease = await _claimed(client, database, org, model_id, **extra)
    other, other_lease = await _claimed(client, database, org, model_id, **extra)
    now = clock.utcnow()

    async with database.one_statement() as conn:
        done = await states.complete_held_at_once(
            conn,
            one,
            one_lease,
            BODY,
            now=now,
            webhook_attempts=7,
            topic_name="order_items",
            also=_usage(one, now),
        )
    assert done
    async with database.write() as conn:
        for statement in _usage(other, now):
            await conn.execute(statement)
        assert await states.complete_held(
            conn,
            other,
            other_lease,
            BODY,
            now=now,
            webhook_attempts=7,
            topic_name="order_items",
            webhook=webhook,
        )

    at_once, one_by_one = await _written(database, one), await _written(database, other)
    assert at_once == one_by_one
    # And what they wrote is a completed job, not two equal mistakes.
    assert at_once["job"]["state"] == "COMPLETE" and at_once["job"]["result"] == BODY
    assert at_once["job"]["lease"] == (None, None) and at_once["job"]["ended"]
    assert at_once["answers"] == [("assistant", BODY["message"], org.id)]
    assert at_once["conversation"] == ("Revenue by region", True)
    assert at_once["deliveries"] == (
        [("final", "COMPLETE", "By region", 7, "pending")] if webhook else []
    )
    assert at_once["usage"] == [("answer", 300), ("plan", 120)]


@pytest.mark.parametrize("change", ["cancel asked", "lease lost"])
async def test_a_job_no_longer_held_gets_only_its_usage(
    client: httpx.AsyncClient, database: Database, org: Org, model_id: str, change: str
) -> None:
    job, lease = await _claimed(client, database, org, model_id, **HOOK)
    values = {"cancel_requested": True} if change == "cancel asked" else {"lease_owner": "other"}
    async with database.write() as conn:
        await conn.execute(update(jobs).where(jobs.c.id == job.id).values(**values))
    before = await _written(database, job)
    now = clock.utcnow()

    async with database.one_statement() as conn:
        done = await states.complete_held_at_once(
            conn, job, lease, BODY, now=now, webhook_attempts=7, also=_usage(job, now)
        )
    assert not done
    after = await _written(database, job)
    assert after["usage"] == [("answer", 300), ("plan", 120)]
    assert {**after, "usage": before["usage"]} == before
    assert after["job"]["state"] == "EXECUTING" and after["answers"] == []


async def test_the_statement_is_compiled_once_for_every_job(
    client: httpx.AsyncClient, database: Database, org: Org, model_id: str
) -> None:
    """Its compiled form is cached whatever the job and its answer: every job compiling
    (and PostgreSQL preparing) it anew would cost more than the round trips it saves."""
    one, lease = await _claimed(client, database, org, model_id)
    other, _ = await _claimed(client, database, org, model_id, **HOOK)
    now = clock.utcnow()
    keys = []
    async with database.one_statement() as conn:
        for job, body in ((one, BODY), (other, {"message": "Another answer."})):
            statement = states.at_once_statement(
                conn, job, lease, body, now=now, webhook_attempts=3, also=_usage(job, now)
            )
            key = statement._generate_cache_key()
            assert key is not None, "the statement cannot be cached"
            keys.append(key.key)
    assert keys[0] == keys[1]
