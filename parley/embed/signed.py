"""Standard SSO: one login URL, signed by the organization's backend with its embed
secret, that upserts the embed user and signs it in.

The signature follows Omni's documented (v0) format: HMAC-SHA256, keyed by the embed
secret, over the login URL, then ``contentPath``, ``externalId``, ``name`` and
``nonce``, then every other parameter in alphabetical order of its name, one value a
line; the digest is base64url without padding. Parley's login URL for an organization
is ``<public URL>/embed/<organization id>/login``, since one Parley serves many.

A nonce is spent once and kept, so a URL never signs in twice. Omni's URLs carry no
time; a URL that also carries ``timestamp`` (Unix seconds, signed like every other
parameter) is refused once it is more than five minutes away from the server's clock."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import secrets
import uuid
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qsl

from pydantic import ValidationError
from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from parley.embed import sessions
from parley.embed.sessions import EmbedUserRequest, Redeemed
from parley.http.errors import BadRequest
from parley.kit import clock
from parley.kit.secretbox import SecretBox, SecretUnreadable
from parley.tables import embed_sessions, embed_settings

REQUIRED = ("contentPath", "externalId", "name", "nonce")
WINDOW = timedelta(minutes=5)
MAX_QUERY = 16_000
_NONCE = re.compile(r"^[A-Za-z0-9]{32}$")
# Parameters Omni sends as JSON text in the URL.
_JSON = ("groups", "userAttributes")


class LoginRefused(BadRequest):
    """A standard SSO URL that cannot sign anyone in (its detail says why)."""


def login_url(public_url: str, org_id: uuid.UUID) -> str:
    return f"{public_url}/embed/{org_id}/login"


def signature(secret: str, url: str, params: dict[str, str]) -> str:
    optional = sorted(name for name in params if name not in (*REQUIRED, "signature"))
    lines = [url, *(params[name] for name in REQUIRED), *(params[name] for name in optional)]
    digest = hmac.new(secret.encode(), "\n".join(lines).encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def new_secret() -> str:
    # 32 characters, as Omni's embed secrets are.
    return secrets.token_urlsafe(24)


async def set_secret(conn: AsyncConnection, org_id: uuid.UUID, box: SecretBox) -> str:
    """A new embed secret for the organization; the former one stops signing at once."""
    secret = new_secret()
    current = await sessions.settings_of(conn, org_id)
    await sessions.save_settings(conn, org_id, current)
    await conn.execute(
        update(embed_settings)
        .where(embed_settings.c.organization_id == org_id)
        .values(sealed_secret=box.seal(secret))
    )
    return secret


async def remove_secret(conn: AsyncConnection, org_id: uuid.UUID) -> None:
    await conn.execute(
        update(embed_settings)
        .where(embed_settings.c.organization_id == org_id)
        .values(sealed_secret=None)
    )


async def _secret(conn: AsyncConnection, org_id: uuid.UUID, box: SecretBox) -> str | None:
    sealed = (
        await conn.execute(
            select(embed_settings.c.sealed_secret).where(embed_settings.c.organization_id == org_id)
        )
    ).scalar()
    if not sealed:
        return None
    try:
        return box.open(sealed)
    except SecretUnreadable as error:
        raise LoginRefused(
            "This server cannot read the organization's embed secret: set a new one"
        ) from error


def _parameters(query: str) -> dict[str, str]:
    if len(query) > MAX_QUERY:
        raise LoginRefused(f"The login URL is longer than {MAX_QUERY} characters")
    try:
        pairs = parse_qsl(query, keep_blank_values=True, strict_parsing=True)
    except ValueError as error:
        raise LoginRefused("The login URL's parameters cannot be read") from error
    params: dict[str, str] = {}
    for name, value in pairs:
        if name in params:
            raise LoginRefused(f"The login URL names {name} twice")
        params[name] = value
    missing = [name for name in (*REQUIRED, "signature") if not params.get(name)]
    if missing:
        raise LoginRefused(f"The login URL lacks {', '.join(missing)}")
    if not _NONCE.match(params["nonce"]):
        raise LoginRefused("nonce: 32 letters and digits")
    return params


def _user(params: dict[str, str]) -> EmbedUserRequest:
    body: dict[str, Any] = {k: v for k, v in params.items() if k != "signature"}
    for name in _JSON:
        if name in body:
            try:
                body[name] = json.loads(body[name])
            except ValueError as error:
                raise LoginRefused(f"{name}: not JSON") from error
    try:
        return EmbedUserRequest.model_validate(body)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise LoginRefused(f"{where}: {first['msg']}") from error


async def sign_in(
    conn: AsyncConnection, org_id: uuid.UUID, query: str, *, public_url: str, box: SecretBox
) -> Redeemed:
    """Check a standard SSO URL's query and sign its user in, once."""
    params = _parameters(query)
    secret = await _secret(conn, org_id, box)
    expected = signature(secret, login_url(public_url, org_id), params) if secret else ""
    # Compared in constant time; an organization without a secret matches nothing.
    if not hmac.compare_digest(expected.encode(), params["signature"].encode()) or not secret:
        raise LoginRefused("The login URL's signature does not match")
    now = clock.utcnow()
    if "timestamp" in params:
        try:
            made = int(params["timestamp"])
        except ValueError as error:
            raise LoginRefused("timestamp: Unix seconds") from error
        if abs(now.timestamp() - made) > WINDOW.total_seconds():
            raise LoginRefused("The login URL has expired: make a new one")
    body = _user(params)
    path = body.content_path()
    member = await sessions.upsert_user(conn, org_id, body)
    # The nonce is kept as a spent session, so the same URL never signs in again.
    spent = hashlib.sha256(f"nonce:{org_id}:{params['nonce']}".encode()).hexdigest()
    try:
        async with conn.begin_nested():
            await conn.execute(
                insert(embed_sessions).values(
                    id=uuid.uuid4(),
                    secret_hash=spent,
                    organization_id=org_id,
                    membership_id=member.id,
                    content_path=path,
                    created_at=now,
                    expires_at=now,
                    redeemed_at=now,
                )
            )
    except IntegrityError as error:
        raise LoginRefused("The login URL was already used: make a new one") from error
    length = (await sessions.settings_of(conn, org_id)).sessionLengthMinutes
    return await sessions.issue_token(conn, member, path, now, length)
