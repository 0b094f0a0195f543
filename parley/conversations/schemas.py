"""The wire contract of the conversations endpoints (SPEC §4)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class ConversationSummary(BaseModel):
    id: str = Field(description="Conversation UUID; pass it as `conversationId` to continue.")
    name: str | None = Field(description="Title; null until the assistant names it.")
    lastUserPrompt: str | None = Field(description="The most recent user prompt in the thread.")
    updatedAt: str = Field(description="Last activity, RFC 3339 UTC with milliseconds.")
    createdAt: str = Field(description="When the thread started, RFC 3339 UTC.")


class PageInfo(BaseModel):
    hasNextPage: bool
    nextCursor: str | None = Field(description="Null exactly when hasNextPage is false.")
    pageSize: int = Field(description="The page size in force.")
    totalRecords: int = Field(description="Conversations in the whole scope, not this page.")


class ConversationList(BaseModel):
    data: list[ConversationSummary]
    pageInfo: PageInfo


class Message(BaseModel):
    role: Literal["user", "assistant"]
    text: str = Field(description="The prompt, or the Markdown answer.")
    createdAt: str
    jobId: str | None = Field(description="The job that produced an assistant message.")
    omniChatUrl: str | None = Field(description="Assistant messages: the thread's web page.")


class ConversationDetail(BaseModel):
    id: str
    name: str | None
    createdAt: str
    updatedAt: str
    messages: list[Message] = Field(description="Oldest first.")


class RenameRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(description="1 to 500 characters.")
