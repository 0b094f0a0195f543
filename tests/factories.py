"""Builders of test data, going through the same services the CLI uses."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml

from parley.accounts import service
from parley.conversations import repository as conversations
from parley.db.database import Database
from parley.demo.model import MODEL_PATH
from parley.models import service as models
from parley.tables import conversations as conversations_table


@dataclass(frozen=True)
class Member:
    id: uuid.UUID
    token: str


@dataclass(frozen=True)
class Org:
    id: uuid.UUID
    owner: Member
    org_key: str


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def make_org(database: Database, name: str = "Acme") -> Org:
    async with database.write() as conn:
        org, owner = await service.create_organization(conn, name, f"owner@{uuid.uuid4().hex}.io")
        org_key = await service.create_key(conn, org.id)
        pat = await service.create_key(conn, org.id, owner.id)
    return Org(id=org.id, owner=Member(owner.id, pat.token), org_key=org_key.token)


async def make_member(database: Database, org: Org, role: str = "MEMBER") -> Member:
    async with database.write() as conn:
        member = await service.add_member(conn, org.id, f"m{uuid.uuid4().hex[:12]}@x.io", role)
        pat = await service.create_key(conn, org.id, member.id)
    return Member(member.id, pat.token)


async def register_demo_model(
    database: Database, org: Org, warehouse: Path, name: str = "Demo"
) -> str:
    """The demo semantic model, registered for ``org`` over a demo warehouse file."""
    async with database.write() as conn:
        model = await models.register(
            conn,
            org.id,
            name=name,
            connection_url=f"duckdb:///{warehouse}",
            definition=yaml.safe_load(MODEL_PATH.read_text()),
        )
    return str(model.id)


BASE_TIME = datetime(2026, 5, 15, 14, 32, 10, 123456, tzinfo=UTC)


async def add_conversations(
    database: Database,
    org_id: uuid.UUID,
    member_id: uuid.UUID,
    count: int,
    *,
    start: datetime = BASE_TIME,
    step: timedelta = timedelta(minutes=-7),
    tie_every: int = 0,
    names: Sequence[str | None] = ("Revenue by region", None),
) -> list[uuid.UUID]:
    """``count`` conversations, ``updated_at`` going back by ``step``; with ``tie_every``
    set, runs of that many share one ``updated_at`` so ordering must fall back to id."""
    rows: list[dict[str, Any]] = []
    for i in range(count):
        group = i // tie_every if tie_every else i
        updated = start + step * group
        rows.append(
            {
                "id": uuid.uuid4(),
                "organization_id": org_id,
                "membership_id": member_id,
                "name": names[i % len(names)],
                "last_user_prompt": f"question {i}",
                "created_at": updated - timedelta(hours=1),
                "updated_at": updated,
            }
        )
    async with database.write() as conn:
        for start_at in range(0, len(rows), 5000):
            await conn.execute(conversations_table.insert(), rows[start_at : start_at + 5000])
        await conversations.adjust_totals(conn, org_id, {member_id: count})
    return [uuid.UUID(str(row["id"])) for row in rows]
