"""The scoring form's criteria are kept per rubric and language while the form is empty."""

from __future__ import annotations

from factories import make_world
from flask import session

from scoring.examine import fragments
from scoring.examine.fragments import scoring_criteria


def _render_in(app, lang: str, rubric, state: dict) -> str:
    with app.test_request_context("/"):
        session["lang"] = lang
        return str(scoring_criteria(rubric, lang, state))


def test_the_empty_form_is_kept_per_rubric_and_language_and_a_filled_one_is_not(app):
    with app.app_context():
        rubric = make_world().rubric
    fragments._KEPT.clear()
    first = _render_in(app, "id", rubric, {})
    again = _render_in(app, "id", rubric, {})
    english = _render_in(app, "en", rubric, {})
    assert first == again and len(fragments._KEPT) == 2
    criterion = rubric.criteria[0]
    assert criterion.name.get("id") in first and criterion.anchor(1).get("id") in first
    assert criterion.anchor(1).get("en") in english and "Catatan bukti" not in english
    assert "Catatan bukti" in first and " checked" not in first
    with app.test_request_context("/"):  # the kept form is what a fresh render gives
        session["lang"] = "id"
        assert first == str(fragments._render(rubric, "id", {}))
    code = criterion.code
    filled = _render_in(app, "id", rubric, {code: {"level": 2, "note": "Contoh nyata."}})
    assert len(fragments._KEPT) == 2  # a form with scores is rendered each time
    assert f'name="level-{code}" value="2" checked' in " ".join(filled.split())
    assert "Contoh nyata." in filled
