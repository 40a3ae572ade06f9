"""Calibration sets, practice attempts and the certification gate: the only writers.

Practice answers live in their own tables (``calibration_*``): they never touch a real
sheet, a statistic of a session or the audit chain of real scores. The gate's decisions
(a session's requirement, an administrator's override) are audited, since they decide who
may sit on a panel.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from datetime import timedelta
from pathlib import Path

import numpy as np
from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ..calibration.figures import CalibrationFigures, reference_figures
from ..calibration.sets import SetFile
from ..extensions import db
from ..models import (
    CalibrationAnswer,
    CalibrationAttempt,
    CalibrationCase,
    CalibrationRequirement,
    CalibrationSet,
    CertificationOverride,
    InterviewSession,
    User,
    utcnow,
)
from ..rubrics import Rubric, rubric_from_json
from .audit import RequestInfo, record
from .errors import WorkflowError
from .sheets import _normalise, require_complete

MEDIA_FOLDER = "calibration-media"


def media_dir() -> Path:
    """Return the instance folder that holds calibration media (served on the LAN)."""
    return Path(current_app.instance_path) / MEDIA_FOLDER


def set_rubric(cal_set: CalibrationSet) -> Rubric:
    """Return the rubric snapshot a set was imported with."""
    return rubric_from_json(cal_set.rubric_snapshot, source=f"calibration set {cal_set.code}")


def import_set(parsed: SetFile, media_root: str | Path | None, *, actor: User | None = None,
               info: RequestInfo | None = None) -> CalibrationSet:
    """Store a validated set file and copy its media into the instance (caller commits)."""
    if db.session.scalar(select(CalibrationSet.id).where(CalibrationSet.code == parsed.code)):
        raise WorkflowError("set_exists", _l("A calibration set %(code)s already exists; give "
                                             "the file a new code.", code=parsed.code))
    rubric = parsed.rubric
    cal_set = CalibrationSet(
        code=parsed.code, title=parsed.title, description=parsed.description,
        rubric_id=rubric.id, rubric_version=rubric.version, rubric_hash=rubric.content_hash,
        rubric_snapshot=rubric.to_json(), min_exact=parsed.min_exact,
        min_adjacent=parsed.min_adjacent, max_abs_deviation=parsed.max_abs_deviation)
    for position, case in enumerate(parsed.cases):
        stored, digest = (None, None)
        if case.media and media_root is not None:
            stored, digest = _store_media(Path(media_root) / case.media)
        cal_set.cases.append(CalibrationCase(
            position=position, code=case.code, title=case.title, summary=case.summary,
            media=stored, media_sha256=digest,
            reference=json.dumps({code: {"level": r.level, "rationale": r.rationale}
                                  for code, r in case.reference.items()}, ensure_ascii=False)))
    db.session.add(cal_set)
    db.session.flush()
    record("calibration.import", actor, cal_set,
           {"code": cal_set.code, "cases": len(parsed.cases), "rubric_hash": rubric.content_hash},
           info=info)
    return cal_set


def _store_media(source: Path) -> tuple[str, str]:
    """Copy a media file under its content hash (the same file is stored once)."""
    digest = hashlib.sha256(source.read_bytes()).hexdigest()
    name = digest[:32] + source.suffix.lower()
    target = media_dir() / name
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
    return name, digest


def reference_of(case: CalibrationCase) -> dict[str, dict]:
    """Return a case's reference ``{code: {"level", "rationale"}}``."""
    return json.loads(case.reference)


def start_attempt(cal_set: CalibrationSet, examiner: User) -> CalibrationAttempt:
    """Return the examiner's unfinished attempt on the set, or start a new one."""
    attempt = db.session.scalar(
        select(CalibrationAttempt).where(CalibrationAttempt.set_id == cal_set.id,
                                         CalibrationAttempt.examiner_id == examiner.id,
                                         CalibrationAttempt.finished_at.is_(None))
        .order_by(CalibrationAttempt.id.desc()).limit(1))
    if attempt is None:
        attempt = CalibrationAttempt(set=cal_set, examiner=examiner)
        db.session.add(attempt)
        db.session.flush()
    return attempt


def answer_of(attempt: CalibrationAttempt, case: CalibrationCase) -> CalibrationAnswer | None:
    """Return the attempt's answer to ``case`` (None before the first save)."""
    return next((a for a in attempt.answers if a.case_id == case.id), None)


