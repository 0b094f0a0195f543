"""Who is calling: the bearer token checked against its stored key.

``Caller`` is the endpoint vocabulary for "the authenticated principal of this
request". The conversation list, which every client polls, calls ``identify`` itself
instead, to stay clear of the dependency machinery on its hot path.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from parley.auth import repository
from parley.auth.principal import Principal
from parley.auth.ratelimit import RateLimiter
from parley.db import ReadConn, get_database
from parley.errors import TooManyRequests, Unauthorized
from parley.kit import clock, tokens
from parley.kit.direct_sql import Reader

# last_used_at is bookkeeping, not security: writing it on every request would turn
# each read into a write, so it is refreshed at most once a minute per key.
_TOUCH_EVERY = timedelta(minutes=1)

bearer_scheme = HTTPBearer(
    auto_error=False,
    description="An organization API key or a personal access token: `Bearer parley_...`.",
)
# For routes that declare their security in OpenAPI by hand (see ``identify``).
BEARER_SECURITY: list[dict[str, list[str]]] = [{"HTTPBearer": []}]


def bearer_token(authorization: str | None) -> str | None:
    """The credentials of an ``Authorization: Bearer ...`` header value, else None."""
    if not authorization:
        return None
    scheme, _, credentials = authorization.partition(" ")
    if scheme.lower() != "bearer" or not credentials:
        return None
    return credentials


async def identify(request: Request, reader: Reader, token: str | None) -> Principal:
    """The principal behind ``token``, read through ``reader`` (the request's own read,
    so a request reads the database once), with the key's rate limit applied."""
    parsed = tokens.parse(token.strip()) if token else None
    if parsed is None:
        raise Unauthorized()
    row = await repository.find_key(reader, parsed.prefix)
    now = clock.utcnow()
    if (
        row is None
        or row.kind != parsed.kind
        or not tokens.same_hash(row.secret_hash, parsed.secret_hash)
        or row.revoked_at is not None
        or (row.expires_at is not None and row.expires_at <= now)
    ):
        raise Unauthorized()
    if row.last_used_at is None or now - row.last_used_at > _TOUCH_EVERY:
        async with get_database(request).write() as write:
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


async def authenticate(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
    conn: ReadConn,
) -> Principal:
    reader = await get_database(request).reader_for(conn)
    return await identify(request, reader, credentials.credentials if credentials else None)


Caller = Annotated[Principal, Depends(authenticate)]
