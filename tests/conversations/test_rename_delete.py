"""Renaming and deleting a conversation: who may, what a bad name gets, that the first
answer keeps a chosen name, and that a delete takes the thread's jobs and its count with it."""

from __future__ import annotations

from pathlib import Path

import httpx
from fastapi import FastAPI

from parley.conversations import repository as conversations
from parley.db.database import Database
from tests.factories import Org, bearer, make_member, register_demo_model
from tests.support.jobs import JOBS, claimed, submit

CONVERSATIONS = "/api/v1/ai/conversations"


async def test_rename_and_delete(
    app: FastAPI,
    client: httpx.AsyncClient,
    database: Database,
    org: Org,
    small_warehouse: Path,
) -> None:
    model_id = await register_demo_model(database, org, small_warehouse)
    token = org.owner.token
    ids = (await submit(client, token, model_id, "Revenue by region")).json()
    keep = (await submit(client, token, model_id, "Orders by status")).json()
    path = f"{CONVERSATIONS}/{ids['conversationId']}"
    renamed = await client.patch(path, json={"name": "  Regions  "}, headers=bearer(token))
    assert renamed.status_code == 200 and renamed.json()["name"] == "Regions"
    for bad in ({"name": ""}, {"name": "x" * 501}, {"name": 5}, {}):
        assert (await client.patch(path, json=bad, headers=bearer(token))).status_code == 400
    member = await make_member(database, org)
    assert (
        await client.patch(path, json={"name": "mine"}, headers=bearer(member.token))
    ).status_code == 404
    assert (await client.delete(path, headers=bearer(member.token))).status_code == 404
    # The first answer does not overwrite a name someone chose.
    pool, claim = await claimed(app)
    await pool.run_claim(claim)
    assert (await client.get(path, headers=bearer(token))).json()["name"] == "Regions"

    deleted = await client.delete(path, headers=bearer(token))
    assert deleted.status_code == 204 and deleted.content == b""
    assert (await client.get(path, headers=bearer(token))).status_code == 404
    assert (await client.get(f"{JOBS}/{ids['jobId']}", headers=bearer(token))).status_code == 404
    assert (await client.delete(path, headers=bearer(token))).status_code == 404
    listed = (await client.get(CONVERSATIONS, headers=bearer(org.org_key))).json()
    assert [c["id"] for c in listed["data"]] == [keep["conversationId"]]
    assert listed["pageInfo"]["totalRecords"] == 1
    async with database.direct() as reader:
        assert await conversations.total(reader, org.id, org.owner.id) == 1
