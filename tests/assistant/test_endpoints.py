"""generate-query, pick-topic and the model list over HTTP, on both state databases."""

from __future__ import annotations

import uuid
from pathlib import Path

import duckdb
import httpx
import pytest
import yaml

from parley.db.database import Database
from parley.demo.model import MODEL_PATH
from parley.demo.warehouse import build_demo_warehouse
from parley.http.errors import BadRequest
from parley.models import service as models
from tests.factories import Org, bearer, make_member, make_org
from tests.factories import register_demo_model as register
from tests.omni.shapes import SdkGenerateQuery, check
from tests.support.warehouses import AS_OF, SMALL

GENERATE = "/api/v1/ai/generate-query"
PICK = "/api/v1/ai/pick-topic"


async def test_generate_query_plans_and_runs(
    client: httpx.AsyncClient, database: Database, org: Org, small_warehouse: Path
) -> None:
    model_id = await register(database, org, small_warehouse)
    response = await client.post(
        GENERATE,
        json={"modelId": model_id, "prompt": "Revenue by region"},
        headers=bearer(org.owner.token),
    )
    assert response.status_code == 200, response.text
    body = response.json()
    check(SdkGenerateQuery, body)
    assert body["error"] is None and body["baseView"] is None
    assert body["topic"] == "order_items"
    assert body["query"]["fields"] == ["users.region", "order_items.revenue"]
    result = body["result"]
    assert result["columns"] == ["users.region", "order_items.revenue"]
    regions = {row[0] for row in result["rows"]}
    assert regions == {"North America", "South America", "Europe", "Asia", "Oceania"}
    assert result["totalRowCount"] == 5 and result["truncated"] is False
    assert all(isinstance(row[1], float) for row in result["rows"])


async def test_generate_query_without_running(
    client: httpx.AsyncClient, database: Database, org: Org, small_warehouse: Path
) -> None:
    model_id = await register(database, org, small_warehouse)
    body = (
        await client.post(
            GENERATE,
            json={
                "modelId": model_id,
                "prompt": "How many users are in Europe?",
                "runQuery": False,
            },
            headers=bearer(org.org_key),
        )
    ).json()
    assert "result" not in body
    assert body["query"]["filters"] == {"users.region": "Europe"}


async def test_unanswerable_prompt_is_a_200_with_an_error(
    client: httpx.AsyncClient, database: Database, org: Org, small_warehouse: Path
) -> None:
    model_id = await register(database, org, small_warehouse)
    body = (
        await client.post(
            GENERATE,
            json={"modelId": model_id, "prompt": "What is the meaning of life?"},
            headers=bearer(org.owner.token),
        )
    ).json()
    # An empty object rather than null: Omni's SDK requires an object there.
    sdk = check(SdkGenerateQuery, body)
    assert body["query"] == {} and sdk.error is not None and sdk.topic is None
    assert body["error"]["message"]
    assert "revenue" in body["error"]["detail"].lower()


@pytest.mark.parametrize(
    "prompt",
    [
        "revenue for brand '; DROP TABLE users; --",
        "revenue where region = 'Europe' OR 1=1 /* */",
        'orders from "Robert\'); DELETE FROM orders;--"',
        "revenue " * 1200,
    ],
)
async def test_hostile_prompts_never_reach_sql(
    client: httpx.AsyncClient,
    database: Database,
    org: Org,
    tmp_path: Path,
    prompt: str,
) -> None:
    # A private warehouse: the test checks it is intact afterwards.
    path = tmp_path / "own.duckdb"
    build_demo_warehouse(path, AS_OF, seed=42, size=SMALL)
    model_id = await register(database, org, path)
    response = await client.post(
        GENERATE, json={"modelId": model_id, "prompt": prompt[:10_000]}, headers=bearer(org.org_key)
    )
    assert response.status_code == 200
    body = response.json()
    if body["query"] is not None:
        for value in body["query"].get("filters", {}).values():
            assert "DROP" not in str(value) and "DELETE" not in str(value)
    with duckdb.connect(str(path), read_only=True) as check:
        assert check.execute("SELECT COUNT(*) FROM users").fetchone() == (SMALL.users,)
        assert check.execute("SELECT COUNT(*) FROM orders").fetchone() == (SMALL.orders,)


async def test_pick_topic(
    client: httpx.AsyncClient, database: Database, org: Org, small_warehouse: Path
) -> None:
    model_id = await register(database, org, small_warehouse)

    async def pick(prompt: str, **extra: object) -> httpx.Response:
        return await client.post(
            PICK,
            json={"modelId": model_id, "prompt": prompt, **extra},
            headers=bearer(org.owner.token),
        )

    assert (await pick("revenue by brand last month")).json() == {"topicId": "order_items"}
    assert (await pick("how many users signed up by traffic source")).json() == {"topicId": "users"}
    limited = await pick("revenue by brand", potentialTopicNames=["users"])
    assert limited.json() == {"topicId": "users"}
    assert (await pick("revenue", potentialTopicNames=["nope"])).status_code == 404


