"""SQL for organizations, memberships and API keys. The tenant filter is written
once, in ``readable``."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import ColumnElement, Row, Table, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from parley.accounts.records import ApiKey, Membership, Organization, Role
from parley.tables import api_keys, member_profiles, memberships, organizations


def readable(table: Table, org_id: uuid.UUID) -> ColumnElement[bool]:
    """Rows of ``table`` (memberships or API keys) that belong to one organization."""
    return table.c.organization_id == org_id


def _organization(row: Row[Any]) -> Organization:
    return Organization(
        id=row.id,
        name=row.name,
        owner_membership_id=row.owner_membership_id,
        rate_limit_per_minute=row.rate_limit_per_minute,
        created_at=row.created_at,
    )


def _membership(row: Row[Any]) -> Membership:
    return Membership(
        id=row.id,
        organization_id=row.organization_id,
        email=row.email,
        display_name=row.display_name,
        role=row.role,
        created_at=row.created_at,
    )


def _api_key(row: Row[Any]) -> ApiKey:
    return ApiKey(
        id=row.id,
        organization_id=row.organization_id,
        membership_id=row.membership_id,
        kind=row.kind,
        prefix=row.prefix,
        name=row.name,
        created_at=row.created_at,
        expires_at=row.expires_at,
        revoked_at=row.revoked_at,
    )


async def insert_organization(
    conn: AsyncConnection, name: str, rate_limit: int | None, now: datetime
) -> Organization:
    org_id = uuid.uuid4()
    await conn.execute(
        insert(organizations).values(
            id=org_id, name=name, rate_limit_per_minute=rate_limit, ai_enabled=True, created_at=now
        )
    )
    return Organization(org_id, name, None, rate_limit, now)


async def set_owner(conn: AsyncConnection, org_id: uuid.UUID, membership_id: uuid.UUID) -> None:
    await conn.execute(
        update(organizations)
        .where(organizations.c.id == org_id)
        .values(owner_membership_id=membership_id)
    )


async def set_rate_limit(conn: AsyncConnection, org_id: uuid.UUID, limit: int | None) -> bool:
    result = await conn.execute(
        update(organizations)
        .where(organizations.c.id == org_id)
        .values(rate_limit_per_minute=limit)
    )
    return result.rowcount > 0


async def get_organization(conn: AsyncConnection, org_id: uuid.UUID) -> Organization | None:
    row = (await conn.execute(select(organizations).where(organizations.c.id == org_id))).first()
    return _organization(row) if row else None


async def list_organizations(conn: AsyncConnection) -> list[Organization]:
    rows = await conn.execute(select(organizations).order_by(organizations.c.created_at))
    return [_organization(row) for row in rows]


async def count_organizations(conn: AsyncConnection) -> int:
    rows = await conn.execute(select(organizations.c.id).limit(1))
    return len(rows.all())


async def insert_membership(
    conn: AsyncConnection,
    org_id: uuid.UUID,
    email: str,
    role: Role,
    display_name: str | None,
    now: datetime,
) -> Membership:
    membership_id = uuid.uuid4()
    await conn.execute(
        insert(memberships).values(
            id=membership_id,
            organization_id=org_id,
            email=email,
            display_name=display_name,
            role=role,
            created_at=now,
        )
    )
    return Membership(membership_id, org_id, email, display_name, role, now)


async def find_membership_by_email(
    conn: AsyncConnection, org_id: uuid.UUID, email: str
) -> Membership | None:
    row = (
        await conn.execute(
            select(memberships).where(readable(memberships, org_id), memberships.c.email == email)
        )
    ).first()
    return _membership(row) if row else None


async def member_active(
    conn: AsyncConnection, org_id: uuid.UUID, membership_id: uuid.UUID
) -> bool | None:
    """Whether the organization's member is active (a directory, SCIM, may deactivate
    one); None when there is no such member."""
    query = (
        select(member_profiles.c.active)
        .select_from(
            memberships.outerjoin(
                member_profiles, member_profiles.c.membership_id == memberships.c.id
            )
        )
        .where(readable(memberships, org_id), memberships.c.id == membership_id)
    )
    row = (await conn.execute(query)).first()
    if row is None:
        return None
    return row.active is None or bool(row.active)  # no profile: never deactivated


async def is_member(conn: AsyncConnection, org_id: uuid.UUID, membership_id: uuid.UUID) -> bool:
    query = select(memberships.c.id).where(
        readable(memberships, org_id), memberships.c.id == membership_id
    )
    return (await conn.execute(query)).first() is not None


async def get_membership(conn: AsyncConnection, membership_id: uuid.UUID) -> Membership | None:
    row = (await conn.execute(select(memberships).where(memberships.c.id == membership_id))).first()
    return _membership(row) if row else None


async def list_memberships(conn: AsyncConnection, org_id: uuid.UUID) -> list[Membership]:
    rows = await conn.execute(
        select(memberships)
        .where(readable(memberships, org_id))
        .order_by(memberships.c.created_at, memberships.c.id)
    )
    return [_membership(row) for row in rows]


async def insert_api_key(
    conn: AsyncConnection,
    *,
    org_id: uuid.UUID,
    membership_id: uuid.UUID | None,
    prefix: str,
    secret_hash: str,
    name: str | None,
    now: datetime,
    expires_at: datetime | None,
) -> ApiKey:
    key_id = uuid.uuid4()
    kind: Literal["organization", "personal"] = (
        "organization" if membership_id is None else "personal"
    )
    await conn.execute(
        insert(api_keys).values(
            id=key_id,
            organization_id=org_id,
            membership_id=membership_id,
            kind=kind,
            prefix=prefix,
            secret_hash=secret_hash,
            name=name,
            created_at=now,
            expires_at=expires_at,
        )
    )
    return ApiKey(key_id, org_id, membership_id, kind, prefix, name, now, expires_at, None)


async def revoke_api_key(conn: AsyncConnection, key_id: uuid.UUID, now: datetime) -> bool:
    result = await conn.execute(
        update(api_keys)
        .where(api_keys.c.id == key_id, api_keys.c.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    return result.rowcount > 0


async def get_api_key(conn: AsyncConnection, key_id: uuid.UUID) -> ApiKey | None:
    row = (await conn.execute(select(api_keys).where(api_keys.c.id == key_id))).first()
    return _api_key(row) if row else None


async def list_api_keys(conn: AsyncConnection, org_id: uuid.UUID) -> list[ApiKey]:
    rows = await conn.execute(
        select(api_keys)
        .where(readable(api_keys, org_id))
        .order_by(api_keys.c.created_at, api_keys.c.id)
    )
    return [_api_key(row) for row in rows]
