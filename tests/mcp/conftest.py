"""A real ``parley serve`` on the small demo warehouse, with a fixed clock."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from bench.support.server import Server, environment, running_server
from tests.support.warehouses import NOW, small_warehouse_path


@pytest.fixture
def env(
    tmp_path: Path, tmp_path_factory: pytest.TempPathFactory, database_url: str
) -> dict[str, str]:
    home = tmp_path / "home"
    home.mkdir()
    shutil.copy(small_warehouse_path(tmp_path_factory), home / "demo.duckdb")
    return environment(
        home,
        database_url,
        PARLEY_NOW=NOW.isoformat() + "Z",
        PARLEY_JOB_POLL_INTERVAL="0.05",
        PARLEY_ACCESS_LOG="false",
    )


@pytest.fixture
def server(env: dict[str, str]) -> Iterator[Server]:
    with running_server(env) as running:
        yield running
