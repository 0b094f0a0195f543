"""Standard SSO: one login URL, signed by the organization's backend with one of its
embed secrets, that upserts the embed user and signs it in.

The URL follows Omni's v1 signed payload format: ``<login URL>?payload=…&signature=…``.
The payload is a JSON object of the embed parameters (``loginUrl``, ``contentPath``,
``externalId``, ``name``, ``nonce``, ``exp`` and the optional ones, JSON-valued ones as
real objects), compressed with raw DEFLATE and encoded as base64url; the signature is
HMAC-SHA256 of that payload text, keyed by the embed secret, in base64url.

Omni tells organizations apart by host and its SDK signs for ``https://<host>/embed/login``;
one Parley serves many organizations on one host. So there are two login URLs, and the
signed ``loginUrl`` must be the one the URL was sent to: ``<public URL>/embed/login``,
where the signature itself says whose URL it is (the organization whose secret made it,
found by trying every embed secret on the server, up to ``SHARED_LOGIN_SECRETS``), and
``<public URL>/embed/<organization id>/login``, which tries only that organization's.

The URL names no secret, so it is checked against each secret that may have signed it.
``exp`` (Unix seconds) bounds its life: it is refused once past, or if it lies more than
seven days ahead, as Omni's builders allow at most. A nonce is spent once; spent nonces
are kept only until their URL would have expired anyway. Omni's retired v0 format (each
parameter its own URL parameter, no expiry) is refused with a message that says so."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
import secrets
import uuid
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl

import anyio.to_thread
from pydantic import ValidationError
from sqlalchemy import Select, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from parley.embed import directory, sessions
from parley.embed.sessions import EmbedUserRequest, Redeemed
from parley.http.errors import BadRequest, Conflict, NotFound
from parley.kit import clock
from parley.kit.secretbox import SecretBox, SecretUnreadable
from parley.tables import embed_nonces, embed_secrets

# Omni's builders default to 24 hours and allow at most seven days.
MAX_LIFETIME = timedelta(days=7)
# Clocks of the signing backend and of this server may disagree a little.
LEEWAY = timedelta(seconds=60)
MAX_QUERY = 16_000
# The inflated payload: far beyond any real set of embed parameters, small enough that
# a crafted payload cannot make the server inflate much.
MAX_PAYLOAD_BYTES = 64_000
MAX_SECRETS = 20
# The most secrets the shared login URL tries for one request, all organizations'
# together. Each costs an unsealing and an HMAC (600 take about 9 ms, decision 0019),
# so an unauthenticated request costs at most a few tens of milliseconds.
SHARED_LOGIN_SECRETS = 1000
_NONCE = re.compile(r"^[A-Za-z0-9]{32}$")
_BASE64URL = re.compile(r"^[A-Za-z0-9_-]+={0,2}$")
# Parameters only Omni's retired v0 URLs carry at the top level.
_V0 = ("contentPath", "externalId", "nonce")


class LoginRefused(BadRequest):
    """A standard SSO URL that cannot sign anyone in (its detail says why)."""


class SignatureRefused(LoginRefused):
    """A signature no embed secret made: a failed authentication, which the caller
    counts against the client's address."""


@dataclass(frozen=True)
class NamedSecret:
    id: uuid.UUID
    name: str
    created_at: datetime
    last_used_at: datetime | None


def login_url(public_url: str, org_id: uuid.UUID) -> str:
    return f"{public_url}/embed/{org_id}/login"


def shared_login_url(public_url: str) -> str:
    """The login URL Omni's SDK signs for: the same for every organization."""
    return f"{public_url}/embed/login"


def new_secret() -> str:
    # 32 characters, as Omni's embed secrets are.
    return secrets.token_urlsafe(24)


def _unpadded(text: str) -> bytes:
    """base64url, with or without its padding (Omni's builders pad; others may not)."""
    if not _BASE64URL.match(text):
        raise ValueError("not base64url")
    bare = text.rstrip("=")
    return base64.urlsafe_b64decode(bare + "=" * (-len(bare) % 4))


# -- the organization's secrets ---------------------------------------------------------


async def add_secret(
    conn: AsyncConnection, org_id: uuid.UUID, name: str, box: SecretBox
) -> tuple[NamedSecret, str]:
    """A new named secret; the others keep signing, so a backend can move to it first."""
    count = (
        await conn.execute(
            select(func.count())
            .select_from(embed_secrets)
            .where(embed_secrets.c.organization_id == org_id)
        )
    ).scalar_one()
    if count >= MAX_SECRETS:
        raise BadRequest(f"An organization has at most {MAX_SECRETS} embed secrets")
    secret = new_secret()
    made = NamedSecret(uuid.uuid4(), name, clock.utcnow(), None)
    try:
        async with conn.begin_nested():
            await conn.execute(
                insert(embed_secrets).values(
                    id=made.id,
                    organization_id=org_id,
                    name=name,
                    sealed_secret=box.seal(secret),
                    created_at=made.created_at,
                )
            )
    except IntegrityError as error:
        raise Conflict(f"An embed secret named {name!r} already exists") from error
    return made, secret


