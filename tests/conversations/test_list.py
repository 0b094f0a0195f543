"""GET /api/v1/ai/conversations: scope, order, keyset pages and totals (docs/api.md)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from parley.conversations import repository
from parley.db.database import Database
from parley.kit import clock
from tests.factories import Org, add_conversations, bearer, make_member, make_org
from tests.omni.shapes import DocsConversationList, SdkConversationList, check

URL = "/api/v1/ai/conversations"


async def walk(
    client: httpx.AsyncClient, token: str, page_size: int, **params: str
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Every item of every page, and every pageInfo, following nextCursor."""
    items: list[dict[str, Any]] = []
    infos: list[dict[str, Any]] = []
    cursor: str | None = None
    while True:
        query: dict[str, Any] = {"pageSize": page_size, **params}
        if cursor:
            query["cursor"] = cursor
        response = await client.get(URL, params=query, headers=bearer(token))
        assert response.status_code == 200, response.text
        body = response.json()
        check(DocsConversationList, body)
        check(SdkConversationList, body)
        assert body["records"] == body["data"]
        items.extend(body["data"])
        infos.append(body["pageInfo"])
        cursor = body["pageInfo"]["nextCursor"]
        assert (cursor is None) == (not body["pageInfo"]["hasNextPage"])
        if cursor is None:
            return items, infos


def expected_order(rows: list[dict[str, Any]]) -> list[str]:
    return [
        r["id"]
        for r in sorted(rows, key=lambda r: (r["updatedAt"], uuid.UUID(r["id"])), reverse=True)
    ]


async def test_seed_example_shape(client: httpx.AsyncClient, database: Database, org: Org) -> None:
    ids = await add_conversations(database, org.id, org.owner.id, 2)
    response = await client.get(URL, headers=bearer(org.owner.token))
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert body["pageInfo"] == {
        "hasNextPage": False,
        "nextCursor": None,
        "pageSize": 50,
        "totalRecords": 2,
    }
    assert body["records"] == body["data"]
    first = body["data"][0]
    assert set(first) == {"id", "name", "lastUserPrompt", "lastPrompt", "updatedAt", "createdAt"}
    assert first["lastPrompt"] == first["lastUserPrompt"] == "question 0"
    assert first["id"] == str(ids[0])
    assert first["updatedAt"] == "2026-05-15T14:32:10.123Z"
    assert first["createdAt"] == "2026-05-15T13:32:10.123Z"
    assert first["name"] == "Revenue by region"
    assert body["data"][1]["name"] is None
    assert body["data"][1]["lastUserPrompt"] == "question 1"


