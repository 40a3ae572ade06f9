"""The database refuses what must never happen, whatever code tries to write it."""

import pytest
from factories import make_world
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError

from scoring.extensions import db
from scoring.models import RubricLevel, Score, ScoreSheet
from scoring.workflow import declare_conflict


def _draft_sheet(world):
    assignment = world.assignments[0][0]
    examiner = world.examiners[0][1]
    sheet = declare_conflict(assignment, examiner, "none")
    db.session.commit()
    return sheet


def test_session_stores_rubric_levels(app):
    with app.app_context():
        world = make_world()
        levels = db.session.scalars(
            select(RubricLevel).where(RubricLevel.session_id == world.session.id)
        ).all()
        assert len(levels) == len(world.rubric.criteria) * len(world.rubric.scale.values)


@pytest.mark.parametrize("level", [0, 6, -1, 99])
def test_level_outside_scale_is_refused_by_the_database(app, level):
    with app.app_context():
        world = make_world()
        sheet = _draft_sheet(world)
        db.session.add(Score(sheet_id=sheet.id, session_id=sheet.session_id,
                             criterion_code=world.rubric.codes[0], level=level))
        with pytest.raises(IntegrityError):
            db.session.commit()
        db.session.rollback()


def test_criterion_missing_from_rubric_is_refused_by_the_database(app):
    with app.app_context():
        world = make_world()
        sheet = _draft_sheet(world)
        db.session.add(Score(sheet_id=sheet.id, session_id=sheet.session_id,
                             criterion_code="NOPE", level=1))
        with pytest.raises(IntegrityError):
            db.session.commit()
        db.session.rollback()


def test_score_cannot_claim_another_session(app):
    with app.app_context():
        world = make_world()
        sheet = _draft_sheet(world)
        db.session.add(Score(sheet_id=sheet.id, session_id=sheet.session_id + 1,
                             criterion_code=world.rubric.codes[0], level=1))
        with pytest.raises(IntegrityError):
            db.session.commit()
        db.session.rollback()


def test_two_sheets_for_one_examiner_and_candidate_are_refused(app):
    with app.app_context():
        world = make_world()
        sheet = _draft_sheet(world)
        db.session.add(ScoreSheet(session_id=sheet.session_id, assignment_id=sheet.assignment_id,
                                  examiner_id=sheet.examiner_id, rubric_hash=sheet.rubric_hash))
        with pytest.raises(IntegrityError):
            db.session.commit()
        db.session.rollback()


def test_submitted_sheet_must_have_a_receipt_time(app):
    with app.app_context():
        world = make_world()
        sheet = _draft_sheet(world)
        sheet.status = "submitted"
        with pytest.raises(IntegrityError):
            db.session.commit()
        db.session.rollback()


def test_audit_rows_cannot_be_updated_or_deleted(app):
    with app.app_context():
        make_world()
        for statement in ("UPDATE audit_event SET action = 'x' WHERE id = 1",
                          "DELETE FROM audit_event WHERE id = 1"):
            with pytest.raises(Exception, match="append-only"):
                db.session.execute(text(statement))
                db.session.commit()
            db.session.rollback()


def test_migrations_match_the_models(app):
    """The schema comes only from migrations, and they describe exactly the models."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    with app.app_context(), db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": False})
        diff = compare_metadata(context, db.metadata)
    assert diff == []
