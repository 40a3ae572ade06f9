"""Anchor the audit chain outside the database: sealed documents and checkpoints.

The chain in ``audit_event`` proves that no event changed *if* the hashes are trusted; someone
with database access can drop the trigger, edit an event and recompute every later hash, and
the plain check still says "intact". So every sealed document (sheet, recap, minutes) carries
the chain's head at the time it was made, and ``scoring audit checkpoint`` seals the current
head in a small PDF to keep off the server. Both are sealed with the institution's key: the
head is written in the page text and in the signature's /Reason, which the PAdES signature
covers, so it cannot be changed without breaking the seal. ``verify_against`` then compares the
chain with any number of such files and names the first contradiction.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l

from ..documents.sealing import SealJob, seal
from ..documents.signing import validate_pdf
from ..extensions import db
from ..models import AuditEvent, AuditHead, User, utcnow
from .audit import RequestInfo, record, verify_chain
from .errors import WorkflowError
from .institution_seal import document_css, institution_key

__all__ = ["AnchorCheck", "ChainHead", "anchor_reason", "chain_head", "make_checkpoint",
           "read_anchor", "verify_against"]

_MARK = re.compile(r"audit-head:(\d+):([0-9a-f]{64})")


@dataclass(frozen=True)
class ChainHead:
    """The audit chain's last event number and hash (event 0: the empty chain)."""

    event: int
    hash: str

    def to_dict(self) -> dict:
        """Return the plain data a document stores and prints."""
        return {"event": self.event, "hash": self.hash}


def chain_head() -> ChainHead:
    """Return the head of the chain as this transaction sees it."""
    head = db.session.get(AuditHead, 1)
    return ChainHead(head.last_id, head.last_hash)


def anchor_reason(text: str, head: ChainHead) -> str:
    """Return a signature reason that carries ``head`` (covered by the seal)."""
    return f"{text}; audit-head:{head.event}:{head.hash}"


def read_anchor(pdf: bytes) -> ChainHead | None:
    """Return the chain head written in a sealed PDF's signature reason, or None."""
    from pyhanko.pdf_utils.reader import PdfFileReader

    reader = PdfFileReader(io.BytesIO(pdf), strict=False)
    for signature in reader.embedded_signatures:
        found = _MARK.search(str(signature.sig_object.get("/Reason", "")))
        if found:
            return ChainHead(int(found.group(1)), found.group(2))
    return None


def make_checkpoint(*, actor: User | None = None, info: RequestInfo | None = None,
                    ) -> tuple[ChainHead, bytes]:
    """Seal the current head in a one-page PDF and record that it was made (not committed)."""
    head = chain_head()
    key = institution_key()
    made_at = utcnow()
    with force_locale("id"):
        html = current_app.jinja_env.get_template("reports/checkpoint.html").render(
            head=head.to_dict(), made_at=made_at, seal_subject=key.subject,
            institution=current_app.config.get("INSTITUTION_NAME"))
    job = SealJob(html, document_css(), reason=anchor_reason("audit checkpoint", head),
                  location=current_app.config.get("INSTITUTION_NAME") or "")
    pdf = seal(job, key)
    record("audit.checkpoint", actor, None, head.to_dict(), info=info)
    return head, pdf


@dataclass(frozen=True)
class AnchorCheck:
    """The chain compared with sealed files: ``ok``, or the first contradiction."""

    ok: bool
    events: int
    anchors: int
    first_bad_id: int | None = None
    expected: str | None = None
    found: str | None = None
    source: str | None = None
    problem: str = ""

    def to_dict(self) -> dict:
        """Return a JSON-able summary."""
        return {"ok": self.ok, "events": self.events, "anchors": self.anchors,
                "first_bad_id": self.first_bad_id, "expected": self.expected,
                "found": self.found, "file": self.source, "problem": self.problem}


def verify_against(files: list[tuple[str, bytes]]) -> AnchorCheck:
    """Check the chain, then every file's sealed head against it; name the first contradiction.

    A file must be sealed by this institution and unchanged; its head (event ``n``, hash ``h``)
    must match event ``n`` of the chain. Contradictions are reported in event order, so the
    answer names the earliest event known to have been rewritten and the file that proves it.
    """
    key = institution_key()
    heads: list[tuple[ChainHead, str]] = []
    for name, data in files:
        verdict = validate_pdf(data, key)
        if not verdict.valid:
            raise WorkflowError("bad_anchor", _l(
                "%(f)s is not a document sealed by this institution: %(r)s",
                f=name, r=verdict.reason))
        head = read_anchor(data)
        if head is None:
            raise WorkflowError("no_anchor", _l(
                "%(f)s carries no audit chain head (sealed before anchoring).", f=name))
        heads.append((head, name))
    heads.sort(key=lambda pair: pair[0].event)
    plain = verify_chain()
    broken = plain.first_bad_id if not plain.ok else None
    for head, name in heads:
        if head.event == 0:
            continue  # the empty chain contradicts nothing
        if broken is not None and broken <= head.event:
            break  # the plain chain breaks first
        event = db.session.get(AuditEvent, head.event)
        found = event.hash if event is not None else None
        if found != head.hash:
            problem = (f"event {head.event} is missing" if event is None else
                       f"event {head.event} has hash {found}, but {name} sealed {head.hash}")
            return AnchorCheck(False, plain.events, len(heads), head.event, head.hash, found,
                               name, problem + "; the chain was rewritten at or before it")
    if not plain.ok:
        return AnchorCheck(False, plain.events, len(heads), plain.first_bad_id,
                           problem=plain.problem)
    return AnchorCheck(True, plain.events, len(heads))


def checkpoint_name(head: ChainHead, moment: datetime) -> str:
    """Return a default file name for a checkpoint of ``head``."""
    return f"audit-checkpoint-{head.event:08d}-{moment:%Y%m%dT%H%M%SZ}.pdf"