@pytest.mark.parametrize("page_size", [1, 7, 50, 100])
async def test_walk_yields_each_conversation_once_in_order(
    client: httpx.AsyncClient, database: Database, org: Org, page_size: int
) -> None:
    # Runs of three share an updatedAt, so the id tie-break is exercised on every page.
    ids = await add_conversations(database, org.id, org.owner.id, 1000, tie_every=3)
    items, infos = await walk(client, org.owner.token, page_size)
    seen = [item["id"] for item in items]
    assert len(seen) == 1000
    assert set(seen) == {str(i) for i in ids}
    assert seen == expected_order(items)
    assert all(info["totalRecords"] == 1000 for info in infos)
    assert all(info["pageSize"] == page_size for info in infos)
    assert len(infos) == -(-1000 // page_size)


async def test_updates_during_a_walk_never_repeat_a_conversation(
    client: httpx.AsyncClient, database: Database, org: Org
) -> None:
    ids = await add_conversations(database, org.id, org.owner.id, 60)
    first = await client.get(URL, params={"pageSize": 10}, headers=bearer(org.owner.token))
    seen = [item["id"] for item in first.json()["data"]]
    cursor = first.json()["pageInfo"]["nextCursor"]
    # Activity moves one already-seen and one not-yet-seen conversation to the front.
    async with database.write() as conn:
        now = clock.utcnow() + timedelta(days=365)
        await repository.touch(conn, org.id, ids[3], now, last_user_prompt="again")
        await repository.touch(conn, org.id, ids[40], now + timedelta(seconds=1))
    while cursor:
        page = await client.get(
            URL, params={"pageSize": 10, "cursor": cursor}, headers=bearer(org.owner.token)
        )
        seen.extend(item["id"] for item in page.json()["data"])
        cursor = page.json()["pageInfo"]["nextCursor"]
    assert len(seen) == len(set(seen))
    assert str(ids[40]) not in seen  # it moved ahead of the walk
    assert len(seen) == 59


async def test_personal_token_sees_only_its_own(
    client: httpx.AsyncClient, database: Database, org: Org
) -> None:
    other = await make_member(database, org)
    mine = await add_conversations(database, org.id, org.owner.id, 3)
    await add_conversations(database, org.id, other.id, 5)
    body = (await client.get(URL, headers=bearer(org.owner.token))).json()
    assert {c["id"] for c in body["data"]} == {str(i) for i in mine}
    assert body["pageInfo"]["totalRecords"] == 3
    body = (await client.get(URL, headers=bearer(other.token))).json()
    assert body["pageInfo"]["totalRecords"] == 5


async def test_organization_key_sees_all_or_one_member(
    client: httpx.AsyncClient, database: Database, org: Org
) -> None:
    other = await make_member(database, org)
    await add_conversations(database, org.id, org.owner.id, 3)
    theirs = await add_conversations(database, org.id, other.id, 5)
    everything = (await client.get(URL, headers=bearer(org.org_key))).json()
    assert everything["pageInfo"]["totalRecords"] == 8
    assert len(everything["data"]) == 8
    assert expected_order(everything["data"]) == [c["id"] for c in everything["data"]]
    one = (
        await client.get(URL, params={"userId": str(other.id)}, headers=bearer(org.org_key))
    ).json()
    assert {c["id"] for c in one["data"]} == {str(i) for i in theirs}
    assert one["pageInfo"]["totalRecords"] == 5


async def test_user_id_of_another_organization_is_an_empty_page(
    client: httpx.AsyncClient, database: Database, org: Org
) -> None:
    stranger_org = await make_org(database, "Globex")
    await add_conversations(database, stranger_org.id, stranger_org.owner.id, 4)
    body = (
        await client.get(
            URL, params={"userId": str(stranger_org.owner.id)}, headers=bearer(org.org_key)
        )
    ).json()
    assert body == {
        "data": [],
        "records": [],
        "pageInfo": {"hasNextPage": False, "nextCursor": None, "pageSize": 50, "totalRecords": 0},
    }


async def test_total_follows_new_conversations_without_counting(
    client: httpx.AsyncClient, database: Database, org: Org
) -> None:
    await add_conversations(database, org.id, org.owner.id, 2)
    async with database.write() as conn:
        now = clock.utcnow()
        await repository.insert(
            conn,
            org_id=org.id,
            member_id=org.owner.id,
            name=None,
            last_user_prompt="hi",
            created_at=now,
            updated_at=now,
        )
    for token in (org.owner.token, org.org_key):
        body = (await client.get(URL, headers=bearer(token))).json()
        assert body["pageInfo"]["totalRecords"] == 3
        assert body["data"][0]["lastUserPrompt"] == "hi"


async def test_search_filters_and_keeps_pagination(
    client: httpx.AsyncClient, database: Database, org: Org
) -> None:
    await add_conversations(database, org.id, org.owner.id, 30, names=("Churn by cohort",))
    await add_conversations(database, org.id, org.owner.id, 12, names=("Revenue 100% check",))
    items, infos = await walk(client, org.owner.token, 5, q="revenue 100%")
    assert len(items) == 12
    assert all(info["totalRecords"] == 12 for info in infos)
    # LIKE wildcards in the text are matched literally.
    assert (await walk(client, org.owner.token, 5, q="100_"))[0] == []


async def test_whole_second_timestamps_keep_their_milliseconds(
    client: httpx.AsyncClient, database: Database, org: Org
) -> None:
    await add_conversations(
        database, org.id, org.owner.id, 1, start=datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    )
    item = (await client.get(URL, headers=bearer(org.owner.token))).json()["data"][0]
    assert item["updatedAt"] == "2026-01-02T03:04:05.000Z"
    assert item["createdAt"] == "2026-01-02T02:04:05.000Z"
