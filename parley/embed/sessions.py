"""Embed sign-in: an organization's backend asks for a short-lived, single-use session
for one of its users; the user's browser redeems it once for a personal token that
lasts as long as the organization's embed sessions do."""

from __future__ import annotations

import hashlib
import json
import re
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from pydantic import ConfigDict, Field, field_validator
from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from parley.accounts import repository as accounts
from parley.embed import directory
from parley.http.errors import BadRequest, NotFound
from parley.http.text import RequestBody
from parley.kit import clock, tokens
from parley.tables import embed_sessions, embed_settings

# As on Omni: a session must be redeemed within five minutes of being made.
SESSION_TTL = timedelta(minutes=5)
DEFAULT_SESSION_MINUTES = 24 * 60
MAX_SESSION_MINUTES = 30 * 24 * 60
# Content paths the embedded page can open: the page itself or one conversation.
_CONTENT = re.compile(r"^/(chat/[0-9a-fA-F-]{36})?$")


class EmbedUserRequest(RequestBody):
    """The body of generate-session and generate-url. Omni's other embed parameters
    (theme, connectionRoles, entity, …) are accepted and ignored."""

    model_config = ConfigDict(extra="ignore")

    contentPath: str = Field(min_length=1, max_length=2000)
    externalId: str = Field(min_length=1, max_length=255)
    name: str = Field(min_length=1, max_length=200)
    email: str | None = Field(default=None, max_length=320)
    groups: list[str] | None = Field(default=None, max_length=100)
    userAttributes: dict[str, Any] | str | None = None

    @field_validator("userAttributes")
    @classmethod
    def _attributes(cls, value: dict[str, Any] | str | None) -> dict[str, Any] | None:
        # Omni's signed URLs carry user attributes as a JSON string; accept both forms.
        if isinstance(value, str):
            try:
                value = json.loads(value)
            except ValueError as error:
                raise ValueError("userAttributes must be an object or a JSON object") from error
            if not isinstance(value, dict):
                raise ValueError("userAttributes must be an object or a JSON object")
        return value

    def content_path(self) -> str:
        """``contentPath`` as a path of Parley's page: Omni's ``/my`` and other home
        pages open the page itself; ``/chat/<id>`` (or a full omniChatUrl) opens that
        conversation."""
        path = urlsplit(self.contentPath).path or "/"
        if _CONTENT.match(path):
            return path
        if path.startswith("/chat/"):
            raise BadRequest("contentPath: not a conversation of this server")
        return "/"


class EmbedSettings(RequestBody):
    model_config = ConfigDict(extra="ignore")

    sessionLengthMinutes: int = Field(
        DEFAULT_SESSION_MINUTES, ge=5, le=MAX_SESSION_MINUTES, description="5 minutes to 30 days."
    )
    frameAncestors: list[str] = Field(
        default_factory=list,
        max_length=50,
        description="Origins allowed to frame the embedded page, e.g. https://app.example.com.",
    )

    @field_validator("frameAncestors")
    @classmethod
    def _origins(cls, origins: list[str]) -> list[str]:
        checked = []
        for origin in origins:
            parts = urlsplit(origin)
            if (
                parts.scheme not in ("http", "https")
                or not parts.hostname
                or parts.path not in ("", "/")
                or parts.query
                or parts.fragment
                or parts.username
                or any(c in origin for c in " ;,'\"")
            ):
                raise ValueError(f"{origin!r} is not an origin like https://app.example.com")
            checked.append(f"{parts.scheme}://{parts.netloc}".lower())
        return checked


async def settings_of(conn: AsyncConnection, org_id: uuid.UUID) -> EmbedSettings:
    row = (
        await conn.execute(select(embed_settings).where(embed_settings.c.organization_id == org_id))
    ).first()
    if row is None:
        return EmbedSettings()
    return EmbedSettings(
        sessionLengthMinutes=row.session_minutes, frameAncestors=list(row.frame_origins)
    )


