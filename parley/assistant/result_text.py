"""A query result as text for people and for the model: column labels, cell values and
the CSV. The job's answer (``jobs/results.py``) and the answer the model writes
(``llm/writer.py``) both read a result through these."""

from __future__ import annotations

import csv
import io
import re

from parley.assistant.executor import JsonValue
from parley.assistant.semantic_model import SemanticModel

# A column of a time dimension at a grain, such as ``orders.created_at[month]``.
TIMEFRAME = re.compile(r"^(.*)\[([a-z]+)\]$")


def label(model: SemanticModel, column: str) -> str:
    """A column's name for people: the field's label, with its timeframe."""
    grain = None
    match = TIMEFRAME.match(column)
    if match:
        column, grain = match.group(1), match.group(2)
    found = model.fields.get(column)
    text = found.label if found else column.rsplit(".", 1)[-1].replace("_", " ")
    text = text[:1].upper() + text[1:]
    return f"{text} ({grain})" if grain else text


def show(value: JsonValue) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,.0f}" if value.is_integer() else f"{value:,.2f}"
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}T00:00:00", value):
        return value[:10]
    return value


def csv_text(columns: list[str], rows: list[list[JsonValue]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    writer.writerows(["" if v is None else v for v in row] for row in rows)
    return out.getvalue()
