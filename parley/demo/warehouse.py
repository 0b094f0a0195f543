"""Build the demo warehouse: a deterministic synthetic e-commerce dataset in DuckDB.

The schema follows the well-known "TheLook" dataset (docs/assistant.md, The demo warehouse).
Every random choice comes from one `random.Random(seed)` and only uses integer or correctly
rounded float arithmetic, so the same seed and `as_of` give identical table contents on any machine.
Money is stored as DECIMAL(10,2) (integer cents while generating) so sums are exact.

Rows are generated in Python, written to temporary CSV files and loaded with DuckDB's
`COPY`, which is two orders of magnitude faster than `executemany`. The database is
built under a temporary name and renamed at the end, so a crash never leaves a
half-built warehouse behind.
"""

from __future__ import annotations

import bisect
import csv
import itertools
import math
import os
import random
import tempfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

import duckdb

from parley.demo.catalog import BRANDS, CATEGORIES, COLORS, STYLES
from parley.demo.people import FEMALE_FIRST_NAMES, LAST_NAMES, MALE_FIRST_NAMES
from parley.demo.places import COUNTRIES, DISTRIBUTION_CENTERS, REGION_WEIGHTS

Progress = Callable[[int, int], None]
Row = Sequence[object]

TRAFFIC_SOURCES = {"Search": 60, "Organic": 15, "Facebook": 11, "Email": 8, "Display": 6}
ORDER_STATUSES = {"Complete": 40, "Shipped": 20, "Processing": 10, "Cancelled": 15, "Returned": 15}
DAY = 86_400

TABLES: dict[str, str] = {
    "distribution_centers": """
        id INTEGER PRIMARY KEY, name VARCHAR NOT NULL,
        latitude DOUBLE NOT NULL, longitude DOUBLE NOT NULL""",
    "users": """
        id INTEGER PRIMARY KEY, first_name VARCHAR NOT NULL, last_name VARCHAR NOT NULL,
        email VARCHAR NOT NULL, age INTEGER NOT NULL, gender VARCHAR NOT NULL,
        city VARCHAR NOT NULL, state VARCHAR NOT NULL, country VARCHAR NOT NULL,
        region VARCHAR NOT NULL, traffic_source VARCHAR NOT NULL, created_at TIMESTAMP NOT NULL""",
    "products": """
        id INTEGER PRIMARY KEY, name VARCHAR NOT NULL, brand VARCHAR NOT NULL,
        category VARCHAR NOT NULL, department VARCHAR NOT NULL, cost DECIMAL(10,2) NOT NULL,
        retail_price DECIMAL(10,2) NOT NULL, distribution_center_id INTEGER NOT NULL""",
    "orders": """
        id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL, status VARCHAR NOT NULL,
        created_at TIMESTAMP NOT NULL, shipped_at TIMESTAMP, delivered_at TIMESTAMP,
        returned_at TIMESTAMP, num_of_item INTEGER NOT NULL""",
    "order_items": """
        id INTEGER PRIMARY KEY, order_id INTEGER NOT NULL, user_id INTEGER NOT NULL,
        product_id INTEGER NOT NULL, status VARCHAR NOT NULL, created_at TIMESTAMP NOT NULL,
        shipped_at TIMESTAMP, delivered_at TIMESTAMP, returned_at TIMESTAMP,
        sale_price DECIMAL(10,2) NOT NULL""",
}


@dataclass(frozen=True)
class DemoSize:
    """How many rows to generate; tests use a smaller size than the default."""

    users: int = 10_000
    products: int = 1_000
    orders: int = 50_000


DEFAULT_SIZE = DemoSize()
# Quick to build: the tests' warehouse, and `bench/warehouses.py --small`.
SMALL_SIZE = DemoSize(users=1_500, products=200, orders=6_000)


@dataclass(frozen=True)
class _Product:
    id: int
    department: str
    retail_cents: int


