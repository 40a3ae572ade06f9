"""Issue 10 acceptance: the workflow verbs in random order keep results final and consistent.

A Hypothesis ``RuleBasedStateMachine`` drives declare, recuse, mark absent, save, submit,
open discussion, revise, close, reopen, amend, approve, reject, mark, close session, correct
and publish with two panels (their chairs score), several examiners and an administrator.
After every step it checks:

* no read function gives a number for a candidate that is not closed (results, exports,
  recap, public page), nor the public anything before the session is published;
* for every viewer (each examiner, each chair, the administrator, the command line's admin
  context, the public), no read function (board, candidate page, visible results, long score
  rows, agreement report, sheet export ids, public outcome) gives a number the visibility rule
  forbids; the expectation is the rule computed here from the machine's own model of what
  happened (membership, sheet states, candidate states, publication), which is checked
  against the database, never from ``scoring.rules.visibility``;
* a closed candidate's final score is the stored one on every document and export;
* published results never change except by a new, audited publication (a correction);
* the quorum recorded when a candidate closed never changes while it stays closed;
* the audit chain verifies.

Each example builds its own session (unique codes and usernames) in the test's database, so
examples need no database reset. ``test_state_machine_finds_a_leak`` makes the rule (or one
read path) leak and checks that the machine fails.
"""

from __future__ import annotations

import datetime as dt
import importlib
import itertools
import json
from collections import Counter

import pytest
from factories import PASSWORD, example_rubric, full_state, panel_of, seat
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test
from sqlalchemy import func, select

from scoring.chair.agreement_report import panel_report
from scoring.chair.queries import board, candidate_detail, long_score_rows
from scoring.documents.context import minutes_context, recap_context
from scoring.documents.tables import results_table
from scoring.extensions import db
from scoring.models import Amendment, AuditEvent, Publication, ScoreSheet
from scoring.public.queries import session_outcome
from scoring.rules import visibility
from scoring.rules.results import session_results
from scoring.rules.visibility import ADMIN, ANONYMOUS, Viewer, session_public
from scoring.rules.visible_results import visible_results
from scoring.workflow import (
    WorkflowError,
    approve_amendment,
    close_candidate,
    create_session,
    create_user,
    declare_conflict,
    finality,
    open_discussion,
    reject_amendment,
    request_amendment,
    revise_score,
    save_draft,
    set_session_status,
    submit_sheet,
    verify_chain,
)
from scoring.workflow.discussion import effective_levels
from scoring.workflow.document_export import export_sheet_ids

RUNS = itertools.count()
CAND = st.integers(0, 1)
REACHED: Counter = Counter()  # states the random runs reached, checked at the end
PANEL_SIZE = 3  # the chair and two examiners
CANDIDATES = 1  # per panel: few candidates, so random steps meet on them


