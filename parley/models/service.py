"""Rules for semantic models: registration, lookup inside the caller's organization,
and the runtime that answers questions over a model."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import anyio
from sqlalchemy.ext.asyncio import AsyncConnection

from parley.assistant.runtime import ModelRuntime, Runtimes, open_warehouse
from parley.assistant.semantic_model import ModelError, SemanticModel, validate_model
from parley.errors import BadRequest, NotFound
from parley.kit import clock
from parley.models import repository


@dataclass(frozen=True)
class RegisteredModel:
    id: uuid.UUID
    name: str
    topics: list[str]


def check_definition(definition: dict[str, Any], source: str = "<model>") -> SemanticModel:
    try:
        return validate_model(definition, source)
    except ModelError as error:
        raise BadRequest("; ".join(str(p) for p in error.problems)) from error


async def register(
    conn: AsyncConnection,
    org_id: uuid.UUID,
    *,
    name: str,
    connection_url: str,
    definition: dict[str, Any],
    check_connection: bool = True,
) -> RegisteredModel:
    """Validate a model (and that its warehouse opens) and store it for the organization."""
    model = check_definition(definition)
    name = name.strip()
    if not name or len(name) > 200:
        raise BadRequest("a model needs a name of 1 to 200 characters")
    if check_connection:
        try:
            warehouse = await anyio.to_thread.run_sync(open_warehouse, connection_url)
        except Exception as error:  # any driver's failure to connect is the user's to fix
            raise BadRequest(f"cannot open the warehouse: {error}") from error
        warehouse.close()
    model_id = await repository.insert_model(
        conn,
        org_id=org_id,
        name=name,
        connection_url=connection_url,
        definition=definition,
        now=clock.utcnow(),
    )
    return RegisteredModel(model_id, name, list(model.topics))


async def runtime_for(
    conn: AsyncConnection, runtimes: Runtimes, org_id: uuid.UUID, model_id: uuid.UUID
) -> ModelRuntime:
    """The runtime of one of the organization's models; 404 for anyone else's."""
    row = await repository.get_model(conn, org_id, model_id)
    if row is None:
        raise NotFound(f"No model {model_id}")
    return await anyio.to_thread.run_sync(
        runtimes.get, row.id, dict(row.definition), row.connection_url
    )
