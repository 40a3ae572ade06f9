"""One request, one transaction: how a view or a command makes a verb's changes durable."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from ..database import write_transaction, writes_late
from ..extensions import db

T = TypeVar("T")


def perform(verb: Callable[..., T], *args, **kwargs) -> T:
    """Run ``verb(*args, **kwargs)`` and commit; on any error roll back and re-raise.

    Views and commands call verbs through this, so that none of them commits or rolls back
    itself; a ``WorkflowError`` that a view does not catch reaches the one registered handler.
    In a view under ``database.writes_at_end`` on SQLite (it read deferred) the verb runs in a
    short write transaction of its own (``database.write_transaction``), which commits it;
    elsewhere it joins the request's transaction.
    """
    if writes_late():
        with write_transaction():
            return verb(*args, **kwargs)
    try:
        result = verb(*args, **kwargs)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return result


def perform_if(accept: Callable[[T], bool], verb: Callable[..., T], *args, **kwargs) -> T:
    """Run ``verb`` and commit when ``accept(result)``; otherwise roll back (nothing written)."""
    try:
        result = verb(*args, **kwargs)
    except BaseException:
        db.session.rollback()
        raise
    if accept(result):
        db.session.commit()
    else:
        db.session.rollback()
    return result


def discard() -> None:
    """Throw away what the request changed and has not committed (a dry run, a refusal)."""
    db.session.rollback()
