"""The SQL of conversations. The tenant filter is written once, in ``_scoped``."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    bindparam,
    exists,
    func,
    or_,
    select,
    tuple_,
    type_coerce,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from parley.kit.identifiers import WireUuid
from parley.kit.timestamps import WireTimestamp
from parley.tables import ORG_SCOPE, conversation_counts, conversations, messages

_c = conversations.c
# Ids and timestamps come back as wire-ready text: the list formats nothing else, and
# building UUID and datetime objects per row was most of its cost.
_SUMMARY = (
    type_coerce(_c.id, WireUuid()).label("id"),
    _c.name,
    _c.last_user_prompt,
    type_coerce(_c.updated_at, WireTimestamp()).label("updated_at"),
    type_coerce(_c.created_at, WireTimestamp()).label("created_at"),
)


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


def page_query(
    org_id: uuid.UUID,
    member_id: uuid.UUID | None,
    *,
    after: tuple[datetime, uuid.UUID] | None,
    limit: int,
    search: str | None = None,
) -> Select[Any]:
    """Up to ``limit`` conversations newest activity first, strictly after ``after``.

    A seek on (updated_at, id) — both list indexes end in those columns — so page
    10,000 costs what page 1 costs.
    """
    query: Select[Any] = select(*_SUMMARY).where(*_scoped(org_id, member_id))
    if search:
        query = query.where(_search(search))
    if after is not None:
        query = query.where(tuple_(_c.updated_at, _c.id) < tuple_(*after))
    return query.order_by(_c.updated_at.desc(), _c.id.desc()).limit(limit)


async def page(
    conn: AsyncConnection,
    org_id: uuid.UUID,
    member_id: uuid.UUID | None,
    *,
    after: tuple[datetime, uuid.UUID] | None,
    limit: int,
    search: str | None = None,
) -> list[Any]:
    query = page_query(org_id, member_id, after=after, limit=limit, search=search)
    return list((await conn.execute(query)).all())


def _prebuilt_page(*, by_member: bool, seek: bool) -> Select[Any]:
    """The list's statement for one of its four shapes, with placeholders for values.

    Built once at import: the list runs on every request, and building a statement
    cost more than executing it. The scope's counter rides along as an uncorrelated
    scalar subquery (evaluated once), so a page and its total are one round trip.
    """
    counter = (
        select(conversation_counts.c.n)
        .where(
            conversation_counts.c.organization_id == bindparam("org_id"),
            conversation_counts.c.scope == bindparam("scope"),
        )
        .scalar_subquery()
    )
    query = select(*_SUMMARY, counter.label("total")).where(
        _c.organization_id == bindparam("org_id")
    )
    if by_member:
        query = query.where(_c.membership_id == bindparam("member_id"))
    if seek:
        query = query.where(
            tuple_(_c.updated_at, _c.id)
            < tuple_(
                bindparam("after_updated_at", type_=_c.updated_at.type),
                bindparam("after_id", type_=_c.id.type),
            )
        )
    return query.order_by(_c.updated_at.desc(), _c.id.desc()).limit(bindparam("limit"))


_PAGES = {
    (by_member, seek): _prebuilt_page(by_member=by_member, seek=seek)
    for by_member in (False, True)
    for seek in (False, True)
}


def page_statement(
    org_id: uuid.UUID,
    member_id: uuid.UUID | None,
    *,
    after: tuple[datetime, uuid.UUID] | None,
    limit: int,
) -> tuple[Select[Any], dict[str, Any]]:
    """The list's prebuilt statement for this scope and position, and its values."""
    params: dict[str, Any] = {"org_id": org_id, "scope": _counter_scope(member_id), "limit": limit}
    if member_id is not None:
        params["member_id"] = member_id
    if after is not None:
        params["after_updated_at"], params["after_id"] = after
    return _PAGES[(member_id is not None, after is not None)], params


async def page_with_total(
    conn: AsyncConnection,
    org_id: uuid.UUID,
    member_id: uuid.UUID | None,
    *,
    after: tuple[datetime, uuid.UUID] | None,
    limit: int,
) -> tuple[list[Any], int]:
    """A page (as ``page`` returns it) and the scope's total, read together."""
    statement, params = page_statement(org_id, member_id, after=after, limit=limit)
    rows = list((await conn.execute(statement, params)).all())
    if not rows:
        return rows, await total(conn, org_id, member_id)
    return rows, int(rows[0].total or 0)


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


async def name_if_unnamed(
    conn: AsyncConnection, org_id: uuid.UUID, conversation_id: uuid.UUID, name: str
) -> None:
    """Name a conversation after its first answer, unless someone named it already."""
    await conn.execute(
        conversations.update()
        .where(_c.organization_id == org_id, _c.id == conversation_id, _c.name.is_(None))
        .values(name=name)
    )


async def get(
    conn: AsyncConnection,
    org_id: uuid.UUID,
    member_id: uuid.UUID | None,
    conversation_id: uuid.UUID,
    *,
    for_update: bool = False,
) -> Any | None:
    query = select(conversations).where(*_scoped(org_id, member_id), _c.id == conversation_id)
    if for_update:
        query = query.with_for_update()
    return (await conn.execute(query)).first()


async def messages_of(conn: AsyncConnection, conversation_id: uuid.UUID) -> list[Any]:
    """A thread's messages in chronological order (a prompt before its answer on a tie)."""
    query = (
        select(messages)
        .where(messages.c.conversation_id == conversation_id)
        .order_by(messages.c.created_at, messages.c.role.desc(), messages.c.id)
    )
    return list((await conn.execute(query)).all())


async def rename(
    conn: AsyncConnection, org_id: uuid.UUID, conversation_id: uuid.UUID, name: str
) -> None:
    await conn.execute(
        conversations.update()
        .where(_c.organization_id == org_id, _c.id == conversation_id)
        .values(name=name)
    )


async def remove(
    conn: AsyncConnection, org_id: uuid.UUID, member_id: uuid.UUID, conversation_id: uuid.UUID
) -> None:
    """Delete a conversation with its messages, keeping the totals exact."""
    await conn.execute(messages.delete().where(messages.c.conversation_id == conversation_id))
    await conn.execute(
        conversations.delete().where(_c.organization_id == org_id, _c.id == conversation_id)
    )
    await adjust_totals(conn, org_id, {member_id: -1})
