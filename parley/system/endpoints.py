"""Health, readiness, metrics and ``whoami``."""

from __future__ import annotations

import logging
from typing import Literal

from fastapi import APIRouter, Request
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import BaseModel
from starlette.responses import Response

from parley.auth.dependencies import Caller
from parley.db.database import DatabaseDep
from parley.http.errors import ErrorBody, error_response, responses
from parley.http.responses import JsonResponse
from parley.kit.backoff import describe

router = APIRouter()
log = logging.getLogger("parley.readyz")


class WhoamiUser(BaseModel):
    membershipId: str
    role: str


class Whoami(BaseModel):
    keyScope: Literal["organization", "user"]
    organizationId: str
    user: WhoamiUser | None


@router.get(
    "/api/v1/whoami",
    response_model=Whoami,
    responses=responses(401, 429),
    tags=["Parley"],
    summary="Who the token belongs to",
)
async def whoami(caller: Caller) -> Response:
    user = None
    if caller.membership_id is not None:
        user = {"membershipId": str(caller.membership_id), "role": caller.role}
    return JsonResponse(
        {
            "keyScope": caller.key_scope,
            "organizationId": str(caller.organization_id),
            "user": user,
        }
    )


@router.get("/healthz", tags=["Operations"], summary="The process is up")
async def healthz() -> Response:
    return JsonResponse({"status": "ok"})


@router.get(
    "/readyz",
    tags=["Operations"],
    summary="The state database takes a write",
    responses={503: {"model": ErrorBody, "description": "The state database refuses writes."}},
)
async def readyz(database: DatabaseDep) -> Response:
    try:
        await database.check_writable()
    except Exception as error:  # any failure means "not ready"; the reason goes to the log
        log.warning("not ready: the database refuses writes", extra={"error": describe(error)})
        return error_response(503, "The state database does not take writes")
    return JsonResponse({"status": "ready"})


@router.get("/metrics", tags=["Operations"], summary="Prometheus metrics")
async def metrics(request: Request) -> Response:
    return Response(
        generate_latest(request.app.state.metrics.registry), media_type=CONTENT_TYPE_LATEST
    )
