"""Reproducible demo data: one session, three panels of four, 60 candidates, two thirds scored.

``panels`` and ``candidates_per_panel`` make a load-sized demo of the same shape (a chair and
three examiners per panel, the last ~30% of each panel's candidates not yet interviewed); the
defaults give exactly the classic demo, from the same seed.

Everything goes through the workflow verbs, exactly as a real session would, so the audit
trail, receipts and constraints of the demo are real. Two examiners are planted so the
agreement reports have something to show: one lenient (about +0.8 points) and one erratic
(often scoring at random).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
from sqlalchemy import func, select

from ..extensions import db
from ..models import InterviewSession
from ..workflow import (
    CLI,
    create_session,
    create_user,
    declare_conflict,
    save_draft,
    set_session_status,
)
from .builders import chaired_panel, clipped, score, seat, sheet_of, shipped_rubric

DEMO_CODE = "DEMO-PRM-2025"
SEED = 20251128
RUBRIC_FILE = "wawancara-kompetensi-asn.yaml"

FIRST = ["Rahmat", "Siti", "Andi", "Nurul", "Fajar", "Rina", "Yusuf", "Dewi", "Hendra", "Putri",
         "Rizki", "Aulia", "Fauzan", "Intan", "Ilham", "Wulan", "Arif", "Lestari", "Zulfikar",
         "Mutiara", "Reza", "Fitri", "Gilang", "Annisa", "Taufik", "Yolanda", "Bayu", "Syafira",
         "Doni", "Melati"]
LAST = ["Chaniago", "Piliang", "Koto", "Tanjung", "Sikumbang", "Caniago", "Jambak", "Guci",
        "Panyalai", "Sinaga", "Rangkuti", "Saputra", "Maharani", "Hidayat", "Pratama"]
POSITIONS = ["Analis Kebijakan Ahli Pertama", "Pranata Komputer Ahli Pertama",
             "Penata Kelola Sistem dan Teknologi Informasi", "Guru Ahli Pertama",
             "Perawat Terampil", "Analis Keuangan Pusat dan Daerah Ahli Pertama"]


@dataclass(frozen=True)
class Login:
    """A demo account to print."""

    username: str
    password: str
    role: str
    note: str


def demo_exists() -> bool:
    """Return whether the demo session has been loaded."""
    return db.session.scalar(
        select(InterviewSession.id).where(InterviewSession.code == DEMO_CODE)
    ) is not None


DEFAULT_PANELS = 3
DEFAULT_CANDIDATES_PER_PANEL = 20


def demo_panel_count() -> int:
    """Return how many panels the loaded demo session has (0 if it is not loaded)."""
    from ..models import Panel

    return db.session.scalar(
        select(func.count(Panel.id)).join(InterviewSession, InterviewSession.id == Panel.session_id)
        .where(InterviewSession.code == DEMO_CODE)) or 0


def demo_logins(panels: int = DEFAULT_PANELS) -> list[Login]:
    """Return the demo accounts: an administrator, a chair and three examiners per panel."""
    logins = [Login("admin", "admin-demo-2025", "admin", "administrator")]
    for p in range(1, panels + 1):
        logins.append(Login(f"ketua{p}", f"ketua{p}-demo", "chair", f"chair of Panel {p}"))
        for e in range(1, 4):
            n = (p - 1) * 3 + e
            note = f"examiner, Panel {p}" + PLANTED.get(n, "")
            logins.append(Login(f"penguji{n}", f"penguji{n}-demo", "examiner", note))
    from ..candidates.demo import candidate_logins  # issue 16: participant number / code

    logins += [Login(number, code, "candidate", note) for number, code, note in candidate_logins()]
    return logins


PLANTED = {2: " (planted: lenient)", 6: " (planted: erratic)"}


def load_demo(today: dt.date | None = None, *, panels: int = DEFAULT_PANELS,
              candidates_per_panel: int = DEFAULT_CANDIDATES_PER_PANEL) -> list[Login]:
    """Load the demo into an empty database and return the logins (caller commits)."""
    if panels < 1 or candidates_per_panel < 1:
        raise ValueError("panels and candidates_per_panel must be at least 1")
    rng = np.random.default_rng(SEED)
    rubric = shipped_rubric(RUBRIC_FILE)
    logins = demo_logins(panels)
    users = {}
    for login in logins:
        if login.role == "candidate":
            continue
        number = "".join(ch for ch in login.username if ch.isdigit())
        name = {"admin": "Admin BKPSDM Kota Pariaman", "chair": f"Ketua Panel {number}",
                "examiner": f"Penguji {number}"}[login.role]
        users[login.username] = create_user(login.username, name, login.role, login.password,
                                            info=CLI)
    session = create_session(
        DEMO_CODE, "Wawancara CPNS Kota Pariaman 2025", today or _jakarta_today(), rubric,
        place="Aula Balai Kota Pariaman", info=CLI,
    )
    panel_rows = []
    for p in range(1, panels + 1):
        chair = users[f"ketua{p}"]
        members = [chair] + [users[f"penguji{(p - 1) * 3 + e}"] for e in range(1, 4)]
        panel_rows.append(chaired_panel(session, f"Panel {p}", members, room=f"Ruang {p}",
                                        info=CLI))
    set_session_status(session, "open", info=CLI)
    _candidates_and_scores(session, panel_rows, rubric, rng, candidates_per_panel)
    from ..candidates.demo import load_candidate_demo  # issue 16: codes, a published session

    load_candidate_demo(session, users, today or _jakarta_today())
    return logins


def _candidates_and_scores(session, panels, rubric, rng, per_panel: int) -> None:
    codes = rubric.codes
    lo, hi = rubric.scale.min, rubric.scale.max
    # One drawn signature per examiner, from its own seed: the scores' random stream is untouched.
    signatures = {m.user.username: _signature(SEED + m.user.id)
                  for panel in panels for m in panel.members}
    interviewed = per_panel - max(1, round(per_panel * 0.3))  # 14 of 20
    for i in range(len(panels) * per_panel):
        panel = panels[i // per_panel]
        nik = "1377" + f"{rng.integers(10**11, 10**12):012d}"
        assignment = seat(panel, f"PRM25-{i + 1:04d}",
                          f"{FIRST[i % len(FIRST)]} {LAST[(i * 7) % len(LAST)]}",
                          position_applied=POSITIONS[i % len(POSITIONS)], nik=nik, info=CLI)
        order = i % per_panel
        if order >= interviewed:  # the last six (of 20) of each panel are still to come
            continue
        ability = rng.normal(2.6, 0.55) + rng.normal(0, 0.35, len(codes))
        for member in panel.members:
            user = member.user
            if order == interviewed - 1 and member.position == 3:
                continue  # one examiner is still writing: a draft below, no sheet here
            levels = ability + rng.normal(0, 0.45, len(codes))
            if user.username == "penguji2":
                levels = levels + 0.8
            if user.username == "penguji6":
                noisy = rng.random(len(codes)) < 0.6
                levels = np.where(noisy, rng.uniform(lo - 0.5, hi + 0.5, len(codes)), levels)
            state = sheet_of(rubric, clipped(rubric, levels))
            if order == interviewed - 2 and member.position == 2:
                half = dict(list(state.items())[: len(codes) // 2])
                declare_conflict(assignment, user, "none", info=CLI)
                save_draft(assignment, user, half, client_id="demo", seq=1, info=CLI)
                continue
            score(assignment, user, state, signature_png=signatures[user.username], info=CLI)


def _jakarta_today() -> dt.date:
    """Return today's date in Pariaman (WIB), whatever the server's clock zone."""
    from zoneinfo import ZoneInfo

    return dt.datetime.now(ZoneInfo("Asia/Jakarta")).date()


def _signature(seed: int) -> bytes:
    """Draw a reproducible pen stroke, as an examiner's finger would on the signature pad."""
    import io

    from PIL import Image, ImageDraw

    rng = np.random.default_rng(seed)
    image = Image.new("LA", (360, 120), (255, 0))
    draw = ImageDraw.Draw(image)
    xs = np.linspace(20, 340, 60)
    ys = 60 + np.cumsum(rng.normal(0, 6, xs.size)) * 0.6 + 18 * np.sin(xs / rng.uniform(9, 16))
    draw.line(list(zip(xs.tolist(), np.clip(ys, 10, 110).tolist(), strict=True)),
              fill=(20, 255), width=3, joint="curve")
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()
