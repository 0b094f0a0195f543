"""Golden SQL: every query shape compiled for every dialect, compared with the files in
golden/ that were read and checked by a person. After a deliberate change to the
compiler, rewrite them with PARLEY_UPDATE_GOLDEN=1 and review the diff."""

from __future__ import annotations

import json
import os
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest

from parley.assistant.compiler import compile_query
from parley.assistant.query import QueryError
from parley.assistant.semantic_model import SemanticModel
from parley.warehouses.kinds import DIALECTS, KINDS, Dialect, kind_of_url
from tests.warehouses.shapes import FAN_OUT, SHAPES

GOLDEN = Path(__file__).parent / "golden"


def _value(value: Any) -> Any:
    return value.isoformat() if isinstance(value, (date, datetime)) else value


def golden_text(model: SemanticModel, dialect: Dialect) -> str:
    parts = []
    for name, query in SHAPES.items():
        compiled = compile_query(query, model, dialect)
        params = json.dumps({k: _value(v) for k, v in compiled.params.items()})
        parts.append(f"-- {name}\n-- params: {params}\n{compiled.sql};\n")
    return "\n".join(parts)


@pytest.mark.parametrize("dialect", DIALECTS)
def test_golden_sql(model: SemanticModel, dialect: Dialect) -> None:
    path = GOLDEN / f"{dialect}.sql"
    text = golden_text(model, dialect)
    if os.environ.get("PARLEY_UPDATE_GOLDEN"):
        path.write_text(text)
    assert text == path.read_text(), f"{path.name} differs; see the module docstring"


@pytest.mark.parametrize("dialect", DIALECTS)
def test_fan_out_is_refused_in_every_dialect(model: SemanticModel, dialect: Dialect) -> None:
    with pytest.raises(QueryError, match="counted once per joined row"):
        compile_query(FAN_OUT, model, dialect)


@pytest.mark.parametrize("dialect", DIALECTS)
def test_values_are_bound_and_limits_are_numbers(model: SemanticModel, dialect: Dialect) -> None:
    hostile = "x'; DROP TABLE users; --"
    query = SHAPES["filter_text_match"].model_copy(
        update={"filters": {"products.brand": {"contains": hostile}}, "limit": 7}
    )
    compiled = compile_query(query, model, dialect)
    assert "DROP" not in compiled.sql and "DROP" not in compiled.sql_with_colon_params()
    assert list(compiled.params.values()) == [hostile]
    assert compiled.sql.endswith("LIMIT 7")


def test_week_starts_on_monday_where_the_engine_would_start_on_sunday(
    model: SemanticModel,
) -> None:
    bigquery = compile_query(SHAPES["grain_week"], model, "bigquery").sql
    assert "DATETIME_TRUNC(`order_items`.`created_at`, WEEK(MONDAY))" in bigquery


def test_every_kind_has_a_dialect_and_a_url_scheme() -> None:
    assert {kind.dialect for kind in KINDS.values()} == set(DIALECTS)
    for url, name in {
        "postgresql+psycopg://u@h/db": "postgres",
        "postgres://u@h/db": "postgres",
        "duckdb:///demo.duckdb": "duckdb",
        "sqlite:///x.db": "sqlite",
        "sc://localhost:15002": "spark",
        "databricks://token:x@host?http_path=/sql": "databricks",
        "snowflake://u@account/db": "snowflake",
        "bigquery://project/dataset": "bigquery",
        "trino://u@h:8080/hive": "trino",
        "clickhousedb://u@h/db": "clickhouse",
        "chdb:///var/lib/shop": "chdb",
        "clickhouse://u@h/db": "clickhouse",
    }.items():
        assert kind_of_url(url).name == name, url
