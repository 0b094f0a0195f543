"""SCIM filters (RFC 7644's grammar) over an organization's members.

scim2-models reads the filter into a tree; this module says what each attribute of a
member is and evaluates the tree against it. Attribute names are case-insensitive, and
so are string comparisons except on identifiers (``id``, ``externalId``,
``embedExternalId``, user attribute values), as RFC 7643 marks them case-exact.

On the embed variant, ``userName`` also matches the embed user's external id: Omni's
embed users carry a made-up address as their userName, and an application that names
its users by address (Omni's agentic chat demo, for one) looks them up with
``userName eq "<the address it passed as externalId>"``. The external id half of that
match compares case-exact, as external ids always do."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from scim2_models import InvalidFilterException, ScimFilter
from scim2_models.path import (
    ORDERING_OPERATORS,
    STRING_OPERATORS,
    AttrPath,
    CompareOperator,
    Comparison,
    FilterNode,
    FilterVisitor,
    LogicalExpr,
    LogicalOperator,
    Not,
    Present,
    ValuePath,
)

from parley.embed.directory import Member
from parley.http.errors import BadRequest

CORE_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:user"
ATTRIBUTES = "urn:omni:params:1.0:UserAttribute"
MAX_FILTER = 2000

Kind = Literal["string", "boolean", "datetime", "any"]


class InvalidFilter(BadRequest):
    """A filter that does not parse, or names what a member does not have."""

    scim_type = "invalidFilter"


@dataclass(frozen=True)
class Attribute:
    read: Callable[[Member], list[Any]]
    kind: Kind = "string"
    case_exact: bool = False


def _one(value: Any) -> list[Any]:
    return [] if value is None else [value]


class _CaseExact(str):
    """A value compared case-exact under an attribute whose other values are not."""

    __slots__ = ()


def _embed_user_names(member: Member) -> list[Any]:
    return [member.email, *(_CaseExact(v) for v in _one(member.external_id))]


def _attributes(embed: bool) -> dict[str, Attribute]:
    user_names: Callable[[Member], list[Any]] = (
        _embed_user_names if embed else (lambda m: [m.email])
    )
    return {
        "id": Attribute(lambda m: [str(m.id)], case_exact=True),
        "username": Attribute(user_names),
        "displayname": Attribute(lambda m: [m.display_name or m.email]),
        "externalid": Attribute(lambda m: _one(m.external_id), case_exact=True),
        "embedexternalid": Attribute(lambda m: _one(m.external_id), case_exact=True),
        "active": Attribute(lambda m: [m.active], "boolean"),
        "emails": Attribute(lambda m: [m.email]),
        "emails.value": Attribute(lambda m: [m.email]),
        "emails.primary": Attribute(lambda m: [True], "boolean"),
        # A member's one address has no type: `emails[type eq "work"]` matches nobody.
        "emails.type": Attribute(lambda m: []),
        "groups": Attribute(lambda m: list(m.groups), case_exact=True),
        "groups.value": Attribute(lambda m: list(m.groups), case_exact=True),
        "groups.display": Attribute(lambda m: list(m.groups), case_exact=True),
        "meta.created": Attribute(lambda m: [m.created_at], "datetime"),
        "meta.lastmodified": Attribute(lambda m: [m.updated_at], "datetime"),
        "meta.resourcetype": Attribute(lambda m: ["User"]),
    }


_MEMBERS = _attributes(embed=False)
_EMBED = _attributes(embed=True)
# Sub-attributes a value filter (`emails[value co "@example.com"]`) may test.


def parse(text: str) -> FilterNode:
    if len(text) > MAX_FILTER:
        raise InvalidFilter(f"filter: at most {MAX_FILTER} characters")
    try:
        return ScimFilter(text).ast
    except InvalidFilterException as error:
        raise InvalidFilter(f"filter: {error.detail}") from error


def matching(members: list[Member], text: str | None, *, embed: bool) -> list[Member]:
    """The members the filter selects (all of them without a filter)."""
    if not text:
        return members
    tree = parse(text)
    known = _EMBED if embed else _MEMBERS
    _Check(known).visit(tree)
    return [m for m in members if _Match(known, m).visit(tree)]


def _name(path: AttrPath, prefix: str = "") -> str:
    uri = (path.uri or "").lower()
    name = prefix + path.attr + (f".{path.sub_attr}" if path.sub_attr else "")
    if uri and uri != CORE_SCHEMA:
        return f"{uri}:{name}"
    return name


def _resolve(known: dict[str, Attribute], path: AttrPath, prefix: str = "") -> Attribute:
    name = _name(path, prefix)
    if path.uri and path.uri.lower() == ATTRIBUTES.lower() and not prefix and not path.sub_attr:
        key = path.attr
        return Attribute(lambda m: _one(m.user_attributes.get(key)), "any", case_exact=True)
    found = known.get(name.lower())
    if found is None:
        raise InvalidFilter(f"filter: a member has no attribute {name!r}")
    return found


def _expected(attribute: Attribute, node: Comparison) -> Any:
    """The comparison's value in the attribute's type (400 when it has another)."""
    value = node.value
    if node.op in STRING_OPERATORS and attribute.kind in ("boolean", "datetime"):
        raise InvalidFilter(f"filter: {node.op.value} compares strings, not {attribute.kind}s")
    if attribute.kind == "boolean":
        if node.op in ORDERING_OPERATORS:
            raise InvalidFilter(f"filter: {node.op.value} does not order booleans")
        if not isinstance(value, bool) and value is not None:
            raise InvalidFilter(f"filter: {node.attr_path} is true or false")
    if attribute.kind == "datetime" and value is not None:
        try:
            moment = datetime.fromisoformat(str(value))
        except ValueError as error:
            raise InvalidFilter(f"filter: {value!r} is not a date-time") from error
        return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    if attribute.kind == "string" and value is not None and not isinstance(value, str):
        raise InvalidFilter(f"filter: {node.attr_path} is a string")
    return value


class _Check(FilterVisitor[None]):
    """Every attribute known and every value of its type, before any member is read."""

    def __init__(self, known: dict[str, Attribute], prefix: str = "") -> None:
        self.known, self.prefix = known, prefix

    def visit_comparison(self, node: Comparison) -> None:
        _expected(_resolve(self.known, node.attr_path, self.prefix), node)

    def visit_present(self, node: Present) -> None:
        _resolve(self.known, node.attr_path, self.prefix)

    def visit_not(self, node: Not) -> None:
        self.visit(node.expr)

    def visit_logical_expr(self, node: LogicalExpr) -> None:
        for term in node.terms:
            self.visit(term)

    def visit_value_path(self, node: ValuePath) -> None:
        parent = _name(node.attr_path).lower()
        if parent not in ("emails", "groups") or self.prefix:
            raise InvalidFilter(f"filter: {node.attr_path} holds no values to select")
        _Check(self.known, parent + ".").visit(node.val_filter)


def _comparable(case_exact: bool, value: Any) -> Any:
    if isinstance(value, str) and not case_exact:
        return value.casefold()
    return str(value) if isinstance(value, _CaseExact) else value


def _compare(attribute: Attribute, actual: Any, op: CompareOperator, expected: Any) -> bool:
    exact = attribute.case_exact or isinstance(actual, _CaseExact)
    left, right = _comparable(exact, actual), _comparable(exact, expected)
    if op in STRING_OPERATORS:
        if not isinstance(left, str) or not isinstance(right, str):
            return False
        if op == CompareOperator.co:
            return right in left
        return left.startswith(right) if op == CompareOperator.sw else left.endswith(right)
    if op == CompareOperator.eq:
        return bool(left == right)
    try:
        if op == CompareOperator.gt:
            return bool(left > right)
        if op == CompareOperator.ge:
            return bool(left >= right)
        if op == CompareOperator.lt:
            return bool(left < right)
        return bool(left <= right)
    except TypeError:
        # A user attribute holding a number compared with a string orders nowhere.
        return False


def _entries(parent: str, member: Member) -> list[dict[str, Any]]:
    if parent == "emails":
        return [{"value": member.email, "primary": True}]
    return [{"value": group, "display": group} for group in member.groups]


class _Match(FilterVisitor[bool]):
    """Whether a member (or, inside a value filter, one of its entries) matches."""

    def __init__(
        self,
        known: dict[str, Attribute],
        member: Member,
        prefix: str = "",
        entry: dict[str, Any] | None = None,
    ) -> None:
        self.known, self.member, self.prefix, self.entry = known, member, prefix, entry

    def _read(self, path: AttrPath) -> tuple[Attribute, list[Any]]:
        attribute = _resolve(self.known, path, self.prefix)
        if self.entry is None:
            return attribute, attribute.read(self.member)
        return attribute, _one(self.entry.get(path.attr.lower()))

    def visit_comparison(self, node: Comparison) -> bool:
        attribute, values = self._read(node.attr_path)
        expected = _expected(attribute, node)
        if expected is None:
            # `eq null` holds for a missing value, `ne null` for a present one.
            return (not values) == (node.op == CompareOperator.eq)
        if node.op == CompareOperator.ne:
            # Not equal to the value: none of a multi-valued attribute's values is it.
            return not any(_compare(attribute, v, CompareOperator.eq, expected) for v in values)
        if isinstance(expected, datetime):
            values = [v for v in values if isinstance(v, datetime)]
        return any(_compare(attribute, v, node.op, expected) for v in values)

    def visit_present(self, node: Present) -> bool:
        return any(v not in (None, "") for v in self._read(node.attr_path)[1])

    def visit_not(self, node: Not) -> bool:
        return not self.visit(node.expr)

    def visit_logical_expr(self, node: LogicalExpr) -> bool:
        results = (self.visit(term) for term in node.terms)
        return all(results) if node.op == LogicalOperator.and_ else any(results)

    def visit_value_path(self, node: ValuePath) -> bool:
        # One entry must satisfy the whole value filter, as RFC 7644 has it.
        parent = _name(node.attr_path).lower()
        return any(
            _Match(self.known, self.member, parent + ".", entry).visit(node.val_filter)
            for entry in _entries(parent, self.member)
        )
