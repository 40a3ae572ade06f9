"""Locale selection and the translated labels of stored codes (roles, statuses)."""

import re

from flask import current_app, has_request_context, session
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l

# Each language names itself, so a reader of either can find their own.
LANGUAGE_NAMES = {"id": "Bahasa Indonesia", "en": "English"}

ROLE_LABELS = {
    "admin": _l("Administrator"),
    "chair": _l("Panel chair"),
    "examiner": _l("Examiner"),
}

SESSION_STATUS_LABELS = {
    "draft": _l("Draft"),
    "open": _l("Open"),
    "closed": _l("Closed"),
    "correction": _l("Correction in progress"),
}

# A candidate outside the ranking, as every page and document says it.
OUTCOME_WORDS = {
    "absent": _l("absent"),
    "withdrawn": _l("withdrew"),
    "not_assessable": _l("not assessable"),
}


# A result row's status (scoring.rules.results) as pages and exports say it; a hidden candidate's
# state is the visibility rule's text (scoring.rules.visibility.state_text), translated here.
RESULT_STATUS_LABELS = {
    "incomplete": _l("incomplete"),
    "complete": _l("complete"),
    "closed": _l("closed"),
    **OUTCOME_WORDS,
}
_WAITING = re.compile(r"waiting for (\d+) sheets?")
_STATES = {"waiting for your own sheet": _l("waiting for your own sheet"),
           "waiting for discussion": _l("waiting for discussion"),
           "not visible": _l("not visible")}


def result_status(status: str) -> str:
    """Return a result's status, or a hidden candidate's state, in the current language."""
    from flask_babel import ngettext

    if status in RESULT_STATUS_LABELS:
        return str(RESULT_STATUS_LABELS[status])
    waiting = _WAITING.fullmatch(status or "")
    if waiting:
        n = int(waiting.group(1))
        return ngettext("waiting for %(num)d sheet", "waiting for %(num)d sheets", n)
    return str(_STATES.get(status, status))


def select_locale() -> str | None:
    """Return the locale for this request; None (the default, Indonesian) outside requests."""
    if not has_request_context():
        return None
    lang = session.get("lang")
    if lang in current_app.config["LANGUAGES"]:
        return lang
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def current_language() -> str:
    """Return the language code of the current locale (``id`` or ``en``)."""
    locale = get_locale()
    return locale.language if locale is not None else current_app.config["BABEL_DEFAULT_LOCALE"]


def label(labels: dict, code: str):
    """Return the translated label of ``code``, or the code itself when it has none."""
    return labels.get(code, code)


def catalogue(lang: str):
    """Return a gettext function for ``lang`` without a request (the CLI); None for English.

    Messages from the pure core (rubric checks) are msgids; English needs no catalogue.
    """
    if lang == "en":
        return None
    from babel.support import Translations

    from .paths import data_dir

    return Translations.load(str(data_dir("translations")), [lang]).gettext


def page_catalogue():
    """Return a gettext function for the current page's language (None for English)."""
    from flask_babel import get_translations

    return None if current_language() == "en" else get_translations().gettext


_DOUBLE_STOP = re.compile(r"(?<!\.)\.\.(?!\.)")


def one_full_stop(text) -> str:
    """Return ``text`` with a doubled full stop made single (a name ending in a dot, such as
    "Drs. Yusrizal, M.Si.", put before a sentence's own full stop); an ellipsis stays."""
    return _DOUBLE_STOP.sub(".", str(text))


def band_word(code: str | None) -> str:
    """Return the translated word of a band code (:mod:`scoring.rules.bands`), "–" for none."""
    from flask_babel import gettext

    from .rules.bands import word

    text = word(code)
    return "–" if text is None else gettext(text)


def band_scale(name: str) -> str:
    """Return a scale's bands in words, lowest first, each with its bounds in this locale."""
    from flask_babel import format_decimal
    from flask_babel import gettext as _

    from .rules.bands import SCALES, bounds

    scale = SCALES[name]
    pattern = "0." + "0" * scale.digits

    def fmt(value: float) -> str:
        return format_decimal(value, pattern)

    parts = []
    for low, high, item in bounds(scale):
        words = _(item.word)
        if low is None:
            parts.append(_("below %(x)s %(word)s", x=fmt(high), word=words))
        elif high is None:
            parts.append(_("%(x)s and above %(word)s", x=fmt(low), word=words))
        else:
            parts.append(_("%(lo)s to %(hi)s %(word)s", lo=fmt(low), hi=fmt(high), word=words))
    return ", ".join(parts)
