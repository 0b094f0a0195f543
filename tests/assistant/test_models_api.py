"""GET /api/v1/models with Omni's record fields, filters, sorting and pages, and a
model's topics, checked against the shapes of Omni's SDK."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import httpx

from parley.db.database import Database
from tests.factories import Org, bearer, make_org
from tests.factories import register_demo_model as register
from tests.omni.shapes import (
    SdkAgentActions,
    SdkModelList,
    SdkTopicList,
    SdkTopicResponse,
    check,
)

MODELS = "/api/v1/models"


async def listed(client: httpx.AsyncClient, org: Org, **params: Any) -> dict[str, Any]:
    response = await client.get(MODELS, params=params, headers=bearer(org.owner.token))
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    check(SdkModelList, body)
    return body


async def test_records_filters_sorting_and_pages(
    client: httpx.AsyncClient, database: Database, org: Org, small_warehouse: Path
) -> None:
    names = ["Bravo", "Alpha", "Charlie"]
    ids = {name: await register(database, org, small_warehouse, name) for name in names}
    other = await make_org(database, "Globex")
    await register(database, other, small_warehouse, "Alpha")

    everything = await listed(client, org)
    assert everything["pageInfo"]["totalRecords"] == 3
    # Newest first by default.
    assert [r["name"] for r in everything["records"]] == ["Charlie", "Alpha", "Bravo"]
    record = everything["records"][0]
    assert record["modelKind"] == "SHARED" and record["baseModelId"] is None
    assert record["deletedAt"] is None and record["updatedAt"] == record["createdAt"]
    assert record["topics"] == ["order_items", "users"]
    # One warehouse, one connection id.
    assert len({r["connectionId"] for r in everything["records"]}) == 1

    by_name = await listed(client, org, name="Alpha")
    assert [r["id"] for r in by_name["records"]] == [ids["Alpha"]]
    assert by_name["pageInfo"]["totalRecords"] == 1
    assert (await listed(client, org, modelId=ids["Bravo"]))["records"][0]["name"] == "Bravo"
    assert (await listed(client, org, modelKind="WORKBOOK"))["records"] == []
    assert (await listed(client, org, baseModelId=str(uuid.uuid4())))["records"] == []
    connection = record["connectionId"]
    assert (await listed(client, org, connectionId=connection))["pageInfo"]["totalRecords"] == 3
    assert (await listed(client, org, connectionId=str(uuid.uuid4())))["records"] == []
    branches = await listed(client, org, include="activeBranches")
    assert all(r["branches"] == [] for r in branches["records"])

    ascending = await listed(client, org, sortField="name", sortDirection="asc")
    assert [r["name"] for r in ascending["records"]] == ["Alpha", "Bravo", "Charlie"]

    seen: list[str] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"sortField": "name", "pageSize": 2}
        if cursor:
            params["cursor"] = cursor
        page = await listed(client, org, **params)
        seen += [r["name"] for r in page["records"]]
        cursor = page["pageInfo"]["nextCursor"]
        assert page["pageInfo"]["hasNextPage"] == (cursor is not None)
        if cursor is None:
            break
    assert seen == ["Charlie", "Bravo", "Alpha"]
    # A cursor belongs to the filters and order that made it.
    first = await listed(client, org, sortField="name", pageSize=1)
    moved = await client.get(
        MODELS,
        params={"sortField": "createdAt", "cursor": first["pageInfo"]["nextCursor"]},
        headers=bearer(org.owner.token),
    )
    assert moved.status_code == 400

    for bad in (
        {"pageSize": 0},
        {"modelKind": "NOPE"},
        {"sortField": "colour"},
        {"sortDirection": "up"},
        {"modelId": "x"},
        {"cursor": "garbage"},
    ):
        response = await client.get(MODELS, params=bad, headers=bearer(org.owner.token))
        assert response.status_code == 400, bad
        assert set(response.json()) == {"detail", "status"}


async def test_topics_with_views_and_fields(
    client: httpx.AsyncClient, database: Database, org: Org, small_warehouse: Path
) -> None:
    model_id = await register(database, org, small_warehouse)
    token = bearer(org.owner.token)
    topics = (await client.get(f"{MODELS}/{model_id}/topic", headers=token)).json()
    check(SdkTopicList, topics)
    assert [t["name"] for t in topics["topics"]] == ["order_items", "users"]
    assert topics["topics"][0]["base_view_name"] == "order_items"

    detail = (await client.get(f"{MODELS}/{model_id}/topic/order_items", headers=token)).json()
    check(SdkTopicResponse, detail)
    views = {v["name"]: v for v in detail["topic"]["views"]}
    assert "order_items" in views and "users" in views
    revenue = next(m for m in views["order_items"]["measures"] if m["name"] == "revenue")
    assert revenue["field_name"] == "order_items.revenue" and revenue["label"]
    assert all("description" in d for d in views["users"]["dimensions"])
    assert {r["join_to_view"] for r in detail["topic"]["relationships"]} <= set(views)

    missing = [
        f"{MODELS}/{model_id}/topic/nope",
        f"{MODELS}/{uuid.uuid4()}/topic",
        f"{MODELS}/{model_id}/topic?branch_id={uuid.uuid4()}",
    ]
    for url in missing:
        response = await client.get(url, headers=token)
        assert response.status_code == 404, url
    stranger = await make_org(database, "Globex")
    assert (
        await client.get(f"{MODELS}/{model_id}/topic", headers=bearer(stranger.org_key))
    ).status_code == 404


async def test_sample_prompts_are_answered(
    client: httpx.AsyncClient, database: Database, org: Org, small_warehouse: Path
) -> None:
    model_id = await register(database, org, small_warehouse)
    token = bearer(org.owner.token)
    response = await client.get(f"{MODELS}/{model_id}/ai-agent-actions", headers=token)
    actions = check(SdkAgentActions, response.json()).records
    assert len(actions) >= 2
    assert any(" by " in a.prompt for a in actions)
    for action in actions:
        answered = await client.post(
            "/api/v1/ai/generate-query",
            json={"modelId": model_id, "prompt": action.prompt, "runQuery": False},
            headers=token,
        )
        assert answered.json()["error"] is None, action.prompt
    missing = await client.get(f"{MODELS}/{uuid.uuid4()}/ai-agent-actions", headers=token)
    assert missing.status_code == 404
