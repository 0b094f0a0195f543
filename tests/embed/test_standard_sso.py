"""Standard SSO on both state databases: one URL signed with the organization's embed
secret signs its user in once; tampered, replayed, expired and unsigned URLs do not."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import string
import time
from typing import Any
from urllib.parse import urlencode, urlsplit

import httpx
import pytest

from parley.db.database import Database
from tests.factories import Org, bearer, make_member, make_org

SECRET = "/api/v1/embed/secret"
EMBED_USERS = "/api/scim/v2/embed/users"


@pytest.fixture
async def org(database: Database) -> Org:
    return await make_org(database)


def nonce() -> str:
    return "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(32))


def sign(secret: str, login_url: str, params: dict[str, str]) -> str:
    """Omni's documented signing, written here independently of the server's code: the
    login URL, the four required values, then the others by name, one a line."""
    required = [params["contentPath"], params["externalId"], params["name"], params["nonce"]]
    others = [
        params[k] for k in sorted(params) if k not in ("contentPath", "externalId", "name", "nonce")
    ]
    text = "\n".join([login_url, *required, *others])
    digest = hmac.new(secret.encode(), text.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def signed_params(secret: str, login_url: str, **extra: str) -> dict[str, str]:
    params = {
        "contentPath": "/my",
        "externalId": "lin@acme.test",
        "name": "Lin",
        "nonce": nonce(),
        **extra,
    }
    return {**params, "signature": sign(secret, login_url, params)}


async def login(
    client: httpx.AsyncClient, login_url: str, params: dict[str, str]
) -> httpx.Response:
    return await client.post(urlsplit(login_url).path, json={"query": urlencode(params)})


async def test_a_signed_url_signs_in_once(client: httpx.AsyncClient, org: Org) -> None:
    made = await client.post(SECRET, headers=bearer(org.org_key))
    assert made.status_code == 200, made.text
    secret, login_url = made.json()["secret"], made.json()["loginUrl"]
    assert len(secret) == 32 and login_url.endswith(f"/embed/{org.id}/login")

    params = signed_params(
        secret,
        login_url,
        userAttributes=json.dumps({"region": "EMEA"}),
        groups=json.dumps(["Finance"]),
        prefersDark="true",
        theme="vibes",
    )
    page = await client.get(f"{urlsplit(login_url).path}?{urlencode(params)}")
    assert page.status_code == 200 and page.headers["cache-control"] == "no-store"
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]

    first = await login(client, login_url, params)
    assert first.status_code == 200, first.text
    signed_in = first.json()
    assert signed_in["organizationId"] == str(org.id) and signed_in["contentPath"] == "/"
    me = (await client.get("/api/v1/whoami", headers=bearer(signed_in["token"]))).json()
    assert me["user"]["membershipId"] == signed_in["userId"]
    user = (
        await client.get(f"{EMBED_USERS}/{signed_in['userId']}", headers=bearer(org.org_key))
    ).json()
    assert user["embedExternalId"] == "lin@acme.test" and user["displayName"] == "Lin"
    assert user["urn:omni:params:1.0:UserAttribute"] == {"region": "EMEA"}
    assert [g["display"] for g in user["groups"]] == ["Finance"]

    replayed = await login(client, login_url, params)
    assert replayed.status_code == 400 and "already used" in replayed.json()["detail"]

    # The same user again with a fresh nonce, opening a page: the same member.
    again = await login(client, login_url, signed_params(secret, login_url, name="Lin B."))
    assert again.status_code == 200 and again.json()["userId"] == signed_in["userId"]


async def test_tampered_expired_and_unsigned_urls_are_refused(
    client: httpx.AsyncClient, database: Database, org: Org
) -> None:
    made = (await client.post(SECRET, headers=bearer(org.org_key))).json()
    secret, login_url = made["secret"], made["loginUrl"]
    good = signed_params(secret, login_url, userAttributes=json.dumps({"region": "EMEA"}))

    def refused(response: httpx.Response, words: str) -> None:
        assert response.status_code == 400, response.text
        body = response.json()
        assert set(body) == {"detail", "status"} and words in body["detail"], body

    tampered: list[dict[str, Any]] = [
        {**good, "name": "Mallory"},
        {**good, "userAttributes": json.dumps({"region": "ALL"})},
        {k: v for k, v in good.items() if k != "userAttributes"},
        {**good, "theme": "dark"},
        {
            **good,
            "signature": good["signature"][:-1] + ("A" if good["signature"][-1] != "A" else "B"),
        },
    ]
    for params in tampered:
        refused(await login(client, login_url, params), "signature does not match")
    # Signed for another server address or another organization: no match either.
    elsewhere = signed_params(secret, "https://other.example/embed/x/login")
    refused(await login(client, login_url, elsewhere), "signature does not match")
    other = await make_org(database, "Globex")
    other_url = login_url.replace(str(org.id), str(other.id))
    refused(await login(client, other_url, signed_params(secret, other_url)), "signature")

    stale = signed_params(secret, login_url, timestamp=str(int(time.time()) - 600))
    refused(await login(client, login_url, stale), "expired")
    fresh = signed_params(secret, login_url, timestamp=str(int(time.time())))
    assert (await login(client, login_url, fresh)).status_code == 200

    for broken, words in (
        ({**good, "nonce": "short"}, "nonce"),
        ({k: v for k, v in good.items() if k != "signature"}, "lacks signature"),
        ({k: v for k, v in good.items() if k != "externalId"}, "lacks externalId"),
    ):
        refused(await login(client, login_url, broken), words)
    bad_json = signed_params(secret, login_url, groups="[not json")
    refused(await login(client, login_url, bad_json), "groups")
    assert (
        await client.post(urlsplit(login_url).path, json={"query": "a=1&a=2"})
    ).status_code == 400

    # A new secret retires the old one; deleting it turns standard SSO off.
    rotated = (await client.post(SECRET, headers=bearer(org.org_key))).json()["secret"]
    refused(await login(client, login_url, signed_params(secret, login_url)), "signature")
    assert (await login(client, login_url, signed_params(rotated, login_url))).status_code == 200
    assert (await client.delete(SECRET, headers=bearer(org.org_key))).status_code == 204
    refused(await login(client, login_url, signed_params(rotated, login_url)), "signature")


async def test_only_an_organization_key_sets_the_secret(
    client: httpx.AsyncClient, database: Database, org: Org
) -> None:
    member = await make_member(database, org)
    assert (await client.post(SECRET, headers=bearer(member.token))).status_code == 403
    assert (await client.post(SECRET, headers=bearer(org.owner.token))).status_code == 403
    assert (await client.post(SECRET)).status_code == 401
    # Setting a secret keeps the embed settings already made.
    settings = {"sessionLengthMinutes": 60, "frameAncestors": ["https://app.acme.test"]}
    key = bearer(org.org_key)
    assert (await client.put("/api/v1/embed/settings", json=settings, headers=key)).is_success
    assert (await client.post(SECRET, headers=key)).status_code == 200
    assert (await client.get("/api/v1/embed/settings", headers=key)).json() == settings
    page = await client.get(f"/embed/{org.id}/login")
    assert "frame-ancestors https://app.acme.test" in page.headers["content-security-policy"]
