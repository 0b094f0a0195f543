from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from parley.assistant.executor import DuckDBWarehouse
from parley.assistant.planner import BuiltinPlanner
from parley.assistant.semantic_model import SemanticModel
from parley.assistant.value_index import ValueIndex
from parley.demo.model import load_demo_model
from tests.demo.warehouses import full_warehouse_path, small_warehouse_path


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
