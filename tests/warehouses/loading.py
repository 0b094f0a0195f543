"""Copy the demo warehouse (a DuckDB file) into another engine for tests.

Table definitions are the demo's own DDL translated by sqlglot, so each engine gets
its native types (DOUBLE becomes DOUBLE PRECISION on PostgreSQL, and so on).
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import psycopg
import sqlglot

from parley.demo.warehouse import TABLES


def create_table_sql(table: str, dialect: str) -> str:
    return sqlglot.transpile(
        f"CREATE TABLE {table} ({TABLES[table]})", read="duckdb", write=dialect
    )[0]


def load_postgres(source: Path, dsn: str) -> dict[str, int]:
    """Create the demo tables in the (empty) database at `dsn` and COPY every row in;
    returns the row count of each table."""
    counts: dict[str, int] = {}
    with (
        duckdb.connect(str(source), read_only=True) as duck,
        psycopg.connect(dsn, autocommit=False) as pg,
    ):
        with pg.cursor() as cursor:
            for table in TABLES:
                cursor.execute(create_table_sql(table, "postgres").encode())
                rows = duck.execute(f"SELECT * FROM {table}").fetchall()
                with cursor.copy(f"COPY {table} FROM STDIN".encode()) as copy:
                    for row in rows:
                        copy.write_row(row)
                counts[table] = len(rows)
            cursor.execute(b"ANALYZE")
        pg.commit()
    return counts
