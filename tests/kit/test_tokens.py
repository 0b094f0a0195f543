"""API key tokens: what an issued token looks like, and that parsing accepts exactly it."""

from __future__ import annotations

import pytest

from parley.kit import tokens


@pytest.mark.parametrize(("kind", "tag"), [("organization", "org"), ("personal", "pat")])
def test_an_issued_token_parses_back_to_its_kind_prefix_and_hash(
    kind: tokens.KeyKind, tag: str
) -> None:
    issued = tokens.issue(kind)
    assert issued.token.startswith(f"parley_{tag}_") and len(issued.token) == len(tag) + 56
    parsed = tokens.parse(issued.token)
    assert parsed is not None
    assert (parsed.kind, parsed.prefix) == (kind, issued.token[-48:][:12])
    assert tokens.same_hash(issued.secret_hash, parsed.secret_hash)
    assert issued.token not in issued.secret_hash


def test_two_tokens_differ() -> None:
    assert tokens.issue("personal").token != tokens.issue("personal").token


@pytest.mark.parametrize(
    "text",
    [
        "",
        "parley_org_",
        "parley_xyz_" + "a" * 48,
        "parley_org_" + "A" * 48,
        "parley_org_" + "a" * 47,
        "parley_org_" + "a" * 49,
        "other_org_" + "a" * 48,
        "parley_org_" + "g" * 48,
    ],
)
def test_anything_else_does_not_parse(text: str) -> None:
    assert tokens.parse(text) is None
