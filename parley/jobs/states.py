"""A job's final state changes, each one transaction with everything it implies: the
job row, the conversation (assistant message, ``updatedAt``, name) and the webhook outbox.

Callers hold the job row locked (``repository.lock``) and have checked it is theirs to
change; whoever calls these inside one ``Database.write()`` gets all or nothing. The
``*_held`` variants check instead, in the statement that writes, that the caller still
holds the job's lease; ``complete_held_at_once`` is one statement, all or nothing by
itself (PostgreSQL).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import FromClause, Insert, Select, Update, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from parley.conversations import repository as conversations
from parley.jobs import repository, results
from parley.jobs.records import FINAL, Job, JobState
from parley.kit.json import JsonObject
from parley.kit.timestamps import to_wire
from parley.tables import job_webhooks, jobs

NOT_ANSWERED = "I could not answer that."


def webhook_payload(job: Job, state: JobState, at: datetime, summary: str | None) -> JsonObject:
    """The event Parley POSTs to a job's webhookUrl, but for its metadata, which the
    sender adds from the job's webhook settings (stored once, not per event)."""
    return {
        "event_id": str(uuid.uuid4()),
        "jobId": str(job.id),
        "status": state,
        "result_summary": summary,
        "completed_at": to_wire(at) if state in FINAL else None,
    }


async def queue_webhook(
    conn: AsyncConnection,
    job: Job,
    *,
    state: JobState,
    now: datetime,
    summary: str | None,
    max_attempts: int,
    progress: bool = False,
) -> None:
    webhook = await repository.webhook_of(conn, job.id)
    if webhook is None or (progress and not webhook.progress):
        return
    await repository.add_delivery(
        conn,
        job_id=job.id,
        event="progress" if progress else "final",
        payload=webhook_payload(job, state, now, summary),
        # Progress events are sent once; final events are retried (docs/api.md, Webhooks).
        max_attempts=1 if progress else max_attempts,
        now=now,
    )


def _completed(result: JsonObject, now: datetime, topic_name: str | None) -> JsonObject:
    extra = {"topic_name": topic_name} if topic_name is not None else {}
    return {
        "state": JobState.COMPLETE,
        "result": result,
        "progress": None,
        "completed_at": now,
        "updated_at": now,
        "lease_owner": None,
        "lease_expires_at": None,
        **extra,
    }


async def complete(
    conn: AsyncConnection,
    job: Job,
    result: JsonObject,
    *,
    now: datetime,
    webhook_attempts: int,
    topic_name: str | None = None,
    webhook: bool = True,
) -> None:
    """``topic_name``: the topic the answer was planned on, stored with the answer.
    ``webhook=False``: the caller knows the job has no webhook (they are written with
    the job, never later), so none is looked for."""
    await repository.set_values(conn, job.id, **_completed(result, now, topic_name))
    await _answered(conn, job, result, now=now, webhook_attempts=webhook_attempts, webhook=webhook)


async def complete_held(
    conn: AsyncConnection,
    job: Job,
    lease: str,
    result: JsonObject,
    *,
    now: datetime,
    webhook_attempts: int,
    topic_name: str | None = None,
    webhook: bool = True,
) -> bool:
    """``complete`` for a worker that holds ``lease`` on the executing job, checked by
    the completing statement itself instead of a locked read first. False, with
    nothing written, when the job is no longer so (lease lost, cancel asked for)."""
    values = _completed(result, now, topic_name)
    if not await repository.set_if_held(conn, job.id, lease, **values):
        return False
    await _answered(conn, job, result, now=now, webhook_attempts=webhook_attempts, webhook=webhook)
    return True


async def _answered(
    conn: AsyncConnection,
    job: Job,
    result: JsonObject,
    *,
    now: datetime,
    webhook_attempts: int,
    webhook: bool,
) -> None:
    """What a completed job implies beside its row: the answer in the conversation, the
    conversation's ``updatedAt`` (and name, if it has none) and the final webhook."""
    for statement in _answer_writes(job, result, now=now):
        await conn.execute(statement)
    if webhook:
        await queue_webhook(
            conn,
            job,
            state=JobState.COMPLETE,
            now=now,
            summary=result.get("resultSummary"),
            max_attempts=webhook_attempts,
        )


