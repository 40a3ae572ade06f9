"""The agreement report: pre-discussion scores from the database through ``scoring.stats``.

One function builds the report of a panel (:func:`panel_report`) and one of a session
(:func:`session_report`). Both return plain JSON-able dicts that the page, the PDF, the
command line and the tests all read, so the numbers are identical everywhere by construction.
Every coefficient is taken from :func:`scoring.stats.panel_analysis` (its ``to_dict()``);
examiner drift is :func:`scoring.stats.rater_effects` on blocks of the day. This module adds
only classification into published bands (codes of the one band table,
:mod:`scoring.rules.bands`) and simple counts (score distributions).

Only ``pre`` scores of submitted sheets are used, of candidates whose required sheets are all
in and whose numbers the viewer may see (:mod:`scoring.rules.visibility`; default: the
administrator's context): agreement must be measured on independent ratings, before the
panel has seen each other's scores, and on finished candidates only.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass

import numpy as np

from ..models import InterviewSession, Panel
from ..rubrics import Rubric
from ..rules.bands import ALPHA, ICC, band
from ..rules.sheet_facts import panel_quorum, session_rubric
from ..rules.visibility import ADMIN, decisions
from ..stats import panel_analysis, rater_effects
from ..workflow.discussion import tally
from .queries import (
    panel_examiners,
    participant_numbers,
    pre_sheets,
    rubric_thresholds,
    sheet_statuses,
)

SCHEMA = "scoring.report/1"
DEFAULT_TARGET = 0.80
D_STUDY_SIZES = range(1, 9)
# The fewest finished candidates from which a panel's agreement summary (ICC and alpha alike)
# is printed: the public table and the minutes. With two, the ICC has one degree of freedom
# for the candidates: it is often undefined (a negative variance estimate) while alpha still
# prints a number, and either one's interval spans nearly the whole range. The chair's own
# report computes from two on (the statistics' minimum), every figure beside its interval.
MIN_CANDIDATES = 3
MIN_EXAMINERS = 2

# Rasch mean-square fit: 0.7 to 1.3 is the usual range for rating scales (Bond, T. G., & Fox,
# C. M. (2015). Applying the Rasch Model, 3rd ed., Table 12.1, "run of the mill" ratings;
# Wright, B. D., & Linacre, J. M. (1994). Reasonable mean-square fit values. RMT 8(3), 370).
FIT_RANGE = (0.7, 1.3)


@dataclass(frozen=True)
class PanelData:
    """A panel's independent scores as an array, with the labels of each axis."""

    ratings: np.ndarray  # (candidates, examiners, criteria), NaN where absent
    candidates: tuple[int, ...]  # assignment ids, interview order
    orders: tuple[int, ...]  # interview positions
    participants: tuple[str, ...]  # participant numbers
    examiners: tuple[dict, ...]  # {"id", "username", "name"}
    criteria: tuple[str, ...]


def load_panels(panels: list[Panel], rubric: Rubric, viewer=ADMIN) -> dict[int, PanelData]:
    """Read the submitted pre-discussion scores of ``panels`` (a few queries in all)."""
    ids = [p.id for p in panels]
    decided = decisions(viewer, panel_ids=ids)
    statuses = sheet_statuses(ids)
    numbers = participant_numbers(ids)
    by_panel: dict[int, list] = {p.id: [] for p in panels}
    for pid, pos, aid, uid, vector in pre_sheets(ids, rubric.codes):
        by_panel[pid].append((pos, aid, uid, vector))
    out = {}
    for panel in panels:
        members = panel_examiners(panel)
        required, quorum = {e["id"] for e in members if e["required"]}, panel_quorum(panel)
        complete = {aid for aid, st in statuses.get(panel.id, {}).items()
                    if tally(required, st, quorum).complete and decided[aid].visible}
        prow = [r for r in by_panel[panel.id] if r[1] in complete]
        scored = {uid for _, _, uid, _ in prow}
        examiners = tuple(e for e in members if e["id"] in scored)
        seat = {e["id"]: j for j, e in enumerate(examiners)}
        cands = sorted({(pos, aid) for pos, aid, _, _ in prow})
        index = {aid: i for i, (_, aid) in enumerate(cands)}
        x = np.full((len(cands), len(examiners), len(rubric.codes)), np.nan)
        for _, aid, uid, vector in prow:
            x[index[aid], seat[uid], :] = vector
        out[panel.id] = PanelData(x, tuple(a for _, a in cands), tuple(p for p, _ in cands),
                                  tuple(numbers[a] for _, a in cands), examiners, rubric.codes)
    return out


