"""What the models repository returns."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.engine import RowMapping

from parley.kit.json import JsonObject


@dataclass(frozen=True, slots=True)
class Model:
    """A registered semantic model; ``definition`` is its YAML as parsed and checked."""

    id: uuid.UUID
    organization_id: uuid.UUID
    name: str
    connection_url: str | None
    connection_id: uuid.UUID | None
    definition: JsonObject
    created_at: datetime

    @classmethod
    def of(cls, row: RowMapping) -> Model:
        return cls(**row)
