"""`parley orgs limit` and `parley orgs usage`, run as a user would."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

from bench.support.server import cli, cli_json, environment
from parley import migrate
from parley.db.database import Database
from parley.kit import clock
from parley.llm import usage
from parley.llm.gateway import Call


async def _spend(url: str, org_id: uuid.UUID, member_id: uuid.UUID) -> None:
    database = Database(url)
    try:
        await migrate.upgrade(database)
        async with database.write() as conn:
            calls = [Call("plan", 300, 40, 1.0), Call("answer", 500, 120, 1.0)]
            spent = usage.rows(
                calls,
                org_id=org_id,
                member_id=member_id,
                job_id=None,
                model="m",
                now=clock.utcnow(),
            )
            await usage.record(conn, spent)
    finally:
        await database.dispose()


def test_limit_and_usage(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'state.db'}"
    env = environment(tmp_path / "home", url)
    org = cli_json(env, "orgs", "create", "Acme", "--owner-email", "ada@acme.io")
    org_id = org["id"]
    limit = cli_json(env, "orgs", "limit", org_id, "--monthly-tokens", "1000")
    assert limit == {"id": org_id, "monthlyTokens": 1000, "usedThisMonth": 0}

    asyncio.run(_spend(url, uuid.UUID(org_id), uuid.UUID(org["ownerMembershipId"])))
    by_member = cli_json(env, "orgs", "usage", org_id)
    assert by_member["usedThisMonth"] == 960 and by_member["monthlyTokens"] == 1000
    assert by_member["rows"] == [
        {
            "key": org["ownerMembershipId"],
            "email": "ada@acme.io",
            "calls": 2,
            "promptTokens": 800,
            "completionTokens": 160,
        }
    ]
    by_purpose = cli_json(env, "orgs", "usage", org_id, "--by", "purpose")
    assert [row["key"] for row in by_purpose["rows"]] == ["answer", "plan"]
    human = cli(env, "orgs", "usage", org_id).stdout
    assert "ada@acme.io" in human and "This month: 960 tokens of 1,000" in human

    assert cli_json(env, "orgs", "limit", org_id, "--none")["monthlyTokens"] is None
    refused = cli(env, "orgs", "usage", org_id, "--by", "colour", check=False)
    assert refused.returncode != 0 and "--by must be" in refused.stderr
    unknown = cli(env, "orgs", "limit", str(uuid.uuid4()), "--monthly-tokens", "5", check=False)
    assert unknown.returncode == 1 and "No organization" in unknown.stderr
