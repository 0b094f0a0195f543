"""The one query that turns a token prefix into a key, its organization and member."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from parley.auth.records import KeyRecord
from parley.db.direct_sql import DirectQuery, Reader
from parley.tables import api_keys, memberships, organizations

# Every request runs this, so it is built and compiled once (db/direct_sql.py). Its
# columns are KeyRecord's fields, in order.
_LOOKUP = DirectQuery(
    select(
        api_keys.c.id,
        api_keys.c.kind,
        api_keys.c.secret_hash,
        api_keys.c.organization_id,
        api_keys.c.membership_id,
        api_keys.c.expires_at,
        api_keys.c.revoked_at,
        api_keys.c.last_used_at,
        memberships.c.role,
        organizations.c.owner_membership_id,
        organizations.c.rate_limit_per_minute,
        organizations.c.ai_enabled,
    )
    .join(organizations, organizations.c.id == api_keys.c.organization_id)
    .outerjoin(memberships, memberships.c.id == api_keys.c.membership_id)
    .where(api_keys.c.prefix == bindparam("prefix"))
)


async def find_key(reader: Reader, prefix: str) -> KeyRecord | None:
    rows = await reader.rows(_LOOKUP, {"prefix": prefix})
    return KeyRecord(*_LOOKUP.typed(reader.dialect, rows[0])) if rows else None


async def touch_key(conn: AsyncConnection, key_id: uuid.UUID, now: datetime) -> None:
    await conn.execute(update(api_keys).where(api_keys.c.id == key_id).values(last_used_at=now))
