"""The scoring form's criteria, rendered once per rubric and language while the form is empty.

Every candidate of a day opens on its declaration page, which carries the empty scoring form:
its criteria (definitions, questions, every level's anchor) are the same for every candidate
of a session, in one language. With 200 tablets changing candidate at once this part was a
third of the page's CPU; it is rendered once per process and kept, keyed by the rubric's
content hash and the language (a rubric snapshot never changes; a new one has a new hash).
A form with scores in it is rendered each time.
"""

from __future__ import annotations

from collections import OrderedDict
from threading import Lock

from flask import current_app
from flask_babel import get_locale
from markupsafe import Markup

from ..rubrics.model import Rubric

_KEPT: OrderedDict[tuple, Markup] = OrderedDict()
_KEEP = 16  # rubrics x languages
_LOCK = Lock()


def scoring_criteria(rubric: Rubric, lang: str, state: dict) -> Markup:
    """Return the HTML of the scoring form's criteria, filled from ``state``."""
    if state:
        return _render(rubric, lang, state)
    key = (rubric.content_hash, lang, str(get_locale()))
    with _LOCK:
        html = _KEPT.get(key)
        if html is not None:
            _KEPT.move_to_end(key)
            return html
    html = _render(rubric, lang, {})
    with _LOCK:
        _KEPT[key] = html
        while len(_KEPT) > _KEEP:
            _KEPT.popitem(last=False)
    return html


def _render(rubric: Rubric, lang: str, state: dict) -> Markup:
    template = current_app.jinja_env.get_template("examine/_criteria.html")
    html = template.render(rubric=rubric, lang=lang, state=state)
    return Markup(html)  # nosec B704: an .html template, so Jinja escaped every value in it
