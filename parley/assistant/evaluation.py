"""Evaluate a planner on a question file (the `eval/examples.yaml` format).

A file is a YAML list; each item is either a single question `{q, sql}` or a
`conversation:` list of such turns. `sql` is DuckDB SQL over the raw warehouse tables,
with `{now}` standing for the evaluation clock. A question whose right outcome is a
refusal (it names a value the data does not hold, or asks what the model cannot know)
says `expect: refusal` instead of giving `sql`.

Each answer is judged **right**, **wrong** or **refused**. A refusal is an answer
without rows that says why: the planner returned `CannotAnswer`, or its query was
rejected by the model's validation before anything ran (`QueryError`, e.g. a fan-out
sum). Everything else that is not the expected rows is wrong, including a warehouse
error. For an `expect: refusal` question a refusal is right and any rows are wrong.

Every question goes through the same path as a job — planner, compiler, executor — in
this process; the expected `sql` runs on the DuckDB warehouse, and the assistant's query
either there too or on another warehouse holding the same data (`target`: PostgreSQL,
Spark, ...); the two row sets are compared by the file's rules: the same multiset of
rows, numbers to 2 decimals, dates and timestamps as the first day of their period,
column order and names free, row order free. In a conversation each turn is judged
alone, but the planner sees its own previous answer, as it would in a thread.

`run_eval` is the one entry point (the CLI calls it; an HTTP mode can reuse `judge`).
"""

from __future__ import annotations

import csv
import io
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

import yaml

from parley.assistant.compiler import compile_query
from parley.assistant.executor import DuckDBWarehouse, Warehouse
from parley.assistant.planner import BuiltinPlanner, CannotAnswer, Planner
from parley.assistant.query import QueryError, SemanticQuery
from parley.assistant.semantic_model import SemanticModel, load_model
from parley.assistant.value_index import ValueIndex

Row = tuple[Any, ...]
Outcome = Literal["right", "wrong", "refused"]
Expectation = Literal["rows", "refusal"]
_SHOWN_ROWS = 5
# Job error codes that mean the assistant declined to answer (see the module docs).
REFUSAL_CODES = frozenset({"CANNOT_ANSWER", "INVALID_QUERY"})


@dataclass(frozen=True)
class Question:
    prompt: str
    sql: str | None  # None only when `expect` is "refusal"
    conversation: int | None = None  # position of its conversation in the file
    turn: int = 0
    expect: Expectation = "rows"


@dataclass
class QuestionResult:
    question: Question
    outcome: Outcome
    difference: str = ""
    query: dict[str, Any] | None = None
    sql: str | None = None
    seconds: float = 0.0

    @property
    def passed(self) -> bool:
        return self.outcome == "right"

    def to_json(self) -> dict[str, Any]:
        return {
            "prompt": self.question.prompt,
            "conversation": self.question.conversation,
            "turn": self.question.turn,
            "expect": self.question.expect,
            "outcome": self.outcome,
            "passed": self.passed,
            "difference": self.difference,
            "query": self.query,
            "sql": self.sql,
            "seconds": round(self.seconds, 4),
        }


@dataclass
class EvalReport:
    results: list[QuestionResult] = field(default_factory=list)

    @property
    def total(self) -> int:
        return len(self.results)

    @property
    def passed(self) -> int:
        return sum(1 for r in self.results if r.passed)

    @property
    def wrong(self) -> int:
        return sum(1 for r in self.results if r.outcome == "wrong")

    @property
    def refused(self) -> int:
        return sum(1 for r in self.results if r.outcome == "refused")

    @property
    def accuracy(self) -> float:
        return self.passed / self.total if self.total else 0.0

    def failures(self) -> list[QuestionResult]:
        return [r for r in self.results if not r.passed]

    def to_json(self) -> dict[str, Any]:
        return {
            "total": self.total,
            "passed": self.passed,
            "right": self.passed,
            "wrong": self.wrong,
            "refused": self.refused,
            "accuracy": self.accuracy,
            "results": [r.to_json() for r in self.results],
        }


def load_questions(path: Path) -> list[list[Question]]:
    """The file's questions grouped by conversation (a single question is a group of one)."""
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    if not isinstance(data, list):
        raise ValueError(f"{path}: expected a list of questions")
    groups: list[list[Question]] = []
    for index, item in enumerate(data):
        if isinstance(item, dict) and "conversation" in item:
            turns = item["conversation"]
            groups.append([_question(t, path, index, n) for n, t in enumerate(turns)])
        else:
            groups.append([_question(item, path, None, 0)])
    return groups


