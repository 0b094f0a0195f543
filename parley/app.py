"""``create_app()``: settings, database, routers, error handlers and lifespan."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from starlette.routing import Route

from parley import __version__, instance, logs
from parley.assistant.runtime import Runtimes
from parley.auth.ratelimit import rate_limiter_for
from parley.auth.throttle import failure_throttle_for
from parley.config import Settings, get_settings
from parley.conversations.endpoints import router as conversations_router
from parley.db.database import Database
from parley.embed import router as embed_router
from parley.embed import scim_router
from parley.embed.pages import router as embed_pages
from parley.http.errors import install_handlers
from parley.http.middleware import RequestContext, RequestLimits
from parley.jobs.endpoints import router as jobs_router
from parley.jobs.notices import CHANGED, SUBMITTED, Listener
from parley.jobs.signals import Pulse
from parley.jobs.streams import StreamSlots
from parley.jobs.worker import Workers
from parley.kit.private_files import private_dir
from parley.llm.gateway import Gateway
from parley.llm.planner import LLMPlanner
from parley.maintenance import checkpoint_forever
from parley.mcp.http import McpEndpoint, access_of_request
from parley.mcp.server import SessionsTask, build_server, http_sessions
from parley.metrics import Metrics
from parley.models.endpoints import router as models_router
from parley.queries.endpoints import router as assistant_router
from parley.system.endpoints import router as system_router
from parley.web import router as web_router

# How long shutdown waits for workers to finish the job in hand before cutting it off.
SHUTDOWN_GRACE_SECONDS = 10.0


def _openapi_without_422(app: FastAPI) -> dict[str, Any]:
    """The schema FastAPI generates, minus the validation 422 it adds to every route:
    Parley answers unparseable requests with 400. A 422 a route declares itself stays."""
    if app.openapi_schema:
        return app.openapi_schema
    schema = get_openapi(
        title=app.title, version=app.version, description=app.description, routes=app.routes
    )
    for path in schema.get("paths", {}).values():
        for operation in path.values():
            responses = operation.get("responses", {})
            if "HTTPValidationError" in str(responses.get("422", "")):
                del responses["422"]
    for name in ("HTTPValidationError", "ValidationError"):
        schema.get("components", {}).get("schemas", {}).pop(name, None)
    app.openapi_schema = schema
    return schema


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if settings.home.exists():
            private_dir(settings.home)
        database = Database(settings.resolved_database_url, pool_size=settings.db_pool_size)
        app.state.database = database
        app.state.cursor_codec = await instance.prepare(database, settings)
        app.state.rate_limiter = rate_limiter_for(database)
        app.state.auth_throttle = failure_throttle_for(database, settings.auth_failures_per_minute)
        app.state.runtimes = Runtimes(settings, LLMPlanner)
        app.state.job_wakeup = Pulse()
        app.state.job_changes = Pulse()
        app.state.event_streams = StreamSlots(settings.event_streams_per_token)
        listener = None
        if not database.is_sqlite:
            notices = Listener(
                database, {SUBMITTED: app.state.job_wakeup, CHANGED: app.state.job_changes}
            )
            listener = asyncio.create_task(notices.run(), name="parley-job-notices")
        checkpoints = None
        if database.sqlite_path is not None:
            checkpoints = asyncio.create_task(
                checkpoint_forever(database, settings.sqlite_checkpoint_seconds),
                name="parley-wal-checkpoints",
            )
        # One gateway per process: its limit on calls in flight covers jobs and
        # generate-query alike.
        gateway = None
        if settings.llm_base_url and settings.llm_model:
            gateway = Gateway(settings, metrics=app.state.metrics)
        app.state.llm_gateway = gateway
        workers = None
        if settings.workers > 0:
            pool = Workers(
                database,
                app.state.runtimes,
                settings,
                count=settings.workers,
                wakeup=app.state.job_wakeup,
                changes=app.state.job_changes,
                metrics=app.state.metrics,
                gateway=gateway,
            )
            workers = asyncio.create_task(pool.run(), name="parley-workers")
        app.state.mcp_sessions = http_sessions(app.state.mcp_server)
        mcp_sessions = SessionsTask(app.state.mcp_sessions)
        await mcp_sessions.start()
        try:
            yield
        finally:
            # Before the workers and the database: a tool call may still be using them.
            await mcp_sessions.stop()
            if workers is not None:
                # Workers finish the job in hand and return their connections; one cut
                # off after the grace period keeps its lease until it expires, and then
                # another worker (of this or another process) takes it over.
                pool.stop()
                try:
                    await asyncio.wait_for(asyncio.shield(workers), SHUTDOWN_GRACE_SECONDS)
                except TimeoutError:
                    workers.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await workers
            for task in (listener, checkpoints):
                if task is not None:
                    task.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await task
            if gateway is not None:
                await gateway.aclose()
            app.state.runtimes.close()
            await database.dispose()

    app = FastAPI(
        title="Parley",
        version=__version__,
        description="A self-hosted server for AI analytics conversations, "
        "compatible with Omni's AI API. Request bodies are limited to "
        "`PARLEY_MAX_BODY_BYTES` (default 1 MiB; 16 MiB for a job submit, which may carry "
        "attachments; else 413), the request line and headers "
        "to `PARLEY_MAX_HEADER_BYTES` (default 64 KiB, else 431), and text fields may not "
        "contain NUL characters (400).",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.metrics = Metrics()
    install_handlers(app)
    app.include_router(conversations_router)
    app.include_router(jobs_router)
    app.include_router(assistant_router)
    app.include_router(models_router)
    app.include_router(system_router)
    app.include_router(embed_router)
    app.include_router(scim_router)
    app.include_router(embed_pages)
    app.include_router(web_router)
    # Last, so the routes clients poll never test it first.
    app.state.mcp_server = build_server(access_of_request)
    app.router.routes.append(Route("/mcp", McpEndpoint(), include_in_schema=False))
    app.openapi = lambda: _openapi_without_422(app)  # type: ignore[method-assign]
    # Added first, so it runs inside RequestContext: refusals are logged and counted.
    app.add_middleware(
        RequestLimits,
        max_bytes=settings.max_body_bytes,
        max_job_bytes=settings.max_job_body_bytes,
        timeout=settings.body_timeout,
    )
    app.add_middleware(RequestContext, metrics=app.state.metrics, log_requests=settings.access_log)
    return app


def app_from_environment() -> FastAPI:
    """Entry point for ``uvicorn --factory parley.app:app_from_environment``."""
    settings = get_settings()
    logs.configure(settings.log_level)
    return create_app(settings)
