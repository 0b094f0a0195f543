"""The evaluation harness: judging rules, and the accuracy targets on the default warehouse."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from parley.assistant.evaluation import judge, load_questions, run_eval, run_remote_eval
from parley.assistant.semantic_model import SemanticModel
from tests.support.warehouses import NOW

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT / "eval" / "examples.yaml"
OURS = ROOT / "eval" / "questions.yaml"


def test_row_and_column_order_are_free() -> None:
    expected = [("Europe", Decimal("10.004")), ("Asia", Decimal("3.5"))]
    assert judge(expected, [(3.5, "Asia"), (10.0, "Europe")]) is None


def test_numbers_compare_to_two_decimals_and_dates_as_period_starts() -> None:
    assert judge([(datetime(2025, 3, 1), 1.234)], [("2025-03-01", 1.23)]) is None
    assert judge([(date(2025, 3, 1), 7)], [("2025-03-01T00:00:00", 7.0)]) is None
    assert judge([(1.25,)], [(1.26,)]) is not None


def test_differences_are_readable() -> None:
    difference = judge([("Europe", 1), ("Asia", 2)], [("Europe", 1), ("Asia", 3)])
    assert difference is not None
    assert "missing: ('Asia', 2.0)" in difference and "unexpected: ('Asia', 3.0)" in difference
    assert judge([(1,)], [(1,), (1,)]) == "expected 1 rows, got 2\n  unexpected: (1.0,)"
    assert judge([(1, 2)], [(1,)]) is not None


def test_duplicate_rows_count() -> None:
    assert judge([(1,), (1,), (2,)], [(1,), (2,), (2,)]) is not None


def test_questions_file_format() -> None:
    groups = load_questions(SHARED)
    assert sum(len(g) for g in groups) == 15
    conversation = [g for g in groups if len(g) > 1]
    assert len(conversation) == 1 and [q.turn for q in conversation[0]] == [0, 1, 2]


def test_own_eval_set_is_large_and_varied() -> None:
    groups = load_questions(OURS)
    assert sum(len(g) for g in groups) >= 60
    assert sum(1 for g in groups if len(g) > 1) >= 5


@pytest.mark.slow
def test_shared_examples_pass_completely(full_warehouse: Path, model: SemanticModel) -> None:
    report = run_eval(SHARED, full_warehouse, model, NOW)
    failures = [f"{r.question.prompt}: {r.difference}" for r in report.failures()]
    assert failures == [] and report.accuracy == 1.0


@pytest.mark.slow
def test_own_eval_set_passes_at_least_90_percent(
    full_warehouse: Path, model: SemanticModel
) -> None:
    report = run_eval(OURS, full_warehouse, model, NOW)
    assert report.accuracy >= 0.9, [r.question.prompt for r in report.failures()]
    assert report.to_json()["total"] == report.total >= 60


def test_a_wrong_answer_is_reported_not_raised(
    small_warehouse: Path, model: SemanticModel, tmp_path: Path
) -> None:
    questions = tmp_path / "q.yaml"
    questions.write_text(
        "- q: How many users are in Europe?\n"
        "  sql: SELECT COUNT(*) + 1 FROM users WHERE region = 'Europe'\n"
        "- q: What's the weather in Paris?\n"
        "  sql: SELECT 1\n"
    )
    report = run_eval(questions, small_warehouse, model, NOW)
    assert report.total == 2 and report.passed == 0
    assert report.results[0].difference.startswith("rows differ")
    assert report.results[0].query == {
        "table": "users",
        "fields": ["users.user_count"],
        "filters": {"users.region": "Europe"},
        "sorts": [],
        "limit": None,
    }
    assert report.results[1].difference.startswith("could not answer")
    assert [r.outcome for r in report.results] == ["wrong", "refused"]


def test_refusals_are_counted_apart_from_wrong_answers(
    small_warehouse: Path, model: SemanticModel, tmp_path: Path
) -> None:
    questions = tmp_path / "q.yaml"
    questions.write_text(
        "- q: How many users are in Europe?\n"
        "  sql: SELECT COUNT(*) FROM users WHERE region = 'Europe'\n"
        "- q: How many users are in Europe?\n"
        "  sql: SELECT COUNT(*) + 1 FROM users WHERE region = 'Europe'\n"
        "- q: What's the weather in Paris?\n"
        "  sql: SELECT 1\n"
        "- q: What's the weather in Paris?\n"
        "  expect: refusal\n"
        "- q: How many users are in Europe?\n"
        "  expect: refusal\n"
    )
    report = run_eval(questions, small_warehouse, model, NOW)
    assert [r.outcome for r in report.results] == ["right", "wrong", "refused", "right", "wrong"]
    assert (report.passed, report.wrong, report.refused, report.total) == (2, 2, 1, 5)
    assert report.results[4].difference == "expected a refusal, got 1 rows"
    summary = report.to_json()
    assert (summary["right"], summary["wrong"], summary["refused"]) == (2, 2, 1)
    assert [r["expect"] for r in summary["results"]] == ["rows"] * 3 + ["refusal"] * 2
    assert [r["outcome"] for r in summary["results"]][2] == "refused"


def test_a_question_needs_sql_unless_it_expects_a_refusal(tmp_path: Path) -> None:
    questions = tmp_path / "q.yaml"
    questions.write_text("- q: Revenue from Initrode\n  expect: refusal\n")
    [[question]] = load_questions(questions)
    assert question.expect == "refusal" and question.sql is None
    for text, problem in (
        ("- q: Revenue\n", "needs an 'sql' or 'expect: refusal'"),
        ("- q: Revenue\n  expect: maybe\n  sql: SELECT 1\n", "'expect' is 'rows' or 'refusal'"),
        ("- q: Revenue\n  sql: 3\n  expect: refusal\n", "'sql' must be text"),
    ):
        questions.write_text(text)
        with pytest.raises(ValueError, match=problem):
            load_questions(questions)


def test_a_server_that_declines_is_judged_a_refusal(small_warehouse: Path, tmp_path: Path) -> None:
    questions = tmp_path / "q.yaml"
    questions.write_text(
        "- q: declined\n  sql: SELECT COUNT(*) FROM users\n"
        "- q: declined as it should\n  expect: refusal\n"
        "- q: failed\n  sql: SELECT COUNT(*) FROM users\n"
        "- q: answered where it should have declined\n  expect: refusal\n"
    )
    answered = {
        "actions": [{"type": "generate_query", "result": {"csvResult": "Users\n3\n", "query": {}}}]
    }
    replies: dict[str, tuple[dict[str, Any] | None, dict[str, Any]]] = {
        "declined": (None, {"code": "CANNOT_ANSWER", "message": "I could not find 'x'."}),
        "declined as it should": (None, {"code": "INVALID_QUERY", "message": "fan-out"}),
        "failed": (None, {"code": "WAREHOUSE_ERROR", "message": "boom"}),
        "answered where it should have declined": (answered, {}),
    }

    def ask_turn(
        prompt: str, conversation: str | None
    ) -> tuple[str | None, dict[str, Any] | None, dict[str, Any]]:
        result, error = replies[prompt]
        return "c1", result, error

    report = run_remote_eval(questions, small_warehouse, NOW, ask_turn)
    assert [r.outcome for r in report.results] == ["refused", "right", "wrong", "wrong"]
    assert report.results[0].difference == "refused: I could not find 'x'."
