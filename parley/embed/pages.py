"""The web page as an organization embeds it: the same page, under paths that tell the
server whose embed settings decide who may frame it."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request
from starlette.responses import Response

from parley.db.database import Database
from parley.embed import endpoints, sessions
from parley.http.errors import ApiError
from parley.web.routes import CONTENT_SECURITY_POLICY, policy_framed_by, serve

router = APIRouter(include_in_schema=False)


async def _policy(request: Request, org_id: uuid.UUID | None) -> str:
    if org_id is None:
        return CONTENT_SECURITY_POLICY
    database: Database = request.app.state.database
    async with database.read() as conn:
        found = await sessions.settings_of(conn, org_id)
    return policy_framed_by(found.frameAncestors)


async def _signer(request: Request) -> uuid.UUID | None:
    try:
        found = await endpoints.signing_organization(request, request.url.query)
    except ApiError:
        # The page's script posts the URL back and shows why it cannot sign in.
        return None
    return found.organization_id


@router.api_route("/embed/login", methods=["GET", "HEAD"])
async def login(request: Request) -> Response:
    """The login URL, for a single-use session id or for a standard SSO URL as Omni's
    SDK builds it. The page's script redeems it (a GET spends nothing, so a link preview
    cannot); the organization it signs into decides who may frame it."""
    if "payload" in request.query_params:
        org_id = await _signer(request)
    else:
        database: Database = request.app.state.database
        async with database.read() as conn:
            org_id = await sessions.organization_of(conn, request.query_params.get("sessionId", ""))
    response = serve(request, "index.html", policy=await _policy(request, org_id))
    # The credential is in this page's address: keep it out of Referer headers and caches.
    response.headers["Cache-Control"] = "no-store"
    return response


@router.api_route("/embed/{org_id}/login", methods=["GET", "HEAD"])
async def signed_login(request: Request, org_id: uuid.UUID) -> Response:
    """A standard SSO login URL. The page's script posts its query back to be checked
    (a GET spends no nonce); the organization's settings decide who may frame it."""
    response = serve(request, "index.html", policy=await _policy(request, org_id))
    # The signed parameters are in this page's address: keep them out of caches.
    response.headers["Cache-Control"] = "no-store"
    return response


@router.api_route("/embed/{org_id}/", methods=["GET", "HEAD"])
async def home(request: Request, org_id: uuid.UUID) -> Response:
    return serve(request, "index.html", policy=await _policy(request, org_id))


@router.api_route("/embed/{org_id}/chat/{conversation_id}", methods=["GET", "HEAD"])
async def chat(request: Request, org_id: uuid.UUID, conversation_id: str) -> Response:
    del conversation_id
    return serve(request, "index.html", policy=await _policy(request, org_id))
