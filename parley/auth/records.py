"""What the auth repository returns."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class KeyRecord:
    """An API key with what a request needs of its organization and member."""

    id: uuid.UUID
    kind: str
    secret_hash: str
    organization_id: uuid.UUID
    membership_id: uuid.UUID | None
    expires_at: datetime | None
    revoked_at: datetime | None
    last_used_at: datetime | None
    role: str | None
    owner_membership_id: uuid.UUID | None
    rate_limit_per_minute: int | None
    ai_enabled: bool
