"""Encrypt secrets kept in the state database (warehouse passwords) with Fernet.

The key comes from ``PARLEY_SECRET_KEY`` when it is set (every replica then shares it),
else from a key file in ``PARLEY_HOME`` created on first use with mode 600. The state
database never holds the key, so a copy of the database alone reveals no password.
"""

from __future__ import annotations

import base64
import hashlib
import os
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken

from parley.config import Settings

KEY_FILE = "secret.key"


class SecretUnreadable(ValueError):
    """A stored secret that this key cannot decrypt (the key changed or was lost)."""


class SecretBox:
    def __init__(self, key: bytes) -> None:
        self._fernet = Fernet(key)

    @classmethod
    def from_settings(cls, settings: Settings) -> SecretBox:
        if settings.secret_key is not None:
            # Derived, so the setting may be any string; the prefix keeps this key apart
            # from the cursor-signing key derived from the same setting.
            digest = hashlib.sha256(
                b"parley-secretbox\0" + settings.secret_key.get_secret_value().encode()
            ).digest()
            return cls(base64.urlsafe_b64encode(digest))
        return cls(_key_file(settings.home / KEY_FILE))

    def seal(self, secret: str) -> str:
        return self._fernet.encrypt(secret.encode()).decode("ascii")

    def open(self, token: str) -> str:
        try:
            return self._fernet.decrypt(token.encode("ascii")).decode()
        except (InvalidToken, ValueError):
            raise SecretUnreadable(
                "a stored secret cannot be decrypted: PARLEY_SECRET_KEY or the key file "
                f"{KEY_FILE} in PARLEY_HOME is not the one it was saved with"
            ) from None


def _key_file(path: Path) -> bytes:
    try:
        return path.read_bytes().strip()
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    key = Fernet.generate_key()
    staged = path.with_name(f".{path.name}.{os.getpid()}")
    fd = os.open(staged, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(key)
    try:
        # A hard link appears whole or not at all: of two processes starting at once,
        # one links its key and both use it.
        os.link(staged, path)
    except FileExistsError:
        return path.read_bytes().strip()
    finally:
        staged.unlink(missing_ok=True)
    return key
