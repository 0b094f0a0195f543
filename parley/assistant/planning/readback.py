"""The read-back sentence: how a query reads in plain words, said before the numbers.

"Revenue by region for order date 1 Jan 2026 to 26 Nov 2026, highest first." It is
written from the semantic query alone, so it says what will actually run whichever
planner produced it; the built-in planner adds how it read loose words ("'Acme' as
customer Acme Industries Inc.") and which words it did not use.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any

from parley.assistant.query import SemanticQuery, parse_field
from parley.assistant.semantic_model import TIME_TYPES, Dimension, SemanticModel, numeric_time


def sentence(
    model: SemanticModel,
    query: SemanticQuery,
    notes: Sequence[str] = (),
    ignored: Sequence[str] = (),
) -> str:
    measures, groups = [], []
    for name in query.fields:
        key, timeframe = parse_field(name)
        found = model.fields.get(key)
        label = found.label.lower() if found else key
        if found is not None and found.is_measure:
            measures.append(label)
        else:
            groups.append(f"{label} ({timeframe})" if timeframe else label)
    text = " and ".join(measures) if measures else "The " + " and ".join(groups)
    if measures and groups:
        text += " by " + ", ".join(groups)
    conditions = [_filter(model, key, value) for key, value in query.filters.items()]
    if conditions:
        text += " for " + "; ".join(conditions)
    order = _order(model, query)
    if order:
        text += ", " + order
    out = [_end(text[:1].upper() + text[1:])]
    if notes:
        out.append(_end("I read " + ", ".join(notes)))
    if ignored:
        out.append("Not used: " + ", ".join(f"'{w}'" for w in ignored) + ".")
    return " ".join(out)


def _end(text: str) -> str:
    return text if text.endswith(".") else text + "."


def _label(model: SemanticModel, key: str) -> str:
    found = model.fields.get(parse_field(key)[0])
    return found.label.lower() if found else key


def _filter(model: SemanticModel, key: str, value: Any) -> str:
    label = _label(model, key)
    found = model.fields.get(parse_field(key)[0])
    is_time = (
        found is not None
        and isinstance(found.definition, Dimension)
        and found.definition.type in TIME_TYPES
    )
    if is_time and isinstance(value, dict) and set(value) <= {"gte", "gt", "lt", "lte"}:
        return f"{label} {_period(value)}"
    return f"{label} {_condition(value)}"


def _condition(value: Any) -> str:
    if value is None:
        return "empty"
    if isinstance(value, list):
        return _either([_scalar(v) for v in value])
    if isinstance(value, dict):
        words = {
            "eq": "{}",
            "gt": "above {}",
            "gte": "{} or more",
            "lt": "below {}",
            "lte": "{} or less",
            "contains": "containing '{}'",
            "starts_with": "starting with '{}'",
        }
        parts = []
        for op, operand in value.items():
            if op == "not":
                parts.append("not " + _condition(operand))
            elif op == "in":
                parts.append(_condition(operand))
            elif op == "is_null":
                parts.append("empty" if operand else "not empty")
            elif op in words:
                parts.append(words[op].format(_scalar(operand)))
        if set(value) == {"gte", "lte"}:
            return f"{_scalar(value['gte'])} to {_scalar(value['lte'])}"
        return " and ".join(parts)
    return _scalar(value)


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def _either(items: list[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " or " + items[-1]


def _day(value: str) -> date | None:
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).date()
    except (TypeError, ValueError):
        return None


def _show(day: date) -> str:
    return f"{day.day} {day.strftime('%b')} {day.year}"


def _period(value: dict[str, Any]) -> str:
    start = _day(value["gte"]) if "gte" in value else None
    if "gt" in value:
        after = _day(value["gt"])
        start = after + timedelta(days=1) if after else None
    end = _day(value["lte"]) if "lte" in value else None
    if "lt" in value:
        before = _day(value["lt"])
        end = before - timedelta(days=1) if before else None
    if start and end:
        return f"on {_show(start)}" if start == end else f"{_show(start)} to {_show(end)}"
    if start:
        return f"from {_show(start)}"
    if end:
        return f"up to {_show(end)}"
    return "any time"


def _order(model: SemanticModel, query: SemanticQuery) -> str:
    if not query.sorts:
        return f"first {query.limit} rows" if query.limit else ""
    sort = query.sorts[0]
    key, timeframe = parse_field(sort.column_name)
    found = model.fields.get(key)
    if found is not None and found.is_measure:
        way = "highest first" if sort.sort_descending else "lowest first"
        if query.limit:
            return f"{way}, top {query.limit}" if query.limit > 1 else f"{way}, the first only"
        return way
    if timeframe or (
        found is not None
        and isinstance(found.definition, Dimension)
        and (found.definition.type in TIME_TYPES or numeric_time(found) is not None)
    ):
        way = "latest first" if sort.sort_descending else "earliest first"
    else:
        way = "in reverse order" if sort.sort_descending else "in order"
    return f"{way}, first {query.limit}" if query.limit else way
