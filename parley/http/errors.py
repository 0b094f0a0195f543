"""The one error shape of the API, ``{"detail": ..., "status": ...}``, and its handlers."""

from __future__ import annotations

import logging
from typing import Any, ClassVar

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from parley.http import text
from parley.http.responses import JsonResponse

log = logging.getLogger("parley.http.errors")


class ErrorBody(BaseModel):
    detail: str
    status: int


class CreditShutoffBody(BaseModel):
    code: str
    detail: str
    status: int


class ApiError(Exception):
    status = 500
    default_detail = "Internal server error"
    # Fields some errors add to ``{"detail", "status"}`` (Omni's 402 has a ``code``).
    extra: ClassVar[dict[str, str]] = {}

    def __init__(self, detail: str | None = None, headers: dict[str, str] | None = None) -> None:
        self.detail = detail or self.default_detail
        self.headers = headers
        super().__init__(self.detail)


class BadRequest(ApiError):
    status = 400
    default_detail = "Bad request"


class Unauthorized(ApiError):
    status = 401
    default_detail = "Missing or invalid API key"


class Forbidden(ApiError):
    status = 403
    default_detail = "Not allowed"


class NotFound(ApiError):
    status = 404
    default_detail = "Not found"


class Conflict(ApiError):
    status = 409
    default_detail = "Conflict"


class UnprocessableContent(ApiError):
    status = 422
    default_detail = "The request cannot be processed"


class TooManyRequests(ApiError):
    status = 429
    default_detail = "Rate limit exceeded"


def error_response(
    status: int,
    detail: str,
    headers: dict[str, str] | None = None,
    extra: dict[str, str] | None = None,
) -> Response:
    body = {**(extra or {}), "detail": detail, "status": status}
    return JsonResponse(body, status_code=status, headers=headers)


def describe_validation(exc: RequestValidationError) -> str:
    parts: list[str] = []
    for error in exc.errors():
        location = [str(p) for p in error.get("loc", ()) if p not in ("query", "body", "path")]
        where = ".".join(location) or "request"
        if error.get("type") == "json_invalid":
            parts.append("request body is not valid JSON")
        elif isinstance((error.get("ctx") or {}).get("error"), text.UnstorableText):
            parts.append(str(error["ctx"]["error"]))
        elif error.get("type") == "extra_forbidden":
            parts.append(f"{where}: unknown field")
        else:
            parts.append(f"{where}: {error.get('msg', 'invalid value')}")
    return "; ".join(parts) or "invalid request"


def install_handlers(app: FastAPI) -> None:
    async def on_api_error(_request: Request, exc: Exception) -> Response:
        assert isinstance(exc, ApiError)
        return error_response(exc.status, exc.detail, exc.headers, exc.extra)

    async def on_validation(_request: Request, exc: Exception) -> Response:
        # Omni answers unparseable requests with 400; FastAPI's default would be 422.
        assert isinstance(exc, RequestValidationError)
        return error_response(400, describe_validation(exc))

    async def on_http(_request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        detail = exc.detail if isinstance(exc.detail, str) else "Request failed"
        if exc.status_code == 404 and detail == "Not Found":
            detail = "Not found"
        return error_response(exc.status_code, detail, dict(exc.headers or {}))

    async def on_unexpected(request: Request, exc: Exception) -> Response:
        log.exception(
            "unhandled error", extra={"path": request.url.path, "error_type": type(exc).__name__}
        )
        return error_response(500, "Internal server error")

    app.add_exception_handler(ApiError, on_api_error)
    app.add_exception_handler(RequestValidationError, on_validation)
    app.add_exception_handler(StarletteHTTPException, on_http)
    app.add_exception_handler(Exception, on_unexpected)


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorBody, "description": "The request could not be parsed or is invalid."},
    401: {
        "model": ErrorBody,
        "description": "Missing, malformed, unknown, revoked or expired token.",
    },
    402: {
        "model": CreditShutoffBody,
        "description": "The organization's monthly AI limit is reached (`code`: `shutoff`).",
    },
    403: {"model": ErrorBody, "description": "Authenticated but not allowed."},
    413: {
        "model": ErrorBody,
        "description": "The body is larger than `PARLEY_MAX_BODY_BYTES` (default 1 MiB; "
        "`PARLEY_MAX_JOB_BODY_BYTES`, default 16 MiB, for a job submit with attachments).",
    },
    429: {"model": ErrorBody, "description": "Rate limit exceeded; see `Retry-After`."},
}


def responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` for the given error codes, for a route declaration."""
    table = {**ERROR_RESPONSES, 404: {"model": ErrorBody, "description": "Not found."}}
    return {code: table[code] for code in codes}
