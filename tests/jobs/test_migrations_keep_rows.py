"""Migrations change tables without losing rows that refer to them: on SQLite a table is
changed by copying it and dropping the old one, which with foreign keys on would delete
every row pointing at it (a job's model, say)."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import func, select

from parley import migrate
from parley.db.database import Database
from parley.tables import conversations, jobs, messages, models
from tests.factories import Org
from tests.support.jobs import submit


async def _counts(database: Database) -> dict[str, int]:
    async with database.read() as conn:
        return {
            table.name: (await conn.execute(select(func.count()).select_from(table))).scalar_one()
            for table in (models, conversations, messages, jobs)
        }


@pytest.mark.parametrize("workers", [0])
async def test_every_row_survives_a_downgrade_and_an_upgrade(
    client: httpx.AsyncClient, database: Database, org: Org, model_id: str
) -> None:
    for prompt in ("Revenue by region", "Orders by status"):
        assert (await submit(client, org.owner.token, model_id, prompt)).status_code == 201
    before = await _counts(database)
    assert before["jobs"] == 2 and before["models"] == 1
    # Down past every migration that rebuilds a table jobs or conversations point at.
    await migrate.downgrade(database, "0002")
    assert await _counts(database) == before
    await migrate.upgrade(database)
    assert await _counts(database) == before
