"""The one query that turns a token prefix into a key, its organization and member."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from parley.tables import api_keys, memberships, organizations

_lookup = (
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
    # Built once with a placeholder: every request runs this, and building the
    # statement cost more than running it.
    .where(api_keys.c.prefix == bindparam("prefix"))
)


async def find_key(conn: AsyncConnection, prefix: str) -> Any | None:
    return (await conn.execute(_lookup, {"prefix": prefix})).first()


async def touch_key(conn: AsyncConnection, key_id: uuid.UUID, now: datetime) -> None:
    await conn.execute(update(api_keys).where(api_keys.c.id == key_id).values(last_used_at=now))
