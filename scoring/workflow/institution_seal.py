"""The institution's seal: its signing key and the stylesheet every sealed document uses.

Both the documents and the audit chain's checkpoints are sealed with it, so it sits below
both (``workflow.documents`` and ``workflow.anchors`` import it; it imports neither).
"""

from __future__ import annotations

from pathlib import Path

from flask import current_app
from flask_babel import lazy_gettext as _l

from ..documents.sealing import KeySource
from ..documents.signing import SigningError, SigningKey
from .errors import WorkflowError


def signing_source() -> KeySource:
    """Return where the institution's key is, as plain paths a worker process can load."""
    config = current_app.config
    folder = Path(current_app.instance_path) / config["SIGNING_DIR"]
    return KeySource(str(folder), config.get("SIGNING_PKCS12"),
                     config.get("SIGNING_PKCS12_PASSPHRASE"))


def institution_key() -> SigningKey:
    """Return the institution's signing key (configured PKCS#12, else instance/signing)."""
    try:
        return signing_source().load()
    except SigningError as exc:
        current_app.logger.error("%s", exc)
        raise WorkflowError("no_signing_key", _l(
            "Documents cannot be signed: the institution's signing key is missing. "
            "Ask the administrator to run `scoring init`."), 503) from exc


def document_css() -> str:
    """Return the stylesheet text of the signed documents."""
    env = current_app.jinja_env
    return env.loader.get_source(env, "reports/document.css")[0]
