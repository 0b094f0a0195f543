"""ASGI middleware for what every request needs: an id, an access log line, metrics,
the rate-limit headers decided during authentication, and bounds on its body."""

from __future__ import annotations

import asyncio
import logging
import re
import time
import uuid

from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from parley import logs
from parley.http import text
from parley.http.responses import JsonResponse
from parley.metrics import Metrics

access_log = logging.getLogger("parley.access")
_SAFE_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


def _route_of(scope: Scope) -> str:
    route = scope.get("route")
    path = getattr(route, "path", None)
    return path if isinstance(path, str) else "unmatched"


class RequestContext:
    def __init__(self, app: ASGIApp, metrics: Metrics, *, log_requests: bool) -> None:
        self.app = app
        self.metrics = metrics
        self.log_requests = log_requests

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = dict(scope["headers"]).get(b"x-request-id", b"").decode("latin-1")
        rid = incoming if _SAFE_ID.match(incoming) else uuid.uuid4().hex
        token = logs.request_id.set(rid)
        started = time.perf_counter()
        status = 500

        async def send_with_headers(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = MutableHeaders(scope=message)
                headers["X-Request-ID"] = rid
                limits = scope.get("state", {}).get("rate_limit_headers")
                if limits:
                    for name, value in limits.items():
                        headers.setdefault(name, value)
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        finally:
            elapsed = time.perf_counter() - started
            route = _route_of(scope)
            self.metrics.observe(scope["method"], route, status, elapsed)
            if self.log_requests:
                # The path only, never the query string: it is the client's and may
                # carry anything.
                access_log.info(
                    "request",
                    extra={
                        "method": scope["method"],
                        "path": scope["path"],
                        "route": route,
                        "status": status,
                        "ms": round(elapsed * 1000, 2),
                    },
                )
            logs.request_id.reset(token)


# A refused body is left unread, so the connection cannot carry another request.
_CLOSE = {"Connection": "close"}


class BodyTooLarge(HTTPException):
    """Raised from ``receive`` when a streamed body passes the cap. An HTTPException, so
    FastAPI's body parsing passes it on to the error handlers instead of calling it
    unparseable."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"Request body larger than {limit} bytes", headers=_CLOSE)


class BodyTimeout(HTTPException):
    def __init__(self, seconds: float) -> None:
        super().__init__(
            408, f"Request body not received in full within {seconds:g} seconds", headers=_CLOSE
        )


# The one route whose body may carry files (attachments), with a cap of its own.
JOB_SUBMIT_PATH = "/api/v1/ai/jobs"


class RequestLimits:
    """Bounds every request body in size and in time, and refuses a NUL in the query
    string or path (http/text.py), before the application (and so authentication) sees
    the request.

    A declared ``Content-Length`` over the cap is refused without reading a byte; a
    chunked body is counted as it arrives. A body that is not complete within
    ``timeout`` seconds of the request (a slow client, or one that sent less than its
    ``Content-Length``) is refused rather than left holding the connection. Requests
    without a body cost one pass over the header list.

    A job submit may carry attachments (a few images or PDFs, base64), so that one route
    has a cap of its own, ``max_job_bytes``; the attachments' own limits are checked
    after it (jobs/attachments.py).
    """

    def __init__(self, app: ASGIApp, *, max_bytes: int, max_job_bytes: int, timeout: float) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.max_job_bytes = max_job_bytes
        self.timeout = timeout

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if text.in_query(scope["query_string"]) or "\x00" in scope["path"]:
            refusal = HTTPException(400, text.message("query string or path"))
            await _refusal(refusal)(scope, receive, send)
            return
        declared: bytes | None = None
        chunked = False
        for name, value in scope["headers"]:
            if name == b"content-length":
                declared = value
            elif name == b"transfer-encoding":
                chunked = True
        if declared is None and not chunked:
            await self.app(scope, receive, send)
            return
        if declared is not None and not declared.isdigit():
            await _refusal(HTTPException(400, "Invalid Content-Length", _CLOSE))(
                scope, receive, send
            )
            return
        limit = (
            self.max_job_bytes
            if scope["path"] == JOB_SUBMIT_PATH and scope["method"] == "POST"
            else self.max_bytes
        )
        if declared is not None and int(declared) > limit:
            await _refusal(BodyTooLarge(limit))(scope, receive, send)
            return
        await self._bounded(scope, receive, send, limit)

    async def _bounded(self, scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.timeout
        received = 0
        complete = False
        started = False

        async def bounded_receive() -> Message:
            nonlocal received, complete
            if complete:
                # Past the body, receive only waits for a disconnect (event streams).
                return await receive()
            try:
                async with asyncio.timeout_at(deadline):
                    message = await receive()
            except TimeoutError:
                raise BodyTimeout(self.timeout) from None
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit)
                complete = not message.get("more_body", False)
            else:
                complete = True
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, bounded_receive, tracking_send)
        except (BodyTooLarge, BodyTimeout) as refusal:
            # Raised where no error handler was in the way (a route that reads the body
            # itself, say): answer here if nothing was sent yet.
            if started:
                raise
            await _refusal(refusal)(scope, receive, send)


def _refusal(error: HTTPException) -> JsonResponse:
    return JsonResponse(
        {"detail": error.detail, "status": error.status_code},
        error.status_code,
        dict(error.headers or {}),
    )
