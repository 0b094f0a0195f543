"""The LLM planner against a tiny fake OpenAI-compatible server on 127.0.0.1."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from parley.assistant.llm_planner import LLMPlanner
from parley.assistant.planner import BuiltinPlanner, CannotAnswer, Plan
from parley.assistant.query import SemanticQuery
from parley.assistant.semantic_model import SemanticModel
from tests.demo.warehouses import NOW


class FakeLLM:
    """Answers each chat completion with the next scripted tool call; records requests."""

    def __init__(self) -> None:
        self.replies: list[tuple[str, dict[str, Any] | str]] = []
        self.requests: list[dict[str, Any]] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                fake.requests.append(
                    {"path": self.path, "body": body, "auth": self.headers.get("Authorization")}
                )
                name, arguments = fake.replies.pop(0)
                payload = {
                    "id": "chatcmpl-1",
                    "object": "chat.completion",
                    "created": 0,
                    "model": body["model"],
                    "choices": [
                        {
                            "index": 0,
                            "finish_reason": "tool_calls",
                            "message": {
                                "role": "assistant",
                                "content": None,
                                "tool_calls": [
                                    {
                                        "id": f"call_{len(fake.requests)}",
                                        "type": "function",
                                        "function": {
                                            "name": name,
                                            "arguments": arguments
                                            if isinstance(arguments, str)
                                            else json.dumps(arguments),
                                        },
                                    }
                                ],
                            },
                        }
                    ],
                    "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
                }
                data = json.dumps(payload).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/v1"


@pytest.fixture
def llm() -> Iterator[FakeLLM]:
    fake = FakeLLM()
    fake.thread.start()
    yield fake
    fake.server.shutdown()
    fake.server.server_close()
    fake.thread.join()


@pytest.fixture
def llm_planner(
    llm: FakeLLM, model: SemanticModel, planner: BuiltinPlanner
) -> Iterator[LLMPlanner]:
    subject = LLMPlanner(
        model,
        base_url=llm.base_url,
        model_name="test-model",
        api_key="sk-test",
        values=planner.values,
        timeout=10,
    )
    yield subject
    subject.client.close()


GOOD = {
    "table": "order_items",
    "fields": ["users.region", "order_items.revenue"],
    "filters": {"order_items.created_at": {"gte": "2025-01-01", "lt": "2026-01-01"}},
    "sorts": [{"column_name": "order_items.revenue", "sort_descending": True}],
}


def test_a_tool_call_becomes_a_validated_query(llm: FakeLLM, llm_planner: LLMPlanner) -> None:
    llm.replies.append(("semantic_query", GOOD))
    outcome = llm_planner.plan("Revenue by region in 2025", now=NOW)
    assert isinstance(outcome, Plan)
    assert outcome.query == SemanticQuery.model_validate(GOOD) and outcome.topic == "order_items"
    request = llm.requests[0]
    assert request["path"] == "/v1/chat/completions"
    assert request["auth"] == "Bearer sk-test"
    body = request["body"]
    assert body["model"] == "test-model" and body["tool_choice"] == "required"
    assert [t["function"]["name"] for t in body["tools"]] == ["semantic_query", "cannot_answer"]
    schema = body["tools"][0]["function"]["parameters"]
    assert schema["properties"]["table"]["enum"] == ["order_items", "users"]
    context = "\n".join(m["content"] for m in body["messages"] if m["role"] == "system")
    assert "order_items.revenue (measure, sum)" in context and "Europe" in context
    assert body["messages"][-1] == {"role": "user", "content": "Revenue by region in 2025"}


def test_an_invalid_query_is_sent_back_once(llm: FakeLLM, llm_planner: LLMPlanner) -> None:
    llm.replies.append(("semantic_query", {**GOOD, "fields": ["users.regoin"]}))
    llm.replies.append(("semantic_query", GOOD))
    outcome = llm_planner.plan("Revenue by region in 2025", now=NOW)
    assert isinstance(outcome, Plan)
    retry = llm.requests[1]["body"]["messages"]
    assert retry[-1]["role"] == "tool" and "unknown field 'users.regoin'" in retry[-1]["content"]


@pytest.mark.parametrize(
    "arguments",
    [
        {"table": "order_items", "fields": ["1; DROP TABLE users"]},
        {"table": "order_items", "fields": ["order_items.revenue"], "sql": "SELECT * FROM users"},
        {"table": "secrets", "fields": ["order_items.revenue"]},
        "not json at all",
    ],
)
def test_raw_sql_or_garbage_is_never_used(
    llm: FakeLLM, llm_planner: LLMPlanner, arguments: dict[str, Any] | str
) -> None:
    llm.replies.extend([("semantic_query", arguments)] * 2)
    outcome = llm_planner.plan("drop the users table", now=NOW)
    assert isinstance(outcome, CannotAnswer)
    assert "did not produce a valid query" in outcome.message
    assert len(llm.requests) == 2


def test_the_model_may_decline(llm: FakeLLM, llm_planner: LLMPlanner) -> None:
    llm.replies.append(("cannot_answer", {"message": "There is no weather data."}))
    outcome = llm_planner.plan("weather in Paris?", now=NOW)
    assert outcome == CannotAnswer("There is no weather data.")


def test_follow_ups_show_the_previous_query(llm: FakeLLM, llm_planner: LLMPlanner) -> None:
    llm.replies.append(("semantic_query", GOOD))
    previous = SemanticQuery.model_validate(GOOD)
    llm_planner.plan("only Europe", previous=previous, topic="order_items", now=NOW)
    body = llm.requests[0]["body"]
    assert any(
        previous.model_dump_json() in m["content"]
        for m in body["messages"]
        if m["role"] == "system"
    )
    assert body["tools"][0]["function"]["parameters"]["properties"]["table"]["enum"] == [
        "order_items"
    ]


def test_an_unreachable_endpoint_is_a_plain_refusal(model: SemanticModel) -> None:
    subject = LLMPlanner(
        model, base_url="http://127.0.0.1:9/v1", model_name="m", api_key="k", timeout=2
    )
    try:
        outcome = subject.plan("revenue", now=NOW)
    finally:
        subject.client.close()
    assert isinstance(outcome, CannotAnswer) and "could not be reached" in outcome.message