def _form(icc: dict, name: str) -> dict:
    f = icc["forms"][name]
    return {"value": f["value"], "ci_low": f["ci_low"], "ci_high": f["ci_high"]}


def _coefficients(c: dict) -> dict:
    """Return the figures a chair reads for one criterion (or overall), with band codes."""
    icc21, icc2k = _form(c["icc"], "ICC(2,1)"), _form(c["icc"], "ICC(2,k)")
    return {
        "label": c["label"], "n_candidates": c["n_candidates"],
        "icc21": icc21, "icc2k": icc2k, "k": c["icc"]["k"],
        "alpha_interval": c["alpha_interval"], "alpha_ordinal": c["alpha_ordinal"],
        "exact_agreement": c.get("exact_agreement"),
        "adjacent_agreement": c.get("adjacent_agreement"),
        "icc_band": band(icc21["value"], ICC),
        "icc_band_ci": [band(icc21["ci_low"], ICC), band(icc21["ci_high"], ICC)],
        "icc2k_band": band(icc2k["value"], ICC),
        "alpha_band": band(c["alpha_interval"], ALPHA),
        "alpha_ordinal_band": band(c["alpha_ordinal"], ALPHA),
        "notes": c.get("notes", {}),
    }


def _examiner(e: dict, person: dict) -> dict:
    """Return an examiner's effects with their name (``ci_low``/``ci_high`` come from stats)."""
    return {**e, "examiner": person["username"], "name": person["name"]}


def _needed(rows: list[dict], key: str, target: float) -> int | None:
    for row in rows:
        if row[key] is not None and row[key] >= target:
            return row["n_examiners"]
    return None


def _distribution(data: PanelData, rubric: Rubric) -> list[dict]:
    levels = rubric.scale.values
    out = []
    for j, e in enumerate(data.examiners):
        v = data.ratings[:, j, :]
        v = v[~np.isnan(v)]
        counts = [int(np.count_nonzero(v == lv)) for lv in levels]
        out.append({"examiner": e["username"], "name": e["name"], "levels": list(levels),
                    "counts": counts, "n": int(v.size)})
    return out


