"""Periods: cutting time phrases out of a prompt, noticing the ones that could not be
read, and applying a period to a topic whose time is a number (`fiscal_year`).

A period the planner cannot read is never dropped: "in the first fortnight of March"
would otherwise answer for all of March, or for all time. Words that name a period but
were left over once every known phrase was cut out make the planner refuse.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from parley.assistant.outcome import Unclear
from parley.assistant.query import FilterValue
from parley.assistant.semantic_model import (
    TIME_TYPES,
    Dimension,
    NumericTime,
    SemanticModel,
    numeric_time,
)
from parley.assistant.timewords import MONTHS, SEASONS, WEEKDAYS, TimeRange, find_time_range
from parley.assistant.words import BLOCK

_LONG_MONTHS = sorted((m for m in MONTHS if len(m) > 3 and m != "june"), key=len)
# Period words that never mean anything else (so "may" and "march" as verbs are spared).
_PERIOD_WORD = re.compile(
    r"\b(?:(?:first|second|third|fourth|fifth|last|1st|2nd|3rd|4th|5th)\s+"
    r"(?:week|half|fortnight|day|month|quarter)s?\s+(?:of|in)\b"
    r"|(?:19|20)\d{2}|h[12]|q[1-4]|fortnight|weekends?|weekdays?|half[\s-]year|semester"
    rf"|{'|'.join(_LONG_MONTHS)}|june|(?:{'|'.join(WEEKDAYS)})s?"
    # Times of day, seasons and holidays name a part of the calendar the planner cannot
    # filter on (or did not read): left over, they would widen the question to all time.
    r"|(?:mornings?|afternoons?|evenings?|nights?|overnight|nighttime|daytime|midday"
    r"|spring|summers?|autumns?|winters?|holidays?|christmas|easter|thanksgiving)"
    r"|(?:last|this|past|previous|in|during|the)\s+fall"
    r"|(?:in|of|during|since|until|before|after)\s+(?:may|jan|feb|mar|apr|jun|jul|aug|sept?|oct|nov|dec))\b"
)


def cut_time(text: str, now: datetime) -> tuple[str, TimeRange | None]:
    found = find_time_range(text, now)
    if found is None:
        return text, None
    return blank(text, found.start, found.end), found.value


def period_note(period: TimeRange | None) -> str | None:
    """How a period whose bounds are a convention was read, for the read-back sentence."""
    if period is None:
        return None
    season = _SEASON_WORD.search(period.text)
    if season is not None:
        return (
            f"'{period.text}' as a meteorological season of the Northern Hemisphere"
            f" ({_SEASON_MONTHS[SEASONS[season.group(0)]]})"
        )
    whole = _WHOLE_PERIODS.search(period.text)
    if whole is not None:
        unit = whole.group(2)
        current = {"day": "today", "week": "this week", "month": "this month"}.get(
            unit, f"this {unit}"
        )
        count = whole.group(1)
        return f"'{period.text}' as the {count} whole {unit}s before {current} ({current} left out)"
    return None


# "the past 30 days": whole periods, the current one left out (as Omni's "complete days").
_WHOLE_PERIODS = re.compile(
    r"\b(?:last|past|previous|prior|trailing)\s+(\w+)\s+(day|week|month|quarter|year)s?\b"
)
_SEASON_WORD = re.compile(rf"\b(?:{'|'.join(SEASONS)})\b")
_SEASON_MONTHS = {3: "March to May", 6: "June to August", 9: "September to November"}
_SEASON_MONTHS[12] = "December to February"


def blank(text: str, start: int, end: int) -> str:
    return text[:start] + f" {BLOCK} " + text[end:]


def leftover_period(text: str) -> Unclear | None:
    """A period word still in `text` after the time phrase was cut out, if any."""
    match = _PERIOD_WORD.search(text)
    if match is None:
        return None
    return Unclear(match.group(0).strip(), "period", _PERIOD_EXAMPLES)


_PERIOD_EXAMPLES = (
    "'first week of March 2024'",
    "'from March to May 2024'",
    "'the past 90 days'",
    "'H1 2025'",
)


def numeric_time_fields(model: SemanticModel, views: list[str]) -> dict[NumericTime, str]:
    """The number dimensions of `views` that hold a year, quarter or month, first one each."""
    out: dict[NumericTime, str] = {}
    for view in views:
        for key, found in model.fields.items():
            if found.view != view:
                continue
            kind = numeric_time(found)
            if kind is not None and kind not in out:
                out[kind] = key
    return out


def has_date_field(model: SemanticModel, views: list[str]) -> bool:
    return any(
        isinstance(f.definition, Dimension) and f.definition.type in TIME_TYPES
        for f in model.fields.values()
        if f.view in views
    )


def numeric_filters(
    period: TimeRange, fields: dict[NumericTime, str]
) -> dict[str, FilterValue] | None:
    """The filters on year (and month or quarter) numbers that select `period`, or None
    when those numbers cannot (a week of a table kept by year)."""
    year = fields.get("year")
    if year is None or (period.start is None and period.end is None):
        return None
    start = period.start
    # The last instant inside the period.
    last = None if period.end is None else period.end - timedelta(microseconds=1)
    if period.end_inclusive and period.end is not None:
        last = period.end
    whole_years = (
        start is None or (start.month, start.day, start.time()) == (1, 1, _MIDNIGHT)
    ) and (
        period.end is None
        or period.end_inclusive
        or (period.end.month, period.end.day, period.end.time()) == (1, 1, _MIDNIGHT)
    )
    if whole_years or period.end_inclusive:
        if start is not None and last is not None and start.year == last.year:
            return {year: start.year}
        bounds: dict[str, int] = {}
        if start is not None:
            bounds["gte"] = start.year
        if last is not None:
            bounds["lte"] = last.year
        return {year: bounds}
    if start is None or last is None or start.year != last.year or start.day != 1:
        return None
    if period.end is None or period.end.day != 1:
        return None
    for kind, size in (("month", 1), ("quarter", 3)):
        field = fields.get(kind)  # type: ignore[call-overload]
        if field is None or (start.month - 1) % size:
            continue
        first = (start.month - 1) // size + 1
        final = (last.month - 1) // size + 1
        if (period.end.month - 1) % size:
            continue
        value: FilterValue = first if first == final else {"gte": first, "lte": final}
        return {year: start.year, field: value}
    return None


_MIDNIGHT = datetime.min.time()
