"""Demo warehouses for tests, built at most once per session and size."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pytest

from parley.demo.warehouse import DEFAULT_SIZE, SMALL_SIZE, DemoSize, build_demo_warehouse

AS_OF = date(2026, 11, 26)
NOW = datetime(2026, 11, 26, 12, 0, 0)
SMALL = SMALL_SIZE

_built: dict[DemoSize, Path] = {}


def warehouse(factory: pytest.TempPathFactory, size: DemoSize) -> Path:
    if size not in _built:
        path = factory.mktemp("warehouse") / "demo.duckdb"
        build_demo_warehouse(path, AS_OF, seed=42, size=size)
        _built[size] = path
    return _built[size]


def small_warehouse_path(factory: pytest.TempPathFactory) -> Path:
    return warehouse(factory, SMALL)


def full_warehouse_path(factory: pytest.TempPathFactory) -> Path:
    return warehouse(factory, DEFAULT_SIZE)
