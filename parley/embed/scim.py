"""SCIM 2.0 Users for an organization's members, in Omni's shape: ``/api/scim/v2/users``
for members and ``/api/scim/v2/embed/users`` for embed users (either capitalisation).

Errors are SCIM error messages, which carry ``detail`` and ``status`` as every Parley
error does, with ``status`` as a string as RFC 7644 has it."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import APIRouter, Request
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from pydantic import ConfigDict, Field
from sqlalchemy.ext.asyncio import AsyncConnection
from starlette.responses import Response

from parley.accounts.service import check_email
from parley.auth.dependencies import Caller
from parley.auth.principal import Principal
from parley.db.database import ReadConn, WriteConn
from parley.embed import directory, scim_filter, scim_patch
from parley.embed.scim_filter import ATTRIBUTES
from parley.embed.scim_patch import Immutable, PatchError, PatchRequest
from parley.http.errors import ApiError, BadRequest, Forbidden, NotFound, describe_validation
from parley.http.responses import JsonResponse
from parley.http.text import RequestBody
from parley.kit.timestamps import to_wire

USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
LIST_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
ERROR_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:Error"
MEDIA_TYPE = "application/scim+json"
MAX_COUNT = 1000


def scim_error(
    status: int,
    detail: str,
    scim_type: str | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    body: dict[str, Any] = {"schemas": [ERROR_SCHEMA], "status": str(status), "detail": detail}
    if scim_type:
        body["scimType"] = scim_type
    return JsonResponse(body, status_code=status, media_type=MEDIA_TYPE, headers=headers)


class ScimRoute(APIRoute):
    """Answers this router's failures as SCIM error messages."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def scim_handler(request: Request) -> Response:
            try:
                return await handler(request)
            except RequestValidationError as error:
                return scim_error(400, describe_validation(error), "invalidValue")
            except ApiError as error:
                scim_type: str | None = getattr(error, "scim_type", None)
                if error.status == 409:
                    scim_type = "uniqueness"
                # Keep the error's headers (Retry-After on a 429, for one).
                return scim_error(error.status, error.detail, scim_type, error.headers)

        return scim_handler


router = APIRouter(prefix="/api/scim/v2", tags=["SCIM users"], route_class=ScimRoute)


def _organization_key(caller: Principal) -> None:
    if not caller.is_organization_key:
        raise Forbidden("SCIM needs an organization API key")


def resource(request: Request, member: directory.Member) -> dict[str, Any]:
    embed = member.is_embed
    base = str(request.base_url).rstrip("/")
    where = "embed/users" if embed else "users"
    out: dict[str, Any] = {
        "schemas": [USER_SCHEMA],
        "id": str(member.id),
        "userName": member.email,
        "displayName": member.display_name or member.email,
        "active": member.active,
        "emails": [{"primary": True, "value": member.email}],
        "groups": [{"display": group, "value": group} for group in member.groups],
        "meta": {
            "resourceType": "User",
            "created": to_wire(member.created_at),
            "lastModified": to_wire(member.updated_at),
            "location": f"{base}/api/scim/v2/{where}/{member.id}",
        },
        ATTRIBUTES: member.user_attributes,
    }
    if embed:
        out |= {"embedEmail": None, "embedEntity": None, "embedExternalId": member.external_id}
    return out


def _scim(body: dict[str, Any], status: int = 200) -> Response:
    return JsonResponse(body, status_code=status, media_type=MEDIA_TYPE)


async def _list(
    request: Request, caller: Principal, conn: AsyncConnection, *, embed: bool
) -> Response:
    _organization_key(caller)
    params = request.query_params
    try:
        # Past the members there are none; clamped so the echoed index stays a number
        # every JSON reader takes.
        start = min(2**31, max(1, int(params.get("startIndex", "1"))))
        count = min(MAX_COUNT, max(0, int(params.get("count", "100"))))
    except ValueError as error:
        raise BadRequest("startIndex and count are integers") from error
    members = scim_filter.matching(
        await directory.members(conn, caller.organization_id, embed=embed),
        params.get("filter"),
        embed=embed,
    )
    page = members[start - 1 : start - 1 + count]
    return _scim(
        {
            "schemas": [LIST_SCHEMA],
            "totalResults": len(members),
            "startIndex": start,
            "itemsPerPage": len(page),
            "Resources": [resource(request, m) for m in page],
        }
    )


