"""Job notices between processes, over PostgreSQL's LISTEN/NOTIFY.

A submit served by one replica wakes the workers of every process at once (other
replicas, `parley worker` processes), and a job's change wakes its event streams
wherever they are served. Notices only shorten waits: every waiter also polls
(`PARLEY_JOB_POLL_INTERVAL`, the streams' 0.1 s), so a lost notice, a listener that is
reconnecting, or SQLite, which has no such channel, costs latency and nothing else.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Update, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from parley.db.database import Database
from parley.jobs.signals import Pulse
from parley.kit.backoff import Backoff

log = logging.getLogger(__name__)

SUBMITTED = "parley_job_submitted"
CHANGED = "parley_job_changed"

_RETRY_SECONDS = 1.0
# A connection that died without a word (no FIN) delivers nothing; a query now and then
# finds out.
_CHECK_SECONDS = 30.0


async def announce(conn: AsyncConnection, channel: str) -> None:
    """Notify ``channel`` when the caller's transaction commits (PostgreSQL delivers
    notices at commit, and drops them on rollback); nothing on SQLite."""
    if conn.dialect.name == "postgresql":
        await conn.execute(select(func.pg_notify(channel, "")))


def announcing(conn: AsyncConnection, statement: Update, channel: str) -> Update:
    """``statement`` made to notify ``channel`` itself, for each row it changes: on
    PostgreSQL the notice rides in its ``RETURNING`` (a round trip less than
    ``announce``; notices repeated within a transaction are delivered once); on
    SQLite the statement unchanged."""
    if conn.dialect.name != "postgresql":
        return statement
    return statement.returning(func.pg_notify(channel, "").label("announced"))


class Listener:
    """Fires ``pulses[channel]`` on each notice, on one pooled connection of its own."""

    def __init__(self, database: Database, pulses: Mapping[str, Pulse]) -> None:
        self._database = database
        self._pulses = dict(pulses)
        self.listening = asyncio.Event()
        self._backoff = Backoff(log, "listening for job notices", base=_RETRY_SECONDS)

    async def run(self) -> None:
        """Until cancelled; after a lost connection, listen again (polling covers the
        gap)."""
        while True:
            try:
                await self._listen()
            except Exception as error:
                delay = self._backoff.failed(error)
            else:
                delay = _RETRY_SECONDS
            self.listening.clear()
            await asyncio.sleep(delay)

    async def _listen(self) -> None:
        async with self._database.engine.connect() as conn:
            raw = await conn.get_raw_connection()
            driver: Any = raw.driver_connection
            lost = asyncio.Event()
            driver.add_termination_listener(lambda _connection: lost.set())
            try:
                for channel, pulse in self._pulses.items():
                    await driver.add_listener(channel, _firing(pulse))
                log.info("listening for job notices")
                self._backoff.succeeded()
                self.listening.set()
                # Anything announced while nobody listened: have everyone look once.
                for pulse in self._pulses.values():
                    pulse.fire()
                while not lost.is_set():
                    try:
                        await asyncio.wait_for(lost.wait(), _CHECK_SECONDS)
                    except TimeoutError:
                        await driver.execute("SELECT 1")
            finally:
                # LISTEN outlives transactions: this connection must not go back to
                # the pool for others to use.
                await conn.invalidate()


def _firing(pulse: Pulse) -> Any:
    def on_notice(_connection: Any, _pid: int, _channel: str, _payload: str) -> None:
        pulse.fire()

    return on_notice
