"""SCIM PATCH operations (RFC 7644's add, replace and remove) on a member.

scim2-models reads each operation's path (attribute names, schema URNs, value filters);
this module says which of a member's attributes the path names and what the operation
does to it. A member's ``displayName``, ``active`` and Omni's user attributes change;
its identifiers (``userName``, ``externalId``, ``emails``, …) do not, though setting
one to the value it already has is accepted, as identity providers often send it.

An operation without a path carries a whole user, as identity providers send it on
every update: there, attributes of RFC 7643's User that Parley does not store (``name``,
``phoneNumbers``, the enterprise extension, …) are ignored rather than refused, so the
change the request does make (``displayName``, ``active``) is not lost."""

from __future__ import annotations

from typing import Any

from pydantic import ConfigDict, Field
from scim2_models import SCIMException
from scim2_models.path import AttrPath, Path, ValuePath

from parley.embed.directory import Member
from parley.embed.scim_filter import ATTRIBUTES, CORE_SCHEMA
from parley.http.errors import BadRequest
from parley.http.text import RequestBody

PATCH_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
_IDENTIFIERS = ("username", "externalid", "embedexternalid", "id", "emails", "emails.value")
_READ_ONLY = ("groups", "meta", "embedemail", "embedentity", "schemas")
# RFC 7643's User attributes (and its enterprise extension) that a member does not hold.
_NOT_STORED = (
    "name",
    "nickname",
    "profileurl",
    "title",
    "usertype",
    "preferredlanguage",
    "locale",
    "timezone",
    "password",
    "phonenumbers",
    "ims",
    "photos",
    "addresses",
    "entitlements",
    "roles",
    "x509certificates",
)
_ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:user"


class PatchError(BadRequest):
    scim_type = "invalidValue"


class InvalidPath(PatchError):
    scim_type = "invalidPath"


class NoTarget(PatchError):
    scim_type = "noTarget"


class Immutable(PatchError):
    scim_type = "mutability"


class PatchOperation(RequestBody):
    model_config = ConfigDict(extra="ignore")

    op: str = Field(pattern=r"^(?i:add|replace|remove)$")
    path: str | None = Field(default=None, max_length=500)
    value: Any = None


class PatchRequest(RequestBody):
    model_config = ConfigDict(extra="ignore")

    schemas: list[str] = Field(min_length=1)
    Operations: list[PatchOperation] = Field(min_length=1, max_length=100)


def _boolean(value: Any) -> Any:
    # Some identity providers send booleans as "True"/"False".
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    return value


