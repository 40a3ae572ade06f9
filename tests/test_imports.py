"""Candidate and examiner imports: all rows valid or nothing written; re-import is a no-op."""

import io

from factories import make_world
from openpyxl import Workbook
from sqlalchemy import func, select

from scoring.extensions import db
from scoring.manage.import_files import parse_candidates, parse_examiners
from scoring.models import Assignment, AuditEvent, Candidate, User
from scoring.workflow import import_candidates, import_examiners

GOOD = (
    "participant_number,name,position,nik\n"
    "PRM-001,Siti Rahma,Analis Kebijakan,1377010101010001\n"
    "PRM-002,Andi Koto,Pranata Komputer,\n"
    "PRM-003,Nurul Tanjung,Perawat,1377010101010003\n"
)


def _count(model):
    return db.session.scalar(select(func.count()).select_from(model))


def test_clean_csv_imports_and_reimport_changes_nothing(app):
    with app.app_context():
        report = import_candidates(parse_candidates(GOOD.encode(), "c.csv"))
        db.session.commit()
        assert (report.created, report.updated, report.problems) == (3, 0, [])
        events = _count(AuditEvent)
        again = import_candidates(parse_candidates(GOOD.encode(), "c.csv"))
        db.session.commit()
        assert (again.created, again.updated, again.unchanged) == (0, 0, 3)
        assert _count(Candidate) == 3
        assert _count(AuditEvent) == events  # nothing happened, nothing recorded


def test_one_bad_row_writes_nothing_and_names_the_row(app):
    bad = GOOD + "PRM-004,,Guru,12345\n" + "PRM-005,Fajar,Guru,\n"
    with app.app_context():
        parsed = parse_candidates(bad.encode(), "c.csv")
        report = import_candidates(parsed)
        db.session.commit()
        assert not report.ok
        where = {(p.row, p.column) for p in report.problems}
        assert where == {(5, "name"), (5, "nik")}
        assert _count(Candidate) == 0


def test_semicolons_bom_and_indonesian_headers(app):
    text = ("\ufeffNomor Peserta;Nama;Jabatan\n"
            "PRM-010;Dewi Sikumbang;Guru Ahli Pertama\n")
    with app.app_context():
        report = import_candidates(parse_candidates(text.encode("utf-8"), "c.csv"))
        db.session.commit()
        assert report.created == 1
        assert db.session.scalar(select(Candidate.name)) == "Dewi Sikumbang"


def test_xlsx_with_numeric_cells(app):
    book = Workbook()
    sheet = book.active
    sheet.append(["participant_number", "name", "nik"])
    sheet.append([20250001, "Rizki Pratama", 1377010101010001])
    buffer = io.BytesIO()
    book.save(buffer)
    with app.app_context():
        report = import_candidates(parse_candidates(buffer.getvalue(), "c.xlsx"))
        db.session.commit()
        assert report.ok, report.problems
        candidate = db.session.scalar(select(Candidate))
        assert candidate.participant_number == "20250001"
        assert candidate.nik == "1377010101010001"


def test_duplicate_and_unknown_columns_are_reported(app):
    text = "participant_number,name,umur\nA1,X,3\n"
    parsed = parse_candidates(text.encode(), "c.csv")
    assert [(p.row, p.column) for p in parsed.problems] == [(1, "umur")]
    dup = "participant_number,name\nA1,X\nA1,Y\n"
    parsed = parse_candidates(dup.encode(), "c.csv")
    assert [(p.row, p.column) for p in parsed.problems] == [(3, "participant_number")]
    assert "row 2" in str(parsed.problems[0].reason).lower().replace("baris", "row")


def test_dry_run_writes_nothing(app):
    with app.app_context():
        report = import_candidates(parse_candidates(GOOD.encode(), "c.csv"), dry_run=True)
        db.session.rollback()
        assert report.created == 3
        assert _count(Candidate) == 0


def test_assignment_to_panels_needs_a_session_and_existing_panels(app):
    text = "participant_number,name,panel,order\nN-1,A,Panel 1,1\nN-2,B,Panel 9,2\n"
    with app.app_context():
        world = make_world(candidates_per_panel=0)
        parsed = parse_candidates(text.encode(), "c.csv")
        report = import_candidates(parsed, session=world.session)
        assert [(p.row, p.column) for p in report.problems] == [(3, "panel")]
        db.session.rollback()
        good = text.replace("Panel 9", "Panel 2")
        report = import_candidates(parse_candidates(good.encode(), "c.csv"), session=world.session)
        db.session.commit()
        assert report.ok and report.assigned == 2
        assert _count(Assignment) == 2
        again = import_candidates(parse_candidates(good.encode(), "c.csv"), session=world.session)
        assert again.assigned == 0 and again.unchanged == 2


def test_examiners_import_and_roles(app):
    text = ("username,nama,peran,nip\n"
            "budi,Budi Santoso,penguji,198001012005011001\n"
            "rina,Rina Jambak,ketua,\n")
    with app.app_context():
        report = import_examiners(parse_examiners(text.encode(), "e.csv"))
        db.session.commit()
        assert report.created == 2
        roles = dict(db.session.execute(select(User.username, User.role)).all())
        assert roles == {"budi": "examiner", "rina": "chair"}
        bad = text + "x,,boss,12\n"
        report = import_examiners(parse_examiners(bad.encode(), "e.csv"))
        assert {(p.row, p.column) for p in report.problems} == {
            (4, "username"), (4, "full_name"), (4, "role"), (4, "nip")}


def test_import_cannot_touch_an_administrator(app):
    with app.app_context():
        make_world()
        report = import_examiners(parse_examiners(b"username,full_name\nadmin,Eve\n", "e.csv"))
        assert not report.ok and report.problems[0].column == "username"


def test_reimport_that_changes_a_nik_records_only_that_it_changed(app):
    changed = GOOD.replace("1377010101010001", "1377010101019999")
    with app.app_context():
        import_candidates(parse_candidates(GOOD.encode(), "c.csv"))
        db.session.commit()
        report = import_candidates(parse_candidates(changed.encode(), "c.csv"))
        db.session.commit()
        assert (report.created, report.updated, report.unchanged) == (0, 1, 2)
        assert db.session.scalar(select(Candidate.nik).where(
            Candidate.participant_number == "PRM-001")) == "1377010101019999"
        update = db.session.scalars(select(AuditEvent).where(
            AuditEvent.action == "candidate.update")).one()
        assert "***" in update.data and "9999" not in update.data
        assert "0001" not in update.data
