"""Encrypt secrets kept in the state database (warehouse passwords) with Fernet.

The key comes from ``PARLEY_SECRET_KEY`` when it is set (every replica then shares it),
else from a key file in ``PARLEY_HOME`` created on first use with mode 600. The state
database never holds the key, so a copy of the database alone reveals no password.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import os
import secrets
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from parley.config import Settings

KEY_FILE = "secret.key"


class SecretUnreadable(ValueError):
    """A stored secret that this key cannot decrypt (the key changed or was lost)."""


class SecretBox:
    def __init__(self, key: bytes, *older: bytes) -> None:
        # Encrypts with ``key``; decrypts with it or any older key (a rotation).
        self._fernet = MultiFernet([Fernet(k) for k in (key, *older)])

    @classmethod
    def from_settings(cls, settings: Settings) -> SecretBox:
        previous = settings.previous_secret_keys
        older = [
            _derived(old.strip())
            for old in (previous.get_secret_value() if previous else "").split(",")
            if old.strip()
        ]
        if settings.secret_key is None:
            # Moving from PARLEY_SECRET_KEY back to the key file: the former values listed
            # in PARLEY_PREVIOUS_SECRET_KEYS still open what they sealed.
            return cls(key_file(settings.secret_key_path), *older)
        if settings.secret_key_path.exists():
            # Moving from the key file to PARLEY_SECRET_KEY: what the file sealed still opens.
            older.append(settings.secret_key_path.read_bytes().strip())
        return cls(_derived(settings.secret_key.get_secret_value()), *older)

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


def _derived(secret_key: str) -> bytes:
    # Derived, so the setting may be any string; the prefix keeps this key apart from the
    # cursor-signing key derived from the same setting.
    digest = hashlib.sha256(b"parley-secretbox\0" + secret_key.encode()).digest()
    return base64.urlsafe_b64encode(digest)


def key_file(path: Path) -> bytes:
    """The Fernet key in ``path``, created (0600, atomically) if there is none yet. One
    file serves every secret Parley encrypts (warehouse passwords, webhook signing
    secrets); each use keeps its own key when ``PARLEY_SECRET_KEY`` is set instead."""
    with contextlib.suppress(FileNotFoundError):
        return path.read_bytes().strip()
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    draft = path.with_name(f".{path.name}.{secrets.token_hex(6)}")
    fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(Fernet.generate_key() + b"\n")
        # link() never replaces: if another process made the key first, theirs stands.
        with contextlib.suppress(FileExistsError):
            os.link(draft, path)
    finally:
        draft.unlink(missing_ok=True)
    return path.read_bytes().strip()