def build_demo_warehouse(
    path: Path,
    as_of: date,
    seed: int = 42,
    progress: Progress | None = None,
    *,
    size: DemoSize = DEFAULT_SIZE,
) -> None:
    """Write the demo warehouse to `path` (replacing any file there).

    Orders fall in the three years before `as_of`, none on or after it. `progress` is
    called with (steps done, total steps) as the build advances.
    """
    steps = len(TABLES) * 2 + 1
    done = 0

    def advance() -> None:
        nonlocal done
        done += 1
        if progress is not None:
            progress(done, steps)

    rng = random.Random(seed)
    end = datetime(as_of.year, as_of.month, as_of.day)
    start = _years_before(end, 3)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    # Built beside the target so the final rename is atomic.
    staged = path.with_name(f".{path.name}.{os.getpid()}.building")
    _remove(staged)
    try:
        with tempfile.TemporaryDirectory(prefix="parley-demo-") as scratch:
            con = duckdb.connect(str(staged))
            try:
                for table, ddl in TABLES.items():
                    con.execute(f"CREATE TABLE {table} ({ddl})")

                def load(table: str, rows: Iterable[Row]) -> None:
                    csv_path = Path(scratch) / f"{table}.csv"
                    _write_csv(csv_path, rows)
                    advance()
                    literal = str(csv_path).replace("'", "''")
                    con.execute(
                        f"COPY {table} FROM '{literal}' (FORMAT csv, HEADER false, NULL '\\N')"
                    )
                    advance()

                load("distribution_centers", _distribution_centers())
                users = _users(rng, size.users, start, end)
                load("users", users)
                products = _products(rng, size.products)
                load("products", products)
                orders, items = _orders(rng, size.orders, users, products, start, end)
                load("orders", orders)
                load("order_items", items)
                con.execute("CHECKPOINT")
            finally:
                con.close()
        os.replace(staged, path)
    finally:
        _remove(staged)
    _remove(path.with_name(path.name + ".wal"))
    advance()


def _remove(path: Path) -> None:
    for candidate in (path, path.with_name(path.name + ".wal")):
        candidate.unlink(missing_ok=True)


def _years_before(moment: datetime, years: int) -> datetime:
    try:
        return moment.replace(year=moment.year - years)
    except ValueError:  # 29 February
        return moment.replace(year=moment.year - years, day=28)


def _write_csv(path: Path, rows: Iterable[Row]) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerows(rows)


def _money(cents: int) -> str:
    return f"{cents // 100}.{cents % 100:02d}"


def _timestamp(epoch: datetime, seconds: int | None) -> str:
    if seconds is None:
        return "\\N"
    return (epoch + timedelta(seconds=seconds)).isoformat(sep=" ")