def _answer_writes(
    job: Job, result: JsonObject, *, now: datetime, when: FromClause | None = None
) -> list[Insert | Update]:
    """The answer as a message of the conversation, and the conversation touched (named
    by the question if it has no name); with ``when``, only if ``when`` yields a row."""
    return [
        repository.message_insert(
            org_id=job.organization_id,
            conversation_id=job.conversation_id,
            role="assistant",
            text=result["message"],
            job_id=job.id,
            now=now,
            when=when,
        ),
        conversations.touch_update(
            job.organization_id,
            job.conversation_id,
            now,
            unnamed=results.title(job.prompt),
            when=when,
        ),
    ]


async def complete_held_at_once(
    conn: AsyncConnection,
    job: Job,
    lease: str,
    result: JsonObject,
    *,
    now: datetime,
    webhook_attempts: int,
    topic_name: str | None = None,
    also: Sequence[Insert] = (),
) -> bool:
    """``complete_held`` as a single statement, for PostgreSQL: the job's row, the answer
    as a message, the conversation and the final webhook (if the job has one) are
    data-modifying ``WITH`` clauses of one statement, all conditional on the job's
    guarded update. Run outside a transaction, that is one round trip where the
    statements one by one take six, and it is all or nothing by itself. ``also``:
    inserts made whatever becomes of the job (the usage of its model calls). False when
    the job is no longer the caller's: then only ``also`` was written."""
    statement = at_once_statement(
        conn,
        job,
        lease,
        result,
        now=now,
        webhook_attempts=webhook_attempts,
        topic_name=topic_name,
        also=also,
    )
    return bool((await conn.execute(statement)).scalar_one())


def at_once_statement(
    conn: AsyncConnection,
    job: Job,
    lease: str,
    result: JsonObject,
    *,
    now: datetime,
    webhook_attempts: int,
    topic_name: str | None = None,
    also: Sequence[Insert] = (),
) -> Select[int]:
    """``complete_held_at_once``'s statement: how many jobs it completed (0 or 1). Its
    compiled form is cached, as every part's is (a many-row INSERT would not be)."""
    values = _completed(result, now, topic_name)
    held = repository.held_update(conn, job.id, lease, **values).returning(jobs.c.id).cte("held")
    final_webhook = repository.delivery_insert(
        job_id=job.id,
        event="final",
        payload=webhook_payload(job, JobState.COMPLETE, now, result.get("resultSummary")),
        max_attempts=webhook_attempts,
        now=now,
        when=held.join(job_webhooks, job_webhooks.c.job_id == held.c.id),
    )
    parts = [*_answer_writes(job, result, now=now, when=held), final_webhook, *also]
    return (
        select(func.count())
        .select_from(held)
        .add_cte(*(part.cte(f"write_{index}") for index, part in enumerate(parts)))
    )


async def fail(
    conn: AsyncConnection,
    job: Job,
    error: dict[str, str],
    *,
    now: datetime,
    webhook_attempts: int,
) -> None:
    """FAILED, with the error as the thread's answer so the conversation reads right."""
    await repository.set_values(
        conn,
        job.id,
        state=JobState.FAILED,
        error=error,
        progress=None,
        completed_at=now,
        updated_at=now,
        lease_owner=None,
        lease_expires_at=None,
    )
    text = f"{NOT_ANSWERED} {error['message']}"
    if error.get("detail"):
        text += f"\n\n{error['detail']}"
    await repository.add_message(
        conn,
        org_id=job.organization_id,
        conversation_id=job.conversation_id,
        role="assistant",
        text=text,
        job_id=job.id,
        now=now,
    )
    await conversations.touch(conn, job.organization_id, job.conversation_id, now)
    await queue_webhook(
        conn, job, state=JobState.FAILED, now=now, summary=None, max_attempts=webhook_attempts
    )


async def cancel(
    conn: AsyncConnection,
    job: Job,
    *,
    now: datetime,
    by: uuid.UUID | None,
    webhook_attempts: int,
) -> None:
    await repository.set_values(
        conn,
        job.id,
        state=JobState.CANCELLED,
        cancelled_at=now,
        cancelled_by=by if by is not None else job.cancelled_by,
        progress=None,
        updated_at=now,
        lease_owner=None,
        lease_expires_at=None,
    )
    await queue_webhook(
        conn, job, state=JobState.CANCELLED, now=now, summary=None, max_attempts=webhook_attempts
    )
