"""The SQL of conversations. The tenant filter is written once, in ``readable``."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    FromClause,
    Select,
    String,
    Update,
    bindparam,
    exists,
    func,
    literal,
    or_,
    select,
    tuple_,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from parley.conversations.records import Conversation, Message
from parley.db.direct_sql import DirectQuery, Reader, Row
from parley.db.wire_sql import utc_text, uuid_hex
from parley.tables import ORG_SCOPE, conversation_counts, conversations, messages

_c = conversations.c
# A list row, as db/wire_sql.py reads it: the driver's tuple, read by the positions
# below (service.wire_row turns it into the wire form).
_SUMMARY = (
    uuid_hex(_c.id),
    _c.name,
    _c.last_user_prompt,
    utc_text(_c.updated_at),
    utc_text(_c.created_at),
)
# Where each column of _SUMMARY sits in a list row: the id as 32 hex digits, the
# timestamps as ``YYYY-MM-DD HH:MM:SS.ffffff`` UTC text.
ROW_ID, ROW_NAME, ROW_PROMPT, ROW_UPDATED, ROW_CREATED = range(len(_SUMMARY))
# Without a search, the scope's total rides along after them.
ROW_TOTAL = len(_SUMMARY)


def readable(
    org_id: uuid.UUID | BindParameter[Any], member_id: uuid.UUID | BindParameter[Any] | None
) -> list[ColumnElement[bool]]:
    """The tenant filter. The ids are values, or placeholders in a prebuilt statement."""
    where: list[ColumnElement[bool]] = [_c.organization_id == org_id]
    if member_id is not None:
        where.append(_c.membership_id == member_id)
    return where


def _matches(pattern: ColumnElement[str]) -> ColumnElement[bool]:
    """Name, latest prompt or any earlier prompt contains ``pattern`` (an ILIKE pattern
    escaped with a backslash)."""
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


def _like_pattern(text: str) -> str:
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _counter_scope(member_id: uuid.UUID | None) -> str:
    return ORG_SCOPE if member_id is None else member_id.hex


def _scope_filter(query: Select[Any], *, by_member: bool, search: bool) -> Select[Any]:
    member: BindParameter[Any] | None = bindparam("member_id") if by_member else None
    query = query.where(*readable(bindparam("org_id"), member))
    if search:
        query = query.where(_matches(bindparam("pattern", type_=String())))
    return query


# The scope's maintained total (decision 0002).
_COUNTER = select(conversation_counts.c.n).where(
    conversation_counts.c.organization_id == bindparam("org_id"),
    conversation_counts.c.scope == bindparam("scope"),
)


def _prebuilt_page(*, by_member: bool, seek: bool, search: bool) -> DirectQuery:
    """The list's statement for one of its shapes, with placeholders for values.

    Built and compiled once: the list runs on every request. A seek on
    (updated_at, id), which both list indexes end in, so page 10,000 costs what page 1
    costs. Without a search the scope's counter rides along as an uncorrelated scalar
    subquery (evaluated once), so a page and its total are one round trip.
    """
    columns: list[Any] = list(_SUMMARY)
    if not search:
        columns.append(_COUNTER.scalar_subquery().label("total"))
    query = _scope_filter(select(*columns), by_member=by_member, search=search)
    if seek:
        query = query.where(
            tuple_(_c.updated_at, _c.id)
            < tuple_(
                bindparam("after_updated_at", type_=_c.updated_at.type),
                bindparam("after_id", type_=_c.id.type),
            )
        )
    query = query.order_by(_c.updated_at.desc(), _c.id.desc()).limit(bindparam("limit"))
    return DirectQuery(query)


_PAGES = {
    (by_member, seek, search): _prebuilt_page(by_member=by_member, seek=seek, search=search)
    for by_member in (False, True)
    for seek in (False, True)
    for search in (False, True)
}
_MATCHING = {
    by_member: DirectQuery(
        _scope_filter(
            select(func.count()).select_from(conversations), by_member=by_member, search=True
        )
    )
    for by_member in (False, True)
}
_TOTAL = DirectQuery(_COUNTER)


def page_statement(
    org_id: uuid.UUID,
    member_id: uuid.UUID | None,
    *,
    after: tuple[datetime, uuid.UUID] | None,
    limit: int,
    search: str | None = None,
) -> tuple[DirectQuery, dict[str, Any]]:
    """The list's prebuilt statement for this scope, position and search, and its values."""
    params: dict[str, Any] = {"org_id": org_id, "scope": _counter_scope(member_id), "limit": limit}
    if member_id is not None:
        params["member_id"] = member_id
    if after is not None:
        params["after_updated_at"], params["after_id"] = after
    if search:
        params["pattern"] = _like_pattern(search)
    return _PAGES[(member_id is not None, after is not None, bool(search))], params


