"""Run compiled SQL on a warehouse with a row cap and a timeout.

`Warehouse` is the interface the assistant uses; `DuckDBWarehouse` opens the embedded
demo file read-only, `SQLAlchemyWarehouse` runs on any synchronous SQLAlchemy URL
(SQLite today; Postgres and others need only their driver). Results are JSON-friendly:
dates and timestamps become ISO strings and Decimals floats.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import Any, Protocol, TypeVar

import duckdb

from parley.assistant.compiler import CompiledQuery, Dialect

JsonValue = str | int | float | bool | None
T = TypeVar("T")

DEFAULT_ROW_CAP = 5_000
DEFAULT_TIMEOUT = 30.0


class QueryTimeout(RuntimeError):
    """The warehouse did not answer within the time allowed; the query was interrupted."""


class WarehouseError(RuntimeError):
    """The warehouse refused or failed the query."""


@dataclass(frozen=True)
class QueryResult:
    columns: list[str]
    rows: list[list[JsonValue]]
    total_row_count: int
    truncated: bool
    raw_rows: list[tuple[Any, ...]] = field(default_factory=list, repr=False, compare=False)

    def to_json(self) -> dict[str, Any]:
        """The `result` object of generate-query (SPEC §6.2)."""
        return {
            "columns": self.columns,
            "rows": self.rows,
            "totalRowCount": self.total_row_count,
            "truncated": self.truncated,
        }


class Warehouse(Protocol):
    dialect: Dialect

    def execute(
        self,
        query: CompiledQuery,
        *,
        row_cap: int = DEFAULT_ROW_CAP,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> QueryResult: ...

    def close(self) -> None: ...


def json_value(value: Any) -> JsonValue:
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value if value == value and value not in (float("inf"), float("-inf")) else None
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, (datetime, date, time)):
        return value.isoformat()
    return str(value)


def _result(
    columns: Sequence[str], rows: list[tuple[Any, ...]], row_cap: int, total: int | None
) -> QueryResult:
    truncated = len(rows) > row_cap
    kept = rows[:row_cap]
    return QueryResult(
        columns=list(columns),
        rows=[[json_value(v) for v in row] for row in kept],
        total_row_count=total if total is not None else len(rows),
        truncated=truncated,
        raw_rows=kept,
    )


def _with_timeout(work: Callable[[], T], interrupt: Callable[[], None], timeout: float) -> T:
    """Run `work` in a thread; past `timeout` seconds call `interrupt` and raise."""
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            outcome["value"] = work()
        except BaseException as error:  # handed to the caller's thread
            outcome["error"] = error

    thread = threading.Thread(target=run, name="parley-warehouse-query", daemon=True)
    thread.start()
    thread.join(timeout)
    if thread.is_alive():
        interrupt()
        thread.join(5.0)
        raise QueryTimeout(f"the query took longer than {timeout:g} s and was stopped")
    if "error" in outcome:
        error = outcome["error"]
        if isinstance(error, Exception):
            raise WarehouseError(str(error)) from error
        raise error
    return outcome["value"]  # type: ignore[no-any-return]


class DuckDBWarehouse:
    """A DuckDB file opened read-only; one cursor per query, so queries may run in parallel."""

    dialect: Dialect = "duckdb"

    def __init__(self, path: Path, *, threads: int | None = None) -> None:
        if not Path(path).exists():
            raise FileNotFoundError(f"no DuckDB warehouse at {path}")
        config: dict[str, str | bool | int | float | list[str]] = (
            {"threads": threads} if threads else {}
        )
        self._connection = duckdb.connect(str(path), read_only=True, config=config)
        self._lock = threading.Lock()

    def execute(
        self,
        query: CompiledQuery,
        *,
        row_cap: int = DEFAULT_ROW_CAP,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> QueryResult:
        if query.dialect != "duckdb":
            raise ValueError(f"query compiled for {query.dialect}, not duckdb")
        with self._lock:  # creating a cursor is not thread-safe; running it is
            cursor = self._connection.cursor()
        try:

            def work() -> tuple[list[str], list[tuple[Any, ...]], int | None]:
                cursor.execute(query.sql, query.params)
                columns = [d[0] for d in cursor.description or ()]
                rows = cursor.fetchmany(row_cap + 1)
                total = None
                if len(rows) > row_cap:  # count the rest without keeping it
                    total = len(rows)
                    while chunk := cursor.fetchmany(10_000):
                        total += len(chunk)
                return columns, rows, total

            columns, rows, total = _with_timeout(work, cursor.interrupt, timeout)
        finally:
            cursor.close()
        return _result(columns, rows, row_cap, total)

    def raw(
        self, sql: str, params: Sequence[Any] | dict[str, Any] | None = None
    ) -> list[tuple[Any, ...]]:
        """Run trusted SQL (evaluation's expected answers, tests); never fed by a prompt."""
        with self._lock:
            cursor = self._connection.cursor()
        try:
            cursor.execute(sql, params or [])
            rows: list[tuple[Any, ...]] = cursor.fetchall()
            return rows
        finally:
            cursor.close()

    def close(self) -> None:
        self._connection.close()


class SQLAlchemyWarehouse:
    """Any warehouse reachable through a synchronous SQLAlchemy URL."""

    def __init__(self, url: str) -> None:
        from sqlalchemy import create_engine  # only this path needs SQLAlchemy's engine

        self._engine = create_engine(url, hide_parameters=True)
        name = self._engine.dialect.name
        dialects: dict[str, Dialect] = {
            "sqlite": "sqlite",
            "postgresql": "postgres",
            "duckdb": "duckdb",
        }
        if name not in dialects:
            raise ValueError(f"no SQL dialect for warehouse driver {name!r}")
        self.dialect: Dialect = dialects[name]

    def execute(
        self,
        query: CompiledQuery,
        *,
        row_cap: int = DEFAULT_ROW_CAP,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> QueryResult:
        from sqlalchemy import text

        if query.dialect != self.dialect:
            raise ValueError(f"query compiled for {query.dialect}, not {self.dialect}")
        with self._engine.connect() as connection:
            raw = connection.connection.dbapi_connection

            def interrupt() -> None:
                # sqlite3 can interrupt a running statement; other drivers rely on the
                # database's own statement timeout.
                stop = getattr(raw, "interrupt", None)
                if callable(stop):
                    stop()

            def work() -> tuple[list[str], list[tuple[Any, ...]], int | None]:
                result = connection.execute(text(query.sql_with_colon_params()), query.params)
                columns = list(result.keys())
                rows = [tuple(r) for r in result.fetchmany(row_cap + 1)]
                total = None
                if len(rows) > row_cap:
                    total = len(rows)
                    while chunk := result.fetchmany(10_000):
                        total += len(chunk)
                return columns, rows, total

            columns, rows, total = _with_timeout(work, interrupt, timeout)
        return _result(columns, rows, row_cap, total)

    def close(self) -> None:
        self._engine.dispose()
