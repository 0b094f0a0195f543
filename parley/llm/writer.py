"""The answer written by the model from the question, the query and its rows."""

from __future__ import annotations

import uuid

from parley.assistant.executor import QueryResult
from parley.assistant.query import SemanticQuery
from parley.assistant.result_text import csv_text, label
from parley.assistant.semantic_model import SemanticModel
from parley.llm.gateway import Gateway, OnRetry, OnText, Tally

# Rows shown to the model; the table under its answer and the CSV keep them all.
ROWS_SHOWN = 50

INSTRUCTIONS = """You answer a question about data for a business user, from the rows a
query returned. Write Markdown, at most five short sentences or bullets, most important
fact first. Every number you write must be one of the rows' values or computed from them
(a total, an average, a difference, a percentage); write numbers as they appear in the
rows or rounded. Never invent a number. Do not repeat the whole table (it is shown under
your answer) and do not mention SQL, queries or tools."""


def _rows_prompt(
    model: SemanticModel, prompt: str, query: SemanticQuery, result: QueryResult
) -> str:
    headers = [label(model, column) for column in result.columns]
    shown = result.rows[:ROWS_SHOWN]
    lines = [
        f"Question: {prompt}",
        f"Query: {query.model_dump_json(exclude_none=True)}",
        f"Rows ({result.total_row_count} in all"
        + (f", the first {len(shown)} below" if len(shown) < result.total_row_count else "")
        + (", cut at the row cap" if result.truncated else "")
        + "):",
        csv_text(headers, shown).strip(),
    ]
    return "\n".join(lines)


async def write_answer(
    gateway: Gateway,
    *,
    org: uuid.UUID,
    tally: Tally,
    model: SemanticModel,
    prompt: str,
    query: SemanticQuery,
    result: QueryResult,
    on_text: OnText,
    on_retry: OnRetry | None = None,
) -> str:
    text = await gateway.stream_text(
        org=org,
        purpose="answer",
        tally=tally,
        on_text=on_text,
        on_retry=on_retry,
        messages=[
            {"role": "system", "content": INSTRUCTIONS},
            {"role": "user", "content": _rows_prompt(model, prompt, query, result)},
        ],
        temperature=0,
    )
    return text.strip()
