"""What the jobs repository returns: frozen records, and the one type of a job's state."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy.engine import RowMapping

from parley.kit.json import JsonObject
from parley.kit.timestamps import to_wire


class JobState(StrEnum):
    """A job's state; the values are the wire's and the database's."""

    QUEUED = "QUEUED"
    EXECUTING = "EXECUTING"
    DELIVERING = "DELIVERING"
    COMPLETE = "COMPLETE"
    FAILED = "FAILED"
    CANCELLED = "CANCELLED"


FINAL = frozenset({JobState.COMPLETE, JobState.FAILED, JobState.CANCELLED})
UNFINISHED = frozenset({JobState.QUEUED, JobState.EXECUTING, JobState.DELIVERING})
# Held by a worker's lease.
RUNNING = frozenset({JobState.EXECUTING, JobState.DELIVERING})


def _time(value: datetime | None) -> str | None:
    return to_wire(value) if value is not None else None


@dataclass(frozen=True, slots=True)
class Job:
    id: uuid.UUID
    organization_id: uuid.UUID
    membership_id: uuid.UUID
    conversation_id: uuid.UUID
    model_id: uuid.UUID
    topic_name: str | None
    prompt: str
    state: JobState
    progress: JsonObject | None
    result: JsonObject | None
    error: JsonObject | None
    attempts: int
    lease_owner: str | None
    lease_expires_at: datetime | None
    idempotency_key: str | None
    idempotency_fingerprint: str | None
    cancel_requested: bool
    cancelled_by: uuid.UUID | None
    created_at: datetime
    updated_at: datetime
    execution_started_at: datetime | None
    completed_at: datetime | None
    cancelled_at: datetime | None

    @classmethod
    def of(cls, row: RowMapping) -> Job:
        """A row of ``jobs`` (all its columns) as a record."""
        return cls(**{**row, "state": JobState(row["state"])})

    def to_wire(self, chat_url: str) -> JsonObject:
        """The job as the status endpoint shows it: the common fields plus those of its
        state. ``chat_url`` is its conversation's web page."""
        body: JsonObject = {
            "id": str(self.id),
            "conversationId": str(self.conversation_id),
            "organizationId": str(self.organization_id),
            "userId": str(self.membership_id),
            "modelId": str(self.model_id),
            "branchId": None,
            "topicName": self.topic_name,
            "prompt": self.prompt,
            "state": self.state.value,
            "omniChatUrl": chat_url,
            "createdAt": to_wire(self.created_at),
            "updatedAt": to_wire(self.updated_at),
        }
        started = _time(self.execution_started_at)
        state = self.state
        if state == JobState.EXECUTING:
            body["executionStartedAt"] = started
            body["progress"] = dict(self.progress) if self.progress else None
        elif state == JobState.DELIVERING:
            body["executionStartedAt"] = started
        elif state == JobState.COMPLETE:
            body["executionStartedAt"] = started
            body["completedAt"] = _time(self.completed_at)
            body["resultSummary"] = (self.result or {}).get("resultSummary")
        elif state == JobState.FAILED:
            body["completedAt"] = _time(self.completed_at)
            body["error"] = dict(self.error or {"message": "The job failed."})
            if started:
                body["executionStartedAt"] = started
        elif state == JobState.CANCELLED:
            body["cancelledAt"] = _time(self.cancelled_at)
            body["cancelledBy"] = str(self.cancelled_by) if self.cancelled_by else None
            # A job cancelled while it ran keeps when it started, as a failed one does.
            if started:
                body["executionStartedAt"] = started
        return body


@dataclass(frozen=True, slots=True)
class EarlierSubmit:
    """The job an Idempotency-Key already names."""

    id: uuid.UUID
    conversation_id: uuid.UUID
    created_at: datetime
    idempotency_fingerprint: str | None


@dataclass(frozen=True, slots=True)
class WebhookFlags:
    """Whether and how a job calls back, read on every state change."""

    url: str
    progress: bool


@dataclass(frozen=True, slots=True)
class Webhook:
    """A job's webhook settings, as stored once at submit."""

    job_id: uuid.UUID
    url: str
    destination: str
    secret: str
    metadata: JsonObject | None
    progress: bool

    @classmethod
    def of(cls, row: RowMapping) -> Webhook:
        return cls(**row)


@dataclass(frozen=True, slots=True)
class Delivery:
    """One event in the webhook outbox."""

    id: uuid.UUID
    job_id: uuid.UUID
    event: str
    payload: JsonObject
    status: str
    attempts: int
    max_attempts: int
    next_attempt_at: datetime
    delivered_at: datetime | None
    last_error: str | None
    lease_owner: str | None
    lease_expires_at: datetime | None
    created_at: datetime

    @classmethod
    def of(cls, row: RowMapping) -> Delivery:
        return cls(**row)