async def list_secrets(conn: AsyncConnection, org_id: uuid.UUID) -> list[NamedSecret]:
    rows = await conn.execute(
        select(
            embed_secrets.c.id,
            embed_secrets.c.name,
            embed_secrets.c.created_at,
            embed_secrets.c.last_used_at,
        )
        .where(embed_secrets.c.organization_id == org_id)
        .order_by(embed_secrets.c.created_at, embed_secrets.c.name)
    )
    return [NamedSecret(row.id, row.name, row.created_at, row.last_used_at) for row in rows]


async def remove_secret(conn: AsyncConnection, org_id: uuid.UUID, secret_id: uuid.UUID) -> None:
    """The secret stops signing at once; URLs it signed no longer sign anyone in."""
    gone = await conn.execute(
        delete(embed_secrets).where(
            embed_secrets.c.organization_id == org_id, embed_secrets.c.id == secret_id
        )
    )
    if gone.rowcount == 0:
        raise NotFound("No embed secret with that id in this organization")


_OWN = "any of the organization's embed secrets"
_ANY = "any organization's embed secret"


@dataclass(frozen=True)
class Signer:
    secret_id: uuid.UUID
    organization_id: uuid.UUID


def _signature(text: str, whose: str) -> bytes:
    try:
        return _unpadded(text)
    except (ValueError, binascii.Error):
        raise SignatureRefused(f"The login URL's signature does not match {whose}") from None


_SEALED = select(embed_secrets.c.id, embed_secrets.c.organization_id, embed_secrets.c.sealed_secret)


async def _sealed(
    conn: AsyncConnection, query: Select[Any]
) -> list[tuple[uuid.UUID, uuid.UUID, str]]:
    rows = await conn.execute(query)
    return [(row.id, row.organization_id, row.sealed_secret) for row in rows]


def _matches(
    rows: Sequence[tuple[uuid.UUID, uuid.UUID, str]], box: SecretBox, payload: str, given: bytes
) -> tuple[list[Signer], bool]:
    """The secrets among ``rows`` that made this signature, and whether any could not be
    read. Every secret is tried, each in constant time, whichever matches."""
    found: list[Signer] = []
    unreadable = False
    for secret_id, org_id, sealed in rows:
        try:
            secret = box.open(sealed)
        except SecretUnreadable:
            unreadable = True
            continue
        digest = hmac.new(secret.encode(), payload.encode(), hashlib.sha256).digest()
        if hmac.compare_digest(digest, given):
            found.append(Signer(secret_id, org_id))
    return found, unreadable


async def _tried(
    rows: Sequence[tuple[uuid.UUID, uuid.UUID, str]], box: SecretBox, payload: str, given: bytes
) -> tuple[list[Signer], bool]:
    # Up to SHARED_LOGIN_SECRETS unsealings and HMACs: off the event loop, so one
    # unauthenticated request does not stall every other request the server handles.
    return await anyio.to_thread.run_sync(_matches, rows, box, payload, given)


async def signer(conn: AsyncConnection, org_id: uuid.UUID, query: str, box: SecretBox) -> Signer:
    """The organization's secret that made the signature of a URL sent to its own login
    URL. A read is enough: ``sign_in`` checks that secret again in its write."""
    params = _parameters(query)
    given = _signature(params["signature"], _OWN)
    rows = await _sealed(conn, _SEALED.where(embed_secrets.c.organization_id == org_id))
    found, unreadable = await _tried(rows, box, params["payload"], given)
    if len(found) == 1:
        return found[0]
    if unreadable:
        # Still a signature no readable secret made: counted as a failed attempt.
        raise SignatureRefused(
            "The login URL's signature does not match any of the organization's readable "
            "embed secrets, and this server cannot read one of them: add a new one"
        )
    raise SignatureRefused(f"The login URL's signature does not match {_OWN}")


async def _still_signs(
    conn: AsyncConnection, found: Signer, box: SecretBox, payload: str, signature: str
) -> None:
    """The secret found in a read still exists and made this signature: one HMAC."""
    given = _signature(signature, _OWN)
    rows = await _sealed(
        conn,
        _SEALED.where(
            embed_secrets.c.id == found.secret_id,
            embed_secrets.c.organization_id == found.organization_id,
        ),
    )
    matched, _ = _matches(rows, box, payload, given)
    if matched != [found]:
        raise SignatureRefused(f"The login URL's signature does not match {_OWN}")


async def signing_organization(conn: AsyncConnection, query: str, box: SecretBox) -> Signer:
    """The organization whose embed secret signed a URL sent to the shared login URL.

    Exactly one secret on the server must have made the signature: a URL that two would
    take (two organizations holding the same secret) is refused like a bad signature. An
    unreadable secret is skipped here, since it cannot be told whose URL it would have
    taken; the organization's own login URL says so."""
    params = _parameters(query)
    given = _signature(params["signature"], _ANY)
    rows = await _sealed(conn, _SEALED.limit(SHARED_LOGIN_SECRETS + 1))
    if len(rows) > SHARED_LOGIN_SECRETS:
        raise LoginRefused(
            f"This server holds more than {SHARED_LOGIN_SECRETS} embed secrets, more than "
            "/embed/login tries for one URL: sign for the organization's own login URL, "
            "/embed/<organization id>/login"
        )
    found, _ = await _tried(rows, box, params["payload"], given)
    if len(found) != 1:
        raise SignatureRefused(f"The login URL's signature does not match {_ANY}")
    return found[0]


