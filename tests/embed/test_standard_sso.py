"""Standard SSO on both state databases: a login URL in Omni's v1 signed payload format,
signed with one of the organization's named embed secrets, signs its user in once;
tampered, replayed, expired, unknown-secret and unsigned URLs do not."""

from __future__ import annotations

import asyncio
import base64
import threading
import uuid
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode, urlsplit

import httpx
import pytest
from sqlalchemy import func, insert, select

from parley.db.database import Database
from parley.embed import signed
from parley.kit import clock
from parley.tables import embed_nonces, embed_secrets
from tests.factories import Org, bearer, make_member, make_org
from tests.support.embed_urls import encode_payload, sign_payload, v1_params
from tests.support.throttle import away_from_a_window_edge

SECRETS = "/api/v1/embed/secrets"
EMBED_USERS = "/api/scim/v2/embed/users"


async def login(
    client: httpx.AsyncClient, login_url: str, params: dict[str, str]
) -> httpx.Response:
    return await client.post(urlsplit(login_url).path, json={"query": urlencode(params)})


async def add(client: httpx.AsyncClient, org: Org, name: str) -> dict[str, Any]:
    made = await client.post(SECRETS, json={"name": name}, headers=bearer(org.org_key))
    assert made.status_code == 201, made.text
    body: dict[str, Any] = made.json()
    return body


def refused(response: httpx.Response, words: str) -> None:
    assert response.status_code == 400, response.text
    body = response.json()
    assert set(body) == {"detail", "status"} and words in body["detail"], body


async def test_a_v1_url_signs_in_once(client: httpx.AsyncClient, org: Org) -> None:
    made = await add(client, org, "Production")
    secret, login_url = made["secret"], made["loginUrl"]
    assert len(secret) == 32 and login_url.endswith(f"/embed/{org.id}/login")
    assert made["name"] == "Production" and made["lastUsedAt"] is None

    params = v1_params(
        secret,
        login_url,
        userAttributes={"region": "EMEA"},
        groups=["Finance"],
        prefersDark="true",
        theme="vibes",
        connectionRoles={"c0ffee": "VIEWER"},
    )
    page = await client.get(urlsplit(login_url).path, params=params)
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
    refused(replayed, "already used")

    # The same user again with a fresh nonce: the same member, renamed.
    again = await login(client, login_url, v1_params(secret, login_url, name="Lin B."))
    assert again.status_code == 200 and again.json()["userId"] == signed_in["userId"]
    listed = (await client.get(SECRETS, headers=bearer(org.org_key))).json()
    (record,) = listed["records"]
    assert record["name"] == "Production" and record["lastUsedAt"] is not None
    assert "secret" not in record and listed["loginUrl"] == login_url


