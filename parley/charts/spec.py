"""Choose a chart for a query result and write it as a Vega-Lite spec.

The result carries no types, only column names (`view.field`, `view.date[month]`) and
JSON values, so each column is classified from both: a timeframe in brackets or ISO-date
values make a time dimension, numbers make a measure, anything else a category. Then:

- a time dimension → a line over time (one line per value of a second dimension);
- categories → bars in the query's own row order (grouped by a second dimension);
- a single number, no rows, or no measure → `NothingToChart` (the API's 422).

Columns are renamed `c0`, `c1`, … in the chart's data: Vega-Lite reads dots and brackets
in field names as paths, and `view.field[month]` would otherwise need escaping everywhere.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any, Literal

Kind = Literal["time", "category", "measure"]

_TIMEFRAME = re.compile(r"\[(date|week|month|quarter|year)\]$")
_ISO_DATE = re.compile(
    r"^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$"
)
# Beyond these a bar chart stops being readable; the query's order decides which stay.
MAX_BARS = 40
MAX_SERIES = 12
MAX_POINTS = 2_000
WIDTH = 640
HEIGHT = 300

# d3 time formats per timeframe, read in UTC (the values carry no zone; see _utc).
_TIME_FORMATS = {
    "year": "%Y",
    "quarter": "Q%q %Y",
    "month": "%b %Y",
    "week": "%d %b %Y",
    "date": "%d %b %Y",
}

# Tick spacing per timeframe; weeks and days are left to Vega, whose weeks start on
# Sunday while Parley's start on Monday.
_TICK_INTERVALS = {"year": ("year", 1), "quarter": ("month", 3), "month": ("month", 1)}


class NothingToChart(Exception):
    """The result has nothing a chart would show better than a sentence."""


@dataclass(frozen=True)
class Column:
    index: int
    name: str  # the result's column name
    kind: Kind
    timeframe: str | None

    @property
    def key(self) -> str:
        """The field's name in the chart's data."""
        return f"c{self.index}"

    @property
    def label(self) -> str:
        return label_of(self.name)


def label_of(name: str) -> str:
    """`order_items.created_at[month]` → "Created at (month)"."""
    timeframe = _TIMEFRAME.search(name)
    base = _TIMEFRAME.sub("", name).rsplit(".", 1)[-1].replace("_", " ").strip()
    text = base[:1].upper() + base[1:] if base else name
    return f"{text} ({timeframe.group(1)})" if timeframe else text


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _is_iso_date(value: Any) -> bool:
    return isinstance(value, str) and _ISO_DATE.match(value) is not None


def classify(columns: list[str], rows: list[list[Any]]) -> list[Column]:
    out: list[Column] = []
    for index, name in enumerate(columns):
        values = [row[index] for row in rows if index < len(row) and row[index] is not None]
        timeframe = _TIMEFRAME.search(name)
        kind: Kind
        if timeframe or (values and all(_is_iso_date(v) for v in values)):
            kind = "time"
        elif values and all(_is_number(v) for v in values):
            kind = "measure"
        else:
            kind = "category"
        out.append(
            Column(
                index=index,
                name=name,
                kind=kind,
                timeframe=timeframe.group(1) if timeframe else None,
            )
        )
    return out


def _utc(value: Any) -> Any:
    """ISO timestamps without a zone are UTC in Parley's results; say so, or the renderer
    would read them in its own local zone and shift every point."""
    if isinstance(value, str) and _ISO_DATE.match(value):
        text = value.replace(" ", "T", 1)
        if "T" not in text:
            return text + "T00:00:00Z"
        zone = _ISO_DATE.match(value)
        return text if zone and zone.group(1) else text + "Z"
    return value


def _roles(columns: list[Column], rows: list[list[Any]]) -> tuple[Column, Column | None, Column]:
    """(x dimension, optional second dimension, measure) or NothingToChart."""
    if not rows:
        raise NothingToChart("the query returned no rows")
    measures = [c for c in columns if c.kind == "measure"]
    dimensions = [c for c in columns if c.kind != "measure"]
    if not measures:
        raise NothingToChart("the result has no measure to chart")
    if not dimensions:
        if len(rows) == 1:
            raise NothingToChart("the answer is a single number")
        if len(measures) < 2:
            raise NothingToChart("the result has no dimension to chart over")
        # Two numeric columns and several rows ("users by age"): the first is the
        # dimension, as the query listed it first.
        first = measures.pop(0)
        dimensions = [Column(first.index, first.name, "category", None)]
    times = [c for c in dimensions if c.kind == "time"]
    x = times[0] if times else dimensions[0]
    others = [c for c in dimensions if c is not x]
    return x, (others[0] if others else None), measures[0]


def chart_spec(
    columns: list[str], rows: list[list[Any]], query: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The Vega-Lite spec for this result. The columns already name the fields; `query`
    (a semantic query) is accepted so the caller need not know what the choice depends on."""
    del query
    x, series, measure = _roles(classify(columns, rows), rows)
    used = [c for c in (x, series, measure) if c is not None]
    values = [
        {c.key: _utc(row[c.index]) if c.kind == "time" else row[c.index] for c in used}
        for row in rows[:MAX_POINTS]
    ]
    title = f"{measure.label} by {x.label}" + (f" and {series.label}" if series else "")
    y = {"field": measure.key, "type": "quantitative", "title": measure.label}
    if x.kind == "time":
        layout = _line(values, x, y)
    else:
        layout = _bars(values, x, series, y)
        if layout.note:
            title = f"{title} ({layout.note})"
    if series is not None:
        layout.encoding["color"] = {
            "field": series.key,
            "type": "nominal",
            "title": series.label,
            "sort": None,
        }
        if layout.mark["type"] == "bar":
            offset = "yOffset" if layout.horizontal else "xOffset"
            layout.encoding[offset] = {"field": series.key, "sort": None}
    spec: dict[str, Any] = {
        "$schema": "https://vega.github.io/schema/vega-lite/v5.json",
        "title": title,
        "width": WIDTH,
        "height": HEIGHT,
        "background": "white",
        "data": {"values": layout.values},
        "mark": layout.mark,
        "encoding": layout.encoding,
        "config": {
            "font": "sans-serif",
            "view": {"stroke": None},
            "axis": {"labelFontSize": 12, "titleFontSize": 13, "labelColor": "#333333"},
            "title": {"fontSize": 15, "anchor": "start"},
        },
    }
    if layout.horizontal:
        spec["height"] = {"step": 20 if series is None else 8}
    return spec


