"""Rules for an organization's warehouse connections: added only once they answer,
credentials sealed, tested again on demand, and the full URL for the models reading them."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

import anyio
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlglot import exp

from parley.assistant.compiler import CompiledQuery
from parley.assistant.runtime import open_warehouse
from parley.connections import repository, urls
from parley.connections.records import Connection
from parley.http.errors import BadRequest, Conflict, NotFound
from parley.kit import clock
from parley.kit.json import JsonObject
from parley.kit.secretbox import SecretBox
from parley.kit.timestamps import to_wire
from parley.warehouses.kinds import UnknownKind, kind_of_url


@dataclass(frozen=True, slots=True)
class ConnectionInfo:
    """A connection as it may be shown: its URL carries no credentials."""

    id: uuid.UUID
    name: str
    kind: str
    url: str
    created_at: datetime
    tested_at: datetime | None

    def to_wire(self) -> JsonObject:
        return {
            "id": str(self.id),
            "name": self.name,
            "kind": self.kind,
            "url": self.url,
            "createdAt": to_wire(self.created_at),
            "testedAt": to_wire(self.tested_at) if self.tested_at else None,
        }


def _info(row: Connection) -> ConnectionInfo:
    return ConnectionInfo(row.id, row.name, row.kind, row.url, row.created_at, row.tested_at)


def probe(url: str, timeout: float) -> None:
    """Open the warehouse at `url` and run ``SELECT 1`` there (blocking)."""
    warehouse = open_warehouse(url)
    try:
        tree = exp.select(exp.Literal.number(1).as_("ok", quoted=True))
        query = CompiledQuery(
            sql=tree.sql(dialect=warehouse.dialect, identify=True),
            params={},
            columns=("ok",),
            dialect=warehouse.dialect,
            expression=tree,
        )
        rows = warehouse.execute(query, row_cap=1, timeout=timeout).rows
        if rows != [[1]]:
            raise RuntimeError(f"SELECT 1 answered {rows!r}")
    finally:
        warehouse.close()


async def _probe(url: str, query_timeout: float, what: str) -> None:
    try:
        await anyio.to_thread.run_sync(probe, url, query_timeout)
    except Exception as error:  # any driver's failure is the user's to fix, not a 500
        raise BadRequest(f"cannot reach {what}: {error}") from error


async def add(
    conn: AsyncConnection,
    org_id: uuid.UUID,
    *,
    name: str,
    url: str,
    box: SecretBox,
    query_timeout: float,
    test: bool = True,
) -> ConnectionInfo:
    """Store a connection for the organization once a query on it succeeds."""
    name = name.strip()
    if not name or len(name) > 200:
        raise BadRequest("a connection needs a name of 1 to 200 characters")
    try:
        kind = kind_of_url(url)
        public, secret = urls.split(url)
    except (UnknownKind, urls.BadUrl) as error:
        raise BadRequest(str(error)) from error
    if await repository.find(conn, org_id, name) is not None:
        raise Conflict(f"the organization already has a connection named {name!r}")
    if test:
        await _probe(url, query_timeout, f"{kind.label} at {public}")
    connection_id = await repository.insert_connection(
        conn,
        org_id=org_id,
        name=name,
        kind=kind.name,
        url=public,
        sealed_secret=box.seal(secret) if secret is not None else None,
        now=clock.utcnow(),
    )
    row = await repository.get(conn, org_id, connection_id)
    assert row is not None  # written in this transaction
    return _info(row)


async def _find(conn: AsyncConnection, org_id: uuid.UUID, reference: str) -> Connection:
    row = await repository.find(conn, org_id, reference)
    if row is None:
        raise NotFound(f"no connection {reference!r} in this organization")
    return row


def full_url(row: Connection, box: SecretBox) -> str:
    """The URL with its credentials, to connect with; never shown."""
    secret = box.open(row.sealed_secret) if row.sealed_secret is not None else None
    return urls.join(row.url, secret)


async def test(
    conn: AsyncConnection,
    org_id: uuid.UUID,
    reference: str,
    *,
    box: SecretBox,
    query_timeout: float,
) -> ConnectionInfo:
    """Run a query on a stored connection now; remember when it last answered."""
    row = await _find(conn, org_id, reference)
    await _probe(full_url(row, box), query_timeout, f"connection {row.name!r} ({row.url})")
    await repository.mark_tested(conn, org_id, row.id, clock.utcnow())
    tested = await repository.get(conn, org_id, row.id)
    assert tested is not None  # read in this transaction
    return _info(tested)


async def list_connections(conn: AsyncConnection, org_id: uuid.UUID) -> list[ConnectionInfo]:
    return [_info(row) for row in await repository.list_all(conn, org_id)]


async def remove(conn: AsyncConnection, org_id: uuid.UUID, reference: str) -> ConnectionInfo:
    row = await _find(conn, org_id, reference)
    using = await repository.models_using(conn, org_id, row.id)
    if using:
        raise Conflict(f"connection {row.name!r} is used by {using} model(s); remove them first")
    await repository.delete_connection(conn, org_id, row.id)
    return _info(row)


async def connection_id_for(conn: AsyncConnection, org_id: uuid.UUID, reference: str) -> uuid.UUID:
    """The id of one of the organization's connections, by name or id."""
    row = await _find(conn, org_id, reference)
    connection_id: uuid.UUID = row.id
    return connection_id
