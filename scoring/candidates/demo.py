"""Demo data of issue 16: candidates' codes and a small published session with objections.

The classic demo session stays as it is (open, two thirds scored); beside it this adds an
earlier, published session (one panel of its own, eight candidates, the
integrity rubric) whose candidates can open their explained result at /hasil, with an
objection window open now: one objection answered (rejected, by an examiner of another panel)
and one pending. Codes are derived from a fixed seed, like the demo's passwords, so the logins
it prints are the same every time. Everything goes through the workflow verbs.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac

import numpy as np
from sqlalchemy import select

from ..extensions import db
from ..models import Candidate, CandidateCode, InterviewSession, User, utcnow
from ..ops.builders import chaired_panel, clipped, score, seat, settle, sheet_of, shipped_rubric
from ..workflow import CLI, create_session, create_user, set_session_status
from ..workflow.candidates import CODE_ALPHABET, CODE_LENGTH, issue_codes
from ..workflow.finality import close_session
from ..workflow.objections import answer_objection, assign_responder, file_objection, set_policy

PUBLISHED_CODE = "DEMO-PRM-2025-T1"
SEED = b"scoring-demo-candidates-2025"
RUBRIC_FILE = "integritas-moralitas-pppk.yaml"
CANDIDATES = 8
# The two candidates whose logins the demo prints: objection answered, objection pending.
ANSWERED, PENDING = "PRM25T1-0001", "PRM25T1-0002"


def demo_code(participant_number: str) -> str:
    """Return the demo's fixed access code of a candidate (never used outside the demo)."""
    digest = hmac.new(SEED, participant_number.encode(), hashlib.sha256).digest()
    return "".join(CODE_ALPHABET[b % len(CODE_ALPHABET)] for b in digest[:CODE_LENGTH])


def _formatted(code: str) -> str:
    return "-".join(code[i:i + 4] for i in range(0, len(code), 4))


def candidate_logins() -> list[tuple[str, str, str]]:
    """Return (participant number, code, note) of the two candidates the demo prints."""
    return [(ANSWERED, _formatted(demo_code(ANSWERED)), "candidate at /hasil: objection answered"),
            (PENDING, _formatted(demo_code(PENDING)), "candidate at /hasil: objection pending")]


def load_candidate_demo(main: InterviewSession, users: dict[str, User], today: dt.date) -> None:
    """Issue codes to the demo session's candidates; add the published session (caller commits)."""
    issue_codes(main, info=CLI, choose=lambda a: demo_code(a.candidate.participant_number))
    rng = np.random.default_rng(20251115)
    rubric = shipped_rubric(RUBRIC_FILE)
    session = create_session(PUBLISHED_CODE, "Wawancara PPPK Kota Pariaman 2025 (Tahap 1)",
                             today - dt.timedelta(days=14), rubric,
                             place="Aula Balai Kota Pariaman", info=CLI)
    # A panel of its own (accounts without a password): the classic demo's chairs and
    # examiners keep exactly their boards, queues and statistics.
    chair = create_user("ketua-t1", "Ketua Panel A (Tahap 1)", "chair", info=CLI)
    members = [chair] + [create_user(f"penguji-t1-{e}", f"Penguji Tahap 1 Nomor {e}",
                                     "examiner", info=CLI) for e in range(1, 4)]
    panel = chaired_panel(session, "Panel A", members, room="Ruang 1", info=CLI)
    set_session_status(session, "open", info=CLI)
    positions = ["Guru Ahli Pertama", "Perawat Terampil"]
    for i in range(CANDIDATES):
        assignment = seat(panel, f"PRM25T1-{i + 1:04d}", f"Peserta Tahap 1 Nomor {i + 1}",
                          position_applied=positions[i % 2], info=CLI)
        ability = rng.normal(2.7, 0.5)
        for member in panel.members:
            levels = clipped(rubric, ability + rng.normal(0, 0.5, len(rubric.codes)))
            score(assignment, member.user, sheet_of(rubric, levels), info=CLI)
        settle(assignment, chair, info=CLI)
    close_session(session, users["admin"], confirm=True, info=CLI)
    issue_codes(session, info=CLI, choose=lambda a: demo_code(a.candidate.participant_number))
    now = utcnow()
    set_policy(session, opens_at=now - dt.timedelta(days=2), closes_at=now + dt.timedelta(days=5),
               share_notes=True, actor=users["admin"], info=CLI)
    answered = file_objection(_code(session, ANSWERED), "calculation",
                              "Saya merasa nilai kriteria Kejujuran terlalu rendah dibanding "
                              "jawaban yang saya berikan.", info=CLI)
    on_panel = {m.user_id for m in panel.members}
    others = [u for u in users.values() if u.role == "examiner" and u.id not in on_panel]
    first, second = (others + [users["admin"], users["admin"]])[:2]
    assign_responder(answered, first, actor=users["admin"], info=CLI)
    answer_objection(answered, "rejected",
                     "Nilai dihitung ulang dari lembar yang diserahkan keempat penguji dan "
                     "sesuai rumus rubrik; jangkar perilaku untuk level yang diberikan "
                     "tercantum pada halaman hasil Anda.", actor=first, info=CLI)
    pending = file_objection(_code(session, PENDING), "procedure",
                             "Wawancara saya dimulai 40 menit terlambat dari jadwal.", info=CLI)
    assign_responder(pending, second, actor=users["admin"], info=CLI)


def _code(session: InterviewSession, number: str) -> CandidateCode:
    from ..models import Assignment

    return db.session.scalar(
        select(CandidateCode).join(Assignment, Assignment.id == CandidateCode.assignment_id)
        .join(Candidate, Candidate.id == Assignment.candidate_id)
        .where(CandidateCode.session_id == session.id, Candidate.participant_number == number,
               CandidateCode.revoked_at.is_(None)))
