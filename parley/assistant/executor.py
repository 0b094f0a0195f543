"""Run compiled SQL on a warehouse with a row cap and a timeout.

`Warehouse` is the interface the assistant uses; `DuckDBWarehouse` opens the embedded
demo file read-only, `SQLAlchemyWarehouse` runs on a synchronous SQLAlchemy URL
(PostgreSQL through psycopg, SQLite, and the kinds of parley/warehouses/kinds.py).
Results are JSON-friendly: dates and timestamps become ISO strings and Decimals floats.
"""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import Any, Protocol, TypeVar

import duckdb
from sqlglot import exp

from parley.assistant.compiler import TOTAL_COLUMN, CompiledQuery
from parley.warehouses.kinds import Dialect, Kind, MissingDriver, kind_of_url

JsonValue = str | int | float | bool | None
T = TypeVar("T")

DEFAULT_ROW_CAP = 5_000
DEFAULT_TIMEOUT = 30.0
_SERVER_TIMEOUT_MARGIN = 5.0


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
        """The `result` object of generate-query (`POST /api/v1/ai/generate-query`)."""
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


class ChDBWarehouse:
    """ClickHouse's engine embedded in the process (chDB) over a local data directory.

    Values are bound as ClickHouse query parameters (``{p0:String}``); each query runs
    with ``readonly = 2`` (settings may change, data may not) and the engine's own
    ``max_execution_time``, so a query past the timeout is stopped by ClickHouse itself.
    """

    dialect: Dialect = "clickhouse"

    def __init__(self, path: Path) -> None:
        import chdb  # the [chdb] extra

        if not Path(path).is_dir():
            raise FileNotFoundError(f"no chDB data directory at {path}")
        self._path = str(path)
        self._connection = chdb.connect(self._path)
        self._lock = threading.Lock()  # one chDB connection runs one query at a time

    def execute(
        self,
        query: CompiledQuery,
        *,
        row_cap: int = DEFAULT_ROW_CAP,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> QueryResult:
        if query.dialect != "clickhouse":
            raise ValueError(f"query compiled for {query.dialect}, not clickhouse")
        tree = query.expression.copy()
        params: dict[str, str] = {}
        for node in list(tree.find_all(exp.Placeholder)):
            value = query.params[node.name]
            type_name, text = _clickhouse_param(value)
            node.replace(exp.var(f"{{{node.name}:{type_name}}}"))
            params[node.name] = text
        settings = f"readonly = 2, max_execution_time = {max(timeout, 0.001):g}"
        sql = f"{tree.sql(dialect='clickhouse', identify=True)} SETTINGS {settings}"
        with self._lock:
            try:
                output = self._connection.query(sql, "JSONCompact", params=params)
            except Exception as error:
                self._reopen()
                if "TIMEOUT_EXCEEDED" in str(error):
                    raise QueryTimeout(
                        f"the query took longer than {timeout:g} s and was stopped"
                    ) from error
                raise WarehouseError(str(error)) from error
        data = json.loads(output.bytes() if hasattr(output, "bytes") else str(output))
        types = [column["type"] for column in data["meta"]]
        columns = [column["name"] for column in data["meta"]]
        if len(query.columns) == len(columns):
            columns = list(query.columns)
        rows = [
            tuple(_from_clickhouse(v, t) for v, t in zip(row, types, strict=True))
            for row in data["data"]
        ]
        return _result(columns, rows, row_cap, len(rows))

    def _reopen(self) -> None:
        # A failed query can leave its partial output in the connection, to be read back
        # as the start of the next query's answer: start afresh instead.
        import chdb

        self._connection.close()
        self._connection = chdb.connect(self._path)

    def close(self) -> None:
        self._connection.close()


def _clickhouse_param(value: Any) -> tuple[str, str]:
    if isinstance(value, bool):
        return "Bool", "true" if value else "false"
    if isinstance(value, int):
        return "Int64", str(value)
    if isinstance(value, float):
        return "Float64", repr(value)
    if isinstance(value, datetime):
        return "DateTime64(6)", value.isoformat(sep=" ")
    if isinstance(value, date):
        return "Date", value.isoformat()
    return "String", str(value)


def _from_clickhouse(value: Any, type_name: str) -> Any:
    """JSON text back to the Python value the other engines' drivers give."""
    if value is None:
        return None
    bare = (
        type_name.removeprefix("Nullable(").removesuffix(")")
        if "Nullable" in type_name
        else type_name
    )
    if bare.startswith("DateTime"):
        return datetime.fromisoformat(str(value))
    if bare == "Date" or bare == "Date32":
        return date.fromisoformat(str(value))
    if bare.startswith("Decimal"):
        return Decimal(str(value))
    if bare.startswith(("Int", "UInt")) and isinstance(value, str):
        return int(value)
    return value


class SparkConnectWarehouse:
    """Apache Spark (or Databricks) reached through Spark Connect, ``sc://host:port``.

    Values are bound as Spark's named parameters; rows past the cap are counted by the
    engine rather than fetched; a query past the timeout is interrupted on the cluster
    (each query carries its own tag). Spark Connect has no read-only session: the SQL
    Parley sends is only ever a SELECT built by its compiler.
    """

    dialect: Dialect = "spark"

    def __init__(self, url: str) -> None:
        from pyspark.sql import SparkSession  # the [spark] extra

        self._session = SparkSession.builder.remote(url).create()

    def execute(
        self,
        query: CompiledQuery,
        *,
        row_cap: int = DEFAULT_ROW_CAP,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> QueryResult:
        if query.dialect != "spark":
            raise ValueError(f"query compiled for {query.dialect}, not spark")
        tag = f"parley-{uuid.uuid4().hex}"
        session = self._session

        def work() -> tuple[list[str], list[tuple[Any, ...]], int | None]:
            session.addTag(tag)  # tags belong to the calling thread
            try:
                frame = session.sql(query.sql, args=query.params or None)
                rows = [tuple(row) for row in frame.take(row_cap + 1)]
                total = int(frame.count()) if len(rows) > row_cap else None
                return list(frame.columns), rows, total
            finally:
                session.removeTag(tag)

        columns, rows, total = _with_timeout(work, lambda: session.interruptTag(tag), timeout)
        if len(query.columns) == len(columns):
            columns = list(query.columns)
        return _result(columns, rows, row_cap, total)

    def close(self) -> None:
        self._session.stop()


class SQLAlchemyWarehouse:
    """Any warehouse reachable through a synchronous SQLAlchemy URL (PostgreSQL, SQLite,
    and the kinds whose SQLAlchemy dialect comes with their extra).

    Each query runs in its own read-only transaction where the engine has one, with the
    engine's own statement timeout set, and is cancelled on the engine when it runs past
    the timeout (not only abandoned by this process)."""

    def __init__(self, url: str) -> None:
        from sqlalchemy import create_engine  # only this path needs SQLAlchemy's engine
        from sqlalchemy.exc import NoSuchModuleError

        self.kind = kind_of_url(url)
        url = _default_driver(self.kind, url)
        if self.kind.name == "postgres" and "+" not in scheme_part(url):
            self.kind.require_driver()
        try:
            # Parameters stay out of error messages (and so out of logs).
            self._engine = create_engine(url, hide_parameters=True)
        except (ImportError, NoSuchModuleError) as error:
            if self.kind.extra is None:
                raise MissingDriver(f"the {self.kind.label} driver is missing: {error}") from error
            raise MissingDriver(
                f"the {self.kind.label} driver is not installed ({error}): "
                f"pip install 'parley[{self.kind.extra}]'"
            ) from error
        self.dialect: Dialect = self.kind.dialect

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
                # sqlite3 interrupts a running statement; psycopg asks the server to cancel.
                for name in ("interrupt", "cancel_safe", "cancel"):
                    stop = getattr(raw, name, None)
                    if callable(stop):
                        stop()
                        return

            def work() -> tuple[list[str], list[tuple[Any, ...]], int | None]:
                self._start(connection, timeout)
                sql = query.sql_with_colon_params(row_cap)
                result = connection.execute(text(sql), query.params)
                columns = list(result.keys())
                rows = [tuple(r) for r in result.fetchmany(row_cap + 1)]
                total = None
                if columns and columns[-1] == TOTAL_COLUMN:  # the cap ran in the engine
                    columns.pop()
                    total = int(rows[0][-1]) if rows else 0
                    rows = [row[:-1] for row in rows]
                elif len(rows) > row_cap:
                    total = len(rows)
                    while chunk := result.fetchmany(10_000):
                        total += len(chunk)
                if len(query.columns) == len(columns):  # aliases may be positional
                    columns = list(query.columns)
                return columns, rows, total

            try:
                columns, rows, total = _with_timeout(work, interrupt, timeout)
            except WarehouseError as error:
                if _is_cancellation(error):
                    raise QueryTimeout(
                        f"the query took longer than {timeout:g} s and was stopped"
                    ) from error
                raise
            finally:
                connection.rollback()  # nothing to keep: every query only reads
        return _result(columns, rows, row_cap, total)

    def _start(self, connection: Any, timeout: float) -> None:
        """Make the transaction read-only and bounded in time, where the engine can."""
        from sqlalchemy import text

        if self.kind.name == "postgres":
            connection.execute(text("SET TRANSACTION READ ONLY"))
            # The client cancels at `timeout`; the server's own limit, a little later, is
            # the backstop for a client that dies mid-query.
            milliseconds = str(round((timeout + _SERVER_TIMEOUT_MARGIN) * 1000))
            connection.execute(
                text("SELECT set_config('statement_timeout', :ms, true)"), {"ms": milliseconds}
            )
        elif self.kind.name == "sqlite":
            connection.execute(text("PRAGMA query_only = ON"))

    def close(self) -> None:
        self._engine.dispose()


def _is_cancellation(error: BaseException) -> bool:
    """PostgreSQL's "query_canceled" (57014), raised by its statement timeout."""
    cause: BaseException | None = error
    while cause is not None:
        if getattr(cause, "sqlstate", None) == "57014":
            return True
        cause = cause.__cause__ or getattr(cause, "orig", None)
    return False


def scheme_part(url: str) -> str:
    return url.partition("://")[0]


def _default_driver(kind: Kind, url: str) -> str:
    """The driver of each kind's extra when the URL names none: a bare ``postgresql://``
    means psycopg 3 (SQLAlchemy's default is psycopg2), ``clickhouse://``
    clickhouse-connect (whose SQLAlchemy dialect is called clickhousedb)."""
    scheme, separator, rest = url.partition("://")
    if kind.name == "postgres" and separator and "+" not in scheme:
        return f"postgresql+psycopg://{rest}"
    if kind.name == "clickhouse" and separator and scheme == "clickhouse":
        return f"clickhousedb://{rest}"
    return url
