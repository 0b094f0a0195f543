"""``Caller``: the endpoint vocabulary for "the authenticated principal of this request".

The key is read in a direct read of its own (kit/direct_sql.py), closed before the
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
from parley.auth.ratelimit import RateLimiter
from parley.auth.throttle import FailureThrottle
from parley.db import get_database
from parley.errors import TooManyRequests, Unauthorized
from parley.kit import clock, tokens

# last_used_at is bookkeeping, not security: writing it on every request would turn
# each read into a write, so it is refreshed at most once a minute per key.
_TOUCH_EVERY = timedelta(minutes=1)

_bearer = HTTPBearer(
    auto_error=False,
    description="An organization API key or a personal access token: `Bearer parley_...`.",
)


async def _refuse(request: Request) -> NoReturn:
    """401 for a token that does not authenticate, or 429 once its client address has
    failed too often this minute (auth/throttle.py)."""
    throttle: FailureThrottle = request.app.state.auth_throttle
    client = request.client.host if request.client else "unknown"
    retry = await throttle.failed(client)
    if retry is not None:
        raise TooManyRequests(
            "Too many failed authentications from this address; try again later",
            headers={"Retry-After": str(retry)},
        )
    raise Unauthorized()


async def authenticate(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    """The principal behind the bearer token, with its organization's rate limit applied."""
    if credentials is None:
        raise Unauthorized()
    parsed = tokens.parse(credentials.credentials.strip())
    if parsed is None:
        await _refuse(request)
    database = get_database(request)
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
        await _refuse(request)
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
    if principal.rate_limit_per_minute is not None:
        limiter: RateLimiter = request.app.state.rate_limiter
        verdict = await limiter.hit(principal.key_id, principal.rate_limit_per_minute)
        request.state.rate_limit_headers = verdict.headers()
        if not verdict.allowed:
            raise TooManyRequests(
                f"Rate limit of {verdict.limit} requests per minute exceeded",
                headers={**verdict.headers(), "Retry-After": str(verdict.reset_seconds)},
            )
    return principal


Caller = Annotated[Principal, Depends(authenticate)]
