"""The state database's connections: what a request sees when they go away."""

from __future__ import annotations

import asyncio
import sqlite3

import asyncpg
import httpx
import pytest
from sqlalchemy import func, literal, select

from parley.db.database import Database
from parley.db.direct_sql import DirectQuery, SqliteReader
from tests.factories import add_conversations, bearer, make_org


def _dsn(database: Database) -> str:
    return database.url.set(drivername="postgresql").render_as_string(hide_password=False)


async def test_requests_survive_the_server_dropping_every_connection(
    backend: str, client: httpx.AsyncClient, database: Database
) -> None:
    """As after a PostgreSQL restart or failover: pooled connections are dead, and the
    next requests get fresh ones instead of an error."""
    if backend != "postgresql":
        pytest.skip("SQLite connections cannot be closed from outside")
    org = await make_org(database)
    await add_conversations(database, org.id, org.owner.id, 3)
    token = org.owner.token
    # Warm the pool so that several connections are idle in it.
    await asyncio.gather(*(client.get("/api/v1/whoami", headers=bearer(token)) for _ in range(4)))
    admin = await asyncpg.connect(_dsn(database))
    try:
        dropped = await admin.fetchval(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
    finally:
        await admin.close()
    assert dropped >= 1
    # Let the event loop read the closed sockets, as it would between requests.
    await asyncio.sleep(0.2)
    for _ in range(3):
        listed = await client.get("/api/v1/ai/conversations", headers=bearer(token))
        assert listed.status_code == 200, listed.text
        assert listed.json()["pageInfo"]["totalRecords"] == 3
        assert (await client.get("/api/v1/whoami", headers=bearer(token))).status_code == 200


async def test_a_cancelled_scan_is_stopped_and_its_connection_never_reused(
    backend: str, database: Database
) -> None:
    """A text search runs on a thread; when its request is cancelled (the client went
    away), the query is interrupted and the connection is closed, not pooled while the
    thread may still hold it."""
    if backend != "sqlite":
        pytest.skip("only SQLite scans run on a thread")
    counter = select(literal(1).label("x")).cte(recursive=True)
    counter = counter.union_all(select(counter.c.x + 1).where(counter.c.x < 10**9))
    endless = DirectQuery(select(func.count()).select_from(counter))
    seen: list[SqliteReader] = []
    started = asyncio.Event()

    async def scan() -> None:
        async with database.direct(scan=True) as reader:
            assert isinstance(reader, SqliteReader)
            seen.append(reader)
            started.set()
            await reader.rows(endless, {})

    task = asyncio.create_task(scan())
    await started.wait()
    await asyncio.sleep(0.2)  # the query is now running on its thread
    assert seen[0].running is not None and not seen[0].running.done()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    running = seen[0].running
    assert running is not None
    # The interrupt ends the query long before it could count to a billion.
    with pytest.raises(sqlite3.OperationalError, match="interrupt"):
        await asyncio.wait_for(running, 5)
    await asyncio.sleep(0)  # the done callback that closes the connection
    with pytest.raises(sqlite3.ProgrammingError, match="closed"):
        seen[0].connection.execute("SELECT 1")
    async with database.direct() as reader:
        assert isinstance(reader, SqliteReader)
        assert reader.connection is not seen[0].connection
        assert await reader.rows(DirectQuery(select(literal(7))), {}) == [(7,)]
