"""Timestamps: one wire format (RFC 3339, UTC, milliseconds, Z) whatever the zone given,
and stored values that come back aware and in UTC."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy.dialects.sqlite.base import SQLiteDialect
from sqlalchemy.engine import make_url

from parley.kit.timestamps import UtcDateTime, to_wire

POSTGRES = make_url("postgresql+asyncpg://").get_dialect()()


@pytest.mark.parametrize(
    ("value", "wire"),
    [
        (datetime(2026, 5, 15, 14, 32, 10, 123456, tzinfo=UTC), "2026-05-15T14:32:10.123Z"),
        (datetime(2026, 5, 15, 14, 32, 10, tzinfo=UTC), "2026-05-15T14:32:10.000Z"),
        (
            datetime(2026, 5, 15, 16, 32, 10, 999999, tzinfo=timezone(timedelta(hours=2))),
            "2026-05-15T14:32:10.999Z",
        ),
        (
            datetime(2026, 1, 1, 0, 30, tzinfo=timezone(timedelta(hours=1))),
            "2025-12-31T23:30:00.000Z",
        ),
    ],
)
def test_wire_format(value: datetime, wire: str) -> None:
    assert to_wire(value) == wire


def test_stored_values_are_utc_on_both_databases() -> None:
    column = UtcDateTime()
    paris = datetime(2026, 5, 15, 16, 0, 0, 1, tzinfo=timezone(timedelta(hours=2)))
    on_sqlite = column.process_bind_param(paris, SQLiteDialect())
    assert on_sqlite == datetime(2026, 5, 15, 14, 0, 0, 1)  # naive UTC, microseconds kept
    read = column.process_result_value(on_sqlite, SQLiteDialect())
    assert read == paris and read is not None and read.tzinfo is UTC
    on_postgres = column.process_bind_param(paris, POSTGRES)
    assert on_postgres is not None and on_postgres.utcoffset() == timedelta(0)
    assert column.process_result_value(paris, POSTGRES) == paris


def test_a_naive_datetime_is_refused() -> None:
    with pytest.raises(ValueError, match="naive"):
        UtcDateTime().process_bind_param(datetime(2026, 1, 1), SQLiteDialect())
