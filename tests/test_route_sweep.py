"""Every GET route, as every role, at every stage of a candidate: no forbidden number leaks.

The routes come from the app's URL map, so a new route is swept automatically; a route
whose arguments cannot be built from the fixture must be listed in ``UNRESOLVED`` with a
reason, or the sweep fails. Bodies are read as text (HTML, JSON, CSV), cell by cell (XLSX,
through openpyxl) or through ``pdftotext`` (PDF).

The world: Panel 1 (``chair1``, who scores, with ``ex11`` and ``ex12``) holds one candidate
per stage; Panel 2 (``chair2``, ``ex21``, ``ex22``) one closed candidate. Every sheet carries
a note unique to it on every criterion, and the candidates that become visible have
distinctive means or final scores, so a leak of a sheet or of a candidate's figures is
recognisable. The expectations below are written out by hand from the rule of issue 10
(they do not call :mod:`scoring.rules.visibility`).
"""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
import subprocess
from dataclasses import dataclass

import pytest
from doc_helpers import prepare_signing
from factories import PASSWORD, make_world
from openpyxl import load_workbook
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from scoring import create_app
from scoring.extensions import db
from scoring.models import Publication
from scoring.rules.results import public_rows
from scoring.workflow import (
    close_candidate,
    declare_conflict,
    open_discussion,
    override_final_score,
    save_draft,
    submit_sheet,
)

# Stages of Panel 1's candidates: the sheets of (chair1, ex11, ex12); None: no sheet.
STAGES = {
    "c1": ("drafts", (None, "draft", "draft")),
    "c2": ("some submitted", ("draft", "draft", "submitted")),
    "c3": ("all but the chair", ("draft", "submitted", "submitted")),
    "c4": ("all submitted", ("submitted",) * 3),
    "c5": ("discussion", ("submitted",) * 3),
    "c6": ("closed", ("submitted",) * 3),
}
# Levels (SERVICE, TEAM, COMMUNICATION) per sheet: c4's SERVICE mean is 4.6667 and its score
# 4.08, c5's 1.3333 and 2.08, found nowhere else; c6 and c7 get distinctive overrides.
LEVELS = {
    "c1": [(3, 3, 3)] * 3, "c2": [(3, 3, 3)] * 3, "c3": [(3, 3, 3)] * 3,
    "c4": [(5, 3, 4), (5, 4, 4), (4, 3, 3)],
    "c5": [(1, 3, 3), (1, 3, 2), (2, 3, 3)],
    "c6": [(3, 2, 3)] * 3,
    "c7": [(2, 3, 2)] * 3,
}
OVERRIDES = {"c6": 3.1416, "c7": 2.7183}
FIGURES = {  # what a leak of the candidate's figures looks like, as pages and exports write it
    "c4": r"4[.,]67|4[.,]6667|4[.,]08(?:33)?", "c5": r"1[.,]33(?:33)?|2[.,]08(?:33)?",
    "c6": r"3[.,]14(?:16)?", "c7": r"2[.,]72|2[.,]7183",
}

ROLES = ("anonymous", "examiner_with_draft", "examiner_submitted", "examiner_other_panel",
         "chair_scoring_not_submitted", "chair_other_panel", "admin")
USERS = {"examiner_with_draft": "ex11", "examiner_submitted": "ex12",
         "examiner_other_panel": "ex21", "chair_scoring_not_submitted": "chair1",
         "chair_other_panel": "chair2", "admin": "admin"}

# Who may see each candidate's numbers, written out from the rule (session not public).
ALLOWED = {
    "c1": set(), "c2": set(), "c3": set(),
    "c4": {"chair1", "admin"},
    "c5": {"chair1", "admin", "ex11", "ex12"},
    "c6": {"chair1", "admin", "ex11", "ex12"},
    "c7": {"chair2", "admin", "ex21", "ex22"},
}
PUBLIC_ONCE_CLOSED = {"c4", "c5", "c6", "c7"}  # every sheet in: the public may see them
# What a publication carries: the final scores of closed candidates (the others are unranked).
PUBLISHED = {"c6", "c7"}

# Routes whose URL arguments the fixture cannot build, and why they need no sweep.
UNRESOLVED = {
    "static": "static files: no data",
    "verify.token": "a sealed document's random code is a capability: whoever holds the paper "
                    "holds its numbers (the page's content is tested in test_verify_content)",
    "documents.export": "a background export job's token; its sheets come from "
                        "export_sheet_ids, tested in test_visibility_exports",
    "documents.export_progress": "a background export job's token (counts only)",
    "documents.export_download": "a background export job's token (see documents.export)",
    # Issue 15: practice attempts and their cases hold no candidate and no real score; that
    # only their own examiner reaches them is tested in test_calibration.
    "calibration.case": "a practice attempt's case (practice levels, never a candidate's)",
    "calibration.result": "a practice attempt's figures against the reference",
    "calibration.scores_csv": "a practice attempt's levels beside the reference",
    "calibration.media": "a practice case's audio or video file",
}


