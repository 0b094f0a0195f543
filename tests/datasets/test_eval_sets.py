"""The question sets of the example warehouses load, are as large as promised, and every
expected SQL runs and gives rows on the generated data.

How well the planner does on them is measured by `parley eval --dataset NAME` (the
scores are in docs/assistant.md), not asserted here: these sets measure planner work.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from parley.assistant.evaluation import expected_rows, load_questions
from parley.assistant.executor import DuckDBWarehouse
from parley.datasets import dataset
from tests.support.warehouses import AS_OF, NOW

ROOT = Path(__file__).resolve().parents[2]
SETS = {
    "saas": ("saas.yaml", "saas-heldout.yaml"),
    "logistics": ("logistics.yaml", "logistics-heldout.yaml"),
}


@pytest.fixture(scope="module", params=list(SETS))
def built(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> tuple[str, Path]:
    name: str = request.param
    path = tmp_path_factory.mktemp(name) / f"{name}.duckdb"
    dataset(name).build(path, AS_OF, 42, None)
    return name, path


def test_every_expected_answer_runs_and_has_rows(built: tuple[str, Path]) -> None:
    name, path = built
    tuned, held_out = (ROOT / "eval" / f for f in SETS[name])
    warehouse = DuckDBWarehouse(path)
    try:
        for questions, at_least in ((tuned, 40), (held_out, 20)):
            groups = load_questions(questions)
            flat = [q for g in groups for q in g]
            assert len(flat) >= at_least, questions
            assert any(q.expect == "refusal" for q in flat), "some questions expect a refusal"
            assert any(len(g) > 1 for g in groups), "some questions are follow-ups"
            for question in flat:
                rows = expected_rows(question, warehouse, NOW)
                if question.expect == "refusal":
                    continue
                assert rows, f"{questions.name}: {question.prompt!r} expects no rows"
                assert rows[0][-1] is not None, f"{questions.name}: {question.prompt!r}"
    finally:
        warehouse.close()


def test_held_out_questions_are_not_tuned_ones(built: tuple[str, Path]) -> None:
    name, _ = built
    tuned, held_out = (
        {q.prompt.lower() for g in load_questions(ROOT / "eval" / f) for q in g} for f in SETS[name]
    )
    assert not tuned & held_out
