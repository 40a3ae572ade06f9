"""Examiner records: per session the figures of the agreement report, plus training results.

Every session figure comes from :func:`scoring.chair.agreement_report.analyse` (``scoring.stats``
on the
pre-discussion scores of the candidates the viewer may see, :mod:`scoring.rules.visibility`), the
same numbers the panel's agreement report shows. Per-criterion tendencies for the briefing
are :func:`scoring.stats.rater_effects` on one criterion at a time.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from sqlalchemy import select

from ..calibration.queries import attempts_of
from ..chair.agreement_report import analyse, load_panels
from ..chair.queries import rubric_thresholds
from ..extensions import db
from ..models import InterviewSession, Panel, PanelMember, User
from ..rules.sheet_facts import session_rubric
from ..rules.visibility import ADMIN
from ..shadow.queries import seats_of, shadow_agreement
from ..stats import rater_effects

# JSON keys of `scoring examiner history --json` (issue 15, point 6).
SESSION_KEYS = ("session", "panel", "deviation", "ci_low", "ci_high", "consistency", "flags")
CALIBRATION_KEYS = ("set", "exact", "adjacent", "mean_deviation", "passed", "at")
SHADOW_KEYS = ("session", "panel", "exact", "adjacent")


def _num(value) -> float | None:
    return float(value) if value is not None and math.isfinite(value) else None


@dataclass
class SessionFigures:
    """One examiner's figures in one session (one panel)."""

    session: str
    session_name: str
    held_on: object
    panel: str
    n_candidates: int
    deviation: float | None
    ci_low: float | None
    ci_high: float | None
    consistency: float | None  # correlation with the rest of the panel
    spread: float | None  # SD of own scores / SD of the panel's
    flags: list[str]
    effect: dict = field(repr=False, default_factory=dict)  # the report's examiner row
    criteria: dict[str, float] = field(default_factory=dict)  # per-criterion deviation
    min_candidates: int = 10


@dataclass
class Record:
    """An examiner's record across sessions."""

    user: User
    sessions: list[SessionFigures]
    calibration: list[dict]
    shadow: list[dict]

    def summary(self) -> dict:
        """Return the figures a table of all examiners sorts by."""
        devs = [s.deviation for s in self.sessions if s.deviation is not None]
        cons = [s.consistency for s in self.sessions if s.consistency is not None]
        last = next((c for c in self.calibration if c["exact"] is not None), None)
        return {"username": self.user.username, "name": self.user.full_name,
                "sessions": len(self.sessions),
                "mean_deviation": sum(devs) / len(devs) if devs else None,
                "last_deviation": devs[-1] if devs else None,
                "consistency": sum(cons) / len(cons) if cons else None,
                "flags": sum(len(s.flags) for s in self.sessions),
                "calibration_exact": last["exact"] if last else None,
                "certified": any(c["passed"] for c in self.calibration)}

    def to_json(self) -> dict:
        """Return the record as the command line's JSON (issue 15, point 6)."""
        return {
            "examiner": self.user.username,
            "sessions": [{"session": s.session, "panel": s.panel, "deviation": s.deviation,
                          "ci_low": s.ci_low, "ci_high": s.ci_high,
                          "consistency": s.consistency, "flags": list(s.flags)}
                         for s in self.sessions],
            "calibration": [{k: c[k] for k in CALIBRATION_KEYS} for c in self.calibration],
            "shadow": [{k: s[k] for k in SHADOW_KEYS} for s in self.shadow],
        }


def _member_panels(user_ids: set[int] | None) -> list[Panel]:
    query = (select(Panel).join(InterviewSession, InterviewSession.id == Panel.session_id)
             .where(InterviewSession.status != "draft")
             .order_by(InterviewSession.held_on, InterviewSession.id, Panel.name))
    if user_ids is not None:
        query = query.where(Panel.id.in_(select(PanelMember.panel_id)
                                         .where(PanelMember.user_id.in_(user_ids))))
    return list(db.session.scalars(query))


