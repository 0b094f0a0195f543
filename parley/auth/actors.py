"""Who a request acts as, for endpoints that act on a member's behalf (docs/api.md)."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncConnection

from parley.accounts import repository as accounts
from parley.auth.principal import Principal
from parley.http.errors import Forbidden, NotFound


async def acting_member(
    conn: AsyncConnection, caller: Principal, user_id: uuid.UUID | None
) -> uuid.UUID:
    """The membership a request acts as: a personal token's own member; for an
    organization key, the member named by ``userId`` (404 unless it is one of the
    organization's) or else the organization's owner."""
    member = caller.acting_member(user_id)
    if member is None:
        raise NotFound("The organization has no owner to act as; pass userId")
    if not caller.is_organization_key:
        return member  # a personal token's own member: deactivating it revoked the token
    active = await accounts.member_active(conn, caller.organization_id, member)
    if active is None:
        raise NotFound(f"No member {member} in this organization")
    if not active:
        raise Forbidden(f"Member {member} is deactivated; an organization key cannot act as them")
    return member


def require_ai(caller: Principal) -> None:
    if not caller.ai_enabled:
        raise Forbidden("AI features are disabled for this organization")