async def _one(
    conn: AsyncConnection, caller: Principal, user_id: uuid.UUID, *, embed: bool
) -> directory.Member:
    _organization_key(caller)
    member = await directory.get(conn, caller.organization_id, user_id)
    if member is None or member.is_embed != embed:
        raise NotFound(f"No user {user_id}")
    return member


class NewUser(RequestBody):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    userName: str = Field(min_length=3, max_length=320, description="The member's email.")
    displayName: str | None = Field(default=None, max_length=200)
    active: bool = True
    attributes: dict[str, Any] | None = Field(default=None, alias=ATTRIBUTES)


async def _apply(
    conn: AsyncConnection, member: directory.Member, changes: dict[str, Any]
) -> directory.Member:
    """Apply SCIM attribute changes (``displayName``, ``active``, the user attributes)."""
    name = changes.get("displayName")
    if name is not None and (not isinstance(name, str) or not 1 <= len(name) <= 200):
        raise PatchError("displayName: 1 to 200 characters")
    active = changes.get("active")
    if active is not None and not isinstance(active, bool):
        raise PatchError("active: true or false")
    attributes = changes.get(ATTRIBUTES)
    if attributes is not None and not isinstance(attributes, dict):
        raise PatchError(f"{ATTRIBUTES}: an object")
    user_name = changes.get("userName")
    if user_name is not None and str(user_name).lower() != member.email:
        raise Immutable("userName cannot be changed")
    updated = await directory.save_profile(
        conn, member, display_name=name, user_attributes=attributes, active=active
    )
    if active is False:
        await directory.revoke_keys(conn, member.id)
    return updated


def _routes(prefix: str, *, embed: bool) -> None:
    kind = "embed users" if embed else "members"
    for collection in (f"{prefix}/users", f"{prefix}/Users"):
        # Both spellings answer; the lowercase one is documented, the other hidden.
        shown = collection.endswith("/users")

        @router.get(collection, include_in_schema=shown, summary=f"List {kind}")
        async def list_users(request: Request, caller: Caller, conn: ReadConn) -> Response:
            return await _list(request, caller, conn, embed=embed)

        @router.get(collection + "/{userId}", include_in_schema=shown, summary=f"One of the {kind}")
        async def get_user(
            request: Request, userId: uuid.UUID, caller: Caller, conn: ReadConn
        ) -> Response:
            return _scim(resource(request, await _one(conn, caller, userId, embed=embed)))

        @router.patch(
            collection + "/{userId}", include_in_schema=shown, summary=f"Change one of the {kind}"
        )
        async def patch_user(
            request: Request, userId: uuid.UUID, body: PatchRequest, caller: Caller, conn: WriteConn
        ) -> Response:
            member = await _one(conn, caller, userId, embed=embed)
            updated = await _apply(conn, member, scim_patch.changes(member, body))
            return _scim(resource(request, updated))

        @router.delete(
            collection + "/{userId}",
            include_in_schema=shown,
            status_code=204,
            response_class=Response,
            summary=f"Delete one of the {kind} with everything it owns",
        )
        async def delete_user(userId: uuid.UUID, caller: Caller, conn: WriteConn) -> Response:
            await _one(conn, caller, userId, embed=embed)
            await directory.remove(conn, caller.organization_id, userId)
            return Response(status_code=204)

        if embed:
            continue

        @router.post(collection, include_in_schema=shown, status_code=201, summary="Add a member")
        async def create_user(
            request: Request, body: NewUser, caller: Caller, conn: WriteConn
        ) -> Response:
            _organization_key(caller)
            member = await directory.create(
                conn,
                caller.organization_id,
                email=check_email(body.userName),
                display_name=body.displayName,
                user_attributes=body.attributes,
                active=body.active,
            )
            return _scim(resource(request, member), 201)

        @router.put(
            collection + "/{userId}", include_in_schema=shown, summary="Replace a member's details"
        )
        async def put_user(
            request: Request, userId: uuid.UUID, body: NewUser, caller: Caller, conn: WriteConn
        ) -> Response:
            member = await _one(conn, caller, userId, embed=False)
            changes: dict[str, Any] = {"userName": body.userName, "active": body.active}
            if body.displayName is not None:
                changes["displayName"] = body.displayName
            if body.attributes is not None:
                changes[ATTRIBUTES] = body.attributes
            return _scim(resource(request, await _apply(conn, member, changes)))


_routes("", embed=False)
_routes("/embed", embed=True)
