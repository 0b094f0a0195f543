"""``Caller``: the endpoint vocabulary for "the authenticated principal of this request".

The key is read in a direct read of its own (db/direct_sql.py), closed before the
bookkeeping write and the rate limit, so a request never holds one pooled connection
while it waits for another. FastAPI resolves ``Caller`` before the query parameters,
so a request without a valid key gets 401 whatever else is wrong with it.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, NoReturn

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from parley.auth import repository
from parley.auth.principal import Principal
from parley.auth.ratelimit import RateLimiter, Verdict
from parley.auth.throttle import FailureThrottle
from parley.db.database import Database, get_database
from parley.http.errors import TooManyRequests, Unauthorized
from parley.kit import clock, tokens

# last_used_at is bookkeeping, not security: writing it on every request would turn
# each read into a write, so it is refreshed at most once a minute per key.
_TOUCH_EVERY = timedelta(minutes=1)

_bearer = HTTPBearer(
    auto_error=False,
    description="An organization API key or a personal access token: `Bearer parley_...`.",
)


async def _refuse(throttle: FailureThrottle | None, client: str | None) -> NoReturn:
    """401 for a token that does not authenticate, or 429 once its client address has
    failed too often this minute (auth/throttle.py). Without a throttle (stdio, where
    the only client is the local user) it is always 401."""
    if throttle is not None:
        retry = await throttle.failed(client or "unknown")
        if retry is not None:
            raise TooManyRequests(
                "Too many failed authentications from this address; try again later",
                headers={"Retry-After": str(retry)},
            )
    raise Unauthorized()


async def verify(
    database: Database,
    limiter: RateLimiter,
    token: str | None,
    *,
    throttle: FailureThrottle | None = None,
    client: str | None = None,
) -> tuple[Principal, Verdict | None]:
    """The principal behind a bearer token, with its organization's rate limit applied
    (the verdict, None when the organization has no limit). Every transport that takes
    a token (the API, MCP over HTTP and over stdio) goes through here; the network ones
    pass their failure ``throttle`` and the ``client`` address."""
    if not token:
        raise Unauthorized()
    parsed = tokens.parse(token.strip())
    if parsed is None:
        await _refuse(throttle, client)
    async with database.direct() as reader:
        row = await repository.find_key(reader, parsed.prefix)
    now = clock.utcnow()
    if (
        row is None
        or row.kind != parsed.kind
        or not tokens.same_hash(row.secret_hash, parsed.secret_hash)
        or row.revoked_at is not None
        or (row.expires_at is not None and row.expires_at <= now)
    ):
        await _refuse(throttle, client)
    if row.last_used_at is None or now - row.last_used_at > _TOUCH_EVERY:
        async with database.write() as write:
            await repository.touch_key(write, row.id, now)
    principal = Principal(
        key_id=row.id,
        key_scope="organization" if row.kind == "organization" else "user",
        organization_id=row.organization_id,
        membership_id=row.membership_id,
        role=row.role,
        owner_membership_id=row.owner_membership_id,
        rate_limit_per_minute=row.rate_limit_per_minute,
        ai_enabled=bool(row.ai_enabled),
    )
    verdict = None
    if principal.rate_limit_per_minute is not None:
        verdict = await limiter.hit(principal.key_id, principal.rate_limit_per_minute)
        if not verdict.allowed:
            raise TooManyRequests(
                f"Rate limit of {verdict.limit} requests per minute exceeded",
                headers={**verdict.headers(), "Retry-After": str(verdict.reset_seconds)},
            )
    return principal, verdict


async def authenticate(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    """The principal behind the bearer token, with its organization's rate limit applied."""
    principal, verdict = await verify(
        get_database(request),
        request.app.state.rate_limiter,
        credentials.credentials if credentials else None,
        throttle=request.app.state.auth_throttle,
        client=request.client.host if request.client else None,
    )
    if verdict is not None:
        request.state.rate_limit_headers = verdict.headers()
    return principal


Caller = Annotated[Principal, Depends(authenticate)]
