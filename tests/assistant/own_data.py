"""Small warehouses unlike the demo shop, each with a model written as a user would, to
check that the planner's rules are general: shipments, suppliers, rentals, an HR table
kept by fiscal year, and orders with a customer list too long to index."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import duckdb

from parley.assistant.executor import DuckDBWarehouse
from parley.assistant.planner import BuiltinPlanner
from parley.assistant.semantic_model import SemanticModel, parse_model
from parley.assistant.value_index import ValueIndex

MODEL = """
name: own
views:
  shipments:
    table: shipments
    dimensions:
      id: {type: number, primary_key: true, index_values: false}
      destination: {type: string, synonyms: [depot]}
      carrier: {type: string}
      shipped_on: {type: date, timeframes: [date, week, month, quarter, year]}
    measures:
      shipment_count: {type: count, label: Shipments, synonyms: [shipments]}
      average_delay: {type: average, sql: delay_days, label: Average delay, synonyms: [delay]}
  suppliers:
    table: suppliers
    dimensions:
      name: {type: string, label: Supplier, synonyms: [suppliers, supplier name]}
      region: {type: string}
    measures:
      lead_time: {type: average, sql: lead_days, label: Lead time}
      on_time_rate:
        type: average
        sql: on_time
        label: On-time rate
        better: higher
      unit_cost: {type: average, sql: unit_cost, label: Unit cost}
  rentals:
    table: rentals
    dimensions:
      city: {type: string, description: The city where the flat is let.}
      neighbourhood: {type: string}
      listed_on: {type: date, timeframes: [date, month, year]}
    measures:
      average_rent: {type: average, sql: rent, label: Average rent, synonyms: [rent]}
      listings: {type: count, label: Listings}
  staff:
    table: staff
    dimensions:
      fiscal_year: {type: number, label: Fiscal year}
      country: {type: string}
      department: {type: string}
    measures:
      headcount: {type: sum, sql: employees, label: Headcount}
      attrition: {type: sum, sql: leavers, label: Attrition, synonyms: [leavers]}
  orders:
    table: orders
    dimensions:
      id: {type: number, primary_key: true, index_values: false}
      customer: {type: string, label: Customer}
      status: {type: string}
      product: {type: string, label: Product, synonyms: [products]}
      ordered_on: {type: date, timeframes: [date, month, year]}
      refunded_on: {type: date, label: Refund date, timeframes: [date, month, year]}
      amount: {type: number, label: Amount, index_values: false}
    measures:
      order_count: {type: count, label: Orders, synonyms: [orders]}
      total_amount: {type: sum, sql: amount, label: Amount}
      average_price: {type: average, sql: amount, label: Average price}
      refunded_orders:
        type: count
        sql: "CASE WHEN status = 'Refunded' THEN 1 END"
        label: Refunded orders
      sales: {type: sum, sql: amount, label: Sales}
topics:
  shipments: {base_view: shipments, default_time_field: shipments.shipped_on}
  suppliers: {base_view: suppliers}
  rentals: {base_view: rentals, default_time_field: rentals.listed_on}
  staff: {base_view: staff}
  orders: {base_view: orders, default_time_field: orders.ordered_on}
"""

DESTINATIONS = ["Springfield Regional Intl", "Portland International", "Denver Central"]
SUPPLIERS = ["Acme Industries Inc.", "Globex Corporation", "Initech Ltd", "Umbrella Supplies"]
CITIES = ["Denver", "Boston", "Austin", "Chicago", "New Haven"]
COUNTRIES = ["Ireland", "Germany", "Spain"]
# More customers than the index keeps, so naming one needs a warehouse look-up.
CUSTOMERS = [f"Customer {i:03d}" for i in range(240)] + ["Zephyr Holdings Ltd"]


def build(path: Path) -> None:
    start = date(2024, 1, 1)
    db = duckdb.connect(str(path))
    db.execute(
        "CREATE TABLE shipments (id INTEGER, destination TEXT, carrier TEXT, shipped_on DATE,"
        " delay_days DOUBLE)"
    )
    db.executemany(
        "INSERT INTO shipments VALUES (?, ?, ?, ?, ?)",
        [
            (
                i,
                DESTINATIONS[i % 3],
                ["Fastline Freight", "Fastline Express"][i % 2],
                start + timedelta(days=i),
                float(i % 3 + (i % 2) * 4),
            )
            for i in range(400)
        ],
    )
    db.execute(
        "CREATE TABLE suppliers (name TEXT, region TEXT, lead_days DOUBLE, on_time DOUBLE,"
        " unit_cost DOUBLE)"
    )
    db.executemany(
        "INSERT INTO suppliers VALUES (?, ?, ?, ?, ?)",
        [
            (name, "North" if i % 2 else "South", 5.0 + 7 * i, 0.9 - 0.1 * i, 10.0 + i)
            for i, name in enumerate(SUPPLIERS)
        ],
    )
    db.execute("CREATE TABLE rentals (city TEXT, neighbourhood TEXT, listed_on DATE, rent DOUBLE)")
    db.executemany(
        "INSERT INTO rentals VALUES (?, ?, ?, ?)",
        [
            (
                CITIES[i % 5],
                f"Quarter {i % 5}",
                start + timedelta(days=3 * i),
                1000.0 + 100 * (i % 4) + i,
            )
            for i in range(200)
        ],
    )
    db.execute(
        "CREATE TABLE staff (fiscal_year INTEGER, country TEXT, department TEXT,"
        " employees INTEGER, leavers INTEGER)"
    )
    db.executemany(
        "INSERT INTO staff VALUES (?, ?, ?, ?, ?)",
        [
            (year, country, dept, 10 + year % 7 + i, (year + i) % 4)
            for year in range(2015, 2024)
            for i, country in enumerate(COUNTRIES)
            for dept in ("Sales", "Research")
        ],
    )
    db.execute(
        "CREATE TABLE orders (id INTEGER, customer TEXT, status TEXT, product TEXT,"
        " ordered_on DATE, amount DOUBLE, refunded_on DATE)"
    )
    db.executemany(
        "INSERT INTO orders VALUES (?, ?, ?, ?, ?, ?, ?)",
        [
            (
                i,
                CUSTOMERS[i % len(CUSTOMERS)],
                "Refunded" if i % 5 == 0 else "Complete",
                None if i % 7 == 0 else f"Widget {i % 12}",
                start + timedelta(days=i % 300),
                float(20 + i % 13),
                start + timedelta(days=i % 300 + 40) if i % 5 == 0 else None,
            )
            for i in range(1000)
        ],
    )
    db.close()


def model() -> SemanticModel:
    return parse_model(MODEL, source="own.yaml")


def planner(path: Path) -> tuple[BuiltinPlanner, DuckDBWarehouse]:
    semantic = model()
    warehouse = DuckDBWarehouse(path)
    return BuiltinPlanner(semantic, ValueIndex.build(semantic, warehouse)), warehouse
