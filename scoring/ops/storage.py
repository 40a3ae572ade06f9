"""Files kept outside the database, in one folder that every app server shares.

Documents (signed PDFs) live in the database; what is kept as files is the bulk exports'
ZIPs (written by ``scoring worker``, downloaded from any app server) and the imports waiting
for their confirmation (uploaded to one server, confirmed through another). They go under
``STORAGE_DIR``: by default the instance folder, which is enough for one machine; with
several app servers, a folder every server mounts (e.g. NFS), set in each server's
configuration or environment.
"""

from __future__ import annotations

from pathlib import Path

from flask import current_app

from .private_files import private_dir


def storage_dir() -> Path:
    """Return the shared storage folder (``STORAGE_DIR``, else the instance folder)."""
    configured = current_app.config.get("STORAGE_DIR")
    return Path(configured) if configured else Path(current_app.instance_path)


def storage_folder(name: str) -> Path:
    """Return the storage sub-folder ``name``, created 0700 when missing."""
    return private_dir(storage_dir() / name)
