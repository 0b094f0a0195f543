"""Which planner a model's runtime asks: the language-model planner is handed in, and
it is used only when the settings name a model, for the wider model too."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import yaml

from parley.assistant.planner import BuiltinPlanner
from parley.assistant.runtime import Runtimes
from parley.config import Settings
from parley.demo.model import MODEL_PATH
from parley.llm.planner import LLMPlanner


def _users_outside_topics() -> dict[str, Any]:
    definition: dict[str, Any] = yaml.safe_load(MODEL_PATH.read_text())
    del definition["topics"]["users"]
    del definition["topics"]["order_items"]["joins"]["users"]
    return definition


def _settings(tmp_path: Path, *, llm: bool) -> Settings:
    if not llm:
        return Settings(_env_file=None, home=tmp_path)
    # Never called: these runtimes are built and read, not asked to plan.
    return Settings(
        _env_file=None, home=tmp_path, llm_base_url="http://127.0.0.1:9/v1", llm_model="fake"
    )


def test_the_llm_planner_plans_for_the_model_and_its_wider_form(
    tmp_path: Path, small_warehouse: Path
) -> None:
    settings = _settings(tmp_path, llm=True)
    runtimes = Runtimes(settings, LLMPlanner)
    try:
        runtime = runtimes.get(
            uuid.uuid4(), _users_outside_topics(), f"duckdb:///{small_warehouse}"
        )
        assert isinstance(runtime.planner, LLMPlanner)
        assert runtime.planner.values is runtime.builtin.values
        wide = runtime.all_views()
        assert wide is not runtime and isinstance(wide.planner, LLMPlanner)
        assert wide.planner.model is wide.model and "users" in wide.model.topics
        assert wide.planner.values is runtime.builtin.values
    finally:
        runtimes.close()


def test_without_a_model_named_or_handed_in_the_builtin_planner_plans(
    tmp_path: Path, small_warehouse: Path
) -> None:
    url = f"duckdb:///{small_warehouse}"
    no_model = Runtimes(_settings(tmp_path, llm=False), LLMPlanner)
    no_kind = Runtimes(_settings(tmp_path, llm=True), None)
    for runtimes in (no_model, no_kind):
        try:
            runtime = runtimes.get(uuid.uuid4(), _users_outside_topics(), url)
            assert isinstance(runtime.planner, BuiltinPlanner)
            assert runtime.planner is runtime.builtin
            wide = runtime.all_views()
            assert wide.planner is wide.builtin and "users" in wide.model.topics
        finally:
            runtimes.close()
