"""The MCP server object: Parley's tools on the SDK's ``MCPServer``, and the Streamable
HTTP session manager the ``/mcp`` endpoint hands requests to."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Callable
from typing import Any

from mcp.server.mcpserver import MCPServer
from mcp.server.streamable_http_manager import StreamableHTTPSessionManager
from mcp.server.transport_security import TransportSecuritySettings
from mcp.types import ToolAnnotations

from parley import __version__
from parley.mcp.access import Resolver
from parley.mcp.tools import QUERY_HELP, Tools

INSTRUCTIONS = """\
Parley answers questions about data described by semantic models. Call list_models
first, then describe_topic for the fields of a topic. get_data answers a question (or
runs a semantic query you write) without storing anything; ask does the same in a
conversation the member can reopen later. list_conversations and get_conversation read
the member's history."""

_READ_ONLY = ToolAnnotations(read_only_hint=True, open_world_hint=False)


def _doc(method: Callable[..., Any], extra: str = "") -> str:
    text = inspect.cleandoc(method.__doc__ or "")
    return f"{text}\n\n{extra}" if extra else text


def build_server(resolve: Resolver) -> MCPServer[Any]:
    server: MCPServer[Any] = MCPServer(
        "parley", instructions=INSTRUCTIONS, version=__version__, log_level="WARNING"
    )
    tools = Tools(resolve)
    reads: list[tuple[Callable[..., Any], str]] = [
        (tools.list_models, ""),
        (tools.describe_topic, ""),
        (tools.pick_topic, ""),
        (tools.get_data, QUERY_HELP),
        (tools.list_conversations, ""),
        (tools.get_conversation, ""),
    ]
    for method, extra in reads:
        server.add_tool(method, description=_doc(method, extra), annotations=_READ_ONLY)
    server.add_tool(
        tools.ask,
        description=_doc(tools.ask),
        annotations=ToolAnnotations(read_only_hint=False, destructive_hint=False),
    )
    return server


def http_sessions(server: MCPServer[Any]) -> StreamableHTTPSessionManager:
    """A fresh session manager (one per app lifespan: a manager runs only once).

    Stateless, with JSON answers: each POST stands alone, so any replica behind a load
    balancer can answer it and nothing is kept between requests. Bearer tokens already
    protect the endpoint, so the SDK's Host-header check for servers on localhost (which
    would refuse Parley behind a proxy) is off.
    """
    server.streamable_http_app(
        stateless_http=True,
        json_response=True,
        transport_security=TransportSecuritySettings(enable_dns_rebinding_protection=False),
    )
    return server.session_manager


class SessionsTask:
    """The session manager's run, in an asyncio task of its own.

    The manager holds an anyio task group, which must be left by the task that entered
    it; an app's lifespan may be entered and left by different tasks (test fixtures do
    that), so the group lives in this task and the lifespan only starts and stops it.
    """

    def __init__(self, sessions: StreamableHTTPSessionManager) -> None:
        self._sessions = sessions
        self._ready = asyncio.Event()
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def _run(self) -> None:
        async with self._sessions.run():
            self._ready.set()
            await self._stop.wait()

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="parley-mcp-sessions")
        ready = asyncio.create_task(self._ready.wait())
        await asyncio.wait({self._task, ready}, return_when=asyncio.FIRST_COMPLETED)
        if self._task.done():
            ready.cancel()
            self._task.result()  # the manager failed to start: raise its error

    async def stop(self) -> None:
        self._stop.set()
        if self._task is not None:
            await self._task
