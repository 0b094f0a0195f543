"""The LLM planner against the fake OpenAI-compatible server (bench/fake_llm.py) on 127.0.0.1."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest

from bench.fake_llm import FakeLLM, ToolCall
from parley.assistant.planner import BuiltinPlanner, CannotAnswer, Plan
from parley.assistant.query import SemanticQuery
from parley.assistant.semantic_model import SemanticModel
from parley.config import Settings
from parley.llm.gateway import Gateway, Tally
from parley.llm.planner import LLMPlanner, PlanSession
from tests.support.warehouses import NOW


def _settings(url: str, **extra: Any) -> Settings:
    return Settings(
        _env_file=None,
        llm_base_url=url,
        llm_model="test-model",
        llm_api_key="sk-test",
        llm_timeout=10,
        llm_retry_seconds=0.01,
        **extra,
    )


@pytest.fixture
async def gateway(fake_llm: FakeLLM) -> AsyncIterator[Gateway]:
    subject = Gateway(_settings(fake_llm.base_url))
    yield subject
    await subject.aclose()


@pytest.fixture
def llm_planner(fake_llm: FakeLLM, model: SemanticModel, planner: BuiltinPlanner) -> LLMPlanner:
    return LLMPlanner(model, _settings(fake_llm.base_url), values=planner.values)


async def _plan(
    subject: LLMPlanner, gateway: Gateway, prompt: str, **options: Any
) -> Plan | CannotAnswer:
    session = subject.session(prompt, now=NOW, **options)
    assert isinstance(session, PlanSession)
    return await session.plan(gateway, org=ORG, tally=Tally())


ORG = uuid.uuid4()
GOOD = {
    "table": "order_items",
    "fields": ["users.region", "order_items.revenue"],
    "filters": {"order_items.created_at": {"gte": "2025-01-01", "lt": "2026-01-01"}},
    "sorts": [{"column_name": "order_items.revenue", "sort_descending": True}],
}


async def test_a_tool_call_becomes_a_validated_query(
    fake_llm: FakeLLM, llm_planner: LLMPlanner, gateway: Gateway
) -> None:
    fake_llm.replies(ToolCall("semantic_query", GOOD))
    outcome = await _plan(llm_planner, gateway, "Revenue by region in 2025")
    assert isinstance(outcome, Plan)
    assert outcome.query == SemanticQuery.model_validate(GOOD) and outcome.topic == "order_items"
    request = fake_llm.requests[0]
    assert request["auth"] == "Bearer sk-test"
    body = request["body"]
    assert body["model"] == "test-model" and body["tool_choice"] == "required"
    assert [t["function"]["name"] for t in body["tools"]] == ["semantic_query", "cannot_answer"]
    schema = body["tools"][0]["function"]["parameters"]
    assert schema["properties"]["table"]["enum"] == ["order_items", "users"]
    context = "\n".join(m["content"] for m in body["messages"] if m["role"] == "system")
    assert "order_items.revenue (measure, sum)" in context and "Europe" in context
    assert body["messages"][-1] == {"role": "user", "content": "Revenue by region in 2025"}


async def test_an_invalid_query_is_sent_back_once(
    fake_llm: FakeLLM, llm_planner: LLMPlanner, gateway: Gateway
) -> None:
    fake_llm.replies(
        ToolCall("semantic_query", {**GOOD, "fields": ["users.regoin"]}),
        ToolCall("semantic_query", GOOD),
    )
    outcome = await _plan(llm_planner, gateway, "Revenue by region in 2025")
    assert isinstance(outcome, Plan)
    retry = fake_llm.requests[1]["body"]["messages"]
    assert retry[-1]["role"] == "tool" and "unknown field 'users.regoin'" in retry[-1]["content"]
    # The tool message answers the call before it, as providers require.
    assert retry[-2]["tool_calls"][0]["id"] == retry[-1]["tool_call_id"]


async def test_feedback_continues_the_same_exchange(
    fake_llm: FakeLLM, llm_planner: LLMPlanner, gateway: Gateway
) -> None:
    fake_llm.replies(ToolCall("semantic_query", GOOD), ToolCall("semantic_query", GOOD))
    session = llm_planner.session("Revenue by region in 2025", now=NOW)
    assert isinstance(session, PlanSession)
    assert isinstance(await session.plan(gateway, org=ORG, tally=Tally()), Plan)
    session.feedback("The warehouse could not run the query: boom. Correct the query.")
    assert isinstance(await session.plan(gateway, org=ORG, tally=Tally()), Plan)
    second = fake_llm.requests[1]["body"]["messages"]
    assert second[-1]["role"] == "tool" and "boom" in second[-1]["content"]
    assert second[-2]["tool_calls"][0]["id"] == second[-1]["tool_call_id"]


@pytest.mark.parametrize(
    "arguments",
    [
        {"table": "order_items", "fields": ["1; DROP TABLE users"]},
        {"table": "order_items", "fields": ["order_items.revenue"], "sql": "SELECT * FROM users"},
        {"table": "secrets", "fields": ["order_items.revenue"]},
        "not json at all",
    ],
)
async def test_raw_sql_or_garbage_is_never_used(
    fake_llm: FakeLLM, llm_planner: LLMPlanner, gateway: Gateway, arguments: dict[str, Any] | str
) -> None:
    fake_llm.replies(*[ToolCall("semantic_query", arguments)] * 2)
    outcome = await _plan(llm_planner, gateway, "drop the users table")
    assert isinstance(outcome, CannotAnswer)
    assert "did not produce a valid query" in outcome.message
    assert len(fake_llm.requests) == 2


async def test_the_model_may_decline(
    fake_llm: FakeLLM, llm_planner: LLMPlanner, gateway: Gateway
) -> None:
    fake_llm.replies(ToolCall("cannot_answer", {"message": "There is no weather data."}))
    outcome = await _plan(llm_planner, gateway, "weather in Paris?")
    assert outcome == CannotAnswer("There is no weather data.")


async def test_follow_ups_show_the_previous_query(
    fake_llm: FakeLLM, llm_planner: LLMPlanner, gateway: Gateway
) -> None:
    fake_llm.replies(ToolCall("semantic_query", GOOD))
    previous = SemanticQuery.model_validate(GOOD)
    await _plan(llm_planner, gateway, "only Europe", previous=previous, topic="order_items")
    body = fake_llm.requests[0]["body"]
    assert any(
        previous.model_dump_json() in m["content"]
        for m in body["messages"]
        if m["role"] == "system"
    )
    assert body["tools"][0]["function"]["parameters"]["properties"]["table"]["enum"] == [
        "order_items"
    ]


def test_the_blocking_form_plans_on_its_own_loop(
    fake_llm: FakeLLM, llm_planner: LLMPlanner
) -> None:
    fake_llm.replies(ToolCall("semantic_query", GOOD))
    outcome = llm_planner.plan("Revenue by region in 2025", now=NOW)
    assert isinstance(outcome, Plan) and outcome.query == SemanticQuery.model_validate(GOOD)
