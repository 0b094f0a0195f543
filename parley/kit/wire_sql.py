"""SQL expressions that put values in their wire form inside the database.

The conversation list returns fifty ids and a hundred timestamps per page. Formatting
them in Python cost a function call per value, more than the query; the database's own
string functions do it for free while reading the row. Both are written per dialect.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import String
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement


class wire_uuid(FunctionElement[str]):
    """A ``Uuid`` column as lower-case ``8-4-4-4-12`` text."""

    type = String()
    name = "wire_uuid"
    inherit_cache = True


class wire_timestamp(FunctionElement[str]):
    """A ``UtcDateTime`` column as ``YYYY-MM-DDTHH:MM:SS.mmmZ`` (SPEC §1: milliseconds,
    truncated, as ``kit.timestamps.to_wire`` does)."""

    type = String()
    name = "wire_timestamp"
    inherit_cache = True


def _argument(element: FunctionElement[Any], compiler: SQLCompiler, **kw: Any) -> str:
    return compiler.process(element.clauses, **kw)


@compiles(wire_uuid, "sqlite")
def _wire_uuid_sqlite(element: wire_uuid, compiler: SQLCompiler, **kw: Any) -> str:
    # Stored as 32 lower-case hex digits.
    c = _argument(element, compiler, **kw)
    return (
        f"(substr({c}, 1, 8) || '-' || substr({c}, 9, 4) || '-' || substr({c}, 13, 4)"
        f" || '-' || substr({c}, 17, 4) || '-' || substr({c}, 21, 12))"
    )


@compiles(wire_uuid, "postgresql")
def _wire_uuid_postgresql(element: wire_uuid, compiler: SQLCompiler, **kw: Any) -> str:
    return f"CAST({_argument(element, compiler, **kw)} AS TEXT)"


@compiles(wire_timestamp, "sqlite")
def _wire_timestamp_sqlite(element: wire_timestamp, compiler: SQLCompiler, **kw: Any) -> str:
    # Stored as UTC text that always carries six fractional digits:
    # "2026-05-15 14:32:10.123456".
    c = _argument(element, compiler, **kw)
    return f"(substr({c}, 1, 10) || 'T' || substr({c}, 12, 12) || 'Z')"


@compiles(wire_timestamp, "postgresql")
def _wire_timestamp_postgresql(element: wire_timestamp, compiler: SQLCompiler, **kw: Any) -> str:
    # to_char's MS truncates, like isoformat(timespec="milliseconds").
    c = _argument(element, compiler, **kw)
    return f"""to_char({c} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')"""
