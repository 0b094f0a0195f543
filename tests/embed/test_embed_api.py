"""The embed API and SCIM users over HTTP on both state databases: users upserted by
external id, single-use sessions, login URLs, settings, and the SCIM directory."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from parley.db.database import Database
from parley.kit import clock
from tests.factories import Org, bearer, make_org
from tests.omni.shapes import (
    DemoUrl,
    DocsSession,
    ScimEmbedList,
    ScimEmbedUser,
    ScimList,
    ScimUser,
    check,
)

SESSION = "/api/v1/embed/sso/generate-session"
URL = "/api/v1/embed/sso/generate-url"
SETTINGS = "/api/v1/embed/settings"
EMBED_USERS = "/api/scim/v2/embed/Users"
USERS = "/api/scim/v2/users"


def embed_body(**overrides: Any) -> dict[str, Any]:
    return {"contentPath": "/my", "externalId": "ada@example.com", "name": "Ada", **overrides}


async def test_generate_session_upserts_the_user_and_redeems_once(
    client: httpx.AsyncClient, org: Org
) -> None:
    key = bearer(org.org_key)
    body = embed_body(groups=["Finance"], userAttributes={"region": "EMEA"}, theme="dark")
    first = await client.post(SESSION, json=body, headers=key)
    assert first.status_code == 200, first.text
    session = check(DocsSession, first.json())
    login = urlsplit(first.json()["url"])
    assert login.path == "/embed/login"
    assert parse_qs(login.query) == {"sessionId": [session.sessionId]}

    # The demo's lookup: userName names the address the application passed as externalId,
    # compared case-exact as external ids are.
    direct = await client.get(
        EMBED_USERS, params={"filter": 'userName eq "ada@example.com"'}, headers=key
    )
    assert check(ScimEmbedList, direct.json()).totalResults == 1
    other_case = await client.get(
        EMBED_USERS, params={"filter": 'userName eq "ADA@example.com"'}, headers=key
    )
    assert check(ScimEmbedList, other_case.json()).totalResults == 0
    listed = check(ScimEmbedList, (await client.get(EMBED_USERS, headers=key)).json())
    assert [str(u.id) for u in listed.Resources] == [u["id"] for u in direct.json()["Resources"]]
    (user,) = listed.Resources
    assert user.embedExternalId == "ada@example.com" and user.displayName == "Ada"
    assert [g.display for g in user.groups] == ["Finance"]
    raw = (await client.get(f"{EMBED_USERS}/{user.id}", headers=key)).json()
    assert raw["urn:omni:params:1.0:UserAttribute"] == {"region": "EMEA"}
    found = await client.get(
        EMBED_USERS, params={"filter": 'embedExternalId eq "ada@example.com"'}, headers=key
    )
    assert [r["id"] for r in found.json()["Resources"]] == [str(user.id)]
    # Embed users are not members in the plain list, and the other way round.
    assert check(ScimList, (await client.get(USERS, headers=key)).json()).totalResults == 1

    # Upsert: the same external id is the same user, with the new name and groups.
    again = await client.post(SESSION, json=embed_body(name="Ada L.", groups=["Ops"]), headers=key)
    assert again.status_code == 200
    listed = check(ScimEmbedList, (await client.get(EMBED_USERS, headers=key)).json())
    assert [(u.id, u.displayName) for u in listed.Resources] == [(user.id, "Ada L.")]
    assert [g.display for g in listed.Resources[0].groups] == ["Ops"]

    redeemed = await client.post("/embed/redeem", json={"sessionId": session.sessionId})
    assert redeemed.status_code == 200, redeemed.text
    signed_in = redeemed.json()
    assert signed_in["userId"] == str(user.id) and signed_in["contentPath"] == "/"
    assert signed_in["organizationId"] == str(org.id)
    me = await client.get("/api/v1/whoami", headers=bearer(signed_in["token"]))
    assert me.json()["user"]["membershipId"] == str(user.id)
    # Single use.
    spent = await client.post("/embed/redeem", json={"sessionId": session.sessionId})
    assert spent.status_code == 404
    assert (await client.post("/embed/redeem", json={"sessionId": "made-up"})).status_code == 404


async def test_sessions_expire_and_last_as_the_organization_sets(
    client: httpx.AsyncClient, org: Org, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = bearer(org.org_key)
    saved = await client.put(
        SETTINGS,
        json={"sessionLengthMinutes": 90, "frameAncestors": ["http://127.0.0.1:8123/"]},
        headers=key,
    )
    assert saved.json() == {
        "sessionLengthMinutes": 90,
        "frameAncestors": ["http://127.0.0.1:8123"],
    }
    assert (await client.get(SETTINGS, headers=key)).json() == saved.json()
    for bad in (
        {"sessionLengthMinutes": 1},
        {"frameAncestors": ["javascript:alert(1)"]},
        {"frameAncestors": ["https://a.example/path"]},
        {"frameAncestors": ["https://a.example; script-src *"]},
    ):
        assert (await client.put(SETTINGS, json=bad, headers=key)).status_code == 400, bad

    session_id = (await client.post(SESSION, json=embed_body(), headers=key)).json()["sessionId"]
    now = clock.utcnow()
    redeemed = (await client.post("/embed/redeem", json={"sessionId": session_id})).json()
    lasts = datetime.fromisoformat(redeemed["expiresAt"].replace("Z", "+00:00")) - now
    assert timedelta(minutes=89) < lasts <= timedelta(minutes=91)

    late = (await client.post(SESSION, json=embed_body(), headers=key)).json()["sessionId"]
    later = now + timedelta(minutes=6)
    monkeypatch.setattr(clock, "utcnow", lambda: later)
    assert (await client.post("/embed/redeem", json={"sessionId": late})).status_code == 404


async def test_generate_url_opens_a_conversation(client: httpx.AsyncClient, org: Org) -> None:
    key = bearer(org.org_key)
    conversation = str(uuid.uuid4())
    body = embed_body(contentPath=f"https://parley.example/chat/{conversation}")
    response = await client.post(URL, json=body, headers=key)
    assert response.status_code == 200, response.text
    url = check(DemoUrl, response.json()).url
    session_id = parse_qs(urlsplit(url).query)["sessionId"][0]
    redeemed = (await client.post("/embed/redeem", json={"sessionId": session_id})).json()
    assert redeemed["contentPath"] == f"/chat/{conversation}"


async def test_embedding_needs_an_organization_key_and_a_valid_body(
    client: httpx.AsyncClient, org: Org
) -> None:
    for url in (SESSION, URL):
        response = await client.post(url, json=embed_body(), headers=bearer(org.owner.token))
        assert response.status_code == 403
        for bad in (
            {"contentPath": "/my", "name": "x"},
            embed_body(externalId=""),
            embed_body(groups="Finance"),
            embed_body(userAttributes="[1]"),
            embed_body(contentPath="/chat/not-a-conversation"),
        ):
            response = await client.post(url, json=bad, headers=bearer(org.org_key))
            assert response.status_code == 400, bad
            assert {"detail", "status"} <= set(response.json())
    assert (await client.get(EMBED_USERS, headers=bearer(org.owner.token))).status_code == 403


async def test_scim_members(client: httpx.AsyncClient, database: Database, org: Org) -> None:
    key = bearer(org.org_key)
    body = {
        "displayName": "Blobby",
        "userName": "Blobby@Example.com",
        "urn:omni:params:1.0:UserAttribute": {"good_blob": "yes"},
    }
    created = await client.post("/api/scim/v2/Users", json=body, headers=key)
    assert created.status_code == 201, created.text
    assert created.headers["content-type"] == "application/scim+json"
    user = check(ScimUser, created.json())
    assert user.userName == "blobby@example.com"
    duplicate = await client.post(USERS, json=body, headers=key)
    assert duplicate.status_code == 409 and duplicate.json()["scimType"] == "uniqueness"

    found = await client.get(
        USERS, params={"filter": 'userName eq "BLOBBY@example.com"'}, headers=key
    )
    assert [r["id"] for r in found.json()["Resources"]] == [str(user.id)]
    paged = (await client.get(USERS, params={"startIndex": 2, "count": 1}, headers=key)).json()
    assert paged["totalResults"] == 2 and paged["startIndex"] == 2 and paged["itemsPerPage"] == 1
    bad_filter = await client.get(USERS, params={"filter": "userName sw"}, headers=key)
    assert bad_filter.status_code == 400 and bad_filter.json()["scimType"] == "invalidFilter"
    assert bad_filter.json()["schemas"] == ["urn:ietf:params:scim:api:messages:2.0:Error"]

    patch = {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [
            {"op": "replace", "path": "displayName", "value": "Blob"},
            {"op": "add", "path": "urn:omni:params:1.0:UserAttribute:team", "value": "red"},
            {"op": "replace", "value": {"active": False}},
        ],
    }
    patched = await client.patch(f"{USERS}/{user.id}", json=patch, headers=key)
    assert patched.status_code == 200, patched.text
    changed = patched.json()
    assert changed["displayName"] == "Blob" and changed["active"] is False
    assert changed["urn:omni:params:1.0:UserAttribute"] == {"good_blob": "yes", "team": "red"}
    for wrong in (
        {**patch, "Operations": [{"op": "jump", "path": "displayName"}]},
        {**patch, "Operations": [{"op": "replace", "path": "nickName", "value": "x"}]},
        {**patch, "Operations": [{"op": "replace", "path": "active", "value": "no"}]},
        {**patch, "Operations": [{"op": "replace", "path": "userName", "value": "x@y.z"}]},
        {"Operations": patch["Operations"]},
    ):
        response = await client.patch(f"{USERS}/{user.id}", json=wrong, headers=key)
        assert response.status_code == 400, wrong
    put = await client.put(
        f"{USERS}/{user.id}",
        json={"userName": "blobby@example.com", "displayName": "Blobby again"},
        headers=key,
    )
    assert put.json()["displayName"] == "Blobby again" and put.json()["active"] is True

    assert (await client.get(f"{EMBED_USERS}/{user.id}", headers=key)).status_code == 404
    assert (await client.delete(f"{USERS}/{org.owner.id}", headers=key)).status_code == 400
    assert (await client.delete(f"{USERS}/{user.id}", headers=key)).status_code == 204
    assert (await client.get(f"{USERS}/{user.id}", headers=key)).status_code == 404
    other = await make_org(database, "Globex")
    assert (
        await client.get(f"{USERS}/{org.owner.id}", headers=bearer(other.org_key))
    ).status_code == 404
    anonymous = await client.get(USERS)
    assert anonymous.status_code == 401
    assert anonymous.json()["schemas"] == ["urn:ietf:params:scim:api:messages:2.0:Error"]
    assert anonymous.json()["status"] == "401" and anonymous.json()["detail"]


async def test_deactivating_an_embed_user_ends_its_sessions(
    client: httpx.AsyncClient, org: Org
) -> None:
    key = bearer(org.org_key)
    session_id = (await client.post(SESSION, json=embed_body(), headers=key)).json()["sessionId"]
    token = (await client.post("/embed/redeem", json={"sessionId": session_id})).json()["token"]
    assert (await client.get("/api/v1/whoami", headers=bearer(token))).status_code == 200
    (user,) = (await client.get(EMBED_USERS, headers=key)).json()["Resources"]
    patch = {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "replace", "path": "active", "value": False}],
    }
    response = await client.patch(f"{EMBED_USERS}/{user['id']}", json=patch, headers=key)
    check(ScimEmbedUser, response.json())
    assert (await client.get("/api/v1/whoami", headers=bearer(token))).status_code == 401
    # A new session signs it in again: the organization's backend decides who may.
    again = (await client.post(SESSION, json=embed_body(), headers=key)).json()["sessionId"]
    assert (await client.post("/embed/redeem", json={"sessionId": again})).status_code == 200
