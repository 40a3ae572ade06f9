"""Signed documents: issue (render, seal, store once), find by code, check an uploaded PDF.

Issuing has three steps: prepare (data, source hash, reuse of a stored document, HTML), render
and seal (:mod:`scoring.documents.sealing`, pure, so a bulk export can run it in worker
processes), and store (the row and its audit record).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from flask import current_app, has_request_context, request
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from werkzeug.sansio.utils import host_is_trusted

from ..database import write_transaction
from ..documents import context as contexts
from ..documents.facts import document_facts
from ..documents.qr import qr_data_uri
from ..documents.sealing import SealJob, seal
from ..documents.signing import Verdict
from ..documents.signing import validate_pdf as validate_signature
from ..extensions import db
from ..models import Assignment, Document, InterviewSession, Panel, ScoreSheet, User
from ..rules.visibility import can_see_assignment, can_see_sheet
from .anchors import ChainHead, anchor_reason, chain_head
from .audit import RequestInfo, canonical_json, record
from .errors import WorkflowError
from .institution_seal import document_css, institution_key, signing_source

__all__ = [
    "PreparedDocument", "UploadCheck", "can_download_minutes", "can_download_recap",
    "can_download_sheet", "check_upload", "document_by_code", "document_css", "institution_key",
    "issue_minutes_document", "issue_recap_document", "issue_sheet_document",
    "prepare_sheet_document", "short_code", "signing_source", "store_document", "store_issued",
    "verify_base_url",
]

# Crockford's base32, lower case: no i, l, o, u, so a printed code reads back unambiguously.
ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"
TOKEN_LENGTH = 26  # 130 random bits
SHORT_LENGTH = 10  # printed: 50 bits, enough to find one document among millions
LANGS = ("id", "en")


def new_token() -> str:
    """Return a random, unguessable document token."""
    return "".join(secrets.choice(ALPHABET) for _ in range(TOKEN_LENGTH))


def short_code(token: str) -> str:
    """Return the printed short code: the token's first ten characters, grouped, upper case."""
    head = token[:SHORT_LENGTH].upper()
    return f"{head[:5]}-{head[5:]}"


def normalise_code(code: str) -> str:
    """Return ``code`` as typed by a person, in token form (case, dashes, look-alikes)."""
    text = "".join(ch for ch in (code or "").strip().lower() if ch not in "- \t")
    return text.translate(str.maketrans({"i": "1", "l": "1", "o": "0", "u": "v"}))


def document_by_code(code: str) -> Document | None:
    """Return the document with this token or printed short code, or None."""
    text = normalise_code(code)
    if not (SHORT_LENGTH <= len(text) <= TOKEN_LENGTH) or set(text) - set(ALPHABET):
        return None
    if len(text) == TOKEN_LENGTH:
        return db.session.scalar(select(Document).where(Document.token == text))
    found = db.session.scalars(
        select(Document).where(Document.token.startswith(text)).limit(2)).all()
    return found[0] if len(found) == 1 else None


def verify_base_url() -> str:
    """Return the public address the QR codes point to: PUBLIC_BASE_URL, else a trusted Host.

    Without PUBLIC_BASE_URL, only a request whose Host is in TRUSTED_HOSTS may lend its
    address (else anyone could send a forged Host and get a sealed document pointing at their
    own site); outside a request (CLI, background export) there is no address to trust at all.
    """
    base = current_app.config.get("PUBLIC_BASE_URL")
    if base:
        return base.rstrip("/")
    if not has_request_context():
        raise WorkflowError("no_public_address", _l(
            "Documents cannot be sealed: set PUBLIC_BASE_URL (the public address of this "
            "site, e.g. https://nilai.example.go.id) in instance/config.py, or pass --base-url."),
            503)
    trusted = current_app.config.get("TRUSTED_HOSTS")
    if not trusted:
        raise WorkflowError("no_public_address", _l(
            "Documents cannot be sealed: set PUBLIC_BASE_URL (or TRUSTED_HOSTS) in "
            "instance/config.py, so their QR codes cannot point to a forged address."), 503)
    if not host_is_trusted(request.host, trusted):  # Flask refuses these already; kept as a guard
        raise WorkflowError("untrusted_host", _l("This address is not one of TRUSTED_HOSTS."),
                            400)
    return request.url_root.rstrip("/")


