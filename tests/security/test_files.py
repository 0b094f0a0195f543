"""Files on disk: the home folder, the SQLite database and its WAL and SHM, and the
credentials are private to their owner; the first-run banner prints no token; the WAL
is truncated by the server's checkpoints."""

from __future__ import annotations

import os
import sqlite3
import stat
import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text

from parley.db.database import JOURNAL_SIZE_LIMIT, Database
from tests.support.served import bearer, new_home, serve


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_home_database_and_credentials_are_private_and_the_banner_prints_no_token(
    tmp_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    home = new_home(tmp_path / "home", tmp_path_factory)
    os.chmod(home, 0o755)  # as an older version (or a loose umask) left it
    with serve(home, None, PARLEY_WORKERS="0", PARLEY_SQLITE_CHECKPOINT_SECONDS="0.5") as server:
        creds = server.credentials()
        token = creds["personalToken"]
        # A write, so that the WAL and SHM exist while the server runs.
        assert (
            httpx.post(
                server.url + "/api/v1/ai/jobs",
                json={"modelId": creds["modelId"], "prompt": "Revenue by region"},
                headers=bearer(token),
            ).status_code
            == 201
        )
        assert mode(home) == 0o700
        for name in ("parley.db", "parley.db-wal", "parley.db-shm", "credentials.json"):
            assert (home / name).exists(), name
            assert mode(home / name) == 0o600, name
        # The server's housekeeping empties the log once the writes are done.
        deadline = time.monotonic() + 10
        while (home / "parley.db-wal").stat().st_size and time.monotonic() < deadline:
            time.sleep(0.1)
        assert (home / "parley.db-wal").stat().st_size == 0
        banner = server.stop_and_read()
    assert str((home / "credentials.json").resolve()) in banner
    assert token not in banner and creds["organizationKey"] not in banner
    assert "parley_" not in banner


def test_an_existing_database_is_tightened(
    tmp_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    home = new_home(tmp_path / "home", tmp_path_factory)
    sqlite3.connect(home / "parley.db").close()
    os.chmod(home / "parley.db", 0o644)
    with serve(home, None, PARLEY_WORKERS="0"):
        assert mode(home / "parley.db") == 0o600
        assert mode(home / "credentials.json") == 0o600


async def test_checkpoints_truncate_the_wal(tmp_path: Path) -> None:
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'state.db'}")
    wal = tmp_path / "state.db-wal"
    try:
        # A reader holds an old snapshot, so SQLite's own checkpoints cannot reset the
        # log while a burst of writes grows it.
        async with database.write() as conn:
            await conn.execute(text("CREATE TABLE filler (body TEXT)"))
        reader = sqlite3.connect(tmp_path / "state.db")
        reader.execute("BEGIN")
        reader.execute("SELECT count(*) FROM filler").fetchall()
        async with database.write() as conn:
            for _ in range(40):
                await conn.execute(text("INSERT INTO filler VALUES (:b)"), {"b": "x" * 100_000})
        reader.execute("COMMIT")
        reader.close()
        assert wal.stat().st_size > 3_000_000
        started = time.monotonic()
        database.checkpoint()
        assert wal.stat().st_size == 0 and time.monotonic() - started < 10
        # Every connection also caps what SQLite's own checkpoints leave behind.
        async with database.read() as conn:
            limit = (await conn.execute(text("PRAGMA journal_size_limit"))).scalar()
        assert limit == JOURNAL_SIZE_LIMIT
    finally:
        await database.dispose()
