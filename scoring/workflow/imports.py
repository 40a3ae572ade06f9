"""Apply validated candidate and examiner lists: all rows or none."""

from __future__ import annotations

from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ..extensions import db
from ..manage.import_files import Parsed, Problem
from ..models import Assignment, Candidate, InterviewSession, Panel, User
from .audit import RequestInfo, record, record_changes
from .sessions import assign_candidate

PREVIEW_ROWS = 500  # rows listed on the preview page; the counts cover every row


@dataclass
class PreviewRow:
    """One row of the file as it would be imported: new, changed (what, from what) or same."""

    row: int
    status: str  # "new", "changed" or "unchanged"
    values: dict  # canonical column -> value from the file
    before: dict = field(default_factory=dict)  # changed canonical column -> stored value


@dataclass
class ImportReport:
    """What an import did (or, in a dry run, would do)."""

    kind: str
    dry_run: bool
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    assigned: int = 0
    problems: list[Problem] = field(default_factory=list)
    headers: dict = field(default_factory=dict)  # canonical column -> header as in the file
    rows: list[PreviewRow] = field(default_factory=list)

    def preview(self, row: int, status: str, values: dict, before: dict | None = None) -> None:
        """Remember a row for the preview (the first PREVIEW_ROWS only)."""
        if len(self.rows) < PREVIEW_ROWS:
            self.rows.append(PreviewRow(row, status, dict(values), before or {}))

    def column(self, name: str | None) -> str | None:
        """Return a canonical column name as the file spelled it."""
        return self.headers.get(name, name) if name else name

    @property
    def ok(self) -> bool:
        return not self.problems

    def to_dict(self) -> dict:
        """Return a JSON-able summary."""
        return {
            "kind": self.kind, "dry_run": self.dry_run, "ok": self.ok,
            "created": self.created, "updated": self.updated, "unchanged": self.unchanged,
            "assigned": self.assigned,
            "problems": [
                {"row": p.row, "column": p.column, "reason": str(p.reason)} for p in self.problems
            ],
        }


def import_candidates(
    parsed: Parsed,
    *,
    session: InterviewSession | None = None,
    dry_run: bool = False,
    actor: User | None = None,
    info: RequestInfo | None = None,
) -> ImportReport:
    """Create or update candidates keyed on participant number; assign to panels if given.

    Writes nothing when any row has a problem or when ``dry_run`` is set (the caller commits).
    """
    report = ImportReport("candidates", dry_run, problems=list(parsed.problems),
                          headers=dict(parsed.headers))
    panels = {}
    if session is not None:
        panels = {p.name: p for p in db.session.scalars(
            select(Panel).where(Panel.session_id == session.id))}
    numbers = [r["participant_number"] for _, r in parsed.records]
    existing = {c.participant_number: c for c in db.session.scalars(
        select(Candidate).where(Candidate.participant_number.in_(numbers)))} if numbers else {}
    for row, rec in parsed.records:
        if rec["panel"] is not None:
            if session is None:
                report.problems.append(Problem(row, "panel", _l(
                    "Choose a session to assign candidates to panels.")))
            elif rec["panel"] not in panels:
                report.problems.append(Problem(row, "panel", _l(
                    "No panel %(p)s in session %(s)s.", p=rec["panel"], s=session.code)))
            elif _has_sheets_elsewhere(existing.get(rec["participant_number"]), session,
                                       panels[rec["panel"]]):
                report.problems.append(Problem(row, "panel", _l(
                    "The candidate already has score sheets on another panel.")))
    if not report.ok or dry_run:
        _count_candidates(report, parsed, existing, panels, session, write=False)
        return report
    _count_candidates(report, parsed, existing, panels, session, write=True,
                      actor=actor, info=info)
    return report


def _has_sheets_elsewhere(candidate, session, panel) -> bool:
    if candidate is None:
        return False
    current = db.session.scalar(select(Assignment).where(
        Assignment.session_id == session.id, Assignment.candidate_id == candidate.id))
    return current is not None and current.panel_id != panel.id and bool(current.sheets)


