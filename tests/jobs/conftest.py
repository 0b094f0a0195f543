from __future__ import annotations

from pathlib import Path

import pytest

from parley.config import Settings
from parley.db.database import Database
from tests.factories import Org, register_demo_model
from tests.support.warehouses import NOW


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
async def model_id(database: Database, org: Org, small_warehouse: Path) -> str:
    return await register_demo_model(database, org, small_warehouse)
