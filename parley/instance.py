"""Instance-wide state every replica must agree on: the schema and the signing key."""

from __future__ import annotations

import hashlib
import secrets

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from parley import migrate
from parley.config import Settings
from parley.db.database import Database
from parley.kit.cursors import CursorCodec
from parley.tables import instance_secrets

_CURSOR_KEY = "cursor_signing_key"


async def _stored_key(database: Database) -> str:
    async with database.read() as conn:
        value = (
            await conn.execute(
                select(instance_secrets.c.value).where(instance_secrets.c.name == _CURSOR_KEY)
            )
        ).scalar()
    if value is not None:
        return str(value)
    try:
        async with database.write() as conn:
            await conn.execute(
                instance_secrets.insert().values(name=_CURSOR_KEY, value=secrets.token_hex(32))
            )
    except IntegrityError:
        pass  # another replica stored one first; use theirs
    return await _stored_key(database)


async def prepare(database: Database, settings: Settings) -> CursorCodec:
    """Migrate the database and return the cursor codec every replica shares."""
    await migrate.upgrade(database)
    if settings.secret_key is not None:
        raw = settings.secret_key.get_secret_value()
    else:
        raw = await _stored_key(database)
    return CursorCodec(hashlib.sha256(raw.encode()).digest())
