"""Bring the state database to the newest schema with Alembic, on SQLite or PostgreSQL."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, text

from parley.db.database import Database

MIGRATIONS = Path(__file__).parent / "migrations"
# Any fixed number: replicas starting together take turns instead of racing.
_PG_LOCK_ID = 0x5041524C4559


def alembic_config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def _upgrade(connection: Connection) -> None:
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": _PG_LOCK_ID})
    command.upgrade(alembic_config(connection), "head")


def _is_current(connection: Connection) -> bool:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    return MigrationContext.configure(connection).get_current_revision() == head


def _set_foreign_keys(connection: Connection, on: bool) -> None:
    # Straight to the driver: SQLite ignores this pragma inside a transaction, and any
    # statement through SQLAlchemy would begin one first.
    cursor = connection.connection.cursor()
    try:
        cursor.execute(f"PRAGMA foreign_keys={'ON' if on else 'OFF'}")
    finally:
        cursor.close()


def _migrate_sqlite(connection: Connection, revision: str, *, down: bool) -> None:
    """Run migrations on SQLite with foreign keys off. Alembic changes a SQLite table by
    copying it to a new one and dropping the old; with foreign keys on, that drop would
    delete every row that refers to the table (ON DELETE CASCADE): changing ``models``
    would empty ``jobs``. The keys are checked before the migration commits instead."""
    _set_foreign_keys(connection, False)
    try:
        with connection.begin():
            config = alembic_config(connection)
            if down:
                command.downgrade(config, revision)
            else:
                command.upgrade(config, revision)
            broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
            if broken:
                raise RuntimeError(f"the migration left rows without their parents: {broken[:5]}")
    finally:
        _set_foreign_keys(connection, True)


async def upgrade(database: Database) -> None:
    async with database.engine.connect() as conn:
        if await conn.run_sync(_is_current):
            return
    if database.is_sqlite:
        # A writer: of two processes upgrading at once, the second waits for the first
        # and then finds the schema current (Alembic reads the version in its transaction).
        async with database.writer() as conn:
            await conn.run_sync(lambda c: _migrate_sqlite(c, "head", down=False))
        return
    async with database.write() as conn:
        await conn.run_sync(_upgrade)


async def downgrade(database: Database, revision: str) -> None:
    """Back to ``revision`` (tests and operators undoing an upgrade)."""
    if database.is_sqlite:
        async with database.writer() as conn:
            await conn.run_sync(lambda c: _migrate_sqlite(c, revision, down=True))
        return
    async with database.write() as conn:
        await conn.run_sync(lambda c: command.downgrade(alembic_config(c), revision))