def _verify_url(base: str, token: str) -> str:
    # Built by hand: background jobs and the CLI have no request to build a URL from.
    return f"{base}/verify/{token}"


def _existing(kind: str, digest: str, links: dict) -> Document | None:
    query = select(Document).where(Document.kind == kind, Document.source_hash == digest)
    for name, value in links.items():
        column = getattr(Document, name)
        query = query.where(column.is_(None) if value is None else column == value)
    return db.session.scalars(query.order_by(Document.id).limit(1)).first()


@dataclass(frozen=True)
class PreparedDocument:
    """A document ready to render and seal (``job``), and what storing it needs."""

    kind: str
    token: str
    source_hash: str
    lang: str
    session_id: int
    participant_number: str | None
    links: dict
    job: SealJob
    audit: ChainHead
    facts: str | None = None  # JSON of :func:`scoring.documents.facts.document_facts`



def _prepare(kind: str, data: dict, *, lang: str, base_url: str | None,
             participant_number: str | None, **links) -> Document | PreparedDocument:
    """Return the stored document for this data, or the HTML and facts to issue a new one."""
    if lang not in LANGS:
        raise WorkflowError("bad_lang", _l("Unknown language."), 400)
    base = base_url or verify_base_url()
    digest = contexts.source_hash({"data": data, "verify": base})
    facts = canonical_json(document_facts(kind, data))
    found = _existing(kind, digest, {**links, "lang": lang})
    if found is not None:
        if found.facts is None:  # issued before facts were kept: the same data made it
            found.facts = facts
        return found
    # The chain head is added after the source hash: a newer head is no new content.
    head = chain_head()
    data = {**data, "audit": head.to_dict()}
    key = institution_key()
    token = new_token()
    url = _verify_url(base, token)
    with force_locale(lang):
        html = current_app.jinja_env.get_template(f"reports/{kind}.html").render(
            doc=data, lang=lang, verify_url=url, short_code=short_code(token),
            qr=qr_data_uri(url), seal_subject=key.subject, verify_base=base,
            institution=current_app.config.get("INSTITUTION_NAME"))
    job = SealJob(html, document_css(),
                  reason=anchor_reason(f"{kind} {data['session']['code']}", head),
                  location=data["session"]["place"])
    return PreparedDocument(kind, token, digest, lang, data["session"]["id"],
                            participant_number, links, job, head, facts)


def store_document(prepared: PreparedDocument, pdf: bytes, *, actor: User | None,
                   info: RequestInfo | None) -> Document:
    """Store the sealed PDF of a prepared document and record its issue (not committed)."""
    document = Document(
        kind=prepared.kind, token=prepared.token, session_id=prepared.session_id,
        lang=prepared.lang, participant_number=prepared.participant_number,
        source_hash=prepared.source_hash, sha256=hashlib.sha256(pdf).hexdigest(), pdf=pdf,
        signed=True, facts=prepared.facts, audit_event=prepared.audit.event,
        audit_hash=prepared.audit.hash, **prepared.links)
    db.session.add(document)
    db.session.flush()
    record("document.issue", actor, document,
           {"kind": prepared.kind, "lang": prepared.lang, "sha256": document.sha256,
            "participant_number": prepared.participant_number},
           session_id=document.session_id, info=info)
    return document


def _issue(kind: str, data: dict, *, lang: str, base_url: str | None, actor: User | None,
           info: RequestInfo | None, participant_number: str | None, **links) -> Document:
    """Render, seal and store a document once; the same data returns the stored one."""
    prepared = _prepare(kind, data, lang=lang, base_url=base_url,
                        participant_number=participant_number, **links)
    if isinstance(prepared, Document):
        return prepared
    pdf = seal(prepared.job, institution_key())
    return store_issued(prepared, pdf, actor=actor, info=info)


def store_issued(prepared: PreparedDocument, pdf: bytes, *, actor: User | None,
                 info: RequestInfo | None) -> Document:
    """Store a sealed document in one short write transaction (after the slow work).

    If another request stored the same document meanwhile, that one is returned.
    """
    with write_transaction():
        found = _existing(prepared.kind, prepared.source_hash,
                          {**prepared.links, "lang": prepared.lang})
        document = found or store_document(prepared, pdf, actor=actor, info=info)
    return document


