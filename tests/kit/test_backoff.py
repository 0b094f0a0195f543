"""Backoff: the wait doubles from the base up to the cap, each distinct error is logged
once per outage, and a success resets both."""

from __future__ import annotations

import logging

import pytest

from parley.kit.backoff import Backoff, describe

LOG = logging.getLogger("tests.kit.backoff")


def test_the_wait_doubles_and_stops_at_the_cap() -> None:
    backoff = Backoff(LOG, "polling", base=0.5, cap=5.0)
    waits = [backoff.failed(OSError("down")) for _ in range(8)]
    assert waits == [0.5, 1.0, 2.0, 4.0, 5.0, 5.0, 5.0, 5.0]
    assert backoff.failures == 8


def test_a_very_long_outage_stays_at_the_cap() -> None:
    backoff = Backoff(LOG, "polling", base=0.1, cap=30.0)
    for _ in range(2000):  # an exponent this large would overflow without its bound
        wait = backoff.failed(OSError("down"))
    assert wait == 30.0


def test_each_distinct_error_is_logged_once_and_success_resets(
    caplog: pytest.LogCaptureFixture,
) -> None:
    backoff = Backoff(LOG, "polling", base=0.1)
    with caplog.at_level(logging.INFO, logger=LOG.name):
        for _ in range(3):
            backoff.failed(OSError("down"))
        backoff.failed(TimeoutError("slow"))
        backoff.succeeded()
        assert backoff.failed(OSError("down")) == 0.1
    messages = [r.getMessage() for r in caplog.records]
    assert messages == [
        "polling failed; retrying with backoff",
        "polling failed; retrying with backoff",
        "polling works again",
        "polling failed; retrying with backoff",
    ]
    assert not any(r.exc_info for r in caplog.records)


def test_describe_keeps_the_first_line_only() -> None:
    error = RuntimeError("connection refused\nSELECT secret FROM t WHERE x = 'y'")
    assert describe(error) == "RuntimeError: connection refused"
    assert describe(KeyError()) == "KeyError"
    assert len(describe(ValueError("x" * 1000))) == len("ValueError: ") + 300
