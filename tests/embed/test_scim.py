"""SCIM filters in RFC 7644's grammar and PATCH operations on both state databases."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from parley.db.database import Database
from tests.factories import Org, bearer, make_org
from tests.omni.shapes import ScimEmbedList, ScimList, ScimUser, check

USERS = "/api/scim/v2/Users"
EMBED_USERS = "/api/scim/v2/embed/users"
SESSION = "/api/v1/embed/sso/generate-session"
ATTRIBUTES = "urn:omni:params:1.0:UserAttribute"
ERROR = "urn:ietf:params:scim:api:messages:2.0:Error"
PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp"


@pytest.fixture
async def org(database: Database) -> Org:
    return await make_org(database)


async def add(client: httpx.AsyncClient, org: Org, **body: Any) -> dict[str, Any]:
    created = await client.post(USERS, json=body, headers=bearer(org.org_key))
    assert created.status_code == 201, created.text
    return dict(check(ScimUser, created.json()).model_dump(mode="json"))


async def names(client: httpx.AsyncClient, org: Org, text: str, where: str = USERS) -> list[str]:
    response = await client.get(where, params={"filter": text}, headers=bearer(org.org_key))
    assert response.status_code == 200, (text, response.text)
    body = check(ScimEmbedList if "embed" in where else ScimList, response.json())
    assert body.totalResults == len(body.Resources)
    return sorted(user.displayName for user in body.Resources)


async def test_filters_in_the_rfc_grammar(client: httpx.AsyncClient, org: Org) -> None:
    await add(client, org, userName="ann@acme.test", displayName="Ann")
    await add(
        client,
        org,
        userName="bob@globex.test",
        displayName="Bob",
        active=False,
        **{ATTRIBUTES: {"region": "EMEA", "level": 3}},
    )
    listed = check(ScimList, (await client.get(USERS, headers=bearer(org.org_key))).json())
    everyone = sorted(user.displayName for user in listed.Resources)  # with the owner
    assert len(everyone) == 3
    cases = {
        'userName eq "ANN@acme.test"': ["Ann"],
        'USERNAME Eq "ann@ACME.test"': ["Ann"],
        'emails.value ew "@globex.test"': ["Bob"],
        'emails[value co "acme"]': ["Ann"],
        'emails[value co "acme" and primary eq true]': ["Ann"],
        'emails[type eq "work"]': [],
        'displayName co "nn"': ["Ann"],
        'displayName sw "b"': ["Bob"],
        'userName ne "ann@acme.test" and userName ew ".test"': ["Bob"],
        "active eq false": ["Bob"],
        "not (active eq false) and displayName pr": [n for n in everyone if n != "Bob"],
        '(displayName eq "Ann" or displayName eq "Bob") and active eq true': ["Ann"],
        "externalId pr": [],
        f'{ATTRIBUTES}:region eq "EMEA"': ["Bob"],
        f"{ATTRIBUTES}:level gt 2": ["Bob"],
        f"{ATTRIBUTES}:level lt 3": [],
        'meta.lastModified gt "2000-01-01T00:00:00Z"': everyone,
        'meta.created lt "2000-01-01T00:00:00Z"': [],
        'urn:ietf:params:scim:schemas:core:2.0:User:displayName eq "Ann"': ["Ann"],
        'id eq "not-an-id"': [],
    }
    for text, expected in cases.items():
        assert await names(client, org, text) == sorted(expected), text


async def test_a_bad_filter_is_a_scim_400(client: httpx.AsyncClient, org: Org) -> None:
    for text in (
        "userName eq",
        'userName xx "a"',
        '(userName eq "a"',
        'nickName eq "a"',
        'active sw "t"',
        'active eq "yes"',
        "active gt true",
        'meta.lastModified gt "yesterday"',
        "displayName eq 5",
        'displayName[value eq "a"]',
        "x" * 2001,
    ):
        response = await client.get(USERS, params={"filter": text}, headers=bearer(org.org_key))
        assert response.status_code == 400, text
        body = response.json()
        assert body["schemas"] == [ERROR] and body["scimType"] == "invalidFilter", text
        assert body["status"] == "400" and body["detail"].startswith("filter"), text


async def test_embed_user_filters(client: httpx.AsyncClient, org: Org) -> None:
    key = bearer(org.org_key)
    for external, name in (("ada@example.com", "Ada"), ("sales-42", "Grace")):
        body = {"contentPath": "/my", "externalId": external, "name": name}
        assert (await client.post(SESSION, json=body, headers=key)).status_code == 200
    assert await names(client, org, 'userName eq "ada@example.com"', EMBED_USERS) == ["Ada"]
    assert await names(client, org, 'embedExternalId co "sales"', EMBED_USERS) == ["Grace"]
    # External ids are case-exact, as RFC 7643 has them.
    assert await names(client, org, 'embedExternalId eq "SALES-42"', EMBED_USERS) == []
    assert await names(client, org, 'userName ew "@embed.parley.invalid"', EMBED_USERS) == [
        "Ada",
        "Grace",
    ]
    assert await names(client, org, 'userName ne "sales-42"', EMBED_USERS) == ["Ada"]
    # userName's external id half is case-exact too; its address half is not.
    assert await names(client, org, 'userName eq "Ada@Example.com"', EMBED_USERS) == []
    assert await names(client, org, 'userName eq "Sales-42"', EMBED_USERS) == []
    assert await names(client, org, 'userName eq "sales-42"', EMBED_USERS) == ["Grace"]
    assert await names(client, org, 'userName sw "SALES"', EMBED_USERS) == []
    # Embed users are not in the members' list, whatever the filter.
    assert await names(client, org, 'userName eq "ada@example.com"') == []


async def test_patch_operations(client: httpx.AsyncClient, org: Org) -> None:
    key = bearer(org.org_key)
    user = await add(
        client, org, userName="cy@acme.test", displayName="Cy", **{ATTRIBUTES: {"a": 1, "b": 2}}
    )
    where = f"{USERS}/{user['id']}"

    async def patch(*operations: dict[str, Any]) -> httpx.Response:
        body = {"schemas": [PATCH], "Operations": list(operations)}
        return await client.patch(where, json=body, headers=key)

    done = await patch(
        {"op": "Replace", "path": "DISPLAYNAME", "value": "Cyrus"},
        {"op": "add", "path": f"{ATTRIBUTES}:c", "value": "three"},
        {"op": "remove", "path": f"{ATTRIBUTES}:a"},
        {"op": "replace", "path": "active", "value": "False"},
    )
    assert done.status_code == 200, done.text
    body = done.json()
    assert body["displayName"] == "Cyrus" and body["active"] is False
    assert body[ATTRIBUTES] == {"b": 2, "c": "three"}

    # No path: each key of the value is a path; a complex value keeps what it does not name.
    done = await patch(
        {
            "op": "replace",
            "value": {
                "urn:ietf:params:scim:schemas:core:2.0:User": {"displayName": "C."},
                "active": True,
                ATTRIBUTES: {"b": 20},
            },
        }
    )
    assert done.status_code == 200, done.text
    body = done.json()
    assert (body["displayName"], body["active"], body[ATTRIBUTES]) == (
        "C.",
        True,
        {"b": 20, "c": "three"},
    )
    # Writing an identifier's own value is accepted (identity providers send it).
    same = await patch({"op": "replace", "path": "userName", "value": "CY@acme.test"})
    assert same.status_code == 200, same.text
    cleared = await patch({"op": "remove", "path": ATTRIBUTES})
    assert cleared.json()[ATTRIBUTES] == {}

    refusals: dict[str, list[dict[str, Any]]] = {
        "noTarget": [{"op": "remove"}],
        "invalidPath": [
            {"op": "replace", "path": "nickName", "value": "x"},
            {"op": "replace", "path": "emails[value eq", "value": "x"},
            {"op": "add", "path": "urn:example:other:1.0:thing", "value": "x"},
        ],
        "mutability": [
            {"op": "replace", "path": "userName", "value": "other@acme.test"},
            {"op": "replace", "path": "emails[primary eq true].value", "value": "z@acme.test"},
            {"op": "remove", "path": "displayName"},
            {"op": "add", "path": "groups", "value": [{"value": "x"}]},
        ],
        "invalidValue": [
            {"op": "replace", "path": "active", "value": "maybe"},
            {"op": "replace", "path": "active", "value": None},
            {"op": "replace", "path": "displayName", "value": ""},
            {"op": "replace", "path": ATTRIBUTES, "value": "flat"},
        ],
    }
    for scim_type, operations in refusals.items():
        for operation in operations:
            # A refused operation writes nothing, even after a good one.
            good = {"op": "replace", "path": "displayName", "value": "Never"}
            response = await patch(good, operation)
            assert response.status_code == 400, operation
            assert response.json()["scimType"] == scim_type, (operation, response.text)
    after = (await client.get(where, headers=key)).json()
    assert after["displayName"] == "C."
    wrong_schema = await client.patch(
        where,
        json={"schemas": ["urn:x"], "Operations": [{"op": "remove", "path": "a"}]},
        headers=key,
    )
    assert wrong_schema.status_code == 400 and wrong_schema.json()["schemas"] == [ERROR]

    # Identifiers named by their URN or by a value filter (as Entra sends them on every
    # update) are the same identifiers: their own value is accepted, another refused.
    for path in (
        "urn:ietf:params:scim:schemas:core:2.0:User:userName",
        'emails[type eq "work"].value',
    ):
        same = await patch({"op": "replace", "path": path, "value": "Cy@acme.test"})
        assert same.status_code == 200, (path, same.text)
        other = await patch({"op": "replace", "path": path, "value": "z@acme.test"})
        assert other.json()["scimType"] == "mutability", (path, other.text)

    # A whole user without a path: what Parley does not store is ignored, identifiers
    # at their own value are accepted, and the display name changes.
    whole = {
        "displayName": "B",
        "name": {"givenName": "B", "familyName": "C"},
        "phoneNumbers": [{"value": "555", "type": "work"}],
        "userName": "cy@acme.test",
        "emails": [{"value": "cy@acme.test", "type": "work", "primary": True}],
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"department": "X"},
    }
    done = await patch({"op": "replace", "value": whole})
    assert done.status_code == 200, done.text
    assert done.json()["displayName"] == "B"
    for bad, scim_type in (
        ({"displayName": "D", "bogus": 1}, "invalidPath"),
        ({"displayName": "D", "emails": [{"value": "z@acme.test"}]}, "mutability"),
    ):
        response = await patch({"op": "replace", "value": bad})
        assert response.json()["scimType"] == scim_type, (bad, response.text)
    assert (await client.get(where, headers=key)).json()["displayName"] == "B"


async def test_an_organization_key_cannot_act_as_a_deactivated_member(
    client: httpx.AsyncClient, org: Org
) -> None:
    """Deactivating a member revokes their tokens; an organization key naming them (or,
    for the owner, naming nobody) may no longer act for them either. Reading their
    conversations stays allowed."""
    key = bearer(org.org_key)
    user = await add(client, org, userName="di@acme.test", displayName="Di")
    off = {"schemas": [PATCH], "Operations": [{"op": "replace", "path": "active", "value": False}]}
    assert (await client.patch(f"{USERS}/{user['id']}", json=off, headers=key)).status_code == 200
    body = {"modelId": "00000000-0000-0000-0000-000000000001", "prompt": "Revenue"}
    acting = await client.post(
        "/api/v1/ai/jobs", json=body, params={"userId": user["id"]}, headers=key
    )
    assert acting.status_code == 403, acting.text
    assert "deactivated" in acting.json()["detail"]
    listed = await client.get(
        "/api/v1/ai/conversations", params={"userId": user["id"]}, headers=key
    )
    assert listed.status_code == 200
    # Active again: the key acts for them (the made-up model is then the refusal).
    on = {"schemas": [PATCH], "Operations": [{"op": "replace", "path": "active", "value": True}]}
    assert (await client.patch(f"{USERS}/{user['id']}", json=on, headers=key)).status_code == 200
    again = await client.post(
        "/api/v1/ai/jobs", json=body, params={"userId": user["id"]}, headers=key
    )
    assert again.status_code == 404 and "model" in again.json()["detail"].lower()
