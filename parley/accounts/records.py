"""What the accounts repository returns, as the CLI and other domains see it."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

Role = Literal["MEMBER", "ORG_ADMIN"]
ROLES: tuple[Role, ...] = ("MEMBER", "ORG_ADMIN")


@dataclass(frozen=True, slots=True)
class Organization:
    id: uuid.UUID
    name: str
    owner_membership_id: uuid.UUID | None
    rate_limit_per_minute: int | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Membership:
    id: uuid.UUID
    organization_id: uuid.UUID
    email: str
    display_name: str | None
    role: Role
    created_at: datetime


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
