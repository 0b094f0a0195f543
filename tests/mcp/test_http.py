"""The MCP tools over Streamable HTTP at ``/mcp`` of a real ``parley serve``, driven by
the MCP SDK's own client: the tools, the demo questions' rows, conversations, errors."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from bench.support.server import Server
from parley.assistant.evaluation import judge, load_questions, now_literal
from parley.assistant.executor import DuckDBWarehouse
from tests.mcp.clients import call, over_http, refused
from tests.support.warehouses import NOW

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "eval" / "examples.yaml"
TOOLS = {
    "list_models",
    "describe_topic",
    "pick_topic",
    "get_data",
    "ask",
    "list_conversations",
    "get_conversation",
}


def api(server: Server, token: str) -> httpx.AsyncClient:
    """Parley's HTTP API, as any Omni client calls it."""
    return httpx.AsyncClient(base_url=server.url, headers={"Authorization": f"Bearer {token}"})


def expected_rows(server: Server, sql: str) -> list[tuple[Any, ...]]:
    warehouse = DuckDBWarehouse(server.home / "demo.duckdb")
    try:
        return warehouse.raw(sql.replace("{now}", now_literal(NOW)))
    finally:
        warehouse.close()


# The answers come from the warehouse; the state database only holds the keys here.
@pytest.mark.parametrize("backend", ["sqlite"])
async def test_tools_answer_the_demo_questions_with_the_right_rows(server: Server) -> None:
    creds = server.credentials()
    token, model = creds["personalToken"], creds["modelId"]
    async with over_http(server.url, token) as session:
        listed = (await session.list_tools()).tools
        assert {tool.name for tool in listed} == TOOLS
        for tool in listed:
            assert len(tool.description or "") > 60, tool.name
            assert tool.input_schema["type"] == "object"
        schema = next(t for t in listed if t.name == "get_data").input_schema
        assert {"model_id", "question", "query", "max_rows"} <= set(schema["properties"])
        assert schema["required"] == ["model_id"]

        models = await call(session, "list_models")
        assert [m["id"] for m in models["models"]] == [model]
        assert "order_items" in [t["name"] for t in models["models"][0]["topics"]]

        topic = await call(session, "describe_topic", model_id=model, topic="order_items")
        fields = {f["name"]: f for f in topic["fields"]}
        assert fields["order_items.revenue"]["kind"] == "measure"
        assert "Europe" in fields["users.region"]["sampleValues"]
        assert "month" in fields["order_items.created_at"]["timeframes"]

        picked = await call(session, "pick_topic", model_id=model, question="How many users?")
        assert picked["topic"] == "users"

        failures = []
        for group in load_questions(EXAMPLES):
            if len(group) > 1:
                continue
            question = group[0]
            assert question.sql is not None  # the shared examples all expect rows
            data = await call(
                session, "get_data", model_id=model, question=question.prompt, max_rows=5000
            )
            expected = expected_rows(server, question.sql)
            difference = judge(expected, [tuple(row) for row in data["rows"]])
            if difference:
                failures.append(f"{question.prompt}: {difference}")
            assert data["totalRowCount"] == len(expected)
            assert data["answer"] and data["query"]["table"] == data["topic"]
        assert failures == []

        # The same question through the API's generate-query gives the same query and rows.
        prompt = "Revenue by product category"
        async with api(server, token) as http:
            generated = await http.post(
                "/api/v1/ai/generate-query", json={"modelId": model, "prompt": prompt}
            )
        reference = generated.json()
        data = await call(session, "get_data", model_id=model, question=prompt)
        assert data["query"] == reference["query"]
        assert data["rows"] == reference["result"]["rows"]

        # A query written by the caller runs as Parley's own would; rows are capped.
        written = await call(
            session, "get_data", model_id=model, query=reference["query"], max_rows=2
        )
        assert written["rows"] == reference["result"]["rows"][:2]
        assert written["truncated"] and written["totalRowCount"] == len(reference["result"]["rows"])

        # Mistakes come back as tool errors that say what is wrong.
        bad = {"table": "order_items", "fields": ["order_items.nonsense"]}
        assert "order_items.nonsense" in await refused(
            session, "get_data", model_id=model, query=bad
        )
        assert "Not a semantic query" in await refused(
            session, "get_data", model_id=model, query={"fields": []}
        )
        assert "either question or query" in await refused(session, "get_data", model_id=model)
        understood = await refused(session, "get_data", model_id=model, question="florp the zizzle")
        assert "Questions I can answer look like" in understood
        assert "No topic 'nope'" in await refused(
            session, "describe_topic", model_id=model, topic="nope"
        )


async def test_a_conversation_with_a_follow_up_shows_in_the_api(server: Server) -> None:
    creds = server.credentials()
    token = creds["personalToken"]
    group = next(g for g in load_questions(EXAMPLES) if len(g) > 1)
    async with over_http(server.url, token) as session:
        conversation = None
        for question in group:
            arguments: dict[str, Any] = {"question": question.prompt, "max_rows": 5000}
            if conversation:
                arguments["conversation_id"] = conversation
            answer = await call(session, "ask", **arguments)
            assert answer["state"] == "COMPLETE", answer
            assert conversation in (None, answer["conversationId"])
            conversation = answer["conversationId"]
            assert question.sql is not None
            expected = expected_rows(server, question.sql)
            assert judge(expected, [tuple(r) for r in answer["rows"]]) is None, question.prompt

        async with api(server, token) as http:
            listed = (await http.get("/api/v1/ai/conversations")).json()
        first = listed["data"][0]
        assert first["id"] == conversation
        assert first["lastUserPrompt"] == group[-1].prompt

        thread = await call(session, "get_conversation", conversation_id=conversation)
        assert [m["role"] for m in thread["messages"]] == ["user", "assistant"] * len(group)
        mine = await call(session, "list_conversations")
        assert [c["id"] for c in mine["data"]] == [conversation]
        searched = await call(session, "list_conversations", search="no such words")
        assert searched["data"] == []
