"""The SQL of warehouse connections. The tenant filter is written once, in ``readable``."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ColumnElement, delete, func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from parley import tables
from parley.connections.records import Connection
from parley.tables import connections, models

_c = connections.c


def readable(org_id: uuid.UUID) -> ColumnElement[bool]:
    return _c.organization_id == org_id


def _named(reference: str) -> ColumnElement[bool]:
    """A connection by name, or by id when the reference is one."""
    try:
        as_id = uuid.UUID(reference)
    except ValueError:
        return _c.name == reference
    return or_(_c.id == as_id, _c.name == reference)


async def insert_connection(
    conn: AsyncConnection,
    *,
    org_id: uuid.UUID,
    name: str,
    kind: str,
    url: str,
    sealed_secret: str | None,
    now: datetime,
) -> uuid.UUID:
    connection_id = uuid.uuid4()
    await conn.execute(
        insert(connections).values(
            id=connection_id,
            organization_id=org_id,
            name=name,
            kind=kind,
            url=url,
            sealed_secret=sealed_secret,
            created_at=now,
            tested_at=now,
        )
    )
    return connection_id


async def find(conn: AsyncConnection, org_id: uuid.UUID, reference: str) -> Connection | None:
    query = select(connections).where(readable(org_id), _named(reference))
    row = (await conn.execute(query)).first()
    return None if row is None else Connection.of(row._mapping)


async def get(
    conn: AsyncConnection, org_id: uuid.UUID, connection_id: uuid.UUID
) -> Connection | None:
    query = select(connections).where(readable(org_id), _c.id == connection_id)
    row = (await conn.execute(query)).first()
    return None if row is None else Connection.of(row._mapping)


async def list_all(conn: AsyncConnection, org_id: uuid.UUID) -> list[Connection]:
    query = select(connections).where(readable(org_id)).order_by(_c.name)
    return [Connection.of(row._mapping) for row in await conn.execute(query)]


async def mark_tested(
    conn: AsyncConnection, org_id: uuid.UUID, connection_id: uuid.UUID, now: datetime
) -> None:
    await conn.execute(
        update(connections).where(readable(org_id), _c.id == connection_id).values(tested_at=now)
    )


async def models_using(conn: AsyncConnection, org_id: uuid.UUID, connection_id: uuid.UUID) -> int:
    query = (
        select(func.count())
        .select_from(models)
        .where(tables.readable(models, org_id), models.c.connection_id == connection_id)
    )
    return int((await conn.execute(query)).scalar_one())


async def delete_connection(
    conn: AsyncConnection, org_id: uuid.UUID, connection_id: uuid.UUID
) -> None:
    await conn.execute(delete(connections).where(readable(org_id), _c.id == connection_id))
