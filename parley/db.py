"""Engines and transactions for the state database (SQLite or PostgreSQL).

One request is one transaction, opened by a dependency and committed at the edge after
the endpoint returns (before the response is sent), so nothing deep in a service ever
commits. Workers and the CLI use the same ``Database.write()`` / ``read()`` scopes.
"""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.pool import ConnectionPoolEntry

from parley.kit.direct_sql import AsyncpgReader, Reader, SqliteReader
from parley.kit.inline_sqlite import InlineConnection, inline_connector

_WRITE = "parley_write"


class Database:
    def __init__(self, url: str, *, pool_size: int = 10) -> None:
        self.url = make_url(url)
        self.is_sqlite = self.url.get_backend_name() == "sqlite"
        if self.is_sqlite:
            self._prepare_sqlite_path()
            self.engine: AsyncEngine = create_async_engine(
                self.url, pool_size=pool_size, max_overflow=pool_size
            )
            _tune_sqlite(self.engine)
            # Short reads run in place; see parley/kit/inline_sqlite.py.
            self.read_engine = create_async_engine(
                self.url,
                async_creator=inline_connector(self.url.database or ":memory:"),
                pool_size=pool_size,
                max_overflow=pool_size,
            )
            _tune_sqlite(self.read_engine)
            self._direct_pool = _SqlitePool(self.url.database or ":memory:", size=pool_size)
        else:
            self.engine = create_async_engine(self.url, pool_size=pool_size, max_overflow=pool_size)
            _check_postgres_on_checkout(self.engine)
            self.read_engine = self.engine

    def _prepare_sqlite_path(self) -> None:
        database = self.url.database
        if database and database != ":memory:" and not database.startswith("file:"):
            Path(database).parent.mkdir(parents=True, exist_ok=True)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @asynccontextmanager
    async def read(self, *, scan: bool = False) -> AsyncIterator[AsyncConnection]:
        """A read transaction: every statement inside sees one snapshot.

        ``scan=True`` marks a read that may touch many rows (a text search): on SQLite it
        then runs on a worker thread instead of in place, so it cannot stall the loop.
        """
        engine = self.engine if scan else self.read_engine
        async with engine.connect() as conn, conn.begin():
            yield conn

    @asynccontextmanager
    async def direct(self, *, scan: bool = False) -> AsyncIterator[Reader]:
        """A read for ``kit.direct_sql`` statements: one snapshot on SQLite; on
        PostgreSQL each statement reads committed data, as it would in a transaction at
        PostgreSQL's default isolation, without the BEGIN and COMMIT round trips.

        ``scan`` as in ``read``.
        """
        if not self.is_sqlite:
            async with self.engine.connect() as conn:
                raw = await conn.get_raw_connection()
                yield AsyncpgReader(raw.driver_connection, self.engine.dialect)
            return
        connection = self._direct_pool.acquire()
        reusable = False
        try:
            connection.execute("BEGIN")
            yield SqliteReader(connection, self.engine.dialect, in_thread=scan)
        finally:
            try:
                connection.execute("ROLLBACK")
                reusable = True
            except sqlite3.Error:
                # Still busy with a cancelled scan, or broken: not fit to reuse.
                pass
            self._direct_pool.release(connection, reusable=reusable)

    async def reader_for(self, conn: AsyncConnection) -> Reader:
        """A ``Reader`` on the connection (and transaction) of ``conn``, which must come
        from ``read()``."""
        raw = await conn.get_raw_connection()
        driver = raw.driver_connection
        if isinstance(driver, InlineConnection):
            return SqliteReader(driver.sqlite, conn.dialect, in_thread=False)
        if self.is_sqlite:
            raise TypeError("reader_for needs a connection from read() without scan")
        return AsyncpgReader(driver, conn.dialect)

    @asynccontextmanager
    async def write(self) -> AsyncIterator[AsyncConnection]:
        """A write transaction, committed when the block exits without an error."""
        async with self.engine.connect() as conn:
            await conn.execution_options(**{_WRITE: True})
            async with conn.begin():
                yield conn

    async def dispose(self) -> None:
        if self.is_sqlite:
            self._direct_pool.close()
        await self.engine.dispose()
        if self.read_engine is not self.engine:
            await self.read_engine.dispose()


def _configure_sqlite(dbapi_connection: Any) -> None:
    # Take transaction control from the driver so BEGIN is ours to write.
    if dbapi_connection.isolation_level is not None:
        dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    # WAL lets readers run beside the one writer; NORMAL sync is durable across
    # application crashes, which is what an embedded server needs.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA foreign_keys=ON")
    # 64 MiB of page cache per connection (SQLite's default is 2 MiB): the list's
    # indexes stay in memory, and bulk loads stop re-reading B-tree pages.
    cursor.execute("PRAGMA cache_size=-65536")
    cursor.close()


class _SqlitePool:
    """Idle ``sqlite3`` connections for ``Database.direct``.

    Acquire and release are plain list operations on the event loop's thread; opening a
    SQLite connection is cheap, so there is no upper bound on how many are in use, only
    on how many are kept idle.
    """

    def __init__(self, path: str, *, size: int) -> None:
        self._open: Callable[[], sqlite3.Connection] = lambda: sqlite3.connect(
            path, isolation_level=None, check_same_thread=False
        )
        self._size = size
        self._idle: list[sqlite3.Connection] = []

    def acquire(self) -> sqlite3.Connection:
        if self._idle:
            return self._idle.pop()
        connection = self._open()
        _configure_sqlite(connection)
        return connection

    def release(self, connection: sqlite3.Connection, *, reusable: bool) -> None:
        if reusable and len(self._idle) < self._size:
            self._idle.append(connection)
        else:
            connection.close()

    def close(self) -> None:
        while self._idle:
            self._idle.pop().close()


def _tune_sqlite(engine: AsyncEngine) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
        _configure_sqlite(dbapi_connection)

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Any) -> None:
        # A write transaction takes the write lock up front: a deferred one that reads
        # first would fail with SQLITE_BUSY, without waiting, when it tries to write.
        if conn.get_execution_options().get(_WRITE):
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            conn.exec_driver_sql("BEGIN")


def _check_postgres_on_checkout(engine: AsyncEngine) -> None:
    @event.listens_for(engine.sync_engine, "checkout")
    def _on_checkout(dbapi_connection: Any, _record: ConnectionPoolEntry, _proxy: Any) -> None:
        # Instead of pool_pre_ping, which on asyncpg costs three round trips per checkout
        # (BEGIN, a ping, ROLLBACK; decision 0008): asyncpg sees a socket the server has
        # closed (a restart, an idle timeout, pg_terminate_backend) without asking, and
        # DisconnectionError makes the pool discard the connection and hand out another.
        if dbapi_connection.driver_connection.is_closed():
            raise DisconnectionError("connection closed by the server")


def get_database(request: Request) -> Database:
    database: Database = request.app.state.database
    return database


async def _read_connection(request: Request) -> AsyncIterator[AsyncConnection]:
    async with get_database(request).read() as conn:
        yield conn


async def _write_connection(request: Request) -> AsyncIterator[AsyncConnection]:
    async with get_database(request).write() as conn:
        yield conn


async def _database(request: Request) -> Database:
    # async on purpose: FastAPI runs a plain ``def`` dependency on a worker thread, and
    # that hop (plus the GIL traffic it causes) cost more than the list's query.
    return get_database(request)


DatabaseDep = Annotated[Database, Depends(_database)]
ReadConn = Annotated[AsyncConnection, Depends(_read_connection, scope="function")]
WriteConn = Annotated[AsyncConnection, Depends(_write_connection, scope="function")]
