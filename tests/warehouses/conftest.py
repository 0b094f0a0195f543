"""The demo warehouse on other engines, built once per session from the small DuckDB one."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from bench.support.loading import load_postgres
from parley.assistant.executor import SQLAlchemyWarehouse


def libpq_url(url: str) -> str:
    """The session cluster's URL as psycopg and libpq spell it."""
    return url.replace("postgresql+asyncpg://", "postgresql://")


@pytest.fixture(scope="session")
def postgres_warehouse_url(postgres_url: str, small_warehouse: Path) -> Iterator[str]:
    """A database on the session cluster holding the small demo warehouse (``postgresql://``,
    which Parley opens with psycopg)."""
    server = libpq_url(postgres_url)
    name = f"warehouse_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(server, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"'.encode())
    url = server.rsplit("/", 1)[0] + f"/{name}"
    load_postgres(small_warehouse, url)
    yield url
    with psycopg.connect(server, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'.encode())


@pytest.fixture(scope="session")
def postgres_warehouse(postgres_warehouse_url: str) -> Iterator[SQLAlchemyWarehouse]:
    warehouse = SQLAlchemyWarehouse(postgres_warehouse_url)
    yield warehouse
    warehouse.close()
