"""HTTP for semantic models (SPEC §6.3)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel
from starlette.responses import Response

from parley.auth.dependencies import Caller
from parley.conversations.schemas import PageInfo
from parley.db import ReadConn
from parley.errors import responses
from parley.kit.responses import JsonResponse
from parley.models import service

router = APIRouter(prefix="/api/v1", tags=["Models"])


class ModelRecord(BaseModel):
    id: str
    name: str
    topics: list[str]
    connectionId: str | None = None


class ModelList(BaseModel):
    pageInfo: PageInfo
    records: list[ModelRecord]


@router.get(
    "/models",
    response_model=ModelList,
    responses=responses(400, 401, 429),
    summary="List semantic models",
    description="The semantic models the caller's organization may query, newest first.",
)
async def list_models(
    request: Request,
    caller: Caller,
    conn: ReadConn,
    page_size: Annotated[int, Query(alias="pageSize", ge=1, le=100)] = 50,
    cursor: Annotated[str | None, Query(max_length=1024)] = None,
) -> Response:
    body = await service.list_models(
        conn,
        caller.organization_id,
        request.app.state.cursor_codec,
        page_size=page_size,
        cursor=cursor,
    )
    return JsonResponse(body)
