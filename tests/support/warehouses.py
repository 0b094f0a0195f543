"""The demo warehouse and its model for tests: each size built at most once per session."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path

import pytest

from parley.assistant.executor import DuckDBWarehouse
from parley.assistant.planner import BuiltinPlanner
from parley.assistant.semantic_model import SemanticModel
from parley.assistant.value_index import ValueIndex
from parley.demo.model import load_demo_model
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


@pytest.fixture(scope="session")
def small_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return small_warehouse_path(tmp_path_factory)


@pytest.fixture(scope="session")
def full_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return full_warehouse_path(tmp_path_factory)


@pytest.fixture(scope="session")
def model() -> SemanticModel:
    return load_demo_model()


@pytest.fixture(scope="session")
def duck(small_warehouse: Path) -> Iterator[DuckDBWarehouse]:
    warehouse = DuckDBWarehouse(small_warehouse)
    yield warehouse
    warehouse.close()


@pytest.fixture(scope="session")
def planner(model: SemanticModel, duck: DuckDBWarehouse) -> BuiltinPlanner:
    return BuiltinPlanner(model, ValueIndex.build(model, duck))