async def save_settings(conn: AsyncConnection, org_id: uuid.UUID, new: EmbedSettings) -> None:
    values = {
        "session_minutes": new.sessionLengthMinutes,
        "frame_origins": new.frameAncestors,
        "updated_at": clock.utcnow(),
    }
    done = await conn.execute(
        update(embed_settings).where(embed_settings.c.organization_id == org_id).values(**values)
    )
    if done.rowcount == 0:
        await conn.execute(insert(embed_settings).values(organization_id=org_id, **values))


async def upsert_user(
    conn: AsyncConnection, org_id: uuid.UUID, body: EmbedUserRequest
) -> directory.Member:
    """The embed user with this external id, created or brought up to date: the
    organization's backend is the source of truth for its name, groups and attributes."""
    attributes = body.userAttributes if isinstance(body.userAttributes, dict) else None
    found = await directory.by_external_id(conn, org_id, body.externalId)
    if found is None:
        return await directory.create(
            conn,
            org_id,
            email=directory.embed_email(org_id, body.externalId),
            display_name=body.name,
            external_id=body.externalId,
            groups=body.groups,
            user_attributes=attributes,
        )
    return await directory.save_profile(
        conn,
        found,
        display_name=body.name,
        groups=body.groups,
        user_attributes=attributes,
        active=True if not found.active else None,
    )


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


async def create_session(conn: AsyncConnection, member: directory.Member, content_path: str) -> str:
    """A new single-use session id for ``member``; only its hash is stored."""
    secret = secrets.token_urlsafe(32)
    now = clock.utcnow()
    await conn.execute(
        insert(embed_sessions).values(
            id=uuid.uuid4(),
            secret_hash=_hash(secret),
            organization_id=member.organization_id,
            membership_id=member.id,
            content_path=content_path,
            created_at=now,
            expires_at=now + SESSION_TTL,
        )
    )
    return secret


async def organization_of(conn: AsyncConnection, secret: str) -> uuid.UUID | None:
    """Whose session this is, without redeeming it (for the login page's framing)."""
    if not secret or len(secret) > 100:
        return None
    row = (
        await conn.execute(
            select(embed_sessions.c.organization_id).where(
                embed_sessions.c.secret_hash == _hash(secret)
            )
        )
    ).first()
    return row.organization_id if row else None


@dataclass(frozen=True)
class Redeemed:
    token: str
    expires_at: datetime
    organization_id: uuid.UUID
    member: directory.Member
    content_path: str


async def redeem(conn: AsyncConnection, secret: str) -> Redeemed:
    """Spend a session: once, within its five minutes, for an active member. The answer
    is the same 404 for a session that never existed, expired or was already used."""
    now = clock.utcnow()
    if not secret or len(secret) > 100:
        raise NotFound("No such embed session, or it expired or was used")
    spent = (
        await conn.execute(
            update(embed_sessions)
            .where(
                embed_sessions.c.secret_hash == _hash(secret),
                embed_sessions.c.redeemed_at.is_(None),
                embed_sessions.c.expires_at > now,
            )
            .values(redeemed_at=now)
            .returning(
                embed_sessions.c.organization_id,
                embed_sessions.c.membership_id,
                embed_sessions.c.content_path,
            )
        )
    ).first()
    if spent is None:
        raise NotFound("No such embed session, or it expired or was used")
    member = await directory.get(conn, spent.organization_id, spent.membership_id)
    if member is None or not member.active:
        raise NotFound("No such embed session, or it expired or was used")
    length = (await settings_of(conn, spent.organization_id)).sessionLengthMinutes
    return await issue_token(conn, member, spent.content_path, now, length)


async def issue_token(
    conn: AsyncConnection,
    member: directory.Member,
    content_path: str,
    now: datetime,
    length_minutes: int,
) -> Redeemed:
    """A personal token for the embed user, lasting the organization's session length."""
    issued = tokens.issue("personal")
    expires = now + timedelta(minutes=length_minutes)
    await accounts.insert_api_key(
        conn,
        org_id=member.organization_id,
        membership_id=member.id,
        prefix=issued.prefix,
        secret_hash=issued.secret_hash,
        name="embed session",
        now=now,
        expires_at=expires,
    )
    return Redeemed(issued.token, expires, member.organization_id, member, content_path)
