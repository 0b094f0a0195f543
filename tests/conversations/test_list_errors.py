"""Every 400/401/403 of docs/api.md on the conversation list, in the one error shape."""

from __future__ import annotations

import base64
import uuid

import httpx
import pytest

from parley.db.database import Database
from tests.factories import Org, add_conversations, bearer, make_org

URL = "/api/v1/ai/conversations"


@pytest.fixture
async def org(database: Database, org: Org) -> Org:
    """The shared organization, with five conversations to list."""
    await add_conversations(database, org.id, org.owner.id, 5)
    return org


def assert_error(response: httpx.Response, status: int) -> str:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"detail", "status"}
    assert body["status"] == status
    assert isinstance(body["detail"], str) and body["detail"]
    detail: str = body["detail"]
    return detail


@pytest.mark.parametrize(
    "params",
    [
        {"pageSize": "0"},
        {"pageSize": "101"},
        {"pageSize": "-5"},
        {"pageSize": "ten"},
        {"pageSize": "1.5"},
        {"userId": "not-a-uuid"},
        {"userId": "123"},
        {"cursor": "garbage!!"},
        {"cursor": "x" * 2000},
        {"q": "x" * 201},
        {"q": "nul\x00byte"},
    ],
)
async def test_bad_parameters_are_400(
    client: httpx.AsyncClient, org: Org, params: dict[str, str]
) -> None:
    assert_error(await client.get(URL, params=params, headers=bearer(org.org_key)), 400)


async def test_unknown_parameters_are_ignored(client: httpx.AsyncClient, org: Org) -> None:
    response = await client.get(URL, params={"colour": "blue"}, headers=bearer(org.owner.token))
    assert response.status_code == 200


async def test_tampered_cursor_is_400(client: httpx.AsyncClient, org: Org) -> None:
    page = await client.get(URL, params={"pageSize": 2}, headers=bearer(org.owner.token))
    cursor = page.json()["pageInfo"]["nextCursor"]
    raw = bytearray(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    raw[5] ^= 0x01
    forged = base64.urlsafe_b64encode(bytes(raw)).rstrip(b"=").decode()
    detail = assert_error(
        await client.get(URL, params={"cursor": forged}, headers=bearer(org.owner.token)), 400
    )
    assert "cursor" in detail.lower()


async def test_cursor_from_another_scope_is_400(
    client: httpx.AsyncClient, database: Database, org: Org
) -> None:
    page = await client.get(URL, params={"pageSize": 2}, headers=bearer(org.owner.token))
    cursor = page.json()["pageInfo"]["nextCursor"]
    # Same organization, organization-wide scope instead of the member's.
    assert_error(await client.get(URL, params={"cursor": cursor}, headers=bearer(org.org_key)), 400)
    # Another organization entirely.
    other = await make_org(database, "Globex")
    assert_error(
        await client.get(URL, params={"cursor": cursor}, headers=bearer(other.owner.token)), 400
    )
    # The same cursor still works in its own scope.
    again = await client.get(URL, params={"cursor": cursor}, headers=bearer(org.owner.token))
    assert again.status_code == 200


async def test_personal_token_with_user_id_is_403(client: httpx.AsyncClient, org: Org) -> None:
    for user_id in (str(org.owner.id), str(uuid.uuid4())):
        assert_error(
            await client.get(URL, params={"userId": user_id}, headers=bearer(org.owner.token)),
            403,
        )


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": ""},
        {"Authorization": "Bearer"},
        {"Authorization": "Basic dXNlcjpwYXNz"},
        {"Authorization": "Bearer nonsense"},
        {"Authorization": "Bearer parley_org_" + "0" * 48},
        {"Authorization": "Bearer parley_xyz_" + "0" * 48},
    ],
)
async def test_missing_or_invalid_token_is_401(
    client: httpx.AsyncClient, org: Org, headers: dict[str, str]
) -> None:
    assert_error(await client.get(URL, headers=headers), 401)


@pytest.mark.parametrize("params", [{"pageSize": "0"}, {"userId": "x"}, {"cursor": "x" * 2000}])
async def test_authentication_comes_before_parameter_checks(
    client: httpx.AsyncClient, org: Org, params: dict[str, str]
) -> None:
    # Without a valid key nothing about the request is examined.
    assert_error(await client.get(URL, params=params), 401)
    assert_error(await client.get(URL, params=params, headers=bearer("parley_org_x")), 401)


async def test_token_of_the_wrong_kind_tag_is_401(client: httpx.AsyncClient, org: Org) -> None:
    # A real personal token relabelled as an organization key must not pass.
    relabelled = org.owner.token.replace("parley_pat_", "parley_org_")
    assert_error(await client.get(URL, headers=bearer(relabelled)), 401)


async def test_no_route_answers_422_or_a_list_detail(client: httpx.AsyncClient, org: Org) -> None:
    response = await client.get(
        URL, params={"pageSize": "x", "userId": "y"}, headers=bearer(org.org_key)
    )
    detail = assert_error(response, 400)
    assert "pageSize" in detail and "userId" in detail
    missing = await client.get("/api/v1/nope", headers=bearer(org.org_key))
    assert_error(missing, 404)
