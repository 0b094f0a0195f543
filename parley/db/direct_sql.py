"""SQLAlchemy Core statements run straight on the database driver, for the hottest reads.

Every request authenticates and most requests list conversations. Through SQLAlchemy's
asyncio layer each of those statements cost a few hundred microseconds of Python:
greenlet switches, an execution context, a ``Row`` per result row and a type processor
per value, against some 50 microseconds of work in the database itself
(docs/decisions/0008-direct-reads.md). ``DirectQuery`` keeps the statement written once
in Core, compiles it once per dialect, and sends that SQL with the dialect's own bind
processors to the driver: ``sqlite3`` or ``asyncpg``. Rows come back as the driver's
tuples; ``DirectQuery.typed`` runs the column types' result processors when a caller
wants Python values (UUIDs, aware datetimes) rather than what the driver returns.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy.engine import Dialect
from sqlalchemy.sql import Select

Row = Sequence[Any]
_Processor = Callable[[Any], Any] | None


@dataclass(frozen=True)
class _Plan:
    sql: str
    names: tuple[str, ...]
    fixed: Mapping[str, Any]
    binders: tuple[_Processor, ...]
    processors: tuple[_Processor, ...]

    def arguments(self, params: Mapping[str, Any]) -> list[Any]:
        values = []
        for name, bind in zip(self.names, self.binders, strict=True):
            # A placeholder without a value is a mistake, not NULL.
            value = params[name] if name in params or name not in self.fixed else self.fixed[name]
            values.append(bind(value) if bind is not None and value is not None else value)
        return values


class DirectQuery:
    """One Core SELECT, compiled on first use for each database driver it meets."""

    def __init__(self, statement: Select[Any]) -> None:
        self.statement = statement
        self._plans: dict[tuple[str, str], _Plan] = {}

    def plan(self, dialect: Dialect) -> _Plan:
        key = (dialect.name, dialect.driver)
        plan = self._plans.get(key)
        if plan is None:
            plan = self._plans[key] = self._compile(dialect)
        return plan

    def _compile(self, dialect: Dialect) -> _Plan:
        compiled = self.statement.compile(dialect=dialect)
        if compiled.post_compile_params or compiled.literal_execute_params:
            # IN lists and the like are rendered per execution, which this class skips.
            raise ValueError("DirectQuery takes no parameters rendered at execution time")
        names = tuple(compiled.positiontup or ())
        binds = compiled.binds
        return _Plan(
            sql=str(compiled),
            names=names,
            # Values written into the statement itself (such as SQLite's OFFSET 0).
            fixed={name: binds[name].value for name in names if not binds[name].required},
            binders=tuple(
                binds[name].type.dialect_impl(dialect).bind_processor(dialect) for name in names
            ),
            processors=tuple(
                column.type.dialect_impl(dialect).result_processor(dialect, None)
                for column in self.statement.selected_columns
            ),
        )

    def typed(self, dialect: Dialect, row: Row) -> tuple[Any, ...]:
        """``row`` with each column converted as SQLAlchemy would convert it."""
        processors = self.plan(dialect).processors
        return tuple(
            value if process is None or value is None else process(value)
            for value, process in zip(row, processors, strict=True)
        )


class Reader(Protocol):
    """A read-only view of the database for the duration of one request or task."""

    dialect: Dialect

    async def rows(self, query: DirectQuery, params: Mapping[str, Any]) -> list[Row]: ...


class SqliteReader:
    """Runs statements on a ``sqlite3`` connection, in place or on a worker thread.

    In place is for short indexed reads: on a WAL database a reader never waits for a
    lock, so the call returns in microseconds and a thread hand-off would cost more than
    the query. ``in_thread`` is for reads that may scan (a text search), which must not
    stall the event loop.
    """

    def __init__(self, connection: sqlite3.Connection, dialect: Dialect, *, in_thread: bool):
        self.connection = connection
        self.dialect = dialect
        self._in_thread = in_thread
        # The statement running on a worker thread, until it returns. A request cancelled
        # meanwhile leaves it running: whoever owns the connection must wait for it.
        self.running: asyncio.Future[list[Row]] | None = None

    def _run(self, sql: str, arguments: list[Any]) -> list[Row]:
        return self.connection.execute(sql, arguments).fetchall()

    async def rows(self, query: DirectQuery, params: Mapping[str, Any]) -> list[Row]:
        plan = query.plan(self.dialect)
        arguments = plan.arguments(params)
        if not self._in_thread:
            return self._run(plan.sql, arguments)
        running = asyncio.get_running_loop().run_in_executor(None, self._run, plan.sql, arguments)
        running.add_done_callback(_retrieve)
        self.running = running
        # Shielded, so that a cancel leaves ``running`` pending until the thread is done
        # instead of marking it finished while the thread still uses the connection.
        rows = await asyncio.shield(running)
        self.running = None
        return rows


def _retrieve(future: asyncio.Future[Any]) -> None:
    # Read a failure nobody awaits any more (the request was cancelled), so asyncio
    # does not report it as never retrieved.
    if not future.cancelled():
        future.exception()


class AsyncpgReader:
    """Runs statements on an ``asyncpg`` connection (which caches them as prepared
    statements, keyed by their text)."""

    def __init__(self, connection: Any, dialect: Dialect) -> None:
        self.connection = connection
        self.dialect = dialect

    async def rows(self, query: DirectQuery, params: Mapping[str, Any]) -> list[Row]:
        plan = query.plan(self.dialect)
        rows: list[Row] = await self.connection.fetch(plan.sql, *plan.arguments(params))
        return rows
