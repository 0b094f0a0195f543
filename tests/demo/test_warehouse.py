"""The demo warehouse as docs/assistant.md describes it: schema, value sets, sizes,
consistency, determinism."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any

import duckdb
import pytest

from parley.demo.warehouse import TABLES, build_demo_warehouse
from tests.support.warehouses import AS_OF, SMALL

COLUMNS = {
    "distribution_centers": ["id", "name", "latitude", "longitude"],
    "users": [
        "id",
        "first_name",
        "last_name",
        "email",
        "age",
        "gender",
        "city",
        "state",
        "country",
        "region",
        "traffic_source",
        "created_at",
    ],
    "products": [
        "id",
        "name",
        "brand",
        "category",
        "department",
        "cost",
        "retail_price",
        "distribution_center_id",
    ],
    "orders": [
        "id",
        "user_id",
        "status",
        "created_at",
        "shipped_at",
        "delivered_at",
        "returned_at",
        "num_of_item",
    ],
    "order_items": [
        "id",
        "order_id",
        "user_id",
        "product_id",
        "status",
        "created_at",
        "shipped_at",
        "delivered_at",
        "returned_at",
        "sale_price",
    ],
}


def query(path: Path, sql: str) -> list[tuple[Any, ...]]:
    with duckdb.connect(str(path), read_only=True) as con:
        rows: list[tuple[Any, ...]] = con.execute(sql).fetchall()
        return rows


def one(path: Path, sql: str) -> Any:
    return query(path, sql)[0][0]


def checksums(path: Path) -> dict[str, str]:
    out = {}
    for table in TABLES:
        out[table] = one(
            path, f"SELECT md5(string_agg(CAST(t AS VARCHAR), '|' ORDER BY id)) FROM {table} t"
        )
    return out


def test_tables_have_exactly_the_design_columns(small_warehouse: Path) -> None:
    for table, columns in COLUMNS.items():
        found = [r[0] for r in query(small_warehouse, f"DESCRIBE {table}")]
        assert found == columns


def test_default_size_matches_the_design(full_warehouse: Path) -> None:
    assert one(full_warehouse, "SELECT COUNT(*) FROM users") == 10_000
    assert one(full_warehouse, "SELECT COUNT(*) FROM products") == 1_000
    assert one(full_warehouse, "SELECT COUNT(*) FROM orders") == 50_000
    assert one(full_warehouse, "SELECT COUNT(DISTINCT category) FROM products") >= 12
    assert one(full_warehouse, "SELECT COUNT(DISTINCT brand) FROM products") >= 30
    items = one(full_warehouse, "SELECT COUNT(*) FROM order_items")
    assert 115_000 <= items <= 135_000


def test_value_sets(small_warehouse: Path) -> None:
    def values(sql: str) -> set[Any]:
        return {r[0] for r in query(small_warehouse, sql)}

    assert values("SELECT DISTINCT gender FROM users") == {"M", "F"}
    assert values("SELECT DISTINCT region FROM users") == {
        "North America",
        "South America",
        "Europe",
        "Asia",
        "Oceania",
    }
    assert values("SELECT DISTINCT traffic_source FROM users") == {
        "Search",
        "Organic",
        "Facebook",
        "Email",
        "Display",
    }
    assert values("SELECT DISTINCT department FROM products") == {"Men", "Women"}
    statuses = {"Processing", "Shipped", "Complete", "Cancelled", "Returned"}
    assert values("SELECT DISTINCT status FROM orders") == statuses
    assert values("SELECT DISTINCT status FROM order_items") == statuses


def test_orders_fall_in_the_three_years_before_as_of(small_warehouse: Path) -> None:
    first, last = query(small_warehouse, "SELECT MIN(created_at), MAX(created_at) FROM orders")[0]
    assert first >= datetime(2023, 11, 26)
    assert last < datetime(2026, 11, 26)
    assert first < datetime(2024, 1, 1) and last > datetime(2026, 11, 1)
    latest_event = one(
        small_warehouse,
        "SELECT MAX(GREATEST(shipped_at, delivered_at, returned_at)) FROM orders",
    )
    assert latest_event < datetime(2026, 11, 26)


def test_items_carry_their_orders_date_status_and_user(small_warehouse: Path) -> None:
    mismatched = one(
        small_warehouse,
        """
        SELECT COUNT(*) FROM order_items i JOIN orders o ON o.id = i.order_id
        WHERE i.created_at <> o.created_at OR i.status <> o.status OR i.user_id <> o.user_id
           OR i.shipped_at IS DISTINCT FROM o.shipped_at
           OR i.returned_at IS DISTINCT FROM o.returned_at""",
    )
    assert mismatched == 0
    wrong_counts = one(
        small_warehouse,
        """
        SELECT COUNT(*) FROM orders o
        WHERE o.num_of_item <> (SELECT COUNT(*) FROM order_items i WHERE i.order_id = o.id)
           OR o.num_of_item NOT BETWEEN 1 AND 4""",
    )
    assert wrong_counts == 0


def test_status_timestamps_are_consistent(small_warehouse: Path) -> None:
    bad = one(
        small_warehouse,
        """
        SELECT COUNT(*) FROM orders WHERE
          (status IN ('Processing', 'Cancelled') AND shipped_at IS NOT NULL)
          OR (status IN ('Shipped', 'Complete', 'Returned') AND shipped_at IS NULL)
          OR (status IN ('Complete', 'Returned') AND delivered_at IS NULL)
          OR (status = 'Returned' AND returned_at IS NULL)
          OR (status <> 'Returned' AND returned_at IS NOT NULL)
          OR shipped_at < created_at OR delivered_at < shipped_at OR returned_at < delivered_at""",
    )
    assert bad == 0


def test_places_agree_with_each_other(small_warehouse: Path) -> None:
    assert (
        one(
            small_warehouse,
            """
        SELECT COUNT(*) FROM (SELECT country FROM users GROUP BY 1
                              HAVING COUNT(DISTINCT region) > 1)""",
        )
        == 0
    )
    assert (
        one(
            small_warehouse,
            """
        SELECT COUNT(*) FROM (SELECT city, state FROM users GROUP BY 1, 2
                              HAVING COUNT(DISTINCT country) > 1)""",
        )
        == 0
    )
    assert (
        one(
            small_warehouse,
            """
        SELECT COUNT(*) FROM users WHERE region = 'Europe'
          AND country NOT IN ('United Kingdom', 'Germany', 'France', 'Spain', 'Italy',
                              'Netherlands', 'Poland')""",
        )
        == 0
    )


def test_customers_exist_before_they_order(small_warehouse: Path) -> None:
    assert (
        one(
            small_warehouse,
            """
        SELECT COUNT(*) FROM orders o JOIN users u ON u.id = o.user_id
        WHERE o.created_at < u.created_at""",
        )
        == 0
    )


def test_prices_are_sensible(small_warehouse: Path) -> None:
    bad = one(
        small_warehouse,
        """
        SELECT COUNT(*) FROM products WHERE cost <= 0 OR cost >= retail_price""",
    )
    assert bad == 0
    assert (
        one(
            small_warehouse,
            """
        SELECT COUNT(*) FROM order_items i JOIN products p ON p.id = i.product_id
        WHERE i.sale_price > p.retail_price OR i.sale_price <= 0""",
        )
        == 0
    )


def test_same_seed_gives_identical_tables(tmp_path: Path, small_warehouse: Path) -> None:
    again = tmp_path / "again.duckdb"
    build_demo_warehouse(again, AS_OF, seed=42, size=SMALL)
    assert checksums(again) == checksums(small_warehouse)


def test_another_seed_gives_other_data(tmp_path: Path, small_warehouse: Path) -> None:
    other = tmp_path / "other.duckdb"
    build_demo_warehouse(other, AS_OF, seed=7, size=SMALL)
    ours, theirs = checksums(small_warehouse), checksums(other)
    assert ours["distribution_centers"] == theirs["distribution_centers"]
    assert ours["users"] != theirs["users"] and ours["order_items"] != theirs["order_items"]


def test_as_of_moves_the_orders(tmp_path: Path) -> None:
    path = tmp_path / "earlier.duckdb"
    build_demo_warehouse(path, date(2024, 2, 29), seed=1, size=SMALL)
    first, last = query(path, "SELECT MIN(created_at), MAX(created_at) FROM orders")[0]
    assert first >= datetime(2021, 2, 28) and last < datetime(2024, 2, 29)


def test_progress_reaches_the_total(tmp_path: Path) -> None:
    seen: list[tuple[int, int]] = []
    build_demo_warehouse(
        tmp_path / "p.duckdb",
        AS_OF,
        size=SMALL,
        progress=lambda done, total: seen.append((done, total)),
    )
    assert seen[-1][0] == seen[-1][1]
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)


def test_a_failed_build_leaves_the_old_file_and_no_debris(tmp_path: Path) -> None:
    target = tmp_path / "demo.duckdb"
    target.write_bytes(b"previous warehouse")

    def explode(done: int, total: int) -> None:
        if done == 5:
            raise RuntimeError("disk full")

    with pytest.raises(RuntimeError, match="disk full"):
        build_demo_warehouse(target, AS_OF, size=SMALL, progress=explode)
    assert target.read_bytes() == b"previous warehouse"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["demo.duckdb"]


def test_a_build_replaces_an_existing_file(tmp_path: Path) -> None:
    target = tmp_path / "demo.duckdb"
    target.write_bytes(b"stale")
    build_demo_warehouse(target, AS_OF, size=SMALL)
    assert one(target, "SELECT COUNT(*) FROM users") == SMALL.users
