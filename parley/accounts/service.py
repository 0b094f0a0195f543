"""Rules for organizations, members and keys, shared by the CLI and first run."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from parley.accounts import repository
from parley.accounts.records import ROLES, ApiKey, Membership, Organization, Role
from parley.http.errors import BadRequest, Conflict, NotFound
from parley.kit import clock, tokens

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@dataclass(frozen=True)
class NewKey:
    key: ApiKey
    token: str


def check_email(email: str) -> str:
    email = email.strip().lower()
    if not _EMAIL.match(email) or len(email) > 320:
        raise BadRequest(f"not an email address: {email!r}")
    return email


async def create_organization(
    conn: AsyncConnection,
    name: str,
    owner_email: str = "owner@example.com",
    *,
    rate_limit: int | None = None,
) -> tuple[Organization, Membership]:
    """An organization and its owner: the ORG_ADMIN membership made with it."""
    name = name.strip()
    if not name or len(name) > 200:
        raise BadRequest("an organization needs a name of 1 to 200 characters")
    if rate_limit is not None and rate_limit < 1:
        raise BadRequest("a rate limit is at least 1 request per minute")
    now = clock.utcnow()
    org = await repository.insert_organization(conn, name, rate_limit, now)
    owner = await repository.insert_membership(
        conn, org.id, check_email(owner_email), "ORG_ADMIN", None, now
    )
    await repository.set_owner(conn, org.id, owner.id)
    return (
        Organization(org.id, org.name, owner.id, org.rate_limit_per_minute, org.created_at),
        owner,
    )


async def set_rate_limit(conn: AsyncConnection, org_id: uuid.UUID, limit: int | None) -> None:
    if limit is not None and limit < 1:
        raise BadRequest("a rate limit is at least 1 request per minute")
    if not await repository.set_rate_limit(conn, org_id, limit):
        raise NotFound(f"no organization {org_id}")


async def add_member(
    conn: AsyncConnection,
    org_id: uuid.UUID,
    email: str,
    role: str = "MEMBER",
    display_name: str | None = None,
) -> Membership:
    if role not in ROLES:
        raise BadRequest(f"role must be one of {', '.join(ROLES)}")
    if await repository.get_organization(conn, org_id) is None:
        raise NotFound(f"no organization {org_id}")
    email = check_email(email)
    if await repository.find_membership_by_email(conn, org_id, email):
        raise Conflict(f"{email} is already a member of this organization")
    checked_role: Role = "ORG_ADMIN" if role == "ORG_ADMIN" else "MEMBER"
    try:
        return await repository.insert_membership(
            conn, org_id, email, checked_role, display_name, clock.utcnow()
        )
    except IntegrityError as exc:  # a concurrent add of the same email
        raise Conflict(f"{email} is already a member of this organization") from exc


async def create_key(
    conn: AsyncConnection,
    org_id: uuid.UUID,
    membership_id: uuid.UUID | None = None,
    *,
    name: str | None = None,
    expires_in_days: int | None = None,
) -> NewKey:
    """An organization key (no member) or a personal access token (a member's).

    The token is returned once; only its hash is stored.
    """
    if await repository.get_organization(conn, org_id) is None:
        raise NotFound(f"no organization {org_id}")
    if membership_id is not None:
        member = await repository.get_membership(conn, membership_id)
        if member is None or member.organization_id != org_id:
            raise NotFound(f"no member {membership_id} in organization {org_id}")
    if expires_in_days is not None and expires_in_days < 1:
        raise BadRequest("--expires-in is a number of days, at least 1")
    now = clock.utcnow()
    issued = tokens.issue("organization" if membership_id is None else "personal")
    key = await repository.insert_api_key(
        conn,
        org_id=org_id,
        membership_id=membership_id,
        prefix=issued.prefix,
        secret_hash=issued.secret_hash,
        name=name,
        now=now,
        expires_at=now + timedelta(days=expires_in_days) if expires_in_days else None,
    )
    return NewKey(key=key, token=issued.token)


async def revoke_key(conn: AsyncConnection, key_id: uuid.UUID) -> ApiKey:
    if not await repository.revoke_api_key(conn, key_id, clock.utcnow()):
        key = await repository.get_api_key(conn, key_id)
        if key is None:
            raise NotFound(f"no API key {key_id}")
        return key  # already revoked: revoking again changes nothing
    key = await repository.get_api_key(conn, key_id)
    assert key is not None
    return key