async def page(
    reader: Reader,
    org_id: uuid.UUID,
    member_id: uuid.UUID | None,
    *,
    after: tuple[datetime, uuid.UUID] | None,
    limit: int,
    search: str | None = None,
) -> tuple[list[Row], int]:
    """Up to ``limit`` conversations newest activity first, strictly after ``after``
    (rows as ``_SUMMARY`` lists them), and how many the scope holds in all."""
    query, params = page_statement(org_id, member_id, after=after, limit=limit, search=search)
    rows = await reader.rows(query, params)
    if search:
        counted = await reader.rows(_MATCHING[member_id is not None], params)
        return rows, int(counted[0][0])
    if rows:
        return rows, int(rows[0][ROW_TOTAL] or 0)
    return rows, await total(reader, org_id, member_id)


async def total(reader: Reader, org_id: uuid.UUID, member_id: uuid.UUID | None) -> int:
    """Conversations in the scope, read from a maintained counter instead of counted."""
    rows = await reader.rows(_TOTAL, {"org_id": org_id, "scope": _counter_scope(member_id)})
    return int(rows[0][0]) if rows else 0


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
    unnamed: str | None = None,
) -> bool:
    """``unnamed``: the name to give the conversation unless it has one (its first
    answer names it), in the same statement."""
    statement = touch_update(
        org_id,
        conversation_id,
        updated_at,
        last_user_prompt=last_user_prompt,
        name=name,
        unnamed=unnamed,
    )
    result = await conn.execute(statement)
    return result.rowcount > 0


def touch_update(
    org_id: uuid.UUID,
    conversation_id: uuid.UUID,
    updated_at: datetime,
    *,
    last_user_prompt: str | None = None,
    name: str | None = None,
    unnamed: str | None = None,
    when: FromClause | None = None,
) -> Update:
    """``touch``'s statement. With ``when`` (a ``WITH`` clause's rows), the
    conversation is touched only if ``when`` yields a row."""
    values: dict[str, Any] = {"updated_at": updated_at}
    if last_user_prompt is not None:
        values["last_user_prompt"] = last_user_prompt
    if name is not None:
        values["name"] = name
    elif unnamed is not None:
        values["name"] = func.coalesce(_c.name, unnamed)
    statement = (
        conversations.update()
        .where(*readable(org_id, None), _c.id == conversation_id)
        .values(**values)
    )
    if when is not None:
        statement = statement.where(select(literal(1)).select_from(when).exists())
    return statement


async def get(
    conn: AsyncConnection,
    org_id: uuid.UUID,
    member_id: uuid.UUID | None,
    conversation_id: uuid.UUID,
    *,
    for_update: bool = False,
) -> Conversation | None:
    query = select(conversations).where(*readable(org_id, member_id), _c.id == conversation_id)
    if for_update:
        query = query.with_for_update()
    row = (await conn.execute(query)).first()
    return None if row is None else Conversation.of(row._mapping)


async def messages_of(conn: AsyncConnection, conversation_id: uuid.UUID) -> list[Message]:
    """A thread's messages in chronological order (a prompt before its answer on a tie)."""
    query = (
        select(messages)
        .where(messages.c.conversation_id == conversation_id)
        .order_by(messages.c.created_at, messages.c.role.desc(), messages.c.id)
    )
    return [Message.of(row._mapping) for row in await conn.execute(query)]


async def rename(
    conn: AsyncConnection, org_id: uuid.UUID, conversation_id: uuid.UUID, name: str
) -> None:
    await conn.execute(
        conversations.update()
        .where(*readable(org_id, None), _c.id == conversation_id)
        .values(name=name)
    )


async def remove(
    conn: AsyncConnection, org_id: uuid.UUID, member_id: uuid.UUID, conversation_id: uuid.UUID
) -> None:
    """Delete a conversation with its messages, keeping the totals exact."""
    await conn.execute(messages.delete().where(messages.c.conversation_id == conversation_id))
    await conn.execute(
        conversations.delete().where(*readable(org_id, None), _c.id == conversation_id)
    )
    await adjust_totals(conn, org_id, {member_id: -1})
