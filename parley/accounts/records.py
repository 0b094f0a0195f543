"""What the accounts repository returns, as the CLI and other domains see it.

Each record's ``to_wire`` is what every CLI command that prints the record shows of it,
times in the API's format. A command adds what only it shows (a new key's token and
organization, an organization's owner, a listed key's name and whether it is revoked), so
each command's JSON keeps the keys it always had."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from parley.kit.json import JsonObject
from parley.kit.timestamps import to_wire

Role = Literal["MEMBER", "ORG_ADMIN"]
ROLES: tuple[Role, ...] = ("MEMBER", "ORG_ADMIN")


@dataclass(frozen=True, slots=True)
class Organization:
    id: uuid.UUID
    name: str
    owner_membership_id: uuid.UUID | None
    rate_limit_per_minute: int | None
    created_at: datetime

    def to_wire(self) -> JsonObject:
        return {
            "id": str(self.id),
            "name": self.name,
            "rateLimitPerMinute": self.rate_limit_per_minute,
        }


@dataclass(frozen=True, slots=True)
class Membership:
    id: uuid.UUID
    organization_id: uuid.UUID
    email: str
    display_name: str | None
    role: Role
    created_at: datetime

    def to_wire(self) -> JsonObject:
        return {"id": str(self.id), "email": self.email, "role": self.role}


@dataclass(frozen=True, slots=True)
class ApiKey:
    id: uuid.UUID
    organization_id: uuid.UUID
    membership_id: uuid.UUID | None
    kind: Literal["organization", "personal"]
    prefix: str
    name: str | None
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None

    def to_wire(self) -> JsonObject:
        """Never the secret: only its hash is stored, and the token is shown once."""
        return {
            "id": str(self.id),
            "kind": self.kind,
            "membershipId": str(self.membership_id) if self.membership_id else None,
            "expiresAt": to_wire(self.expires_at) if self.expires_at else None,
        }
