"""Time words resolve exactly as docs/assistant.md says, against a fixed now."""

from __future__ import annotations

from datetime import datetime

import pytest

from parley.assistant.timewords import find_grain, find_time_range

NOW = datetime(2026, 11, 26, 12, 0, 0)  # a Thursday
TO_NOW = "2026-11-26T12:00:00"

CASES = [
    ("revenue today", {"gte": "2026-11-26", "lt": "2026-11-27"}),
    ("orders yesterday", {"gte": "2026-11-25", "lt": "2026-11-26"}),
    ("this week", {"gte": "2026-11-23", "lte": TO_NOW}),  # weeks start Monday
    ("last week", {"gte": "2026-11-16", "lt": "2026-11-23"}),
    ("this month", {"gte": "2026-11-01", "lte": TO_NOW}),
    ("last month", {"gte": "2026-10-01", "lt": "2026-11-01"}),
    ("this quarter", {"gte": "2026-10-01", "lte": TO_NOW}),
    ("last quarter", {"gte": "2026-07-01", "lt": "2026-10-01"}),
    ("this year", {"gte": "2026-01-01", "lte": TO_NOW}),
    ("year to date", {"gte": "2026-01-01", "lte": TO_NOW}),
    ("ytd", {"gte": "2026-01-01", "lte": TO_NOW}),
    ("last year", {"gte": "2025-01-01", "lt": "2026-01-01"}),
    ("previous year", {"gte": "2025-01-01", "lt": "2026-01-01"}),
    ("last 7 days", {"gte": "2026-11-19", "lt": "2026-11-26"}),
    ("the past 30 days", {"gte": "2026-10-27", "lt": "2026-11-26"}),
    ("last two weeks", {"gte": "2026-11-09", "lt": "2026-11-23"}),
    ("last 3 months", {"gte": "2026-08-01", "lt": "2026-11-01"}),
    ("last 2 quarters", {"gte": "2026-04-01", "lt": "2026-10-01"}),
    ("last 2 years", {"gte": "2024-01-01", "lt": "2026-01-01"}),
    ("next month", {"gte": "2026-12-01", "lt": "2027-01-01"}),
    ("scheduled for next week", {"gte": "2026-11-30", "lt": "2026-12-07"}),
    ("the coming quarter", {"gte": "2027-01-01", "lt": "2027-04-01"}),
    ("tomorrow", {"gte": "2026-11-27", "lt": "2026-11-28"}),
    ("the next 30 days", {"gte": "2026-11-27", "lt": "2026-12-27"}),
    ("next two weeks", {"gte": "2026-11-30", "lt": "2026-12-14"}),
    ("for Q1", {"gte": "2026-01-01", "lt": "2026-04-01"}),
    ("q4", {"gte": "2026-10-01", "lt": "2027-01-01"}),
    ("Q3 2024", {"gte": "2024-07-01", "lt": "2024-10-01"}),
    ("first quarter of 2025", {"gte": "2025-01-01", "lt": "2025-04-01"}),
    ("in 2025", {"gte": "2025-01-01", "lt": "2026-01-01"}),
    ("March 2025", {"gte": "2025-03-01", "lt": "2025-04-01"}),
    ("in march", {"gte": "2026-03-01", "lt": "2026-04-01"}),
    ("in december", {"gte": "2025-12-01", "lt": "2026-01-01"}),  # the latest December begun
    ("since 2026-09-15", {"gte": "2026-09-15", "lte": TO_NOW}),
    ("since March 2025", {"gte": "2025-03-01", "lte": TO_NOW}),
    ("between 2024-01-01 and 2024-03-31", {"gte": "2024-01-01", "lt": "2024-04-01"}),
    ("between Jan 2025 and Mar 2025", {"gte": "2025-01-01", "lt": "2025-04-01"}),
    ("from January to June 2025", {"gte": "2025-01-01", "lt": "2025-07-01"}),
    ("from march 3, 2025 to march 9, 2025", {"gte": "2025-03-03", "lt": "2025-03-10"}),
    ("before 2025", {"lt": "2025-01-01"}),
    # Meteorological seasons, Northern Hemisphere.
    ("last summer", {"gte": "2026-06-01", "lt": "2026-09-01"}),
    ("last winter", {"gte": "2025-12-01", "lt": "2026-03-01"}),
    ("last autumn", {"gte": "2025-09-01", "lt": "2025-12-01"}),  # this one is under way
    ("this fall", {"gte": "2026-09-01", "lte": TO_NOW}),
    ("in spring", {"gte": "2026-03-01", "lt": "2026-06-01"}),
    ("summer 2025", {"gte": "2025-06-01", "lt": "2025-09-01"}),
    ("during the autumn of 2024", {"gte": "2024-09-01", "lt": "2024-12-01"}),
]


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_time_range(text: str, expected: dict[str, str]) -> None:
    found = find_time_range(text.lower(), NOW)
    assert found is not None
    assert found.value.as_filter() == expected


@pytest.mark.parametrize(
    "text",
    [
        "revenue by brand",
        "may i see sales",
        "top 5 products",
        "items 2 3 4",
        "did sales fall",  # a verb, not the season
        "spring collection sales",  # alone, a season word may be a name
        "this winter",  # in November: the coming one or the last?
        "orders on mondays",  # every Monday is not a period
    ],
)
def test_no_time_range(text: str) -> None:
    assert find_time_range(text, NOW) is None


@pytest.mark.parametrize(
    ("text", "grain"),
    [
        ("monthly revenue", "month"),
        ("revenue trend", "month"),
        ("sales over time", "month"),
        ("revenue by quarter", "quarter"),
        ("weekly orders", "week"),
        ("daily orders", "date"),
        ("revenue per year", "year"),
        ("which month had the most", "month"),
        ("revenue by region", None),
    ],
)
def test_grain(text: str, grain: str | None) -> None:
    found = find_grain(text)
    assert (found.value if found else None) == grain


def test_the_span_is_reported_so_the_planner_can_cut_it() -> None:
    text = "revenue by region in 2025 please"
    found = find_time_range(text, NOW)
    assert found is not None and text[found.start : found.end].strip() == "in 2025"