def drift_blocks(n: int) -> list[tuple[int, int]]:
    """Return [start, stop) index blocks of the day: up to 4, at least 10 candidates each."""
    blocks = max(1, min(4, n // 10))
    edges = np.linspace(0, n, blocks + 1).round().astype(int)
    return [(int(a), int(b)) for a, b in zip(edges[:-1], edges[1:], strict=True) if b > a]


def _drift(data: PanelData, scale) -> dict:
    """Return each examiner's deviation per block of interview order (rater_effects)."""
    blocks = drift_blocks(len(data.candidates)) if len(data.examiners) >= 2 else []
    out_blocks, series = [], [[] for _ in data.examiners]
    for a, b in blocks:
        out_blocks.append({"from": data.orders[a], "to": data.orders[b - 1], "n": b - a})
        effects = rater_effects(data.ratings[a:b], scale)
        for j, effect in enumerate(effects):
            d = effect.deviation
            series[j].append(d if math.isfinite(d) else None)
    return {"blocks": out_blocks,
            "examiners": [{"examiner": e["username"], "name": e["name"], "deviation": s}
                          for e, s in zip(data.examiners, series, strict=True)]}


def enough_for_agreement(n_candidates: int, n_examiners: int) -> bool:
    """Return whether a panel's data are enough for its printed agreement summary."""
    return n_candidates >= MIN_CANDIDATES and n_examiners >= MIN_EXAMINERS


def analyse(data: PanelData, rubric: Rubric, target: float = DEFAULT_TARGET,
            with_drift: bool = True, with_rasch: bool = True) -> dict:
    """Return the report content of one panel's data (``analysis`` None when too little).

    ``with_drift`` and ``with_rasch`` False skip the parts a summary does not print.
    """
    scale = (rubric.scale.min, rubric.scale.max)
    base = {"n_candidates": len(data.candidates), "n_examiners": len(data.examiners),
            "candidates": list(data.participants),
            "n_criteria": len(data.criteria), "target": target,
            "distribution": _distribution(data, rubric)}
    if len(data.candidates) < 2 or len(data.examiners) < 2:
        return {**base, "analysis": None, "reason": "too_few"}
    result = panel_analysis(data.ratings, scale, examiners=[e["username"] for e in data.examiners],
                            criteria=list(data.criteria), d_study_examiners=D_STUDY_SIZES,
                            thresholds=rubric_thresholds(rubric),
                            candidates=list(data.participants), rasch=with_rasch)
    d = result.to_dict()
    people = {e["username"]: e for e in data.examiners}
    d_rows = [{"n_examiners": r["n_examiners"], "g": r["g"], "phi": r["phi"]}
              for r in d["d_study"]]
    return {
        **base,
        "analysis": d,
        "overall": _coefficients(d["overall"]),
        "per_criterion": [_coefficients(c) for c in d["per_criterion"]],
        "kendall_w": d["overall"].get("kendall_w"),
        "examiners": [_examiner(e, people[e["examiner"]]) for e in d["examiner_effects"]],
        "d_study": {"rows": d_rows, "current": len(data.examiners), "target": target,
                    "needed_phi": _needed(d_rows, "phi", target),
                    "needed_g": _needed(d_rows, "g", target),
                    "g": d["g_study"]["g"], "phi": d["g_study"]["phi"],
                    "complete_candidates": d["g_study"]["n_candidates"]},
        "drift": _drift(data, scale) if with_drift else None,
        "rasch": rasch_view(d["rasch"], people),
    }


def _severity(e: dict) -> str | None:
    """Return "harsher", "more_lenient" or "typical": the measure's 95% interval against 0."""
    low, high = e["ci_low"], e["ci_high"]
    if low is None or high is None:
        return None
    if low > 0:
        return "harsher"
    return "more_lenient" if high < 0 else "typical"


def _fit(e: dict) -> str | None:
    """Return "erratic", "predictable" or "consistent" from the infit mean-square.

    A misfit needs both size (mean-square outside FIT_RANGE) and evidence (|ZSTD| >= 2):
    in a small panel one erratic examiner pushes the others' mean-squares below 1 by chance.
    """
    infit, z = e["infit"], e["infit_zstd"]
    if infit is None or z is None:
        return None
    if infit > FIT_RANGE[1] and z >= 2:
        return "erratic"
    return "predictable" if infit < FIT_RANGE[0] and z <= -2 else "consistent"


def rasch_view(rasch: dict | None, people: dict) -> dict | None:
    """Return the many-facet Rasch block as the report shows it (codes, no words).

    Fair averages are for information: they never change an official score.
    """
    if rasch is None:
        return None
    if not rasch["estimated"]:
        return {"estimated": False, "reason_code": rasch["reason_code"],
                "subsets": rasch["subsets"]}
    examiners = [{**e, "name": people.get(e["id"], {"name": e["id"]})["name"],
                  "severity": _severity(e), "fit": _fit(e)} for e in rasch["examiners"]]
    return {"estimated": True, "examiners": examiners, "candidates": rasch["candidates"],
            "criteria": rasch["criteria"], "thresholds": rasch["thresholds"],
            "separation": rasch["separation"], "reliability": rasch["reliability"],
            "converged": rasch["converged"], "fit_range": list(FIT_RANGE)}


def _session_dict(session: InterviewSession, rubric: Rubric) -> dict:
    return {"id": session.id, "code": session.code, "name": session.name,
            "held_on": session.held_on.isoformat(), "place": session.place,
            "rubric": {"id": rubric.id, "version": rubric.version, "hash": rubric.content_hash,
                       "scale": [rubric.scale.min, rubric.scale.max]}}


def _criteria(rubric: Rubric) -> list[dict]:
    return [{"code": c.code, "name": c.name.to_dict(), "weight": c.weight}
            for c in rubric.criteria]


def panel_report(panel: Panel, target: float = DEFAULT_TARGET, viewer=ADMIN) -> dict:
    """Return the full agreement report of one panel, over the candidates ``viewer`` may see."""
    rubric = session_rubric(panel.session)
    data = load_panels([panel], rubric, viewer)[panel.id]
    return {"schema": SCHEMA, "phase": "pre", "session": _session_dict(panel.session, rubric),
            "criteria": _criteria(rubric),
            "panel": {"id": panel.id, "name": panel.name, "room": panel.room},
            **analyse(data, rubric, target)}


def session_report(session: InterviewSession, target: float = DEFAULT_TARGET,
                   panels: list[Panel] | None = None, with_drift: bool = False,
                   viewer=ADMIN) -> dict:
    """Return the report of every panel of a session (no drift unless asked: it is long).

    Figures come only from candidates ``viewer`` may see: a chair's session report holds
    nothing of the panels they do not chair.
    """
    rubric = session_rubric(session)
    panels = list(session.panels) if panels is None else panels
    loaded = load_panels(panels, rubric, viewer)
    out = []
    for panel in panels:
        report = analyse(loaded[panel.id], rubric, target, with_drift=with_drift)
        out.append({"panel": {"id": panel.id, "name": panel.name, "room": panel.room},
                    **report})
    return {"schema": SCHEMA, "phase": "pre", "session": _session_dict(session, rubric),
            "criteria": _criteria(rubric), "target": target, "panels": out,
            "flagged": [{"panel": p["panel"]["name"], "examiner": e["examiner"],
                         "name": e["name"], "flags": e["flags"]}
                        for p in out for e in p.get("examiners", []) if e["flags"]],
            "watched": [{"panel": p["panel"]["name"], "examiner": e["examiner"],
                         "name": e["name"], "watch": e["watch"]}
                        for p in out for e in p.get("examiners", []) if e["watch"]]}


_SUMMARY_CACHE: dict = {}
_SUMMARY_CACHE_SIZE = 256


def panel_agreement(panel: Panel) -> dict:
    """Return the one agreement summary of a panel that every page and document prints.

    The figures are those of :func:`panel_report` (pre-discussion scores of finished
    candidates, :func:`analyse`), banded by the one table (:mod:`scoring.rules.bands`):
    the public results page, the chair's report, ``scoring report`` and the
    minutes therefore agree. The summary is cached on a digest of the panel's data, so an
    unchanged panel is analysed once.
    """
    rubric = session_rubric(panel.session)
    data = load_panels([panel], rubric)[panel.id]
    digest = hashlib.sha256(np.ascontiguousarray(data.ratings).tobytes()).hexdigest()
    key = (panel.id, rubric.content_hash, data.ratings.shape, digest,
           tuple(e["id"] for e in data.examiners), data.candidates)
    if key not in _SUMMARY_CACHE:
        report = analyse(data, rubric, with_drift=False, with_rasch=False)
        summary = {"n_candidates": report["n_candidates"],
                   "n_examiners": report["n_examiners"], "enough": False}
        if report["analysis"] is not None and enough_for_agreement(
                report["n_candidates"], report["n_examiners"]):
            o = report["overall"]
            summary.update(
                enough=True, icc21=o["icc21"]["value"], icc2k=o["icc2k"]["value"],
                icc2k_low=o["icc2k"]["ci_low"], icc2k_high=o["icc2k"]["ci_high"],
                alpha=o["alpha_interval"], icc_band=o["icc_band"],
                icc2k_band=o["icc2k_band"], alpha_band=o["alpha_band"])
        if len(_SUMMARY_CACHE) >= _SUMMARY_CACHE_SIZE:
            _SUMMARY_CACHE.pop(next(iter(_SUMMARY_CACHE)))
        _SUMMARY_CACHE[key] = summary
    return dict(_SUMMARY_CACHE[key])


def json_view(report: dict) -> dict:
    """Return the report without the raw ``analysis`` block, as the command line prints it."""
    def strip(r: dict) -> dict:
        return {k: v for k, v in r.items() if k != "analysis"}

    if "panels" in report:
        return {**report, "panels": [strip(p) for p in report["panels"]]}
    return strip(report)
