"""Demo history: two earlier, closed sessions, calibration attempts and a shadow trainee.

Loaded by ``scoring demo`` after the classic demo (:func:`scoring.ops.demo.load_demo`), from its
own seed, through the workflow verbs. Planted so the examiner records have something to show:

* ``penguji2`` is lenient (about +0.8 points) in every session, as in the current one;
* ``penguji4`` is lenient in the first session (+0.9), runs the calibration set (fails, then
  passes) and is milder in the second (+0.45); unplanted in the current session;
* ``magang1``, a trainee, shadowed Panel 2 in the second session and shadows Panel 1 of the
  current session.
"""

from __future__ import annotations

import datetime as dt
from datetime import UTC

import numpy as np
from sqlalchemy import select

from ..calibration.transfer import read_set_file
from ..extensions import db
from ..models import InterviewSession, User
from ..ops.builders import chaired_panel, clipped, demo_note, score, seat, settle, sheet_of
from ..ops.demo import DEMO_CODE, POSITIONS, Login, _signature
from ..paths import data_dir
from ..workflow import CLI, create_session, create_user, session_rubric, set_session_status
from ..workflow import calibration as calibration_verbs
from ..workflow import shadow as shadow_verbs
from ..workflow.finality import close_session
from ..workflow.sheets import sheet_state

SEED = 20250301
SET_FILE = data_dir("rubrics") / "calibration" / "kalibrasi-wawancara-asn.yaml"
PER_PANEL = 12
# (code, name, date, leniency by examiner)
EARLIER = (
    ("DEMO-PRM-2025-A", "Wawancara PPPK Kota Pariaman 2025 (tahap I)", dt.date(2025, 3, 12),
     {"penguji2": 0.8, "penguji4": 0.9}),
    ("DEMO-PRM-2025-B", "Wawancara PPPK Kota Pariaman 2025 (tahap II)", dt.date(2025, 7, 16),
     {"penguji2": 0.8, "penguji4": 0.45}),
)
TRAINEE = Login("magang1", "magang1-demo", "examiner", "trainee, shadow of Panel 1")
FIRST = ["Gusti", "Mira", "Robi", "Nanda", "Ikhsan", "Vivi", "Jefri", "Tari", "Hafiz", "Ulfa"]
LAST = ["Chaniago", "Koto", "Piliang", "Tanjung", "Jambak", "Sikumbang"]


def history_loaded() -> bool:
    """Return whether the demo history has been loaded."""
    return db.session.scalar(select(InterviewSession.id).where(
        InterviewSession.code == EARLIER[0][0])) is not None


def history_logins() -> list[Login]:
    """Return the accounts the history adds."""
    return [TRAINEE]


def load_demo_history() -> list[Login]:
    """Add the history to a loaded demo (caller commits); return the new logins."""
    current = db.session.scalar(select(InterviewSession).where(InterviewSession.code == DEMO_CODE))
    if current is None:
        raise ValueError("load the demo first")
    rng = np.random.default_rng(SEED)
    users = {u.username: u for u in db.session.scalars(select(User))}
    trainee = create_user(TRAINEE.username, "Magang Penguji 1", "examiner", TRAINEE.password,
                          info=CLI)
    rubric = session_rubric(current)
    cal_set = calibration_verbs.import_set(read_set_file(SET_FILE), SET_FILE.parent, info=CLI)
    for index, (code, name, held_on, lenient) in enumerate(EARLIER):
        session = _session(code, name, held_on, rubric, users, rng, lenient, index,
                           trainee if index == 1 else None)
        close_session(session, users["admin"], confirm=True, info=CLI)
        if index == 0:  # between the sessions: penguji4 trains, fails once, then passes
            _calibrate(cal_set, users["penguji4"], rng, held_on, (0.9, 0.1))
            _calibrate(cal_set, users["penguji2"], rng, held_on, (0.8, 0.0))
    _calibrate(cal_set, users["penguji4"], rng, dt.date(2025, 5, 2), (0.15, 0.0))
    _shadow_current(current, trainee, rubric, rng)
    return history_logins()


