"""Text the state databases can store, checked once for every request.

PostgreSQL's text and jsonb refuse the NUL character, and neither database (nor UTF-8)
can hold an unpaired surrogate, which JSON's ``\\ud800`` escapes can produce. SQLite
would take a NUL, so one database would keep what the other refuses with an error; both
refuse it up front instead, with a 400 that names the field.

Request bodies are checked by ``RequestBody``, the base of every body model; query
strings and paths by ``RequestLimits`` in parley/http/middleware.py, with ``in_query``.
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, ConfigDict, model_validator

_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def first_unstorable(value: Any, where: str = "") -> str | None:
    """The location (``a.b.0``) of the first string in ``value`` that cannot be stored,
    keys of mappings included; None when there is none."""
    if isinstance(value, str):
        return (where or "value") if _UNSTORABLE.search(value) else None
    if isinstance(value, dict):
        for key, item in value.items():
            here = f"{where}.{key}" if where else str(key)
            if isinstance(key, str) and _UNSTORABLE.search(key):
                return here
            found = first_unstorable(item, here)
            if found is not None:
                return found
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            found = first_unstorable(item, f"{where}.{index}" if where else str(index))
            if found is not None:
                return found
    return None


class UnstorableText(ValueError):
    """Raised by ``RequestBody``; the error handler shows its message as it is."""


def message(where: str) -> str:
    return (
        f"{where}: text may not contain NUL (\\u0000) characters or unpaired "
        "surrogates (\\ud800-\\udfff)"
    )


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
        where = first_unstorable(data)
        if where is not None:
            # The raw field name, with no '\x00' in it: the message must be printable.
            raise UnstorableText(message(_printable(where)))
        return data


def _printable(where: str) -> str:
    return _UNSTORABLE.sub("?", where)