async def test_tampered_expired_unknown_secret_and_unsigned_urls_are_refused(
    client: httpx.AsyncClient, database: Database, org: Org
) -> None:
    made = await add(client, org, "Production")
    secret, login_url = made["secret"], made["loginUrl"]
    good = v1_params(secret, login_url, userAttributes={"region": "EMEA"})

    # Another payload under the first one's signature, or a signature altered by one
    # character: neither matches.
    other_payload = v1_params(secret, login_url, name="Mallory")["payload"]
    flipped = good["signature"][:5] + ("A" if good["signature"][5] != "A" else "B")
    for params in (
        {**good, "payload": other_payload},
        {**good, "signature": flipped + good["signature"][6:]},
        v1_params("an-embed-secret-nobody-added-000", login_url),
        {**good, "signature": "not base64url!"},
    ):
        refused(await login(client, login_url, params), "signature does not match")
    refused(
        await login(client, shared(login_url), {**good, "signature": "not base64url!"}),
        "match any organization's",
    )
    # Another organization, with no secret, does not take this one's signatures.
    other = await make_org(database, "Globex")
    other_url = login_url.replace(str(org.id), str(other.id))
    refused(await login(client, other_url, v1_params(secret, other_url)), "signature")
    # Signed with this organization's secret, but for another login URL.
    elsewhere = v1_params(secret, "https://other.example/embed/login")
    refused(await login(client, login_url, elsewhere), "loginUrl")

    stale = v1_params(secret, login_url, expires_in=-600)
    refused(await login(client, login_url, stale), "expired")
    far = v1_params(secret, login_url, expires_in=8 * 24 * 3600)
    refused(await login(client, login_url, far), "seven days")
    week = v1_params(secret, login_url, expires_in=7 * 24 * 3600)
    assert (await login(client, login_url, week)).status_code == 200

    def signed(payload: str) -> dict[str, str]:
        return {"payload": payload, "signature": sign_payload(secret, payload)}

    no_exp = encode_payload({"loginUrl": login_url, "contentPath": "/my", "externalId": "x"})
    refused(await login(client, login_url, signed(no_exp)), "lacks exp")
    plain = base64.urlsafe_b64encode(b'{"loginUrl": "x"}').decode()
    refused(await login(client, login_url, signed(plain)), "payload cannot be read")
    refused(await login(client, login_url, signed(encode_payload([1, 2]))), "not a JSON object")
    for broken, words in (
        (v1_params(secret, login_url, nonce="short"), "nonce"),
        (v1_params(secret, login_url, externalId=None), "externalId"),
        (v1_params(secret, login_url, groups="Finance"), "groups"),
        ({"payload": good["payload"]}, "lacks signature"),
        ({"signature": good["signature"]}, "lacks payload"),
        ({}, "lacks payload, signature"),
    ):
        refused(await login(client, login_url, broken), words)
    # Omni's retired v0 format: each parameter its own URL parameter.
    v0 = {"contentPath": "/my", "externalId": "x", "name": "X", "nonce": "a" * 32}
    refused(await login(client, login_url, {**v0, "signature": "abc"}), "v0")
    duplicated = await client.post(urlsplit(login_url).path, json={"query": "a=1&a=2"})
    assert duplicated.status_code == 400

    # A payload that would inflate far beyond any real one is not inflated further.
    bomb = encode_payload({"loginUrl": login_url, "name": "a" * 200_000, "exp": 1})
    assert len(bomb) < 16_000
    refused(await login(client, login_url, signed(bomb)), "inflates beyond")
    # Without base64 padding, as other builders may send it, the URL is the same URL.
    bare = v1_params(secret, login_url)
    unpadded = {"payload": bare["payload"].rstrip("="), "signature": bare["signature"]}
    unpadded["signature"] = sign_payload(secret, unpadded["payload"]).rstrip("=")
    assert (await login(client, login_url, unpadded)).status_code == 200

    # The good URL was never spent by the refusals above.
    assert (await login(client, login_url, good)).status_code == 200


async def test_several_named_secrets_sign_until_removed(
    client: httpx.AsyncClient, database: Database, org: Org
) -> None:
    key = bearer(org.org_key)
    production = await add(client, org, "Production")
    staging = await add(client, org, "Staging")
    login_url = production["loginUrl"]
    assert production["secret"] != staging["secret"]
    for made in (production, staging):
        signed_in = await login(client, login_url, v1_params(made["secret"], login_url))
        assert signed_in.status_code == 200, signed_in.text

    duplicate = await client.post(SECRETS, json={"name": "Staging"}, headers=key)
    assert duplicate.status_code == 409 and "Staging" in duplicate.json()["detail"]
    for bad in ({}, {"name": ""}, {"name": "x" * 101}, {"name": 7}):
        assert (await client.post(SECRETS, json=bad, headers=key)).status_code == 400, bad
    listed = (await client.get(SECRETS, headers=key)).json()["records"]
    assert [r["name"] for r in listed] == ["Production", "Staging"]
    assert all(set(r) == {"id", "name", "createdAt", "lastUsedAt"} for r in listed)

    # Another organization neither sees nor removes them.
    other = await make_org(database, "Globex")
    assert (await client.get(SECRETS, headers=bearer(other.org_key))).json()["records"] == []
    gone = await client.delete(f"{SECRETS}/{staging['id']}", headers=bearer(other.org_key))
    assert gone.status_code == 404

    # Removing Staging stops its URLs at once, even unused ones; Production still signs.
    unused = v1_params(staging["secret"], login_url)
    assert (await client.delete(f"{SECRETS}/{staging['id']}", headers=key)).status_code == 204
    refused(await login(client, login_url, unused), "signature does not match")
    assert (await login(client, login_url, v1_params(production["secret"], login_url))).is_success
    assert (await client.delete(f"{SECRETS}/{staging['id']}", headers=key)).status_code == 404
    assert (await client.delete(f"{SECRETS}/not-an-id", headers=key)).status_code == 400
    # With no secret left, standard SSO is off.
    assert (await client.delete(f"{SECRETS}/{production['id']}", headers=key)).status_code == 204
    refused(await login(client, login_url, v1_params(production["secret"], login_url)), "signature")


