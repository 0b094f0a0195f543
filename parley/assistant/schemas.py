"""The wire contract of the query helpers (docs/api.md: generate-query, pick-topic)."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from pydantic import BaseModel, Field, StringConstraints

from parley.http.text import RequestBody

Prompt = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=10_000)]
TopicName = Annotated[str, StringConstraints(max_length=256)]


class GenerateQueryRequest(RequestBody):
    modelId: uuid.UUID
    prompt: Prompt
    currentTopicName: TopicName | None = None
    runQuery: bool = True
    userId: uuid.UUID | None = None
    branchId: uuid.UUID | None = Field(
        default=None, description="A branch of the model; Parley models have none, so 404."
    )
    queryAllViews: bool = Field(
        default=False,
        description="Let the planner also query views outside every topic, one view at a time.",
    )
    workbookUrl: bool = Field(
        default=False,
        description="Also return `workbookUrl`: Parley's web page, ready to ask the prompt.",
    )


class QueryErrorBody(BaseModel):
    message: str
    detail: str


class QueryResultBody(BaseModel):
    columns: list[str]
    rows: list[list[Any]]
    totalRowCount: int
    truncated: bool


class GenerateQueryResponse(BaseModel):
    query: dict[str, Any] = Field(
        description="A semantic query; an empty object when none was generated (see error)."
    )
    topic: str | None
    baseView: str | None = Field(
        description="The view queried when it is outside every topic (queryAllViews), else null."
    )
    error: QueryErrorBody | None
    result: QueryResultBody | None = None
    workbookUrl: str | None = Field(
        default=None, description="With `workbookUrl: true`: the prompt on Parley's web page."
    )


class PickTopicRequest(RequestBody):
    modelId: uuid.UUID
    prompt: Prompt
    currentTopicName: TopicName | None = None
    potentialTopicNames: list[TopicName] | None = None
    userId: uuid.UUID | None = None
    branchId: uuid.UUID | None = Field(
        default=None, description="A branch of the model; Parley models have none, so 404."
    )


class PickTopicResponse(BaseModel):
    topicId: str = Field(description="The name of the chosen topic.")
