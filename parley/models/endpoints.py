"""HTTP for semantic models: the list, and a model's topics."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field
from starlette.responses import Response

from parley.assistant.semantic_model import SemanticModel
from parley.auth.dependencies import Caller
from parley.conversations.schemas import PageInfo
from parley.db.database import ReadConn
from parley.http.errors import NotFound, responses
from parley.http.query_models import openapi_parameters, parse_query
from parley.http.responses import JsonResponse
from parley.models import catalog, repository
from parley.models.branches import no_branch
from parley.models.service import runtime_for

router = APIRouter(prefix="/api/v1", tags=["Models"])


class ModelRecord(BaseModel):
    id: str
    name: str
    modelKind: str = Field(description="Always SHARED: every member may query the model.")
    baseModelId: str | None = Field(description="Always null: Parley has no branches.")
    connectionId: str = Field(
        description="The model's connection (`parley connections`), or for a model registered "
        "with a warehouse URL of its own, a stable id derived from that URL."
    )
    createdAt: str
    updatedAt: str = Field(description="Models are not edited in place: equal to createdAt.")
    deletedAt: str | None = Field(description="Always null: deleted models are gone.")
    topics: list[str] = Field(description="Beyond Omni: the model's topic names.")
    branches: list[dict[str, Any]] | None = Field(
        default=None, description="With `include=activeBranches`: always empty."
    )


class ModelList(BaseModel):
    pageInfo: PageInfo
    records: list[ModelRecord]


class TopicSummary(BaseModel):
    name: str
    base_view_name: str
    label: str
    hidden: bool
    description: str | None = None


class TopicList(BaseModel):
    success: bool
    topics: list[TopicSummary]


class TopicDetail(TopicSummary):
    views: list[dict[str, Any]] = Field(description="Each view with its labelled fields.")
    relationships: list[dict[str, Any]] = Field(description="The topic's joins.")


class AgentAction(BaseModel):
    kind: str = Field(description="Always `sample`: Parley models declare no skills.")
    label: str
    prompt: str = Field(description="Send it as the `prompt` of a job.")


class AgentActions(BaseModel):
    records: list[AgentAction]


class TopicResponse(BaseModel):
    success: bool
    topic: TopicDetail


@router.get(
    "/models",
    response_model=ModelList,
    responses=responses(400, 401, 429),
    summary="List semantic models",
    description="The semantic models the caller's organization may query, with Omni's "
    "filters, sorting and pages.",
    openapi_extra={"parameters": openapi_parameters(catalog.ModelsQuery)},
)
async def list_models(request: Request, caller: Caller, conn: ReadConn) -> Response:
    query = parse_query(catalog.ModelsQuery, request)
    rows = await repository.all_of(conn, caller.organization_id)
    body = catalog.page(rows, caller.organization_id, query, request.app.state.cursor_codec)
    return JsonResponse(body)


BranchQuery = Annotated[
    uuid.UUID | None,
    Query(alias="branch_id", description="A branch of the model; Parley models have none."),
]


async def _model(
    request: Request, caller: Caller, conn: ReadConn, model_id: uuid.UUID, branch: uuid.UUID | None
) -> SemanticModel:
    runtime = await runtime_for(conn, request.app.state.runtimes, caller.organization_id, model_id)
    if branch is not None:
        raise NotFound(no_branch(branch, model_id))
    return runtime.model


@router.get(
    "/models/{modelId}/topic",
    response_model=TopicList,
    responses=responses(400, 401, 404, 429),
    summary="List a model's topics",
)
async def list_topics(
    request: Request,
    modelId: uuid.UUID,
    caller: Caller,
    conn: ReadConn,
    branch_id: BranchQuery = None,
) -> Response:
    model = await _model(request, caller, conn, modelId, branch_id)
    topics = [catalog.topic_summary(model, name) for name in model.topics]
    return JsonResponse({"success": True, "topics": topics})


@router.get(
    "/models/{modelId}/topic/{topicName}",
    response_model=TopicResponse,
    responses=responses(400, 401, 404, 429),
    summary="One topic with its views and fields",
)
async def get_topic(
    request: Request,
    modelId: uuid.UUID,
    topicName: str,
    caller: Caller,
    conn: ReadConn,
    branch_id: BranchQuery = None,
) -> Response:
    model = await _model(request, caller, conn, modelId, branch_id)
    if topicName not in model.topics:
        raise NotFound(f"No topic {topicName!r} in this model")
    return JsonResponse({"success": True, "topic": catalog.topic_detail(model, topicName)})


@router.get(
    "/models/{modelId}/ai-agent-actions",
    response_model=AgentActions,
    responses=responses(400, 401, 404, 429),
    summary="Sample prompts for the model",
)
async def ai_agent_actions(
    request: Request,
    modelId: uuid.UUID,
    caller: Caller,
    conn: ReadConn,
) -> Response:
    model = await _model(request, caller, conn, modelId, None)
    return JsonResponse({"records": catalog.sample_actions(model)})
