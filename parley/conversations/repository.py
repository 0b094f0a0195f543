"""The SQL of conversations. The tenant filter is written once, in ``_scoped``."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, exists, func, or_, select, tuple_
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from parley.tables import ORG_SCOPE, conversation_counts, conversations, messages

_c = conversations.c
_SUMMARY = (_c.id, _c.name, _c.last_user_prompt, _c.updated_at, _c.created_at)


def _scoped(org_id: uuid.UUID, member_id: uuid.UUID | None) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = [_c.organization_id == org_id]
    if member_id is not None:
        where.append(_c.membership_id == member_id)
    return where


def _search(text: str) -> ColumnElement[bool]:
    pattern = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    in_prompts = exists(
        select(messages.c.id).where(
            messages.c.conversation_id == _c.id,
            messages.c.role == "user",
            messages.c.text.ilike(pattern, escape="\\"),
        )
    )
    return or_(
        _c.name.ilike(pattern, escape="\\"),
        _c.last_user_prompt.ilike(pattern, escape="\\"),
        in_prompts,
    )


def _counter_scope(member_id: uuid.UUID | None) -> str:
    return ORG_SCOPE if member_id is None else member_id.hex


async def page(
    conn: AsyncConnection,
    org_id: uuid.UUID,
    member_id: uuid.UUID | None,
    *,
    after: tuple[datetime, uuid.UUID] | None,
    limit: int,
    search: str | None = None,
) -> list[Any]:
    """Up to ``limit`` conversations newest activity first, strictly after ``after``.

    A seek on (updated_at, id) — both list indexes end in those columns — so page
    10,000 costs what page 1 costs.
    """
    query: Select[Any] = select(*_SUMMARY).where(*_scoped(org_id, member_id))
    if search:
        query = query.where(_search(search))
    if after is not None:
        query = query.where(tuple_(_c.updated_at, _c.id) < tuple_(*after))
    query = query.order_by(_c.updated_at.desc(), _c.id.desc()).limit(limit)
    return list((await conn.execute(query)).all())


async def total(conn: AsyncConnection, org_id: uuid.UUID, member_id: uuid.UUID | None) -> int:
    """Conversations in the scope, read from a maintained counter instead of counted."""
    n = (
        await conn.execute(
            select(conversation_counts.c.n).where(
                conversation_counts.c.organization_id == org_id,
                conversation_counts.c.scope == _counter_scope(member_id),
            )
        )
    ).scalar()
    return int(n or 0)


async def count_matching(
    conn: AsyncConnection, org_id: uuid.UUID, member_id: uuid.UUID | None, search: str
) -> int:
    """A search has no counter to read: its total is counted."""
    query = (
        select(func.count())
        .select_from(conversations)
        .where(*_scoped(org_id, member_id), _search(search))
    )
    return int((await conn.execute(query)).scalar_one())


async def _bump(conn: AsyncConnection, org_id: uuid.UUID, scope: str, delta: int) -> None:
    insert = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
    statement = insert(conversation_counts).values(organization_id=org_id, scope=scope, n=delta)
    statement = statement.on_conflict_do_update(
        index_elements=[conversation_counts.c.organization_id, conversation_counts.c.scope],
        set_={"n": conversation_counts.c.n + delta},
    )
    await conn.execute(statement)


async def adjust_totals(
    conn: AsyncConnection, org_id: uuid.UUID, deltas: Mapping[uuid.UUID, int]
) -> None:
    """Move members' counters and the organization's together, in the caller's
    transaction, so totalRecords is exact whenever the rows are committed."""
    for member_id, delta in deltas.items():
        await _bump(conn, org_id, member_id.hex, delta)
    await _bump(conn, org_id, ORG_SCOPE, sum(deltas.values()))


async def insert(
    conn: AsyncConnection,
    *,
    org_id: uuid.UUID,
    member_id: uuid.UUID,
    name: str | None,
    last_user_prompt: str | None,
    created_at: datetime,
    updated_at: datetime,
    conversation_id: uuid.UUID | None = None,
) -> uuid.UUID:
    conversation_id = conversation_id or uuid.uuid4()
    await conn.execute(
        conversations.insert().values(
            id=conversation_id,
            organization_id=org_id,
            membership_id=member_id,
            name=name,
            last_user_prompt=last_user_prompt,
            created_at=created_at,
            updated_at=updated_at,
        )
    )
    await adjust_totals(conn, org_id, {member_id: 1})
    return conversation_id


async def touch(
    conn: AsyncConnection,
    org_id: uuid.UUID,
    conversation_id: uuid.UUID,
    updated_at: datetime,
    *,
    last_user_prompt: str | None = None,
    name: str | None = None,
) -> bool:
    values: dict[str, Any] = {"updated_at": updated_at}
    if last_user_prompt is not None:
        values["last_user_prompt"] = last_user_prompt
    if name is not None:
        values["name"] = name
    result = await conn.execute(
        conversations.update()
        .where(and_(_c.organization_id == org_id, _c.id == conversation_id))
        .values(**values)
    )
    return result.rowcount > 0
