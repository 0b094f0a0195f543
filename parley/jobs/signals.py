"""In-process wake-up calls: a submit wakes the workers, a job change wakes its event
streams. Only a shortcut: every waiter also polls, so other processes are never missed."""

from __future__ import annotations

import asyncio
import contextlib


class Pulse:
    """A wake-up call for whoever is waiting now; cheap to fire when nobody is."""

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def fire(self) -> None:
        self._event.set()
        self._event = asyncio.Event()

    def ticket(self) -> asyncio.Event:
        """Take before looking for work; a pulse fired after it is never missed."""
        return self._event

    @staticmethod
    async def wait(ticket: asyncio.Event, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(ticket.wait(), seconds)
