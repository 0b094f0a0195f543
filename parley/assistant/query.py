"""The semantic query (docs/api.md, The semantic query) and its validation against a semantic model.

```json
{"table": "order_items",
 "fields": ["users.region", "order_items.created_at[month]", "order_items.revenue"],
 "filters": {"order_items.created_at": {"gte": "2025-01-01", "lt": "2026-01-01"},
             "users.region": ["Europe", "Asia"]},
 "sorts": [{"column_name": "order_items.revenue", "sort_descending": true}],
 "limit": 10}
```

`table` is a topic name (or a view that is the base of no topic: then only that view's
fields may be used). `fields` are `view.field`; a date or timestamp dimension may take a
timeframe in brackets: `[date]`, `[week]` (weeks start on Monday), `[month]`,
`[quarter]`, `[year]`; the bucket is the first instant of the period.

Filters map a field (optionally with a timeframe) to a condition:

| filter | meaning |
|---|---|
| `"Europe"`, `42`, `true` | equal to the value |
| `null` | is null |
| `["Europe", "Asia"]` | one of the values (IN) |
| `{"eq": v}`, `{"in": [v, ...]}` | the same, spelled out |
| `{"gt": v}`, `{"gte": v}`, `{"lt": v}`, `{"lte": v}` | comparisons; keys together = a range |
| `{"contains": "text"}`, `{"starts_with": "text"}` | case-insensitive text match |
| `{"is_null": true}` / `{"is_null": false}` | null or not null |
| `{"not": <filter>}` | the opposite of any filter above |

Dates and timestamps are ISO strings (`"2025-01-01"`, `"2025-01-01T08:00:00"`); a range is
`{"gte": start, "lt": end}` with an exclusive end. A filter on a measure applies after
aggregation (SQL HAVING). Every value becomes a bound parameter, never SQL text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, Literal, TypeAlias, cast

from pydantic import BaseModel, ConfigDict, Field

from parley.assistant.semantic_model import (
    TIME_TYPES,
    TIMEFRAMES,
    Measure,
    ModelField,
    SemanticModel,
    Timeframe,
)

Scalar: TypeAlias = str | int | float | bool | None
FilterValue: TypeAlias = Scalar | list[Scalar] | dict[str, Any]
MAX_LIMIT = 100_000

_FIELD = re.compile(r"^([a-z_][a-z0-9_]*)\.([a-z_][a-z0-9_]*)(?:\[([a-z]+)\])?$")
_COMPARISONS = ("gt", "gte", "lt", "lte")


class Sort(BaseModel):
    model_config = ConfigDict(extra="forbid")

    column_name: str
    sort_descending: bool = False


class SemanticQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    table: str
    fields: list[str] = Field(min_length=1)
    filters: dict[str, FilterValue] = Field(default_factory=dict)
    sorts: list[Sort] = Field(default_factory=list)
    limit: int | None = Field(default=None, ge=1, le=MAX_LIMIT)


class QueryError(ValueError):
    """A semantic query that does not fit the model; the message is for a person."""


@dataclass(frozen=True)
class FieldRef:
    """One field of a query, resolved against the model."""

    field: ModelField
    timeframe: Timeframe | None = None

    @property
    def key(self) -> str:
        base = self.field.key
        return f"{base}[{self.timeframe}]" if self.timeframe else base

    @property
    def is_measure(self) -> bool:
        return self.field.is_measure

    @property
    def type(self) -> str:
        definition = self.field.definition
        return "number" if isinstance(definition, Measure) else definition.type


# A filter resolved to a small tree of conditions on one field.
_Op: TypeAlias = Literal["eq", "gt", "gte", "lt", "lte", "contains", "starts_with"]


@dataclass(frozen=True)
class Compare:
    op: _Op
    value: Any


@dataclass(frozen=True)
class OneOf:
    values: tuple[Any, ...]


@dataclass(frozen=True)
class IsNull:
    null: bool


@dataclass(frozen=True)
class Not:
    condition: Condition


@dataclass(frozen=True)
class AllOf:
    conditions: tuple[Condition, ...]


Condition: TypeAlias = Compare | OneOf | IsNull | Not | AllOf


@dataclass(frozen=True)
class ResolvedFilter:
    ref: FieldRef
    condition: Condition


@dataclass(frozen=True)
class ResolvedQuery:
    """A query whose every name exists in the model and whose values have the right types."""

    topic: str | None
    base_view: str
    fields: tuple[FieldRef, ...]
    filters: tuple[ResolvedFilter, ...]
    sorts: tuple[tuple[FieldRef, bool], ...]
    limit: int | None


def parse_field(name: str) -> tuple[str, Timeframe | None]:
    """Split `view.field[timeframe]` into `view.field` and the timeframe."""
    match = _FIELD.match(name)
    if match is None:
        raise QueryError(f"{name!r} is not a field name like view.field or view.field[month]")
    timeframe = match.group(3)
    if timeframe is not None and timeframe not in TIMEFRAMES:
        raise QueryError(f"{name!r}: unknown timeframe {timeframe!r}")
    return f"{match.group(1)}.{match.group(2)}", cast(Timeframe | None, timeframe)


def resolve_query(query: SemanticQuery, model: SemanticModel) -> ResolvedQuery:
    """Check every name and value of `query` against `model` (raises QueryError)."""
    if query.table in model.topics:
        topic: str | None = query.table
        base_view = model.topics[query.table].base_view
        allowed = set(model.topic_views(query.table))
    elif query.table in model.views:
        topic, base_view, allowed = None, query.table, {query.table}
    else:
        raise QueryError(f"unknown topic {query.table!r}")

    def ref(name: str) -> FieldRef:
        key, timeframe = parse_field(name)
        found = model.fields.get(key)
        if found is None:
            raise QueryError(f"unknown field {key!r}")
        if found.view not in allowed:
            raise QueryError(f"field {key!r} is not in topic {query.table!r}")
        definition = found.definition
        if timeframe is not None:
            if isinstance(definition, Measure) or definition.type not in TIME_TYPES:
                raise QueryError(f"{key!r} is not a date or timestamp, so it takes no timeframe")
            if definition.timeframes and timeframe not in definition.timeframes:
                raise QueryError(f"{key!r} does not offer the timeframe {timeframe!r}")
        if isinstance(definition, Measure) and found.view != base_view:
            _check_fan_out(found, definition)
        return FieldRef(found, timeframe)

    fields = tuple(ref(name) for name in query.fields)
    if len({f.key for f in fields}) != len(fields):
        raise QueryError("a field is listed twice")
    filters = []
    for key, value in query.filters.items():
        target = ref(key)
        filters.append(ResolvedFilter(target, _condition(target, value, key)))
    by_key = {f.key: f for f in fields}
    sorts = []
    for sort in query.sorts:
        if sort.column_name not in by_key:
            raise QueryError(f"sort column {sort.column_name!r} is not one of the query's fields")
        sorts.append((by_key[sort.column_name], sort.sort_descending))
    return ResolvedQuery(topic, base_view, fields, tuple(filters), tuple(sorts), query.limit)


def _check_fan_out(found: ModelField, measure: Measure) -> None:
    # A joined many_to_one view repeats once per base row: only aggregates that ignore
    # repetition give right answers there.
    if measure.type not in ("count_distinct", "min", "max"):
        raise QueryError(
            f"{found.key!r} ({measure.type}) would be counted once per joined row in this topic;"
            " ask it in a topic whose base view is "
            f"{found.view!r}"
        )


def _condition(ref: FieldRef, value: FilterValue, where: str) -> Condition:
    if value is None:
        return IsNull(True)
    if isinstance(value, list):
        if not value:
            raise QueryError(f"filter {where!r}: an empty list matches nothing")
        return OneOf(tuple(_value(ref, v, where) for v in value))
    if isinstance(value, dict):
        if not value:
            raise QueryError(f"filter {where!r}: an empty condition")
        parts: list[Condition] = []
        for op, operand in value.items():
            if op == "not":
                parts.append(Not(_condition(ref, operand, where)))
            elif op == "eq":
                parts.append(
                    IsNull(True) if operand is None else Compare("eq", _value(ref, operand, where))
                )
            elif op == "in":
                if not isinstance(operand, list):
                    raise QueryError(f"filter {where!r}: 'in' takes a list")
                parts.append(_condition(ref, operand, where))
            elif op in _COMPARISONS:
                parts.append(Compare(cast(_Op, op), _value(ref, operand, where)))
            elif op in ("contains", "starts_with"):
                if ref.type != "string" or not isinstance(operand, str):
                    raise QueryError(f"filter {where!r}: {op!r} needs a text field and text")
                parts.append(Compare(cast(_Op, op), operand))
            elif op == "is_null":
                if not isinstance(operand, bool):
                    raise QueryError(f"filter {where!r}: 'is_null' takes true or false")
                parts.append(IsNull(operand))
            else:
                raise QueryError(f"filter {where!r}: unknown operator {op!r}")
        return parts[0] if len(parts) == 1 else AllOf(tuple(parts))
    return Compare("eq", _value(ref, value, where))


def _value(ref: FieldRef, value: Any, where: str) -> Any:
    """The Python value a filter compares with, checked against the field's type."""
    kind = ref.type
    if value is None or isinstance(value, (dict, list)):
        raise QueryError(f"filter {where!r}: expected a single value, got {value!r}")
    if kind in TIME_TYPES:
        if not isinstance(value, str):
            raise QueryError(f"filter {where!r}: dates are ISO strings, got {value!r}")
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise QueryError(f"filter {where!r}: {value!r} is not an ISO date") from None
        # Warehouse timestamps are naive UTC; an aware value is converted, not ignored.
        if parsed.tzinfo is not None:
            parsed = parsed.astimezone(UTC).replace(tzinfo=None)
        return parsed
    if kind == "number":
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise QueryError(f"filter {where!r}: expected a number, got {value!r}")
        return value
    if kind == "boolean":
        if not isinstance(value, bool):
            raise QueryError(f"filter {where!r}: expected true or false, got {value!r}")
        return value
    if not isinstance(value, str):
        raise QueryError(f"filter {where!r}: expected text, got {value!r}")
    return value


def iso(value: date | datetime) -> str:
    """How the planner writes dates into a semantic query."""
    if isinstance(value, datetime) and value.time() == datetime.min.time():
        return value.date().isoformat()
    return value.isoformat()
