"""What the LLM usage repository returns."""

from __future__ import annotations

from dataclasses import dataclass

from parley.kit.json import JsonObject


@dataclass(frozen=True, slots=True)
class Spend:
    """Calls and tokens of one group (a member, purpose, day or job)."""

    key: str
    calls: int
    prompt_tokens: int
    completion_tokens: int

    def to_wire(self) -> JsonObject:
        return {
            "key": self.key,
            "calls": self.calls,
            "promptTokens": self.prompt_tokens,
            "completionTokens": self.completion_tokens,
        }
