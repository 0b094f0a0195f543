"""First run: an empty database gets a demo organization and keys to try it with."""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

from sqlalchemy import text

from parley.accounts import repository as accounts
from parley.accounts import service
from parley.config import Settings
from parley.db import Database

DEMO_ORG = "Demo"
DEMO_ADMIN = "admin@example.com"


@dataclass(frozen=True)
class Credentials:
    baseUrl: str
    organizationId: str
    membershipId: str
    organizationKey: str
    personalToken: str


async def ensure_demo(database: Database, settings: Settings) -> Credentials | None:
    """Create the demo organization if the database has none; None if it had one."""
    async with database.write() as conn:
        if database.dialect == "postgresql":
            # Replicas starting together on an empty database make one demo, not two.
            await conn.execute(text("SELECT pg_advisory_xact_lock(7150419)"))
        if await accounts.count_organizations(conn):
            return None
        org, owner = await service.create_organization(conn, DEMO_ORG, DEMO_ADMIN)
        org_key = await service.create_key(conn, org.id, name="first-run organization key")
        pat = await service.create_key(conn, org.id, owner.id, name="first-run personal token")
    credentials = Credentials(
        baseUrl=settings.resolved_public_url,
        organizationId=str(org.id),
        membershipId=str(owner.id),
        organizationKey=org_key.token,
        personalToken=pat.token,
    )
    write_credentials(settings.credentials_path, credentials)
    return credentials


def write_credentials(path: Path, credentials: Credentials) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    # Created private from the start: the file holds live secrets.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        json.dump(asdict(credentials), handle, indent=2)
        handle.write("\n")
