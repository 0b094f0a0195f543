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
from parley.connections import repository as connections_repository
from parley.connections import service as connections
from parley.http.errors import ApiError, BadRequest, NotFound
from parley.kit import clock
from parley.models import repository
from parley.models.records import Model


class WarehouseUnavailable(ApiError):
    """The model is fine but its warehouse cannot be opened now."""

    status = 503
    default_detail = "The model's warehouse cannot be opened"


@dataclass(frozen=True)
class RegisteredModel:
    id: uuid.UUID
    name: str
    topics: list[str]
    connection_id: uuid.UUID | None = None


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
    connection_url: str | None = None,
    connection: str | None = None,
    definition: dict[str, Any],
    check_connection: bool = True,
) -> RegisteredModel:
    """Validate a model (and that its warehouse opens) and store it for the organization.

    The warehouse is one of the organization's connections (by name or id; it was
    tested when added) or a URL of its own."""
    model = check_definition(definition)
    name = name.strip()
    if not name or len(name) > 200:
        raise BadRequest("a model needs a name of 1 to 200 characters")
    if (connection_url is None) == (connection is None):
        raise BadRequest("a model reads either a connection or a connection URL")
    connection_id = None
    if connection is not None:
        connection_id = await connections.connection_id_for(conn, org_id, connection)
    elif check_connection and connection_url is not None:
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
        connection_id=connection_id,
        definition=definition,
        now=clock.utcnow(),
    )
    return RegisteredModel(model_id, name, list(model.topics), connection_id)


async def warehouse_url(conn: AsyncConnection, runtimes: Runtimes, row: Model) -> str:
    """The URL of a model's warehouse: its own, or its connection's with the password
    decrypted."""
    if row.connection_id is None:
        return str(row.connection_url)
    found = await connections_repository.get(conn, row.organization_id, row.connection_id)
    if found is None:  # the foreign key keeps a used connection, so never
        raise WarehouseUnavailable(f"the model's connection {row.connection_id} is gone")
    return connections.full_url(found, runtimes.secrets)


async def open_runtime(runtimes: Runtimes, row: Model, url: str) -> ModelRuntime:
    """The model's runtime (built on first use, which takes a while: call it outside any
    database transaction); WarehouseUnavailable says why it cannot be opened."""
    cached = runtimes.cached(row.id)
    if cached is not None:  # almost every call: no trip to a thread for a dict lookup
        return cached
    try:
        return await anyio.to_thread.run_sync(runtimes.get, row.id, dict(row.definition), url)
    except ApiError:
        raise
    except Exception as error:  # a warehouse down, a driver or a key missing: say which
        raise WarehouseUnavailable(f"cannot open the model's warehouse: {error}") from error


async def runtime_for(
    conn: AsyncConnection, runtimes: Runtimes, org_id: uuid.UUID, model_id: uuid.UUID
) -> ModelRuntime:
    """The runtime of one of the organization's models; 404 for anyone else's."""
    row = await repository.get_model(conn, org_id, model_id)
    if row is None:
        raise NotFound(f"No model {model_id}")
    try:
        url = await warehouse_url(conn, runtimes, row)
    except ApiError:
        raise
    except Exception as error:  # a key missing or changed: say so
        raise WarehouseUnavailable(f"cannot open the model's warehouse: {error}") from error
    return await open_runtime(runtimes, row, url)
