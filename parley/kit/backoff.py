"""Quiet retries for background loops whose dependency (the database) is away.

A loop that logged a traceback on every poll filled the log with hundreds of kilobytes
a minute while telling nothing new. ``Backoff`` logs each distinct error once per
outage, one line without a traceback, waits twice as long after each failure up to a
cap, and logs once more when the loop succeeds again.
"""

from __future__ import annotations

import logging


def describe(error: BaseException) -> str:
    """The error's type and the first line of its message (SQLAlchemy appends the SQL
    on later lines; the parameters are hidden on every engine)."""
    first = str(error).strip().splitlines()[0] if str(error).strip() else ""
    return f"{type(error).__name__}: {first[:300]}" if first else type(error).__name__


class Backoff:
    def __init__(self, log: logging.Logger, what: str, *, base: float, cap: float = 30.0) -> None:
        self._log = log
        self._what = what
        self._base = base
        self._cap = cap
        self._failures = 0
        self._seen: set[str] = set()

    @property
    def failures(self) -> int:
        return self._failures

    def failed(self, error: BaseException) -> float:
        """Record a failure; the seconds to wait before trying again."""
        self._failures += 1
        delay: float = min(self._cap, self._base * 2.0 ** min(self._failures - 1, 30))
        text = describe(error)
        if text not in self._seen:
            self._seen.add(text)
            self._log.warning(
                "%s failed; retrying with backoff",
                self._what,
                extra={"error": text, "failures": self._failures, "retry_in": round(delay, 2)},
            )
        return delay

    def succeeded(self) -> None:
        if self._failures:
            self._log.info("%s works again", self._what, extra={"failures": self._failures})
            self._failures = 0
            self._seen.clear()
