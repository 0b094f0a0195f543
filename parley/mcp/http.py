"""``/mcp``: the Streamable HTTP endpoint, behind the API's bearer tokens.

A plain ASGI endpoint rather than middleware, so no other route pays for it. Every
request is authenticated (and counted against the rate limit) before the SDK sees it;
the resulting ``Access`` rides in the request's state to the tool call.
"""

from __future__ import annotations

from typing import Any

from mcp.server.mcpserver import Context
from starlette.requests import Request
from starlette.types import Receive, Scope, Send

from parley.http.errors import ApiError, error_response
from parley.mcp.access import MEMBER_HEADER, Access, Services, authorize, parse_member

_ACCESS = "parley_mcp_access"


class McpEndpoint:
    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope.get("method") == "GET":
            # The server keeps no session (stateless), so a GET stream could never carry
            # a message: the transport's answer for a server without one is 405, and no
            # connection is held open for nothing.
            response = error_response(405, "The MCP endpoint takes POST only", {"Allow": "POST"})
            await response(scope, receive, send)
            return
        request = Request(scope, receive)
        app_state = request.app.state
        authorization = request.headers.get("authorization", "")
        scheme, _, token = authorization.partition(" ")
        try:
            named = parse_member(request.headers.get(MEMBER_HEADER))
            access, limits = await authorize(
                Services.of(app_state),
                token if scheme.lower() == "bearer" else None,
                named,
                throttle=app_state.auth_throttle,
                client=request.client.host if request.client else None,
            )
        except ApiError as error:
            headers = dict(error.headers or {})
            if error.status == 401:
                headers["WWW-Authenticate"] = "Bearer"
            await error_response(error.status, error.detail, headers)(scope, receive, send)
            return
        # The request middleware adds these to the response, as for any API route.
        request.state.rate_limit_headers = limits
        setattr(request.state, _ACCESS, access)
        await app_state.mcp_sessions.handle_request(scope, receive, send)


async def access_of_request(ctx: Context) -> Access:
    """The Access the endpoint stored for the HTTP request carrying this tool call."""
    request: Any = ctx.request_context.request
    access = getattr(request.state, _ACCESS, None) if request is not None else None
    if not isinstance(access, Access):
        raise RuntimeError("MCP tool call without an authenticated request")
    return access
