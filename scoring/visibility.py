"""Who may see what: the one rule every read path asks."""

from __future__ import annotations

from sqlalchemy import func, select

from .extensions import db
from .models import InterviewSession, Publication


def session_public(session: InterviewSession) -> bool:
    """Return whether the public may see the session's results: it has been published.

    A session is published when it closes (publication 1); while a correction is open the
    public keeps reading the last publication, so the session stays public.
    """
    if session.status not in ("closed", "correction"):
        return False
    return bool(db.session.scalar(select(func.count()).select_from(Publication)
                                  .where(Publication.session_id == session.id)))
