"""Helpers for tests of the failed-authentication throttle."""

from __future__ import annotations

import time


def away_from_a_window_edge() -> None:
    """Counts are per calendar minute: start well inside one, so a test's burst of
    failures is not split between two windows."""
    if time.time() % 60 > 45:
        time.sleep(60 - time.time() % 60 + 0.5)