async def test_spent_nonces_are_kept_only_until_their_url_expires(
    client: httpx.AsyncClient, database: Database, org: Org, monkeypatch: pytest.MonkeyPatch
) -> None:
    made = await add(client, org, "Production")
    secret, login_url = made["secret"], made["loginUrl"]
    short = v1_params(secret, login_url, expires_in=120)
    assert (await login(client, login_url, short)).status_code == 200

    async def spent() -> int:
        async with database.read() as conn:
            count: int = (
                await conn.execute(select(func.count()).select_from(embed_nonces))
            ).scalar_one()
        return count

    assert await spent() == 1
    refused(await login(client, login_url, short), "already used")

    # Past the URL's expiry (and the clock leeway) its nonce may go: the expiry alone
    # refuses the URL now, and the next sign-in clears the row.
    later = clock.utcnow() + timedelta(minutes=10)
    monkeypatch.setattr(clock, "utcnow", lambda: later)
    refused(await login(client, login_url, short), "expired")
    fresh = v1_params(secret, login_url, expires_in=3600)
    assert (await login(client, login_url, fresh)).status_code == 200
    assert await spent() == 1


async def test_only_an_organization_key_manages_secrets(
    client: httpx.AsyncClient, database: Database, org: Org
) -> None:
    member = await make_member(database, org)
    for token in (member.token, org.owner.token):
        assert (
            await client.post(SECRETS, json={"name": "x"}, headers=bearer(token))
        ).status_code == 403
        assert (await client.get(SECRETS, headers=bearer(token))).status_code == 403
    assert (await client.post(SECRETS, json={"name": "x"})).status_code == 401
    # Adding a secret keeps the embed settings already made.
    settings = {"sessionLengthMinutes": 60, "frameAncestors": ["https://app.acme.test"]}
    key = bearer(org.org_key)
    assert (await client.put("/api/v1/embed/settings", json=settings, headers=key)).is_success
    await add(client, org, "Production")
    assert (await client.get("/api/v1/embed/settings", headers=key)).json() == settings
    page = await client.get(f"/embed/{org.id}/login")
    assert "frame-ancestors https://app.acme.test" in page.headers["content-security-policy"]


def shared(login_url: str) -> str:
    """The login URL Omni's SDK builds: the host's /embed/login, naming no organization."""
    parts = urlsplit(login_url)
    return f"{parts.scheme}://{parts.netloc}/embed/login"


async def test_a_url_built_as_omnis_sdk_builds_it_signs_in_to_the_organization_that_signed_it(
    client: httpx.AsyncClient, database: Database, org: Org
) -> None:
    globex, initech = await make_org(database, "Globex"), await make_org(database, "Initech")
    await add(client, org, "Production")
    await add(client, globex, "Production")
    staging = await add(client, globex, "Staging")
    await add(client, initech, "Production")
    allowed = {"sessionLengthMinutes": 60, "frameAncestors": ["https://app.globex.test"]}
    put = await client.put("/api/v1/embed/settings", json=allowed, headers=bearer(globex.org_key))
    assert put.is_success
    login_url = shared(staging["loginUrl"])

    params = v1_params(staging["secret"], login_url, externalId="ann@globex.test")
    page = await client.get("/embed/login", params=params)
    assert page.status_code == 200 and page.headers["cache-control"] == "no-store"
    # The page is framed as the signing organization allows.
    policy = page.headers["content-security-policy"]
    assert "frame-ancestors https://app.globex.test" in policy, policy
    signed_in = await login(client, login_url, params)
    assert signed_in.status_code == 200, signed_in.text
    assert signed_in.json()["organizationId"] == str(globex.id)
    user = await client.get(
        f"{EMBED_USERS}/{signed_in.json()['userId']}", headers=bearer(globex.org_key)
    )
    assert user.json()["embedExternalId"] == "ann@globex.test"
    assert (
        await client.get(f"{EMBED_USERS}/{signed_in.json()['userId']}", headers=bearer(org.org_key))
    ).status_code == 404
    refused(await login(client, login_url, params), "already used")
    listed = (await client.get(SECRETS, headers=bearer(globex.org_key))).json()["records"]
    assert [r["name"] for r in listed if r["lastUsedAt"]] == ["Staging"]

    # Signed by no organization's secret: refused, and the page is framed by nobody.
    nobody = v1_params("an-embed-secret-nobody-added-000", login_url)
    refused(await login(client, login_url, nobody), "signature does not match")
    page = await client.get("/embed/login", params=nobody)
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    # Each login URL takes only payloads signed for it.
    own = staging["loginUrl"]
    refused(await login(client, login_url, v1_params(staging["secret"], own)), "loginUrl")
    refused(await login(client, own, v1_params(staging["secret"], login_url)), "loginUrl")
    assert (await login(client, own, v1_params(staging["secret"], own))).status_code == 200

    # A signature two organizations' secrets would both take signs in to neither.
    async with database.write() as conn:
        sealed = (
            await conn.execute(
                select(embed_secrets.c.sealed_secret).where(
                    embed_secrets.c.id == uuid.UUID(staging["id"])
                )
            )
        ).scalar_one()
        await conn.execute(
            insert(embed_secrets).values(
                id=uuid.uuid4(),
                organization_id=initech.id,
                name="Copied",
                sealed_secret=sealed,
                created_at=clock.utcnow(),
            )
        )
    ambiguous = v1_params(staging["secret"], login_url)
    refused(await login(client, login_url, ambiguous), "signature does not match")


