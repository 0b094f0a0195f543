"""Property tests: no id, token or cursor ever reveals another organization's or another
member's conversations."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from parley.db.database import Database
from tests.factories import Member, Org, add_conversations, bearer, make_member, make_org

URL = "/api/v1/ai/conversations"
# The fixtures below are set up once per test and only read by the examples.
examples = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@dataclass
class World:
    acme: Org
    alice: Member
    globex: Org
    owned: dict[uuid.UUID, set[str]]  # member id -> conversation ids
    org_of: dict[str, uuid.UUID]  # conversation id -> organization id


@pytest.fixture
async def world(database: Database) -> World:
    acme, globex = await make_org(database, "Acme"), await make_org(database, "Globex")
    alice = await make_member(database, acme)
    owned: dict[uuid.UUID, set[str]] = {}
    org_of: dict[str, uuid.UUID] = {}
    for org, member_id, n in (
        (acme, acme.owner.id, 4),
        (acme, alice.id, 3),
        (globex, globex.owner.id, 5),
    ):
        ids = {str(i) for i in await add_conversations(database, org.id, member_id, n)}
        owned[member_id] = ids
        org_of.update(dict.fromkeys(ids, org.id))
    return World(acme, alice, globex, owned, org_of)


@examples
@given(user_id=st.uuids(), page_size=st.integers(1, 100))
async def test_random_user_ids_reveal_nothing(
    client: httpx.AsyncClient, world: World, user_id: uuid.UUID, page_size: int
) -> None:
    response = await client.get(
        URL,
        params={"userId": str(user_id), "pageSize": page_size},
        headers=bearer(world.acme.org_key),
    )
    assert response.status_code == 200
    assert response.json()["data"] == []
    assert response.json()["pageInfo"]["totalRecords"] == 0


@examples
@given(pick=st.sampled_from(["acme-owner", "alice", "globex-owner"]))
async def test_org_key_with_any_member_sees_only_its_organization(
    client: httpx.AsyncClient, world: World, pick: str
) -> None:
    member_id = {
        "acme-owner": world.acme.owner.id,
        "alice": world.alice.id,
        "globex-owner": world.globex.owner.id,
    }[pick]
    response = await client.get(
        URL, params={"userId": str(member_id)}, headers=bearer(world.acme.org_key)
    )
    ids = {c["id"] for c in response.json()["data"]}
    expected = world.owned[member_id] if pick != "globex-owner" else set()
    assert ids == expected


@examples
@given(token=st.text(min_size=0, max_size=80) | st.from_regex(r"parley_(org|pat)_[0-9a-f]{48}"))
async def test_random_tokens_are_always_401(
    client: httpx.AsyncClient, world: World, token: str
) -> None:
    try:
        response = await client.get(URL, headers={"Authorization": f"Bearer {token}"})
    except (UnicodeEncodeError, httpx.LocalProtocolError):
        return  # not a header value any HTTP client can send
    # 401, or 429 once this client has failed more often than the throttle allows: a
    # random token never reads anything.
    assert response.status_code in (401, 429)
    assert set(response.json()) == {"detail", "status"}


@examples
@given(cursor=st.text(alphabet=st.characters(codec="ascii"), min_size=1, max_size=200))
async def test_random_cursors_are_400_never_data(
    client: httpx.AsyncClient, world: World, cursor: str
) -> None:
    response = await client.get(URL, params={"cursor": cursor}, headers=bearer(world.alice.token))
    assert response.status_code == 400
    assert response.json()["status"] == 400


@examples
@given(page_size=st.integers(1, 100), use_org_key=st.booleans())
async def test_every_token_sees_exactly_its_scope(
    client: httpx.AsyncClient, world: World, page_size: int, use_org_key: bool
) -> None:
    token = world.acme.org_key if use_org_key else world.alice.token
    seen: set[str] = set()
    cursor = None
    while True:
        params: dict[str, str | int] = {"pageSize": page_size}
        if cursor:
            params["cursor"] = cursor
        body = (await client.get(URL, params=params, headers=bearer(token))).json()
        seen |= {c["id"] for c in body["data"]}
        cursor = body["pageInfo"]["nextCursor"]
        if not cursor:
            break
    if use_org_key:
        assert seen == world.owned[world.acme.owner.id] | world.owned[world.alice.id]
        assert all(world.org_of[c] == world.acme.id for c in seen)
    else:
        assert seen == world.owned[world.alice.id]