class Workflow(RuleBasedStateMachine):
    """One session, two panels, random verbs; invariants after every step."""

    def __init__(self):
        super().__init__()
        run = next(RUNS)
        self.rubric = example_rubric()
        self.admin = create_user(f"adm{run}", "Admin", "admin", PASSWORD)
        self.session = create_session(f"ST{run}", "Stateful", dt.date(2026, 1, 1),
                                      self.rubric)
        self.panels, self.members, self.assignments = [], [], []
        for p in range(2):
            panel = panel_of(self.session, f"P{p}",
                             [f"ch{run}x{p}"] + [f"ex{run}x{p}x{e}" for e in range(PANEL_SIZE - 1)],
                             full_names=["Chair"] + ["Ex"] * (PANEL_SIZE - 1), quorum=2)
            self.panels.append(panel)
            self.members.append([m.user for m in panel.members])
            for c in range(CANDIDATES):
                self.assignments.append((p, seat(panel, f"R{run}-{p}{c}", f"Candidate {p}{c}")))
        set_session_status(self.session, "open")
        db.session.commit()
        # The test's own model of what happened, kept from the verbs that succeeded; the
        # visibility the read functions must respect is computed from it (``expect_visible``),
        # never from scoring.rules.visibility.
        self.member_ids = [[u.id for u in people] for people in self.members]
        self.sheet_state: dict[tuple[int, int], str] = {}  # (assignment, examiner) -> status
        self.cand_state = {a.id: "pending" for _, a in self.assignments}
        self.discussed: set[int] = set()
        self.public = False
        self.changed = True  # whether a verb wrote since the last visibility check
        self.viewers = ([(f"user {uid}", Viewer(uid, "chair" if k == 0 else "examiner"))
                         for ids in self.member_ids for k, uid in enumerate(ids)]
                        + [("administrator", Viewer(self.admin.id, "admin")),
                           ("admin context", ADMIN), ("public", ANONYMOUS)])
        self.where = {a.id: (p, a.candidate.participant_number) for p, a in self.assignments}
        self.seq = itertools.count(1)
        self.closed_quorum: dict[int, tuple[int, int]] = {}  # assignment -> (quorum, scored)
        self.published: dict[int, str] = {}  # publication number -> results JSON

    # -- helpers -------------------------------------------------------------------------

    def _do(self, call) -> bool:
        try:
            call()
        except WorkflowError as exc:
            db.session.rollback()
            REACHED[f"refused:{exc.code}"] += 1
            return False
        db.session.commit()
        self.changed = True
        return True

    def _pick(self, i, e):
        p, a = self.assignments[i % len(self.assignments)]
        return a, self.members[p][e % PANEL_SIZE], self.members[p][0]

    # -- rules ---------------------------------------------------------------------------

    @rule(i=CAND, e=st.integers(0, 2), recuse=st.booleans())
    def declare(self, i, e, recuse):
        a, user, _ = self._pick(i, e)
        if self._do(lambda: declare_conflict(a, user, "family" if recuse else "none")):
            self.sheet_state[a.id, user.id] = "recused" if recuse else "draft"

    @rule(i=CAND, e=st.integers(0, 2))
    def mark_absent(self, i, e):
        a, user, chair = self._pick(i, e)
        if self._do(lambda: finality.mark_absent(a, chair, user, "Not in the room.")):
            self.sheet_state[a.id, user.id] = "absent"

    @rule(i=CAND, e=st.integers(0, 2), level=st.integers(1, 5))
    def save(self, i, e, level):
        a, user, _ = self._pick(i, e)
        if self._do(lambda: save_draft(a, user, full_state(self.rubric, level),
                                       client_id=f"c{user.id}", seq=next(self.seq))):
            self.sheet_state[a.id, user.id] = "draft"

    @rule(i=CAND, e=st.integers(0, 2), level=st.integers(1, 5))
    def submit_one(self, i, e, level):
        self.submit(i, e, level)

    def submit(self, i, e, level):
        a, user, _ = self._pick(i, e)
        if (not any(s.examiner_id == user.id for s in a.sheets)
                and self._do(lambda: declare_conflict(a, user, "none"))):
            self.sheet_state[a.id, user.id] = "draft"
        if self._do(lambda: submit_sheet(a, user, client_id=f"s{user.id}-{a.id}",
                                         seq=next(self.seq),
                                         scores=full_state(self.rubric, level))):
            self.sheet_state[a.id, user.id] = "submitted"

    @rule(i=CAND, levels=st.lists(st.integers(2, 4), min_size=3, max_size=3))
    def score_candidate(self, i, levels):
        """Every member of the panel declares no conflict and submits (where they still can)."""
        for e, level in enumerate(levels):
            self.submit(i, e, level)

    @rule(i=CAND)
    def discuss(self, i):
        a, _, chair = self._pick(i, 0)
        if self._do(lambda: open_discussion(a, chair)):
            self.cand_state[a.id] = "discussion"
            self.discussed.add(a.id)

    @rule(i=CAND, e=st.integers(0, 2), level=st.integers(1, 5))
    def revise(self, i, e, level):
        a, user, _ = self._pick(i, e)
        self._do(lambda: revise_score(a, user, self.rubric.codes[0], level, "Discussed."))

    @rule(i=CAND)
    def close(self, i):
        a, _, chair = self._pick(i, 0)
        if self._do(lambda: close_candidate(a, chair)):
            self.cand_state[a.id] = "closed"
        REACHED[f"close:{a.status}"] += 1
        if a.status == "closed":
            self.closed_quorum.setdefault(a.id, (a.quorum_at_close, a.scored_at_close))

    @rule(i=CAND)
    def settle(self, i):
        """The chair opens discussion where needed, then closes."""
        self.discuss(i)
        self.close(i)

    @rule(i=CAND)
    def reopen(self, i):
        a, _, chair = self._pick(i, 0)
        if self._do(lambda: finality.reopen_candidate(a, chair, "Recheck.", confirm=True)):
            self.cand_state[a.id] = "discussion" if a.id in self.discussed else "pending"
        if a.status in ("pending", "discussion"):
            self.closed_quorum.pop(a.id, None)

    @rule(i=CAND, status=st.sampled_from(("absent", "withdrawn",
                                                        "not_assessable")))
    def mark(self, i, status):
        a, _, chair = self._pick(i, 0)
        if self._do(lambda: finality.mark_candidate(a, chair, status, "Marked.")):
            self.cand_state[a.id] = status

    @rule(i=CAND, e=st.integers(0, 2), level=st.integers(1, 5))
    def amend(self, i, e, level):
        a, user, _ = self._pick(i, e)
        sheet = next((s for s in a.sheets if s.examiner_id == user.id), None)
        if sheet is not None:
            code = self.rubric.codes[-1]
            self._do(lambda: request_amendment(
                sheet, user, {code: {"level": level, "note": "Evidence." if level in (1, 5)
                                     else ""}}, "Mis-tap."))

    @rule(i=CAND, e=st.integers(0, 2), level=st.sampled_from((2, 4)))
    def amend_then_close(self, i, e, level):
        """Finding 2 as a rule: request an amendment, let the chair close, then approve."""
        if self.session.status == "open":
            self.score_candidate(i, [3, 3, 3])
        self.amend(i, e, level)
        self.settle(i)
        self.decide(True)

    @rule(approve=st.booleans())
    def decide(self, approve):
        amendment = db.session.scalar(
            select(Amendment).join(ScoreSheet, ScoreSheet.id == Amendment.sheet_id)
            .where(Amendment.status == "pending", ScoreSheet.session_id == self.session.id)
            .order_by(Amendment.id))
        if amendment is None:
            return
        chair = amendment.sheet.assignment.panel.chair
        decider = self.admin if amendment.requested_by_id == chair.id else chair
        if approve:
            self._do(lambda: approve_amendment(amendment, decider, "ok"))
        else:
            self._do(lambda: reject_amendment(amendment, decider, "no"))

    @rule()
    def wrap_up(self):
        """Finish every candidate (score and close, else mark), then publish."""
        for i in range(len(self.assignments)):
            if self.session.status == "open":
                self.score_candidate(i, [3, 3, 3])
            self.settle(i)
            self.mark(i, "not_assessable")
        if self.session.status == "correction":
            self.publish_correction()
        else:
            self.close_session()

    @rule()
    def close_session(self):
        if self._do(lambda: finality.close_session(self.session, self.admin, confirm=True)):
            self.public = True  # closing publishes; a correction keeps the session public
        REACHED[f"session:{self.session.status}"] += 1

    @rule()
    def start_correction(self):
        self._do(lambda: finality.open_correction(self.session, self.admin, "Fix.",
                                                  confirm=True))

    @rule()
    def publish_correction(self):
        self._do(lambda: finality.publish_correction(self.session, self.admin, "Fixed.",
                                                     confirm=True))
        REACHED[f"publications:{len(self.published)}"] += 1

    # -- invariants ----------------------------------------------------------------------

    # -- visibility: what the model says each viewer may see ------------------------------

    def expect_visible(self, viewer: Viewer, aid: int) -> bool:
        """The visibility rule (issue 10), from the model alone: may ``viewer`` see numbers?"""
        p, _ = self.where[aid]
        members = self.member_ids[p]
        if any(self.sheet_state.get((aid, uid)) not in ("submitted", "recused", "absent")
               for uid in members):
            return False  # a member's sheet is not in: nobody sees anything
        if self.public or viewer.role == "admin" or viewer.id == members[0]:
            return True  # the public once published, administrators, the panel's chair
        if viewer.id in members:  # an examiner: own sheet submitted and discussion opened
            return (self.sheet_state[aid, viewer.id] == "submitted"
                    and self.cand_state[aid] in ("discussion", "closed"))
        return False  # a chair or examiner of another panel

    def expect_related(self, viewer: Viewer, p: int) -> bool:
        """Whether ``viewer`` may know a candidate of panel ``p`` exists (its state)."""
        return (self.public or viewer.role == "admin" or viewer.id in self.member_ids[p])

    @invariant()
    def model_matches_database(self):
        """The model the expectations are computed from is what the database holds."""
        for _, a in self.assignments:
            assert self.cand_state[a.id] == a.status, (a.id, self.cand_state[a.id], a.status)
            held = {s.examiner_id: s.status for s in a.sheets}
            model = {uid: st for (aid, uid), st in self.sheet_state.items() if aid == a.id}
            assert held == model, (a.id, held, model)
        assert self.public == session_public(self.session)

    @invariant()
    def no_viewer_reads_a_forbidden_number(self):
        """Every viewer, every read function: no number the model's rule forbids.

        A step whose verbs were all refused rolled back and changed nothing, so the reads
        (pure functions of the database) would repeat the last check; they are skipped.
        """
        if not self.changed:
            return
        self.changed = False
        session = self.session
        panels = self.panels
        by_number = {number: aid for aid, (_, number) in self.where.items()}
        sheets = {s.id: s for _, a in self.assignments for s in a.sheets}
        for label, viewer in self.viewers:
            seen = {aid: self.expect_visible(viewer, aid) for aid in self.where}
            REACHED.update(f"visible:{label.split()[0]}" for aid in seen if seen[aid])
            where = f"{label} ({viewer})"
            # The chair's live board: flags, final score, override reason, live feedback.
            for p, panel in enumerate(panels):
                data = board(panel, viewer)
                counted = Counter()
                for c in data["candidates"]:
                    aid = c["assignment_id"]
                    assert c["scores_visible"] == seen[aid], (where, "board", c)
                    if not seen[aid]:
                        assert c["discrepancies"] is None, (where, "board flags", c)
                        assert c["final_score"] is None, (where, "board final", c)
                        assert c["override_reason"] is None, (where, "board override", c)
                    else:
                        counted.update(uid for uid in self.member_ids[p]
                                       if self.sheet_state.get((aid, uid)) == "submitted")
                for e, fb in zip(data["examiners"], data["feedback"], strict=True):
                    # Feedback is computed from the sheets of visible candidates only.
                    assert fb["sheets"] == counted[e["id"]], (where, "board feedback", fb)
                # The agreement report counts only candidates the viewer may see.
                report = panel_report(panel, viewer=viewer)
                allowed = {number for aid, (q, number) in self.where.items()
                           if q == p and seen[aid]}
                assert set(report["candidates"]) <= allowed, (where, "panel_report", report)
                assert report["n_candidates"] == len(report["candidates"]), (where, report)
            # One candidate's page: levels, notes, flags, the computed score, spreads.
            for _, a in self.assignments:
                detail = candidate_detail(a, viewer)
                assert detail["visible"] == seen[a.id], (where, "candidate_detail", a.id)
                if not seen[a.id]:
                    assert not any(r["pre"] or r["post"] for r in detail["examiners"]), (
                        where, "candidate_detail levels", detail["examiners"])
                    assert detail["computed_score"] is None, (where, "candidate_detail", a.id)
                    assert not detail["discrepancies"] and not detail["spreads"], (where, a.id)
            # Ranked results: means, final score, rank; unrelated candidates are left out.
            for row in visible_results(session, viewer):
                aid = by_number[row.participant_number]
                assert self.expect_related(viewer, self.where[aid][0]), (where, "results", row)
                if not seen[aid]:
                    assert (row.final_score, row.computed_score, row.rank) == (None,) * 3, (
                        where, "visible_results", row)
                    assert not row.criterion_means, (where, "visible_results means", row)
            # The long score export: a score only for a candidate the viewer may see.
            for row in long_score_rows(session, viewer=viewer):
                if row[3] != "":
                    assert seen[by_number[row[0]]], (where, "long_score_rows", row)
            # Sheet documents: the viewer's own sheets, else only visible candidates' sheets.
            for sid in export_sheet_ids(session, viewer=viewer):
                sheet = sheets[sid]
                assert sheet.status == "submitted", (where, "export_sheet_ids", sid)
                assert seen[sheet.assignment_id] or sheet.examiner_id == viewer.id, (
                    where, "export_sheet_ids", sid)
        # The public page: nothing before the session is published.
        rows, _ = session_outcome(session)
        if not self.public:
            assert rows == [], ("public outcome before publication", rows)


    @invariant()
    def final_scores_agree_everywhere(self):
        session = self.session
        results = {r.participant_number: r for r in session_results(session)}
        _, rows = results_table(list(results.values()), self.rubric.codes)
        export = {row[2]: row for row in rows}
        minutes = {c["participant_number"]: c for p in minutes_context(session)["panels"]
                   for c in p["candidates"]}
        for _, a in self.assignments:
            number = a.candidate.participant_number
            row = results[number]
            if a.status != "closed":
                assert row.final_score is None and row.rank is None
                assert export[number][-3] == ""
                assert number not in minutes or minutes[number]["final_score"] is None
                continue
            final = a.override_score if a.override_score is not None else a.final_score
            assert final is not None
            # Frozen: the sheets a closed result was computed from have not changed since.
            counted = {sh.examiner_id: effective_levels(sh) for sh in a.sheets
                       if sh.status == "submitted"}
            assert self.rubric.final_score(counted) == a.final_score
            assert len(counted) == a.scored_at_close
            assert row.final_score == final and export[number][-3] == final
            assert minutes[number]["final_score"] == final
            assert recap_context(a)["final_score"] == final
            assert (a.quorum_at_close, a.scored_at_close) == self.closed_quorum[a.id]
            assert (row.quorum, row.submitted) == self.closed_quorum[a.id]

    @invariant()
    def publications_never_change(self):
        pubs = db.session.scalars(select(Publication).where(
            Publication.session_id == self.session.id).order_by(Publication.number)).all()
        for p in pubs:
            assert self.published.setdefault(p.number, p.results) == p.results
        assert [p.number for p in pubs] == list(range(1, len(pubs) + 1))
        audited = db.session.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.action == "session.publish", AuditEvent.session_id == self.session.id))
        assert audited == len(pubs)
        rows, _ = session_outcome(self.session)
        if session_public(self.session):
            latest = json.loads(pubs[-1].results)
            assert [(r.participant_number, r.final_score, r.rank) for r in rows] == [
                (r["participant_number"], r["final_score"], r["rank"]) for r in latest]
            for r in latest:
                assert (r["final_score"] is None) == (r["status"] != "closed")
        else:
            assert not pubs

    @invariant()
    def audit_chain_verifies(self):
        assert verify_chain().ok


