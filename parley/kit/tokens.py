"""API key secrets: how they look, and the only form in which they are stored."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import Literal

KeyKind = Literal["organization", "personal"]

# The kind is part of the token so a leaked token says what it can do, and secret
# scanners can match it.
_KIND_TAG: dict[KeyKind, str] = {"organization": "org", "personal": "pat"}
_TAG_KIND: dict[str, KeyKind] = {tag: kind for kind, tag in _KIND_TAG.items()}
PREFIX_LENGTH = 12


@dataclass(frozen=True)
class IssuedToken:
    token: str
    prefix: str
    secret_hash: str


@dataclass(frozen=True)
class ParsedToken:
    kind: KeyKind
    prefix: str
    secret_hash: str


def issue(kind: KeyKind) -> IssuedToken:
    body = secrets.token_hex(24)
    token = f"parley_{_KIND_TAG[kind]}_{body}"
    return IssuedToken(token=token, prefix=body[:PREFIX_LENGTH], secret_hash=hash_secret(token))


def hash_secret(token: str) -> str:
    # A plain SHA-256 is enough: the secret has 192 random bits, so there is nothing
    # for a slow hash to protect against, and every request pays for this.
    return hashlib.sha256(token.encode()).hexdigest()


def parse(token: str) -> ParsedToken | None:
    parts = token.split("_", 2)
    if len(parts) != 3 or parts[0] != "parley" or parts[1] not in _TAG_KIND:
        return None
    body = parts[2]
    if len(body) != 48 or any(c not in "0123456789abcdef" for c in body):
        return None
    return ParsedToken(
        kind=_TAG_KIND[parts[1]], prefix=body[:PREFIX_LENGTH], secret_hash=hash_secret(token)
    )


def same_hash(stored: str, presented: str) -> bool:
    return hmac.compare_digest(stored.encode(), presented.encode())