def _note(candidate: str, username: str) -> str:
    return f"ZQ{candidate}{username}NOTE"


@dataclass
class Sweep:
    """The planted world: ids to build URLs from, and what each viewer must not read."""

    args: dict
    numbers: dict  # candidate key -> participant number
    assignments: dict  # candidate key -> assignment id
    sheets: dict  # (candidate key, username) -> sheet status


def _state(rubric, candidate: str, seat: int, username: str) -> dict:
    levels = LEVELS[candidate][seat]
    return {code: {"level": level, "note": _note(candidate, username)}
            for code, level in zip(rubric.codes, levels, strict=True)}


def _plant(assignment, examiners, candidate, statuses, rubric) -> dict:
    out = {}
    for seat, (user, status) in enumerate(zip(examiners, statuses, strict=True)):
        if status is None:
            continue
        declare_conflict(assignment, user, "none")
        state = _state(rubric, candidate, seat, user.username)
        if status == "draft":
            save_draft(assignment, user, state, client_id="sweep", seq=1)
        else:
            submit_sheet(assignment, user, client_id="sweep", seq=1, scores=state)
        out[(candidate, user.username)] = status
    return out


def build(app, public: bool) -> Sweep:
    """Plant the stages through the workflow verbs; optionally make the session public."""
    prepare_signing(app)
    with app.app_context():
        world = make_world(candidates_per_panel=6)
        rubric, sheets, numbers = world.rubric, {}, {}
        chair1, chair2 = world.examiners[0][0], world.examiners[1][0]
        for i, (key, (_, statuses)) in enumerate(STAGES.items()):
            assignment = world.assignments[0][i]
            numbers[key] = assignment.candidate.participant_number
            sheets |= _plant(assignment, world.examiners[0], key, statuses, rubric)
        c7 = world.assignments[1][0]
        numbers["c7"] = c7.candidate.participant_number
        sheets |= _plant(c7, world.examiners[1], "c7", ("submitted",) * 3, rubric)
        open_discussion(world.assignments[0][4], chair1)
        for assignment, chair, key in ((world.assignments[0][5], chair1, "c6"),
                                       (c7, chair2, "c7")):
            close_candidate(assignment, chair)
            override_final_score(assignment, chair, OVERRIDES[key], "Planted for the sweep.")
        if public:
            # Whatever the verbs require (close_session refuses unfinished candidates), the
            # rule decides: publish the session as it stands.
            world.session.status = "closed"
            db.session.add(Publication(session_id=world.session.id, number=1, reason="",
                                       results=json.dumps(public_rows(world.session))))
            _plant_objection(world, world.assignments[0][5])
        db.session.commit()
        planted = world.assignments[0] + [c7]
        args = {
            "panel_id": [p.id for p in world.panels],
            "session_id": [world.session.id],
            "assignment_id": [a.id for a in planted],
            "sheet_id": [s.id for a in planted for s in a.sheets],
            "candidate_id": [a.candidate_id for a in planted],
            "user_id": [chair1.id],
            "code": [world.session.code],
            "fmt": ["csv", "xlsx"],
            "kind": ["candidates", "examiners"],
            "objection_id": [1],  # planted once the session is public (issue 16)
        }
        keys = [*STAGES, "c7"]
        return Sweep(args, numbers, {k: a.id for k, a in zip(keys, planted, strict=True)},
                     sheets)


def _plant_objection(world, assignment) -> None:
    """File an objection (with an attachment) for a closed candidate of a public session."""
    from datetime import timedelta

    from doc_helpers import TINY_PNG

    from scoring.models import CandidateCode, utcnow
    from scoring.workflow.candidates import issue_codes
    from scoring.workflow.objections import file_objection, set_policy

    db.session.flush()
    issue_codes(world.session, [assignment])
    set_policy(world.session, opens_at=utcnow() - timedelta(hours=1),
               closes_at=utcnow() + timedelta(days=1), share_notes=True)
    code = db.session.scalar(db.select(CandidateCode).where(
        CandidateCode.assignment_id == assignment.id))
    file_objection(code, "procedure", "The room was noisy.", ("photo.png", TINY_PNG))


def get_urls(app, sweep: Sweep) -> list[str]:
    """Return every GET URL of the URL map with its arguments built from the fixture."""
    urls, unclassified = [], []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint in UNRESOLVED:
            continue
        missing = [a for a in rule.arguments if a not in sweep.args]
        if missing:
            unclassified.append(f"{rule.endpoint} {rule.rule} (no value for {missing})")
            continue
        combos = [{}]
        for name in sorted(rule.arguments):
            combos = [{**c, name: v} for c in combos for v in sweep.args[name]]
        with app.test_request_context():
            for values in combos:
                urls.append(app.url_for(rule.endpoint, **values, _external=False))
    assert not unclassified, "routes the sweep cannot build; list them in UNRESOLVED: " + \
        "; ".join(unclassified)
    return sorted(set(urls))


