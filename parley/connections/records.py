"""What the connections repository returns."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.engine import RowMapping


@dataclass(frozen=True, slots=True)
class Connection:
    """A stored warehouse connection. ``sealed_secret`` is its credentials, encrypted;
    ``url`` carries none."""

    id: uuid.UUID
    organization_id: uuid.UUID
    name: str
    kind: str
    url: str
    sealed_secret: str | None
    created_at: datetime
    tested_at: datetime | None

    @classmethod
    def of(cls, row: RowMapping) -> Connection:
        return cls(**row)
