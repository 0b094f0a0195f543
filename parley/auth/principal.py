"""The caller of a request and the scope rules of docs/api.md (Tokens and scope), written once."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Literal

from parley.http.errors import Forbidden

KeyScope = Literal["organization", "user"]


@dataclass(frozen=True)
class Principal:
    key_id: uuid.UUID
    key_scope: KeyScope
    organization_id: uuid.UUID
    # The member behind a personal token; None for organization keys.
    membership_id: uuid.UUID | None
    role: str | None
    owner_membership_id: uuid.UUID | None
    rate_limit_per_minute: int | None
    ai_enabled: bool

    @property
    def is_organization_key(self) -> bool:
        return self.key_scope == "organization"

    def member_filter(self, user_id: uuid.UUID | None) -> uuid.UUID | None:
        """Whose data a list shows: a personal token always its own member; an
        organization key everyone's (None) or the member named by ``userId``."""
        if not self.is_organization_key:
            if user_id is not None:
                raise Forbidden("userId may only be used with an organization API key")
            return self.membership_id
        return user_id

    def acting_member(self, user_id: uuid.UUID | None) -> uuid.UUID | None:
        """Who a write acts as: a personal token's member; for an organization key the
        member named by ``userId``, else the organization's owner."""
        if not self.is_organization_key:
            if user_id is not None:
                raise Forbidden("userId may only be used with an organization API key")
            return self.membership_id
        return user_id if user_id is not None else self.owner_membership_id
