"""Members as a directory sees them: a membership with its profile (the external id of
an embed user, groups, user attributes, whether it is active)."""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Row, Select, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from parley.accounts import repository as accounts
from parley.conversations import repository as conversation_rows
from parley.http.errors import BadRequest, Conflict, NotFound
from parley.kit import clock
from parley.tables import api_keys, conversations, member_profiles, memberships, organizations

_p = member_profiles.c
_m = memberships.c
# Embed users get an address of their own that no mailbox has: a membership needs a
# unique email, and an embed user's real address (if any) is not the organization's.
EMBED_DOMAIN = "embed.parley.invalid"


@dataclass(frozen=True)
class Member:
    id: uuid.UUID
    organization_id: uuid.UUID
    email: str
    display_name: str | None
    created_at: datetime
    external_id: str | None
    groups: list[str]
    user_attributes: dict[str, Any]
    active: bool
    updated_at: datetime

    @property
    def is_embed(self) -> bool:
        return self.external_id is not None


def embed_email(org_id: uuid.UUID, external_id: str) -> str:
    digest = hashlib.sha256(f"{org_id}:{external_id}".encode()).hexdigest()[:32]
    return f"embed-user-{digest}@{EMBED_DOMAIN}"


def _select() -> Select[Any]:
    return select(
        _m.id,
        _m.organization_id,
        _m.email,
        _m.display_name,
        _m.created_at,
        _p.external_id,
        _p.groups,
        _p.user_attributes,
        _p.active,
        _p.updated_at,
    ).outerjoin(member_profiles, _p.membership_id == _m.id)


def _member(row: Row[Any]) -> Member:
    return Member(
        id=row.id,
        organization_id=row.organization_id,
        email=row.email,
        display_name=row.display_name,
        created_at=row.created_at,
        external_id=row.external_id,
        groups=list(row.groups or []),
        user_attributes=dict(row.user_attributes or {}),
        active=True if row.active is None else bool(row.active),
        updated_at=row.updated_at or row.created_at,
    )


async def members(conn: AsyncConnection, org_id: uuid.UUID, *, embed: bool) -> list[Member]:
    """The organization's members (embed users, or everyone else), oldest first."""
    query = _select().where(accounts.readable(memberships, org_id))
    query = query.where(_p.external_id.is_not(None) if embed else _p.external_id.is_(None))
    query = query.order_by(_m.created_at, _m.id)
    return [_member(row) for row in (await conn.execute(query)).all()]


async def get(conn: AsyncConnection, org_id: uuid.UUID, member_id: uuid.UUID) -> Member | None:
    query = _select().where(accounts.readable(memberships, org_id), _m.id == member_id)
    row = (await conn.execute(query)).first()
    return _member(row) if row else None


async def by_external_id(
    conn: AsyncConnection, org_id: uuid.UUID, external_id: str
) -> Member | None:
    query = _select().where(accounts.readable(memberships, org_id), _p.external_id == external_id)
    row = (await conn.execute(query)).first()
    return _member(row) if row else None


async def save_profile(
    conn: AsyncConnection,
    member: Member,
    *,
    display_name: str | None = None,
    groups: list[str] | None = None,
    user_attributes: dict[str, Any] | None = None,
    active: bool | None = None,
) -> Member:
    """Change what is given, keep the rest; the membership row's name follows."""
    now = clock.utcnow()
    values = {
        "groups": member.groups if groups is None else groups,
        "user_attributes": member.user_attributes if user_attributes is None else user_attributes,
        "active": member.active if active is None else active,
        "updated_at": now,
    }
    exists = (
        await conn.execute(select(_p.membership_id).where(_p.membership_id == member.id))
    ).first()
    if exists:
        await conn.execute(
            update(member_profiles).where(_p.membership_id == member.id).values(**values)
        )
    else:
        await conn.execute(
            insert(member_profiles).values(
                membership_id=member.id,
                organization_id=member.organization_id,
                external_id=member.external_id,
                **values,
            )
        )
    if display_name is not None:
        await conn.execute(
            update(memberships).where(_m.id == member.id).values(display_name=display_name)
        )
    found = await get(conn, member.organization_id, member.id)
    assert found is not None
    return found


async def create(
    conn: AsyncConnection,
    org_id: uuid.UUID,
    *,
    email: str,
    display_name: str | None,
    external_id: str | None = None,
    groups: list[str] | None = None,
    user_attributes: dict[str, Any] | None = None,
    active: bool = True,
) -> Member:
    """A new MEMBER with its profile; 409 when the email or external id is taken."""
    now = clock.utcnow()
    try:
        async with conn.begin_nested():
            membership = await accounts.insert_membership(
                conn, org_id, email, "MEMBER", display_name, now
            )
            await conn.execute(
                insert(member_profiles).values(
                    membership_id=membership.id,
                    organization_id=org_id,
                    external_id=external_id,
                    groups=groups or [],
                    user_attributes=user_attributes or {},
                    active=active,
                    updated_at=now,
                )
            )
    except IntegrityError as error:
        raise Conflict(f"A member with the userName {email!r} already exists") from error
    found = await get(conn, org_id, membership.id)
    assert found is not None
    return found


async def remove(conn: AsyncConnection, org_id: uuid.UUID, member_id: uuid.UUID) -> None:
    """Delete a member with everything it owns (its keys, conversations, jobs)."""
    owner = (
        await conn.execute(
            select(organizations.c.owner_membership_id).where(organizations.c.id == org_id)
        )
    ).scalar()
    if owner == member_id:
        raise BadRequest("The organization's owner cannot be deleted")
    if await get(conn, org_id, member_id) is None:
        raise NotFound(f"No user {member_id}")
    # Its conversations go with it (the foreign keys cascade); the totals must follow.
    owned = (
        await conn.execute(
            select(func.count())
            .select_from(conversations)
            .where(*conversation_rows.readable(org_id, member_id))
        )
    ).scalar_one()
    if owned:
        await conversation_rows.adjust_totals(conn, org_id, {member_id: -int(owned)})
    await conn.execute(
        delete(memberships).where(accounts.readable(memberships, org_id), _m.id == member_id)
    )


async def revoke_keys(conn: AsyncConnection, member_id: uuid.UUID) -> None:
    """A deactivated member's tokens (embed sessions included) stop working at once."""
    await conn.execute(
        update(api_keys)
        .where(api_keys.c.membership_id == member_id, api_keys.c.revoked_at.is_(None))
        .values(revoked_at=clock.utcnow())
    )
