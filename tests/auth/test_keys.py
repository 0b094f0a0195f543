"""Tokens: revoked and expired keys, secrets kept out of storage and logs, rate limits."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import MetaData, select

from parley.accounts import service
from parley.db.database import Database
from parley.kit import clock
from parley.tables import metadata
from tests.factories import Org, add_conversations, bearer

URL = "/api/v1/ai/conversations"


async def test_revoked_key_is_401(client: httpx.AsyncClient, database: Database, org: Org) -> None:
    async with database.write() as conn:
        new = await service.create_key(conn, org.id)
    assert (await client.get(URL, headers=bearer(new.token))).status_code == 200
    async with database.write() as conn:
        await service.revoke_key(conn, new.key.id)
    response = await client.get(URL, headers=bearer(new.token))
    assert response.status_code == 401
    assert response.json() == {"detail": "Missing or invalid API key", "status": 401}
    # Other keys of the organization are untouched.
    assert (await client.get(URL, headers=bearer(org.org_key))).status_code == 200


async def test_expired_key_is_401(
    client: httpx.AsyncClient, database: Database, org: Org, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with database.write() as conn:
        new = await service.create_key(conn, org.id, org.owner.id, expires_in_days=2)
    assert (await client.get(URL, headers=bearer(new.token))).status_code == 200
    later = datetime.now(UTC) + timedelta(days=2, seconds=1)
    monkeypatch.setattr(clock, "utcnow", lambda: later)
    assert (await client.get(URL, headers=bearer(new.token))).status_code == 401
    # A key without expiry still works at that time.
    assert (await client.get(URL, headers=bearer(org.owner.token))).status_code == 200


async def _all_stored_text(database: Database) -> str:
    reflected = MetaData()
    parts: list[str] = []
    async with database.read() as conn:
        await conn.run_sync(reflected.reflect)
        for table in reflected.sorted_tables:
            for row in await conn.execute(select(table)):
                parts.extend(str(value) for value in row)
    return "\n".join(parts)


async def test_secrets_are_stored_nowhere_and_logged_nowhere(
    client: httpx.AsyncClient,
    database: Database,
    org: Org,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    await add_conversations(database, org.id, org.owner.id, 3)
    tokens = [org.org_key, org.owner.token]
    for token in tokens:
        assert (await client.get(URL, headers=bearer(token))).status_code == 200
        assert (await client.get(URL, headers=bearer(token + "x"))).status_code == 401
        # A client that wrongly puts its token in the URL does not get it logged either.
        await client.get(URL, params={"token": token}, headers=bearer(token))
    stored = await _all_stored_text(database)
    assert "api_keys" in {t.name for t in metadata.sorted_tables}
    # Everything the server side logged (the test's own HTTP client logs its URLs).
    server_records = [r for r in caplog.records if not r.name.startswith(("httpx", "httpcore"))]
    logged = "\n".join(record.getMessage() + str(vars(record)) for record in server_records)
    assert any(r.name == "parley.access" for r in caplog.records)
    for token in tokens:
        secret = token.split("_", 2)[2]
        assert secret not in stored
        assert secret[12:] not in stored  # not even the part after the lookup prefix
        assert secret not in logged
    if database.is_sqlite:
        path = Path(database.url.database or "")
        data = b"".join(p.read_bytes() for p in (path, Path(f"{path}-wal")) if p.exists())
        for token in tokens:
            assert token.split("_", 2)[2].encode() not in data


async def test_rate_limit_answers_429_with_headers(
    client: httpx.AsyncClient, database: Database
) -> None:
    async with database.write() as conn:
        org, owner = await service.create_organization(conn, "Tiny", rate_limit=3)
        key = await service.create_key(conn, org.id, owner.id)
        other_key = await service.create_key(conn, org.id)
    statuses = []
    for _ in range(4):
        response = await client.get(URL, headers=bearer(key.token))
        statuses.append(response.status_code)
        assert response.headers["RateLimit-Limit"] == "3"
    assert statuses == [200, 200, 200, 429]
    assert response.json()["status"] == 429
    assert 1 <= int(response.headers["Retry-After"]) <= 60
    assert response.headers["RateLimit-Remaining"] == "0"
    # The limit is per token: another key of the organization still gets through.
    assert (await client.get(URL, headers=bearer(other_key.token))).status_code == 200


async def test_unlimited_organizations_get_no_rate_limit_headers(
    client: httpx.AsyncClient, org: Org
) -> None:
    response = await client.get(URL, headers=bearer(org.owner.token))
    assert "RateLimit-Limit" not in response.headers
    assert response.headers["X-Request-ID"]


async def test_whoami(client: httpx.AsyncClient, org: Org) -> None:
    as_member = (await client.get("/api/v1/whoami", headers=bearer(org.owner.token))).json()
    assert as_member == {
        "keyScope": "user",
        "organizationId": str(org.id),
        "user": {"membershipId": str(org.owner.id), "role": "ORG_ADMIN"},
    }
    as_org = (await client.get("/api/v1/whoami", headers=bearer(org.org_key))).json()
    assert as_org == {"keyScope": "organization", "organizationId": str(org.id), "user": None}
    assert (await client.get("/api/v1/whoami")).status_code == 401
