"""queryAllViews: a topic of its own for each view outside topics, seen by both planners."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import yaml

from parley.assistant.planner import BuiltinPlanner, CannotAnswer, Plan
from parley.assistant.semantic_model import SemanticModel, validate_model
from parley.config import Settings
from parley.demo.model import MODEL_PATH
from parley.llm.planner import LLMPlanner

NOW = datetime(2026, 5, 15, tzinfo=UTC)


def users_outside_topics() -> SemanticModel:
    definition: dict[str, Any] = yaml.safe_load(MODEL_PATH.read_text())
    del definition["topics"]["users"]
    del definition["topics"]["order_items"]["joins"]["users"]
    return validate_model(definition)


def test_the_wider_model_adds_a_topic_per_view_outside_topics() -> None:
    model = users_outside_topics()
    assert model.views_outside_topics() == ["users"]
    wide = model.with_all_views()
    assert list(wide.topics) == ["order_items", "users"]
    assert wide.topic_views("users") == ["users"] and wide.topics["users"].joins == {}
    assert wide.topics["order_items"] == model.topics["order_items"]
    # A model whose every view is in a topic is its own wider model.
    demo = validate_model(yaml.safe_load(MODEL_PATH.read_text()))
    assert demo.with_all_views() is demo


def test_both_planners_see_views_outside_topics_only_when_asked() -> None:
    model = users_outside_topics()
    prompt = "Average age by gender"
    assert isinstance(BuiltinPlanner(model).plan(prompt, now=NOW), CannotAnswer)
    planned = BuiltinPlanner(model.with_all_views()).plan(prompt, now=NOW)
    assert isinstance(planned, Plan), planned
    assert planned.query.table == "users"
    assert planned.query.fields == ["users.gender", "users.average_age"]

    settings = Settings(_env_file=None)
    narrow = LLMPlanner(model, settings).describe(list(model.topics), NOW)
    wide_model = model.with_all_views()
    wide = LLMPlanner(wide_model, settings).describe(list(wide_model.topics), NOW)
    assert "users.average_age" not in narrow
    assert "Topic `users`" in wide and "users.average_age" in wide
