"""The one band table: how an ICC or a Krippendorff's alpha reads in words.

Every page, chart, sentence and document that names a band reads it here: the agreement
report classifies with :func:`band`, the chair's readings and the public page print the
words and the scale (:func:`scoring.i18n.band_word`, :func:`scoring.i18n.band_scale`), the
charts draw :func:`chart_bands`. Pure: the standard library only, so the statistics' readers
and the web layer share it without either importing the other. A band holds the values from
the previous band's ``upper`` up to, not including, its own.

References
----------
Koo, T. K., & Li, M. Y. (2016). A guideline of selecting and reporting intraclass correlation
coefficients for reliability research. J Chiropr Med 15(2), 155-163: below .50 poor, .50 to
.75 moderate, .75 to .90 good, above .90 excellent.

Krippendorff, K. (2004). Content Analysis, 2nd ed., p. 241: rely on alpha >= .800; draw only
tentative conclusions for .667 <= alpha < .800; below .667 the data are unreliable.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


def N_(text: str) -> str:
    """Mark ``text`` for the translation catalog; it is translated where it is shown."""
    return text


@dataclass(frozen=True)
class Band:
    """One band: its stable code, its exclusive upper bound and its word (an English msgid)."""

    code: str
    upper: float
    word: str


@dataclass(frozen=True)
class Scale:
    """The bands of one coefficient, lowest first, and how many decimals its bounds print."""

    name: str
    bands: tuple[Band, ...]
    digits: int

    @property
    def lowest(self) -> Band:
        """Return the lowest band (the one that calls for action)."""
        return self.bands[0]

    @property
    def highest(self) -> Band:
        """Return the highest band."""
        return self.bands[-1]


ICC = Scale("icc", (
    Band("poor", 0.50, N_("poor")),
    Band("moderate", 0.75, N_("moderate")),
    Band("good", 0.90, N_("good")),
    Band("excellent", math.inf, N_("excellent")),
), digits=2)
ALPHA = Scale("alpha", (
    Band("unreliable", 0.667, N_("not reliable")),
    Band("tentative", 0.800, N_("tentative conclusions only")),
    Band("reliable", math.inf, N_("reliable")),
), digits=3)
SCALES = {scale.name: scale for scale in (ICC, ALPHA)}


def band(value: float | None, scale: Scale) -> str | None:
    """Return the code of the band ``value`` falls in (None for a missing value)."""
    if value is None or not math.isfinite(value):
        return None
    for item in scale.bands:
        if value < item.upper:
            return item.code
    return scale.highest.code


def word(code: str | None) -> str | None:
    """Return the (untranslated) word of a band code of any scale, or None."""
    for scale in SCALES.values():
        for item in scale.bands:
            if item.code == code:
                return item.word
    return None


def bounds(scale: Scale) -> list[tuple[float | None, float | None, Band]]:
    """Return each band of ``scale`` with its lower and upper bound (None: open-ended)."""
    out, low = [], None
    for item in scale.bands:
        high = None if math.isinf(item.upper) else item.upper
        out.append((low, high, item))
        low = high
    return out


def chart_bands(scale: Scale = ICC, floor: float = -1.0,
                ceiling: float = 1.0) -> tuple[tuple[float, float, str], ...]:
    """Return ``(from, to, code)`` per band for a chart's axis from ``floor`` to ``ceiling``."""
    return tuple((floor if low is None else low, ceiling if high is None else min(high, ceiling),
                  item.code) for low, high, item in bounds(scale))
