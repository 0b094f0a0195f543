"""Tokens spent on the LLM, per call, and the monthly limit of an organization.

A month is a calendar month in UTC. The limit counts prompt and completion tokens
together; it is checked before work starts (a submit, a generate-query), so a job
already running finishes even if it crosses the line.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, ClassVar

from sqlalchemy import ColumnElement, Insert, String, cast, delete, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from parley.db.statements import insert_row
from parley.http.errors import ApiError
from parley.llm.gateway import Call
from parley.llm.records import Spend
from parley.tables import llm_limits, llm_usage

_u = llm_usage.c


def readable(org_id: uuid.UUID) -> ColumnElement[bool]:
    """The tenant filter of usage rows."""
    return _u.organization_id == org_id


SHUTOFF = "shutoff"


class CreditShutoff(ApiError):
    """Omni's ``AiCreditShutoffError``: ``{"code": "shutoff", "detail", "status": 402}``."""

    status = 402
    default_detail = (
        "The AI credit limit of this organization has been reached for this month. "
        "Contact your administrator for assistance."
    )
    extra: ClassVar[dict[str, str]] = {"code": SHUTOFF}


def month_start(now: datetime) -> datetime:
    return now.astimezone(UTC).replace(day=1, hour=0, minute=0, second=0, microsecond=0)


async def record(conn: AsyncConnection, spent: list[dict[str, object]]) -> None:
    """Write usage rows (``rows``), in the caller's transaction."""
    if spent:
        await conn.execute(llm_usage.insert(), spent)


def inserts(spent: list[dict[str, object]]) -> list[Insert]:
    """Usage rows (``rows``) as an INSERT each, to join a larger statement. One row
    each: SQLAlchemy caches the compiled form of a one-row INSERT, not of a many-row one."""
    return [insert_row(llm_usage, row) for row in spent]


def rows(
    calls: Sequence[Call],
    *,
    org_id: uuid.UUID,
    member_id: uuid.UUID | None,
    job_id: uuid.UUID | None,
    model: str,
    now: datetime,
) -> list[dict[str, object]]:
    """A usage row per model call."""
    return [
        {
            "id": uuid.uuid4(),
            "organization_id": org_id,
            "membership_id": member_id,
            "job_id": job_id,
            "purpose": call.purpose,
            "model": model[:200],
            "prompt_tokens": call.prompt_tokens,
            "completion_tokens": call.completion_tokens,
            "created_at": now,
        }
        for call in calls
    ]


async def month_tokens(conn: AsyncConnection, org_id: uuid.UUID, now: datetime) -> int:
    query = select(func.coalesce(func.sum(_u.prompt_tokens + _u.completion_tokens), 0)).where(
        readable(org_id), _u.created_at >= month_start(now)
    )
    return int((await conn.execute(query)).scalar() or 0)


async def get_limit(conn: AsyncConnection, org_id: uuid.UUID) -> int | None:
    query = select(llm_limits.c.monthly_tokens).where(llm_limits.c.organization_id == org_id)
    value = (await conn.execute(query)).scalar()
    return None if value is None else int(value)


async def set_limit(
    conn: AsyncConnection, org_id: uuid.UUID, tokens: int | None, *, now: datetime
) -> None:
    await conn.execute(delete(llm_limits).where(llm_limits.c.organization_id == org_id))
    if tokens is not None:
        await conn.execute(
            llm_limits.insert().values(
                organization_id=org_id, monthly_tokens=tokens, updated_at=now
            )
        )


async def check_limit(conn: AsyncConnection, org_id: uuid.UUID, now: datetime) -> None:
    """Raise ``CreditShutoff`` when the organization spent its month's tokens."""
    limit = await get_limit(conn, org_id)
    if limit is not None and await month_tokens(conn, org_id, now) >= limit:
        raise CreditShutoff()


async def spend(conn: AsyncConnection, org_id: uuid.UUID, since: datetime, by: str) -> list[Spend]:
    """Calls and tokens since ``since``, grouped by ``member``, ``purpose``, ``day`` or
    ``job``, largest spend first."""
    column: Any = {
        "member": _u.membership_id,
        "purpose": _u.purpose,
        "job": _u.job_id,
        "day": func.substr(cast(_u.created_at, String), 1, 10),
    }[by]
    tokens = func.sum(_u.prompt_tokens + _u.completion_tokens)
    query = (
        select(
            column.label("key"),
            func.count().label("calls"),
            func.sum(_u.prompt_tokens).label("prompt"),
            func.sum(_u.completion_tokens).label("completion"),
        )
        .where(readable(org_id), _u.created_at >= since)
        .group_by(column)
        .order_by(tokens.desc())
    )
    return [
        Spend(str(row.key) if row.key is not None else "-", row.calls, row.prompt, row.completion)
        for row in (await conn.execute(query)).all()
    ]
