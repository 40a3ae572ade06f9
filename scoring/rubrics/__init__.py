"""Rubrics: read from YAML, validated once into immutable objects, identified by content hash.

The format is documented in ``docs/rubric-format.md``. Pure: stdlib and yaml only, so the
statistics, reports and CLI can use rubrics without Flask or a database.
"""

from __future__ import annotations

from .loading import check_rubrics, load_rubric, parse_rubric, rubric_from_json
from .model import (
    COMBINATION_METHODS,
    QUESTION_TYPES,
    Combination,
    Criterion,
    ExaminerFlags,
    Level,
    LevelMap,
    Question,
    Rubric,
    RubricError,
    Scale,
    Text,
)

__all__ = [
    "COMBINATION_METHODS",
    "QUESTION_TYPES",
    "Combination",
    "Criterion",
    "ExaminerFlags",
    "Level",
    "LevelMap",
    "Question",
    "Rubric",
    "RubricError",
    "Scale",
    "Text",
    "check_rubrics",
    "load_rubric",
    "parse_rubric",
    "rubric_from_json",
]
