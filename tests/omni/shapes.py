"""Omni's documented response shapes, written from its docs pages and from the field
lists of its Python SDK, to check Parley's responses against.

Each model requires what its source requires and allows extra fields (the SDK keeps
unknown fields aside; the docs pages list what a response has, not what it lacks), so
a response that satisfies both the docs model and the SDK model of an endpoint can be
read by a client written against either. ``check`` validates strictly: a field of the
wrong type fails even where pydantic would coerce.
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict


class Shape(BaseModel):
    model_config = ConfigDict(extra="allow", strict=True)


S = TypeVar("S", bound=Shape)


def check(shape: type[S], body: Any) -> S:
    """``body`` (decoded JSON) read as ``shape``; raises when it does not fit."""
    return shape.model_validate_json(json.dumps(body))


# ---- Conversations: the docs page (list-ai-conversations, get-conversation)


class DocsPageInfo(Shape):
    hasNextPage: bool
    nextCursor: str | None
    pageSize: int
    totalRecords: int


class DocsConversation(Shape):
    id: uuid.UUID
    name: str | None
    lastUserPrompt: str | None
    updatedAt: datetime
    createdAt: datetime


class DocsConversationList(Shape):
    data: list[DocsConversation]
    pageInfo: DocsPageInfo


class DocsMessage(Shape):
    role: Literal["user", "assistant"]
    content: str
    timestamp: datetime
    # Assistant turns only, on the docs page.
    jobId: uuid.UUID | None = None
    omniChatUrl: str | None = None


class DocsConversationDetail(Shape):
    id: uuid.UUID
    userId: uuid.UUID
    organizationId: uuid.UUID
    createdAt: datetime
    updatedAt: datetime
    messages: list[DocsMessage]


# ---- Conversations: the SDK (AiConversationsListResponse, AiConversationDetailResponse)


class SdkConversation(Shape):
    createdAt: datetime
    id: uuid.UUID
    lastPrompt: str | None
    name: str | None
    updatedAt: datetime


class SdkConversationList(Shape):
    pageInfo: DocsPageInfo
    records: list[SdkConversation]


class SdkMessage(Shape):
    createdAt: datetime
    jobId: uuid.UUID | None
    omniChatUrl: str | None
    role: Literal["user", "assistant"]
    text: str


class SdkConversationDetail(Shape):
    createdAt: datetime
    id: uuid.UUID
    messages: list[SdkMessage]
    name: str | None
    updatedAt: datetime


# ---- Models (the SDK's ModelsListResponse, ModelsListTopicsResponse, ModelsGetTopicResponse)


class SdkModelRecord(Shape):
    baseModelId: str | None
    connectionId: str | None
    createdAt: str
    deletedAt: str | None
    id: str
    modelKind: str | None
    name: str | None
    updatedAt: str


class SdkModelList(Shape):
    pageInfo: DocsPageInfo
    records: list[SdkModelRecord]


class SdkTopicSummary(Shape):
    base_view_name: str
    name: str
    description: str | None = None
    group_label: str | None = None
    hidden: bool | None = None
    label: str | None = None


class SdkTopicList(Shape):
    success: bool
    topics: list[SdkTopicSummary]


class SdkTopic(SdkTopicSummary):
    relationships: list[dict[str, Any]]
    views: list[dict[str, Any]]


class SdkTopicResponse(Shape):
    success: bool
    topic: SdkTopic


# ---- Embedding (docs pages: 2-step SSO, generate-url, SCIM users and embed users)


class DocsSession(Shape):
    sessionId: str


class DemoUrl(Shape):
    # The agentic chat demo reads `url` (or `embedUrl`) from generate-url.
    url: str


class ScimEmail(Shape):
    primary: bool
    value: str


class ScimGroup(Shape):
    display: str
    value: str


class ScimMeta(Shape):
    created: datetime
    lastModified: datetime
    resourceType: Literal["User"]


class ScimUser(Shape):
    active: bool
    displayName: str
    emails: list[ScimEmail]
    groups: list[ScimGroup]
    id: uuid.UUID
    meta: ScimMeta
    schemas: list[Literal["urn:ietf:params:scim:schemas:core:2.0:User"]]
    userName: str


class ScimEmbedUser(ScimUser):
    embedEmail: str | None
    embedEntity: str | None
    embedExternalId: str


class ScimList(Shape):
    Resources: list[ScimUser]
    itemsPerPage: int
    schemas: list[Literal["urn:ietf:params:scim:api:messages:2.0:ListResponse"]]
    startIndex: int
    totalResults: int


class ScimEmbedList(ScimList):
    Resources: list[ScimEmbedUser]  # type: ignore[assignment]


# ---- generate-query (the SDK's AiGenerateQueryResponse; the docs page's `query` object)


class SdkGenerateQuery(Shape):
    error: dict[str, Any] | None
    query: dict[str, Any]
    topic: str | None = None
    baseView: str | None = None


class SdkAgentAction(Shape):
    kind: Literal["sample", "skill"]
    label: str
    prompt: str


class SdkAgentActions(Shape):
    records: list[SdkAgentAction]
