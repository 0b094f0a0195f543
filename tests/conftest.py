"""Shared fixtures: real SQLite and PostgreSQL databases, the app, an HTTP client.

Every API test runs twice, once per backend (the ``backend`` parameter). PostgreSQL is a
throwaway cluster started once per session unless PARLEY_TEST_POSTGRES_URL names one.
Each test gets its own freshly migrated database, cloned from a migrated template.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import httpx
import pytest
from fastapi import FastAPI

from bench.support import postgres
from parley import migrate
from parley.app import create_app
from parley.config import Settings
from parley.db.database import Database
from tests.support.sync import run_sync

pytest_plugins = ["tests.support.llm", "tests.support.organizations", "tests.support.warehouses"]

BACKENDS = ["sqlite", "postgresql"]


def _asyncpg_dsn(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://")


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    url = os.environ.get("PARLEY_TEST_POSTGRES_URL")
    if url:
        yield url
        return
    cluster = postgres.start()
    try:
        yield cluster.url
    finally:
        cluster.stop()


async def _migrate(url: str) -> None:
    database = Database(url)
    try:
        await migrate.upgrade(database)
    finally:
        await database.dispose()


@pytest.fixture(scope="session")
def postgres_template(postgres_url: str) -> str:
    name = f"parley_template_{uuid.uuid4().hex[:8]}"

    async def create() -> None:
        conn = await asyncpg.connect(_asyncpg_dsn(postgres_url))
        try:
            await conn.execute(f'CREATE DATABASE "{name}"')
        finally:
            await conn.close()
        await _migrate(postgres_url.rsplit("/", 1)[0] + f"/{name}")

    run_sync(create())
    return name


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "parley.db"
    run_sync(_migrate(f"sqlite+aiosqlite:///{path}"))
    return path


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    value: str = request.param
    return value


@pytest.fixture
async def database_url(
    backend: str, request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[str]:
    """A freshly migrated, empty database of the test's backend."""
    if backend == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        shutil.copy(template, tmp_path / "parley.db")
        yield f"sqlite+aiosqlite:///{tmp_path / 'parley.db'}"
        return
    server: str = request.getfixturevalue("postgres_url")
    template_name: str = request.getfixturevalue("postgres_template")
    name = f"t_{uuid.uuid4().hex}"
    admin = await asyncpg.connect(_asyncpg_dsn(server))
    try:
        await admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template_name}"')
    finally:
        await admin.close()
    yield server.rsplit("/", 1)[0] + f"/{name}"
    admin = await asyncpg.connect(_asyncpg_dsn(server))
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return Settings(
        _env_file=None,
        database_url=database_url,
        home=tmp_path / "home",
        secret_key=None,
        # Tests that need job workers ask for them (tests/jobs/conftest.py).
        workers=0,
    )


@pytest.fixture
async def app(settings: Settings) -> AsyncIterator[FastAPI]:
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
def database(app: FastAPI) -> Database:
    db: Database = app.state.database
    return db


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://parley.test") as http:
        yield http