# -- the login URL ------------------------------------------------------------------------


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
    if "payload" not in params and any(name in params for name in _V0):
        raise LoginRefused(
            "The login URL uses Omni's retired v0 signing format: "
            "sign it in the v1 payload format (payload and signature)"
        )
    missing = [name for name in ("payload", "signature") if not params.get(name)]
    if missing:
        raise LoginRefused(f"The login URL lacks {', '.join(missing)}")
    return params


def _payload(text: str) -> dict[str, Any]:
    """The signed payload: base64url of raw DEFLATE of a JSON object."""
    try:
        inflater = zlib.decompressobj(-zlib.MAX_WBITS)
        raw = inflater.decompress(_unpadded(text), MAX_PAYLOAD_BYTES)
        if inflater.unconsumed_tail:
            raise LoginRefused(f"The login URL's payload inflates beyond {MAX_PAYLOAD_BYTES} bytes")
        if not inflater.eof:
            raise ValueError("truncated")
        found = json.loads(raw.decode("utf-8"))
    except (ValueError, binascii.Error, zlib.error) as error:
        raise LoginRefused(
            "The login URL's payload cannot be read: base64url of raw DEFLATE of a JSON object"
        ) from error
    if not isinstance(found, dict):
        raise LoginRefused("The login URL's payload is not a JSON object")
    return found


def _expiry(payload: dict[str, Any], now: datetime) -> datetime:
    exp = payload.get("exp")
    if exp is None:
        raise LoginRefused("The login URL's payload lacks exp")
    if isinstance(exp, bool) or not isinstance(exp, int):
        raise LoginRefused("exp: Unix seconds, a whole number")
    if exp > (now + MAX_LIFETIME + LEEWAY).timestamp():
        raise LoginRefused("exp: at most seven days ahead")
    # Compared as numbers first: a time far in the past is no datetime at all.
    if exp < (now - LEEWAY).timestamp():
        raise LoginRefused("The login URL has expired: make a new one")
    return datetime.fromtimestamp(exp, UTC)


def _user(payload: dict[str, Any]) -> EmbedUserRequest:
    nonce = payload.get("nonce")
    if not isinstance(nonce, str) or not _NONCE.match(nonce):
        raise LoginRefused("nonce: 32 letters and digits")
    try:
        return EmbedUserRequest.model_validate(payload)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise LoginRefused(f"{where}: {first['msg']}") from error


async def _spend(
    conn: AsyncConnection, org_id: uuid.UUID, nonce: str, expires: datetime, now: datetime
) -> None:
    """Keep the nonce until its URL expires, so the same URL never signs in twice."""
    # A nonce whose URL has expired can go: the expiry alone refuses that URL now.
    await conn.execute(delete(embed_nonces).where(embed_nonces.c.expires_at < now))
    try:
        async with conn.begin_nested():
            await conn.execute(
                insert(embed_nonces).values(
                    organization_id=org_id,
                    nonce_hash=hashlib.sha256(nonce.encode()).hexdigest(),
                    expires_at=expires + LEEWAY,
                )
            )
    except IntegrityError as error:
        raise LoginRefused("The login URL was already used: make a new one") from error


async def sign_in(
    conn: AsyncConnection, found: Signer, query: str, *, sent_to: str, box: SecretBox
) -> Redeemed:
    """Check a standard SSO URL's query and sign its user in, once. ``found`` is the
    secret a read found to have signed it (``signer`` or ``signing_organization``),
    checked again here; ``sent_to`` is the login URL it came to, which its signed
    ``loginUrl`` must name."""
    org_id = found.organization_id
    params = _parameters(query)
    # The signature is checked before the payload is even inflated.
    await _still_signs(conn, found, box, params["payload"], params["signature"])
    payload = _payload(params["payload"])
    now = clock.utcnow()
    expires = _expiry(payload, now)
    if payload.get("loginUrl") != sent_to:
        raise LoginRefused(f"loginUrl: this login URL is {sent_to}")
    body = _user(payload)
    path = body.content_path()
    known = await directory.by_external_id(conn, org_id, body.externalId)
    if known is not None and not known.active:
        # Deactivated through SCIM: a signed URL, alive up to seven days, does not undo it.
        raise LoginRefused("This embed user is deactivated: the organization must reactivate it")
    await _spend(conn, org_id, str(payload["nonce"]), expires, now)
    await conn.execute(
        update(embed_secrets).where(embed_secrets.c.id == found.secret_id).values(last_used_at=now)
    )
    member = await sessions.upsert_user(conn, org_id, body)
    length = (await sessions.settings_of(conn, org_id)).sessionLengthMinutes
    return await sessions.issue_token(conn, member, path, now, length)