async def test_scope_rules(
    client: httpx.AsyncClient, database: Database, org: Org, small_warehouse: Path
) -> None:
    model_id = await register(database, org, small_warehouse)
    other = await make_org(database, "Globex")
    member = await make_member(database, org)
    body = {"modelId": model_id, "prompt": "Revenue by region", "runQuery": False}
    # Another organization's token does not see the model.
    assert (
        await client.post(GENERATE, json=body, headers=bearer(other.org_key))
    ).status_code == 404
    # userId: organization keys only; a member of the organization; never a stranger.
    as_member = {**body, "userId": str(member.id)}
    assert (
        await client.post(GENERATE, json=as_member, headers=bearer(org.org_key))
    ).status_code == 200
    assert (
        await client.post(GENERATE, json=as_member, headers=bearer(member.token))
    ).status_code == 403
    stranger = {**body, "userId": str(other.owner.id)}
    assert (
        await client.post(GENERATE, json=stranger, headers=bearer(org.org_key))
    ).status_code == 404
    # Bad bodies are 400 in the error shape, never 422.
    for bad in (
        {**body, "runQuery": "maybe"},
        {**body, "modelId": "nope"},
        {**body, "prompt": "   "},
        {"prompt": "x"},
        {**body, "currentTopicName": "x" * 300},
    ):
        response = await client.post(GENERATE, json=bad, headers=bearer(org.org_key))
        assert response.status_code == 400, bad
        assert set(response.json()) == {"detail", "status"}
    unknown_model = {**body, "modelId": str(uuid.uuid4())}
    assert (
        await client.post(GENERATE, json=unknown_model, headers=bearer(org.org_key))
    ).status_code == 404
    unknown_topic = {**body, "currentTopicName": "nope"}
    assert (
        await client.post(GENERATE, json=unknown_topic, headers=bearer(org.org_key))
    ).status_code == 404
    not_json = await client.post(
        GENERATE,
        content=b"{nope",
        headers={**bearer(org.org_key), "content-type": "application/json"},
    )
    assert not_json.status_code == 400


async def test_models_list_pages(
    client: httpx.AsyncClient, database: Database, org: Org, small_warehouse: Path
) -> None:
    ids = [await register(database, org, small_warehouse, f"Model {i}") for i in range(3)]
    other = await make_org(database, "Globex")
    await register(database, other, small_warehouse, "Theirs")
    first = (
        await client.get("/api/v1/models", params={"pageSize": 2}, headers=bearer(org.owner.token))
    ).json()
    assert first["pageInfo"]["totalRecords"] == 3 and first["pageInfo"]["hasNextPage"]
    assert first["records"][0]["topics"] == ["order_items", "users"]
    second = (
        await client.get(
            "/api/v1/models",
            params={"pageSize": 2, "cursor": first["pageInfo"]["nextCursor"]},
            headers=bearer(org.owner.token),
        )
    ).json()
    seen = [r["id"] for r in first["records"] + second["records"]]
    assert sorted(seen) == sorted(ids)
    assert second["pageInfo"]["nextCursor"] is None


async def test_registering_a_broken_model_is_refused(
    database: Database, org: Org, small_warehouse: Path
) -> None:
    definition = yaml.safe_load(MODEL_PATH.read_text())
    definition["topics"]["order_items"]["base_view"] = "nowhere"
    async with database.write() as conn:
        with pytest.raises(BadRequest, match="nowhere"):
            await models.register(
                conn,
                org.id,
                name="Broken",
                connection_url=f"duckdb:///{small_warehouse}",
                definition=definition,
            )
        with pytest.raises(BadRequest, match="warehouse"):
            await models.register(
                conn,
                org.id,
                name="No file",
                connection_url="duckdb:///nowhere.duckdb",
                definition=yaml.safe_load(MODEL_PATH.read_text()),
            )


async def test_query_all_views_opens_views_outside_topics(
    client: httpx.AsyncClient, database: Database, org: Org, small_warehouse: Path
) -> None:
    # The demo model with its users view left outside every topic.
    definition = yaml.safe_load(MODEL_PATH.read_text())
    del definition["topics"]["users"]
    del definition["topics"]["order_items"]["joins"]["users"]
    async with database.write() as conn:
        model = await models.register(
            conn,
            org.id,
            name="Users outside topics",
            connection_url=f"duckdb:///{small_warehouse}",
            definition=definition,
        )
    ask = {"modelId": str(model.id), "prompt": "Average age by traffic source"}
    refused = (await client.post(GENERATE, json=ask, headers=bearer(org.owner.token))).json()
    assert refused["query"] == {} and refused["error"] is not None, refused
    explicit = {**ask, "queryAllViews": False}
    assert (
        await client.post(GENERATE, json=explicit, headers=bearer(org.owner.token))
    ).json() == refused

    response = await client.post(
        GENERATE, json={**ask, "queryAllViews": True}, headers=bearer(org.owner.token)
    )
    assert response.status_code == 200, response.text
    body = response.json()
    check(SdkGenerateQuery, body)
    assert body["error"] is None, body
    assert body["topic"] is None and body["baseView"] == "users"
    assert body["query"]["table"] == "users"
    assert body["query"]["fields"] == ["users.traffic_source", "users.average_age"]
    assert body["result"]["totalRowCount"] == len(body["result"]["rows"]) > 1

    # A question a topic answers is answered through it as before.
    topical = {"modelId": str(model.id), "prompt": "Revenue by category"}
    before = (await client.post(GENERATE, json=topical, headers=bearer(org.owner.token))).json()
    after = (
        await client.post(
            GENERATE, json={**topical, "queryAllViews": True}, headers=bearer(org.owner.token)
        )
    ).json()
    assert before["topic"] == after["topic"] == "order_items"
    assert after["query"] == before["query"] and after["baseView"] is None
