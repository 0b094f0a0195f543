from __future__ import annotations

from pathlib import Path

import pytest

from tests.demo.warehouses import full_warehouse_path, small_warehouse_path


@pytest.fixture(scope="session")
def small_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return small_warehouse_path(tmp_path_factory)


@pytest.fixture(scope="session")
def full_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return full_warehouse_path(tmp_path_factory)
