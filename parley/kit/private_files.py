"""Files and folders only their owner may read: the state database holds every prompt,
the cursor signing key and webhook secrets, and the credentials file live tokens."""

from __future__ import annotations

import logging
import os
from pathlib import Path

log = logging.getLogger("parley.files")

DIR_MODE = 0o700
FILE_MODE = 0o600


def _restrict(path: Path, mode: int) -> None:
    try:
        if path.stat().st_mode & 0o777 != mode:
            os.chmod(path, mode)
    except PermissionError:
        # Someone else's folder or file: say so, and carry on with what we were given.
        log.warning("cannot restrict permissions", extra={"path": str(path)})
    except FileNotFoundError:
        pass


def private_dir(path: Path) -> None:
    """``path`` (and missing parents) as a folder only its owner may enter."""
    path.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
    _restrict(path, DIR_MODE)


def private_file(path: Path) -> None:
    """``path`` as a file only its owner may read or write; an empty one if missing."""
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE))
    except FileExistsError:
        _restrict(path, FILE_MODE)


def restrict_if_present(path: Path) -> None:
    _restrict(path, FILE_MODE)
