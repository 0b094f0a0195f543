"""UTC timestamps: how they are stored and how they go on the wire."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator


class UtcDateTime(TypeDecorator[datetime]):
    """An aware UTC datetime on every backend.

    SQLite keeps no zone, so values are normalised to UTC before storing and marked UTC
    when read back; PostgreSQL gets ``timestamptz``. Microseconds are kept everywhere,
    because list ordering uses the full stored precision.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given where an aware UTC one is required")
        value = value.astimezone(UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        assert isinstance(value, datetime)
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def to_wire(value: datetime) -> str:
    """RFC 3339, UTC, millisecond precision, ``Z`` suffix: ``2026-05-15T14:32:10.123Z``."""
    if value.tzinfo is not UTC:
        value = value.astimezone(UTC)
    # isoformat is C code and twice as fast as strftime.
    return value.isoformat(timespec="milliseconds")[:23] + "Z"
