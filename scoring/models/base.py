"""Shared column types, vocabularies and helpers of the models."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    DateTime,
)

from ..extensions import db

ROLES = ("admin", "chair", "examiner")


# A candidate's NIK (national identity number): exactly 16 ASCII digits.
NIK_MESSAGE = _l("A NIK has exactly 16 digits.")


def is_nik(value: str) -> bool:
    """Return whether ``value`` is a well-formed NIK (exactly 16 ASCII digits)."""
    return re.fullmatch(r"[0-9]{16}", value) is not None


# Who scores candidates: the roles that sit on panels (a chair may score too).
SCORER_ROLES = ("examiner", "chair")


# "correction": a published session reopened by the administrator for an audited correction.
SESSION_STATES = ("draft", "open", "closed", "correction")


SHEET_STATES = ("draft", "submitted", "recused", "absent")


# Marked out of the ranking by the chair, each with a reason.
ASSIGNMENT_MARKS = ("absent", "withdrawn", "not_assessable")


ASSIGNMENT_STATES = ("pending", "discussion", "closed", *ASSIGNMENT_MARKS)


RELATIONSHIPS = ("none", "family", "workplace", "acquaintance", "other")


PHASES = ("pre", "post")


AMENDMENT_STATES = ("pending", "approved", "rejected")


def utcnow() -> datetime:
    """Return the current time, timezone-aware UTC."""
    return datetime.now(UTC)


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class UTCDateTime(db.TypeDecorator):
    """A datetime stored as naive UTC and always returned timezone-aware."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is not None and value.tzinfo is not None:
            value = value.astimezone(UTC).replace(tzinfo=None)
        return value

    def process_result_value(self, value, dialect):
        return value.replace(tzinfo=UTC) if value is not None else None


DOCUMENT_KINDS = ("sheet", "recap", "minutes", "criteria", "report", "result")


JOB_STATES = ("queued", "running", "done", "failed")
