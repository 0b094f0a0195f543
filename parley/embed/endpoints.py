"""HTTP for embedding: Omni's embed SSO endpoints, the organization's embed settings,
and the redemption the embedded page makes with a session id."""

from __future__ import annotations

import hashlib
import uuid
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import TypeVar
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field
from starlette.responses import Response

from parley.auth.dependencies import Caller
from parley.auth.principal import Principal
from parley.auth.throttle import FailureThrottle
from parley.db.database import Database, ReadConn, WriteConn
from parley.embed import sessions, signed
from parley.embed.sessions import EmbedSettings, EmbedUserRequest
from parley.http.errors import ErrorBody, Forbidden, TooManyRequests, responses
from parley.http.responses import JsonResponse
from parley.http.text import RequestBody
from parley.kit.secretbox import SecretBox
from parley.kit.timestamps import to_wire

router = APIRouter(tags=["Embedding"])
T = TypeVar("T")


class SessionResponse(BaseModel):
    sessionId: str = Field(description="Single use, for five minutes.")
    url: str = Field(description="Beyond Omni: the login URL that redeems it.")


class UrlResponse(BaseModel):
    url: str = Field(description="A login URL with a fresh single-use session.")


class RedeemRequest(RequestBody):
    model_config = ConfigDict(extra="ignore")

    sessionId: str = Field(min_length=1, max_length=100)


def _organization_key(caller: Principal) -> None:
    # Creating users and signing them in is the organization's, as on Omni.
    if not caller.is_organization_key:
        raise Forbidden("Embedding needs an organization API key")


def login_url(request: Request, session_id: str) -> str:
    public = request.app.state.settings.resolved_public_url
    return f"{public}/embed/login?{urlencode({'sessionId': session_id})}"


@router.post(
    "/api/v1/embed/sso/generate-session",
    response_model=SessionResponse,
    responses=responses(400, 401, 403, 429),
    summary="Upsert an embed user and make a single-use sign-in session for it",
)
async def generate_session(
    request: Request, body: EmbedUserRequest, caller: Caller, conn: WriteConn
) -> Response:
    _organization_key(caller)
    path = body.content_path()
    member = await sessions.upsert_user(conn, caller.organization_id, body)
    secret = await sessions.create_session(conn, member, path)
    return JsonResponse({"sessionId": secret, "url": login_url(request, secret)})


@router.post(
    "/api/v1/embed/sso/generate-url",
    response_model=UrlResponse,
    responses=responses(400, 401, 403, 429),
    summary="Upsert an embed user and make a login URL that opens a page as it",
)
async def generate_url(
    request: Request, body: EmbedUserRequest, caller: Caller, conn: WriteConn
) -> Response:
    _organization_key(caller)
    path = body.content_path()
    member = await sessions.upsert_user(conn, caller.organization_id, body)
    secret = await sessions.create_session(conn, member, path)
    return JsonResponse({"url": login_url(request, secret)})


@router.get(
    "/api/v1/embed/settings",
    response_model=EmbedSettings,
    responses=responses(401, 403, 429),
    summary="The organization's embed settings (beyond Omni)",
)
async def get_settings(caller: Caller, conn: ReadConn) -> Response:
    _organization_key(caller)
    found = await sessions.settings_of(conn, caller.organization_id)
    return JsonResponse(found.model_dump())


@router.put(
    "/api/v1/embed/settings",
    response_model=EmbedSettings,
    responses=responses(400, 401, 403, 429),
    summary="Set how long embed sessions last and which origins may frame the page",
)
async def put_settings(body: EmbedSettings, caller: Caller, conn: WriteConn) -> Response:
    _organization_key(caller)
    await sessions.save_settings(conn, caller.organization_id, body)
    return JsonResponse(body.model_dump())


class SecretRequest(RequestBody):
    model_config = ConfigDict(extra="ignore")

    name: str = Field(
        min_length=1,
        max_length=100,
        description="What the secret is for, e.g. Production; unique in the organization.",
    )


class SecretRecord(BaseModel):
    id: str
    name: str
    createdAt: str
    lastUsedAt: str | None = Field(description="When it last signed a user in.")


class NewSecretResponse(SecretRecord):
    secret: str = Field(description="Shown once: it signs standard SSO login URLs.")
    loginUrl: str = Field(description="The loginUrl a signed payload must carry.")


class SecretList(BaseModel):
    records: list[SecretRecord]
    loginUrl: str


def _box(request: Request) -> SecretBox:
    box: SecretBox = request.app.state.runtimes.secrets
    return box


def _record(found: signed.NamedSecret) -> dict[str, str | None]:
    return {
        "id": str(found.id),
        "name": found.name,
        "createdAt": to_wire(found.created_at),
        "lastUsedAt": to_wire(found.last_used_at) if found.last_used_at else None,
    }


def _signed_login_url(request: Request, org_id: uuid.UUID) -> str:
    return signed.login_url(request.app.state.settings.resolved_public_url, org_id)


@router.post(
    "/api/v1/embed/secrets",
    status_code=201,
    response_model=NewSecretResponse,
    responses={
        **responses(400, 401, 403, 429),
        409: {"model": ErrorBody, "description": "A secret with that name exists."},
    },
    summary="Add a named embed secret for standard SSO (the others keep working)",
)
async def add_secret(
    request: Request, body: SecretRequest, caller: Caller, conn: WriteConn
) -> Response:
    _organization_key(caller)
    made, secret = await signed.add_secret(
        conn, caller.organization_id, body.name.strip() or body.name, _box(request)
    )
    return JsonResponse(
        {
            **_record(made),
            "secret": secret,
            "loginUrl": _signed_login_url(request, caller.organization_id),
        },
        status_code=201,
        headers={"Cache-Control": "no-store"},
    )


