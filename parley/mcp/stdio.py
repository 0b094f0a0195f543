"""``parley mcp``: the same tools over stdio, for desktop clients that start a command.

The process opens Parley's own database and warehouses (as ``parley serve`` does, with
its own job workers, so ``ask`` is answered even when no server runs) and acts with the
token it was given. Nothing but the protocol may reach stdout.
"""

from __future__ import annotations

import uuid

from fastapi import FastAPI

from parley.mcp.access import Access, Services, authorize
from parley.mcp.server import build_server


async def serve_stdio(app: FastAPI, token: str, named: uuid.UUID | None) -> None:
    """Serve MCP on stdin/stdout with ``app``'s database, warehouses and workers (the
    command builds it: the app sits above this package) until the client closes them.
    Raises ``ApiError`` when the token (or the member it names) is refused at start."""
    async with app.router.lifespan_context(app):
        services = Services.of(app.state)
        # Refused tokens fail the start, where a desktop client shows the error.
        await authorize(services, token, named)

        async def resolve(_ctx: object) -> Access:
            # Checked again on every call: revocation, expiry and the rate limit apply
            # as they do to the API.
            access, _limits = await authorize(services, token, named)
            return access

        await build_server(resolve).run_stdio_async()