def _question(item: Any, path: Path, conversation: int | None, turn: int) -> Question:
    if not isinstance(item, dict) or not isinstance(item.get("q"), str):
        raise ValueError(f"{path}: every question needs a 'q' (item {item!r})")
    expect = item.get("expect", "rows")
    if expect not in ("rows", "refusal"):
        raise ValueError(f"{path}: 'expect' is 'rows' or 'refusal', not {expect!r}")
    sql = item.get("sql")
    if expect == "rows" and not isinstance(sql, str):
        raise ValueError(f"{path}: a question needs an 'sql' or 'expect: refusal' (item {item!r})")
    if sql is not None and not isinstance(sql, str):
        raise ValueError(f"{path}: 'sql' must be text (item {item!r})")
    return Question(item["q"], sql, conversation, turn, expect)


def expected_rows(question: Question, warehouse: DuckDBWarehouse, now: datetime) -> list[Row]:
    """The rows the question's `sql` gives (none for an expected refusal without `sql`)."""
    if question.sql is None:
        return []
    return [tuple(r) for r in warehouse.raw(question.sql.replace("{now}", now_literal(now)))]


def now_literal(now: datetime) -> str:
    return f"TIMESTAMP '{now.replace(tzinfo=None).isoformat(sep=' ', timespec='seconds')}'"


def run_eval(
    questions_file: Path,
    warehouse_path: Path,
    model: SemanticModel | Path,
    now: datetime,
    *,
    planner: Planner | None = None,
    progress: Callable[[int, int], None] | None = None,
    target: Warehouse | None = None,
) -> EvalReport:
    """Ask every question of `questions_file` and judge the answers (see module docs).

    The assistant's queries run on `target` when given (it must hold the data of the
    DuckDB file at `warehouse_path`, which answers the expected SQL)."""
    semantic_model = model if isinstance(model, SemanticModel) else load_model(model)
    groups = load_questions(questions_file)
    warehouse = DuckDBWarehouse(warehouse_path)
    try:
        if planner is None:
            values = ValueIndex.build(semantic_model, target or warehouse)
            planner = BuiltinPlanner(semantic_model, values)
        report = EvalReport()
        total = sum(len(g) for g in groups)
        for group in groups:
            previous: SemanticQuery | None = None
            for question in group:
                result = ask(
                    question, planner, semantic_model, warehouse, now, previous, target=target
                )
                if result.query is not None:
                    previous = SemanticQuery.model_validate(result.query)
                report.results.append(result)
                if progress is not None:
                    progress(len(report.results), total)
        return report
    finally:
        warehouse.close()


def ask(
    question: Question,
    planner: Planner,
    model: SemanticModel,
    warehouse: DuckDBWarehouse,
    now: datetime,
    previous: SemanticQuery | None = None,
    *,
    target: Warehouse | None = None,
) -> QuestionResult:
    """Plan, compile and run one question (on `target`, else on `warehouse`), then judge
    it against its expected SQL run on `warehouse`."""
    started = time.perf_counter()
    expected = expected_rows(question, warehouse, now)
    try:
        outcome = planner.plan(question.prompt, previous=previous, now=now)
    except QueryError as error:
        return _refused(question, f"query refused: {error}", started)
    if isinstance(outcome, CannotAnswer):
        return _refused(question, f"could not answer: {outcome.message}", started)
    query = outcome.query.model_dump(mode="json")
    try:
        runner: Warehouse = target or warehouse
        compiled = compile_query(outcome.query, model, runner.dialect)
    except QueryError as error:
        return _refused(question, f"query refused: {error}", started, query)
    try:
        actual = runner.execute(compiled, row_cap=100_000, timeout=60)
    except RuntimeError as error:
        return QuestionResult(
            question,
            "wrong",
            f"error: {error}",
            query=query,
            sql=compiled.sql,
            seconds=time.perf_counter() - started,
        )
    seconds = time.perf_counter() - started
    if question.expect == "refusal":
        difference: str | None = f"expected a refusal, got {len(actual.rows)} rows"
    else:
        difference = judge(expected, [tuple(r) for r in actual.rows])
    return QuestionResult(
        question,
        "right" if difference is None else "wrong",
        difference or "",
        query=query,
        sql=compiled.sql,
        seconds=seconds,
    )


def _refused(
    question: Question, message: str, started: float, query: dict[str, Any] | None = None
) -> QuestionResult:
    right = question.expect == "refusal"
    return QuestionResult(
        question,
        "right" if right else "refused",
        "" if right else message,
        query=query,
        seconds=time.perf_counter() - started,
    )


