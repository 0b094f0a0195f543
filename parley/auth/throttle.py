"""Failed authentications per client address, in fixed one-minute windows.

Past the limit, a client's further failed attempts are answered 429 instead of 401, so
guessing tokens stops paying; a valid token is checked first and never refused here.
Standard SSO counts bad signatures here too, and asks ``refusing`` first, since there
the check itself (trying embed secrets) is the work to spare.
Like the per-key rate limit (auth/ratelimit.py), the embedded server counts in memory
and PostgreSQL replicas share counters in the database. A replica that has seen an
address go over the limit remembers it for the rest of the window, so an attack in
progress costs no further writes there.
"""

from __future__ import annotations

import math
import time
from typing import Protocol

from sqlalchemy import delete
from sqlalchemy.dialects.postgresql import insert as pg_insert

from parley.db.database import Database
from parley.tables import auth_failure_windows

WINDOW_SECONDS = 60


def _retry_after(now: float) -> int:
    return max(1, math.ceil(WINDOW_SECONDS - now % WINDOW_SECONDS))


class FailureThrottle(Protocol):
    async def failed(self, client: str) -> int | None:
        """Count a failed authentication from ``client``; the seconds until it may try
        again when it is over the limit, else None."""
        ...

    async def refusing(self, client: str) -> int | None:
        """Without counting: the seconds until ``client`` may try again when it is known
        to be over the limit, else None. Lets a check that costs work refuse first."""
        ...


class MemoryFailureThrottle:
    def __init__(self, limit: int) -> None:
        self._limit = limit
        self._window = -1
        self._counts: dict[str, int] = {}

    async def failed(self, client: str) -> int | None:
        now = time.time()
        window = int(now // WINDOW_SECONDS)
        if window != self._window:
            self._window, self._counts = window, {}
        count = self._counts.get(client, 0) + 1
        self._counts[client] = count
        return _retry_after(now) if count > self._limit else None

    async def refusing(self, client: str) -> int | None:
        now = time.time()
        if int(now // WINDOW_SECONDS) != self._window:
            return None
        return _retry_after(now) if self._counts.get(client, 0) > self._limit else None


class DatabaseFailureThrottle:
    def __init__(self, database: Database, limit: int) -> None:
        self._database = database
        self._limit = limit
        self._window = -1
        self._over: set[str] = set()

    async def failed(self, client: str) -> int | None:
        now = time.time()
        window = int(now // WINDOW_SECONDS)
        if window != self._window:
            self._window, self._over = window, set()
            sweep = True
        else:
            sweep = False
        if client in self._over:
            return _retry_after(now)
        values = pg_insert(auth_failure_windows).values(
            client=client[:64], window_start=window, n=1
        )
        upsert = values.on_conflict_do_update(
            index_elements=[auth_failure_windows.c.client, auth_failure_windows.c.window_start],
            set_={"n": auth_failure_windows.c.n + 1},
        ).returning(auth_failure_windows.c.n)
        async with self._database.write() as conn:
            count = int((await conn.execute(upsert)).scalar_one())
            if sweep:
                await conn.execute(
                    delete(auth_failure_windows).where(auth_failure_windows.c.window_start < window)
                )
        if count > self._limit:
            self._over.add(client)
            return _retry_after(now)
        return None

    async def refusing(self, client: str) -> int | None:
        # What this replica has seen: no query, so the check itself costs nothing.
        now = time.time()
        if int(now // WINDOW_SECONDS) != self._window or client not in self._over:
            return None
        return _retry_after(now)


def failure_throttle_for(database: Database, limit: int) -> FailureThrottle:
    if database.is_sqlite:
        return MemoryFailureThrottle(limit)
    return DatabaseFailureThrottle(database, limit)
