"""Standing check: the security headers on every route of the URL map (issue 11).

Every route is requested once (GET, else POST) as an administrator over a small world with
sealed sheets. Every answer must carry the Content Security Policy (with ``frame-ancestors``),
``X-Content-Type-Options``, ``X-Frame-Options`` and ``Referrer-Policy``; the routes that show
personal data (names, NIKs, scores, exports, report PDFs, documents) must say
``Cache-Control: no-store``, and the public ones must not. A route missing from the tables
below fails the test: whoever adds a route decides which kind it is.
"""

from __future__ import annotations

import re

from doc_helpers import signed_world

from scoring.extensions import db

# Routes that show personal data or act for a logged-in person: never cached.
NO_STORE = {
    "auth.login", "auth.logout",
    "chair.board_state", "chair.candidate", "chair.close", "chair.open_discussion",
    "chair.override", "chair.panel", "chair.panel_report", "chair.panel_report_pdf",
    "chair.panel_results", "chair.panel_scores", "chair.session_report",
    "chair.session_report_pdf", "chair.session_results_export", "chair.session_scores",
    "chair_amend.decide", "chair_amend.index",
    "chair_finality.absent", "chair_finality.mark", "chair_finality.reopen",
    "health.healthz",
    "manage_people.reset_codes", "manage_people.user_role",
    "manage_rubrics.guide", "manage_rubrics.template",
    "chair_finality.substitute",
    "manage_finality.delete", "manage_finality.open_correction",
    "manage_finality.publish_correction",
    "discussion.index", "discussion.view",
    "documents.export", "documents.export_download", "documents.export_progress",
    "documents.minutes", "documents.recap", "documents.session", "documents.sheet",
    "examine.amend", "examine.declare", "examine.queue", "examine.sheet",
    "examine_api.save_draft", "examine_api.state", "examine_api.submit",
    "offline.day", "offline.declare", "offline.draft", "offline.submit",
    "main.index", "main.set_language",
    "manage.index", "manage.session", "manage.session_edit", "manage.session_export",
    "manage.session_new", "manage.session_results_page", "manage.session_status",
    "manage_imports.confirm", "manage_imports.upload",
    "manage_panels.assignment_remove", "manage_panels.panel", "manage_panels.panel_assign",
    "manage_panels.panel_edit", "manage_panels.panel_new", "manage_panels.panel_order",
    "manage_people.candidate", "manage_people.candidate_new", "manage_people.candidates",
    "manage_people.user", "manage_people.user_active", "manage_people.user_new",
    "manage_people.user_reset", "manage_people.user_unlock", "manage_people.users",
    "reset.redeem", "reset.redeem_link",
    "verify.index", "verify.token", "verify.upload",
    # issue 16: the candidate's own pages and the administrator's codes and objection queue
    "candidates.answer", "candidates.assign", "candidates.attachment", "candidates.codes",
    "candidates.correction", "candidates.login", "candidates.logout", "candidates.objection",
    "candidates.objection_detail", "candidates.queue", "candidates.reissue",
    "candidates.result", "candidates.result_pdf", "candidates.assigned", "candidates.respond",
    "candidates.reissue_number",
}
# Calibration, the certification gate, shadow examiners and examiner records (issue 15).
NO_STORE |= {
    "calibration.case", "calibration.gate", "calibration.import_set", "calibration.index",
    "calibration.media",
    "calibration.result", "calibration.save", "calibration.scores_csv", "calibration.start",
    "calibration.submit",
    "shadow.declare", "shadow.index", "shadow.panel", "shadow.save", "shadow.sheet",
    "shadow.submit",
    "examiners.briefing_pdf", "examiners.index", "examiners.record",
}
# Public pages (criteria, weights, results by participant number), static files, and the
# service worker script: no personal data, caches may keep them.
CACHEABLE = {
    "public.criteria", "public.criteria_pdf", "public.index", "public.results",
    "static", "examine.service_worker",
    "candidates.method", "candidates.method_pdf", "candidates.objection_summary",
}
# Values for the URL variables; integer ids are 1 (the world's first of everything).
SAMPLES = {"fmt": "csv", "code": "S1", "token": "0" * 26, "kind": "candidates",
           "status": "open", "filename": "css/app.css"}
# Requested last: they end the login or start work in the background.
LAST = ("auth.logout",)


def _url(rule) -> str:
    values = {name: (1 if type(conv).__name__ == "IntegerConverter" else SAMPLES[name])
              for name, conv in rule._converters.items()}
    return rule.build(values, append_unknown=False)[1]


def _check(response, no_store_expected: bool, where: str) -> None:
    headers = response.headers
    csp = headers.get("Content-Security-Policy", "")
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp, where
    assert re.search(r"script-src 'self'(;|$)", csp), where
    assert headers.get("X-Content-Type-Options") == "nosniff", where
    assert headers.get("X-Frame-Options") == "DENY", where
    assert headers.get("Referrer-Policy") == "same-origin", where
    no_store = "no-store" in headers.get("Cache-Control", "")
    assert no_store is no_store_expected, f"{where}: Cache-Control {headers.get('Cache-Control')!r}"


def test_every_route_is_classified(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    assert not NO_STORE & CACHEABLE
    unclassified = endpoints - NO_STORE - CACHEABLE
    assert not unclassified, f"classify these routes in {__file__}: {sorted(unclassified)}"
    assert not (NO_STORE | CACHEABLE) - endpoints, "routes that no longer exist"


def test_security_headers_on_every_route(app, client, auth):
    with app.app_context():
        signed_world(app, candidates=2)
        db.session.commit()
    assert auth.login("admin", "admin-password").status_code == 302
    rules = sorted(app.url_map.iter_rules(), key=lambda r: (r.endpoint in LAST, r.endpoint))
    seen = set()
    for rule in rules:
        url = _url(rule)
        method = "GET" if "GET" in rule.methods else "POST"
        response = client.open(url, method=method, data={})
        where = f"{method} {url} ({rule.endpoint}) -> {response.status_code}"
        assert response.status_code < 500, where
        _check(response, rule.endpoint in NO_STORE, where)
        response.close()
        seen.add(rule.endpoint)
    assert seen == NO_STORE | CACHEABLE
    missing = client.get("/no/such/page")
    assert missing.status_code == 404
    _check(missing, True, "GET /no/such/page")  # unknown paths are not cacheable either
