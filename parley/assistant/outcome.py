"""What any planner returns: a plan to run, or a refusal that says what it did not
understand.

A refusal is a `CannotAnswer`. Its `reason` tells callers (the evaluation, the job
worker) what kind of refusal it is without reading the text:

- `unanswerable`: nothing in the question fits the model (or the topic is unknown);
- `not_understood`: words that look like a value, a field or a period matched nothing,
  or a word that would narrow the question (a number, a negation, a comparison) was not
  used (`unclear` lists them, each with the closest candidates);
- `ambiguous`: words matched several values and the planner will not guess (`unclear`
  lists the candidates to choose from);
- `unavailable`: the planner itself failed (an LLM endpoint down, an invalid query).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal, Protocol

from parley.assistant.query import SemanticQuery

UnclearKind = Literal["value", "field", "period", "condition"]
Reason = Literal["unanswerable", "not_understood", "ambiguous", "unavailable"]


@dataclass(frozen=True)
class Unclear:
    """Words of the prompt the planner could not place, and what they might have meant."""

    text: str
    kind: UnclearKind
    candidates: tuple[str, ...] = ()  # e.g. "Acme Industries Inc. (customer)"
    several: bool = False  # the words matched all the candidates equally well

    def sentence(self) -> str:
        what = {"value": "find", "field": "find a field called", "period": "read the period"}
        if self.several:
            text = f"'{self.text}' matches more than one value."
        elif self.kind == "condition":
            text = f"I could not use '{self.text}', and leaving it out would change the answer."
        else:
            text = f"I could not {what[self.kind]} '{self.text}'."
        if self.candidates:
            text += f" Did you mean {_either(self.candidates)}?"
        return text


@dataclass(frozen=True)
class Plan:
    query: SemanticQuery
    topic: str
    follow_up: bool = False
    notes: tuple[str, ...] = ()
    # How the planner read the question, in one or two plain sentences (`readback.py`).
    reading: str = ""


@dataclass(frozen=True)
class CannotAnswer:
    message: str
    suggestions: tuple[str, ...] = ()
    reason: Reason = "unanswerable"
    unclear: tuple[Unclear, ...] = ()


class Planner(Protocol):
    def plan(
        self,
        prompt: str,
        *,
        topic: str | None = None,
        previous: SemanticQuery | None = None,
        now: datetime,
    ) -> Plan | CannotAnswer: ...


def not_understood(unclear: list[Unclear]) -> CannotAnswer:
    """The refusal for words that matched nothing, or several things equally."""
    return CannotAnswer(
        " ".join(u.sentence() for u in unclear),
        reason="ambiguous" if all(u.several for u in unclear) else "not_understood",
        unclear=tuple(unclear),
    )


def _either(options: tuple[str, ...]) -> str:
    if len(options) == 1:
        return options[0]
    return ", ".join(options[:-1]) + " or " + options[-1]
