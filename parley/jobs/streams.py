"""Bounds on event streams: how many one token holds open, and for how long.

Each open stream polls the database while it waits, so streams without a bound let one
token slow every other request. The count is per process: a replica knows its own
connections, and a client that spreads its streams over replicas still meets the
limit on each.
"""

from __future__ import annotations

import uuid
from typing import Any

from starlette.responses import StreamingResponse
from starlette.types import Receive, Scope, Send

from parley.http.errors import TooManyRequests

# What the client waits before reconnecting after the server ended a stream, in ms.
RECONNECT_MS = 1000


class StreamSlots:
    def __init__(self, per_token: int) -> None:
        self.per_token = per_token
        self._open: dict[uuid.UUID, int] = {}

    def open_for(self, key_id: uuid.UUID) -> int:
        return self._open.get(key_id, 0)

    def take(self, key_id: uuid.UUID) -> None:
        held = self._open.get(key_id, 0)
        if held >= self.per_token:
            raise TooManyRequests(
                f"This token already holds {held} open event streams (the limit); close one first",
                headers={"Retry-After": "5"},
            )
        self._open[key_id] = held + 1

    def give_back(self, key_id: uuid.UUID) -> None:
        held = self._open.get(key_id, 0) - 1
        if held > 0:
            self._open[key_id] = held
        else:
            self._open.pop(key_id, None)


class SlotStream(StreamingResponse):
    """A stream that gives its slot back however it ends: finished, cut off by the
    client, or never started."""

    def __init__(self, content: Any, slots: StreamSlots, key_id: uuid.UUID, **kwargs: Any):
        super().__init__(content, **kwargs)
        self._slots = slots
        self._key_id = key_id

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            self._slots.give_back(self._key_id)