def forbidden(sweep: Sweep, username: str | None, public: bool) -> tuple[dict, set]:
    """Return {pattern: why} the viewer must never read, and the hidden participant numbers."""
    visible = {c for c, who in ALLOWED.items() if username in who}
    if public:
        visible |= PUBLIC_ONCE_CLOSED
    patterns, hidden = {}, set()
    for candidate, number in sweep.numbers.items():
        if candidate in visible:
            continue
        hidden.add(number)
        if candidate in FIGURES:
            patterns[r"(?<![\d.,])(?:" + FIGURES[candidate] + r")(?!\d)"] = \
                f"figures of {candidate}"
    for (candidate, examiner), _status in sweep.sheets.items():
        if candidate not in visible and examiner != username:
            patterns[re.escape(_note(candidate, examiner))] = f"{examiner}'s sheet of {candidate}"
    return patterns, hidden


def shown(sweep: Sweep, username: str | None, public: bool) -> dict:
    """Return {candidate: pattern} of what proves the viewer does see a visible candidate."""
    visible = {c for c, who in ALLOWED.items() if username in who}
    if public:
        visible |= PUBLISHED
    out = {}
    for candidate in visible:
        options = [r"(?<![\d.,])(?:" + FIGURES[candidate] + r")(?!\d)"]
        options += [re.escape(_note(candidate, examiner)) for (c, examiner) in sweep.sheets
                    if c == candidate and examiner != username]
        out[candidate] = "|".join(options)
    return out


NUMERIC_COLUMNS = {"score", "rank", "computed_score", "final_score"}


def check_table(rows: list[list], hidden: set) -> list[str]:
    """Return the leaks of a table export: a hidden candidate's row carrying a number."""
    if not rows:
        return []
    header = [str(h or "").strip().lstrip("\ufeff") for h in rows[0]]
    key = next((i for i, h in enumerate(header) if h in ("candidate", "participant_number")),
               None)
    if key is None:
        return []
    numeric = [i for i, h in enumerate(header) if h in NUMERIC_COLUMNS or h.startswith("mean_")]
    return [f"row {n}: {header[i]}={row[i]!r} for {row[key]}"
            for n, row in enumerate(rows[1:], start=2)
            if row[key] in hidden for i in numeric if row[i] not in ("", None)]


def check_json(value, hidden: set) -> list[str]:
    """Return the leaks of a JSON body: a hidden candidate's object carrying a figure."""
    out = []
    if isinstance(value, dict):
        if value.get("participant_number") in hidden:
            for k in ("final_score", "discrepancies", "override_reason"):
                if value.get(k) not in (None, {}, []):
                    out.append(f"{value['participant_number']}: {k}={value[k]!r}")
            if value.get("scores_visible"):
                out.append(f"{value['participant_number']}: scores_visible")
        for v in value.values():
            out += check_json(v, hidden)
    elif isinstance(value, list):
        for v in value:
            out += check_json(v, hidden)
    return out


def body_text(response) -> tuple[str, list[str]]:
    """Return a response's readable text and the structural leaks found while reading it."""
    kind = response.mimetype or ""
    data = response.get_data()
    if kind == "application/pdf":
        return subprocess.run(["pdftotext", "-layout", "-", "-"], input=data,
                              capture_output=True, check=True).stdout.decode(), []
    if kind.endswith("spreadsheetml.sheet"):
        book = load_workbook(io.BytesIO(data), read_only=True)
        rows = [list(r) for ws in book.worksheets for r in ws.iter_rows(values_only=True)]
        return "\n".join("\t".join("" if c is None else str(c) for c in r) for r in rows), \
            [("table", rows)]
    text = data.decode("utf-8", errors="replace")
    if kind == "text/csv":
        return text, [("table", list(csv.reader(io.StringIO(text.lstrip("\ufeff")))))]
    if kind == "application/json":
        return text, [("json", json.loads(text))]
    return text, []


def leaks(response, patterns: dict, hidden: set) -> list[str]:
    """Return every forbidden thing in ``response``'s body (empty: clean)."""
    text, structures = body_text(response)
    found = [f"{why}: {m.group(0)!r}" for pattern, why in patterns.items()
             for m in [re.search(pattern, text)] if m]
    for kind, value in structures:
        found += check_table(value, hidden) if kind == "table" else check_json(value, hidden)
    return found