@dataclass
class _Layout:
    mark: dict[str, Any]
    encoding: dict[str, Any]
    values: list[dict[str, Any]]
    horizontal: bool = False
    note: str | None = None


def _line(values: list[dict[str, Any]], x: Column, y: dict[str, Any]) -> _Layout:
    # The utc scale makes the axis format in UTC; a "formatType" here would drop the format.
    axis: dict[str, Any] = {}
    if x.timeframe:
        axis["format"] = _TIME_FORMATS[x.timeframe]
    if x.timeframe in _TICK_INTERVALS:
        # Left to itself Vega ticks finer than the data, and "Q1 2025" would repeat.
        unit, step = _TICK_INTERVALS[x.timeframe]
        periods = len({v.get(x.key) for v in values})
        axis["tickCount"] = {"interval": unit, "step": step * max(1, math.ceil(periods / 12))}
    return _Layout(
        # Points mark each period while they fit; one period alone is then still visible.
        mark={"type": "line", "point": len(values) <= 60, "strokeWidth": 2},
        encoding={
            "x": {
                "field": x.key,
                "type": "temporal",
                "title": x.label,
                "scale": {"type": "utc"},
                "axis": axis,
            },
            "y": y,
        },
        values=values,
    )


def _bars(
    values: list[dict[str, Any]], x: Column, series: Column | None, y: dict[str, Any]
) -> _Layout:
    categories = list(dict.fromkeys(str(v.get(x.key)) for v in values))
    note = None
    if len(categories) > MAX_BARS:
        note = f"first {MAX_BARS} of {len(categories)}"
        categories = categories[:MAX_BARS]
        values = [v for v in values if str(v.get(x.key)) in set(categories)]
    if series is not None:
        kept = set(list(dict.fromkeys(str(v.get(series.key)) for v in values))[:MAX_SERIES])
        values = [v for v in values if str(v.get(series.key)) in kept]
    # Many or long labels read better down the side than slanted under the axis.
    horizontal = len(categories) > 12 or max((len(c) for c in categories), default=0) > 14
    category = {
        "field": x.key,
        "type": "nominal",
        "title": x.label,
        "sort": None,  # the query's order (often "largest first"), not alphabetical
        "axis": {"labelLimit": 180, "labelAngle": 0},
    }
    encoding = {"y": category, "x": y} if horizontal else {"x": category, "y": y}
    mark: dict[str, Any] = {"type": "bar"}
    if series is None:
        mark["color"] = "#2f5d9e"
    return _Layout(mark=mark, encoding=encoding, values=values, horizontal=horizontal, note=note)
