"""aiosqlite's interface, run on the event loop's own thread.

aiosqlite hands every call to a worker thread and back, about 0.15 ms a hop and a dozen
hops a request; an indexed read of one page takes about 0.05 ms in SQLite itself. For
short reads on a WAL database, where readers never wait for locks, running the call in
place is an order of magnitude faster (docs/decisions/0003-inline-sqlite-reads.md).
Writes, which may wait for the write lock, stay on aiosqlite's threads.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Generator
from functools import partial
from typing import Any

import aiosqlite


class InlineConnection(aiosqlite.Connection):
    def __init__(self, connector: Callable[[], sqlite3.Connection]) -> None:
        super().__init__(connector, iter_chunk_size=64)

    async def _execute(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        if not self._connection:
            raise ValueError("Connection closed")
        return fn(*args, **kwargs)

    async def _connect(self) -> InlineConnection:
        if self._connection is None:
            self._connection = self._connector()
        return self

    def __await__(self) -> Generator[Any, None, InlineConnection]:
        return self._connect().__await__()

    def stop(self) -> None:
        self._running = False
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    async def close(self) -> None:
        self.stop()


def inline_connector(path: str) -> Callable[[], Any]:
    """An ``async_creator`` for ``create_async_engine`` that opens ``path`` inline."""

    async def create() -> InlineConnection:
        connector = partial(sqlite3.connect, path, isolation_level=None, check_same_thread=False)
        return await InlineConnection(connector)

    return create