def _session(code, name, held_on, rubric, users, rng, lenient, index, trainee):
    session = create_session(code, name, held_on, rubric, place="Aula Balai Kota Pariaman",
                             info=CLI)
    panels = []
    for p in range(1, 4):
        chair = users[f"ketua{p}"]
        members = [chair] + [users[f"penguji{(p - 1) * 3 + e}"] for e in range(1, 4)]
        panels.append(chaired_panel(session, f"Panel {p}", members, room=f"Ruang {p}",
                                    info=CLI))
    if trainee is not None:
        shadow_verbs.attach_shadow(panels[1], trainee, info=CLI)
    set_session_status(session, "open", info=CLI)
    codes = rubric.codes
    for i in range(3 * PER_PANEL):
        panel = panels[i // PER_PANEL]
        assignment = seat(panel, f"PRM25{'AB'[index]}-{i + 1:04d}",
                          f"{FIRST[i % len(FIRST)]} {LAST[(i * 5) % len(LAST)]}",
                          position_applied=POSITIONS[i % len(POSITIONS)], info=CLI)
        ability = rng.normal(2.6, 0.55) + rng.normal(0, 0.35, len(codes))
        for member in panel.members:
            user = member.user
            levels = ability + rng.normal(0, 0.45, len(codes)) + lenient.get(user.username, 0)
            score(assignment, user, sheet_of(rubric, clipped(rubric, levels)),
                  signature_png=_signature(SEED + user.id), info=CLI)
        if trainee is not None and panel is panels[1]:
            _shadow_sheet(assignment, trainee, rubric, ability, rng)
        settle(assignment, panel.chair, info=CLI)
    return session


def _shadow_sheet(assignment, trainee, rubric, ability, rng, submit=True) -> None:
    state = sheet_of(rubric, clipped(rubric, ability + rng.normal(0, 0.6, len(rubric.codes))))
    shadow_verbs.declare_shadow_conflict(assignment, trainee, "none")
    if submit:
        shadow_verbs.submit_shadow_sheet(assignment, trainee, state, 1)


def _calibrate(cal_set, user, rng, on: dt.date, bias: tuple[float, float]) -> None:
    """Run the set as ``user`` would: the reference plus a lean and some noise."""
    lean, noise = bias
    rubric = calibration_verbs.set_rubric(cal_set)
    attempt = calibration_verbs.start_attempt(cal_set, user)
    for case in cal_set.cases:
        ref = calibration_verbs.reference_of(case)
        state = {}
        for code in rubric.codes:
            level = ref[code]["level"] + lean + rng.normal(0, noise) if noise else \
                ref[code]["level"] + lean
            level = int(np.clip(np.rint(level), rubric.scale.min, rubric.scale.max))
            state[code] = {"level": level, "note": demo_note(rubric, level)}
        calibration_verbs.submit_answer(attempt, case, user, state, 1)
    # Back-date the demo's attempt to the day it stands for (the figures are unchanged).
    when = dt.datetime.combine(on + dt.timedelta(days=14), dt.time(9), tzinfo=UTC)
    attempt.started_at = attempt.finished_at = when


def _shadow_current(session, trainee, rubric, rng) -> None:
    """Seat the trainee beside Panel 1 of the current session, scoring its interviewed ones."""
    panel = next(p for p in session.panels if p.name == "Panel 1")
    shadow_verbs.attach_shadow(panel, trainee, info=CLI)
    for assignment in panel.assignments:
        sheets = [sheet_state(s) for s in assignment.sheets if s.status == "submitted"]
        if sheets:
            ability = np.array([np.mean([s[c]["level"] for s in sheets]) for c in rubric.codes])
            _shadow_sheet(assignment, trainee, rubric, ability, rng)
