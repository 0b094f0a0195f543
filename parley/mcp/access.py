"""Who an MCP tool call acts for, and the services it may use.

Both transports end in an ``Access``: over HTTP the ``/mcp`` endpoint authenticates
every request with the API's bearer tokens (parley/mcp/http.py); over stdio the token
given to ``parley mcp`` is checked again on every tool call, so a revoked key stops
working at once and the rate limit counts calls as the API counts requests.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from starlette.datastructures import State

from parley.assistant.runtime import Runtimes
from parley.auth.actors import acting_member
from parley.auth.dependencies import verify
from parley.auth.principal import Principal
from parley.auth.ratelimit import RateLimiter
from parley.auth.throttle import FailureThrottle
from parley.config import Settings
from parley.db.database import Database
from parley.http.errors import BadRequest, Forbidden
from parley.jobs.signals import Pulse
from parley.kit.cursors import CursorCodec

# Omni's MCP names the member an organization key acts for in this header.
MEMBER_HEADER = "X-MCP-User-ID"


@dataclass(frozen=True)
class Services:
    """The parts of a running Parley the tools use (what the app's lifespan built)."""

    database: Database
    settings: Settings
    runtimes: Runtimes
    cursor_codec: CursorCodec
    rate_limiter: RateLimiter
    job_wakeup: Pulse
    job_changes: Pulse

    @classmethod
    def of(cls, state: State) -> Services:
        return cls(
            database=state.database,
            settings=state.settings,
            runtimes=state.runtimes,
            cursor_codec=state.cursor_codec,
            rate_limiter=state.rate_limiter,
            job_wakeup=state.job_wakeup,
            job_changes=state.job_changes,
        )


@dataclass(frozen=True)
class Access:
    services: Services
    caller: Principal
    # The member an organization key names (MEMBER_HEADER); None for personal tokens.
    named_member: uuid.UUID | None

    async def member(self) -> uuid.UUID:
        """The member a tool acts as, for tools that need one: a personal token's own,
        or the one an organization key names. An organization key naming nobody is
        refused here (the API would fall back to the owner; an assistant acting for
        people should not)."""
        if self.caller.is_organization_key and self.named_member is None:
            raise Forbidden(
                f"This tool acts for a member: an organization API key must name one with "
                f"the {MEMBER_HEADER} header (or `parley mcp --user-id`)"
            )
        async with self.services.database.read() as conn:
            return await acting_member(conn, self.caller, self.named_member)

    @property
    def list_filter(self) -> uuid.UUID | None:
        """The ``userId`` argument the conversation services take for this caller."""
        return self.named_member if self.caller.is_organization_key else None


def parse_member(value: str | None) -> uuid.UUID | None:
    if value is None or not value.strip():
        return None
    try:
        return uuid.UUID(value.strip())
    except ValueError:
        raise BadRequest(f"{MEMBER_HEADER} must be a member ID (a UUID)") from None


def check_member_rule(caller: Principal, named: uuid.UUID | None) -> None:
    if named is not None and not caller.is_organization_key:
        # As the API's userId: a personal token always acts as its own member.
        raise Forbidden(f"{MEMBER_HEADER} may only be used with an organization API key")


async def authorize(
    services: Services,
    token: str | None,
    named: uuid.UUID | None,
    *,
    throttle: FailureThrottle | None = None,
    client: str | None = None,
) -> tuple[Access, dict[str, str]]:
    """Check a token (rate limit included) and the member it names; the rate-limit
    headers to send back, if any. Network transports pass the failed-authentication
    ``throttle`` and the ``client`` address."""
    caller, verdict = await verify(
        services.database, services.rate_limiter, token, throttle=throttle, client=client
    )
    check_member_rule(caller, named)
    return Access(services, caller, named), verdict.headers() if verdict else {}


# How a tool call finds its Access: a different rule per transport.
Resolver = Callable[[Any], Awaitable[Access]]
