"""A synthetic freight operation: carriers, depots, shipments and monthly depot figures.

Shipments leave a depot with a carrier over the three years before the as-of date; each
has a promised and (once there) an actual delivery time, so transit and delay are known
in hours. Some shipments have no customer on file (walk-in freight) or no service level.
`depot_operations` keeps monthly figures per depot with the period only as integer
`fiscal_year` and `month` columns, as many finance extracts do. Every random choice comes
from one `random.Random(seed)`, so the same seed and as-of date give the same rows.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

from parley.datasets.tables import Progress, Row, money, write_warehouse

SCHEMA: dict[str, str] = {
    "carriers": """
        id INTEGER PRIMARY KEY, name VARCHAR NOT NULL, mode VARCHAR NOT NULL""",
    "depots": """
        id INTEGER PRIMARY KEY, name VARCHAR NOT NULL, city VARCHAR NOT NULL,
        country VARCHAR NOT NULL, region VARCHAR NOT NULL""",
    "shipments": """
        id INTEGER PRIMARY KEY, carrier_id INTEGER NOT NULL, origin_depot_id INTEGER NOT NULL,
        destination_country VARCHAR NOT NULL, customer VARCHAR, service_level VARCHAR,
        shipped_at TIMESTAMP NOT NULL, promised_at TIMESTAMP NOT NULL, delivered_at TIMESTAMP,
        status VARCHAR NOT NULL, weight_kg DECIMAL(10,1) NOT NULL, cost DECIMAL(10,2) NOT NULL,
        transit_hours INTEGER, delay_hours INTEGER""",
    "depot_operations": """
        depot_id INTEGER NOT NULL, fiscal_year INTEGER NOT NULL, month INTEGER NOT NULL,
        headcount INTEGER NOT NULL, operating_cost DECIMAL(12,2) NOT NULL,
        parcels_handled INTEGER NOT NULL, incidents INTEGER NOT NULL""",
}

# (name, mode, base transit hours, cost per kg in cents, reliability: % delivered late)
CARRIERS = (
    ("Northwind Freight Co.", "Road", 40, 30, 12),
    ("Blue Ridge Haulage", "Road", 52, 22, 25),
    ("Pacific Express Lines", "Sea", 240, 8, 30),
    ("Atlas Air Cargo", "Air", 20, 140, 8),
    ("Meridian Rail Freight", "Rail", 90, 15, 18),
    ("Swift Parcel Services", "Road", 30, 45, 10),
    ("Harbor Ocean Shipping", "Sea", 300, 6, 40),
    ("Summit Courier Ltd", "Air", 16, 180, 5),
)
# (name, city, country, region)
DEPOTS = (
    ("Springfield Regional Intl", "Springfield", "United States", "North America"),
    ("Riverside North Hub", "Riverside", "United States", "North America"),
    ("Lakeside Distribution Park", "Toronto", "Canada", "North America"),
    ("Port Harmony Terminal", "Rotterdam", "Netherlands", "Europe"),
    ("Oakridge Cross-Dock", "Manchester", "United Kingdom", "Europe"),
    ("Fairview Central Depot", "Lyon", "France", "Europe"),
    ("Kingsbridge Freight Yard", "Hamburg", "Germany", "Europe"),
    ("Eastport Intl Gateway", "Singapore", "Singapore", "Asia"),
    ("Millbrook Rail Terminal", "Osaka", "Japan", "Asia"),
    ("Cedar Falls Depot", "Sydney", "Australia", "Oceania"),
)
DESTINATIONS = {
    "United States": 25,
    "Canada": 8,
    "Mexico": 6,
    "United Kingdom": 8,
    "Germany": 9,
    "France": 7,
    "Netherlands": 5,
    "Japan": 6,
    "Singapore": 4,
    "Australia": 6,
    "Brazil": 5,
    "India": 6,
}
CUSTOMERS = (
    "Acme Industries Inc.",
    "Globex Corporation",
    "Initech Software Ltd",
    "Wonka Foods PLC",
    "Stark Robotics GmbH",
    "Vandelay Imports LLC",
    "Umbrella Health Group",
    "Tyrell Biotech Corp.",
    "Oceanic Apparel Co.",
    "Sterling Cooper Media",
    "Gekko Capital Partners",
    "Prestige Worldwide Ltd",
)
SERVICE_LEVELS = {"Standard": 55, "Express": 25, "Economy": 20}


@dataclass(frozen=True)
class LogisticsSize:
    shipments: int = 15_000


DEFAULT_SIZE = LogisticsSize()


def build_logistics_warehouse(
    path: Path,
    as_of: date,
    seed: int = 42,
    progress: Progress | None = None,
    *,
    size: LogisticsSize = DEFAULT_SIZE,
) -> None:
    """Write the logistics warehouse to `path`; nothing in it happens on or after `as_of`."""
    rng = random.Random(seed)
    carriers = [(i, c[0], c[1]) for i, c in enumerate(CARRIERS, 1)]
    depots = [(i, *d) for i, d in enumerate(DEPOTS, 1)]
    write_warehouse(
        path,
        SCHEMA,
        {
            "carriers": carriers,
            "depots": depots,
            "shipments": _shipments(rng, size.shipments, as_of),
            "depot_operations": _operations(rng, as_of),
        },
        progress,
    )


def _shipments(rng: random.Random, count: int, as_of: date) -> list[Row]:
    end = datetime(as_of.year, as_of.month, as_of.day)
    start = end - timedelta(days=3 * 365)
    span = int((end - start).total_seconds()) // 60
    moments = sorted(rng.randrange(span) for _ in range(count))
    # Busy depots and big customers: uneven weights make rankings meaningful.
    depot_weights = [30, 18, 10, 14, 9, 7, 6, 12, 5, 4]
    customer_weights = [14, 12, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1]
    rows: list[Row] = []
    for shipment_id, minute in enumerate(moments, 1):
        shipped = start + timedelta(minutes=minute)
        carrier = rng.randrange(len(CARRIERS))
        _, _, base_hours, per_kg, late_pct = CARRIERS[carrier]
        depot = rng.choices(range(1, len(DEPOTS) + 1), weights=depot_weights)[0]
        destination = rng.choices(list(DESTINATIONS), weights=list(DESTINATIONS.values()))[0]
        # Walk-in freight has no customer on file; older records lack a service level.
        customer = (
            None if rng.random() < 0.22 else rng.choices(CUSTOMERS, weights=customer_weights)[0]
        )
        service = (
            None
            if rng.random() < 0.08
            else rng.choices(list(SERVICE_LEVELS), weights=list(SERVICE_LEVELS.values()))[0]
        )
        weight_tenths = rng.randint(5, 2000) * rng.choice((1, 1, 1, 5, 20))
        promised_hours = base_hours + rng.randint(0, base_hours // 2)
        if service == "Express":
            promised_hours = max(6, promised_hours * 2 // 3)
        cost_cents = 1500 + weight_tenths * per_kg // 10
        if service == "Express":
            cost_cents = cost_cents * 3 // 2
        elif service == "Economy":
            cost_cents = cost_cents * 4 // 5
        promised = shipped + timedelta(hours=promised_hours)
        if rng.randrange(100) < late_pct:
            transit = promised_hours + rng.randint(1, max(2, base_hours))
        else:
            transit = promised_hours - rng.randint(0, max(1, promised_hours // 4))
        delivered: datetime | None = shipped + timedelta(hours=transit)
        roll = rng.random()
        if roll < 0.01:
            status = "Lost"
            delivered = None
        elif roll < 0.04:
            status = "Returned"
        else:
            status = "Delivered"
        if delivered is not None and delivered >= end:
            status, delivered = "In Transit", None
        transit_hours = transit if delivered is not None else None
        delay_hours = (transit - promised_hours) if delivered is not None else None
        rows.append(
            (
                shipment_id,
                carrier + 1,
                depot,
                destination,
                customer,
                service,
                shipped,
                promised,
                delivered,
                status,
                f"{weight_tenths // 10}.{weight_tenths % 10}",
                money(cost_cents),
                transit_hours,
                delay_hours,
            )
        )
    return rows


def _operations(rng: random.Random, as_of: date) -> list[Row]:
    """Monthly figures per depot from January four years before `as_of` to the last full
    month before `as_of`."""
    rows: list[Row] = []
    for depot in range(1, len(DEPOTS) + 1):
        staff = rng.randint(20, 160)
        year, month = as_of.year - 4, 1
        while (year, month) < (as_of.year, as_of.month):
            staff = max(10, staff + rng.randint(-4, 5))
            parcels = staff * rng.randint(180, 260)
            cost_cents = staff * rng.randint(380_000, 520_000) + rng.randint(0, 5_000_000)
            rows.append((depot, year, month, staff, money(cost_cents), parcels, rng.randint(0, 6)))
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return rows
