"""The ``parley`` command. Every command also takes ``--json`` for scripts."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import json
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, NoReturn, TypeVar

import typer
import yaml
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn
from sqlalchemy.ext.asyncio import AsyncConnection

from parley import firstrun, logs, migrate
from parley.accounts import repository as accounts
from parley.accounts import service as account_service
from parley.assistant.evaluation import EvalReport, run_eval, run_remote_eval
from parley.assistant.runtime import DUCKDB_PREFIX, open_warehouse
from parley.assistant.semantic_model import ModelError, load_model
from parley.config import Settings
from parley.connections import service as connections_service
from parley.conversations import synthetic
from parley.datasets import DATASETS, Dataset, dataset
from parley.db.database import Database
from parley.http import header_limit
from parley.http.errors import ApiError, NotFound
from parley.kit import clock
from parley.kit.secretbox import SecretBox
from parley.kit.timestamps import to_wire
from parley.llm import usage as llm_usage
from parley.models import repository as models_repository
from parley.models import service as models_service

T = TypeVar("T")

app = typer.Typer(no_args_is_help=True, add_completion=False, help=__doc__)
orgs_app = typer.Typer(no_args_is_help=True, help="Organizations.")
members_app = typer.Typer(no_args_is_help=True, help="Members of an organization.")
keys_app = typer.Typer(no_args_is_help=True, help="API keys and personal access tokens.")
models_app = typer.Typer(no_args_is_help=True, help="Semantic models.")
connections_app = typer.Typer(no_args_is_help=True, help="Warehouse connections.")
app.add_typer(orgs_app, name="orgs")
app.add_typer(members_app, name="members")
app.add_typer(keys_app, name="keys")
app.add_typer(models_app, name="models")
app.add_typer(connections_app, name="connections")

console = Console()
err_console = Console(stderr=True)

JsonFlag = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")]


def _emit(as_json: bool, data: dict[str, Any], human: str) -> None:
    if as_json:
        sys.stdout.write(json.dumps(data, default=str) + "\n")
    else:
        console.print(human, highlight=False, soft_wrap=True)


def _run(as_json: bool, work: Callable[[Database], Awaitable[T]]) -> T:
    """Run ``work`` against a migrated database; a domain error ends the command cleanly."""

    async def runner() -> T:
        database = Database(Settings().resolved_database_url)
        try:
            await migrate.upgrade(database)
            return await work(database)
        finally:
            await database.dispose()

    try:
        return asyncio.run(runner())
    except ApiError as exc:
        _fail(as_json, exc.detail, exc.status)


def _fail(as_json: bool, detail: str, status: int) -> NoReturn:
    if as_json:
        sys.stdout.write(json.dumps({"detail": detail, "status": status}) + "\n")
    else:
        err_console.print(f"[red]error:[/red] {detail}", highlight=False)
    raise typer.Exit(1)


def _uuid(value: str, what: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError:
        raise typer.BadParameter(f"{what} must be a UUID, got {value!r}") from None


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Address to listen on.")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on.")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Run the API server (and, on first run, create a demo organization)."""
    import uvicorn

    from parley.app import create_app

    overrides: dict[str, Any] = {}
    if host is not None:
        overrides["host"] = host
    if port is not None:
        overrides["port"] = port
    settings = Settings(**overrides)
    logs.configure(settings.log_level)

    if settings.first_run:
        with _progress(as_json) as bar:
            task = bar.add_task("demo warehouse", total=None)
            built = firstrun.ensure_demo_warehouse(
                settings, lambda done, total: bar.update(task, completed=done, total=total)
            )
        if built:
            _emit(
                as_json,
                {"event": "demo_warehouse", "path": str(settings.demo_warehouse_path)},
                f"Built the demo warehouse at {settings.demo_warehouse_path}",
            )

    async def prepare(database: Database) -> firstrun.Credentials | None:
        if not settings.first_run:
            return None
        return await firstrun.ensure_demo(database, settings)

    credentials = _run(as_json, prepare)
    if credentials is not None:
        # The tokens stay in the private credentials file: stdout often ends up in logs.
        path = settings.credentials_path.resolve()
        _emit(
            as_json,
            {
                "event": "first_run",
                "baseUrl": credentials.baseUrl,
                "organizationId": credentials.organizationId,
                "membershipId": credentials.membershipId,
                "modelId": credentials.modelId,
                "credentialsFile": str(path),
            },
            "[bold]First run:[/bold] created organization 'Demo' with an admin member, an "
            "organization key and a personal token.\n"
            f"  demo model:       {credentials.modelId}\n"
            f"  credentials file: {path} (readable by you only; the tokens are not printed)\n"
            'Try: TOKEN=$(python3 -c "import json; print(json.load(open('
            f"'{path}'))['personalToken'])\")\n"
            f'     curl -H "Authorization: Bearer $TOKEN" '
            f"{credentials.baseUrl}/api/v1/ai/conversations",
        )
    app_instance = create_app(settings)
    # Everything built so far (modules, routes, prebuilt statements) lives as long as the
    # process: moving it out of the collector's sight keeps full collections, which
    # otherwise walk all of it, from showing up as latency spikes (p99 of the list at 8
    # connections: 88-131 ms without, 21 ms with).
    gc.collect()
    gc.freeze()
    uvicorn.run(
        app_instance,
        host=settings.host,
        port=settings.port,
        log_config=None,
        access_log=False,
        server_header=False,
        http=header_limit.protocol_class(settings.max_header_bytes),
        h11_max_incomplete_event_size=settings.max_header_bytes,
    )