def session_figures(user_ids: set[int] | None, viewer=ADMIN,
                    per_criterion: bool = False) -> dict[int, list[SessionFigures]]:
    """Return ``{user id: [SessionFigures, ...]}`` in session order for the panels they sat on."""
    out: dict[int, list[SessionFigures]] = {}
    for panel in _member_panels(user_ids):
        rubric = session_rubric(panel.session)
        data = load_panels([panel], rubric, viewer)[panel.id]
        report = analyse(data, rubric, with_drift=False, with_rasch=False)
        rows = {e["examiner"]: e for e in report.get("examiners", [])}
        minimum = rubric_thresholds(rubric).min_candidates
        for j, person in enumerate(data.examiners):
            if user_ids is not None and person["id"] not in user_ids:
                continue
            e = rows.get(person["username"])
            figures = SessionFigures(
                panel.session.code, panel.session.name, panel.session.held_on, panel.name,
                len(data.candidates),
                _num(e["deviation"]) if e else None, _num(e["ci_low"]) if e else None,
                _num(e["ci_high"]) if e else None, _num(e["rest_correlation"]) if e else None,
                _num(e["sd_ratio"]) if e else None, list(e["flags"]) if e else [],
                e or {}, min_candidates=minimum)
            if per_criterion and e and len(data.examiners) >= 2 and len(data.candidates) >= 2:
                scale = (rubric.scale.min, rubric.scale.max)
                for c, code in enumerate(data.criteria):
                    effects = rater_effects(data.ratings[:, :, c:c + 1], scale)
                    figures.criteria[code] = _num(effects[j].deviation)
            out.setdefault(person["id"], []).append(figures)
    return out


def calibration_rows(user: User) -> list[dict]:
    """Return the user's finished calibration attempts, oldest first."""
    rows = []
    for a in reversed(attempts_of(user)):
        if a.finished_at is None:
            continue
        rows.append({"set": a.set.code, "exact": a.exact, "adjacent": a.adjacent,
                     "mean_deviation": a.mean_deviation, "passed": bool(a.passed),
                     "at": a.finished_at.isoformat(), "attempt": a})
    return rows


def shadow_rows(user: User) -> list[dict]:
    """Return the user's shadow seats with their agreement with each panel."""
    out = []
    for seat in reversed(seats_of(user)):
        agreement = shadow_agreement(user, seat.panel)
        out.append({"session": seat.panel.session.code, "panel": seat.panel.name,
                    "exact": agreement["exact"], "adjacent": agreement["adjacent"],
                    "n": agreement["n"]})
    return out


def examiner_record(user: User, viewer=ADMIN, per_criterion: bool = False) -> Record:
    """Return one examiner's record as ``viewer`` may see it."""
    sessions = session_figures({user.id}, viewer, per_criterion).get(user.id, [])
    return Record(user, sessions, calibration_rows(user), shadow_rows(user))


def all_records(viewer=ADMIN) -> list[Record]:
    """Return every examiner's and chair's record (the panels' analyses computed once each)."""
    people = list(db.session.scalars(select(User).where(User.role.in_(("examiner", "chair")))
                                     .order_by(User.username)))
    figures = session_figures(None, viewer)
    return [Record(u, figures.get(u.id, []), calibration_rows(u), shadow_rows(u))
            for u in people]


def find_examiner(username: str) -> User | None:
    """Return the user named ``username``."""
    return db.session.scalar(select(User).where(User.username == username))


def upcoming_session(user: User) -> InterviewSession | None:
    """Return the next draft or open session with the user on a panel (or shadowing one)."""
    from ..models import ShadowSeat

    member = select(PanelMember.panel_id).where(PanelMember.user_id == user.id)
    shadow = select(ShadowSeat.panel_id).where(ShadowSeat.user_id == user.id)
    return db.session.scalar(
        select(InterviewSession).join(Panel, Panel.session_id == InterviewSession.id)
        .where(InterviewSession.status.in_(("draft", "open")),
               Panel.id.in_(member) | Panel.id.in_(shadow))
        .order_by(InterviewSession.held_on, InterviewSession.id).limit(1))


def last_session(record: Record) -> InterviewSession | None:
    """Return the newest session of the record."""
    if not record.sessions:
        return None
    return db.session.scalar(select(InterviewSession).where(
        InterviewSession.code == record.sessions[-1].session))
