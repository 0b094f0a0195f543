"""Opaque, tamper-proof pagination cursors bound to the scope that produced them.

A cursor carries the sort key of the last row of a page and a fingerprint of the scope
(organization, member filter, search text). It is signed with HMAC-SHA256 so a client
can neither forge a position nor move a cursor to another scope; both come back as
``InvalidCursor``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import uuid
from collections.abc import Sequence
from datetime import datetime

import orjson

_SIG_BYTES = 16


class InvalidCursor(ValueError):
    pass


class CursorCodec:
    def __init__(self, key: bytes) -> None:
        self._key = key

    def _sign(self, payload: bytes) -> bytes:
        return hmac.new(self._key, payload, hashlib.sha256).digest()[:_SIG_BYTES]

    def encode(self, scope: str, position: Sequence[str]) -> str:
        payload = orjson.dumps([scope, list(position)])
        raw = payload + self._sign(payload)
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

    def decode(self, cursor: str, scope: str) -> list[str]:
        """The position inside ``cursor``; raises ``InvalidCursor`` if it is not ours or
        belongs to another scope."""
        if not cursor or len(cursor) > 1024:
            raise InvalidCursor("malformed cursor")
        try:
            raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        except (binascii.Error, ValueError) as exc:
            raise InvalidCursor("malformed cursor") from exc
        payload, signature = raw[:-_SIG_BYTES], raw[-_SIG_BYTES:]
        if len(raw) <= _SIG_BYTES or not hmac.compare_digest(signature, self._sign(payload)):
            raise InvalidCursor("cursor was not issued by this server or was altered")
        decoded = orjson.loads(payload)
        if (
            not isinstance(decoded, list)
            or len(decoded) != 2
            or not isinstance(decoded[1], list)
            or not all(isinstance(part, str) for part in decoded[1])
        ):
            raise InvalidCursor("malformed cursor")
        if decoded[0] != scope:
            raise InvalidCursor("cursor belongs to a different scope")
        return list(decoded[1])

    def encode_position(self, scope: str, at: datetime, row_id: uuid.UUID | str) -> str:
        """A cursor after the row at (``at``, ``row_id``), for lists ordered by a
        timestamp and then an id."""
        return self.encode(scope, [at.isoformat(), str(row_id)])

    def decode_position(self, cursor: str, scope: str) -> tuple[datetime, uuid.UUID]:
        """The (timestamp, id) inside a cursor made by ``encode_position``."""
        position = self.decode(cursor, scope)
        try:
            at_text, id_text = position
            at, row_id = datetime.fromisoformat(at_text), uuid.UUID(id_text)
        except ValueError as exc:
            raise InvalidCursor("malformed cursor") from exc
        if at.tzinfo is None:
            raise InvalidCursor("malformed cursor")
        return at, row_id
