"""Is every number in a written answer backed by the rows it was written from?

A number passes when it equals, at the precision it is written with, a value of the
rows or one derived from them: a column's total, average, smallest or largest value, the
difference or ratio of two values of a column (as a percentage too, and as a change),
a value's share of its column's total, or a count of rows. Numbers in the question,
in the rows' text (dates, names) and list markers pass too. Anything else fails the
check, and the answer falls back to the template.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence

from parley.assistant.executor import JsonValue

# How many leading rows of a column enter pairwise comparisons (differences, ratios).
PAIRS_OF = 60
_SCALES = {
    "k": 1e3,
    "thousand": 1e3,
    "m": 1e6,
    "mn": 1e6,
    "million": 1e6,
    "b": 1e9,
    "bn": 1e9,
    "billion": 1e9,
}
_NUMBER = re.compile(
    r"(?<![\w.])(?P<sign>[-\u2212])?[$€£]?(?P<int>\d{1,3}(?:,\d{3})+|\d+)(?P<frac>\.\d+)?"
    r"(?:\s?(?P<unit>%|percent\b|k\b|K\b|thousand\b|mn\b|m\b|M\b|million\b|bn\b|B\b|billion\b))?"
    r"(?![\w])"
)
_LIST_MARKER = re.compile(r"^\s*\d+[.)]\s", re.MULTILINE)


def _numbers_in(text: str) -> list[tuple[str, float, float]]:
    """Each number of ``text``: as written, its value, and half a unit of its last digit
    (the rounding it may carry)."""
    found = []
    for match in _NUMBER.finditer(_LIST_MARKER.sub(" ", text)):
        digits = match.group("int").replace(",", "")
        frac = match.group("frac") or ""
        value = float(digits + frac)
        half = 0.5 * 10 ** -(len(frac) - 1 if frac else 0)
        unit = (match.group("unit") or "").lower()
        scale = _SCALES.get(unit, 1.0)
        if match.group("sign"):
            value = -value
        found.append((match.group(0), value * scale, half * scale))
    return found


def _plain_numbers(values: Iterable[JsonValue]) -> set[float]:
    out: set[float] = set()
    for value in values:
        if isinstance(value, bool) or value is None:
            continue
        if isinstance(value, int | float):
            out.add(float(value))
        else:
            out.update(number for _, number, _ in _numbers_in(str(value)))
    return out


def supported_values(
    columns: Sequence[str], rows: Sequence[Sequence[JsonValue]], *, question: str = ""
) -> set[float]:
    """Every value a number in the answer may stand for."""
    allowed = _plain_numbers(cell for row in rows for cell in row)
    allowed.update(number for _, number, _ in _numbers_in(question))
    allowed.update(float(n) for n in range(len(rows) + 1))
    for index in range(len(columns)):
        column = [
            float(cell)
            for cell in (row[index] for row in rows)
            if isinstance(cell, int | float) and not isinstance(cell, bool)
        ]
        if not column:
            continue
        total = sum(column)
        allowed.update({total, total / len(column), min(column), max(column)})
        if total:
            allowed.update(100 * value / total for value in column)
        head = column[:PAIRS_OF]
        for a in head:
            for b in head:
                allowed.add(a - b)
                allowed.add(abs(a - b))
                if b:
                    allowed.add(a / b)
                    allowed.add(100 * a / b)
                    allowed.add(100 * (a - b) / b)
                    allowed.add(abs(100 * (a - b) / b))
    return allowed


def _matches(value: float, half: float, allowed: set[float]) -> bool:
    if value in allowed:
        return True
    tolerance = half + 1e-9 * max(1.0, abs(value))
    return any(math.isfinite(a) and abs(a - value) <= tolerance for a in allowed)


def unsupported_numbers(
    text: str, columns: Sequence[str], rows: Sequence[Sequence[JsonValue]], *, question: str = ""
) -> list[str]:
    """The numbers of ``text`` that nothing in the rows backs (empty: the text passes)."""
    allowed = supported_values(columns, rows, question=question)
    return [
        written
        for written, value, half in _numbers_in(text)
        if not _matches(value, half, allowed) and not _matches(-value, half, allowed)
    ]
