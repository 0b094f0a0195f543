"""The server's housekeeping loop for the embedded database."""

from __future__ import annotations

import logging

import anyio

from parley.db.database import Database
from parley.kit.backoff import Backoff

log = logging.getLogger("parley.maintenance")


async def checkpoint_forever(database: Database, every: float) -> None:
    """Truncate SQLite's write-ahead log every ``every`` seconds, until cancelled."""
    backoff = Backoff(log, "WAL checkpoint", base=every, cap=max(every, 3600.0))
    delay = every
    while True:
        await anyio.sleep(delay)
        try:
            await anyio.to_thread.run_sync(database.checkpoint)
        except Exception as error:  # a busy or unwritable database: try again later
            delay = backoff.failed(error)
        else:
            backoff.succeeded()
            delay = every
