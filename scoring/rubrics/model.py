"""The immutable rubric: Rubric, Criterion, Scale, Level, Text, RubricError."""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from fractions import Fraction
from functools import cached_property
from numbers import Real
from typing import Any

from .messages import Msg, Translate, render

QUESTION_TYPES = ("past_behaviour", "situational")


COMBINATION_METHODS = ("weighted_mean_of_panel_means", "weighted_sum_of_panel_means")


class RubricError(ValueError):
    """A rubric is malformed; names the file, the line, the field path and what was expected.

    ``path`` and ``message`` are English text; when the checker made them, ``place`` and
    ``msg`` keep them as messages that :meth:`localised` renders in another language.
    """

    def __init__(self, source: str, line: int | None, path: str | Msg | None,
                 message: str | Msg) -> None:
        super().__init__(source, line, path, message)
        self.source = source
        self.line = line
        self.place = path
        self.msg = message
        self.path = str(render(path) or "")
        self.message = str(render(message))

    def localised(self, translate: Translate | None = None) -> str:
        """Return "place: message" (without file and line) in ``translate``'s language."""
        where = render(self.place, translate) or ""
        what = render(self.msg, translate)
        return f"{where}: {what}" if where else str(what)

    def __str__(self) -> str:
        where = self.source if self.line is None else f"{self.source}:{self.line}"
        return f"{where}: {self.path}: {self.message}" if self.path else f"{where}: {self.message}"


@dataclass(frozen=True)
class Text:
    """Text in Indonesian (``id``) and/or English (``en``)."""

    id: str | None = None
    en: str | None = None

    def __post_init__(self) -> None:
        if not (self.id or self.en):
            raise ValueError("Text needs an Indonesian (id) or an English (en) string")

    def get(self, lang: str = "id") -> str:
        """Return the text in ``lang`` ("id", "en", "en-GB", ...), else Indonesian, else English."""
        if lang[:2].lower() == "en" and self.en:
            return self.en
        return self.id or self.en or ""

    def __str__(self) -> str:
        return self.get("id")

    def to_dict(self) -> dict[str, str]:
        """Return the canonical plain form: only the languages that are set."""
        return {k: v for k, v in (("en", self.en), ("id", self.id)) if v is not None}


class LevelMap(Mapping[int, Text]):
    """An immutable, hashable mapping from scale level to text, in level order."""

    __slots__ = ("_items",)

    def __init__(self, items: Mapping[int, Text] | Iterable[tuple[int, Text]] = ()) -> None:
        pairs = items.items() if isinstance(items, Mapping) else items
        self._items = dict(sorted(pairs))

    def __getitem__(self, level: int) -> Text:
        return self._items[level]

    def __iter__(self) -> Iterator[int]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __hash__(self) -> int:
        return hash(tuple(self._items.items()))

    def __repr__(self) -> str:
        return f"LevelMap({self._items!r})"


@dataclass(frozen=True)
class Level:
    """One point of the rating scale and its label."""

    value: int
    label: Text


