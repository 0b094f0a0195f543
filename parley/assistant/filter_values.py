"""A check every semantic query passes before it runs, whichever planner wrote it: the
text values its filters name must exist in the warehouse.

A query filtered on a value that is not stored ("Acme" where the customer is "Acme
Industries Inc.") runs, returns nothing or the wrong rows, and looks like an answer.
So each equality or membership value of a text dimension is looked up — in the value
index when the dimension is indexed, else with a bounded, parameterised query — and a
missing one turns the answer into a refusal that names it, with the closest values.
"""

from __future__ import annotations

from typing import Any

from parley.assistant.outcome import CannotAnswer, Unclear, not_understood
from parley.assistant.query import QueryError, SemanticQuery, parse_field
from parley.assistant.semantic_model import Dimension, SemanticModel
from parley.assistant.value_index import ValueIndex
from parley.assistant.words import raw_tokens

_SHOWN = 3


def check_filter_values(
    query: SemanticQuery, model: SemanticModel, values: ValueIndex | None
) -> CannotAnswer | None:
    """None when every named value exists (or cannot be checked), else a refusal."""
    if values is None:
        return None
    missing: list[Unclear] = []
    for key, condition in query.filters.items():
        try:
            name, timeframe = parse_field(key)
        except QueryError:
            continue  # resolve_query reports it
        found = model.fields.get(name)
        if found is None or timeframe is not None:
            continue
        definition = found.definition
        if not isinstance(definition, Dimension) or definition.type != "string":
            continue
        for value in _named(condition):
            if values.exists(name, value) is False:
                missing.append(Unclear(value, "value", _closest(values, name, value, found.label)))
    return not_understood(missing) if missing else None


def _named(condition: Any) -> list[str]:
    """The literal text values a filter compares with for (in)equality."""
    if isinstance(condition, str):
        return [condition]
    if isinstance(condition, list):
        return [v for v in condition if isinstance(v, str)]
    if isinstance(condition, dict):
        out: list[str] = []
        for op, operand in condition.items():
            if op in ("eq", "in", "not"):
                out.extend(_named(operand))
        return out
    return []


def _closest(values: ValueIndex, field: str, value: str, label: str) -> tuple[str, ...]:
    if field in values.values:
        found = values.closest(value, field, _SHOWN)
    else:
        found = values.search(field, tuple(raw_tokens(value)))[:_SHOWN]
    return tuple(f"{v} ({label.lower()})" for v in found)
