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


def load_chdb(source: Path, directory: Path) -> dict[str, int]:
    """The demo tables in a chDB data directory (MergeTree tables, through Parquet)."""
    import chdb

    counts: dict[str, int] = {}
    directory.mkdir(parents=True, exist_ok=True)
    scratch = directory.parent / f"{directory.name}-parquet"
    scratch.mkdir(exist_ok=True)
    with duckdb.connect(str(source), read_only=True) as duck:
        for table in TABLES:
            duck.execute(f"COPY {table} TO '{scratch / table}.parquet' (FORMAT parquet)")
            counts[table] = duck.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]  # type: ignore[index]
    connection = chdb.connect(str(directory))
    try:
        for table in TABLES:
            connection.query(
                f"CREATE TABLE {table} ENGINE = MergeTree ORDER BY tuple() AS "
                f"SELECT * FROM file('{scratch / table}.parquet', Parquet)"
            )
    finally:
        connection.close()
    return counts


def load_spark(source: Path, url: str, directory: Path) -> None:
    """The demo tables as Parquet files in `directory`, declared as Spark tables through
    Spark Connect at `url` (the server must see the same file system: it is local)."""
    from pyspark.sql import SparkSession

    directory.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(source), read_only=True) as duck:
        for table in TABLES:
            duck.execute(f"COPY {table} TO '{directory / table}.parquet' (FORMAT parquet)")
    session = SparkSession.builder.remote(url).create()
    try:
        for table in TABLES:
            session.sql(f"DROP TABLE IF EXISTS {table}")
            session.sql(
                f"CREATE TABLE {table} USING parquet LOCATION '{directory / table}.parquet'"
            )
    finally:
        session.stop()