async def test_the_shared_login_url_bounds_the_secrets_it_tries_and_throttles_failures(
    client: httpx.AsyncClient, database: Database, org: Org, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = await add(client, org, "Production")
    await add(client, org, "Staging")
    login_url = shared(first["loginUrl"])
    monkeypatch.setattr(signed, "SHARED_LOGIN_SECRETS", 1)
    refused(await login(client, login_url, v1_params(first["secret"], login_url)), "more than 1")
    monkeypatch.setattr(signed, "SHARED_LOGIN_SECRETS", 2)

    # Bad signatures count as failed authentications from the address: past the limit
    # (20 a minute here) the address gets 429 without any secret being tried, even for
    # a good URL, until the minute is over.
    away_from_a_window_edge()
    statuses = [
        (await login(client, login_url, v1_params("x" * 32, login_url))).status_code
        for _ in range(21)
    ]
    assert statuses == [400] * 20 + [429], statuses
    good = await login(client, login_url, v1_params(first["secret"], login_url))
    assert good.status_code == 429 and int(good.headers["retry-after"]) >= 1
    assert set(good.json()) == {"detail", "status"}
    # An organization's own login URL checks a good URL before the throttle.
    own = first["loginUrl"]
    assert (await login(client, own, v1_params(first["secret"], own))).status_code == 200
    # The page still opens, framed by nobody, and its script shows the 429.
    page = await client.get("/embed/login", params=v1_params(first["secret"], login_url))
    assert page.status_code == 200
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]


async def test_a_signed_url_does_not_reactivate_a_deactivated_embed_user(
    client: httpx.AsyncClient, org: Org
) -> None:
    made = await add(client, org, "Production")
    secret, login_url = made["secret"], made["loginUrl"]
    first = await login(client, login_url, v1_params(secret, login_url))
    assert first.status_code == 200, first.text
    user_url = f"{EMBED_USERS}/{first.json()['userId']}"
    off = {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "replace", "path": "active", "value": False}],
    }
    patched = await client.patch(user_url, json=off, headers=bearer(org.org_key))
    assert patched.status_code == 200, patched.text

    # A URL signed before the deactivation, still within its seven days, is refused.
    refused(await login(client, login_url, v1_params(secret, login_url)), "deactivated")
    user = (await client.get(user_url, headers=bearer(org.org_key))).json()
    assert user["active"] is False
    # Another embed user of the organization still signs in.
    other = v1_params(secret, login_url, externalId="kim@acme.test")
    assert (await login(client, login_url, other)).status_code == 200


