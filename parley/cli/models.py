"""`parley models`: semantic models registered to an organization."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Annotated, Any

import typer
import yaml

from parley.accounts import repository as accounts
from parley.assistant.semantic_model import ModelError, load_model
from parley.cli.options import JsonFlag, OrgOption
from parley.cli.running import emit, fail, run
from parley.db.database import Database
from parley.http.errors import NotFound
from parley.models import repository as models_repository
from parley.models import service as models_service

app = typer.Typer(no_args_is_help=True, help="Semantic models.")


def register_model(
    as_json: bool, org_id: uuid.UUID, file: Path, connection: str, name: str
) -> models_service.RegisteredModel:
    try:
        load_model(file)  # reports mistakes by file, line and field
        definition = yaml.safe_load(file.read_text())
    except OSError as error:
        raise typer.BadParameter(f"cannot read {file}: {error}") from None
    except ModelError as error:
        fail(as_json, "\n".join(str(p) for p in error.problems), 400)

    async def work(database: Database) -> models_service.RegisteredModel:
        async with database.write() as conn:
            if await accounts.get_organization(conn, org_id) is None:
                raise NotFound(f"no organization {org_id}")
            # A URL is the model's own warehouse; anything else names a stored connection.
            is_url = "://" in connection or connection.startswith("duckdb:")
            return await models_service.register(
                conn,
                org_id,
                name=name,
                connection_url=connection if is_url else None,
                connection=None if is_url else connection,
                definition=definition,
            )

    return run(as_json, work)


@app.command("add")
def models_add(
    org_id: OrgOption,
    file: Annotated[Path, typer.Option("--file", help="The semantic model (YAML).")],
    connection: Annotated[
        str,
        typer.Option(
            help="The organization's connection (name or ID, see `parley connections`), "
            "or a warehouse URL: duckdb:///path/file.duckdb, postgresql://..."
        ),
    ],
    name: Annotated[str | None, typer.Option(help="Name (default: the file's name).")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Register a semantic model for an organization."""
    model = register_model(as_json, org_id, file, connection, name or file.stem)
    emit(
        as_json,
        {
            "id": str(model.id),
            "name": model.name,
            "topics": model.topics,
            "connectionId": str(model.connection_id) if model.connection_id else None,
        },
        f"Model {model.id} ({model.name}); topics: {', '.join(model.topics)}",
    )


@app.command("list")
def models_list(
    org_id: OrgOption,
    as_json: JsonFlag = False,
) -> None:
    """List an organization's semantic models."""

    async def work(database: Database) -> list[dict[str, Any]]:
        async with database.read() as conn:
            rows = await models_repository.page(conn, org_id, after=None, limit=1000)
        return [
            {
                "id": str(r.id),
                "name": r.name,
                "connection": r.connection_url,
                "connectionId": str(r.connection_id) if r.connection_id else None,
            }
            for r in rows
        ]

    rows = run(as_json, work)
    emit(as_json, {"models": rows}, "\n".join(f"{r['id']}  {r['name']}" for r in rows))
