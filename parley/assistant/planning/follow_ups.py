"""Follow-ups: a prompt that changes the previous query ("break it down by brand",
"only Acme", "what about 2024?", "top 3 instead", "sort by margin")."""

from __future__ import annotations

import re
from typing import Any

from parley.assistant.outcome import Unclear
from parley.assistant.planning.building import (
    apply_time,
    drop_empty_from_ranking,
    filter_value,
    group_several_values,
    ordering,
    time_field,
)
from parley.assistant.planning.reading import Reading
from parley.assistant.query import SemanticQuery, parse_field
from parley.assistant.semantic_model import TIME_TYPES, Dimension, SemanticModel
from parley.assistant.words import lower_text

FOLLOW_UP_CUE = re.compile(
    r"^\s*(?:(?:and|now|also|ok|okay|then|great|cool|thanks|nice|so|but|please|can you|could you)"
    r"[\s,]+)*(?:break|split|slice|drill|group|segment|by|per|only|just|what about|how about"
    r"|and for|same|instead|top|bottom|sort|order|rank|show only|filter|exclude|excluding"
    r"|without|except|limit|add|include|also show)\b"
)
_ADD_MEASURE = re.compile(r"\b(also|add|include|plus|as well|too|along with)\b")


def is_follow_up(prompt: str) -> bool:
    return FOLLOW_UP_CUE.search(lower_text(prompt)) is not None


def follow_up(
    model: SemanticModel, prompt: str, topic: str, previous: SemanticQuery, reading: Reading
) -> tuple[SemanticQuery, list[str]] | Unclear:
    text = lower_text(prompt)
    fields = list(previous.fields)
    old_measures = [f for f in fields if model.field(parse_field(f)[0]).is_measure]
    dimensions = [f for f in fields if f not in old_measures]
    filters: dict[str, Any] = dict(previous.filters)
    notes = []
    if reading.sort_measure:
        # "sort by margin" re-orders; it neither replaces nor drops the measures.
        measures = old_measures + [m for m in [reading.sort_measure] if m not in old_measures]
    elif reading.measures:
        if _ADD_MEASURE.search(text):
            measures = old_measures + [m for m in reading.measures if m not in old_measures]
        else:
            measures = list(reading.measures)
        notes.append("measures")
    else:
        measures = old_measures
    for key, _ in reading.dimensions:
        if key not in dimensions:
            dimensions.append(key)
            notes.append(f"added {key}")
    named = reading.time_field or _previous_time_field(model, previous)
    unclear = apply_time(
        model, topic, reading, dimensions, filters, time_field(model, topic, named)
    )
    if unclear is not None:
        return unclear
    for key, entries in reading.filters.items():
        filters[key] = filter_value(entries)
    group_several_values(reading, dimensions)
    fields = dimensions + measures
    ranking_changed = reading.rank_descending is not None or reading.sort_measure is not None
    if ranking_changed:
        sorts, limit = ordering(
            model, fields, measures, reading, reading.dimensions or [(d, True) for d in dimensions]
        )
    else:
        sorts = [s for s in previous.sorts if s.column_name in fields]
        limit = previous.limit
        if not sorts:
            sorts, _ = ordering(model, fields, measures, reading, [])
    drop_empty_from_ranking(model, fields, filters, sorts, limit, reading)
    query = SemanticQuery(table=topic, fields=fields, filters=filters, sorts=sorts, limit=limit)
    return query, notes


def _previous_time_field(model: SemanticModel, previous: SemanticQuery) -> str | None:
    for key in [*previous.filters, *previous.fields]:
        name = parse_field(key)[0]
        found = model.fields.get(name)
        if (
            found is not None
            and isinstance(found.definition, Dimension)
            and (found.definition.type in TIME_TYPES)
        ):
            return name
    return None
