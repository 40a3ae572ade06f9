"""Locale selection: the user's choice in the session cookie, else Bahasa Indonesia."""

from flask import current_app, has_request_context, session


def select_locale() -> str | None:
    """Return the locale for this request; None (the default, Indonesian) outside requests."""
    if not has_request_context():
        return None
    lang = session.get("lang")
    if lang in current_app.config["LANGUAGES"]:
        return lang
    return current_app.config["BABEL_DEFAULT_LOCALE"]
