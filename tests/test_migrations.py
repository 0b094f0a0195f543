"""Migrations run forward and back on both databases, and match the table definitions."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, inspect

from parley import migrate
from parley.db.database import Database
from parley.tables import metadata


def _differences(connection: Connection) -> list[object]:
    diffs = compare_metadata(MigrationContext.configure(connection), metadata)
    return list(diffs)


async def test_schema_matches_tables_and_downgrades_cleanly(database_url: str) -> None:
    database = Database(database_url)
    try:
        await migrate.upgrade(database)
        async with database.engine.connect() as conn:
            assert await conn.run_sync(_differences) == []
        await migrate.downgrade(database, "base")
        async with database.engine.connect() as conn:
            names = await conn.run_sync(lambda c: inspect(c).get_table_names())
        assert set(names) <= {"alembic_version"}
        await migrate.upgrade(database)
        async with database.engine.connect() as conn:
            names = await conn.run_sync(lambda c: inspect(c).get_table_names())
        assert {"conversations", "api_keys", "conversation_counts"} <= set(names)
    finally:
        await database.dispose()
