"""Hand-written SVG charts: pure functions from plain data to an SVG string.

The same string is embedded in the report page and in its PDF (WeasyPrint renders inline SVG),
so both show the same picture. No scripts, no ``style`` attributes (the pages' Content
Security Policy forbids them): presentation attributes only. Every chart has a ``<title>`` and
``<desc>``, text labels for every value, and never uses colour alone: flagged examiners get a
different marker shape and a text mark, the two D-study lines differ in dash and marker.
Colours are the Okabe-Ito palette (safe for the common colour-vision deficiencies).
Numbers are formatted by the caller's ``fmt`` (the page's locale: 0,75 in Indonesian).
"""

from __future__ import annotations

from .agreement_bars import agreement
from .distribution_chart import distribution
from .dstudy_curve import dstudy
from .forest_plot import forest
from .svg import OKABE_ITO, SEQUENTIAL

__all__ = ["forest", "distribution", "agreement", "dstudy", "SEQUENTIAL", "OKABE_ITO"]