def _own(attempt: CalibrationAttempt, examiner: User) -> None:
    if attempt.examiner_id != examiner.id:
        raise WorkflowError("not_yours", _l("This practice attempt is someone else's."), 403)


def save_answer(attempt: CalibrationAttempt, case: CalibrationCase, examiner: User,
                scores, seq) -> tuple[CalibrationAnswer, bool]:
    """Save a practice case's full state unless a newer one was saved; return (answer, applied)."""
    _own(attempt, examiner)
    answer = answer_of(attempt, case)
    if answer is not None and answer.submitted_at is not None:
        raise WorkflowError("already_submitted", _l("This practice case is already submitted."))
    state = _normalise(set_rubric(attempt.set), scores)
    seq = _seq(seq)
    if answer is None:
        answer = CalibrationAnswer(attempt=attempt, case=case, scores="{}", client_seq=0)
        db.session.add(answer)
    if seq <= answer.client_seq:
        return answer, False
    answer.scores, answer.client_seq = json.dumps(state, ensure_ascii=False), seq
    db.session.flush()
    return answer, True


def _seq(seq) -> int:
    if isinstance(seq, bool) or not isinstance(seq, int) or seq < 0:
        raise WorkflowError("bad_seq", _l("The sequence number must be a whole number."), 400)
    return seq


def submit_answer(attempt: CalibrationAttempt, case: CalibrationCase, examiner: User,
                  scores, seq) -> CalibrationAnswer:
    """Submit a practice case; the last case of the set finishes the attempt with its figures."""
    _own(attempt, examiner)
    answer = answer_of(attempt, case)
    if answer is not None and answer.submitted_at is not None:
        return answer  # a retried submission: the first counts
    rubric = set_rubric(attempt.set)
    state = _normalise(rubric, scores)
    require_complete(rubric, state)
    answer, _ = save_answer(attempt, case, examiner, scores, max(_seq(seq), 1))
    answer.scores = json.dumps(state, ensure_ascii=False)
    answer.submitted_at = utcnow()
    db.session.flush()
    if all(answer_of(attempt, c) is not None and answer_of(attempt, c).submitted_at
           for c in attempt.set.cases):
        _finish(attempt, rubric)
    return answer


