"""What requests send to the database, and a tablet's three writes to send."""

from __future__ import annotations

from contextlib import contextmanager

from factories import full_state
from sqlalchemy import event
from test_access_examine import PNG

from scoring.extensions import db


@contextmanager
def sql_log(app):
    """Yield a list that fills with every statement sent (whitespace folded), and ``COMMIT``
    or ``ROLLBACK`` where a transaction ended."""
    log: list[str] = []

    def note(_conn, _cursor, statement, _params, _context, _many):
        log.append(" ".join(statement.split()))

    handlers = [("before_cursor_execute", note),
                ("commit", lambda _conn: log.append("COMMIT")),
                ("rollback", lambda _conn: log.append("ROLLBACK"))]
    with app.app_context():
        engine = db.engine
    for name, handler in handlers:
        event.listen(engine, name, handler)
    try:
        yield log
    finally:
        for name, handler in handlers:
            event.remove(engine, name, handler)


def tablet_writes(rubric) -> list[tuple[str, dict]]:
    """A first draft, a draft that changes every score, and the signed submission."""
    return [("draft", {"client_id": "t", "seq": 1, "scores": full_state(rubric, 3)}),
            ("draft", {"client_id": "t", "seq": 2, "scores": full_state(rubric, 1)}),
            ("submit", {"client_id": "t", "seq": 3, "scores": full_state(rubric, 2),
                        "signature": PNG})]


def post_tablet(client, aid: int, verb: str, body: dict) -> None:
    """Send one of the tablet's writes to ``aid`` and check that it was accepted."""
    answer = client.post(f"/api/examine/{aid}/{verb}", json=body,
                         headers={"Accept": "application/json"})
    assert answer.status_code == 200, answer.get_json()