def normalize(value: Any) -> Any:
    """A value as the rules compare it."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, (int, float, Decimal)):
        rounded = round(float(value), 2)
        return rounded + 0.0  # -0.0 and 0.0 are the same answer
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value).date().isoformat()
        except ValueError:
            return value
    return str(value)


def judge(expected: Sequence[Row], actual: Sequence[Row]) -> str | None:
    """None when the rows match by the rules, else a readable difference."""
    want = [tuple(normalize(v) for v in row) for row in expected]
    got = [tuple(normalize(v) for v in row) for row in actual]
    if len(want) != len(got):
        return f"expected {len(want)} rows, got {len(got)}" + _sample(want, got)
    if not want:
        return None
    width = len(want[0])
    if any(len(r) != width for r in got):
        return f"expected {width} columns, got {len(got[0])}" + _sample(want, got)
    for order in _column_orders(want, got, width):
        if Counter(tuple(r[i] for i in order) for r in got) == Counter(want):
            return None
    return "rows differ" + _sample(want, got)


def _column_orders(want: list[Row], got: list[Row], width: int) -> list[list[int]]:
    """Orders of the actual columns whose value multisets match the expected columns'."""
    wanted = [Counter(r[i] for r in want) for i in range(width)]
    have = [Counter(r[i] for r in got) for i in range(width)]
    orders: list[list[int]] = []

    def extend(prefix: list[int]) -> None:
        if len(orders) >= 50:
            return
        if len(prefix) == width:
            orders.append(list(prefix))
            return
        for j in range(width):
            if j not in prefix and have[j] == wanted[len(prefix)]:
                extend([*prefix, j])

    extend([])
    return orders


def _sample(want: list[Row], got: list[Row]) -> str:
    missing = list((Counter(want) - Counter(got)).elements())[:_SHOWN_ROWS]
    extra = list((Counter(got) - Counter(want)).elements())[:_SHOWN_ROWS]
    lines = []
    if missing:
        lines.append("  missing: " + "; ".join(map(str, missing)))
    if extra:
        lines.append("  unexpected: " + "; ".join(map(str, extra)))
    return ("\n" + "\n".join(lines)) if lines else ""


# (conversation id, the job's result or None, its error: {"code", "message"} or the state)
AskTurn = Callable[[str, str | None], tuple[str | None, dict[str, Any] | None, dict[str, Any]]]


def csv_rows(text: str) -> list[Row]:
    """The data rows of a result's CSV (header dropped), numbers read back as numbers."""
    rows = list(csv.reader(io.StringIO(text)))[1:]
    return [tuple(_cell(value) for value in row) for row in rows]


def _cell(value: str) -> Any:
    if value == "":
        return None
    try:
        return float(value)
    except ValueError:
        return value


def run_remote_eval(
    questions_file: Path,
    warehouse_path: Path,
    now: datetime,
    ask_turn: AskTurn,
    *,
    progress: Callable[[int, int], None] | None = None,
) -> EvalReport:
    """Judge a running server's answers: every question is asked through ``ask_turn``
    (a job in the conversation of the previous turn) and the rows of its result's CSV are
    compared with the expected SQL run on the local copy of the warehouse.

    ``ask_turn(prompt, conversation_id)`` returns (conversation id, the job's result or
    None, the job's error when there is no result). A job that failed with a code in
    `REFUSAL_CODES` is a refusal."""
    groups = load_questions(questions_file)
    warehouse = DuckDBWarehouse(warehouse_path)
    report = EvalReport()
    total = sum(len(g) for g in groups)
    try:
        for group in groups:
            conversation: str | None = None
            for question in group:
                started = time.perf_counter()
                expected = expected_rows(question, warehouse, now)
                conversation, result, error = ask_turn(question.prompt, conversation)
                report.results.append(
                    _judge_remote(question, expected, result, error, time.perf_counter() - started)
                )
                if progress is not None:
                    progress(len(report.results), total)
    finally:
        warehouse.close()
    return report


def _judge_remote(
    question: Question,
    expected: Sequence[Row],
    result: dict[str, Any] | None,
    error: dict[str, Any],
    seconds: float,
) -> QuestionResult:
    if result is None:
        message = str(error.get("message", ""))
        if error.get("code") in REFUSAL_CODES:
            if question.expect == "refusal":
                return QuestionResult(question, "right", seconds=seconds)
            return QuestionResult(question, "refused", f"refused: {message}", seconds=seconds)
        return QuestionResult(question, "wrong", f"no answer: {message}", seconds=seconds)
    action = next((a for a in result.get("actions", []) if a.get("type") == "generate_query"), None)
    outcome = (action or {}).get("result") or {}
    if outcome.get("csvResult") is None:
        return QuestionResult(
            question, "wrong", "the answer carries no query result", seconds=seconds
        )
    if outcome.get("csvResultWasTruncated"):
        return QuestionResult(question, "wrong", "the result was truncated", seconds=seconds)
    if question.expect == "refusal":
        difference: str | None = "expected a refusal, got rows"
    else:
        difference = judge(expected, csv_rows(outcome["csvResult"]))
    return QuestionResult(
        question,
        "right" if difference is None else "wrong",
        difference or "",
        query=outcome.get("query"),
        seconds=seconds,
    )
