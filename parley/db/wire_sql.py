"""Ids and timestamps read as text in one shape on every database, ready to format.

The conversation list returns fifty ids and a hundred timestamps per page. Building a
``uuid.UUID`` and a ``datetime`` per value and formatting them again cost more than the
query; slicing text is several times cheaper. SQLite already stores both as text, so
there the expressions below are the bare column; PostgreSQL renders its native values
into the same text. The list cuts that text into the API's forms
(``conversations.service.wire_row``).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import String
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement


class uuid_hex(FunctionElement[str]):
    """A ``Uuid`` column as 32 lower-case hex digits."""

    type = String()
    name = "uuid_hex"
    inherit_cache = True


class utc_text(FunctionElement[str]):
    """A ``UtcDateTime`` column as ``YYYY-MM-DD HH:MM:SS.ffffff`` in UTC."""

    type = String()
    name = "utc_text"
    inherit_cache = True


def _argument(element: FunctionElement[Any], compiler: SQLCompiler, **kw: Any) -> str:
    return compiler.process(element.clauses, **kw)


@compiles(uuid_hex, "sqlite")
@compiles(utc_text, "sqlite")
def _as_stored(element: FunctionElement[str], compiler: SQLCompiler, **kw: Any) -> str:
    # SQLAlchemy stores these types on SQLite as exactly this text (timestamps always
    # with six fractional digits).
    return _argument(element, compiler, **kw)


@compiles(uuid_hex, "postgresql")
def _uuid_hex_postgresql(element: uuid_hex, compiler: SQLCompiler, **kw: Any) -> str:
    return f"replace(CAST({_argument(element, compiler, **kw)} AS TEXT), '-', '')"


@compiles(utc_text, "postgresql")
def _utc_text_postgresql(element: utc_text, compiler: SQLCompiler, **kw: Any) -> str:
    c = _argument(element, compiler, **kw)
    return f"to_char({c} AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US')"


def parse_utc_text(text: str) -> datetime:
    """``utc_text`` text → an aware datetime, all six fractional digits kept."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)