def _sheet_args(sheet: ScoreSheet, lang: str) -> tuple[dict, dict]:
    if sheet.status != "submitted":
        raise WorkflowError("not_submitted", _l("Only a submitted sheet has a signed PDF."))
    data = contexts.sheet_context(sheet, lang)
    return data, {"participant_number": data["candidate"]["participant_number"],
                  "sheet_id": sheet.id, "assignment_id": sheet.assignment_id,
                  "panel_id": sheet.assignment.panel_id}


def prepare_sheet_document(sheet: ScoreSheet, lang: str = "id", *,
                           base_url: str | None = None) -> Document | PreparedDocument:
    """Return a sheet's stored document, or what rendering and sealing a new one needs."""
    data, facts = _sheet_args(sheet, lang)
    return _prepare("sheet", data, lang=lang, base_url=base_url, **facts)


def issue_sheet_document(sheet: ScoreSheet, lang: str = "id", *, actor: User | None = None,
                         info: RequestInfo | None = None,
                         base_url: str | None = None) -> Document:
    """Return the signed PDF of a submitted examiner sheet (issued once per content)."""
    data, facts = _sheet_args(sheet, lang)
    return _issue("sheet", data, lang=lang, base_url=base_url, actor=actor, info=info, **facts)


def issue_recap_document(assignment: Assignment, lang: str = "id", *,
                         actor: User | None = None, info: RequestInfo | None = None,
                         base_url: str | None = None) -> Document:
    """Return the signed recap of a candidate closed by the chair."""
    if assignment.status != "closed":
        raise WorkflowError("not_closed", _l(
            "The recap is issued once the chair has closed the candidate."))
    data = contexts.recap_context(assignment, lang)
    return _issue("recap", data, lang=lang, base_url=base_url, actor=actor, info=info,
                  participant_number=data["candidate"]["participant_number"],
                  assignment_id=assignment.id, panel_id=assignment.panel_id, sheet_id=None)


def issue_minutes_document(session: InterviewSession, panel: Panel | None = None,
                           lang: str = "id", *, actor: User | None = None,
                           info: RequestInfo | None = None,
                           base_url: str | None = None) -> Document:
    """Return the signed minutes (berita acara) of a session or of one of its panels."""
    data = contexts.minutes_context(session, panel, lang)
    return _issue("minutes", data, lang=lang, base_url=base_url, actor=actor, info=info,
                  participant_number=None, panel_id=panel.id if panel else None,
                  assignment_id=None, sheet_id=None)


def _is_chair(user: User, panel: Panel) -> bool:
    return panel.chair_id == user.id


def can_download_sheet(user: User, sheet: ScoreSheet) -> bool:
    """Return whether ``user`` may download the sheet's PDF: its examiner, else the chair and
    admins once the visibility rule lets them see the candidate's numbers."""
    if sheet.status != "submitted":
        return False
    if sheet.examiner_id == user.id:
        return True
    return ((user.role == "admin" or _is_chair(user, sheet.assignment.panel))
            and can_see_sheet(sheet, user))


def can_download_recap(user: User, assignment: Assignment) -> bool:
    """Return whether ``user`` may download a candidate's recap: the chair or admins, once
    they may see the candidate's numbers."""
    return ((user.role == "admin" or _is_chair(user, assignment.panel))
            and can_see_assignment(assignment, user))


def can_download_minutes(user: User, session: InterviewSession, panel: Panel | None) -> bool:
    """Return whether ``user`` may download minutes: admins, or the chair of that panel."""
    if user.role == "admin":
        return True
    return panel is not None and _is_chair(user, panel)


@dataclass(frozen=True)
class UploadCheck:
    """The answer to an uploaded PDF: ``valid``, ``invalid`` or ``foreign``, and the document."""

    status: str
    code: str
    reason: str
    document: Document | None = None


def check_upload(data: bytes) -> UploadCheck:
    """Validate an uploaded PDF against the institution's certificate and the register."""
    if not data.startswith(b"%PDF-") and b"%PDF-" not in data[:1024]:
        return UploadCheck("foreign", "not_pdf", "not a PDF file")
    verdict: Verdict = validate_signature(data, institution_key())
    if not verdict.valid:
        return UploadCheck(verdict.status, verdict.code, verdict.reason)
    document = db.session.scalar(
        select(Document).where(Document.sha256 == hashlib.sha256(data).hexdigest()))
    if document is None:
        return UploadCheck("invalid", "not_registered", "sealed by this institution, but not in "
                                                       "its register of issued documents")
    return UploadCheck("valid", verdict.code, verdict.reason, document)
