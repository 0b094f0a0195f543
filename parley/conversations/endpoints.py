"""HTTP for conversations: parse, call the service, shape the response."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from parley.auth.dependencies import Caller
from parley.conversations import service
from parley.conversations.schemas import (
    ConversationDetail,
    ConversationList,
    ConversationSummary,
    ListQuery,
    RenameRequest,
)
from parley.db.database import Database, ReadConn, WriteConn
from parley.http.errors import responses
from parley.http.query_models import openapi_parameters, parse_query
from parley.http.responses import JsonResponse

router = APIRouter(prefix="/api/v1/ai", tags=["AI conversations"])


@router.get(
    "/conversations",
    response_model=ConversationList,
    responses=responses(400, 401, 403, 429),
    summary="List AI conversations",
    description=(
        "A member's AI conversations, most recent activity first (`updatedAt` desc, then "
        "`id` desc), in keyset pages with a total. A personal access token sees only its "
        "own conversations; an organization API key sees every member's, or one member's "
        "with `userId`."
    ),
    # Validated by one model rather than per parameter: this is the route clients poll.
    openapi_extra={"parameters": openapi_parameters(ListQuery)},
)
async def list_conversations(request: Request, caller: Caller) -> Response:
    query = parse_query(ListQuery, request)
    database: Database = request.app.state.database
    search = query.q.strip() if query.q else None
    # A text search may read many rows: on SQLite it runs off the event loop.
    async with database.direct(scan=bool(search)) as reader:
        page = await service.list_conversations(
            reader,
            caller,
            request.app.state.cursor_codec,
            page_size=query.page_size,
            cursor=query.cursor,
            user_id=query.user_id,
            search=search,
        )
    return Response(page.to_json(), media_type="application/json")


UserIdQuery = Annotated[
    uuid.UUID | None,
    Query(alias="userId", description="Membership ID to scope to. Organization API keys only."),
]


@router.get(
    "/conversations/{conversationId}",
    response_model=ConversationDetail,
    responses=responses(400, 401, 403, 404, 429),
    summary="One AI conversation with its messages",
)
async def get_conversation(
    request: Request,
    conversationId: uuid.UUID,
    caller: Caller,
    conn: ReadConn,
    user_id: UserIdQuery = None,
) -> Response:
    body = await service.get_conversation(
        conn,
        caller,
        conversationId,
        public_url=request.app.state.settings.resolved_public_url,
        user_id=user_id,
    )
    return JsonResponse(body)


@router.patch(
    "/conversations/{conversationId}",
    response_model=ConversationSummary,
    responses=responses(400, 401, 403, 404, 413, 429),
    summary="Rename an AI conversation (beyond Omni)",
)
async def rename_conversation(
    conversationId: uuid.UUID,
    body: RenameRequest,
    caller: Caller,
    conn: WriteConn,
    user_id: UserIdQuery = None,
) -> Response:
    renamed = await service.rename(conn, caller, conversationId, body.name, user_id=user_id)
    return JsonResponse(renamed)


@router.delete(
    "/conversations/{conversationId}",
    status_code=204,
    response_class=Response,
    responses=responses(400, 401, 403, 404, 429),
    summary="Delete an AI conversation with its messages and results (beyond Omni)",
)
async def delete_conversation(
    conversationId: uuid.UUID,
    caller: Caller,
    conn: WriteConn,
    user_id: UserIdQuery = None,
) -> Response:
    await service.delete(conn, caller, conversationId, user_id=user_id)
    return Response(status_code=204)
