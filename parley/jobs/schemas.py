"""The wire contract of the AI jobs endpoints (SPEC §5)."""

from __future__ import annotations

import uuid
from typing import Any, Literal

from pydantic import AnyHttpUrl, BaseModel, ConfigDict, Field, model_validator

from parley.assistant.schemas import Prompt, TopicName

JobState = Literal["QUEUED", "EXECUTING", "DELIVERING", "COMPLETE", "FAILED", "CANCELLED"]


class SubmitJobRequest(BaseModel):
    # Unknown body fields are a 400 (SPEC §1), not silently dropped.
    model_config = ConfigDict(extra="forbid")

    modelId: uuid.UUID
    prompt: Prompt
    conversationId: uuid.UUID | None = None
    topicName: TopicName | None = None
    webhookUrl: AnyHttpUrl | None = Field(default=None, description="http(s) only.")
    webhookSigningSecret: str | None = Field(default=None, min_length=1, max_length=1000)
    webhookMetadata: dict[str, Any] | None = None
    progressWebhookEnabled: bool = False

    @model_validator(mode="after")
    def _webhook_rules(self) -> SubmitJobRequest:
        if self.webhookUrl is not None and not self.webhookSigningSecret:
            raise ValueError("webhookSigningSecret is required when webhookUrl is set")
        if self.progressWebhookEnabled and self.webhookUrl is None:
            raise ValueError("progressWebhookEnabled needs a webhookUrl")
        return self

    def webhook(self) -> dict[str, Any] | None:
        """What the worker needs to call back, stored with the job."""
        if self.webhookUrl is None:
            return None
        return {
            "url": str(self.webhookUrl),
            "secret": self.webhookSigningSecret,
            "metadata": self.webhookMetadata,
            "progress": self.progressWebhookEnabled,
        }


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
    query: dict[str, Any] | None = Field(description="A semantic query (SPEC §6.1).")
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
