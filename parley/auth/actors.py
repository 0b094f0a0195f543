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
    if user_id is not None and not await accounts.is_member(conn, caller.organization_id, user_id):
        raise NotFound(f"No member {user_id} in this organization")
    return member


def require_ai(caller: Principal) -> None:
    if not caller.ai_enabled:
        raise Forbidden("AI features are disabled for this organization")