def _login(client, role: str) -> str | None:
    username = USERS.get(role)
    if username is not None:
        password = "admin-password" if username == "admin" else PASSWORD
        assert client.post("/auth/login", data={"username": username,
                                                "password": password}).status_code == 302
    return username


def _own_database(database_template, folder) -> str:
    """Return a migrated database of the sweep's own (PostgreSQL: not reset by other tests)."""
    if database_template["kind"] == "sqlite":
        path = folder / "sweep.sqlite"
        shutil.copyfile(database_template["path"], path)
        return f"sqlite:///{path}"
    url = make_url(database_template["url"])
    url = url.set(database=f"{url.database}_sweep")
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{url.database}"'))
    admin.dispose()
    rendered = url.render_as_string(hide_password=False)
    app = create_app({"SQLALCHEMY_DATABASE_URI": rendered, "SECRET_KEY": "test",
                      "TESTING": True})
    with app.app_context():  # a fresh database: migrated, nothing else to reset
        from flask_migrate import upgrade

        upgrade()
        db.engine.dispose()
    return rendered


@pytest.fixture(scope="module", params=[False, True], ids=["session-open", "session-public"])
def swept(request, database_template, tmp_path_factory):
    """Build the world once per stage of the session; the roles' sweeps share it (and the
    documents it issues, which are stored once), so PDFs are rendered once per stage."""
    folder = tmp_path_factory.mktemp("sweep")
    url = _own_database(database_template, folder)
    app = create_app({"TESTING": True, "SECRET_KEY": "test-secret",
                      "SQLALCHEMY_DATABASE_URI": url, "WTF_CSRF_ENABLED": False,
                      "SERVER_NAME": "localhost", "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000"})
    app.instance_path = str(folder / "instance")
    (folder / "instance").mkdir()
    sweep = build(app, request.param)
    yield app, sweep, request.param, get_urls(app, sweep)
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.mark.parametrize("role", ROLES)
def test_no_route_shows_a_forbidden_number(swept, database_url, role):
    # ``database_url`` only marks this as a database test (run on PostgreSQL too); the sweep
    # has a database of its own.
    app, sweep, public, urls = swept
    client = app.test_client()
    username = _login(client, role)
    patterns, hidden = forbidden(sweep, username, public)
    evidence = shown(sweep, username, public)
    problems, seen = [], set()
    for url in urls:
        response = client.get(url)
        if response.status_code != 200:
            continue
        found = leaks(response, patterns, hidden)
        problems += [f"{url}: {p}" for p in found]
        text = body_text(response)[0]
        seen |= {c for c, pattern in evidence.items() if re.search(pattern, text)}
        # An examiner reads colleagues' levels (small integers) on the discussion page.
        seen |= {c for c in evidence if url == f"/discussion/{sweep.assignments[c]}"
                 and 'class="table scores' in text}
    assert not problems, f"{role} reads forbidden numbers:\n" + "\n".join(problems[:40])
    # Not vacuous: every candidate the viewer may see does show its numbers somewhere.
    assert set(evidence) <= seen, (role, set(evidence) - seen)


def test_every_get_route_is_swept_or_listed(app):
    sweep = build(app, False)
    urls = get_urls(app, sweep)
    endpoints = {r.endpoint for r in app.url_map.iter_rules() if "GET" in r.methods}
    assert set(UNRESOLVED) <= endpoints, set(UNRESOLVED) - endpoints  # no stale entries
    assert any(u.endswith(".xlsx") for u in urls) and any(u.endswith(".pdf") for u in urls)
    assert any("/documents/sheet/" in u for u in urls)


def test_the_checker_catches_a_leak(app):
    """Self-test: planted numbers and notes in each kind of body are found."""
    sweep = build(app, False)
    patterns, hidden = forbidden(sweep, "ex21", False)
    number = sweep.numbers["c4"]

    class Fake:
        def __init__(self, mimetype, data):
            self.mimetype, self._data = mimetype, data

        def get_data(self):
            return self._data

    html = Fake("text/html", f"<td>{number}</td><td>4,67</td>".encode())
    assert leaks(html, patterns, hidden)
    note = Fake("text/html", _note("c2", "ex12").encode())
    assert leaks(note, patterns, hidden)
    table = Fake("text/csv", f"candidate,score\n{number},3\n".encode())
    assert leaks(table, patterns, hidden)
    board = Fake("application/json",
                 json.dumps({"c": [{"participant_number": number, "final_score": 3}]}).encode())
    assert leaks(board, patterns, hidden)
    # ... and its own sheet is not a leak for its examiner; nor a number the viewer may see.
    own, _ = forbidden(sweep, "ex12", False)
    assert not any(re.search(p, _note("c2", "ex12")) for p in own)
    clean = Fake("text/csv", f"candidate,score\n{sweep.numbers['c7']},3\n".encode())
    assert not leaks(clean, patterns, hidden)
