"""Create instance files readable by the server's own user only (0600 files, 0700 folders).

The instance folder holds the secret key, the signing key, the SQLite database, uploaded
lists with NIKs and exported documents: none of it is for other users of the machine. Files
are created with their final mode (never written world-readable and narrowed afterwards).
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

FILE_MODE = 0o600
DIR_MODE = 0o700


def private_dir(path: str | os.PathLike[str]) -> Path:
    """Create ``path`` (and missing parents) as 0700 and return it; narrow it if it exists."""
    folder = Path(path)
    folder.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
    with contextlib.suppress(PermissionError):  # a folder another user made stays theirs
        os.chmod(folder, DIR_MODE)
    return folder


def write_private(path: str | os.PathLike[str], data: bytes | str) -> Path:
    """Write ``data`` to ``path`` as a 0600 file (replacing its content) and return the path."""
    path = Path(path)
    raw = data.encode("utf-8") if isinstance(data, str) else data
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
    with os.fdopen(fd, "wb") as handle:
        os.fchmod(handle.fileno(), FILE_MODE)  # an existing file keeps its old mode otherwise
        handle.write(raw)
    return path


def create_private(path: str | os.PathLike[str]) -> Path:
    """Create ``path`` empty as a 0600 file (for writers that open it themselves)."""
    return write_private(path, b"")


def narrow(path: str | os.PathLike[str]) -> None:
    """Make an existing file 0600 (SQLite's database, WAL and shared-memory files)."""
    with contextlib.suppress(FileNotFoundError, PermissionError):
        os.chmod(path, FILE_MODE)
