"""The wire contract of the AI jobs endpoints (docs/api.md)."""

from __future__ import annotations

import uuid
from typing import Any, Literal

import orjson
from pydantic import AnyHttpUrl, BaseModel, Field, field_validator, model_validator

from parley.assistant.schemas import Prompt, TopicName
from parley.http.text import RequestBody
from parley.jobs.attachments import MAX_ATTACHMENTS, AttachmentIn
from parley.jobs.records import JobState

MAX_METADATA_BYTES = 16 * 1024


class SubmitJobRequest(RequestBody):
    modelId: uuid.UUID
    prompt: Prompt
    conversationId: uuid.UUID | None = None
    topicName: TopicName | None = None
    webhookUrl: AnyHttpUrl | None = Field(
        default=None,
        description="http(s), without credentials, on a public address (internal networks "
        "only if the server allows them).",
    )
    webhookSigningSecret: str | None = Field(default=None, min_length=1, max_length=1000)
    webhookMetadata: dict[str, Any] | None = Field(
        default=None, description="Echoed in every webhook; at most 16 KiB as JSON."
    )
    progressWebhookEnabled: bool = False
    branchId: uuid.UUID | None = Field(
        default=None, description="A branch of the model; Parley models have none, so 404."
    )
    attachments: list[AttachmentIn] | None = Field(
        default=None,
        max_length=MAX_ATTACHMENTS,
        description="Up to 5 images or PDFs, base64, 5 MiB each and 10 MiB in all.",
    )

    @field_validator("webhookMetadata")
    @classmethod
    def _metadata_size(cls, value: dict[str, Any] | None) -> dict[str, Any] | None:
        if value is not None:
            size = len(orjson.dumps(value))
            if size > MAX_METADATA_BYTES:
                raise ValueError(
                    f"webhookMetadata is {size} bytes as JSON; at most {MAX_METADATA_BYTES} "
                    "bytes (16 KiB) are allowed"
                )
        return value

    @model_validator(mode="after")
    def _webhook_rules(self) -> SubmitJobRequest:
        if self.webhookUrl is not None and not self.webhookSigningSecret:
            raise ValueError("webhookSigningSecret is required when webhookUrl is set")
        if self.progressWebhookEnabled and self.webhookUrl is None:
            raise ValueError("progressWebhookEnabled needs a webhookUrl")
        return self


class SubmitJobResponse(BaseModel):
    jobId: str
    conversationId: str
    omniChatUrl: str = Field(description="The web page of the conversation.")


class Progress(BaseModel):
    iteration: int
    message: str
    updatedAt: str
    retries: int | None = Field(default=None, description="Beyond Omni: LLM calls retried so far.")
    draft: str | None = Field(
        default=None, description="Beyond Omni: the answer as the model writes it."
    )


class JobError(BaseModel):
    message: str
    code: str | None = None
    detail: str | None = None


class JobStatus(BaseModel):
    id: str
    conversationId: str
    organizationId: str
    userId: str = Field(description="Membership ID of the member the job runs as.")
    modelId: str
    branchId: str | None
    topicName: str | None
    prompt: str
    state: JobState
    omniChatUrl: str
    createdAt: str
    updatedAt: str
    executionStartedAt: str | None = Field(default=None, description="Once it started.")
    progress: Progress | None = Field(default=None, description="EXECUTING only.")
    completedAt: str | None = Field(default=None, description="COMPLETE and FAILED.")
    resultSummary: str | None = Field(default=None, description="COMPLETE only.")
    error: JobError | None = Field(default=None, description="FAILED only.")
    cancelledAt: str | None = Field(default=None, description="CANCELLED only.")
    cancelledBy: str | None = Field(default=None, description="CANCELLED only.")


class QueryActionResult(BaseModel):
    queryName: str
    status: Literal["success", "error"]
    query: dict[str, Any] | None = Field(description="A semantic query (docs/api.md).")
    csvResult: str | None
    csvResultWasTruncated: bool
    hasResults: bool
    totalRowCount: int
    resultId: str | None = None


class Action(BaseModel):
    type: str
    message: str
    timestamp: str
    result: QueryActionResult | None = None


class Usage(BaseModel):
    calls: int = Field(description="Calls made to the language model.")
    promptTokens: int
    completionTokens: int
    retries: int = Field(description="Calls retried after a 429, a 5xx or a lost connection.")
    modelSeconds: float = Field(description="Time spent waiting on the model.")
    iterations: int = Field(description="Plan, validate, run rounds.")
    answerWrittenBy: Literal["model", "template"]


class JobResult(BaseModel):
    message: str = Field(description="The Markdown answer.")
    resultSummary: str | None
    topic: str | None
    omniChatUrl: str
    actions: list[Action]
    usage: Usage | None = Field(
        default=None, description="Beyond Omni: what the language model cost (with one)."
    )


class CancelResponse(BaseModel):
    jobId: str
    state: JobState = Field(description="The state after the call.")


class ChartError(BaseModel):
    error: str