def attempt_arrays(attempt: CalibrationAttempt, rubric: Rubric,
                   submitted_only: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Return (levels, reference), shape (n_cases, n_criteria), NaN where not scored."""
    cases = attempt.set.cases
    x = np.full((len(cases), len(rubric.codes)), np.nan)
    r = np.full_like(x, np.nan)
    for i, case in enumerate(cases):
        ref = reference_of(case)
        answer = answer_of(attempt, case)
        if answer is None or (submitted_only and answer.submitted_at is None):
            continue
        state = json.loads(answer.scores)
        for j, code in enumerate(rubric.codes):
            level = (state.get(code) or {}).get("level")
            if level is not None:
                x[i, j], r[i, j] = level, ref[code]["level"]
    return x, r


def attempt_figures(attempt: CalibrationAttempt) -> CalibrationFigures:
    """Return the attempt's agreement with the reference over the cases submitted."""
    rubric = set_rubric(attempt.set)
    x, r = attempt_arrays(attempt, rubric)
    return reference_figures(x, r, rubric.codes)


def _finish(attempt: CalibrationAttempt, rubric: Rubric) -> None:
    figures = attempt_figures(attempt)
    s = attempt.set
    attempt.finished_at = utcnow()
    attempt.exact, attempt.adjacent = figures.exact, figures.adjacent
    attempt.mean_deviation = figures.mean_deviation
    attempt.passed = figures.passes(s.min_exact, s.min_adjacent, s.max_abs_deviation)
    db.session.flush()


# ---- the certification gate ------------------------------------------------------------------


def set_requirement(session: InterviewSession, cal_set: CalibrationSet | None, *,
                    min_exact: float | None = None, min_adjacent: float | None = None,
                    max_abs_deviation: float | None = None, valid_days: int = 365,
                    actor: User | None = None,
                    info: RequestInfo | None = None) -> CalibrationRequirement | None:
    """Require (or, with ``cal_set`` None, stop requiring) a calibration pass for a session."""
    current = db.session.get(CalibrationRequirement, session.id)
    if cal_set is None:
        if current is not None:
            db.session.delete(current)
            record("calibration.requirement_clear", actor, session, {}, session_id=session.id,
                   info=info)
        return None
    if cal_set.rubric_id != session.rubric_id:
        raise WorkflowError("wrong_rubric", _l("Set %(code)s is for rubric %(r)s, the session "
                                               "uses %(s)s.", code=cal_set.code,
                                               r=cal_set.rubric_id, s=session.rubric_id), 400)
    values = {"min_exact": cal_set.min_exact if min_exact is None else min_exact,
              "min_adjacent": cal_set.min_adjacent if min_adjacent is None else min_adjacent,
              "max_abs_deviation": (cal_set.max_abs_deviation if max_abs_deviation is None
                                    else max_abs_deviation)}
    for key, value in values.items():
        if not 0 <= value <= (10 if key == "max_abs_deviation" else 1):
            raise WorkflowError("bad_threshold", _l("A threshold is out of range."), 400)
    if not 1 <= valid_days <= 3650:
        raise WorkflowError("bad_validity", _l("The validity must be 1 to 3650 days."), 400)
    req = current or CalibrationRequirement(session_id=session.id)
    req.set_id, req.valid_days = cal_set.id, valid_days
    for key, value in values.items():
        setattr(req, key, float(value))
    db.session.add(req)
    db.session.flush()
    record("calibration.requirement", actor, session,
           {"set": cal_set.code, **values, "valid_days": valid_days}, session_id=session.id,
           info=info)
    return req


def qualifying_attempt(user: User, req: CalibrationRequirement,
                       at=None) -> CalibrationAttempt | None:
    """Return the user's newest finished attempt that meets the requirement and is still valid."""
    since = (at or utcnow()) - timedelta(days=req.valid_days)
    attempts = db.session.scalars(
        select(CalibrationAttempt).where(CalibrationAttempt.set_id == req.set_id,
                                         CalibrationAttempt.examiner_id == user.id,
                                         CalibrationAttempt.finished_at.is_not(None),
                                         CalibrationAttempt.finished_at >= since)
        .order_by(CalibrationAttempt.finished_at.desc()))
    for attempt in attempts:
        if attempt.exact >= req.min_exact - 1e-9 and attempt.adjacent >= req.min_adjacent - 1e-9 \
                and abs(attempt.mean_deviation) <= req.max_abs_deviation + 1e-9:
            return attempt
    return None


def certification_gap(user: User, session: InterviewSession) -> str | None:
    """Return why ``user`` may not sit on a panel of ``session`` (None: they may)."""
    req = db.session.get(CalibrationRequirement, session.id)
    if req is None or qualifying_attempt(user, req) is not None:
        return None
    if db.session.scalar(select(CertificationOverride.id).where(
            CertificationOverride.session_id == session.id,
            CertificationOverride.user_id == user.id)):
        return None
    return str(_l("%(u)s has not passed calibration set %(set)s within the last %(days)s days "
                  "(needed: exact agreement at least %(exact)s%%, adjacent at least "
                  "%(adjacent)s%%, mean deviation within ±%(dev)s points). Ask them to run "
                  "the set, or record an override with a reason.",
                  u=user.username, set=req.set.code, days=req.valid_days,
                  exact=round(req.min_exact * 100), adjacent=round(req.min_adjacent * 100),
                  dev=format(req.max_abs_deviation, "g")))


def check_certified(session: InterviewSession, users, already: set[int] = frozenset()) -> None:
    """Refuse to seat a member of ``users`` (not in ``already``) who fails the session's gate."""
    for user in users:
        if user.id in already:
            continue
        gap = certification_gap(user, session)
        if gap is not None:
            raise WorkflowError("not_certified", gap, 409)


def override_certification(session: InterviewSession, user: User, reason: str, *,
                           actor: User | None = None,
                           info: RequestInfo | None = None) -> CertificationOverride:
    """Let an uncertified examiner sit on the session's panels, with the reason (audited)."""
    reason = (reason or "").strip()
    if len(reason) < 10:
        raise WorkflowError("reason_required", _l("Give the reason for the override (at least "
                                                  "10 characters)."), 400)
    existing = db.session.scalar(select(CertificationOverride).where(
        CertificationOverride.session_id == session.id, CertificationOverride.user_id == user.id))
    if existing is not None:
        raise WorkflowError("override_exists", _l("%(u)s already has an override for this "
                                                  "session.", u=user.username))
    row = CertificationOverride(session_id=session.id, user=user, reason=reason, by=actor)
    db.session.add(row)
    db.session.flush()
    record("certification.override", actor, row,
           {"examiner": user.username, "reason": reason}, session_id=session.id, info=info)
    return row
