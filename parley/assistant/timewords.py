"""Time words in a prompt, resolved against "now" (docs/assistant.md, Planners).

- "today", "yesterday";
- "this week|month|quarter|year" = from the start of the current calendar period to now
  (weeks start on Monday); "year|month|quarter to date" and "ytd" likewise;
- "last|previous|past week|month|quarter|year" = the previous calendar period;
- "last N days|weeks|months|quarters|years" = the N full periods before the current one;
- "Q1".."Q4" without a year = that quarter of the current year; "Q3 2024";
- "in 2025", "March 2025", a month without a year (its latest start not after now),
  "since <date>", "between <date> and <date>", "from <date> to <date>", "2010 to 2012",
  "before <date>", "after <date>", "until|through <date>" (the named period included);
- "the first|second half of 2025", "H1", "H2 2024" (a year without a year = this one);
- "the first|second|third|fourth|last week of March 2024" = days 1-7, 8-14, 15-21,
  22-28, or the month's last seven days;
- "between 1 and 15 June", "from 3 to 9 March 2025": days of one month;
- weekday names: "on Monday" = the latest Monday not after today, "last Monday" the one
  before today ("on Mondays", every Monday, is not a period it can read);
- seasons, meteorological and of the Northern Hemisphere (spring March-May, summer
  June-August, autumn or fall September-November, winter December-February): "last
  summer" = the latest one that has ended, "this|in|during summer" = the latest one
  that has begun (up to now when it is under way), "summer 2025" = that year's; a
  winter spans two years, so "winter 2025" is not read;
- "the last|past|previous N days" are the N whole days before today (today left out),
  and likewise for weeks, months, quarters and years.

Grain words: "daily", "weekly", "monthly", "quarterly", "yearly", "by|per|each
<period>", and "trend", "over time" (a month unless another grain is named).

All ranges are half-open `[start, end)` except those that run up to now, which include
now (`end_inclusive`), matching how the evaluation questions write them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Generic, TypeVar

from parley.assistant.semantic_model import Timeframe

T = TypeVar("T")

MONTHS = {
    "january": 1,
    "jan": 1,
    "february": 2,
    "feb": 2,
    "march": 3,
    "mar": 3,
    "april": 4,
    "apr": 4,
    "may": 5,
    "june": 6,
    "jun": 6,
    "july": 7,
    "jul": 7,
    "august": 8,
    "aug": 8,
    "september": 9,
    "sep": 9,
    "sept": 9,
    "october": 10,
    "oct": 10,
    "november": 11,
    "nov": 11,
    "december": 12,
    "dec": 12,
}
_MONTH = r"(?:" + "|".join(sorted(MONTHS, key=len, reverse=True)) + r")"
_UNITS = {"day": "date", "week": "week", "month": "month", "quarter": "quarter", "year": "year"}
_NUMBER_WORDS = {
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "fifteen": 15,
    "twenty": 20,
    "thirty": 30,
    "sixty": 60,
    "ninety": 90,
}
_ORDINAL_QUARTERS = {
    "first": 1,
    "second": 2,
    "third": 3,
    "fourth": 4,
    "1st": 1,
    "2nd": 2,
    "3rd": 3,
    "4th": 4,
}

# One date, from most to least specific; each alternative is parsed by `_parse_date`.
_DATE = (
    r"(?:\d{4}-\d{1,2}-\d{1,2}"
    rf"|{_MONTH}\.?\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}}"
    rf"|\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?{_MONTH}\.?,?\s+\d{{4}}"
    r"|q[1-4]\s*(?:of\s+)?\d{4}"
    rf"|{_MONTH}\.?,?\s+(?:of\s+)?\d{{4}}"
    r"|(?:19|20)\d{2}"
    r"|q[1-4]"
    rf"|{_MONTH})"
)


@dataclass(frozen=True)
class TimeRange:
    start: datetime | None
    end: datetime | None
    end_inclusive: bool = False
    text: str = ""

    def as_filter(self) -> dict[str, str]:
        """The semantic-query filter for this range (ISO strings)."""
        out: dict[str, str] = {}
        if self.start is not None:
            out["gte"] = _iso(self.start)
        if self.end is not None:
            out["lte" if self.end_inclusive else "lt"] = _iso(self.end)
        return out


@dataclass(frozen=True)
class Found(Generic[T]):
    value: T
    start: int
    end: int


def _iso(moment: datetime) -> str:
    return moment.date().isoformat() if moment.time() == datetime.min.time() else moment.isoformat()


def period_start(moment: datetime, unit: str) -> datetime:
    day = datetime(moment.year, moment.month, moment.day)
    if unit == "day":
        return day
    if unit == "week":
        return day - timedelta(days=day.weekday())
    if unit == "month":
        return day.replace(day=1)
    if unit == "quarter":
        return day.replace(month=(day.month - 1) // 3 * 3 + 1, day=1)
    return day.replace(month=1, day=1)


def shift(moment: datetime, unit: str, count: int) -> datetime:
    """`moment` moved by `count` periods (month arithmetic keeps the first of the month)."""
    if unit == "day":
        return moment + timedelta(days=count)
    if unit == "week":
        return moment + timedelta(weeks=count)
    months = {"month": 1, "quarter": 3, "year": 12}[unit] * count
    index = moment.year * 12 + moment.month - 1 + months
    return moment.replace(year=index // 12, month=index % 12 + 1)


def _number(word: str) -> int | None:
    if word.isdigit():
        return int(word)
    return _NUMBER_WORDS.get(word)


def _parse_date(text: str, now: datetime) -> tuple[datetime, datetime] | None:
    """The period a date phrase names, as [start, end)."""
    text = text.strip().rstrip(".").replace(",", " ")
    parts = [p for p in re.split(r"\s+|\.|-", text) if p and p != "of"]
    if re.fullmatch(r"\d{4}-\d{1,2}-\d{1,2}", text):
        year, month, day = (int(p) for p in text.split("-"))
        try:
            start = datetime(year, month, day)
        except ValueError:
            return None
        return start, start + timedelta(days=1)
    if len(parts) == 1 and parts[0].isdigit():
        start = datetime(int(parts[0]), 1, 1)
        return start, shift(start, "year", 1)
    quarter = re.fullmatch(r"q([1-4])\s*(?:of\s+)?(\d{4})?", text)
    if quarter:
        year = int(quarter.group(2)) if quarter.group(2) else now.year
        start = datetime(year, (int(quarter.group(1)) - 1) * 3 + 1, 1)
        return start, shift(start, "quarter", 1)
    words = [p for p in parts if not p.isdigit() and not re.fullmatch(r"\d+(st|nd|rd|th)", p)]
    numbers = [int(re.sub(r"\D", "", p)) for p in parts if p not in words]
    if len(words) != 1 or words[0] not in MONTHS:
        return None
    month = MONTHS[words[0]]
    years = [n for n in numbers if n >= 1000]
    days = [n for n in numbers if n < 1000]
    # A bare month means its most recent start that is not after now.
    latest = now.year if month <= now.month else now.year - 1
    year = years[0] if years else latest
    if days:
        try:
            start = datetime(year, month, days[0])
        except ValueError:
            return None
        return start, start + timedelta(days=1)
    start = datetime(year, month, 1)
    return start, shift(start, "month", 1)


def _parse_span(first: str, second: str, now: datetime) -> tuple[datetime, datetime] | None:
    """The period from `first` to `second`; in "January to June 2025" the year written
    once belongs to both ends."""
    year = re.search(r"\b\d{4}\b", second)
    if year and not re.search(r"\d{4}", first):
        first = f"{first} {year.group(0)}"
    start, end = _parse_date(first, now), _parse_date(second, now)
    if start is None or end is None:
        return None
    return start[0], end[1]


WEEKDAYS = {
    "monday": 0,
    "tuesday": 1,
    "wednesday": 2,
    "thursday": 3,
    "friday": 4,
    "saturday": 5,
    "sunday": 6,
}
_WEEKDAY = "(" + "|".join(WEEKDAYS) + ")"
_ORDINAL_WEEKS = {"first": 0, "1st": 0, "second": 1, "2nd": 1, "third": 2, "3rd": 2}
_ORDINAL_WEEKS |= {"fourth": 3, "4th": 3}
_DAY = r"(\d{1,2})(?:st|nd|rd|th)?"
_YEAR = r"((?:19|20)\d{2})"


def _month_start(month_text: str, year_text: str | None, now: datetime) -> datetime:
    period = _parse_date(f"{month_text} {year_text or ''}".strip(), now)
    assert period is not None  # month names always parse
    return period[0]


def _extra_ranges(text: str, now: datetime, today: datetime) -> list[Found[TimeRange]]:
    """Weeks and days within months, halves, bare year spans and weekdays."""
    hits: list[Found[TimeRange]] = []

    def add(match: re.Match[str], start: datetime | None, end: datetime | None) -> None:
        hits.append(Found(TimeRange(start, end, False, match.group(0).strip()), *match.span()))

    for match in re.finditer(
        rf"\b(?:the\s+)?(first|second|third|fourth|1st|2nd|3rd|4th|last)\s+week\s+(?:of|in)\s+"
        rf"({_MONTH})\.?,?(?:\s+(?:of\s+)?{_YEAR})?\b",
        text,
    ):
        month = _month_start(match.group(2), match.group(3), now)
        following = shift(month, "month", 1)
        if match.group(1) == "last":
            add(match, following - timedelta(days=7), following)
        else:
            start = month + timedelta(days=7 * _ORDINAL_WEEKS[match.group(1)])
            add(match, start, min(start + timedelta(days=7), following))
    for match in re.finditer(
        rf"\b(?:between|from)\s+(?:the\s+)?{_DAY}\s+(?:and|to|until|till|through|-)\s+"
        rf"(?:the\s+)?{_DAY}\s+(?:of\s+)?({_MONTH})\.?,?(?:\s+{_YEAR})?\b",
        text,
    ):
        month = _month_start(match.group(3), match.group(4), now)
        first, last = int(match.group(1)), int(match.group(2))
        try:
            start, end = month.replace(day=first), month.replace(day=last)
        except ValueError:
            continue
        if start <= end:
            add(match, start, end + timedelta(days=1))
    for match in re.finditer(
        rf"\b(?:(?:in|during|for|of)\s+)?(?:the\s+)?(first|second|1st|2nd)\s+half"
        rf"(?:\s+(?:of\s+)?{_YEAR})?\b"
        rf"|\b(?:(?:in|during|for|of)\s+)?h([12])(?:\s+(?:of\s+)?{_YEAR})?\b"
        rf"|\b(?:(?:in|during|for|of)\s+)?{_YEAR}\s+h([12])\b",
        text,
    ):
        which = match.group(1) or match.group(3) or match.group(6)
        half = 1 if which in ("first", "1st", "1") else 2
        year_text = match.group(2) or match.group(4) or match.group(5)
        year = int(year_text) if year_text else now.year
        start = datetime(year, 1 + 6 * (half - 1), 1)
        add(match, start, shift(start, "month", 6))
    for match in re.finditer(
        rf"\b(?:(?:in|during|for|from|between)\s+)?{_YEAR}\s*(?:-|\u2013|to|through|until)\s*"
        rf"{_YEAR}\b",
        text,
    ):
        first, last = int(match.group(1)), int(match.group(2))
        if first <= last:
            add(match, datetime(first, 1, 1), datetime(last + 1, 1, 1))
    for match in re.finditer(
        rf"\b(?:(on|last|this|past|previous)\s+)?{_WEEKDAY}\b(?!\s+(?:of|and|to)\b)", text
    ):
        back = (today.weekday() - WEEKDAYS[match.group(2)]) % 7
        if match.group(1) in ("last", "past", "previous") and back == 0:
            back = 7
        day = today - timedelta(days=back)
        add(match, day, day + timedelta(days=1))
    hits.extend(_seasons(text, now))
    return hits


# Meteorological seasons of the Northern Hemisphere: the month each starts in.
SEASONS = {"spring": 3, "summer": 6, "autumn": 9, "fall": 9, "winter": 12}
_SEASON = "(" + "|".join(SEASONS) + ")"


def _seasons(text: str, now: datetime) -> list[Found[TimeRange]]:
    hits: list[Found[TimeRange]] = []
    for match in re.finditer(
        rf"\b(?:(last|past|previous|this|in|during|for|of)\s+)?(?:the\s+)?{_SEASON}\b"
        rf"(?:,?\s+(?:of\s+)?{_YEAR}\b)?",
        text,
    ):
        which, name, year_text = match.group(1), match.group(2), match.group(3)
        month = SEASONS[name]
        if year_text is not None:
            if name == "winter" or which in ("last", "past", "previous", "this"):
                continue  # a winter spans two years; "last summer 2024" says two things
            start = datetime(int(year_text), month, 1)
        elif which is None:
            continue  # alone, "spring" or "fall" may be a name or a verb
        else:
            # The latest start of this season not after now.
            year = now.year if (now.month, now.day) >= (month, 1) else now.year - 1
            start = datetime(year, month, 1)
            under_way = shift(start, "month", 3) > now
            if which == "this" and not under_way:
                continue  # "this winter" in November: the coming one or the last? Not read.
            if which in ("last", "past", "previous") and under_way:
                start = shift(start, "year", -1)
        end = shift(start, "month", 3)
        inclusive = end > now
        hits.append(
            Found(
                TimeRange(start, now if inclusive else end, inclusive, match.group(0).strip()),
                match.start(),
                match.end(),
            )
        )
    return hits


def find_time_range(text: str, now: datetime) -> Found[TimeRange] | None:
    """The first time range named in lowercase `text`, with its span."""
    now = now.replace(tzinfo=None)
    today = period_start(now, "day")
    unit = r"(day|week|month|quarter|year)s?"
    hits: list[Found[TimeRange]] = []

    def add(
        match: re.Match[str], start: datetime | None, end: datetime | None, inclusive: bool = False
    ) -> None:
        hits.append(
            Found(
                TimeRange(start, end, inclusive, match.group(0).strip()), match.start(), match.end()
            )
        )

    for match in re.finditer(
        rf"\b(?:between|from)\s+({_DATE})\s+(?:and|to|until|till|through)\s+({_DATE})\b", text
    ):
        span = _parse_span(match.group(1), match.group(2), now)
        if span:
            add(match, *span)
    if hits:
        return hits[0]
    for match in re.finditer(rf"\b(since|after|starting|from)\s+({_DATE})\b", text):
        period = _parse_date(match.group(2), now)
        if period:
            start = period[0] if match.group(1) != "after" else period[1]
            add(match, start, now, inclusive=True)
    for match in re.finditer(rf"\b(before|until|till|through|prior to)\s+({_DATE})\b", text):
        period = _parse_date(match.group(2), now)
        if period:
            # "until March" includes March; "before March" does not.
            add(match, None, period[0] if match.group(1) in ("before", "prior to") else period[1])
    for match in re.finditer(r"\btoday\b", text):
        add(match, today, shift(today, "day", 1))
    for match in re.finditer(r"\byesterday\b", text):
        add(match, shift(today, "day", -1), today)
    for match in re.finditer(
        rf"\b(?:this|current|the current)\s+{unit}\b(?:\s+(?:so far|to date))?", text
    ):
        add(match, period_start(now, match.group(1)), now, inclusive=True)
    for match in re.finditer(
        r"\b(year|month|quarter|week)[\s-]+to[\s-]+date\b|\b(ytd|mtd|qtd|wtd)\b", text
    ):
        name = (
            match.group(1)
            or {"ytd": "year", "mtd": "month", "qtd": "quarter", "wtd": "week"}[match.group(2)]
        )
        add(match, period_start(now, name), now, inclusive=True)
    # "The past 30 days" are the 30 whole days before today, "last month" the whole month
    # before this one; the future mirrors them: "the next 30 days" are the 30 whole days
    # after today, "next month" the whole month after this one.
    past, future = ("last", "past", "previous", "prior"), ("next", "coming", "upcoming")

    def whole(name: str, count: int, ahead: bool) -> tuple[datetime, datetime]:
        current = period_start(now, name)
        if not ahead:
            return shift(current, name, -count), current
        following = shift(current, name, 1)
        return following, shift(following, name, count)

    for match in re.finditer(
        rf"\b(?:in\s+|over\s+|during\s+|for\s+)?(?:the\s+)?"
        rf"({'|'.join((*past, 'trailing', *future))})\s+"
        rf"(\d+|{'|'.join(_NUMBER_WORDS)})\s+{unit}\b",
        text,
    ):
        count = _number(match.group(2))
        if count:
            add(match, *whole(match.group(3), count, match.group(1) in future))
    for match in re.finditer(rf"\b(?:the\s+)?({'|'.join((*past, *future))})\s+{unit}\b", text):
        add(match, *whole(match.group(2), 1, match.group(1) in future))
    for match in re.finditer(r"\btomorrow\b", text):
        add(match, shift(today, "day", 1), shift(today, "day", 2))
    for match in re.finditer(
        r"\b(first|second|third|fourth|1st|2nd|3rd|4th)\s+quarter(?:\s+(?:of\s+)?((?:19|20)\d{2}))?\b",
        text,
    ):
        quarter = _ORDINAL_QUARTERS[match.group(1)]
        year = int(match.group(2)) if match.group(2) else now.year
        start = datetime(year, (quarter - 1) * 3 + 1, 1)
        add(match, start, shift(start, "quarter", 1))
    dated = (
        rf"\b(?:in|during|for|of|on)?\s*("
        rf"\d{{4}}-\d{{1,2}}-\d{{1,2}}|q[1-4]\s*(?:of\s+)?(?:19|20)\d{{2}}|q[1-4]"
        rf"|{_MONTH}\.?\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}}"
        rf"|{_MONTH}\.?,?\s+(?:of\s+)?(?:19|20)\d{{2}}|(?:19|20)\d{{2}})\b"
    )
    for match in re.finditer(dated, text):
        period = _parse_date(match.group(1), now)
        if period:
            add(match, *period)
    # A bare month name only counts after a preposition ("in march"), never alone ("may").
    for match in re.finditer(rf"\b(?:in|during|for|of)\s+({_MONTH})\b", text):
        period = _parse_date(match.group(1), now)
        if period:
            add(match, *period)
    hits.extend(_extra_ranges(text, now, today))
    if not hits:
        return None
    # Prefer the longest phrase; among equals the earliest.
    return max(hits, key=lambda f: (f.end - f.start, -f.start))


_GRAIN_PATTERNS: list[tuple[str, Timeframe]] = [
    (
        r"\b(daily|day by day|by day|per day|each day|every day|by date|per date|day over day)\b",
        "date",
    ),
    (r"\b(weekly|week by week|by week|per week|each week|every week|week over week|wow)\b", "week"),
    (
        r"\b(monthly|month by month|by month|per month|each month|every month"
        r"|month over month|mom)\b",
        "month",
    ),
    (
        r"\b(quarterly|quarter by quarter|by quarter|per quarter|each quarter|every quarter|"
        r"quarter over quarter|qoq)\b",
        "quarter",
    ),
    (
        r"\b(yearly|annually|annual|year by year|by year|per year|each year|every year|"
        r"year over year|yoy)\b",
        "year",
    ),
    (
        r"\b(?:which|what|top\s+\d+|bottom\s+\d+|best|worst)\s+(day|week|month|quarter|year)s?\b",
        "date",
    ),  # the unit is read from the match
]
_TREND = re.compile(
    r"\b(trend|trends|trending|trended|over time|time series|timeline|evolution"
    r"|progression|history|historically)\b"
)


def find_grain(text: str) -> Found[Timeframe] | None:
    """A time grain asked for in lowercase `text` ("monthly", "by quarter", "trend")."""
    for pattern, grain in _GRAIN_PATTERNS:
        match = re.search(pattern, text)
        if match:
            if match.lastindex and match.group(match.lastindex) in _UNITS and grain == "date":
                word = match.group(match.lastindex)
                unit: Timeframe = _UNITS[word]  # type: ignore[assignment]
                start = match.start(match.lastindex)
                return Found(unit, start, match.end())
            return Found(grain, match.start(), match.end())
    match = _TREND.search(text)
    if match:
        return Found("month", match.start(), match.end())
    return None
