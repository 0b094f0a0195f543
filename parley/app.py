"""``create_app()``: settings, database, routers, error handlers and lifespan."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from parley import __version__, instance, logs
from parley.assistant.endpoints import router as assistant_router
from parley.assistant.runtime import Runtimes
from parley.auth.ratelimit import rate_limiter_for
from parley.config import Settings, get_settings
from parley.conversations.endpoints import router as conversations_router
from parley.db import Database
from parley.errors import install_handlers
from parley.jobs.endpoints import router as jobs_router
from parley.jobs.notices import CHANGED, SUBMITTED, Listener
from parley.jobs.signals import Pulse
from parley.jobs.worker import Workers
from parley.llm.gateway import Gateway
from parley.metrics import Metrics
from parley.middleware import RequestContext
from parley.models.endpoints import router as models_router
from parley.system.endpoints import router as system_router
from parley.web import router as web_router

# How long shutdown waits for workers to finish the job in hand before cutting it off.
SHUTDOWN_GRACE_SECONDS = 10.0


def _openapi_without_422(app: FastAPI) -> dict[str, Any]:
    """The schema FastAPI generates, minus the 422 it adds to every route: Parley
    answers unparseable requests with 400 (SPEC §1)."""
    if app.openapi_schema:
        return app.openapi_schema
    schema = get_openapi(
        title=app.title, version=app.version, description=app.description, routes=app.routes
    )
    for path in schema.get("paths", {}).values():
        for operation in path.values():
            operation.get("responses", {}).pop("422", None)
    for name in ("HTTPValidationError", "ValidationError"):
        schema.get("components", {}).get("schemas", {}).pop(name, None)
    app.openapi_schema = schema
    return schema


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        database = Database(settings.resolved_database_url, pool_size=settings.db_pool_size)
        app.state.database = database
        app.state.cursor_codec = await instance.prepare(database, settings)
        app.state.rate_limiter = rate_limiter_for(database)
        app.state.runtimes = Runtimes(settings)
        app.state.job_wakeup = Pulse()
        app.state.job_changes = Pulse()
        listener = None
        if not database.is_sqlite:
            notices = Listener(
                database, {SUBMITTED: app.state.job_wakeup, CHANGED: app.state.job_changes}
            )
            listener = asyncio.create_task(notices.run(), name="parley-job-notices")
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
        try:
            yield
        finally:
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
            if listener is not None:
                listener.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await listener
            if gateway is not None:
                await gateway.aclose()
            app.state.runtimes.close()
            await database.dispose()

    app = FastAPI(
        title="Parley",
        version=__version__,
        description="A self-hosted server for AI analytics conversations, "
        "compatible with Omni's AI API.",
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
    app.include_router(web_router)
    app.openapi = lambda: _openapi_without_422(app)  # type: ignore[method-assign]
    app.add_middleware(RequestContext, metrics=app.state.metrics, log_requests=settings.access_log)
    return app


def app_from_environment() -> FastAPI:
    """Entry point for ``uvicorn --factory parley.app:app_from_environment``."""
    settings = get_settings()
    logs.configure(settings.log_level)
    return create_app(settings)
