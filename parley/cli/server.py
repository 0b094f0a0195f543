"""Running Parley: the API server, the job workers alone, the MCP server over stdio, migrations."""

from __future__ import annotations

import asyncio
import contextlib
import gc
from typing import Annotated, Any

import typer

from parley import firstrun, logs
from parley.cli.options import JsonFlag
from parley.cli.running import emit, fail, progress_bar, run
from parley.config import Settings
from parley.db.database import Database
from parley.http import header_limit
from parley.http.errors import ApiError


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
        with progress_bar(as_json) as bar:
            task = bar.add_task("demo warehouse", total=None)
            built = firstrun.ensure_demo_warehouse(
                settings, lambda done, total: bar.update(task, completed=done, total=total)
            )
        if built:
            emit(
                as_json,
                {"event": "demo_warehouse", "path": str(settings.demo_warehouse_path)},
                f"Built the demo warehouse at {settings.demo_warehouse_path}",
            )

    async def prepare(database: Database) -> firstrun.Credentials | None:
        if not settings.first_run:
            return None
        return await firstrun.ensure_demo(database, settings)

    credentials = run(as_json, prepare)
    if credentials is not None:
        # The tokens stay in the private credentials file: stdout often ends up in logs.
        path = settings.credentials_path.resolve()
        emit(
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
        http=header_limit.protocol_class(settings.max_header_bytes, settings.body_timeout),
        h11_max_incomplete_event_size=settings.max_header_bytes,
    )


def migrate_command(as_json: JsonFlag = False) -> None:
    """Bring the state database to the newest schema (serve does this too)."""

    async def work(_database: Database) -> None:
        return None

    run(as_json, work)
    emit(as_json, {"migrated": True}, "Database is up to date.")


def worker(
    count: Annotated[
        int | None, typer.Option(help="Job workers in this process (default: PARLEY_WORKERS).")
    ] = None,
) -> None:
    """Run job workers (and webhook delivery) without the HTTP server."""
    from parley.assistant.runtime import Runtimes
    from parley.jobs.notices import SUBMITTED, Listener
    from parley.jobs.worker import Workers
    from parley.llm.planner import LLMPlanner

    settings = Settings()
    logs.configure(settings.log_level)
    workers = count if count is not None else max(1, settings.workers)
    if workers < 1:
        raise typer.BadParameter("--count must be at least 1")

    async def work(database: Database) -> None:
        runtimes = Runtimes(settings, LLMPlanner)
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
        run(False, work)


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
    from parley.app import create_app
    from parley.mcp.access import parse_member
    from parley.mcp.stdio import serve_stdio

    settings = Settings()
    logs.configure(settings.log_level)
    if not token:
        fail(False, "no token: pass --token or set PARLEY_MCP_TOKEN", 401)
    try:
        named = parse_member(user_id)
        asyncio.run(serve_stdio(create_app(settings), token, named))
    except ApiError as exc:
        fail(False, exc.detail, exc.status)
    except KeyboardInterrupt:
        pass