def _count_candidates(report, parsed, existing, panels, session, *, write, actor=None,
                      info=None):
    for row, rec in parsed.records:
        fields = {"name": rec["name"], "position_applied": rec["position"], "nik": rec["nik"]}
        candidate = existing.get(rec["participant_number"])
        before = {}
        if candidate is not None:  # a column the file lacks keeps what is stored
            fields = {k: v for k, v in fields.items()
                      if _CANDIDATE_COLUMN.get(k, k) in parsed.columns}
            before = {_CANDIDATE_COLUMN.get(k, k): getattr(candidate, k) or ""
                      for k, v in fields.items() if getattr(candidate, k) != v}
        status = "new" if candidate is None else ("changed" if before else "unchanged")
        number = rec["participant_number"]
        candidate = _upsert(
            report, candidate, lambda f, n=number: Candidate(participant_number=n, **f), fields,
            noun="candidate", created=lambda c: {"participant_number": c.participant_number},
            secret={"nik"}, write=write, actor=actor, info=info)
        if rec["panel"] is not None and rec["panel"] in panels:
            status = _place(report, rec, candidate, panels[rec["panel"]], session, before,
                            status, write=write, actor=actor, info=info)
        report.preview(row, status, rec, before)


def _place(report, rec, candidate, panel, session, before: dict, status: str, *, write: bool,
           actor=None, info=None) -> str:
    """Place the candidate on its panel at its order (when that changes); return its status."""
    current = None
    if candidate is not None and candidate.id is not None:
        current = db.session.scalar(select(Assignment).where(
            Assignment.session_id == session.id, Assignment.candidate_id == candidate.id))
    wanted_pos = rec["order"]
    if current is None or current.panel_id != panel.id or (
            wanted_pos is not None and current.position != wanted_pos):
        if current is not None and current.panel_id != panel.id:
            before["panel"] = current.panel.name
            status = "changed" if status == "unchanged" else status
        report.assigned += 1
        if write:
            assign_candidate(panel, candidate, wanted_pos, actor=actor, info=info)
    return status


_CANDIDATE_COLUMN = {"position_applied": "position"}  # stored field -> import column


def import_examiners(
    parsed: Parsed,
    *,
    dry_run: bool = False,
    actor: User | None = None,
    info: RequestInfo | None = None,
) -> ImportReport:
    """Create or update examiners and chairs keyed on username; admins are never touched."""
    report = ImportReport("examiners", dry_run, problems=list(parsed.problems),
                          headers=dict(parsed.headers))
    names = [r["username"] for _, r in parsed.records]
    existing = {u.username: u for u in db.session.scalars(
        select(User).where(User.username.in_(names)))} if names else {}
    for row, rec in parsed.records:
        user = existing.get(rec["username"])
        if user is not None and user.role == "admin":
            report.problems.append(Problem(row, "username", _l(
                "%(u)s is an administrator and cannot be changed by an import.", u=user.username)))
    write = report.ok and not dry_run
    for row, rec in parsed.records:
        fields = {k: rec[k] for k in ("full_name", "role", "nip", "email")}
        user = existing.get(rec["username"])
        if user is not None:  # a column the file lacks keeps what is stored
            fields = {k: v for k, v in fields.items() if k in parsed.columns}
        before = {k: getattr(user, k) or "" for k, v in fields.items()
                  if user is not None and getattr(user, k) != v}
        report.preview(row, "new" if user is None else ("changed" if before else "unchanged"),
                       rec, before)
        name = rec["username"]
        _upsert(report, user, lambda f, n=name: User(username=n, **f), fields, noun="user",
                created=lambda u: {"username": u.username, "role": u.role, "via": "import"},
                write=write, actor=actor, info=info)
    return report


def _upsert(report: ImportReport, obj, make, fields: dict, *, noun: str, created, write: bool,
            secret: frozenset | set = frozenset(), actor: User | None = None,
            info: RequestInfo | None = None):
    """Create (``make(fields)``) or update ``obj`` from one imported row, counting it in
    ``report``; when ``write``, record ``<noun>.create`` (with ``created(obj)``) or
    ``<noun>.update``. Return the object (None for a new one not written)."""
    if obj is None:
        report.created += 1
        if write:
            obj = make(fields)
            db.session.add(obj)
            db.session.flush()
            record(f"{noun}.create", actor, obj, created(obj), info=info)
        return obj
    if not any(getattr(obj, k) != v for k, v in fields.items()):
        report.unchanged += 1
        return obj
    report.updated += 1
    if write:
        record_changes(f"{noun}.update", actor, obj, fields, secret=secret, info=info)
    return obj