def _weighted(rng: random.Random, weights: dict[str, int]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _distribution_centers() -> list[Row]:
    return [(i, name, lat, lon) for i, (name, lat, lon) in enumerate(DISTRIBUTION_CENTERS, 1)]


def _users(rng: random.Random, count: int, start: datetime, end: datetime) -> list[Row]:
    """Users signed up over the four years before `end`, listed by signup time.

    Sorting by signup lets orders pick only customers who already existed (bisect).
    """
    first_signup = _years_before(start, 1)
    span = int((end - first_signup).total_seconds())
    signups = sorted(rng.randrange(span) for _ in range(count))
    rows: list[Row] = []
    for user_id, offset in enumerate(signups, 1):
        gender = "M" if rng.random() < 0.5 else "F"
        first = rng.choice(MALE_FIRST_NAMES if gender == "M" else FEMALE_FIRST_NAMES)
        last = rng.choice(LAST_NAMES)
        region = _weighted(rng, REGION_WEIGHTS)
        countries = COUNTRIES[region]
        country, _, cities = rng.choices(countries, weights=[c[1] for c in countries])[0]
        city, state = rng.choice(cities)
        handle = f"{first}.{last}".lower().replace("'", "").replace(" ", "")
        email = f"{handle}{user_id}@example.{rng.choice(('com', 'org', 'net'))}"
        rows.append(
            (
                user_id,
                first,
                last,
                email,
                rng.randint(12, 70),
                gender,
                city,
                state,
                country,
                region,
                _weighted(rng, TRAFFIC_SOURCES),
                _timestamp(first_signup, offset),
            )
        )
    return rows


def _products(
    rng: random.Random, count: int
) -> list[tuple[int, str, str, str, str, str, str, int]]:
    rows: list[tuple[int, str, str, str, str, str, str, int]] = []
    names: set[str] = set()
    for product_id in range(1, count + 1):
        category = rng.choice(CATEGORIES)
        department = rng.choice(category.departments)
        brand = rng.choice(BRANDS)
        name = ""
        while not name or name in names:
            # Adding a colour keeps names unique without an endless retry loop.
            parts = [brand, rng.choice(STYLES), rng.choice(category.kinds)]
            if name:
                parts.insert(2, rng.choice(COLORS))
            if department == "Women" and len(category.departments) > 1:
                parts.append("for Women")
            elif department == "Men" and len(category.departments) > 1:
                parts.append("for Men")
            name = " ".join(parts)
        names.add(name)
        retail = rng.randint(category.min_price, category.max_price) * 100 - rng.choice(
            (1, 1, 5, 0)
        )
        cost = retail * rng.randint(30, 62) // 100
        rows.append(
            (
                product_id,
                name,
                brand,
                category.name,
                department,
                _money(cost),
                _money(retail),
                rng.randint(1, len(DISTRIBUTION_CENTERS)),
            )
        )
    return rows


def _orders(
    rng: random.Random,
    count: int,
    users: list[Row],
    products: list[tuple[int, str, str, str, str, str, str, int]],
    start: datetime,
    end: datetime,
) -> tuple[list[Row], list[Row]]:
    """Orders with their items, each order in the three years before `end`."""
    epoch = _years_before(start, 1)
    signups = [int((datetime.fromisoformat(str(u[11])) - epoch).total_seconds()) for u in users]
    genders = [str(u[5]) for u in users]
    first = int((start - epoch).total_seconds())
    span = int((end - start).total_seconds())
    stop = first + span

    # A long-tailed popularity (weight 1/(rank+5)) so "top selling" has clear winners,
    # with each department drawn separately: customers mostly buy for their own.
    catalogue = [_Product(p[0], p[4], int(p[6].replace(".", ""))) for p in products]
    ranks = list(range(1, len(catalogue) + 1))
    rng.shuffle(ranks)
    by_department: dict[str, tuple[list[_Product], list[float]]] = {}
    for department in ("Men", "Women"):
        chosen = [
            (p, r) for p, r in zip(catalogue, ranks, strict=True) if p.department == department
        ]
        cumulative = list(itertools.accumulate(1.0 / (r + 5) for _, r in chosen))
        by_department[department] = ([p for p, _ in chosen], cumulative)

    def pick_product(gender: str) -> _Product:
        own = "Men" if gender == "M" else "Women"
        department = own if rng.random() < 0.85 else ("Women" if own == "Men" else "Men")
        pool, cumulative = by_department[department]
        if not pool:
            pool, cumulative = by_department["Women" if department == "Men" else "Men"]
        return rng.choices(pool, cum_weights=cumulative)[0]

    moments = []
    for _ in range(count):
        # Half uniform, half growing (sqrt): the shop gets busier over time.
        u = rng.random()
        fraction = u if rng.random() < 0.5 else math.sqrt(u)
        moments.append(first + min(int(span * fraction), span - 1))
    moments.sort()

    orders: list[Row] = []
    items: list[Row] = []
    item_id = 0
    for order_id, created in enumerate(moments, 1):
        existing = bisect.bisect_right(signups, created)
        user_index = rng.randrange(existing) if existing else 0
        user_id = user_index + 1
        created = max(created, signups[user_index])
        status = _weighted(rng, ORDER_STATUSES)
        shipped = created + rng.randint(DAY // 10, 3 * DAY)
        delivered = shipped + rng.randint(DAY, 5 * DAY)
        returned = delivered + rng.randint(DAY, 10 * DAY)
        # Nothing may happen after the as-of date: later steps are not reached yet.
        if status == "Returned" and returned >= stop:
            status = "Complete"
        if status == "Complete" and delivered >= stop:
            status = "Shipped"
        if status == "Shipped" and shipped >= stop:
            status = "Processing"
        times = {
            "Processing": (None, None, None),
            "Cancelled": (None, None, None),
            "Shipped": (shipped, None, None),
            "Complete": (shipped, delivered, None),
            "Returned": (shipped, delivered, returned),
        }[status]
        stamps = [_timestamp(epoch, t) for t in (created, *times)]
        n_items = rng.randint(1, 4)
        orders.append((order_id, user_id, status, *stamps, n_items))
        for _ in range(n_items):
            item_id += 1
            product = pick_product(genders[user_index])
            sale = product.retail_cents
            if rng.random() < 0.15:
                sale = sale * rng.choice((90, 80, 70)) // 100
            items.append((item_id, order_id, user_id, product.id, status, *stamps, _money(sale)))
    return orders, items
