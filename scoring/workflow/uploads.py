"""Uploads kept between a preview and its confirmation: staged, found again, swept.

An import file is checked in a dry run first; only a clean file is kept, under ``imports/``
in the shared storage folder (``STORAGE_DIR``, else ``instance/``), keyed by a random token,
for the same administrator to confirm.
Files nobody confirmed within a day are swept away whenever a new one is staged.
"""

from __future__ import annotations

import json
import re
import secrets
import time
from dataclasses import dataclass
from pathlib import Path

from ..ops.private_files import write_private
from ..ops.storage import storage_folder

TOKEN = re.compile(r"^[0-9a-f]{32}$")
KEEP_SECONDS = 24 * 3600
SUFFIXES = (".csv", ".txt", ".xlsx", ".xlsm")


@dataclass(frozen=True)
class StagedUpload:
    """A kept upload: what it is, whose it is, and its bytes."""

    token: str
    kind: str
    filename: str
    session_id: int | None
    user_id: int
    data: bytes


def _folder() -> Path:
    return storage_folder("imports")  # shared by every app server


def sweep_uploads(folder: Path | None = None) -> None:
    """Delete uploads nobody confirmed within a day."""
    folder = folder or _folder()
    cutoff = time.time() - KEEP_SECONDS
    for path in folder.iterdir():
        if path.stat().st_mtime < cutoff:
            path.unlink(missing_ok=True)


def stage_upload(kind: str, filename: str, data: bytes, session_id: int | None,
                 user_id: int) -> str:
    """Keep a checked upload for its confirmation; return its token."""
    suffix = Path(filename).suffix.lower()
    token = secrets.token_hex(16)
    folder = _folder()
    sweep_uploads(folder)
    write_private(folder / f"{token}.data", data)
    write_private(folder / f"{token}.json", json.dumps({
        "kind": kind, "filename": filename if suffix in SUFFIXES else filename + ".csv",
        "session_id": session_id, "user_id": user_id}))
    return token


def staged_upload(token: str) -> StagedUpload | None:
    """Return the upload kept under ``token``, or None when it expired or never was."""
    if not TOKEN.match(token):
        return None
    folder = _folder()
    meta_path, data_path = folder / f"{token}.json", folder / f"{token}.data"
    if not meta_path.is_file() or not data_path.is_file():
        return None
    meta = json.loads(meta_path.read_text())
    return StagedUpload(token, meta["kind"], meta["filename"], meta["session_id"],
                        meta["user_id"], data_path.read_bytes())


def discard_upload(token: str) -> None:
    """Delete a kept upload (after its import)."""
    folder = _folder()
    for suffix in (".json", ".data"):
        (folder / f"{token}{suffix}").unlink(missing_ok=True)
