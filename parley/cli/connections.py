"""`parley connections`: an organization's warehouse connections."""

from __future__ import annotations

import uuid
from typing import Annotated

import typer
from sqlalchemy.ext.asyncio import AsyncConnection

from parley.accounts import repository as accounts
from parley.cli.options import JsonFlag, OrgOption
from parley.cli.running import emit, run
from parley.config import Settings
from parley.connections import service as connections_service
from parley.db.database import Database
from parley.http.errors import NotFound
from parley.kit.secretbox import SecretBox

app = typer.Typer(no_args_is_help=True, help="Warehouse connections.")


async def _existing_org(conn: AsyncConnection, org_id: uuid.UUID) -> None:
    if await accounts.get_organization(conn, org_id) is None:
        raise NotFound(f"no organization {org_id}")


def _connection_line(info: connections_service.ConnectionInfo) -> str:
    tested = info.tested_at.isoformat(timespec="seconds") if info.tested_at else "never"
    return f"{info.id}  {info.name}  {info.kind}  {info.url}  (answered {tested})"


@app.command("add")
def connections_add(
    org_id: OrgOption,
    name: Annotated[str, typer.Option(help="A name for the connection, unique in the org.")],
    url: Annotated[
        str,
        typer.Option(
            help="Warehouse URL, e.g. postgresql://user:password@host/db (docs/warehouses.md)."
        ),
    ],
    test: Annotated[
        bool, typer.Option("--test/--no-test", help="Run a query on it before saving.")
    ] = True,
    as_json: JsonFlag = False,
) -> None:
    """Add a warehouse connection (tested first; its password is stored encrypted)."""
    settings = Settings()

    async def work(database: Database) -> connections_service.ConnectionInfo:
        async with database.write() as conn:
            await _existing_org(conn, org_id)
            return await connections_service.add(
                conn,
                org_id,
                name=name,
                url=url,
                box=SecretBox.from_settings(settings),
                query_timeout=settings.query_timeout,
                test=test,
            )

    info = run(as_json, work)
    emit(as_json, info.to_wire(), f"Connection {_connection_line(info)}")


@app.command("test")
def connections_test(
    org_id: OrgOption,
    connection: Annotated[str, typer.Argument(help="The connection's name or ID.")],
    as_json: JsonFlag = False,
) -> None:
    """Run a query on a stored connection now."""
    settings = Settings()

    async def work(database: Database) -> connections_service.ConnectionInfo:
        async with database.write() as conn:
            return await connections_service.test(
                conn,
                org_id,
                connection,
                box=SecretBox.from_settings(settings),
                query_timeout=settings.query_timeout,
            )

    info = run(as_json, work)
    emit(as_json, info.to_wire(), f"OK {_connection_line(info)}")


@app.command("list")
def connections_list(org_id: OrgOption, as_json: JsonFlag = False) -> None:
    """List an organization's connections (URLs without their credentials)."""

    async def work(database: Database) -> list[connections_service.ConnectionInfo]:
        async with database.read() as conn:
            return await connections_service.list_connections(conn, org_id)

    infos = run(as_json, work)
    emit(
        as_json,
        {"connections": [i.to_wire() for i in infos]},
        "\n".join(_connection_line(i) for i in infos) or "No connections.",
    )


@app.command("remove")
def connections_remove(
    org_id: OrgOption,
    connection: Annotated[str, typer.Argument(help="The connection's name or ID.")],
    as_json: JsonFlag = False,
) -> None:
    """Remove a connection no model reads any more."""

    async def work(database: Database) -> connections_service.ConnectionInfo:
        async with database.write() as conn:
            return await connections_service.remove(conn, org_id, connection)

    info = run(as_json, work)
    emit(as_json, info.to_wire(), f"Removed {info.name}")