def leak_everywhere(original):
    """The rule made to leak: everyone sees every candidate's numbers."""
    return lambda viewer, facts: visibility.Decision(True, "visible")


def leak_before_discussion(original):
    """The rule made to leak subtly: examiners see each other before discussion opens."""
    def decide(viewer, facts):
        decision = original(viewer, facts)
        return visibility.Decision(True, "visible") if decision.reason == "discussion" \
            else decision
    return decide


def leak_everyone_sees(original):
    """A read path made to leak on its own: its bulk decisions say visible for everyone."""
    def decisions(viewer, **scope):
        return {aid: visibility.Decision(True, "visible") for aid in original(viewer, **scope)}
    return decisions


@pytest.mark.parametrize(("module", "name", "leak", "caught_by"), [
    ("scoring.rules.visibility", "decide", leak_everywhere, "board"),
    ("scoring.rules.visibility", "decide", leak_before_discussion, "board"),
    ("scoring.workflow.document_export", "decisions", leak_everyone_sees, "export_sheet_ids"),
    ("scoring.rules.visible_results", "decisions", leak_everyone_sees, "results"),
    ("scoring.chair.queries", "decisions", leak_everyone_sees, "board"),
], ids=["rule-everyone", "rule-before-discussion", "export_sheet_ids", "visible_results",
        "board-and-long-rows"])
def test_state_machine_finds_a_leak(app, monkeypatch, module, name, leak, caught_by):
    """Self-check: with the rule (or one read path) made to leak, the machine fails."""
    target = importlib.import_module(module)
    monkeypatch.setattr(target, name, leak(getattr(target, name)))
    with app.app_context(), pytest.raises(AssertionError, match=f"'{caught_by}"):
        run_state_machine_as_test(Workflow, settings=settings(
            max_examples=40, stateful_step_count=15, deadline=None, derandomize=True,
            phases=[Phase.generate], report_multiple_bugs=False,
            suppress_health_check=list(HealthCheck)))


def test_workflow_state_machine(app):
    with app.app_context():
        run_state_machine_as_test(Workflow, settings=settings(
            max_examples=8, stateful_step_count=30, deadline=None,
            suppress_health_check=list(HealthCheck)))
    # The random runs must have reached the states the invariants are about.
    assert REACHED["close:closed"] and REACHED["session:closed"], dict(REACHED)
    print(dict(REACHED))
