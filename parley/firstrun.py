"""First run: an empty database gets a demo organization and keys to try it with."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import yaml
from sqlalchemy import text

from parley.accounts import repository as accounts
from parley.accounts import service
from parley.assistant.runtime import DUCKDB_PREFIX
from parley.config import Settings
from parley.db.database import Database
from parley.demo.model import MODEL_PATH
from parley.demo.warehouse import build_demo_warehouse
from parley.kit import clock
from parley.kit.private_files import private_dir, private_file
from parley.models import service as models

DEMO_ORG = "Demo"
DEMO_ADMIN = "admin@example.com"
DEMO_MODEL = "Demo e-commerce"
DEMO_SEED = 42


@dataclass(frozen=True)
class Credentials:
    baseUrl: str
    organizationId: str
    membershipId: str
    organizationKey: str
    personalToken: str
    modelId: str


def ensure_demo_warehouse(
    settings: Settings, progress: Callable[[int, int], None] | None = None
) -> bool:
    """Build the demo warehouse under the home folder if it is missing; True if built."""
    private_dir(settings.home)
    path = settings.demo_warehouse_path
    if path.exists():
        return False
    as_of = settings.demo_as_of or (settings.now.date() if settings.now else clock.utcnow().date())
    build_demo_warehouse(path, as_of=as_of, seed=DEMO_SEED, progress=progress)
    return True


async def ensure_demo(database: Database, settings: Settings) -> Credentials | None:
    """Create the demo organization, its keys and its demo model if the database has no
    organization; None if it had one. The demo warehouse must exist already."""
    async with database.write() as conn:
        if database.dialect == "postgresql":
            # Replicas starting together on an empty database make one demo, not two.
            await conn.execute(text("SELECT pg_advisory_xact_lock(7150419)"))
        if await accounts.count_organizations(conn):
            return None
        org, owner = await service.create_organization(conn, DEMO_ORG, DEMO_ADMIN)
        org_key = await service.create_key(conn, org.id, name="first-run organization key")
        pat = await service.create_key(conn, org.id, owner.id, name="first-run personal token")
        model = await models.register(
            conn,
            org.id,
            name=DEMO_MODEL,
            connection_url=DUCKDB_PREFIX + str(settings.demo_warehouse_path.resolve()),
            definition=yaml.safe_load(MODEL_PATH.read_text()),
            check_connection=False,
        )
    credentials = Credentials(
        baseUrl=settings.resolved_public_url,
        organizationId=str(org.id),
        membershipId=str(owner.id),
        organizationKey=org_key.token,
        personalToken=pat.token,
        modelId=str(model.id),
    )
    write_credentials(settings.credentials_path, credentials)
    return credentials


def write_credentials(path: Path, credentials: Credentials) -> None:
    private_dir(path.parent)
    # Private before anything is written: the file holds live secrets.
    private_file(path)
    fd = os.open(path, os.O_WRONLY | os.O_TRUNC)
    with os.fdopen(fd, "w") as handle:
        json.dump(asdict(credentials), handle, indent=2)
        handle.write("\n")
