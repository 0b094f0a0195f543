"""Omni's v1 standard SSO login URL, built here from its documented algorithm and
independently of the server's code, for the tests that sign in with one."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid
import zlib
from typing import Any


def encode_payload(params: object) -> str:
    """Omni's v1 payload, written here from its documented algorithm, independently of
    the server's code: compact JSON, raw DEFLATE (no zlib header), base64url."""
    deflater = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    packed = deflater.compress(json.dumps(params, separators=(",", ":")).encode())
    packed += deflater.flush()
    return base64.urlsafe_b64encode(packed).decode()


def sign_payload(secret: str, payload: str) -> str:
    """HMAC-SHA256 of the base64url payload text (not of its bytes), base64url."""
    digest = hmac.new(secret.encode(), payload.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode()


def v1_params(
    secret: str, login_url: str, *, expires_in: int = 3600, **extra: Any
) -> dict[str, str]:
    """The query of a v1 login URL as Omni's builders make it: loginUrl, the required
    parameters, a 32-character nonce, the optional ones as real JSON, and exp."""
    params: dict[str, Any] = {
        "loginUrl": login_url,
        "contentPath": "/my",
        "externalId": "lin@acme.test",
        "name": "Lin",
        "nonce": uuid.uuid4().hex,
        **extra,
        "exp": int(time.time()) + expires_in,
    }
    params = {k: v for k, v in params.items() if v is not None}
    payload = encode_payload(params)
    return {"payload": payload, "signature": sign_payload(secret, payload)}
