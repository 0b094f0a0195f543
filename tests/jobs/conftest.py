from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx
import pytest

from parley.config import Settings
from parley.db.database import Database
from parley.jobs.records import FINAL
from tests.demo.warehouses import NOW, small_warehouse_path
from tests.factories import Org, bearer, make_org, register_demo_model

JOBS = "/api/v1/ai/jobs"


@pytest.fixture
def workers() -> int:
    """In-process workers of the app under test; a test overrides it to need none."""
    return 2


@pytest.fixture
def allowed_networks() -> str:
    """PARLEY_WEBHOOK_ALLOWED_NETWORKS of the app under test: none, as by default; a test
    that runs a loopback receiver allows it explicitly."""
    return ""


@pytest.fixture
def settings(database_url: str, tmp_path: Path, workers: int, allowed_networks: str) -> Settings:
    return Settings(
        _env_file=None,
        database_url=database_url,
        home=tmp_path / "home",
        secret_key=None,
        public_url="https://parley.example",
        workers=workers,
        job_poll_interval=0.05,
        webhook_retry_seconds=0.05,
        webhook_allowed_networks=allowed_networks,
        now=NOW,
    )


@pytest.fixture
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return small_warehouse_path(tmp_path_factory)


@pytest.fixture
async def org(database: Database) -> Org:
    return await make_org(database)


@pytest.fixture
async def model_id(database: Database, org: Org, warehouse: Path) -> str:
    return await register_demo_model(database, org, warehouse)


async def submit(
    client: httpx.AsyncClient, token: str, model_id: str, prompt: str, **extra: Any
) -> httpx.Response:
    params = extra.pop("params", None)
    headers = {**bearer(token), **extra.pop("headers", {})}
    return await client.post(
        JOBS, json={"modelId": model_id, "prompt": prompt, **extra}, headers=headers, params=params
    )


async def wait_final(
    client: httpx.AsyncClient, token: str, job_id: str, seconds: float = 20
) -> dict[str, Any]:
    deadline = asyncio.get_running_loop().time() + seconds
    while True:
        body: dict[str, Any] = (await client.get(f"{JOBS}/{job_id}", headers=bearer(token))).json()
        if body["state"] in FINAL:
            return body
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"job {job_id} still {body['state']}")
        await asyncio.sleep(0.02)
