"""The SQL of registered semantic models. The tenant filter is written once, in ``readable``."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ColumnElement, insert, select, tuple_
from sqlalchemy.ext.asyncio import AsyncConnection

from parley.kit.json import JsonObject
from parley.models.records import Model
from parley.tables import models

_m = models.c


def readable(org_id: uuid.UUID) -> ColumnElement[bool]:
    return _m.organization_id == org_id


async def insert_model(
    conn: AsyncConnection,
    *,
    org_id: uuid.UUID,
    name: str,
    connection_url: str | None,
    definition: JsonObject,
    now: datetime,
    connection_id: uuid.UUID | None = None,
) -> uuid.UUID:
    model_id = uuid.uuid4()
    await conn.execute(
        insert(models).values(
            id=model_id,
            organization_id=org_id,
            name=name,
            connection_url=connection_url,
            connection_id=connection_id,
            definition=definition,
            created_at=now,
        )
    )
    return model_id


async def get_model(conn: AsyncConnection, org_id: uuid.UUID, model_id: uuid.UUID) -> Model | None:
    query = select(models).where(readable(org_id), _m.id == model_id)
    row = (await conn.execute(query)).first()
    return None if row is None else Model.of(row._mapping)


async def page(
    conn: AsyncConnection,
    org_id: uuid.UUID,
    *,
    after: tuple[datetime, uuid.UUID] | None,
    limit: int,
) -> list[Model]:
    """Models newest first, keyset-paged like the conversation list."""
    query = select(models).where(readable(org_id))
    if after is not None:
        query = query.where(tuple_(_m.created_at, _m.id) < tuple_(*after))
    query = query.order_by(_m.created_at.desc(), _m.id.desc()).limit(limit)
    return [Model.of(row._mapping) for row in await conn.execute(query)]


async def all_of(conn: AsyncConnection, org_id: uuid.UUID) -> list[Model]:
    """Every model of the organization (an organization has a handful)."""
    query = select(models).where(readable(org_id)).order_by(_m.created_at, _m.id)
    return [Model.of(row._mapping) for row in await conn.execute(query)]
