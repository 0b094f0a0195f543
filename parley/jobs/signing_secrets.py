"""Webhook signing secrets encrypted at rest, with a key that is not in the database.

A copy of the database (a backup, a leaked dump) then cannot sign webhooks in a
customer's name. The key is derived from ``PARLEY_SECRET_KEY`` when it is set (every
replica then shares it); otherwise it is a key file created once, mode 0600, in
``PARLEY_HOME``. Former values of ``PARLEY_SECRET_KEY`` listed in
``PARLEY_PREVIOUS_SECRET_KEYS`` still decrypt, so a key can be rotated while deliveries
are pending. Secrets stored before encryption existed carry no prefix and are read as
they are.
"""

from __future__ import annotations

import base64
import contextlib
from functools import lru_cache
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from parley.config import Settings
from parley.kit.secretbox import key_file

PREFIX = "fernet:"
_PURPOSE = b"parley webhook signing secrets"


class UnreadableSecret(Exception):
    """A stored secret this process's key cannot decrypt (a different or lost key)."""


def _derived(secret_key: str) -> bytes:
    # The same PARLEY_SECRET_KEY also signs cursors; HKDF gives this use its own key.
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_PURPOSE).derive(
        secret_key.encode()
    )
    return base64.urlsafe_b64encode(key)


@lru_cache(maxsize=8)
def _box(secret_key: str | None, previous: str, key_path: Path) -> MultiFernet:
    keys = [_derived(secret_key) if secret_key else key_file(key_path)]
    keys += [_derived(old.strip()) for old in previous.split(",") if old.strip()]
    if secret_key:
        # Moving from the key file to PARLEY_SECRET_KEY: what the file sealed still opens.
        with contextlib.suppress(FileNotFoundError):
            keys.append(key_path.read_bytes().strip())
    return MultiFernet([Fernet(key) for key in keys])


def box(settings: Settings) -> MultiFernet:
    """The cipher for this configuration: encrypts with the current key, decrypts with
    any known one."""
    current = settings.secret_key.get_secret_value() if settings.secret_key else None
    previous = settings.previous_secret_keys
    return _box(
        current,
        previous.get_secret_value() if previous else "",
        settings.secret_key_path.resolve(),
    )


def seal(settings: Settings, secret: str) -> str:
    return PREFIX + box(settings).encrypt(secret.encode()).decode("ascii")


def unseal(settings: Settings, stored: str) -> str:
    if not stored.startswith(PREFIX):
        return stored  # stored before secrets were encrypted
    try:
        return box(settings).decrypt(stored[len(PREFIX) :].encode("ascii")).decode()
    except InvalidToken as error:
        raise UnreadableSecret(
            "the webhook signing secret cannot be decrypted with this process's key "
            "(PARLEY_SECRET_KEY or PARLEY_HOME/secret.key differ between processes?)"
        ) from error
