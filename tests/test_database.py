"""The state database's connections: what a request sees when they go away."""

from __future__ import annotations

import asyncio

import asyncpg
import httpx
import pytest

from parley.db import Database
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
