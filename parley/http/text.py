"""Text the state databases can store, checked once for every request.

PostgreSQL's text and jsonb refuse the NUL character, and neither database (nor UTF-8)
can hold an unpaired surrogate, which JSON's ``\\ud800`` escapes can produce. SQLite
would take a NUL, so one database would keep what the other refuses with an error; both
refuse it up front instead, with a 400 that names the field.

Values a body passes on as JSON (webhook metadata, user attributes) are held to what
every JSON reader takes: integers within 64 bits, finite numbers, and at most
``MAX_DEPTH`` levels of nesting. Past those, the response or the webhook that echoes
the value could not be encoded, long after the request was accepted.

Request bodies are checked by ``RequestBody``, the base of every body model; query
strings and paths by ``RequestLimits`` in parley/http/middleware.py, with ``in_query``.
"""

from __future__ import annotations

import math
import re
from typing import Any

from pydantic import BaseModel, ConfigDict, model_validator

_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
MAX_DEPTH = 32  # levels of nesting in a body; a request's own shape needs a handful
_INT_RANGE = range(-(2**63), 2**63)
_TEXT = "text may not contain NUL (\\u0000) characters or unpaired surrogates (\\ud800-\\udfff)"


def first_unstorable(value: Any, where: str = "", depth: int = 0) -> tuple[str, str] | None:
    """Where (``a.b.0``) the first value in ``value`` is that cannot be stored or
    echoed as JSON, keys of mappings included, and why; None when there is none."""
    if isinstance(value, str):
        return ((where or "value"), _TEXT) if _UNSTORABLE.search(value) else None
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return None if value in _INT_RANGE else (where or "value", "integers must fit in 64 bits")
    if isinstance(value, float):
        return None if math.isfinite(value) else (where or "value", "numbers must be finite")
    if isinstance(value, dict | list | tuple) and depth >= MAX_DEPTH:
        return (where or "value", f"nested more than {MAX_DEPTH} levels deep")
    if isinstance(value, dict):
        for key, item in value.items():
            here = f"{where}.{key}" if where else str(key)
            if isinstance(key, str) and _UNSTORABLE.search(key):
                return here, _TEXT
            found = first_unstorable(item, here, depth + 1)
            if found is not None:
                return found
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            here = f"{where}.{index}" if where else str(index)
            found = first_unstorable(item, here, depth + 1)
            if found is not None:
                return found
    return None


class UnstorableText(ValueError):
    """Raised by ``RequestBody``; the error handler shows its message as it is."""


def message(where: str, why: str = _TEXT) -> str:
    return f"{where[:200]}: {why}"


def in_query(query_string: bytes) -> bool:
    """Whether a raw query string decodes to a NUL (surrogates cannot come out of a
    percent-decoded query string: they are not valid UTF-8)."""
    return b"%00" in query_string or b"\x00" in query_string


class RequestBody(BaseModel):
    """Base of every request body: text that could not be stored is a 400. Fields no
    Omni document names are ignored: Omni adds request fields often, and a client that
    sends a new one must keep working (decision 0013); known fields are still checked."""

    model_config = ConfigDict(extra="ignore")

    @model_validator(mode="before")
    @classmethod
    def _storable_text(cls, data: Any) -> Any:
        found = first_unstorable(data)
        if found is not None:
            where, why = found
            # The raw field name, with no '\x00' in it: the message must be printable.
            raise UnstorableText(message(_printable(where), why))
        return data


def _printable(where: str) -> str:
    return _UNSTORABLE.sub("?", where)
