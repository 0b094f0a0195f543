"""Who may see what through ``/mcp``: the API's scope rules, on both state databases.

A personal token acts as its member and never reaches another member's conversation;
an organization key acts for the member named in ``X-MCP-User-ID`` and is refused by
tools that need a member when it names none; nothing crosses organizations; every
request is authenticated and rate limited as an API request is.
"""

from __future__ import annotations

import uuid

import httpx

from bench.support.server import Server
from tests.mcp.clients import (
    MEMBER_HEADER,
    call,
    make_accounts,
    over_http,
    refused,
    set_rate_limit,
)

LIST_TOOLS = {"jsonrpc": "2.0", "id": 1, "method": "tools/list"}
MCP_HEADERS = {"Accept": "application/json, text/event-stream"}


async def test_scope_rules(server: Server, database_url: str) -> None:
    creds = server.credentials()
    model, owner = creds["modelId"], creds["membershipId"]
    others = await make_accounts(database_url, creds["organizationId"])

    async with over_http(server.url, creds["personalToken"]) as owner_session:
        started = await call(owner_session, "ask", question="Revenue by region")
        mine = started["conversationId"]

    # Another member's personal token: the conversation is not there for it.
    async with over_http(server.url, others.token_b) as session:
        assert f"No conversation {mine}" in await refused(
            session, "get_conversation", conversation_id=mine
        )
        assert f"No conversation {mine}" in await refused(
            session, "ask", question="now by month", conversation_id=mine
        )
        assert (await call(session, "list_conversations"))["data"] == []
        own = await call(session, "ask", question="How many users are in Europe?")
        listed = await call(session, "list_conversations")
        assert [c["id"] for c in listed["data"]] == [own["conversationId"]]

    # The organization key without a member: organization-wide reads work, member
    # tools are refused, saying how to name one.
    async with over_http(server.url, creds["organizationKey"]) as session:
        assert [m["id"] for m in (await call(session, "list_models"))["models"]] == [model]
        await call(session, "get_data", model_id=model, question="Revenue by region")
        for tool, arguments in (
            ("list_conversations", {}),
            ("get_conversation", {"conversation_id": mine}),
            ("ask", {"question": "Revenue by region"}),
        ):
            assert MEMBER_HEADER in await refused(session, tool, **arguments), tool

    # The organization key acting for member B sees B's threads only; for the owner,
    # the owner's.
    async with over_http(server.url, creds["organizationKey"], others.member_b) as session:
        listed = await call(session, "list_conversations")
        assert [c["id"] for c in listed["data"]] == [own["conversationId"]]
        assert "No conversation" in await refused(session, "get_conversation", conversation_id=mine)
        asked = await call(session, "ask", question="Revenue by product category")
    async with httpx.AsyncClient(
        base_url=server.url, headers={"Authorization": f"Bearer {others.token_b}"}
    ) as api:
        seen = (await api.get("/api/v1/ai/conversations")).json()["data"]
        assert asked["conversationId"] in [c["id"] for c in seen]
    async with over_http(server.url, creds["organizationKey"], owner) as session:
        thread = await call(session, "get_conversation", conversation_id=mine)
        assert thread["id"] == mine

    # A member of another organization cannot be named; nothing crosses organizations.
    async with over_http(server.url, creds["organizationKey"], others.other_member) as session:
        assert f"No member {others.other_member}" in await refused(session, "list_conversations")
    async with over_http(server.url, others.other_org_key, others.other_member) as session:
        assert (await call(session, "list_models"))["models"] == []
        assert f"No model {model}" in await refused(
            session, "describe_topic", model_id=model, topic="order_items"
        )
        assert f"No model {model}" in await refused(
            session, "get_data", model_id=model, question="Revenue by region"
        )
        assert "No conversation" in await refused(session, "get_conversation", conversation_id=mine)
        assert (await call(session, "list_conversations"))["data"] == []


async def test_requests_are_authenticated_and_rate_limited(
    server: Server, database_url: str
) -> None:
    creds = server.credentials()
    others = await make_accounts(database_url, creds["organizationId"])
    async with httpx.AsyncClient(base_url=server.url, headers=MCP_HEADERS) as http:
        missing = await http.post("/mcp", json=LIST_TOOLS)
        assert missing.status_code == 401
        assert missing.headers["WWW-Authenticate"] == "Bearer"
        assert missing.json() == {"detail": "Missing or invalid API key", "status": 401}
        wrong = await http.post(
            "/mcp", json=LIST_TOOLS, headers={"Authorization": "Bearer parley_nonsense"}
        )
        assert wrong.status_code == 401

        personal = {"Authorization": f"Bearer {others.token_b}"}
        named = await http.post(
            "/mcp", json=LIST_TOOLS, headers={**personal, MEMBER_HEADER: str(uuid.uuid4())}
        )
        assert named.status_code == 403
        assert MEMBER_HEADER in named.json()["detail"]
        garbled = await http.post(
            "/mcp",
            json=LIST_TOOLS,
            headers={"Authorization": f"Bearer {creds['organizationKey']}", MEMBER_HEADER: "x"},
        )
        assert garbled.status_code == 400

        # The server keeps no sessions: a GET stream could carry nothing, and is refused
        # at once rather than held open.
        stream = await http.get("/mcp", headers=personal, timeout=5)
        assert stream.status_code == 405 and stream.headers["Allow"] == "POST"
        assert stream.json() == {"detail": "The MCP endpoint takes POST only", "status": 405}

        listed = await http.post("/mcp", json=LIST_TOOLS, headers=personal)
        assert listed.status_code == 200
        assert "get_data" in {tool["name"] for tool in listed.json()["result"]["tools"]}

        await set_rate_limit(database_url, creds["organizationId"], 2)
        # Six requests at two a minute meet the limit even if a minute turns meanwhile.
        answers = [await http.post("/mcp", json=LIST_TOOLS, headers=personal) for _ in range(6)]
        statuses = [answer.status_code for answer in answers]
        assert statuses[0] == 200 and 429 in statuses, statuses
        limited = answers[statuses.index(429)]
        assert int(limited.headers["Retry-After"]) >= 1
        assert limited.json()["status"] == 429
        assert limited.headers["RateLimit-Remaining"] == "0"
