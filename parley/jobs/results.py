"""What a finished job says: the Markdown answer, its one-line summary, the CSV of the
table, and a short title for the conversation (the body of `GET /api/v1/ai/jobs/{jobId}/result`)."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from parley.assistant.executor import JsonValue, QueryResult
from parley.assistant.query import SemanticQuery
from parley.assistant.result_text import TIMEFRAME, csv_text, label, show
from parley.assistant.semantic_model import SemanticModel
from parley.kit.timestamps import to_wire

TITLE_LENGTH = 60
SHOWN_ROWS = 20
_FILLER = re.compile(
    r"^(?:please\s+|can you\s+|could you\s+|would you\s+)*"
    r"(?:show me|show|give me|tell me|list|get me|what(?:'s| is| are| was| were)(?: the| our)?)\s+",
    re.IGNORECASE,
)


def title(prompt: str) -> str:
    """A conversation title from its first question: filler words off, at most 60
    characters, cut at a word."""
    text = " ".join(prompt.split()).rstrip("?!. ")
    shorter = _FILLER.sub("", text)
    text = shorter if len(shorter) >= 3 else text
    if len(text) > TITLE_LENGTH:
        cut = text[:TITLE_LENGTH].rsplit(" ", 1)[0]
        text = (cut if len(cut) > TITLE_LENGTH // 2 else text[:TITLE_LENGTH]).rstrip(",;: ") + "…"
    return (text[:1].upper() + text[1:]) or "Question"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _table(headers: list[str], rows: list[list[JsonValue]]) -> str:
    lines = ["| " + " | ".join(_cell(h) for h in headers) + " |"]
    lines.append("|" + "|".join(" --- " for _ in headers) + "|")
    for row in rows[:SHOWN_ROWS]:
        lines.append("| " + " | ".join(_cell(show(v)) for v in row) + " |")
    return "\n".join(lines)


def _measures(model: SemanticModel, columns: list[str]) -> list[int]:
    found = [model.fields.get(TIMEFRAME.sub(r"\1", c)) for c in columns]
    return [i for i, f in enumerate(found) if f is not None and f.is_measure]


def summarize(model: SemanticModel, result: QueryResult) -> tuple[str, str]:
    """The Markdown answer and its one-line summary, with the key numbers."""
    headers = [label(model, c) for c in result.columns]
    rows = result.rows
    if not rows:
        return "No data matched the question.", "No data"
    if len(rows) == 1:
        pairs = [f"**{h}**: {show(v)}" for h, v in zip(headers, rows[0], strict=True)]
        summary = ", ".join(f"{h}: {show(v)}" for h, v in zip(headers, rows[0], strict=True))
        return ("\n".join(f"- {p}" for p in pairs) if len(pairs) > 1 else pairs[0]), summary
    measures = _measures(model, result.columns)
    dimensions = [i for i in range(len(headers)) if i not in measures]
    noun = " and ".join(headers[i].lower() for i in measures) or "rows"
    by = " by " + ", ".join(headers[i].lower() for i in dimensions) if dimensions else ""
    count = result.total_row_count
    summary = f"{noun[:1].upper() + noun[1:]}{by}: {count:,} rows"
    lines = [f"{noun[:1].upper() + noun[1:]}{by}, {count:,} rows."]
    numeric = [
        i for i in measures if all(isinstance(r[i], (int, float)) or r[i] is None for r in rows)
    ]
    if numeric and dimensions:
        first = numeric[0]
        values = [r for r in rows if r[first] is not None]
        if values:
            top = max(values, key=lambda r: float(r[first] or 0))
            bottom = min(values, key=lambda r: float(r[first] or 0))
            name = headers[first].lower()
            who = ", ".join(show(top[i]) for i in dimensions)
            lines.append(f"Highest {name}: **{who}** with **{show(top[first])}**.")
            if bottom is not top:
                low = ", ".join(show(bottom[i]) for i in dimensions)
                lines.append(f"Lowest {name}: **{low}** with **{show(bottom[first])}**.")
            kind = model.fields.get(result.columns[first])
            additive = kind is not None and getattr(kind.definition, "type", "") in (
                "sum",
                "count",
            )
            if additive and not result.truncated:
                total = sum(float(r[first] or 0) for r in values)
                lines.append(f"Total {name}: **{show(total)}**.")
                summary += f", total {name} {show(total)}"
    lines.append("")
    lines.append(table_section(model, result))
    return "\n".join(lines), summary


def table_section(model: SemanticModel, result: QueryResult) -> str:
    """The Markdown table under an answer, with a note when rows are left out."""
    rows = result.rows
    lines = [_table([label(model, c) for c in result.columns], rows)]
    if len(rows) > SHOWN_ROWS:
        lines.append("")
        lines.append(
            f"Showing {SHOWN_ROWS} of {result.total_row_count:,} rows; the CSV has them all."
        )
    if result.truncated:
        lines.append(f"The result was cut at {len(rows):,} rows.")
    return "\n".join(lines)


def answer_body(
    model: SemanticModel,
    prompt: str,
    query: SemanticQuery,
    topic: str,
    result: QueryResult,
    now: datetime,
    written: str | None = None,
    *,
    reading: str = "",
) -> dict[str, Any]:
    """The stored result of a COMPLETE job: the body of `GET /api/v1/ai/jobs/{jobId}/result`
    (less ``omniChatUrl``, which depends on the server) plus the table for charts.
    ``written`` is an answer the model wrote (and that passed the number check); it
    replaces the template's text above the table. ``reading``, how the question was
    read, opens the message, before the numbers."""
    message, summary = summarize(model, result)
    if written:
        message = written if not result.rows else f"{written}\n\n{table_section(model, result)}"
    if reading:
        message = f"{reading}\n\n{message}"
    query_json = query.model_dump(mode="json", exclude_none=True)
    return {
        "message": message,
        "resultSummary": summary,
        "topic": topic,
        "actions": [
            {
                "type": "generate_query",
                "message": f"Queried the {topic} topic",
                "timestamp": to_wire(now),
                "result": {
                    "queryName": title(prompt),
                    "status": "success",
                    "query": query_json,
                    "csvResult": csv_text(result.columns, result.rows),
                    "csvResultWasTruncated": result.truncated,
                    "hasResults": bool(result.rows),
                    "totalRowCount": result.total_row_count,
                },
            }
        ],
        "table": {"columns": result.columns, "rows": result.rows},
    }


def stored_query(result: dict[str, Any] | None) -> SemanticQuery | None:
    """The semantic query a stored result answered, for the next turn's follow-up."""
    if not result:
        return None
    for action in result.get("actions", []):
        query = (action.get("result") or {}).get("query")
        if action.get("type") == "generate_query" and query:
            return SemanticQuery.model_validate(query)
    return None
