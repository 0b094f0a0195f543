"""Calls in flight to the LLM endpoint, shared fairly between organizations.

A freed slot goes to the waiting organization with the fewest calls in flight (first
come, first served inside an organization), so an organization that submitted hundreds
of jobs holds every slot only while nobody else is waiting; ``org_cap`` is a hard ceiling
on top of that for deployments that want one.
"""

from __future__ import annotations

import asyncio
import uuid
from collections import defaultdict, deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager


class FairSlots:
    def __init__(self, limit: int, org_cap: int | None = None) -> None:
        self.limit = limit
        self.org_cap = min(org_cap or limit, limit)
        self.total = 0
        self.in_flight: dict[uuid.UUID, int] = defaultdict(int)
        self._waiting: dict[uuid.UUID, deque[asyncio.Future[None]]] = defaultdict(deque)

    @property
    def waiting(self) -> int:
        return sum(len(queue) for queue in self._waiting.values())

    async def acquire(self, org: uuid.UUID) -> None:
        granted: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiting[org].append(granted)
        self._grant()
        try:
            await granted
        except asyncio.CancelledError:
            if granted.done() and not granted.cancelled():
                self.release(org)  # granted just as the waiter was cancelled
            else:
                queue = self._waiting.get(org)
                if queue is not None and granted in queue:
                    queue.remove(granted)
            raise

    def release(self, org: uuid.UUID) -> None:
        self.total -= 1
        self.in_flight[org] -= 1
        if not self.in_flight[org]:
            del self.in_flight[org]
        self._grant()

    def _grant(self) -> None:
        while self.total < self.limit:
            ready = [
                org
                for org, queue in self._waiting.items()
                if queue and self.in_flight.get(org, 0) < self.org_cap
            ]
            if not ready:
                break
            org = min(ready, key=lambda o: self.in_flight.get(o, 0))
            queue = self._waiting[org]
            granted = queue.popleft()
            if not queue:
                del self._waiting[org]
            if granted.done():  # its waiter was cancelled
                continue
            self.total += 1
            self.in_flight[org] += 1
            granted.set_result(None)

    @asynccontextmanager
    async def hold(self, org: uuid.UUID) -> AsyncIterator[None]:
        await self.acquire(org)
        try:
            yield
        finally:
            self.release(org)
