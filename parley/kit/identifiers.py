"""UUIDs read straight into their canonical text form on hot read paths."""

from __future__ import annotations

from typing import Any

from sqlalchemy import String
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator


class WireUuid(TypeDecorator[str]):
    """A stored UUID as ``8-4-4-4-12`` text without building a ``uuid.UUID`` first.

    SQLite keeps UUIDs as 32 hex digits; PostgreSQL's driver returns a UUID object.
    Read-only: use it with ``type_coerce`` on a ``Uuid`` column.
    """

    impl = String
    cache_ok = True

    def process_result_value(self, value: Any, dialect: Dialect) -> str | None:
        if value is None:
            return None
        if isinstance(value, str) and len(value) == 32:
            return f"{value[:8]}-{value[8:12]}-{value[12:16]}-{value[16:20]}-{value[20:]}"
        return str(value)