@router.get(
    "/api/v1/embed/secrets",
    response_model=SecretList,
    responses=responses(401, 403, 429),
    summary="The organization's embed secrets, by name (their values are never shown again)",
)
async def list_secrets(request: Request, caller: Caller, conn: ReadConn) -> Response:
    _organization_key(caller)
    found = await signed.list_secrets(conn, caller.organization_id)
    return JsonResponse(
        {
            "records": [_record(one) for one in found],
            "loginUrl": _signed_login_url(request, caller.organization_id),
        }
    )


@router.delete(
    "/api/v1/embed/secrets/{secretId}",
    status_code=204,
    response_class=Response,
    responses=responses(401, 403, 404, 429),
    summary="Remove an embed secret: login URLs it signed stop signing anyone in",
)
async def delete_secret(secretId: uuid.UUID, caller: Caller, conn: WriteConn) -> Response:
    _organization_key(caller)
    await signed.remove_secret(conn, caller.organization_id, secretId)
    return Response(status_code=204)


class SignedLoginRequest(RequestBody):
    model_config = ConfigDict(extra="ignore")

    query: str = Field(max_length=signed.MAX_QUERY, description="The login URL's query string.")


def _signed_in(done: sessions.Redeemed) -> Response:
    return JsonResponse(
        {
            "token": done.token,
            "expiresAt": to_wire(done.expires_at),
            "organizationId": str(done.organization_id),
            "userId": str(done.member.id),
            "name": done.member.display_name,
            "contentPath": done.content_path,
        },
        headers={"Cache-Control": "no-store"},
    )


def _client(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _too_many(retry: int) -> TooManyRequests:
    return TooManyRequests(
        "Too many failed sign-ins from this address; try again later",
        headers={"Retry-After": str(retry)},
    )


async def _checked(request: Request, check: Callable[[], Awaitable[T]], *, refuse_first: bool) -> T:
    """``check`` of a login URL's signature, with failures counted against the client's
    address as failed authentications: past the limit a failure gets 429.

    With ``refuse_first`` an address already over the limit gets 429 before any check:
    for the shared login URL, where a check tries every secret on the server. An
    organization's own login URL tries only its few secrets, so it always checks and
    only counts failures: a good URL from an address someone else filled still signs in."""
    throttle: FailureThrottle = request.app.state.auth_throttle
    client = _client(request)
    if refuse_first:
        retry = await throttle.refusing(client)
        if retry is not None:
            raise _too_many(retry)
    try:
        return await check()
    except signed.SignatureRefused:
        retry = await throttle.failed(client)
        if retry is None:
            raise
    raise _too_many(retry)


# The secrets found for recent URLs sent to /embed/login: the page's GET finds one and
# its POST need not try every secret on the server again. Only a hint, per process: the
# sign-in's write checks that secret again, so a removed secret still refuses.
_RECENT: OrderedDict[str, signed.Signer] = OrderedDict()
RECENT_URLS = 1024


def _recent_key(query: str) -> str:
    return hashlib.sha256(query.encode()).hexdigest()


async def signing_organization(request: Request, query: str) -> signed.Signer:
    """The secret that signed a URL sent to ``/embed/login``, and so its organization,
    found in a read of its own so the write that signs in is not held while secrets are
    tried."""
    database: Database = request.app.state.database
    key = _recent_key(query)
    known = _RECENT.get(key)
    if known is not None:
        return known

    async def find() -> signed.Signer:
        async with database.read() as conn:
            return await signed.signing_organization(conn, query, _box(request))

    found = await _checked(request, find, refuse_first=True)
    _RECENT[key] = found
    while len(_RECENT) > RECENT_URLS:
        _RECENT.popitem(last=False)
    return found


async def _own_signer(request: Request, org_id: uuid.UUID, query: str) -> signed.Signer:
    """The organization's secret that signed a URL sent to its own login URL, found in
    a read, as for the shared one."""
    database: Database = request.app.state.database

    async def find() -> signed.Signer:
        async with database.read() as conn:
            return await signed.signer(conn, org_id, query, _box(request))

    return await _checked(request, find, refuse_first=False)


async def _sign_in(request: Request, found: signed.Signer, query: str, sent_to: str) -> Response:
    database: Database = request.app.state.database

    async def run() -> sessions.Redeemed:
        async with database.write() as conn:
            return await signed.sign_in(conn, found, query, sent_to=sent_to, box=_box(request))

    # The write checks the one secret found again, in case it was removed meanwhile.
    return _signed_in(await _checked(request, run, refuse_first=False))


@router.post("/embed/{org_id}/login", include_in_schema=False)
async def signed_login(request: Request, org_id: uuid.UUID, body: SignedLoginRequest) -> Response:
    """The embedded page's sign-in with a standard SSO URL: its signature is the
    credential, so no token."""
    query = body.query.lstrip("?")
    found = await _own_signer(request, org_id, query)
    return await _sign_in(request, found, query, _signed_login_url(request, org_id))


@router.post("/embed/login", include_in_schema=False)
async def shared_signed_login(request: Request, body: SignedLoginRequest) -> Response:
    """The same sign-in for a URL sent to the login URL Omni's SDK builds, which names no
    organization: the secret that made the signature says whose it is."""
    query = body.query.lstrip("?")
    found = await signing_organization(request, query)
    public = request.app.state.settings.resolved_public_url
    return await _sign_in(request, found, query, signed.shared_login_url(public))


@router.post("/embed/redeem", include_in_schema=False)
async def redeem(request: Request, body: RedeemRequest) -> Response:
    """The embedded page's sign-in: the session id is the credential, so no token."""
    database: Database = request.app.state.database
    async with database.write() as conn:
        done = await sessions.redeem(conn, body.sessionId)
    return _signed_in(done)