@dataclass(frozen=True)
class Scale:
    """The rating scale: consecutive whole numbers from ``min`` to ``max``."""

    min: int
    max: int
    midpoint: bool
    levels: tuple[Level, ...]

    @property
    def values(self) -> tuple[int, ...]:
        """Return every level, lowest first."""
        return tuple(level.value for level in self.levels)

    @property
    def middle(self) -> tuple[int, ...]:
        """Return the middle level(s): ``(3,)`` on 1-5, ``(2, 3)`` on 1-4 (central tendency)."""
        values, n = self.values, len(self.levels)
        return values[n // 2 : n // 2 + 1] if n % 2 else values[n // 2 - 1 : n // 2 + 1]

    def label(self, value: int) -> Text:
        """Return the label of level ``value`` (KeyError if not on the scale)."""
        for level in self.levels:
            if level.value == value:
                return level.label
        raise KeyError(value)


@dataclass(frozen=True)
class Question:
    """An interview question with the probes an examiner may use to follow it up."""

    type: str  # one of QUESTION_TYPES
    text: Text
    probes: tuple[Text, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """Return the canonical plain form."""
        probes = [p.to_dict() for p in self.probes]
        return {"type": self.type, "text": self.text.to_dict(), "probes": probes}


@dataclass(frozen=True)
class Criterion:
    """One scored competency, with a behavioural anchor for every level of the scale."""

    code: str
    name: Text
    definition: Text
    weight: float
    anchors: LevelMap
    questions: tuple[Question, ...]

    def anchor(self, level: int) -> Text:
        """Return the anchor text of ``level``."""
        return self.anchors[level]

    def to_dict(self) -> dict[str, Any]:
        """Return the canonical plain form."""
        return {
            "code": self.code,
            "name": self.name.to_dict(),
            "definition": self.definition.to_dict(),
            "weight": self.weight,
            "anchors": {level: text.to_dict() for level, text in self.anchors.items()},
            "questions": [q.to_dict() for q in self.questions],
        }


@dataclass(frozen=True)
class Combination:
    """How the panel's scores combine into the final score."""

    method: str = "weighted_mean_of_panel_means"  # one of COMBINATION_METHODS
    decimals: int = 2


@dataclass(frozen=True)
class ExaminerFlags:
    """When an examiner's leniency or severity is flagged, as fractions of the scale range.

    ``flag_share``: a deviation of at least this fraction of ``max - min`` (with clear
    statistical evidence) is a flag; ``watch_share``: at least this fraction is a "watch".
    A rubric without them uses the defaults of ``scoring.stats.Thresholds`` (1/8 and 1/12).
    """

    flag_share: float
    watch_share: float


@dataclass(frozen=True)
class Rubric:
    """A validated rubric. Build it with :func:`load_rubric` or :func:`parse_rubric`."""

    id: str
    version: str
    title: Text
    description: Text | None
    scale: Scale
    criteria: tuple[Criterion, ...]
    evidence_required: frozenset[int]
    combination: Combination
    quorum: int  # submitted, non-recused sheets needed before a result is final
    discrepancy_threshold: float  # a criterion spread (max - min) at or over this -> discussion
    examiner_flags: ExaminerFlags | None = None  # None: the statistics' default sizes

    @property
    def codes(self) -> tuple[str, ...]:
        """Return the criterion codes in rubric order."""
        return tuple(c.code for c in self.criteria)

    def criterion(self, code: str) -> Criterion:
        """Return the criterion with ``code``; KeyError if there is none."""
        for criterion in self.criteria:
            if criterion.code == code:
                return criterion
        raise KeyError(f"rubric {self.id!r} has no criterion {code!r}")

    def requires_evidence(self, level: int) -> bool:
        """Return whether scoring ``level`` requires an evidence note."""
        return level in self.evidence_required

    def to_dict(self) -> dict[str, Any]:
        """Return every field as canonical plain data (the YAML format, fully spelt out)."""
        return {
            "id": self.id,
            "version": self.version,
            "title": self.title.to_dict(),
            "description": self.description.to_dict() if self.description else None,
            "scale": {
                "min": self.scale.min,
                "max": self.scale.max,
                "midpoint": self.scale.midpoint,
                "labels": {lv.value: lv.label.to_dict() for lv in self.scale.levels},
            },
            "evidence_required": sorted(self.evidence_required),
            "combination": {
                "method": self.combination.method,
                "decimals": self.combination.decimals,
            },
            "quorum": self.quorum,
            "discrepancy_threshold": self.discrepancy_threshold,
            "criteria": [c.to_dict() for c in self.criteria],
        } | self._optional_dict()

    def _optional_dict(self) -> dict[str, Any]:
        # Keys added after rubrics were first hashed appear only when set, so the content
        # hash of every rubric written before them stays what was recorded.
        if self.examiner_flags is None:
            return {}
        return {"examiner_flags": {"flag_share": self.examiner_flags.flag_share,
                                   "watch_share": self.examiner_flags.watch_share}}

    def to_json(self) -> str:
        """Return the canonical JSON: the snapshot to store, and the input of the hash."""
        return json.dumps(
            self.to_dict(),
            sort_keys=True,
            separators=(",", ":"),
            ensure_ascii=False,
            allow_nan=False,
        )

    @cached_property
    def content_hash(self) -> str:
        """Return the SHA-256 hex digest of :meth:`to_json` encoded as UTF-8."""
        return hashlib.sha256(self.to_json().encode("utf-8")).hexdigest()

    def criterion_means(self, sheets: Mapping[Any, Mapping[str, Any]]) -> dict[str, float | None]:
        """Return each criterion's mean over the sheets that scored it (None if none did)."""
        return {c: None if m is None else float(m) for c, m in self._means(sheets).items()}

    def final_score(self, sheets: Mapping[Any, Mapping[str, Any]]) -> float:
        """Combine examiners' sheets ({examiner: {code: level}}) into the final score.

        Each criterion's panel mean is taken over the sheets that scored it; the means are
        combined by weight (mean or sum, per ``combination.method``) in exact arithmetic and
        rounded half away from zero to ``combination.decimals``. Quorum and recusal are the
        caller's business: pass only the sheets that count.
        """
        means = self._means(sheets)
        missing = [code for code, mean in means.items() if mean is None]
        if missing:
            raise ValueError(f"sheets: no examiner scored criterion {', '.join(missing)}")
        weights, weight_total = self._exact_weights
        total = sum((weights[code] * mean for code, mean in means.items()), Fraction(0))
        if self.combination.method == "weighted_mean_of_panel_means":
            total /= weight_total
        return _round_half_away(total, self.combination.decimals)

    @cached_property
    def _exact_weights(self) -> tuple[dict[str, Fraction], Fraction]:
        # the decimal written in the file (0.1 is 1/10), not the nearest binary float
        weights = {c.code: Fraction(repr(c.weight)) for c in self.criteria}
        return weights, sum(weights.values(), Fraction(0))

    @cached_property
    def _levels(self) -> frozenset[int]:
        return frozenset(self.scale.values)

    def _means(self, sheets: Mapping[Any, Mapping[str, Any]]) -> dict[str, Fraction | None]:
        totals = dict.fromkeys(self.codes, 0)
        counts = dict.fromkeys(self.codes, 0)
        levels = self._levels
        for key, sheet in sheets.items():
            for code, value in sheet.items():
                if code not in totals:
                    raise ValueError(
                        f"sheets[{key!r}]: unknown criterion {code!r}; "
                        f"rubric {self.id!r} has {', '.join(self.codes)}"
                    )
                if value is None:
                    continue
                if isinstance(value, bool) or not isinstance(value, Real) or value not in levels:
                    raise ValueError(
                        f"sheets[{key!r}][{code!r}]: {value!r} is not a level of the scale "
                        f"{self.scale.min}-{self.scale.max}"
                    )
                totals[code] += int(value)
                counts[code] += 1
        return {c: Fraction(totals[c], counts[c]) if counts[c] else None for c in self.codes}


def _round_half_away(value: Fraction, decimals: int) -> float:
    scaled = abs(value) * 10**decimals
    rounded = math.floor(scaled + Fraction(1, 2))
    return math.copysign(float(Fraction(rounded, 10**decimals)), value) if rounded else 0.0
