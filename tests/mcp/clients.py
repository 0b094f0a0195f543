"""The MCP SDK's own client over both transports, and the accounts a scope test needs."""

from __future__ import annotations

import json
import sys
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx2
from mcp import ClientSession
from mcp.client.stdio import StdioServerParameters, stdio_client
from mcp.client.streamable_http import streamable_http_client

from parley.accounts import service as accounts
from parley.db.database import Database

MEMBER_HEADER = "X-MCP-User-ID"


@asynccontextmanager
async def over_http(
    base_url: str, token: str, member: str | None = None
) -> AsyncIterator[ClientSession]:
    headers = {"Authorization": f"Bearer {token}"}
    if member is not None:
        headers[MEMBER_HEADER] = member
    async with (
        httpx2.AsyncClient(headers=headers, timeout=60) as http,
        streamable_http_client(f"{base_url}/mcp", http_client=http) as (read, write),
        ClientSession(read, write) as session,
    ):
        await session.initialize()
        yield session


def stdio_parameters(
    env: dict[str, str], token: str, user_id: str | None = None
) -> StdioServerParameters:
    env = {**env, "PARLEY_MCP_TOKEN": token}
    args = ["-m", "parley", "mcp"]
    if user_id is not None:
        args += ["--user-id", user_id]
    return StdioServerParameters(command=sys.executable, args=args, env=env)


@asynccontextmanager
async def over_stdio(
    env: dict[str, str], token: str, user_id: str | None = None
) -> AsyncIterator[ClientSession]:
    async with (
        stdio_client(stdio_parameters(env, token, user_id)) as (read, write),
        ClientSession(read, write) as session,
    ):
        await session.initialize()
        yield session


async def call(session: ClientSession, tool: str, **arguments: Any) -> Any:
    """A tool's JSON answer; fails the test on a tool error."""
    result = await session.call_tool(tool, arguments)
    text = result.content[0].text if result.content else ""  # type: ignore[union-attr]
    assert not result.is_error, f"{tool} failed: {text}"
    assert result.structured_content is not None
    assert json.loads(text) == result.structured_content
    return result.structured_content


async def refused(session: ClientSession, tool: str, **arguments: Any) -> str:
    """The text of a tool error; fails the test if the tool succeeded."""
    result = await session.call_tool(tool, arguments)
    text: str = result.content[0].text if result.content else ""  # type: ignore[union-attr]
    assert result.is_error, f"{tool} should have failed: {text[:300]}"
    return text


@dataclass(frozen=True)
class Accounts:
    """Beside the first-run organization: a second member with a personal token, and
    a second organization with an organization key and a member."""

    member_b: str
    token_b: str
    other_org: str
    other_org_key: str
    other_member: str


async def make_accounts(database_url: str, org_id: str) -> Accounts:
    database = Database(database_url)
    try:
        async with database.write() as conn:
            member = await accounts.add_member(conn, uuid.UUID(org_id), "b@example.com", "MEMBER")
            token_b = await accounts.create_key(conn, uuid.UUID(org_id), member.id)
            other, owner = await accounts.create_organization(conn, "Other", "x@example.com")
            other_key = await accounts.create_key(conn, other.id)
    finally:
        await database.dispose()
    return Accounts(
        member_b=str(member.id),
        token_b=token_b.token,
        other_org=str(other.id),
        other_org_key=other_key.token,
        other_member=str(owner.id),
    )


async def set_rate_limit(database_url: str, org_id: str, limit: int) -> None:
    database = Database(database_url)
    try:
        async with database.write() as conn:
            await accounts.set_rate_limit(conn, uuid.UUID(org_id), limit)
    finally:
        await database.dispose()
