"""Readiness means the database takes a write; a worker whose database is away logs
each distinct error once and backs off instead of a traceback every poll."""

from __future__ import annotations

import json
import time
from pathlib import Path

import asyncpg
import httpx
import pytest
from sqlalchemy.exc import DBAPIError

from parley import migrate
from parley.db.database import Database
from tests.support.served import new_home, serve
from tests.support.sync import run_sync

POLL = 0.05


def admin(database_url: str, *statements: str) -> None:
    run_sync(_admin(database_url, *statements))


async def _admin(database_url: str, *statements: str) -> None:
    """Run ``statements`` on the server's maintenance database, then cut every existing
    connection to the test's database so the next ones see the change."""
    name = database_url.rsplit("/", 1)[1]
    dsn = database_url.replace("postgresql+asyncpg://", "postgresql://").rsplit("/", 1)[0]
    conn = await asyncpg.connect(dsn + "/postgres")
    try:
        for statement in statements:
            await conn.execute(statement.format(db=f'"{name}"'))
        await conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = $1 AND pid <> pg_backend_pid()",
            name,
        )
    finally:
        await conn.close()


def _wait_for(url: str, status: int, seconds: float = 20) -> httpx.Response:
    deadline = time.monotonic() + seconds
    while True:
        response = httpx.get(url, timeout=15)
        if response.status_code == status or time.monotonic() > deadline:
            return response
        time.sleep(0.2)


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_readiness_and_quiet_workers_on_a_database_that_goes_away(
    database_url: str, tmp_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    home = new_home(tmp_path / "home", tmp_path_factory)
    with serve(home, database_url, PARLEY_JOB_POLL_INTERVAL=str(POLL)) as server:
        ready = server.url + "/readyz"
        assert httpx.get(ready).json() == {"status": "ready"}
        # Read-only (a standby after a failover, say): SELECT works, writes do not.
        admin(database_url, "ALTER DATABASE {db} SET default_transaction_read_only = on")
        refused = _wait_for(ready, 503)
        assert refused.status_code == 503
        assert refused.json() == {
            "detail": "The state database does not take writes",
            "status": 503,
        }
        admin(database_url, "ALTER DATABASE {db} RESET default_transaction_read_only")
        assert _wait_for(ready, 200).status_code == 200

        # Unreachable: every poll of the job dispatcher and of the webhook sender fails
        # for a few seconds.
        time.sleep(1)
        loops = ("claiming a job", "claiming a webhook delivery")

        def recoveries() -> list[int]:
            return [sum(f"{loop} works again" in line for line in server.lines) for loop in loops]

        before = recoveries()
        admin(database_url, "ALTER DATABASE {db} ALLOW_CONNECTIONS false")
        try:
            assert _wait_for(ready, 503).status_code == 503
            time.sleep(4)
        finally:
            admin(database_url, "ALTER DATABASE {db} ALLOW_CONNECTIONS true")
        assert _wait_for(ready, 200, seconds=60).status_code == 200
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if all(now > then for now, then in zip(recoveries(), before, strict=True)):
                break
            time.sleep(0.2)
        output = server.stop_and_read().splitlines()
    logged = [
        json.loads(line)
        for line in output
        if '"logger":"parley.jobs"' in line or '"logger":"parley.webhooks"' in line
    ]
    # Neither loop logs a traceback, however long the outage.
    assert all("exc" not in entry for entry in logged)
    for loop, earlier in zip(loops, before, strict=True):
        failures = [
            entry for entry in logged if entry["msg"] == f"{loop} failed; retrying with backoff"
        ]
        # Polling every 50 ms, the loop would have logged ~80 tracebacks in 4 s; with
        # backoff it logs each distinct error once, in one line.
        assert 1 <= len(failures) <= 4, (loop, failures)
        assert any("accepting connections" in entry["error"] for entry in failures), failures
        # Only the recoveries from the outage: the read-only spell before it may have
        # failed a poll or two, and recovered after fewer tries.
        recovered = [entry for entry in logged if entry["msg"] == f"{loop} works again"][earlier:]
        # It tried a handful of times over the outage (waits doubling from 50 ms), not
        # once per poll (~100 times).
        assert len(recovered) >= 1, loop
        assert all(3 <= entry["failures"] <= 20 for entry in recovered), recovered


async def test_a_read_only_sqlite_database_is_not_writable(tmp_path: Path) -> None:
    """The check readiness runs: a SQLite file opened read-only fails it (the test may
    run as root, whom file modes do not stop, so the file is opened read-only)."""
    path = tmp_path / "state.db"
    writable = Database(f"sqlite+aiosqlite:///{path}")
    try:
        await migrate.upgrade(writable)
        await writable.check_writable()
    finally:
        await writable.dispose()
    read_only = Database(f"sqlite+aiosqlite:///file:{path}?mode=ro&uri=true")
    try:
        with pytest.raises(DBAPIError, match="readonly"):
            await read_only.check_writable()
    finally:
        await read_only.dispose()
