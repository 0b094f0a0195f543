"""``parley mcp`` over stdio, spawned as a desktop client would, driven by the MCP SDK's
own client beside a real ``parley serve`` on the same state database."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from bench.support.server import Server
from parley.assistant.evaluation import judge, load_questions, now_literal
from parley.assistant.executor import DuckDBWarehouse
from tests.mcp.clients import MEMBER_HEADER, call, make_accounts, over_http, over_stdio, refused
from tests.support.warehouses import NOW

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "eval" / "examples.yaml"


@pytest.mark.parametrize("backend", ["sqlite"])
async def test_stdio_answers_and_keeps_the_conversation(
    server: Server, env: dict[str, str]
) -> None:
    creds = server.credentials()
    token, model = creds["personalToken"], creds["modelId"]
    async with over_http(server.url, token) as http_session:
        over_http_tools = (await http_session.list_tools()).tools
    singles = [g[0] for g in load_questions(EXAMPLES) if len(g) == 1][:3]
    warehouse = DuckDBWarehouse(server.home / "demo.duckdb")
    try:
        async with over_stdio(env, token) as session:
            tools = (await session.list_tools()).tools
            assert [(t.name, t.input_schema) for t in tools] == [
                (t.name, t.input_schema) for t in over_http_tools
            ]
            for question in singles:
                data = await call(
                    session, "get_data", model_id=model, question=question.prompt, max_rows=5000
                )
                assert question.sql is not None  # the shared examples all expect rows
                expected = warehouse.raw(question.sql.replace("{now}", now_literal(NOW)))
                assert judge(expected, [tuple(r) for r in data["rows"]]) is None, question.prompt

            first = await call(session, "ask", question="Revenue by region in 2025")
            follow = await call(
                session,
                "ask",
                question="now break it down by department",
                conversation_id=first["conversationId"],
            )
            assert follow["state"] == "COMPLETE" and "products.department" in follow["columns"]
            assert follow["conversationId"] == first["conversationId"]
    finally:
        warehouse.close()
    async with httpx.AsyncClient(
        base_url=server.url, headers={"Authorization": f"Bearer {token}"}
    ) as api:
        listed = (await api.get("/api/v1/ai/conversations")).json()["data"]
        thread = (await api.get(f"/api/v1/ai/conversations/{first['conversationId']}")).json()
    assert listed[0]["id"] == first["conversationId"]
    assert listed[0]["lastUserPrompt"] == "now break it down by department"
    assert [m["role"] for m in thread["messages"]] == ["user", "assistant"] * 2


def start_refused(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    """``parley mcp`` that must fail at start (stdin closed, so it could not hang)."""
    return subprocess.run(
        [sys.executable, "-m", "parley", "mcp", *args],
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize("backend", ["sqlite"])
async def test_stdio_scope_rules(server: Server, env: dict[str, str], database_url: str) -> None:
    """The rules themselves are the ones /mcp applies (tests/mcp/test_scope.py, with
    other organizations); here, that the token and --user-id given at start carry them."""
    creds = server.credentials()
    others = await make_accounts(database_url, creds["organizationId"])
    async with over_http(server.url, creds["personalToken"]) as owner:
        mine = (await call(owner, "ask", question="Revenue by region"))["conversationId"]

    async with over_stdio(env, others.token_b) as session:
        assert "No conversation" in await refused(session, "get_conversation", conversation_id=mine)
    async with over_stdio(env, creds["organizationKey"]) as session:
        assert (await call(session, "list_models"))["models"]
        assert MEMBER_HEADER in await refused(session, "list_conversations")
    async with over_stdio(env, creds["organizationKey"], creds["membershipId"]) as session:
        listed = await call(session, "list_conversations")
        assert [c["id"] for c in listed["data"]] == [mine]
    async with over_stdio(env, others.other_org_key, others.other_member) as session:
        assert "No conversation" in await refused(session, "get_conversation", conversation_id=mine)

    bad = start_refused(env, "--token", "parley_nonsense")
    assert bad.returncode == 1 and "Missing or invalid API key" in bad.stderr
    assert bad.stdout == ""
    named = start_refused(env, "--token", others.token_b, "--user-id", others.member_b)
    assert named.returncode == 1 and "organization API key" in named.stderr
