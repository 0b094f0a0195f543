"""What the conversations repository returns, and each record's wire form."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlalchemy.engine import RowMapping

from parley.kit.json import JsonObject
from parley.kit.timestamps import to_wire

Role = Literal["user", "assistant"]


@dataclass(frozen=True, slots=True)
class Conversation:
    id: uuid.UUID
    organization_id: uuid.UUID
    membership_id: uuid.UUID
    name: str | None
    last_user_prompt: str | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, row: RowMapping) -> Conversation:
        return cls(**row)

    def to_wire(self) -> JsonObject:
        """The list's item shape. The latest prompt goes out under both names Omni uses
        for it: ``lastUserPrompt`` (its docs page) and ``lastPrompt`` (its SDK)."""
        return {
            "id": str(self.id),
            "name": self.name,
            "lastUserPrompt": self.last_user_prompt,
            "lastPrompt": self.last_user_prompt,
            "updatedAt": to_wire(self.updated_at),
            "createdAt": to_wire(self.created_at),
        }


@dataclass(frozen=True, slots=True)
class Message:
    id: uuid.UUID
    organization_id: uuid.UUID
    conversation_id: uuid.UUID
    role: Role
    text: str
    job_id: uuid.UUID | None
    created_at: datetime

    @classmethod
    def of(cls, row: RowMapping) -> Message:
        return cls(**row)

    def to_wire(self, chat_url: str) -> JsonObject:
        """A message under both sets of names Omni uses (decision 0013): ``text`` and
        ``createdAt`` (its SDK), ``content`` and ``timestamp`` (its docs page)."""
        at = to_wire(self.created_at)
        answer = self.role == "assistant"
        return {
            "role": self.role,
            "text": self.text,
            "content": self.text,
            "createdAt": at,
            "timestamp": at,
            # Prompts are stored with their job too, but the wire names only the job
            # that produced an answer.
            "jobId": str(self.job_id) if answer and self.job_id else None,
            "omniChatUrl": chat_url if answer else None,
        }
