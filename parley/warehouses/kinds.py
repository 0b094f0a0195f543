"""The kinds of warehouse Parley can query: SQL dialect, URL schemes and driver extra.

A connection URL's scheme picks the kind (``postgresql+psycopg://`` is PostgreSQL,
``duckdb:///file`` DuckDB). Drivers other than DuckDB's and SQLite's come as optional
extras, so a plain install stays small; a missing one is named in the error.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from typing import Literal

Dialect = Literal[
    "duckdb",
    "postgres",
    "sqlite",
    "spark",
    "databricks",
    "snowflake",
    "bigquery",
    "trino",
    "clickhouse",
]
DIALECTS: tuple[Dialect, ...] = (
    "duckdb",
    "postgres",
    "sqlite",
    "spark",
    "databricks",
    "snowflake",
    "bigquery",
    "trino",
    "clickhouse",
)


class UnknownKind(ValueError):
    """A URL whose scheme names no warehouse Parley knows."""


class MissingDriver(RuntimeError):
    """The kind is known but its driver is not installed; the message names the extra."""


@dataclass(frozen=True)
class Kind:
    name: str
    label: str
    dialect: Dialect
    schemes: tuple[str, ...]  # URL schemes before any "+driver"
    modules: tuple[str, ...]  # what must be importable to connect
    extra: str | None  # `pip install 'parley[<extra>]'`; None when always installed

    def missing_modules(self) -> list[str]:
        return [m for m in self.modules if not _importable(m)]

    def require_driver(self) -> None:
        missing = self.missing_modules()
        if missing and self.extra is not None:
            raise MissingDriver(
                f"the {self.label} driver is not installed (no module {missing[0]!r}): "
                f"pip install 'parley[{self.extra}]'"
            )
        if missing:
            raise MissingDriver(f"the {self.label} driver is missing (no module {missing[0]!r})")


def _importable(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except ModuleNotFoundError:  # a dotted name whose parent package is missing
        return False


KINDS: dict[str, Kind] = {
    kind.name: kind
    for kind in (
        Kind("duckdb", "DuckDB", "duckdb", ("duckdb",), ("duckdb",), None),
        Kind("sqlite", "SQLite", "sqlite", ("sqlite",), ("sqlite3",), None),
        Kind(
            "postgres",
            "PostgreSQL",
            "postgres",
            ("postgresql", "postgres"),
            ("psycopg",),
            "postgres",
        ),
        Kind(
            "spark",
            "Apache Spark (Spark Connect)",
            "spark",
            ("sc",),
            ("pyspark.sql.connect",),
            "spark",
        ),
        Kind(
            "databricks",
            "Databricks",
            "databricks",
            ("databricks",),
            ("databricks.sqlalchemy",),
            "databricks",
        ),
        Kind(
            "snowflake",
            "Snowflake",
            "snowflake",
            ("snowflake",),
            ("snowflake.sqlalchemy",),
            "snowflake",
        ),
        Kind(
            "bigquery", "BigQuery", "bigquery", ("bigquery",), ("sqlalchemy_bigquery",), "bigquery"
        ),
        Kind("trino", "Trino", "trino", ("trino",), ("trino.sqlalchemy",), "trino"),
        Kind("chdb", "ClickHouse (embedded chDB)", "clickhouse", ("chdb",), ("chdb",), "chdb"),
        Kind(
            "clickhouse",
            "ClickHouse",
            "clickhouse",
            ("clickhouse", "clickhousedb"),
            ("clickhouse_connect",),
            "clickhouse",
        ),
    )
}


def scheme_of(url: str) -> str:
    head, separator, _ = url.partition("://")
    if not separator:
        head, separator, _ = url.partition(":")
    if not separator or not head:
        raise UnknownKind("a connection URL starts with its kind, like postgresql://...")
    return head.split("+", 1)[0].lower()


def kind_of_url(url: str) -> Kind:
    """The kind a connection URL names (raises UnknownKind)."""
    scheme = scheme_of(url)
    for kind in KINDS.values():
        if scheme in kind.schemes:
            return kind
    known = ", ".join(sorted(s for k in KINDS.values() for s in k.schemes))
    raise UnknownKind(f"no warehouse kind for URL scheme {scheme!r} (known: {known})")