class _Patch:
    """The changes a PATCH makes, gathered before anything is written."""

    def __init__(self, member: Member) -> None:
        self.member = member
        self.changes: dict[str, Any] = {}
        self.attributes = dict(member.user_attributes)

    def result(self) -> dict[str, Any]:
        if self.attributes != self.member.user_attributes:
            self.changes[ATTRIBUTES] = self.attributes
        return self.changes

    def operation(self, op: str, path: str | None, value: Any, *, whole: bool = False) -> None:
        """One operation; ``whole`` for a key of a path-less operation's value."""
        if path is None:
            if op == "remove":
                raise NoTarget("A remove operation needs a path")
            if not isinstance(value, dict):
                raise PatchError("An operation without a path needs an object value")
            for key, item in value.items():
                if key.lower() == CORE_SCHEMA and isinstance(item, dict):
                    self.operation(op, None, item)
                elif key != "schemas" and key.lower() != _ENTERPRISE:
                    self.operation(op, key, item, whole=True)
            return
        if path.lower() == ATTRIBUTES.lower():
            self._all_attributes(op, value)
            return
        try:
            parsed = Path(path).ast
        except (SCIMException, ValueError) as error:
            raise InvalidPath(f"path {path!r}: {error}") from error
        if parsed is None:
            raise InvalidPath("path: empty")
        if isinstance(parsed, ValuePath):
            # emails[type eq "work"].value names the member's one address.
            key = _name(parsed.attr_path) + (f".{parsed.sub_attr}" if parsed.sub_attr else "")
            self._identifier(op, path, key.lower(), value)
            return
        if not isinstance(parsed, AttrPath):
            raise InvalidPath(f"path {path!r}: not an attribute of a member")
        uri = (parsed.uri or "").lower()
        if uri == ATTRIBUTES.lower():
            if parsed.sub_attr:
                raise InvalidPath(f"path {path!r}: user attributes have no sub-attributes")
            self._attribute(op, parsed.attr, value)
        elif uri and uri != CORE_SCHEMA:
            raise InvalidPath(f"path {path!r}: no such schema for a member")
        else:
            self._core(op, path, parsed, value, whole=whole)

    def _all_attributes(self, op: str, value: Any) -> None:
        if op == "remove":
            self.attributes = {}
            return
        if not isinstance(value, dict):
            raise PatchError(f"{ATTRIBUTES}: an object")
        # Replacing a complex attribute replaces the sub-attributes given and keeps
        # the others, as adding does.
        self.attributes |= value

    def _attribute(self, op: str, key: str, value: Any) -> None:
        if op == "remove":
            self.attributes.pop(key, None)
        else:
            self.attributes[key] = value

    def _core(self, op: str, path: str, parsed: AttrPath, value: Any, *, whole: bool) -> None:
        name = (parsed.attr + (f".{parsed.sub_attr}" if parsed.sub_attr else "")).lower()
        if name == "displayname":
            if op == "remove":
                raise Immutable("displayName cannot be removed")
            self.changes["displayName"] = value
        elif name == "active":
            if op == "remove":
                raise Immutable("active cannot be removed")
            active = _boolean(value)
            if not isinstance(active, bool):  # null would change nothing, silently
                raise PatchError("active: true or false")
            self.changes["active"] = active
        elif name in _IDENTIFIERS or name.split(".")[0] in _READ_ONLY:
            self._identifier(op, path, name, value)
        elif whole and name.split(".")[0] in _NOT_STORED:
            return
        else:
            raise InvalidPath(f"path {path!r}: a member has no such attribute")

    def _identifier(self, op: str, path: str, name: str, value: Any) -> None:
        """Accept a write of the value already there; refuse any other change. ``name``
        is the attribute the path names, in lower case, without the core schema's URN."""
        member = self.member
        known: dict[str, list[str | None]] = {
            "username": [member.email],
            "emails.value": [member.email],
            "externalid": [member.external_id],
            "embedexternalid": [member.external_id],
            "id": [str(member.id)],
        }
        same = _lower(known.get(name, []))
        if op != "remove" and isinstance(value, str) and value.lower() in same:
            return
        if op != "remove" and name == "emails" and _same_emails(value, member.email):
            return
        raise Immutable(f"{path} cannot be changed")


def _same_emails(value: Any, email: str) -> bool:
    """An ``emails`` value that lists only the member's own address."""
    if not isinstance(value, list) or not value:
        return False
    return all(
        isinstance(entry, dict)
        and isinstance(entry.get("value"), str)
        and entry["value"].lower() == email.lower()
        for entry in value
    )


def _name(path: AttrPath) -> str:
    return path.attr + (f".{path.sub_attr}" if path.sub_attr else "")


def _lower(values: list[str | None]) -> list[str]:
    return [v.lower() for v in values if v is not None]


def changes(member: Member, body: PatchRequest) -> dict[str, Any]:
    """What the operations change, in order, as ``displayName``, ``active`` and the
    user attributes object (the keys that change)."""
    if PATCH_SCHEMA not in body.schemas:
        raise PatchError(f"schemas must name {PATCH_SCHEMA}")
    patch = _Patch(member)
    for operation in body.Operations:
        patch.operation(operation.op.lower(), operation.path, operation.value)
    return patch.result()
