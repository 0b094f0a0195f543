"""Split a connection URL into what may be shown and the secrets kept encrypted.

The password and any query parameter that carries a credential (``token``,
``private_key``, ...) are taken out of the URL; the rest (host, database, warehouse,
role, catalog, ...) stays readable in ``parley connections list``.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

_SECRET_WORDS = ("password", "token", "secret", "private_key", "credentials")


class BadUrl(ValueError):
    pass


def _parse(url: str) -> URL:
    try:
        return make_url(url)
    except (ArgumentError, ValueError) as error:
        raise BadUrl(f"not a connection URL: {error}") from None


def _is_secret(name: str) -> bool:
    lowered = name.lower()
    return any(word in lowered for word in _SECRET_WORDS)


def _split_spark(url: str) -> tuple[str, str | None]:
    # Spark Connect: sc://host:port/;token=...;use_ssl=true (parameters after ";").
    head, *pairs = url.split(";")
    kept, hidden = [], {}
    for pair in pairs:
        name, _, value = pair.partition("=")
        if _is_secret(name):
            hidden[name] = value
        else:
            kept.append(pair)
    public = ";".join([head, *kept])
    return public, (json.dumps({"params": hidden}, sort_keys=True) if hidden else None)


def split(url: str) -> tuple[str, str | None]:
    """(the URL without credentials, the credentials as JSON text or None)."""
    if url.startswith("sc://"):
        return _split_spark(url)
    parsed = _parse(url)
    secret: dict[str, Any] = {}
    if parsed.password is not None:
        secret["password"] = parsed.password
    hidden = {k: v for k, v in parsed.query.items() if _is_secret(k)}
    if hidden:
        secret["query"] = hidden
    # URL.set() takes None as "unchanged"; the named tuple's own _replace clears it.
    public = parsed.difference_update_query(list(hidden))._replace(password=None)
    text = public.render_as_string(hide_password=False)
    return text, (json.dumps(secret, sort_keys=True) if secret else None)


def join(public: str, secret: str | None) -> str:
    """The full URL again, from `split`'s two halves."""
    if secret is None:
        return public
    values = json.loads(secret)
    if public.startswith("sc://"):
        pairs = [f"{name}={value}" for name, value in values.get("params", {}).items()]
        head = public if ";" in public or public.endswith("/") else public + "/"
        return ";".join([head, *pairs])
    parsed = _parse(public)
    if "password" in values:
        parsed = parsed.set(password=values["password"])
    if "query" in values:
        parsed = parsed.update_query_dict(values["query"])
    return parsed.render_as_string(hide_password=False)
