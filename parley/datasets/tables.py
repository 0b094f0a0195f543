"""Write generated rows into a new DuckDB file, atomically.

Rows go through temporary CSV files and DuckDB's `COPY` (far faster than inserts); the
file is built under a temporary name beside the target and renamed at the end, so a
crash never leaves a half-built warehouse behind.
"""

from __future__ import annotations

import csv
import os
import tempfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date, datetime
from pathlib import Path

import duckdb

Progress = Callable[[int, int], None]
Row = Sequence[object]
NULL = "\\N"


def write_warehouse(
    path: Path,
    schema: Mapping[str, str],
    rows: Mapping[str, Iterable[Row]],
    progress: Progress | None = None,
) -> None:
    """Create `path` with one table per `schema` entry (name → column DDL) filled from
    `rows`; None becomes SQL NULL."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    staged = path.with_name(f".{path.name}.{os.getpid()}.building")
    _remove(staged)
    total = len(schema)
    try:
        with tempfile.TemporaryDirectory(prefix="parley-dataset-") as scratch:
            con = duckdb.connect(str(staged))
            try:
                for done, (table, ddl) in enumerate(schema.items(), 1):
                    con.execute(f"CREATE TABLE {table} ({ddl})")
                    csv_path = Path(scratch) / f"{table}.csv"
                    with csv_path.open("w", newline="", encoding="utf-8") as handle:
                        writer = csv.writer(handle, lineterminator="\n")
                        writer.writerows([_cell(v) for v in row] for row in rows[table])
                    literal = str(csv_path).replace("'", "''")
                    con.execute(
                        f"COPY {table} FROM '{literal}' (FORMAT csv, HEADER false, NULL '\\N')"
                    )
                    if progress is not None:
                        progress(done, total)
                con.execute("CHECKPOINT")
            finally:
                con.close()
        os.replace(staged, path)
    finally:
        _remove(staged)
    _remove(path.with_name(path.name + ".wal"))


def _cell(value: object) -> object:
    if value is None:
        return NULL
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    return value


def _remove(path: Path) -> None:
    for candidate in (path, path.with_name(path.name + ".wal")):
        candidate.unlink(missing_ok=True)


def money(cents: int) -> str:
    """Integer cents as an exact decimal string (sums stay exact in DECIMAL columns)."""
    return f"{cents // 100}.{cents % 100:02d}"