async def test_failures_on_the_own_login_url_do_not_lock_out_a_good_url(
    client: httpx.AsyncClient, org: Org
) -> None:
    made = await add(client, org, "Production")
    secret, login_url = made["secret"], made["loginUrl"]
    away_from_a_window_edge()
    statuses = [
        (await login(client, login_url, v1_params("x" * 32, login_url))).status_code
        for _ in range(21)
    ]
    assert statuses == [400] * 20 + [429], statuses
    # The organization's own login URL checks the signature before the throttle: a good
    # URL from the same address still signs in; bad ones keep getting 429.
    good = await login(client, login_url, v1_params(secret, login_url))
    assert good.status_code == 200, good.text
    bad = await login(client, login_url, v1_params("x" * 32, login_url))
    assert bad.status_code == 429


async def test_a_bad_signature_is_refused_without_the_write_turn_and_off_the_event_loop(
    client: httpx.AsyncClient, database: Database, org: Org, monkeypatch: pytest.MonkeyPatch
) -> None:
    made = await add(client, org, "Production")
    login_url = made["loginUrl"]
    threads: list[int] = []
    matches = signed._matches

    def recorded(*args: Any) -> Any:
        threads.append(threading.get_ident())
        return matches(*args)

    monkeypatch.setattr(signed, "_matches", recorded)
    # While another request holds the write turn, a bad signature is still refused.
    async with database.write():
        bad = login(client, login_url, v1_params("x" * 32, login_url))
        refused(await asyncio.wait_for(bad, timeout=10), "signature does not match")
        shared_bad = login(client, shared(login_url), v1_params("x" * 32, login_url))
        refused(await asyncio.wait_for(shared_bad, timeout=10), "signature does not match")
    assert len(threads) == 2 and threading.get_ident() not in threads


async def test_an_exp_no_clock_can_hold_is_refused_clearly(
    client: httpx.AsyncClient, org: Org
) -> None:
    made = await add(client, org, "Production")
    secret, login_url = made["secret"], made["loginUrl"]
    for exp in (-(10**20), -(2**63), -(10**12)):
        payload = encode_payload(
            {
                "loginUrl": login_url,
                "contentPath": "/my",
                "externalId": "x",
                "name": "X",
                "nonce": uuid.uuid4().hex,
                "exp": exp,
            }
        )
        params = {"payload": payload, "signature": sign_payload(secret, payload)}
        refused(await login(client, login_url, params), "expired")


async def test_a_mismatch_with_an_unreadable_secret_counts_as_a_failed_attempt(
    client: httpx.AsyncClient, database: Database, org: Org
) -> None:
    made = await add(client, org, "Production")
    secret, login_url = made["secret"], made["loginUrl"]
    async with database.write() as conn:
        await conn.execute(
            insert(embed_secrets).values(
                id=uuid.uuid4(),
                organization_id=org.id,
                name="Sealed under an old key",
                sealed_secret="not-sealed-by-this-server",
                created_at=clock.utcnow(),
            )
        )
    # The readable secret still signs.
    assert (await login(client, login_url, v1_params(secret, login_url))).status_code == 200
    answers = [await login(client, login_url, v1_params("x" * 32, login_url)) for _ in range(21)]
    assert [a.status_code for a in answers] == [400] * 20 + [429]
    refused(answers[0], "cannot read one of them")


async def test_the_shared_login_url_tries_the_secrets_once_for_the_page_and_its_sign_in(
    client: httpx.AsyncClient, org: Org, monkeypatch: pytest.MonkeyPatch
) -> None:
    made = await add(client, org, "Production")
    await add(client, org, "Staging")
    login_url = shared(made["loginUrl"])
    tried: list[int] = []
    matches = signed._matches

    def counted(rows: Any, *args: Any) -> Any:
        tried.append(len(rows))
        return matches(rows, *args)

    monkeypatch.setattr(signed, "_matches", counted)
    params = v1_params(made["secret"], login_url)
    assert (await client.get("/embed/login", params=params)).status_code == 200
    assert (await login(client, login_url, params)).status_code == 200
    # Every secret once, for the page; the sign-in's write checks only the one found.
    assert tried == [2, 1]
    refused(await login(client, login_url, params), "already used")
    # Removing the secret stops a URL the page already found the secret for.
    fresh = v1_params(made["secret"], login_url)
    assert (await client.get("/embed/login", params=fresh)).status_code == 200
    gone = await client.delete(f"{SECRETS}/{made['id']}", headers=bearer(org.org_key))
    assert gone.status_code == 204
    refused(await login(client, login_url, fresh), "signature does not match")
