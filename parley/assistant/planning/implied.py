"""What a question implies without naming it: the measure behind a superlative about
speed, length or price, and the date an event's period is about.

"Which carrier is the fastest?" names no measure, but only a time can be fast; "which
takes the longest" only a time or a length; "which is cheapest" only a cost or a price.
"How many accounts churned in Q3" asks about the date of churning, not the topic's
default date. When the model has exactly one field that fits, it is used; when it has
several or none, the planner says so rather than answer about the wrong one.
"""

from __future__ import annotations

import re

from parley.assistant.planning.ranking import better
from parley.assistant.semantic_model import (
    TIME_TYPES,
    Dimension,
    Measure,
    ModelField,
    SemanticModel,
)
from parley.assistant.words import tokens

SPEED = frozenset(("fastest", "slowest", "quickest", "how long"))
# "Longest" and "shortest" may be about a time ("takes the longest") or a length.
LENGTH = frozenset(("longest", "shortest"))
PRICE = frozenset(("cheapest", "most expensive", "least expensive", "priciest", "costliest"))
# Words of a measure's name that say it is a time; the first set is the stronger sign.
_TIME = frozenset(("time", "times", "duration", "turnaround"))
_TIME_UNITS = frozenset(("seconds", "minutes", "hours", "days", "weeks"))
_DISTANCE = frozenset(
    tokens("length distance kilometres kilometers km metres meters miles mileage")
)
_MONEY = frozenset(("cost", "costs", "price", "prices", "spend", "fee", "fees", "charge"))
_COUNTS = frozenset(("count", "count_distinct"))
# Words that may follow an event word and start its period ("churned in Q3").
_PERIOD_START = (
    "in|during|on|since|before|after|between|from|last|this|over|within|until|by|yesterday|today"
)


def _words(found: ModelField) -> set[str]:
    return set(
        tokens(" ".join([found.name.replace("_", " "), found.label, *found.definition.synonyms]))
    )


def is_time_word(word: str | None) -> bool:
    """Whether `word` can only be about a time or a length, never about a count."""
    return word in SPEED or word in LENGTH


def fitting_measures(model: SemanticModel, word: str, views: list[str]) -> list[str] | None:
    """Every measure a speed, length or price word can be about (None: not such a word)."""
    measures = [
        key for view in views for key in (f"{view}.{m}" for m in model.views[view].measures)
    ]
    if word in SPEED or word in LENGTH:
        # A duration, where less is better: an "on-time rate" is no time.
        times = [k for k in measures if better(model.field(k)) == "lower"]
        found = [k for k in times if _words(model.field(k)) & _TIME]
        if not found:
            found = [k for k in times if _words(model.field(k)) & _TIME_UNITS]
        if word in LENGTH:
            found += [k for k in measures if k not in found and _words(model.field(k)) & _DISTANCE]
        return found
    if word in PRICE:
        return [k for k in measures if _words(model.field(k)) & _MONEY]
    return None


def implied_measures(model: SemanticModel, word: str, views: list[str]) -> list[str] | None:
    """The measures a speed, length or price word with no measure named may be about
    (None: not such a word). One result is the answer; several or none make the
    planner ask."""
    found = fitting_measures(model, word, views)
    if found is None:
        return None
    # A superlative compares one thing with another: per unit, so an average when there
    # is exactly one (not a total or the single largest value).
    averages = [k for k in found if _is_average(model.field(k))]
    return averages if len(averages) == 1 else found


def counts_only(model: SemanticModel, measures: list[str]) -> bool:
    """Whether every one of `measures` counts rows: a noun such as "complaints", not a
    quantity a time superlative could rank."""
    return all(
        isinstance(d := model.field(k).definition, Measure) and d.type in _COUNTS for k in measures
    )


def _is_average(found: ModelField) -> bool:
    definition = found.definition
    return isinstance(definition, Measure) and definition.type == "average"


def event_dates(
    model: SemanticModel, value_field: str, word: str, text: str
) -> tuple[list[str], list[str]] | None:
    """For a value named by an event word right before a period ("cancelled in 2025"):
    (the dates of the value's view whose names share the word's root, every date of that
    view). None when `word` is not followed by a period or is no event word."""
    if not word.endswith("ed") or len(word) < 5:
        return None
    if not re.search(rf"\b{re.escape(word)}\s+(?:{_PERIOD_START})\b", text):
        return None
    view = model.field(value_field).view
    dates = [
        f"{view}.{name}"
        for name, dimension in model.views[view].dimensions.items()
        if isinstance(dimension, Dimension) and dimension.type in TIME_TYPES
    ]
    roots = {word[:-2], word[:-1]}
    if len(word) > 5 and word[-3] == word[-4]:  # "cancelled" → "cancel"
        roots.add(word[:-3])
    matching = [
        key
        for key in dates
        if any(
            len(w) >= 4 and (w.startswith(root) or root.startswith(w))
            for w in _words(model.field(key)) - {"date", "time", "day"}
            for root in roots
            if len(root) >= 4
        )
    ]
    return matching, dates