@app.command("migrate")
def migrate_command(as_json: JsonFlag = False) -> None:
    """Bring the state database to the newest schema (serve does this too)."""

    async def work(_database: Database) -> None:
        return None

    _run(as_json, work)
    _emit(as_json, {"migrated": True}, "Database is up to date.")


@orgs_app.command("create")
def orgs_create(
    name: Annotated[str, typer.Argument(help="The organization's name.")],
    owner_email: Annotated[
        str, typer.Option(help="Email of the owner (an ORG_ADMIN member).")
    ] = "owner@example.com",
    rate_limit: Annotated[
        int | None, typer.Option(help="Requests per minute per token (default: no limit).")
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Create an organization and its owner membership."""

    async def work(database: Database) -> dict[str, Any]:
        async with database.write() as conn:
            org, owner = await account_service.create_organization(
                conn, name, owner_email, rate_limit=rate_limit
            )
        return {
            "id": str(org.id),
            "name": org.name,
            "ownerMembershipId": str(owner.id),
            "ownerEmail": owner.email,
            "rateLimitPerMinute": org.rate_limit_per_minute,
        }

    data = _run(as_json, work)
    _emit(
        as_json,
        data,
        f"Organization {data['id']} ({data['name']}); owner {data['ownerEmail']} is "
        f"membership {data['ownerMembershipId']}",
    )


@orgs_app.command("list")
def orgs_list(as_json: JsonFlag = False) -> None:
    """List organizations."""

    async def work(database: Database) -> list[dict[str, Any]]:
        async with database.read() as conn:
            orgs = await accounts.list_organizations(conn)
        return [
            {"id": str(o.id), "name": o.name, "rateLimitPerMinute": o.rate_limit_per_minute}
            for o in orgs
        ]

    rows = _run(as_json, work)
    _emit(as_json, {"organizations": rows}, "\n".join(f"{r['id']}  {r['name']}" for r in rows))


@orgs_app.command("update")
def orgs_update(
    org: Annotated[str, typer.Argument(help="Organization ID.")],
    rate_limit: Annotated[int | None, typer.Option(help="Requests per minute per token.")] = None,
    no_rate_limit: Annotated[bool, typer.Option(help="Remove the rate limit.")] = False,
    as_json: JsonFlag = False,
) -> None:
    """Change an organization's settings."""
    org_id = _uuid(org, "ORG_ID")
    if rate_limit is None and not no_rate_limit:
        raise typer.BadParameter("give --rate-limit N or --no-rate-limit")

    async def work(database: Database) -> None:
        async with database.write() as conn:
            await account_service.set_rate_limit(
                conn, org_id, None if no_rate_limit else rate_limit
            )

    _run(as_json, work)
    limit = None if no_rate_limit else rate_limit
    _emit(
        as_json,
        {"id": str(org_id), "rateLimitPerMinute": limit},
        f"Rate limit: {limit or 'none'}",
    )


@orgs_app.command("limit")
def orgs_limit(
    org: Annotated[str, typer.Argument(help="Organization ID.")],
    monthly_tokens: Annotated[
        int | None,
        typer.Option(help="LLM tokens (prompt and completion) the organization may use a month."),
    ] = None,
    none: Annotated[bool, typer.Option("--none", help="Remove the limit.")] = False,
    as_json: JsonFlag = False,
) -> None:
    """Set an organization's monthly LLM limit; over it, submits and generate-query
    answer 402."""
    org_id = _uuid(org, "ORG_ID")
    if (monthly_tokens is None) == (not none):
        raise typer.BadParameter("give --monthly-tokens N or --none")
    if monthly_tokens is not None and monthly_tokens < 0:
        raise typer.BadParameter("--monthly-tokens must be 0 or more")

    async def work(database: Database) -> dict[str, Any]:
        now = clock.utcnow()
        async with database.write() as conn:
            if await accounts.get_organization(conn, org_id) is None:
                raise NotFound(f"No organization {org_id}")
            await llm_usage.set_limit(conn, org_id, monthly_tokens, now=now)
            used = await llm_usage.month_tokens(conn, org_id, now)
        return {"id": str(org_id), "monthlyTokens": monthly_tokens, "usedThisMonth": used}

    data = _run(as_json, work)
    limit = "none" if data["monthlyTokens"] is None else f"{data['monthlyTokens']:,} tokens a month"
    _emit(as_json, data, f"LLM limit: {limit} (used this month: {data['usedThisMonth']:,})")


@orgs_app.command("usage")
def orgs_usage(
    org: Annotated[str, typer.Argument(help="Organization ID.")],
    by: Annotated[str, typer.Option(help="Group by member, purpose, day or job.")] = "member",
    since: Annotated[
        str | None, typer.Option(help="From this date (YYYY-MM-DD; default: this month).")
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Where an organization's LLM tokens went: calls and tokens by member, purpose
    (plan, answer), day or job."""
    org_id = _uuid(org, "ORG_ID")
    if by not in ("member", "purpose", "day", "job"):
        raise typer.BadParameter("--by must be member, purpose, day or job")
    try:
        start = (
            datetime.fromisoformat(since).replace(tzinfo=UTC)
            if since
            else llm_usage.month_start(clock.utcnow())
        )
    except ValueError:
        raise typer.BadParameter(f"--since must be a date, got {since!r}") from None

    async def work(database: Database) -> dict[str, Any]:
        async with database.read() as conn:
            if await accounts.get_organization(conn, org_id) is None:
                raise NotFound(f"No organization {org_id}")
            rows = await llm_usage.spend(conn, org_id, start, by)
            limit = await llm_usage.get_limit(conn, org_id)
            used = await llm_usage.month_tokens(conn, org_id, clock.utcnow())
            emails: dict[str, str] = {}
            if by == "member":
                members = await accounts.list_memberships(conn, org_id)
                emails = {str(m.id): m.email for m in members}
        return {
            "id": str(org_id),
            "since": to_wire(start),
            "by": by,
            "monthlyTokens": limit,
            "usedThisMonth": used,
            "rows": [
                {**row.to_wire(), **({"email": emails[row.key]} if row.key in emails else {})}
                for row in rows
            ],
        }

    data = _run(as_json, work)
    lines = [
        f"Since {data['since'][:10]}, by {by}:",
        f"{'':40} {'calls':>7} {'tokens in':>12} {'tokens out':>12}",
    ]
    for row in data["rows"]:
        name = row.get("email") or row["key"]
        lines.append(
            f"{name[:40]:40} {row['calls']:>7,} {row['promptTokens']:>12,} "
            f"{row['completionTokens']:>12,}"
        )
    limit = data["monthlyTokens"]
    lines.append(
        f"This month: {data['usedThisMonth']:,} tokens"
        + (f" of {limit:,}" if limit is not None else " (no limit)")
    )
    _emit(as_json, data, "\n".join(lines))


@members_app.command("add")
def members_add(
    org: Annotated[str, typer.Option("--org", help="Organization ID.")],
    email: Annotated[str, typer.Option(help="The member's email.")],
    role: Annotated[str, typer.Option(help="MEMBER or ORG_ADMIN.")] = "MEMBER",
    name: Annotated[str | None, typer.Option(help="Display name.")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Add a member to an organization."""
    org_id = _uuid(org, "--org")

    async def work(database: Database) -> dict[str, Any]:
        async with database.write() as conn:
            member = await account_service.add_member(conn, org_id, email, role.upper(), name)
        return {
            "id": str(member.id),
            "organizationId": str(member.organization_id),
            "email": member.email,
            "role": member.role,
        }

    data = _run(as_json, work)
    _emit(as_json, data, f"Membership {data['id']} ({data['email']}, {data['role']})")


@members_app.command("list")
def members_list(
    org: Annotated[str, typer.Option("--org", help="Organization ID.")],
    as_json: JsonFlag = False,
) -> None:
    """List an organization's members."""
    org_id = _uuid(org, "--org")

    async def work(database: Database) -> list[dict[str, Any]]:
        async with database.read() as conn:
            members = await accounts.list_memberships(conn, org_id)
        return [{"id": str(m.id), "email": m.email, "role": m.role} for m in members]

    rows = _run(as_json, work)
    _emit(
        as_json,
        {"members": rows},
        "\n".join(f"{r['id']}  {r['role']:<9}  {r['email']}" for r in rows),
    )


@keys_app.command("create")
def keys_create(
    org: Annotated[str, typer.Option("--org", help="Organization ID.")],
    member: Annotated[
        str | None,
        typer.Option("--member", help="Membership ID: makes a personal access token."),
    ] = None,
    name: Annotated[str | None, typer.Option(help="A label for the key.")] = None,
    expires_in: Annotated[
        int | None, typer.Option("--expires-in", help="Days until the key expires.")
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Create an organization key, or a personal token with --member. Shown once."""
    org_id = _uuid(org, "--org")
    member_id = _uuid(member, "--member") if member else None

    async def work(database: Database) -> dict[str, Any]:
        async with database.write() as conn:
            new = await account_service.create_key(
                conn, org_id, member_id, name=name, expires_in_days=expires_in
            )
        return {
            "id": str(new.key.id),
            "kind": new.key.kind,
            "organizationId": str(new.key.organization_id),
            "membershipId": str(new.key.membership_id) if new.key.membership_id else None,
            "expiresAt": to_wire(new.key.expires_at) if new.key.expires_at else None,
            "token": new.token,
        }

    data = _run(as_json, work)
    _emit(
        as_json,
        data,
        f"Key {data['id']} ({data['kind']})\n{data['token']}\n"
        "Store the token now: it is not shown again.",
    )


@keys_app.command("revoke")
def keys_revoke(
    key: Annotated[str, typer.Argument(help="API key ID.")], as_json: JsonFlag = False
) -> None:
    """Revoke a key; requests with it get 401 from now on."""
    key_id = _uuid(key, "KEY_ID")

    async def work(database: Database) -> dict[str, Any]:
        async with database.write() as conn:
            revoked = await account_service.revoke_key(conn, key_id)
        at = revoked.revoked_at
        return {"id": str(revoked.id), "revokedAt": to_wire(at) if at else None}

    data = _run(as_json, work)
    _emit(as_json, data, f"Key {data['id']} revoked at {data['revokedAt']}")


@keys_app.command("list")
def keys_list(
    org: Annotated[str, typer.Option("--org", help="Organization ID.")],
    as_json: JsonFlag = False,
) -> None:
    """List an organization's keys (never their secrets)."""
    org_id = _uuid(org, "--org")

    async def work(database: Database) -> list[dict[str, Any]]:
        async with database.read() as conn:
            keys = await accounts.list_api_keys(conn, org_id)
        return [
            {
                "id": str(k.id),
                "kind": k.kind,
                "name": k.name,
                "membershipId": str(k.membership_id) if k.membership_id else None,
                "revoked": k.revoked_at is not None,
                "expiresAt": to_wire(k.expires_at) if k.expires_at else None,
            }
            for k in keys
        ]

    rows = _run(as_json, work)
    _emit(
        as_json,
        {"keys": rows},
        "\n".join(
            f"{r['id']}  {r['kind']:<12}  {'revoked' if r['revoked'] else 'active':<7}  "
            f"{r['name'] or ''}"
            for r in rows
        ),
    )


def _progress(as_json: bool) -> Progress:
    return Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=err_console,
        disable=as_json or not err_console.is_terminal,
    )


DatasetOption = Annotated[
    str,
    typer.Option("--dataset", help=f"Which synthetic warehouse: {', '.join(DATASETS)}."),
]


def _dataset(name: str) -> Dataset:
    try:
        return dataset(name)
    except ValueError as error:
        raise typer.BadParameter(str(error), param_hint="--dataset") from None


def _warehouse_path(settings: Settings, chosen: Dataset) -> Path:
    return settings.home / chosen.warehouse_file()


@app.command("demo-data")
def demo_data(
    as_of: Annotated[
        datetime | None,
        typer.Option(formats=["%Y-%m-%d"], help="Data ends the day before (default: today)."),
    ] = None,
    seed: Annotated[int, typer.Option(help="Random seed: same seed and date, same data.")] = 42,
    path: Annotated[
        Path | None,
        typer.Option(help="Output file (default: DATASET.duckdb in PARLEY_HOME)."),
    ] = None,
    dataset_name: DatasetOption = "demo",
    register: Annotated[
        bool,
        typer.Option(
            "--register", help="Also register the dataset's model for --org, on this file."
        ),
    ] = False,
    org: Annotated[
        str | None, typer.Option("--org", help="Organization ID for --register.")
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Build a synthetic warehouse (DuckDB): the demo shop, or another worked example."""
    chosen = _dataset(dataset_name)
    if register and org is None:
        raise typer.BadParameter("--register needs --org ORG_ID")
    org_id = _uuid(org, "--org") if org is not None else None
    settings = Settings()
    target = path or _warehouse_path(settings, chosen)
    day = as_of.date() if as_of else clock.utcnow().date()
    started = time.perf_counter()
    with _progress(as_json) as bar:
        task = bar.add_task(f"{chosen.name} warehouse", total=None)
        chosen.build(
            target, day, seed, lambda done, total: bar.update(task, completed=done, total=total)
        )
    seconds = time.perf_counter() - started
    data: dict[str, Any] = {
        "dataset": chosen.name,
        "path": str(target),
        "asOf": day.isoformat(),
        "seed": seed,
        "seconds": round(seconds, 2),
    }
    human = f"Built {target} ({chosen.name}, as of {day}, seed {seed}) in {seconds:.1f} s"
    if org_id is not None and register:
        model = _register(
            as_json, org_id, chosen.model_path, DUCKDB_PREFIX + str(target.resolve()), chosen.title
        )
        data["model"] = {"id": str(model.id), "name": model.name, "topics": model.topics}
        human += f"\nModel {model.id} ({model.name}); topics: {', '.join(model.topics)}"
    _emit(as_json, data, human)


def _register(
    as_json: bool, org_id: uuid.UUID, file: Path, connection: str, name: str
) -> models_service.RegisteredModel:
    try:
        load_model(file)  # reports mistakes by file, line and field
        definition = yaml.safe_load(file.read_text())
    except OSError as error:
        raise typer.BadParameter(f"cannot read {file}: {error}") from None
    except ModelError as error:
        _fail(as_json, "\n".join(str(p) for p in error.problems), 400)

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

    return _run(as_json, work)


@models_app.command("add")
def models_add(
    org: Annotated[str, typer.Option("--org", help="Organization ID.")],
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
    org_id = _uuid(org, "--org")
    model = _register(as_json, org_id, file, connection, name or file.stem)
    _emit(
        as_json,
        {
            "id": str(model.id),
            "name": model.name,
            "topics": model.topics,
            "connectionId": str(model.connection_id) if model.connection_id else None,
        },
        f"Model {model.id} ({model.name}); topics: {', '.join(model.topics)}",
    )


@models_app.command("list")
def models_list(
    org: Annotated[str, typer.Option("--org", help="Organization ID.")],
    as_json: JsonFlag = False,
) -> None:
    """List an organization's semantic models."""
    org_id = _uuid(org, "--org")

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

    rows = _run(as_json, work)
    _emit(as_json, {"models": rows}, "\n".join(f"{r['id']}  {r['name']}" for r in rows))


def _org(org: str) -> uuid.UUID:
    return _uuid(org, "--org")


async def _existing_org(conn: AsyncConnection, org_id: uuid.UUID) -> None:
    if await accounts.get_organization(conn, org_id) is None:
        raise NotFound(f"no organization {org_id}")


def _connection_line(info: connections_service.ConnectionInfo) -> str:
    tested = info.tested_at.isoformat(timespec="seconds") if info.tested_at else "never"
    return f"{info.id}  {info.name}  {info.kind}  {info.url}  (answered {tested})"


OrgOption = Annotated[str, typer.Option("--org", help="Organization ID.")]


@connections_app.command("add")
def connections_add(
    org: OrgOption,
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
    org_id = _org(org)
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

    info = _run(as_json, work)
    _emit(as_json, info.to_wire(), f"Connection {_connection_line(info)}")


@connections_app.command("test")
def connections_test(
    org: OrgOption,
    connection: Annotated[str, typer.Argument(help="The connection's name or ID.")],
    as_json: JsonFlag = False,
) -> None:
    """Run a query on a stored connection now."""
    org_id = _org(org)
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

    info = _run(as_json, work)
    _emit(as_json, info.to_wire(), f"OK {_connection_line(info)}")


@connections_app.command("list")
def connections_list(org: OrgOption, as_json: JsonFlag = False) -> None:
    """List an organization's connections (URLs without their credentials)."""
    org_id = _org(org)

    async def work(database: Database) -> list[connections_service.ConnectionInfo]:
        async with database.read() as conn:
            return await connections_service.list_connections(conn, org_id)

    infos = _run(as_json, work)
    _emit(
        as_json,
        {"connections": [i.to_wire() for i in infos]},
        "\n".join(_connection_line(i) for i in infos) or "No connections.",
    )


@connections_app.command("remove")
def connections_remove(
    org: OrgOption,
    connection: Annotated[str, typer.Argument(help="The connection's name or ID.")],
    as_json: JsonFlag = False,
) -> None:
    """Remove a connection no model reads any more."""
    org_id = _org(org)

    async def work(database: Database) -> connections_service.ConnectionInfo:
        async with database.write() as conn:
            return await connections_service.remove(conn, org_id, connection)

    info = _run(as_json, work)
    _emit(as_json, info.to_wire(), f"Removed {info.name}")


@app.command("eval")
def eval_command(
    files: Annotated[
        list[Path] | None,
        typer.Argument(
            help="Question sets in the eval format (default: eval/questions.yaml for the "
            "demo, eval/DATASET.yaml and eval/DATASET-heldout.yaml otherwise).",
            show_default=False,
        ),
    ] = None,
    file: Annotated[
        Path | None, typer.Option("--file", help="One question set (same as FILES).")
    ] = None,
    dataset_name: DatasetOption = "demo",
    warehouse: Annotated[
        Path | None,
        typer.Option(
            help="Warehouse for the expected answers, and in process for the answers too "
            "(default: DATASET.duckdb in PARLEY_HOME)."
        ),
    ] = None,
    url: Annotated[
        str | None,
        typer.Option(help="Ask a running Parley instead, through AI jobs (set PARLEY_NOW alike)."),
    ] = None,
    token: Annotated[str | None, typer.Option(help="Token for --url.")] = None,
    model: Annotated[
        str | None, typer.Option(help="Model ID for --url (default: the first one listed).")
    ] = None,
    model_file: Annotated[
        Path | None,
        typer.Option(
            "--model-file", help="Semantic model (YAML) in process (default: the dataset's)."
        ),
    ] = None,
    target: Annotated[
        str | None,
        typer.Option(
            help="Run the answers on this warehouse URL instead (a copy of the dataset's data "
            "in PostgreSQL, ClickHouse, Spark, ...); expected answers still come from "
            "--warehouse."
        ),
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Ask every question of each set; print each answer as right, WRONG or REFUSED, then
    the counts per set. Exits 1 unless every answer is right."""
    chosen = _dataset(dataset_name)
    settings = Settings()
    path = warehouse or _warehouse_path(settings, chosen)
    if not path.exists():
        _fail(
            as_json,
            f"no warehouse at {path}; build one with `parley demo-data --dataset {chosen.name}`",
            400,
        )
    sets = [*(files or []), *([file] if file else [])] or _default_sets(chosen)
    missing = [str(f) for f in sets if not f.exists()]
    if missing:
        _fail(as_json, f"no question set at {', '.join(missing)}", 400)
    now = settings.now or clock.utcnow()
    secret = None
    if url is not None:
        secret = token or _ask_defaults(settings).get("personalToken")
        if not secret:
            _fail(as_json, "--url needs --token", 401)
    semantic_model = None
    if url is None:
        try:
            semantic_model = load_model(model_file or chosen.model_path)
        except OSError as error:
            _fail(as_json, f"cannot read {model_file}: {error}", 400)
        except ModelError as error:
            _fail(as_json, "\n".join(str(p) for p in error.problems), 400)
    other = None
    if target is not None:
        if url is not None:
            _fail(as_json, "--target and --url do not go together", 400)
        try:
            other = open_warehouse(target)
        except Exception as error:  # any driver's failure to connect is the user's to fix
            _fail(as_json, f"cannot open the warehouse: {error}", 400)
    reports: list[tuple[Path, EvalReport]] = []
    try:
        for questions in sets:
            if semantic_model is not None:
                report = run_eval(questions, path, semantic_model, now, target=other)
            elif secret is not None:
                report = _remote_eval(questions, path, now, str(url), secret, model, as_json)
            else:
                raise AssertionError("either a model or a server answers")
            reports.append((questions, report))
    finally:
        if other is not None:
            other.close()
    if as_json:
        sets_json = [{"file": str(f), **r.to_json()} for f, r in reports]
        # One set keeps the flat shape scripts already read.
        out = sets_json[0] if len(sets_json) == 1 else {"sets": sets_json}
        sys.stdout.write(json.dumps(out, default=str) + "\n")
    else:
        for questions, report in reports:
            _print_report(questions, report)
    if any(r.passed < r.total for _, r in reports):
        raise typer.Exit(1)


_MARKS = {
    "right": "[green]right[/green]  ",
    "wrong": "[red]WRONG[/red]  ",
    "refused": "[yellow]REFUSED[/yellow]",
}


def _default_sets(chosen: Dataset) -> list[Path]:
    if chosen.name == "demo":
        return [Path("eval/questions.yaml")]
    return [Path(f"eval/{chosen.name}.yaml"), Path(f"eval/{chosen.name}-heldout.yaml")]


def _print_report(questions: Path, report: EvalReport) -> None:
    console.print(f"[bold]{questions}[/bold]", highlight=False)
    for result in report.results:
        console.print(
            f"{_MARKS[result.outcome]}  {result.question.prompt}", highlight=False, soft_wrap=True
        )
        if not result.passed:
            console.print(f"           {result.difference}", highlight=False, soft_wrap=True)
    console.print(
        f"{questions}: {report.total} questions, {report.passed} right, {report.wrong} wrong, "
        f"{report.refused} refused (accuracy {report.accuracy:.1%})",
        highlight=False,
        soft_wrap=True,
    )


def _remote_eval(
    file: Path, path: Path, now: datetime, url: str, token: str, model: str | None, as_json: bool
) -> EvalReport:
    from parley.jobs import asking

    def ask_turn(
        prompt: str, conversation: str | None
    ) -> tuple[str | None, dict[str, Any] | None, dict[str, Any]]:
        outcome = asking.ask(
            url.rstrip("/"), token, prompt, conversation_id=conversation, model_id=model
        )
        job = outcome["job"]
        return (
            job["conversationId"],
            outcome["result"],
            job.get("error") or {"message": job["state"]},
        )

    try:
        return run_remote_eval(file, path, now, ask_turn)
    except asking.AskError as error:
        _fail(as_json, error.detail, error.status)


@app.command("seed-conversations")
def seed_conversations(
    org: Annotated[str, typer.Option("--org", help="Organization ID.")],
    members: Annotated[int, typer.Option(help="Synthetic members to add.")],
    conversations: Annotated[int, typer.Option(help="Conversations to spread over them.")],
    seed: Annotated[int, typer.Option(help="Random seed: same seed, same data.")] = 1,
    messages: Annotated[bool, typer.Option(help="Also write each conversation's messages.")] = True,
    as_json: JsonFlag = False,
) -> None:
    """Add synthetic members and conversations, for demos and benchmarks."""
    org_id = _uuid(org, "--org")

    async def work(database: Database) -> synthetic.SeedReport:
        with _progress(as_json) as bar:
            task = bar.add_task("conversations", total=conversations)
            return await synthetic.seed_conversations(
                database,
                org_id,
                members=members,
                conversations_count=conversations,
                seed=seed,
                with_messages=messages,
                progress=lambda n: bar.advance(task, n),
            )

    report = _run(as_json, work)
    _emit(
        as_json,
        asdict(report),
        f"Added {report.members} members, {report.conversations} conversations and "
        f"{report.messages} messages.",
    )


@app.command()
def worker(
    count: Annotated[
        int | None, typer.Option(help="Job workers in this process (default: PARLEY_WORKERS).")
    ] = None,
) -> None:
    """Run job workers (and webhook delivery) without the HTTP server."""
    from parley.assistant.runtime import Runtimes
    from parley.jobs.notices import SUBMITTED, Listener
    from parley.jobs.worker import Workers

    settings = Settings()
    logs.configure(settings.log_level)
    workers = count if count is not None else max(1, settings.workers)
    if workers < 1:
        raise typer.BadParameter("--count must be at least 1")

    async def work(database: Database) -> None:
        runtimes = Runtimes(settings)
        pool = Workers(database, runtimes, settings, count=workers)
        listener = None
        if not database.is_sqlite:
            # A submit on any replica wakes these workers at once (jobs/notices.py).
            notices = Listener(database, {SUBMITTED: pool.wakeup})
            listener = asyncio.create_task(notices.run(), name="parley-job-notices")
        try:
            await pool.run()
        finally:
            if listener is not None:
                listener.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await listener
            runtimes.close()

    with contextlib.suppress(KeyboardInterrupt):
        _run(False, work)


@app.command("mcp")
def mcp_command(
    token: Annotated[
        str | None,
        typer.Option(
            envvar="PARLEY_MCP_TOKEN",
            help="Personal access token or organization API key to act with.",
            show_default=False,
        ),
    ] = None,
    user_id: Annotated[
        str | None,
        typer.Option(
            envvar="PARLEY_MCP_USER_ID",
            help="With an organization API key: the member ID to act for.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Serve Parley's MCP tools over stdio, for desktop AI clients."""
    from parley.mcp.access import parse_member
    from parley.mcp.stdio import serve_stdio

    settings = Settings()
    logs.configure(settings.log_level)
    if not token:
        _fail(False, "no token: pass --token or set PARLEY_MCP_TOKEN", 401)
    try:
        named = parse_member(user_id)
        asyncio.run(serve_stdio(settings, token, named))
    except ApiError as exc:
        _fail(False, exc.detail, exc.status)
    except KeyboardInterrupt:
        pass


def _ask_defaults(settings: Settings) -> dict[str, str]:
    try:
        data: dict[str, str] = json.loads(settings.credentials_path.read_text())
        return data
    except (OSError, ValueError):
        return {}


@app.command()
def ask(
    question: Annotated[str, typer.Argument(help="The question, in plain language.")],
    conversation: Annotated[
        str | None, typer.Option(help="Continue this conversation (its ID).")
    ] = None,
    url: Annotated[
        str | None, typer.Option(help="Parley's base URL (default: PARLEY_PUBLIC_URL).")
    ] = None,
    token: Annotated[
        str | None,
        typer.Option(help="API key or personal token (default: the first-run personal token)."),
    ] = None,
    model: Annotated[
        str | None, typer.Option(help="Semantic model ID (default: the first one listed).")
    ] = None,
    timeout: Annotated[float, typer.Option(help="Seconds to wait for the answer.")] = 120.0,
    as_json: JsonFlag = False,
) -> None:
    """Ask a question over HTTP: submit a job, show its progress, print the answer."""
    from parley.jobs import asking

    settings = Settings()
    defaults = _ask_defaults(settings)
    base = (url or defaults.get("baseUrl") or settings.resolved_public_url).rstrip("/")
    secret = token or defaults.get("personalToken")
    if not secret:
        _fail(as_json, "no token: pass --token (or run `parley serve` once for demo keys)", 401)
    drafted: list[str] = []
    try:
        outcome = asking.ask(
            base,
            secret,
            question,
            conversation_id=conversation,
            model_id=model,
            timeout=timeout,
            on_progress=None if as_json else lambda text: err_console.print(f"[dim]… {text}[/dim]"),
            on_draft=None if as_json else _draft_printer(drafted),
        )
    except asking.AskError as error:
        _fail(as_json, error.detail, error.status)
    if as_json:
        sys.stdout.write(json.dumps(outcome, default=str) + "\n")
        if outcome["job"]["state"] != "COMPLETE":
            raise typer.Exit(1)
        return
    if drafted:
        err_console.print()  # end the line the draft was written on
    asking.show(console, err_console, outcome)
    if outcome["job"]["state"] != "COMPLETE":
        raise typer.Exit(1)


def _draft_printer(drafted: list[str]) -> Callable[[str], None]:
    """Prints the answer as the model writes it, on stderr (the finished answer goes
    to stdout)."""

    def show(piece: str) -> None:
        drafted.append(piece)
        err_console.print(piece, end="", style="dim", highlight=False)

    return show


def main() -> None:
    app()
