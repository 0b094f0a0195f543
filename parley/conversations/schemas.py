"""The wire contract of the conversations endpoints (docs/api.md)."""

from __future__ import annotations

import uuid
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from parley.http.text import RequestBody

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 100


class ListQuery(BaseModel):
    """The list's query string (validated by ``kit.query_models.parse_query``)."""

    model_config = ConfigDict(frozen=True)

    page_size: int = Field(
        DEFAULT_PAGE_SIZE, alias="pageSize", ge=1, le=MAX_PAGE_SIZE, description="1 to 100."
    )
    cursor: str | None = Field(
        None, max_length=1024, description="`pageInfo.nextCursor` of the previous page."
    )
    user_id: uuid.UUID | None = Field(
        None,
        alias="userId",
        description="Membership ID to filter to. Organization API keys only.",
    )
    q: str | None = Field(
        None,
        max_length=200,
        description="Beyond Omni: only conversations whose name or prompts contain this "
        "text (case-insensitive).",
    )


class ConversationSummary(BaseModel):
    id: str = Field(description="Conversation UUID; pass it as `conversationId` to continue.")
    name: str | None = Field(description="Title; null until the assistant names it.")
    lastUserPrompt: str | None = Field(description="The most recent user prompt in the thread.")
    lastPrompt: str | None = Field(
        description="The same as `lastUserPrompt`, under the name Omni's SDK reads."
    )
    updatedAt: str = Field(description="Last activity, RFC 3339 UTC with milliseconds.")
    createdAt: str = Field(description="When the thread started, RFC 3339 UTC.")


class PageInfo(BaseModel):
    hasNextPage: bool
    nextCursor: str | None = Field(description="Null exactly when hasNextPage is false.")
    pageSize: int = Field(description="The page size in force.")
    totalRecords: int = Field(description="Conversations in the whole scope, not this page.")


class ConversationList(BaseModel):
    data: list[ConversationSummary] = Field(description="The page, as Omni's docs page names it.")
    records: list[ConversationSummary] = Field(
        description="The same items as `data`, under the name Omni's SDK reads."
    )
    pageInfo: PageInfo


class AttachmentListing(BaseModel):
    name: str | None
    mimeType: str
    sizeBytes: int


class Message(BaseModel):
    role: Literal["user", "assistant"]
    text: str = Field(description="The prompt, or the Markdown answer (the SDK's name).")
    content: str = Field(description="The same as `text` (the docs page's name).")
    createdAt: str = Field(description="When it was written (the SDK's name).")
    timestamp: str = Field(description="The same as `createdAt` (the docs page's name).")
    jobId: str | None = Field(description="The job that produced an assistant message.")
    omniChatUrl: str | None = Field(description="Assistant messages: the thread's web page.")
    attachments: list[AttachmentListing] | None = Field(
        default=None, description="Beyond Omni: files sent with a prompt (not their content)."
    )


class ConversationDetail(BaseModel):
    id: str
    userId: str = Field(description="Membership ID of the member the thread belongs to.")
    organizationId: str
    name: str | None
    createdAt: str
    updatedAt: str
    messages: list[Message] = Field(description="Oldest first.")


class RenameRequest(RequestBody):
    name: str = Field(
        min_length=1, max_length=500, description="1 to 500 characters (after trimming)."
    )
