"""The SQL of jobs and of the webhook outbox. The tenant filter is written once, in
``readable``; the queue's claim is written once, in ``claim``. Rows leave as the records
of ``jobs/records.py``."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import (
    ColumnElement,
    FromClause,
    Insert,
    Join,
    Row,
    Update,
    and_,
    any_,
    case,
    func,
    literal,
    or_,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncConnection

from parley.db.statements import insert_row
from parley.jobs import notices
from parley.jobs.records import (
    RUNNING,
    Delivery,
    EarlierSubmit,
    Job,
    JobState,
    Webhook,
    WebhookFlags,
)
from parley.kit.json import JsonObject
from parley.tables import job_webhooks, jobs, messages, webhook_deliveries

T = TypeVar("T")
_j = jobs.c
_w = webhook_deliveries.c
_h = job_webhooks.c


def readable(org_id: uuid.UUID, member_id: uuid.UUID | None) -> list[ColumnElement[bool]]:
    """A job the caller may see: its organization's, and its member's when scoped."""
    where: list[ColumnElement[bool]] = [_j.organization_id == org_id]
    if member_id is not None:
        where.append(_j.membership_id == member_id)
    return where


def _job(row: Row[Any] | None) -> Job | None:
    return None if row is None else Job.of(row._mapping)


async def get(
    conn: AsyncConnection, org_id: uuid.UUID, member_id: uuid.UUID | None, job_id: uuid.UUID
) -> Job | None:
    query = select(jobs).where(*readable(org_id, member_id), _j.id == job_id)
    return _job((await conn.execute(query)).first())


async def lock(conn: AsyncConnection, job_id: uuid.UUID) -> Job | None:
    """The job, its row locked for this write transaction (SQLite's write lock is
    already the whole database's)."""
    query = select(jobs).where(_j.id == job_id).with_for_update()
    return _job((await conn.execute(query)).first())


async def by_idempotency_key(
    conn: AsyncConnection, org_id: uuid.UUID, key: str
) -> EarlierSubmit | None:
    query = select(_j.id, _j.conversation_id, _j.created_at, _j.idempotency_fingerprint).where(
        *readable(org_id, None), _j.idempotency_key == key
    )
    row = (await conn.execute(query)).first()
    return None if row is None else EarlierSubmit(**row._mapping)


async def forget_idempotency_key(conn: AsyncConnection, job_id: uuid.UUID) -> None:
    await conn.execute(update(jobs).where(_j.id == job_id).values(idempotency_key=None))


async def insert(conn: AsyncConnection, values: dict[str, object]) -> None:
    await conn.execute(jobs.insert().values(**values))
    await notices.announce(conn, notices.SUBMITTED)


async def set_values(conn: AsyncConnection, job_id: uuid.UUID, **values: object) -> None:
    """Every visible change of a job (state, progress, cancel request) goes through here
    or ``claim``, which is where other processes are told about it."""
    statement = update(jobs).where(_j.id == job_id).values(**values)
    await conn.execute(notices.announcing(conn, statement, notices.CHANGED))


async def set_if_held(
    conn: AsyncConnection, job_id: uuid.UUID, lease: str, **values: object
) -> bool:
    """Change a job that ``lease`` holds, executing, with no cancel asked for: the check
    and the change in one guarded statement (no row read and locked first). False when
    the job is not so; the caller then locks it to see why."""
    result = await conn.execute(held_update(conn, job_id, lease, **values))
    return result.rowcount > 0


def held_update(conn: AsyncConnection, job_id: uuid.UUID, lease: str, **values: object) -> Update:
    """``set_if_held``'s statement, announcing the change."""
    statement = (
        update(jobs)
        .where(
            _j.id == job_id,
            _j.lease_owner == lease,
            _j.state == JobState.EXECUTING,
            _j.cancel_requested.is_(False),
        )
        .values(**values)
    )
    return notices.announcing(conn, statement, notices.CHANGED)


async def claim(
    conn: AsyncConnection,
    *,
    lease: str,
    now: datetime,
    expires: datetime,
    max_attempts: int,
    progress: JsonObject | None = None,
) -> tuple[Job, WebhookFlags | None] | None:
    """Take the oldest job that is queued or whose worker's lease ran out; with its
    webhook settings, if it has a webhook.

    One guarded statement: on PostgreSQL the inner select skips rows other workers hold
    (``FOR UPDATE SKIP LOCKED``); on SQLite the write transaction holds the database's
    only write lock, so the select and update cannot interleave with another claim.
    ``progress``: the first step of a job that will execute, written by the same
    statement (a job being delivered keeps none).
    """
    claimable = or_(
        _j.state == JobState.QUEUED,
        and_(_j.state.in_(RUNNING), _j.lease_expires_at < now, _j.attempts < max_attempts),
    )
    oldest = (
        select(_j.id)
        .where(claimable)
        .order_by(_j.created_at)
        .limit(1)
        .with_for_update(skip_locked=True)
        .scalar_subquery()
    )
    first: dict[str, Any] = {}
    if progress is not None:
        first["progress"] = case(
            (_j.state == JobState.DELIVERING, _j.progress),
            else_=literal(progress, type_=_j.progress.type),
        )
    statement = (
        update(jobs)
        .where(_j.id == oldest)
        .values(
            **first,
            state=_claimed_state(),
            lease_owner=lease,
            lease_expires_at=expires,
            attempts=_j.attempts + 1,
            updated_at=now,
            # Execution starts at the claim, so a job cancelled or failed before its
            # first progress step still says when it started.
            execution_started_at=func.coalesce(
                _j.execution_started_at, literal(now, type_=_j.execution_started_at.type)
            ),
        )
        .returning(
            *jobs.c,
            # The job's webhook, if any, in the same trip (written with the job, never
            # later, so what the claim sees holds for the whole run).
            _webhook_column(_h.url).label("webhook_url"),
            _webhook_column(_h.progress).label("webhook_progress"),
        )
    )
    announced = notices.announcing(conn, statement, notices.CHANGED)
    row = (await conn.execute(announced)).first()
    if row is None:
        return None
    values = dict(row._mapping)
    url, progress = values.pop("webhook_url"), values.pop("webhook_progress")
    values.pop("announced", None)
    job = Job(**{**values, "state": JobState(values["state"])})
    return job, None if url is None else WebhookFlags(url=url, progress=bool(progress))


def _webhook_column(column: ColumnElement[T]) -> ColumnElement[T]:
    return select(column).where(_h.job_id == _j.id).scalar_subquery()


def _claimed_state() -> ColumnElement[str]:
    # A job taken over while DELIVERING keeps its stored answer and only needs finishing.
    return case(
        (_j.state == JobState.DELIVERING, JobState.DELIVERING.value),
        else_=JobState.EXECUTING.value,
    )


async def work_waiting(conn: AsyncConnection, *, now: datetime) -> bool:
    """Whether any job is queued or has a lease that ran out: a cheap read that lets an
    idle worker skip the write transaction of a claim (on SQLite, the database's one
    write lock) when there is nothing to take."""
    query = (
        select(_j.id)
        .where(
            or_(_j.state == JobState.QUEUED, and_(_j.state.in_(RUNNING), _j.lease_expires_at < now))
        )
        .limit(1)
    )
    return (await conn.execute(query)).first() is not None


def _due(now: datetime, busy: Sequence[str]) -> list[ColumnElement[bool]]:
    """A delivery that may be claimed now: pending, due, nobody holds it, and its
    receiver is not ``busy`` (has as many deliveries in flight as it may)."""
    where: list[ColumnElement[bool]] = [
        _w.status == "pending",
        _w.next_attempt_at <= now,
        or_(_w.lease_expires_at.is_(None), _w.lease_expires_at < now),
    ]
    if busy:
        where.append(or_(_h.destination.is_(None), _h.destination.not_in(list(busy))))
    return where


def _outbox() -> Join:
    return webhook_deliveries.outerjoin(job_webhooks, _h.job_id == _w.job_id)


async def deliveries_due(conn: AsyncConnection, *, now: datetime, busy: Sequence[str] = ()) -> bool:
    """Whether any webhook delivery may be claimed, read before claiming one (see
    work_waiting)."""
    query = select(_w.id).select_from(_outbox()).where(*_due(now, busy)).limit(1)
    return (await conn.execute(query)).first() is not None


async def exhausted(
    conn: AsyncConnection, *, now: datetime, max_attempts: int, limit: int = 10
) -> list[Job]:
    """Running jobs whose lease ran out and that may not be retried again."""
    query = (
        select(jobs)
        .where(_j.state.in_(RUNNING), _j.lease_expires_at < now, _j.attempts >= max_attempts)
        .order_by(_j.created_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return [Job.of(row._mapping) for row in await conn.execute(query)]


async def cancel_requested(conn: AsyncConnection, job_ids: list[uuid.UUID]) -> list[uuid.UUID]:
    """Those of ``job_ids`` whose cancel was asked for while they run."""
    if conn.dialect.name == "postgresql":
        # One statement whatever the number of jobs: an IN list of each length would be
        # prepared anew and crowd the connection's statement cache.
        among = _j.id == any_(literal(job_ids, type_=ARRAY(_j.id.type)))
    else:
        among = _j.id.in_(job_ids)
    query = select(_j.id).where(among, _j.cancel_requested.is_(True))
    return list((await conn.execute(query)).scalars())


async def renew(conn: AsyncConnection, job_id: uuid.UUID, lease: str, expires: datetime) -> bool:
    result = await conn.execute(
        update(jobs)
        .where(_j.id == job_id, _j.lease_owner == lease, _j.state.in_(RUNNING))
        .values(lease_expires_at=expires)
    )
    return result.rowcount > 0


async def previous_result(
    conn: AsyncConnection, conversation_id: uuid.UUID, before: datetime
) -> JsonObject | None:
    """The stored result of the conversation's latest completed job before this one."""
    query = (
        select(_j.result)
        .where(
            _j.conversation_id == conversation_id,
            _j.state == JobState.COMPLETE,
            _j.created_at < before,
        )
        .order_by(_j.created_at.desc())
        .limit(1)
    )
    value = (await conn.execute(query)).scalar()
    return dict(value) if value else None


async def add_message(
    conn: AsyncConnection,
    *,
    org_id: uuid.UUID,
    conversation_id: uuid.UUID,
    role: str,
    text: str,
    job_id: uuid.UUID,
    now: datetime,
) -> None:
    await conn.execute(
        message_insert(
            org_id=org_id,
            conversation_id=conversation_id,
            role=role,
            text=text,
            job_id=job_id,
            now=now,
        )
    )


def message_insert(
    *,
    org_id: uuid.UUID,
    conversation_id: uuid.UUID,
    role: str,
    text: str,
    job_id: uuid.UUID,
    now: datetime,
    when: FromClause | None = None,
) -> Insert:
    """``add_message``'s statement; ``when``: see ``db.statements.insert_row``."""
    values = {
        "id": uuid.uuid4(),
        "organization_id": org_id,
        "conversation_id": conversation_id,
        "role": role,
        "text": text,
        "job_id": job_id,
        "created_at": now,
    }
    return insert_row(messages, values, when=when)


# -- the webhook outbox ----------------------------------------------------------------


async def add_webhook(conn: AsyncConnection, job_id: uuid.UUID, settings: JsonObject) -> None:
    """A job's webhook settings, written once with the job."""
    await conn.execute(job_webhooks.insert().values(job_id=job_id, **settings))


async def webhook_of(conn: AsyncConnection, job_id: uuid.UUID) -> WebhookFlags | None:
    """Whether and how a job calls back: its URL and progress flag (the secret and
    metadata are read only when a delivery is sent)."""
    query = select(_h.url, _h.progress).where(_h.job_id == job_id)
    row = (await conn.execute(query)).first()
    return None if row is None else WebhookFlags(url=row.url, progress=row.progress)


async def add_delivery(
    conn: AsyncConnection,
    *,
    job_id: uuid.UUID,
    event: str,
    payload: JsonObject,
    max_attempts: int,
    now: datetime,
) -> None:
    await conn.execute(
        delivery_insert(
            job_id=job_id, event=event, payload=payload, max_attempts=max_attempts, now=now
        )
    )


def delivery_insert(
    *,
    job_id: uuid.UUID,
    event: str,
    payload: JsonObject,
    max_attempts: int,
    now: datetime,
    when: FromClause | None = None,
) -> Insert:
    """``add_delivery``'s statement; ``when``: see ``db.statements.insert_row``."""
    values = {
        "id": uuid.UUID(payload["event_id"]),
        "job_id": job_id,
        "event": event,
        "payload": payload,
        "status": "pending",
        "attempts": 0,
        "max_attempts": max_attempts,
        "next_attempt_at": now,
        "created_at": now,
    }
    return insert_row(webhook_deliveries, values, when=when)


async def claim_delivery(
    conn: AsyncConnection,
    *,
    lease: str,
    now: datetime,
    expires: datetime,
    busy: Sequence[str] = (),
) -> tuple[Delivery, Webhook | None] | None:
    """The oldest delivery that may be claimed (``_due``), with its job's webhook
    settings."""
    due = (
        select(_w.id)
        .select_from(_outbox())
        .where(*_due(now, busy))
        .order_by(_w.next_attempt_at)
        .limit(1)
        .with_for_update(skip_locked=True, of=webhook_deliveries)
        .scalar_subquery()
    )
    claimed = (
        await conn.execute(
            update(webhook_deliveries)
            .where(_w.id == due)
            .values(lease_owner=lease, lease_expires_at=expires, attempts=_w.attempts + 1)
            .returning(*webhook_deliveries.c)
        )
    ).first()
    if claimed is None:
        return None
    webhook = (await conn.execute(select(job_webhooks).where(_h.job_id == claimed.job_id))).first()
    return Delivery.of(claimed._mapping), None if webhook is None else Webhook.of(webhook._mapping)


async def settle_delivery(
    conn: AsyncConnection,
    delivery_id: uuid.UUID,
    lease: str,
    *,
    status: str,
    now: datetime,
    next_attempt_at: datetime | None = None,
    error: str | None = None,
) -> None:
    values: dict[str, Any] = {
        "status": status,
        "lease_owner": None,
        "lease_expires_at": None,
        "last_error": error,
    }
    if status == "delivered":
        values["delivered_at"] = now
    if next_attempt_at is not None:
        values["next_attempt_at"] = next_attempt_at
    await conn.execute(
        update(webhook_deliveries)
        .where(_w.id == delivery_id, _w.lease_owner == lease)
        .values(**values)
    )


async def deliveries(conn: AsyncConnection, job_id: uuid.UUID) -> list[Delivery]:
    query = select(webhook_deliveries).where(_w.job_id == job_id).order_by(_w.created_at)
    return [Delivery.of(row._mapping) for row in await conn.execute(query)]
