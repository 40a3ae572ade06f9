"""Read-only queries of the offline day: what a tablet pre-loads and the assets' version."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

from flask import url_for

from ..examine import queries as examining
from ..models import User
from ..paths import data_dir

# The static files every examiner page needs (base.html, the queue, declaration and sheet).
ASSETS = ("css/app.css", "css/examine.css", "favicon.svg", "js/logout.js", "js/offline.js",
          "js/examine.js", "js/signature.js", "js/queue.js")


@lru_cache(maxsize=1)
def assets_version() -> str:
    """Return a short hash of the static files and the service worker (the cache's name).

    Any change to an asset changes the name, so a tablet's service worker updates and moves
    its pages to a fresh cache. The same on every app server: it hashes file contents.
    """
    digest = hashlib.sha256()
    root = data_dir("static")
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        digest.update(path.relative_to(root).as_posix().encode() + b"\0")
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def cache_name() -> str:
    """Return the Cache Storage name the examiner pages are kept under."""
    return f"scoring-examine-{assets_version()}"


@dataclass(frozen=True)
class DaySheet:
    """The examiner's own sheet of one of today's candidates, as the server holds it."""

    assignment_id: int
    state: str  # examining.QUEUE_STATES
    submitted_at: object  # datetime | None


def day_sheets(user: User, today: date) -> list[DaySheet]:
    """Return the user's own sheet state for every candidate of today's panels."""
    return [DaySheet(r.assignment_id, r.state, r.submitted_at)
            for g in examining.examiner_queue(user, today) if g.today for r in g.rows]


def day_urls(sheets: list[DaySheet]) -> list[str]:
    """Return the pages and assets a tablet keeps: queue, declarations, sheets, static files."""
    urls = [url_for("examine.queue")]
    for s in sheets:
        if s.state == "not_started":
            urls.append(url_for("examine.declare", assignment_id=s.assignment_id))
        else:
            urls.append(url_for("examine.sheet", assignment_id=s.assignment_id))
    urls += [url_for("static", filename=name) for name in ASSETS]
    return urls
