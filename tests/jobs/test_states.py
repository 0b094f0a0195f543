"""One JobState: the enum, the database's constraints and the wire models agree."""

from __future__ import annotations

from collections.abc import Set as AbstractSet

from sqlalchemy import CheckConstraint

from parley.jobs.records import FINAL, RUNNING, UNFINISHED, JobState
from parley.jobs.schemas import CancelResponse, JobStatus
from parley.tables import JOB_STATES, UNFINISHED_SQL, jobs


def _in_list(states: AbstractSet[str]) -> str:
    return "state IN (" + ", ".join(f"'{s}'" for s in JOB_STATES if s in states) + ")"


def test_the_enum_is_the_database_and_wire_vocabulary() -> None:
    assert tuple(JobState) == JOB_STATES
    assert [s.value for s in JobState] == [s.name for s in JobState]
    checks = [str(c.sqltext) for c in jobs.constraints if isinstance(c, CheckConstraint)]
    assert _in_list(set(JobState)) in checks
    assert _in_list(UNFINISHED) == UNFINISHED_SQL
    for model in (JobStatus, CancelResponse):
        assert model.model_fields["state"].annotation is JobState


def test_every_state_is_unfinished_or_final_and_running_is_unfinished() -> None:
    assert set(JobState) == UNFINISHED | FINAL and not UNFINISHED & FINAL
    assert RUNNING < UNFINISHED
    # The wire's plain strings are members, as the CLI and clients read them.
    assert "COMPLETE" in FINAL and "QUEUED" not in FINAL
