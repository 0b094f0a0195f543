"""From a reading to a semantic query: periods on the right field, several values as
groups, ranking order and limit, and empty values out of rankings."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from parley.assistant.outcome import Unclear
from parley.assistant.planning.periods import numeric_filters, numeric_time_fields
from parley.assistant.planning.ranking import DEFAULT_TOP, descending
from parley.assistant.planning.reading import Reading
from parley.assistant.query import FilterValue, Scalar, Sort, parse_field
from parley.assistant.semantic_model import (
    TIME_TYPES,
    Dimension,
    NumericTime,
    SemanticModel,
    numeric_time,
)


def filter_value(entries: list[tuple[str, bool]]) -> FilterValue:
    keep: list[Scalar] = [v for v, negated in entries if not negated]
    drop: list[Scalar] = [v for v, negated in entries if negated]
    if keep:
        return keep[0] if len(keep) == 1 else keep
    return {"not": drop[0] if len(drop) == 1 else drop}


def time_field(model: SemanticModel, topic: str, named: str | None) -> str | None:
    """The date field a period applies to: the one named, the topic's default, or the
    base view's first date or timestamp."""
    if named is not None:
        return named
    default = model.topics[topic].default_time_field
    if default is not None:
        return default
    base = model.topics[topic].base_view
    for name, dimension in model.views[base].dimensions.items():
        if dimension.type in TIME_TYPES:
            return f"{base}.{name}"
    return None


def apply_time(
    model: SemanticModel,
    topic: str,
    reading: Reading,
    dimensions: list[str],
    filters: dict[str, Any],
    field: str | None,
) -> Unclear | None:
    """Add the grain and the period of `reading` to a query's dimensions and filters."""
    numbers = numeric_time_fields(model, model.topic_views(topic)) if field is None else {}
    if reading.time_range:
        if field is not None:
            for key in list(filters):
                if parse_field(key)[0] == field:
                    del filters[key]
            filters[field] = dict(reading.time_range.as_filter())
        else:
            found = numeric_filters(reading.time_range, numbers)
            if found is None:
                return Unclear(
                    reading.time_range.text or "the period",
                    "period",
                    _number_fields(model, numbers),
                )
            filters.update(found)
    if reading.grain:
        if field is not None:
            dimensions[:] = [d for d in dimensions if parse_field(d)[0] != field]
            dimensions.append(f"{field}[{reading.grain}]")
        else:
            wanted = {"year": ["year"], "quarter": ["year", "quarter"], "month": ["year", "month"]}
            kinds = wanted.get(reading.grain, [])
            keys = [numbers.get(k) for k in kinds]  # type: ignore[call-overload]
            if not kinds or None in keys:
                return Unclear(f"by {reading.grain}", "period", _number_fields(model, numbers))
            # "by month in fiscal year 2025": a year pinned to one value is no grouping.
            dimensions.extend(
                k
                for k in keys
                if k is not None and k not in dimensions and not pinned(filters.get(k))
            )
    return None


def pinned(value: Any) -> bool:
    """Whether a filter keeps a single value (so grouping by its field adds nothing)."""
    return value is not None and not isinstance(value, dict | list)


def _number_fields(model: SemanticModel, numbers: Mapping[NumericTime, str]) -> tuple[str, ...]:
    if not numbers:
        return ("a question without a period: this topic has no date",)
    return tuple(f"a period by {model.field(key).label.lower()}" for key in numbers.values())


def group_several_values(reading: Reading, dimensions: list[str]) -> None:
    """ "Denver and Boston", "Europe vs Asia": one row for each value named."""
    for key, entries in reading.filters.items():
        kept = [v for v, negated in entries if not negated]
        if len(kept) > 1 and key not in dimensions and key not in reading.groups:
            dimensions.append(key)


def ordering(
    model: SemanticModel,
    fields: list[str],
    measures: list[str],
    reading: Reading,
    dimensions: list[tuple[str, bool]],
) -> tuple[list[Sort], int | None]:
    grouped = [f for f in fields if f not in measures]
    time_fields = [
        f for f in grouped if "[" in f or numeric_time(model.field(parse_field(f)[0])) is not None
    ]
    if reading.rank_descending is not None and measures and grouped:
        measure = reading.sort_measure or reading.rank_measure or measures[0]
        limit = reading.rank_limit
        # "Which X had the most" asks for one X; "which Xs" or "top Xs" for a list.
        if limit == 1 and dimensions and dimensions[0][1]:
            limit = DEFAULT_TOP
        down = reading.rank_descending
        if reading.rank_word is not None:
            down = descending(reading.rank_word, model.field(measure))
        return [Sort(column_name=measure, sort_descending=down)], limit
    if reading.sort_measure and reading.sort_measure in fields:
        return [
            Sort(
                column_name=reading.sort_measure,
                sort_descending=reading.rank_descending is not False,
            )
        ], None
    if time_fields:
        return [Sort(column_name=time_fields[0], sort_descending=False)], None
    if measures and grouped:
        return [Sort(column_name=measures[0], sort_descending=True)], None
    if grouped:
        return [Sort(column_name=grouped[0], sort_descending=False)], None
    return [], None


def drop_empty_from_ranking(
    model: SemanticModel,
    fields: list[str],
    filters: dict[str, Any],
    sorts: list[Sort],
    limit: int | None,
    reading: Reading,
) -> None:
    """A ranking ("top 10 products") leaves out rows whose dimension is empty, unless the
    prompt asks for them: an empty name at the top answers nothing."""
    if limit is None or reading.nulls_asked or not sorts:
        return
    if not model.fields[parse_field(sorts[0].column_name)[0]].is_measure:
        return
    for name in fields:
        key, timeframe = parse_field(name)
        found = model.fields[key]
        if timeframe or found.is_measure or key in filters:
            continue
        if isinstance(found.definition, Dimension) and found.definition.type in TIME_TYPES:
            continue
        filters[key] = {"is_null": False}
