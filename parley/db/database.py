"""Engines and transactions for the state database (SQLite or PostgreSQL).

An endpoint's work is one transaction, opened by a dependency (``ReadConn``,
``WriteConn``) and committed at the edge after the endpoint returns (before the response
is sent), so nothing deep in a service ever commits. Authentication and the conversation
list read through ``direct()`` instead (decision 0008). Workers and the CLI use the same
``write()`` / ``read()`` scopes.
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy import event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.pool import ConnectionPoolEntry
from sqlalchemy.util import greenlet_spawn

from parley.db.direct_sql import AsyncpgReader, Reader, SqliteReader
from parley.kit.private_files import private_dir, private_file, restrict_if_present

_WRITE = "parley_write"
JOURNAL_SIZE_LIMIT = 64 * 1024 * 1024
# Touches no row, yet both databases refuse it when they cannot write.
_NO_OP_WRITE = text("UPDATE instance_secrets SET value = value WHERE name = ''")


class Database:
    def __init__(self, url: str, *, pool_size: int = 10) -> None:
        self.url = make_url(url)
        self.is_sqlite = self.url.get_backend_name() == "sqlite"
        if self.is_sqlite:
            self._prepare_sqlite_path()
            self.engine: AsyncEngine = create_async_engine(
                self.url, pool_size=pool_size, max_overflow=pool_size, hide_parameters=True
            )
            _tune_sqlite(self.engine)
            # Two pools on one file, as on PostgreSQL: the engine's aiosqlite connections
            # for transactions (reads and writes; writes take BEGIN IMMEDIATE), and plain
            # sqlite3 connections for the short direct reads of the list and the key
            # lookup, run in place on the event loop (decision 0008).
            self._direct_pool = _SqlitePool(self.url.database or ":memory:", size=pool_size)
            # SQLite has one writer. Writers of this process queue here, in order, rather
            # than in SQLite's busy handler, which retries on a timer and, with dozens
            # of writers (a burst of submits beside many running jobs), can starve one
            # past its busy timeout. Other processes still meet the busy timeout.
            self._write_turn: asyncio.Lock | None = asyncio.Lock()
        else:
            self._write_turn = None
            # The same ceiling as SQLite's pool and overflow, but every connection is
            # kept once opened: an overflow connection is closed when it is handed back,
            # and a busy worker process would open one for a transaction or two, its
            # statements prepared anew each time.
            self.engine = create_async_engine(
                self.url,
                pool_size=2 * pool_size,
                max_overflow=0,
                pool_use_lifo=True,
                hide_parameters=True,
            )
            _check_postgres_on_checkout(self.engine)

    def _prepare_sqlite_path(self) -> None:
        database = self.url.database
        if database and database != ":memory:" and not database.startswith("file:"):
            path = Path(database)
            if not path.parent.exists():
                private_dir(path.parent)
            # SQLite gives the -wal and -shm files the database file's mode, so a
            # private database file keeps them private too; older ones are tightened.
            private_file(path)
            for suffix in ("-wal", "-shm"):
                restrict_if_present(path.with_name(path.name + suffix))

    @property
    def sqlite_path(self) -> str | None:
        database = self.url.database
        if not self.is_sqlite or not database or database == ":memory:":
            return None
        return database

    def checkpoint(self) -> None:
        """SQLite: copy the write-ahead log into the database and truncate it to nothing
        (blocking; run it on a thread). Without this the log only ever grows to its
        largest burst; ``journal_size_limit`` trims it after the checkpoints SQLite
        runs by itself, this empties it."""
        path = self.sqlite_path
        if path is None:
            return
        connection = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        try:
            _configure_sqlite(connection)
            connection.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
        finally:
            connection.close()

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncConnection]:
        """A read transaction: every statement inside sees one snapshot."""
        async with self.engine.connect() as conn, conn.begin():
            yield conn

    @asynccontextmanager
    async def direct(self, *, scan: bool = False) -> AsyncIterator[Reader]:
        """A read for ``db.direct_sql`` statements: one snapshot on SQLite; on
        PostgreSQL each statement reads committed data, as it would in a transaction at
        PostgreSQL's default isolation, without the BEGIN and COMMIT round trips.

        ``scan=True`` marks a read that may touch many rows (a text search): on SQLite it
        then runs on a worker thread instead of in place, so it cannot stall the loop.
        """
        if not self.is_sqlite:
            # The pool's connection itself: no Connection objects around it, and none of
            # their bookkeeping, since SQLAlchemy never runs a statement on it here.
            raw = await self.engine.raw_connection()
            try:
                yield AsyncpgReader(raw.driver_connection, self.engine.dialect)
            finally:
                await greenlet_spawn(raw.close)
            return
        pool = self._direct_pool
        connection = pool.acquire()
        reader = SqliteReader(connection, self.engine.dialect, in_thread=scan)
        try:
            connection.execute("BEGIN")
            yield reader
        finally:
            scanning = reader.running
            if scanning is not None:
                # A cancelled request whose scan still runs on its thread: stop it, and
                # close the connection once the thread lets go of it, never reusing it.
                connection.interrupt()
                scanning.add_done_callback(lambda _done: pool.discard(connection))
            else:
                try:
                    connection.execute("ROLLBACK")
                except sqlite3.Error:
                    pool.discard(connection)
                else:
                    pool.release(connection)

    @asynccontextmanager
    async def write(self) -> AsyncIterator[AsyncConnection]:
        """A write transaction, committed when the block exits without an error."""
        async with contextlib.AsyncExitStack() as stack:
            if self._write_turn is not None:
                await stack.enter_async_context(self._write_turn)
            conn = await stack.enter_async_context(self.engine.connect())
            await conn.execution_options(**{_WRITE: True})
            async with conn.begin():
                yield conn

    @asynccontextmanager
    async def one_statement(self) -> AsyncIterator[AsyncConnection]:
        """A connection for a write that one statement makes whole. On PostgreSQL each
        statement on it is a transaction of its own: no BEGIN and COMMIT round trips
        around it. On SQLite, a write transaction as ``write()`` gives, since there a
        statement is a call on a thread, not a round trip. Callers issue one statement:
        two would not be all or nothing on PostgreSQL."""
        if self.is_sqlite:
            async with self.write() as conn:
                yield conn
            return
        async with self.engine.connect() as conn:
            # asyncpg's autocommit is the driver not sending BEGIN: set and reset on the
            # client side, without a round trip of its own.
            await conn.execution_options(isolation_level="AUTOCOMMIT")
            yield conn

    @asynccontextmanager
    async def writer(self) -> AsyncIterator[AsyncConnection]:
        """A connection that writes (BEGIN IMMEDIATE on SQLite, in this process's turn),
        its transaction not yet begun: for work that must set up the connection first,
        such as migrations switching SQLite's foreign keys off."""
        async with contextlib.AsyncExitStack() as stack:
            if self._write_turn is not None:
                await stack.enter_async_context(self._write_turn)
            conn = await stack.enter_async_context(self.engine.connect())
            await conn.execution_options(**{_WRITE: True})
            yield conn

    async def check_writable(self) -> None:
        """Raise unless the database takes a write: a no-op UPDATE in a transaction that
        is rolled back. A database that is read-only (a file's mode, a full disk on
        PostgreSQL's side, a standby after a failover) fails here, where a SELECT would
        still pass."""
        async with self.engine.connect() as conn:
            await conn.execution_options(**{_WRITE: True})
            transaction = await conn.begin()
            try:
                await conn.execute(_NO_OP_WRITE)
            finally:
                await transaction.rollback()

    async def dispose(self) -> None:
        if self.is_sqlite:
            self._direct_pool.close()
        await self.engine.dispose()


def _configure_sqlite(dbapi_connection: Any) -> None:
    # Take transaction control from the driver so BEGIN is ours to write.
    if dbapi_connection.isolation_level is not None:
        dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    # First, so that the pragmas below wait for a lock rather than fail on one.
    cursor.execute("PRAGMA busy_timeout=10000")
    # WAL lets readers run beside the one writer; NORMAL sync is durable across
    # application crashes, which is what an embedded server needs.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    # 64 MiB of page cache per connection (SQLite's default is 2 MiB): the list's
    # indexes stay in memory, and bulk loads stop re-reading B-tree pages.
    cursor.execute("PRAGMA cache_size=-65536")
    # After a checkpoint has copied the log back, a log larger than this is truncated
    # to it instead of keeping the size of its largest burst forever.
    cursor.execute(f"PRAGMA journal_size_limit={JOURNAL_SIZE_LIMIT}")
    cursor.close()


class _SqlitePool:
    """Idle ``sqlite3`` connections for ``Database.direct``.

    Acquire and release are plain list operations on the event loop's thread. Opening a
    SQLite connection is cheap, so there is no bound on how many are in use (in practice
    the requests whose direct read is waiting on something), only on how many are kept.
    """

    def __init__(self, path: str, *, size: int) -> None:
        self._path = path
        self._size = size
        self._idle: list[sqlite3.Connection] = []
        self._closed = False

    def acquire(self) -> sqlite3.Connection:
        if self._idle:
            return self._idle.pop()
        connection = sqlite3.connect(self._path, isolation_level=None, check_same_thread=False)
        try:
            _configure_sqlite(connection)
        except BaseException:
            connection.close()
            raise
        return connection

    def release(self, connection: sqlite3.Connection) -> None:
        if self._closed or len(self._idle) >= self._size:
            connection.close()
        else:
            self._idle.append(connection)

    @staticmethod
    def discard(connection: sqlite3.Connection) -> None:
        connection.close()

    def close(self) -> None:
        self._closed = True
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
    # async on purpose: FastAPI runs a plain ``def`` dependency on a worker thread, a
    # hand-off (and GIL traffic) that cost more than a page of the list (decision 0008).
    return get_database(request)


DatabaseDep = Annotated[Database, Depends(_database)]
ReadConn = Annotated[AsyncConnection, Depends(_read_connection, scope="function")]
WriteConn = Annotated[AsyncConnection, Depends(_write_connection, scope="function")]
