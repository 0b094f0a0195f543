"""Per-key request limits in fixed one-minute windows (docs/api.md, Tokens and scope).

The embedded server counts in memory (it is one process). With PostgreSQL the counters
live in the database, so every replica enforces the same limit.
"""

from __future__ import annotations

import math
import time
import uuid
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy import delete
from sqlalchemy.dialects.postgresql import insert as pg_insert

from parley.db.database import Database
from parley.tables import rate_limit_windows

WINDOW_SECONDS = 60


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    limit: int
    remaining: int
    reset_seconds: int

    def headers(self) -> dict[str, str]:
        return {
            "RateLimit-Limit": str(self.limit),
            "RateLimit-Remaining": str(self.remaining),
            "RateLimit-Reset": str(self.reset_seconds),
        }


def _verdict(count: int, limit: int, now: float) -> Verdict:
    reset = max(1, math.ceil(WINDOW_SECONDS - now % WINDOW_SECONDS))
    return Verdict(count <= limit, limit, max(0, limit - count), reset)


class RateLimiter(Protocol):
    async def hit(self, key_id: uuid.UUID, limit: int) -> Verdict: ...


class MemoryRateLimiter:
    def __init__(self) -> None:
        self._window = -1
        self._counts: dict[uuid.UUID, int] = {}

    async def hit(self, key_id: uuid.UUID, limit: int) -> Verdict:
        now = time.time()
        window = int(now // WINDOW_SECONDS)
        if window != self._window:
            self._window, self._counts = window, {}
        count = self._counts.get(key_id, 0) + 1
        self._counts[key_id] = count
        return _verdict(count, limit, now)


class DatabaseRateLimiter:
    def __init__(self, database: Database) -> None:
        self._database = database
        self._last_sweep = -1

    async def hit(self, key_id: uuid.UUID, limit: int) -> Verdict:
        now = time.time()
        window = int(now // WINDOW_SECONDS)
        values = pg_insert(rate_limit_windows).values(api_key_id=key_id, window_start=window, n=1)
        upsert = values.on_conflict_do_update(
            index_elements=[rate_limit_windows.c.api_key_id, rate_limit_windows.c.window_start],
            set_={"n": rate_limit_windows.c.n + 1},
        ).returning(rate_limit_windows.c.n)
        async with self._database.write() as conn:
            count = int((await conn.execute(upsert)).scalar_one())
            if window != self._last_sweep:
                # Old windows are useless; drop them once a window per replica.
                self._last_sweep = window
                await conn.execute(
                    delete(rate_limit_windows).where(rate_limit_windows.c.window_start < window)
                )
        return _verdict(count, limit, now)


def rate_limiter_for(database: Database) -> RateLimiter:
    return MemoryRateLimiter() if database.is_sqlite else DatabaseRateLimiter(database)
