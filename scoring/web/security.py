"""The web shell's defences: trusted proxy hops, Secure cookies, early login check, no-store.

* ``PROXY_HOPS`` reverse proxies in front of the app are trusted for ``X-Forwarded-For``,
  ``-Proto`` and ``-Host`` (werkzeug's ``ProxyFix``); with 0 (the default) those headers are
  ignored, so a client cannot choose the address the login throttle counts.
* ``COOKIE_SECURE``: ``"auto"`` marks every cookie ``Secure`` when the request came over HTTPS
  (directly or, with ``PROXY_HOPS``, as the proxy says); ``True`` always; ``False`` never.
* The login is looked up before the view runs, so ending an idle login (a write) never lands
  in the middle of a view's own transaction.
* Every response except the public pages and static files says ``Cache-Control: no-store``:
  they show personal data (names, NIKs, scores, documents) that must not stay in a browser or
  proxy cache of a shared tablet or office computer.
"""

from __future__ import annotations

from flask import Flask, request
from flask_login import current_user
from werkzeug.middleware.proxy_fix import ProxyFix

from ..database import retry_if_disconnected

# Blueprints whose pages anyone may see and keep: criteria, weights, results by number.
CACHEABLE_BLUEPRINTS = frozenset({"public"})
# The service worker script sets its own Cache-Control (no-cache): it holds no personal data.
# The method page and objection summary of issue 16 are public too (counts, never a person).
CACHEABLE_ENDPOINTS = frozenset({"static", "examine.service_worker", "candidates.method",
                                 "candidates.method_pdf", "candidates.objection_summary"})


def install(app: Flask) -> None:
    """Wrap the WSGI app for proxies and cookies; add the login check and the cache rule."""
    hops = int(app.config.get("PROXY_HOPS") or 0)
    if hops < 0:
        raise ValueError(f"PROXY_HOPS must be 0 or more, not {hops}")
    secure = app.config.get("COOKIE_SECURE", "auto")
    if secure not in ("auto", True, False):
        raise ValueError(f'COOKIE_SECURE must be "auto", True or False, not {secure!r}')
    if secure is True:
        app.config["SESSION_COOKIE_SECURE"] = app.config["REMEMBER_COOKIE_SECURE"] = True
    wsgi = app.wsgi_app
    if secure == "auto":
        wsgi = SecureCookiesOverHttps(wsgi)
    if hops:
        wsgi = ProxyFix(wsgi, x_for=hops, x_proto=hops, x_host=hops)
    app.wsgi_app = wsgi
    app.before_request(_load_login_first)
    app.after_request(_cache_rule)


def _load_login_first() -> None:
    """Resolve the cookie's login now (it may commit: its last activity, an idle end).

    Looked up again when the database connection died under it (a server restart): reading
    the login and touching its last activity may run twice.
    """
    if request.endpoint != "static":
        retry_if_disconnected(current_user._get_current_object)()


def is_cacheable(endpoint: str | None, blueprint: str | None) -> bool:
    """Return whether a response of ``endpoint`` may be kept by caches (no personal data)."""
    return endpoint in CACHEABLE_ENDPOINTS or blueprint in CACHEABLE_BLUEPRINTS


def _cache_rule(response):
    if not is_cacheable(request.endpoint, request.blueprint):
        response.headers["Cache-Control"] = "no-store"
    return response


class SecureCookiesOverHttps:
    """WSGI middleware: add ``Secure`` to every cookie set on a request made over HTTPS."""

    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        if environ.get("wsgi.url_scheme") != "https":
            return self.app(environ, start_response)

        def start(status, headers, exc_info=None):
            return start_response(status, [_secure(name, value) for name, value in headers],
                                  exc_info)

        return self.app(environ, start)


def _secure(name: str, value: str) -> tuple[str, str]:
    if name.lower() != "set-cookie":
        return name, value
    attributes = {part.strip().lower() for part in value.split(";")[1:]}
    return name, value if "secure" in attributes else value + "; Secure"
