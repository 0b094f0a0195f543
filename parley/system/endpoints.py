"""Health, readiness, metrics and ``whoami``."""

from __future__ import annotations

import logging
from typing import Literal

from fastapi import APIRouter, Request
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import BaseModel
from sqlalchemy import text
from starlette.responses import Response

from parley.auth.dependencies import Caller
from parley.db import DatabaseDep
from parley.errors import error_response, responses
from parley.kit.responses import JsonResponse

router = APIRouter()


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


@router.get("/readyz", tags=["Operations"], summary="The state database answers")
async def readyz(database: DatabaseDep) -> Response:
    try:
        async with database.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
    except Exception:  # any failure means "not ready"; the reason goes to the log
        logging.getLogger("parley.readyz").exception("state database unreachable")
        return error_response(503, "State database unreachable")
    return JsonResponse({"status": "ready"})


@router.get("/metrics", tags=["Operations"], summary="Prometheus metrics")
async def metrics(request: Request) -> Response:
    return Response(
        generate_latest(request.app.state.metrics.registry), media_type=CONTENT_TYPE_LATEST
    )
