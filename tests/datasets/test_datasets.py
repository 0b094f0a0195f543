"""The example warehouses: deterministic, consistent with their models, shaped as documented."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any

import duckdb
import pytest

from parley.assistant.compiler import compile_query
from parley.assistant.executor import DuckDBWarehouse
from parley.assistant.query import SemanticQuery
from parley.assistant.semantic_model import load_model
from parley.datasets import DATASETS, dataset
from parley.datasets.logistics import LogisticsSize, build_logistics_warehouse
from parley.datasets.saas import SaasSize, build_saas_warehouse

AS_OF = date(2026, 11, 26)
NEW = ("saas", "logistics")


def build_small(name: str, path: Path, seed: int = 42) -> Path:
    if name == "saas":
        build_saas_warehouse(path, AS_OF, seed, size=SaasSize(accounts=60))
    else:
        build_logistics_warehouse(path, AS_OF, seed, size=LogisticsSize(shipments=800))
    return path


def contents(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        tables = [r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()]
        return {
            t: con.execute(f"SELECT * FROM {t} ORDER BY ALL").fetchall() for t in sorted(tables)
        }
    finally:
        con.close()


@pytest.mark.parametrize("name", NEW)
def test_same_seed_same_rows_other_seed_other_rows(name: str, tmp_path: Path) -> None:
    first = contents(build_small(name, tmp_path / "a.duckdb"))
    again = contents(build_small(name, tmp_path / "b.duckdb"))
    other = contents(build_small(name, tmp_path / "c.duckdb", seed=7))
    assert first == again
    assert first != other
    assert all(first.values()), "every table has rows"


@pytest.mark.parametrize("name", NEW)
def test_rebuilding_replaces_the_file_and_leaves_nothing_behind(name: str, tmp_path: Path) -> None:
    path = tmp_path / "w.duckdb"
    build_small(name, path, seed=1)
    build_small(name, path, seed=2)
    assert contents(path) == contents(build_small(name, tmp_path / "x.duckdb", seed=2))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["w.duckdb", "x.duckdb"]


@pytest.mark.parametrize("name", NEW)
def test_every_field_of_the_model_compiles_and_runs_in_every_topic(
    name: str, tmp_path: Path
) -> None:
    model = load_model(dataset(name).model_path)
    warehouse = DuckDBWarehouse(build_small(name, tmp_path / "w.duckdb"))
    try:
        for topic in model.topics:
            views = model.topic_views(topic)
            for view in views:
                for key, found in model.fields.items():
                    # Measures of joined views are refused there (fan-out), by design.
                    if found.view != view or (found.is_measure and view != views[0]):
                        continue
                    query = SemanticQuery(table=topic, fields=[key], limit=3)
                    result = warehouse.execute(
                        compile_query(query, model, "duckdb"), row_cap=3, timeout=30
                    )
                    assert result.rows, f"{topic}: {key} gave no rows"
    finally:
        warehouse.close()


def test_every_dataset_has_a_model_with_descriptions_and_labels() -> None:
    for item in DATASETS.values():
        model = load_model(item.model_path)
        assert model.topics
        for topic in model.topics.values():
            assert topic.description and topic.base_view in model.views
        assert item.model_path.name.endswith(".yaml") and item.title
    with pytest.raises(ValueError, match="expected one of demo, saas, logistics"):
        dataset("retail")


def test_saas_shape(tmp_path: Path) -> None:
    con = duckdb.connect(str(build_small("saas", tmp_path / "s.duckdb")), read_only=True)
    names = {r[0] for r in con.execute("SELECT name FROM accounts").fetchall()}
    assert "Acme Industries Inc." in names and all(" " in n for n in names)
    # Named accounts are the only ones that start with their first word.
    assert con.execute("SELECT COUNT(*) FROM accounts WHERE name LIKE 'Acme %'").fetchone() == (1,)
    assert con.execute("SELECT COUNT(*) FROM accounts WHERE industry IS NULL").fetchone()[0] > 0  # type: ignore[index]
    latest = con.execute(
        "SELECT MAX(d) FROM (SELECT MAX(signup_date) d FROM accounts UNION ALL "
        "SELECT MAX(invoice_date) FROM invoices UNION ALL SELECT MAX(paid_date) FROM invoices)"
    ).fetchone()
    assert latest is not None and latest[0] < AS_OF
    # A churned account has a churn date and a cancelled last subscription.
    assert con.execute(
        "SELECT COUNT(*) FROM accounts a WHERE (a.status = 'Churned') <> (a.churn_date IS NOT NULL)"
    ).fetchone() == (0,)
    assert con.execute(
        "SELECT COUNT(*) FROM accounts a WHERE status = 'Churned' AND NOT EXISTS "
        "(SELECT 1 FROM subscriptions s WHERE s.account_id = a.id AND s.status = 'Cancelled')"
    ).fetchone() == (0,)
    con.close()


def test_logistics_shape(tmp_path: Path) -> None:
    con = duckdb.connect(str(build_small("logistics", tmp_path / "l.duckdb")), read_only=True)
    columns = dict(
        con.execute(
            "SELECT column_name, data_type FROM duckdb_columns()"
            " WHERE table_name = 'depot_operations'"
        ).fetchall()
    )
    # Time kept only as integers: no date or timestamp column in that table.
    assert columns["fiscal_year"] == "INTEGER" and columns["month"] == "INTEGER"
    assert not any("DATE" in t or "TIMESTAMP" in t for t in columns.values())
    assert con.execute("SELECT MIN(month), MAX(month) FROM depot_operations").fetchone() == (1, 12)
    nulls = con.execute(
        "SELECT COUNT(*) FILTER (customer IS NULL), COUNT(*) FILTER (service_level IS NULL) "
        "FROM shipments"
    ).fetchone()
    assert nulls is not None and min(nulls) > 0
    assert "Springfield Regional Intl" in {
        r[0] for r in con.execute("SELECT name FROM depots").fetchall()
    }
    late = con.execute("SELECT MAX(shipped_at), MAX(delivered_at) FROM shipments").fetchone()
    assert late is not None and max(late) < datetime(2026, 11, 26)
    # Delivered shipments carry their transit and delay; the others do not.
    assert con.execute(
        "SELECT COUNT(*) FROM shipments WHERE (delivered_at IS NULL) <> (transit_hours IS NULL)"
        " OR (transit_hours IS NULL) <> (delay_hours IS NULL)"
    ).fetchone() == (0,)
    con.close()
