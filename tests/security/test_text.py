"""Text neither database can store (NUL, unpaired surrogates) is a 400 in every text
field, on both databases, and nothing of the request is kept. Error logs never carry a
request's parameters."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text

from parley.db.database import Database
from tests.factories import make_org, register_demo_model
from tests.support.served import bearer, new_home, serve
from tests.support.warehouses import small_warehouse_path

JOBS = "/api/v1/ai/jobs"
CONVERSATIONS = "/api/v1/ai/conversations"


def assert_refused(response: httpx.Response, field: str) -> None:
    assert response.status_code == 400, response.text
    body = response.json()
    assert set(body) == {"detail", "status"} and body["status"] == 400
    assert field in body["detail"] and "NUL" in body["detail"]


def test_nul_and_surrogates_are_400_everywhere(
    database_url: str, tmp_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    home = new_home(tmp_path / "home", tmp_path_factory)
    with serve(home, database_url, PARLEY_WORKERS="0") as server:
        creds = server.credentials()
        auth = bearer(creds["personalToken"])
        model = creds["modelId"]
        job = httpx.post(server.url + JOBS, json={"modelId": model, "prompt": "ok"}, headers=auth)
        assert job.status_code == 201
        conversation = job.json()["conversationId"]

        refusals: list[tuple[str, str, dict[str, object], str]] = [
            ("post", JOBS, {"modelId": model, "prompt": "revenue\x00by region"}, "prompt"),
            ("post", JOBS, {"modelId": model, "prompt": "lone \ud800 surrogate"}, "prompt"),
            ("post", JOBS, {"modelId": model, "prompt": "x", "topicName": "a\x00"}, "topicName"),
            (
                "post",
                JOBS,
                {
                    "modelId": model,
                    "prompt": "x",
                    "webhookUrl": "http://127.0.0.1:9/hook",
                    "webhookSigningSecret": "s",
                    "webhookMetadata": {"deep": [{"k": "v\x00"}]},
                },
                "webhookMetadata.deep.0.k",
            ),
            (
                "post",
                JOBS,
                {
                    "modelId": model,
                    "prompt": "x",
                    "webhookUrl": "http://127.0.0.1:9/hook",
                    "webhookSigningSecret": "s",
                    "webhookMetadata": {"key\x00": 1},
                },
                "webhookMetadata.key",
            ),
            ("post", "/api/v1/ai/generate-query", {"modelId": model, "prompt": "a\x00"}, "prompt"),
            (
                "post",
                "/api/v1/ai/pick-topic",
                {"modelId": model, "prompt": "x", "potentialTopicNames": ["users", "\x00"]},
                "potentialTopicNames.1",
            ),
            ("patch", f"{CONVERSATIONS}/{conversation}", {"name": "new\x00name"}, "name"),
        ]
        for method, path, body, field in refusals:
            # json.dumps escapes as ASCII (\u0000, \ud800), as a client's JSON would.
            response = httpx.request(
                method,
                server.url + path,
                content=json.dumps(body),
                headers={**auth, "Content-Type": "application/json"},
            )
            assert_refused(response, field)
        # Embed, embed secrets and SCIM bodies too (organization keys).
        org_auth = bearer(creds["organizationKey"])
        user = {"externalId": "e-1", "name": "Ann", "contentPath": "/my"}
        embed_refusals: list[tuple[str, dict[str, object], str]] = [
            ("/api/v1/embed/sso/generate-session", {**user, "groups": ["\ud800"]}, "groups.0"),
            ("/api/v1/embed/sso/generate-url", {**user, "externalId": "e\x00"}, "externalId"),
            ("/api/v1/embed/secrets", {"name": "nul\x00name"}, "name"),
        ]
        for path, body, field in embed_refusals:
            response = httpx.post(
                server.url + path,
                content=json.dumps(body),
                headers={**org_auth, "Content-Type": "application/json"},
            )
            assert_refused(response, field)
        scim = httpx.post(
            server.url + "/api/scim/v2/users",
            content=json.dumps({"userName": "n\x00@example.com", "displayName": "N"}),
            headers={**org_auth, "Content-Type": "application/scim+json"},
        )
        assert scim.status_code == 400, scim.text
        assert scim.json()["scimType"] == "invalidValue" and "NUL" in scim.json()["detail"]

        # Query strings too, whatever the parameter.
        for params in ({"q": "a\x00b"}, {"cursor": "\x00"}, {"anything": "\x00"}):
            listed = httpx.get(server.url + CONVERSATIONS, params=params, headers=auth)
            assert_refused(listed, "query string")

        # Nothing of the refused requests was kept: one conversation, its first prompt,
        # its name unchanged, and the server still answers.
        listing = httpx.get(server.url + CONVERSATIONS, headers=auth).json()
        assert listing["pageInfo"]["totalRecords"] == 1
        assert listing["data"][0]["lastUserPrompt"] == "ok"
        assert listing["data"][0]["name"] is None
        renamed = httpx.patch(
            server.url + f"{CONVERSATIONS}/{conversation}", json={"name": "fine"}, headers=auth
        )
        assert renamed.status_code == 200


async def test_error_logs_carry_no_parameters(
    app: FastAPI,
    database: Database,
    caplog: pytest.LogCaptureFixture,
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    """A statement that fails in the database is logged without the values bound to it,
    so a prompt (or a token, or a secret) never reaches the log."""
    org = await make_org(database)
    model = await register_demo_model(database, org, small_warehouse_path(tmp_path_factory))
    async with database.write() as conn:
        # The job's message cannot be written: the submit fails inside the database.
        await conn.execute(text("ALTER TABLE messages RENAME TO messages_elsewhere"))
    secret = "prompt-that-must-not-be-logged-7c1e"
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://parley.test") as client:
        with caplog.at_level(logging.INFO):
            response = await client.post(
                JOBS, json={"modelId": model, "prompt": secret}, headers=bearer(org.owner.token)
            )
    assert response.status_code == 500
    assert response.json() == {"detail": "Internal server error", "status": 500}
    logged = [r for r in caplog.records if r.name == "parley.http.errors"]
    assert logged and logged[0].exc_info is not None
    # The statement failed with its values bound, and none of them is in the log.
    assert "messages" in caplog.text and "hide_parameters" in caplog.text
    assert secret not in caplog.text
    assert secret not in str(logged[0].exc_info[1])


def test_json_a_reader_could_not_take_is_400(
    database_url: str, tmp_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """Integers past 64 bits, NaN and deep nesting in values a body passes on (webhook
    metadata, user attributes) are a 400 naming the field, before anything is stored:
    kept, they would break the webhook or the listing that echoes them later."""
    home = new_home(tmp_path / "home", tmp_path_factory)
    deep: object = 1
    for _ in range(40):
        deep = {"a": deep}
    # Loopback admitted so the edge case's webhook is accepted; no worker sends it.
    with serve(
        home, database_url, PARLEY_WORKERS="0", PARLEY_WEBHOOK_ALLOWED_NETWORKS="127.0.0.1/32"
    ) as server:
        creds = server.credentials()
        org_auth = {**bearer(creds["organizationKey"]), "Content-Type": "application/json"}
        hook = {
            "modelId": creds["modelId"],
            "prompt": "x",
            "webhookUrl": "http://127.0.0.1:9/hook",
            "webhookSigningSecret": "s",
        }
        user = {"externalId": "e-1", "name": "Ann", "contentPath": "/my"}
        cases: list[tuple[str, str, str]] = [
            (JOBS, json.dumps({**hook, "webhookMetadata": {"n": 2**64}}), "64 bits"),
            # Python's json writes NaN, as some clients do; it is not JSON any reader takes.
            (JOBS, json.dumps({**hook, "webhookMetadata": {"n": float("nan")}}), "finite"),
            (JOBS, json.dumps({**hook, "webhookMetadata": deep}), "levels deep"),
            (
                "/api/v1/embed/sso/generate-session",
                json.dumps({**user, "userAttributes": {"n": -(2**63) - 1}}),
                "64 bits",
            ),
            (
                "/api/v1/embed/sso/generate-session",
                json.dumps({**user, "userAttributes": deep}),
                "levels deep",
            ),
        ]
        for path, content, why in cases:
            response = httpx.post(server.url + path, content=content, headers=org_auth)
            assert response.status_code == 400, (path, response.text)
            body = response.json()
            assert set(body) == {"detail", "status"} and why in body["detail"], body
        # At the edges, the same values are taken.
        edge = {**hook, "webhookMetadata": {"n": 2**63 - 1, "f": 1.5, "t": True}}
        taken = httpx.post(server.url + JOBS, json=edge, headers=org_auth)
        assert taken.status_code == 201, taken.text
        listed = httpx.get(server.url + "/api/scim/v2/embed/users", headers=org_auth)
        assert listed.status_code == 200 and listed.json()["totalResults"] == 0
        far = httpx.get(
            server.url + "/api/scim/v2/users", params={"startIndex": str(10**20)}, headers=org_auth
        )
        assert far.status_code == 200 and far.json()["Resources"] == []
